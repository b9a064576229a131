//! Serving, end to end with separate bitsy processes: `create` → `info` →
//! `tracker` + `seed` → `download`; two downloaders that must trade pieces
//! with each other; and a raw peer that asks a bitsy seeder for things it
//! must refuse.
//!
//! Every child process is stopped by PID (SIGINT first, then kill) when
//! its guard drops, so a failing assertion leaves nothing running.

mod common;

use common::raw_peer::{self, RawPeer};
use common::{
    Behaviour, Bitsy, FakeSeeder, FakeTracker, TempDir, TestTorrent, pseudo_random_bytes, text,
    wait_until,
};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::Output;
use std::time::Duration;

const LIMIT: Duration = common::bitsy::LIMIT;

fn run(args: &[&str]) -> Output {
    Bitsy::run(args)
}

/// A port that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

/// Asks a tracker's /scrape how many seeders it knows for `info_hash`.
fn scrape_complete(tracker: SocketAddr, info_hash: &[u8; 20]) -> Option<u64> {
    let mut q = String::new();
    for b in info_hash {
        q.push_str(&format!("%{b:02X}"));
    }
    let mut s = TcpStream::connect_timeout(&tracker, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(s, "GET /scrape?info_hash={q} HTTP/1.0\r\nHost: x\r\n\r\n").ok()?;
    let mut body = Vec::new();
    s.read_to_end(&mut body).ok()?;
    let body = text(&body);
    let at = body.find("8:completei")? + "8:completei".len();
    body[at..].split('e').next()?.parse().ok()
}

fn write_tree(root: &Path, files: &[(&str, &[u8])]) {
    for (path, bytes) in files {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
}

fn same_tree(a: &Path, b: &Path, files: &[(&str, &[u8])]) {
    for (path, bytes) in files {
        assert!(
            std::fs::read(a.join(path)).unwrap() == *bytes,
            "{path} in {}",
            a.display()
        );
        assert!(
            std::fs::read(b.join(path)).unwrap() == *bytes,
            "{path} in {}",
            b.display()
        );
    }
}

#[test]
fn create_info_tracker_seed_download_round_trip() {
    let dir = TempDir::new("roundtrip");
    let a = pseudo_random_bytes(700_001, 21);
    let b = pseudo_random_bytes(33, 22);
    let c = pseudo_random_bytes(300_000, 23);
    let files: Vec<(&str, &[u8])> = vec![("a.bin", &a), ("sub/b.txt", &b), ("sub/c.bin", &c)];
    let content = dir.0.join("album");
    write_tree(&content, &files);

    let tracker_port = free_port();
    let tracker = Bitsy::start(&[
        "tracker",
        "--bind",
        "127.0.0.1",
        "--port",
        &tracker_port.to_string(),
    ]);
    let tracker_addr = SocketAddr::from(([127, 0, 0, 1], tracker_port));
    let url = format!("http://127.0.0.1:{tracker_port}/announce");

    let torrent = dir.0.join("album.torrent");
    let out = run(&[
        "create",
        content.to_str().unwrap(),
        "--tracker",
        &url,
        "--piece-length",
        "32768",
        "-o",
        torrent.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "create: {}", text(&out.stderr));
    let created = text(&out.stdout);

    let info = run(&["info", torrent.to_str().unwrap()]);
    assert!(info.status.success());
    let info = text(&info.stdout);
    let hash_hex = created
        .lines()
        .find_map(|l| l.strip_prefix("infohash "))
        .expect("create prints the infohash")
        .to_string();
    assert!(
        info.contains(&hash_hex),
        "info shows the same infohash:\n{info}"
    );
    assert!(info.contains("album") && info.contains("sub/c.bin") && info.contains(&url));
    let mut info_hash = [0u8; 20];
    for (i, byte) in info_hash.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hash_hex[2 * i..2 * i + 2], 16).unwrap();
    }

    let seed_port = free_port();
    let seeder = Bitsy::start(&[
        "seed",
        torrent.to_str().unwrap(),
        content.to_str().unwrap(),
        "--port",
        &seed_port.to_string(),
        "-q",
    ]);
    assert!(
        wait_until(Duration::from_secs(20), || scrape_complete(
            tracker_addr,
            &info_hash
        ) == Some(1)),
        "the seeder announced itself as complete (pid {})",
        seeder.pid()
    );

    let got = dir.0.join("got");
    let dl = run(&[
        "download",
        torrent.to_str().unwrap(),
        "-o",
        got.to_str().unwrap(),
        "--port",
        "0",
    ]);
    assert!(dl.status.success(), "download: {}", text(&dl.stderr));
    same_tree(&content, &got.join("album"), &files);

    // Ctrl-C ends a seed normally: exit 0, and the tracker forgets it.
    let seeded = seeder.interrupt();
    assert!(
        seeded.status.success(),
        "seed: {:?} {}",
        seeded.status,
        text(&seeded.stderr)
    );
    assert!(
        wait_until(Duration::from_secs(5), || scrape_complete(
            tracker_addr,
            &info_hash
        ) == Some(0)),
        "stopped removed the seeder"
    );
    let t = tracker.interrupt();
    assert!(t.status.success(), "tracker: {}", text(&t.stderr));
}

#[test]
fn seed_refuses_incomplete_data() {
    let dir = TempDir::new("incomplete");
    let content = pseudo_random_bytes(100_000, 30);
    let t = TestTorrent::single_file("x.bin", &content, 16384, "http://127.0.0.1:9/announce");
    let torrent = t.write_to(&dir.0);
    let data = dir.0.join("x.bin");
    std::fs::write(&data, &content[..50_000]).unwrap();
    let out = run(&[
        "seed",
        torrent.to_str().unwrap(),
        data.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(out.status.code(), Some(7), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("missing or wrong"));
}

/// Each downloader knows one half-seeder and the other downloader; each
/// can only finish by uploading its half to the other while downloading.
#[test]
fn two_downloaders_trade_pieces_while_downloading() {
    let content = pseudo_random_bytes(1_200_000, 31);
    let t1 = FakeTracker::start();
    let t2 = FakeTracker::start();
    let torrent1 = TestTorrent::single_file("trade.bin", &content, 32 * 1024, &t1.url());
    let torrent2 = TestTorrent::single_file("trade.bin", &content, 32 * 1024, &t2.url());
    assert_eq!(torrent1.info_hash, torrent2.info_hash);
    let n = torrent1.num_pieces();
    let evens: Vec<u32> = (0..n).filter(|i| i % 2 == 0).collect();
    let odds: Vec<u32> = (0..n).filter(|i| i % 2 == 1).collect();
    let half_a = FakeSeeder::start(&torrent1, Behaviour::normal().only_pieces(&evens));
    let half_b = FakeSeeder::start(&torrent1, Behaviour::normal().only_pieces(&odds));
    let (p1, p2) = (free_port(), free_port());
    t1.set_peers(vec![half_a.addr(), SocketAddr::from(([127, 0, 0, 1], p2))]);
    t2.set_peers(vec![half_b.addr(), SocketAddr::from(([127, 0, 0, 1], p1))]);

    let dir = TempDir::new("trade");
    let (d1, d2) = (dir.0.join("one"), dir.0.join("two"));
    std::fs::create_dir_all(&d1).unwrap();
    std::fs::create_dir_all(&d2).unwrap();
    let f1 = torrent1.write_to(&d1);
    let f2 = torrent2.write_to(&d2);
    let start = |torrent: &Path, out: &Path, port: u16| {
        Bitsy::start(&[
            "download",
            torrent.to_str().unwrap(),
            "-o",
            out.join("data").to_str().unwrap(),
            "--port",
            &port.to_string(),
            "--seed",
        ])
    };
    let one = start(&f1, &d1, p1);
    let two = start(&f2, &d2, p2);
    let done = |d: &Path| std::fs::read(d.join("data/trade.bin")).is_ok_and(|b| b == content);
    let both = wait_until(LIMIT, || done(&d1) && done(&d2));
    let (o1, o2) = (one.interrupt(), two.interrupt());
    assert!(
        both,
        "both complete:\n{}\n----\n{}",
        text(&o1.stderr),
        text(&o2.stderr)
    );
    for o in [&o1, &o2] {
        let err = text(&o.stderr);
        let uploaded = err
            .lines()
            .find_map(|l| l.strip_prefix("done: "))
            .and_then(|l| l.split(", uploaded ").nth(1))
            .unwrap_or_default()
            .to_string();
        assert!(
            !uploaded.starts_with("0 B"),
            "each uploaded its half: {err}"
        );
        assert!(o.status.success(), "{err}");
    }
    // Neither seeder served the half it does not have; the other half came
    // from the other downloader.
    assert!(half_a.blocks_sent() > 0 && half_b.blocks_sent() > 0);
}

/// A raw peer asks a bitsy seeder for a block outside a piece, one past
/// the last piece, and a too-long one: all refused; a good one is served;
/// a peer that keeps asking wrongly is dropped.
#[test]
fn seeder_refuses_bad_requests_and_serves_good_ones() {
    let tracker = FakeTracker::start();
    let content = pseudo_random_bytes(100_000, 40);
    let t = TestTorrent::single_file("serve.bin", &content, 32 * 1024, &tracker.url());
    let dir = TempDir::new("refuse");
    let torrent = t.write_to(&dir.0);
    let data = dir.0.join("serve.bin");
    std::fs::write(&data, &content).unwrap();
    let port = free_port();
    let _seeder = Bitsy::start(&[
        "seed",
        torrent.to_str().unwrap(),
        data.to_str().unwrap(),
        "--port",
        &port.to_string(),
        "-q",
    ]);
    assert!(tracker.wait_for_event("started", Duration::from_secs(20)));
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut peer = RawPeer::connect(addr, &t.info_hash);
    let (id, bits) = peer.recv().expect("bitfield");
    assert_eq!((id, bits), (raw_peer::BITFIELD, vec![0xf0]));
    peer.send(raw_peer::INTERESTED, &[]);
    assert_eq!(peer.recv().map(|m| m.0), Some(raw_peer::UNCHOKE));

    peer.request(0, 32 * 1024 - 100, 16384); // runs past the end of piece 0
    peer.request(4, 0, 1); // there is no piece 4
    peer.request(1, 0, 32 * 1024); // longer than a block
    peer.request(3, 0, 100_000 - 3 * 32 * 1024); // the whole short last piece: fine
    let (id, payload) = peer.recv().expect("a piece");
    assert_eq!(id, raw_peer::PIECE);
    assert_eq!(
        &payload[..8],
        &[0, 0, 0, 3, 0, 0, 0, 0],
        "only the good request is served"
    );
    assert!(payload[8..] == content[3 * 32 * 1024..]);

    for _ in 0..40 {
        peer.request(9, 0, 16384);
    }
    peer.set_read_timeout(Duration::from_secs(10));
    assert!(
        peer.recv().is_none(),
        "a peer that keeps asking wrongly is dropped"
    );
}
