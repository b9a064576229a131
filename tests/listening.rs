//! The peer listener, against the real binary: `--bind` listens on the
//! address given and no other; a taken `--port` is named with the one
//! used instead; a peer that opens with an encrypted (MSE) handshake is
//! hung up on at the first byte, quietly unless `-v`, and not banned.

mod common;

use common::{Bitsy, FakeTracker, RawPeer, TempDir, TestTorrent};
use common::{pseudo_random_bytes, text, wait_until};
use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn s(p: &Path) -> &str {
    p.to_str().expect("temp paths are UTF-8")
}

/// A port that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

fn connects(addr: SocketAddr) -> bool {
    TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok()
}

/// A torrent with its data next to it, ready to seed.
fn seedable(dir: &TempDir, tracker: &FakeTracker) -> (TestTorrent, PathBuf, PathBuf) {
    let content = pseudo_random_bytes(40_000, 61);
    let t = TestTorrent::single_file("m.bin", &content, 16 * 1024, &tracker.url());
    let file = t.write_to(&dir.0);
    let data = dir.0.join("m.bin");
    std::fs::write(&data, &content).unwrap();
    (t, file, data)
}

/// `--bind 127.0.0.2`: that address answers, 127.0.0.1 on the same port
/// does not (both are loopback on Linux, so this stays on the machine).
#[test]
fn bind_listens_on_the_given_address_only() {
    let tracker = FakeTracker::start();
    let dir = TempDir::new("bind");
    let (_, file, data) = seedable(&dir, &tracker);
    let port = free_port();
    let child = Bitsy::start(&[
        "seed",
        s(&file),
        s(&data),
        "--bind",
        "127.0.0.2",
        "--port",
        &port.to_string(),
        "-v",
    ]);
    let given = SocketAddr::from(([127, 0, 0, 2], port));
    assert!(
        wait_until(Duration::from_secs(10), || connects(given)),
        "bitsy listens on {given}"
    );
    assert!(
        !connects(SocketAddr::from(([127, 0, 0, 1], port))),
        "nothing listens on 127.0.0.1:{port}"
    );
    let run = child.interrupt();
    let err = text(&run.stderr);
    assert!(
        err.contains(&format!("listening for peers on {given}")),
        "{err}"
    );
}

/// The requested port is taken: the next free one is used and named,
/// without `-v`; `-q` keeps it quiet.
#[test]
fn a_taken_port_is_named_with_the_one_used() {
    let tracker = FakeTracker::start();
    let dir = TempDir::new("taken");
    let (_, file, _) = seedable(&dir, &tracker);
    let holder = TcpListener::bind((Ipv4Addr::UNSPECIFIED, 0)).unwrap();
    let taken = holder.local_addr().unwrap().port();
    let run = |quiet: bool| {
        let out = dir.0.join(if quiet { "q" } else { "loud" });
        let mut args = vec![
            s(&file).to_string(),
            "-o".into(),
            s(&out).to_string(),
            "--port".into(),
            taken.to_string(),
            "--stall-timeout".into(),
            "1".into(),
        ];
        if quiet {
            args.push("-q".into());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        Bitsy::run(&args)
    };
    let loud = run(false);
    let err = text(&loud.stderr);
    let said = format!("port {taken} is taken; listening for peers on port ");
    let line = err
        .lines()
        .find(|l| l.starts_with(&said))
        .unwrap_or_else(|| panic!("{said:?} not in: {err}"));
    let used: u16 = line[said.len()..].parse().expect("a port number");
    assert!(used > taken, "{line}");
    // It gave up for want of peers (exit 5), not for want of a port.
    assert_eq!(loud.status.code(), Some(5), "{err}");
    let quiet = run(true);
    assert!(!text(&quiet.stderr).contains("is taken"));
    drop(holder);
}

/// Sends the start of an MSE handshake (a random 96-byte key whose first
/// byte is not 19) and returns how long bitsy took to hang up.
fn try_encrypted(addr: SocketAddr) -> Duration {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(8)))
        .unwrap();
    let mut key = pseudo_random_bytes(96, 62);
    key[0] = 0xc7;
    let sent = Instant::now();
    stream.write_all(&key).unwrap();
    let mut buf = [0u8; 68];
    match stream.read(&mut buf) {
        Ok(0) => {}
        Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
        other => panic!("bitsy did not hang up at once: {other:?}"),
    }
    sent.elapsed()
}

#[test]
fn an_encrypted_handshake_is_quiet_unless_verbose_and_not_banned() {
    for verbose in [false, true] {
        let tracker = FakeTracker::start();
        let dir = TempDir::new("mse");
        let (t, file, data) = seedable(&dir, &tracker);
        let port = free_port();
        let mut args = vec![
            "seed".to_string(),
            s(&file).to_string(),
            s(&data).to_string(),
            "--port".into(),
            port.to_string(),
        ];
        if verbose {
            args.push("-v".into());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let child = Bitsy::start(&args);
        assert!(tracker.wait_for_event("started", Duration::from_secs(10)));
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        // Well under the 10 s handshake timeout: decided at the first byte.
        let took = try_encrypted(addr);
        assert!(took < Duration::from_secs(5), "took {took:?}");
        // The same address then speaks plaintext, as aria2 does, and is
        // served: it was not banned.
        let peer = RawPeer::connect(addr, &t.info_hash);
        drop(peer);
        let run = child.interrupt();
        assert!(run.status.success(), "{}", text(&run.stderr));
        let err = text(&run.stderr);
        let said = "peer tried an encrypted handshake (MSE); bitsy speaks plaintext";
        if verbose {
            assert!(err.contains(said), "-v shows it: {err}");
        } else {
            assert!(!err.contains("MSE"), "without -v it is quiet: {err}");
            assert!(!err.contains("disconnected"), "{err}");
        }
    }
}
