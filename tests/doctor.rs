//! The stall doctor with the real binary: a test per cause, each against
//! loopback fakes that show the symptom, asking bitsy why with SIGUSR1
//! (by PID) rather than waiting for its 30 s stall threshold, and
//! reading the words on stderr. Plus the give-up message
//! (`--stall-timeout`), the unprompted stall line, and `--why`.
//!
//! Every wait is bounded (`common::wait_until`, scaled by the slow
//! factor); every bitsy is stopped by PID when its guard drops.

mod common;

use common::bitsy::{Bitsy, TempDir, text};
use common::{Behaviour, FakeSeeder, FakeTracker, TestTorrent, pseudo_random_bytes};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How often [`ask_until`] sends SIGUSR1 (bitsy answers at its next
/// tick, every 250 ms).
const ASK_EVERY: Duration = Duration::from_millis(500);

const PIECE: u32 = 16 * 1024;

/// A torrent of `pieces` pieces on `tracker`, its file in `dir`.
fn torrent(dir: &TempDir, tracker: &str, pieces: u32, seed: u64) -> (TestTorrent, PathBuf) {
    let content = pseudo_random_bytes((pieces * PIECE) as usize, seed);
    let t = TestTorrent::single_file("d.bin", &content, PIECE, tracker);
    let path = t.write_to(&dir.0);
    (t, path)
}

/// Starts `bitsy download TORRENT -o DIR/out --port 0 EXTRA`, its stderr
/// in DIR/stderr.log.
fn start(dir: &TempDir, torrent: &Path, extra: &[&str]) -> (Bitsy, PathBuf) {
    let log = dir.0.join("stderr.log");
    let out = dir.0.join("out");
    let mut args = vec![
        "download",
        torrent.to_str().expect("UTF-8 temp path"),
        "-o",
        out.to_str().expect("UTF-8 temp path"),
        "--port",
        "0",
    ];
    args.extend_from_slice(extra);
    (Bitsy::start_logged(&args, &log), log)
}

fn read(log: &Path) -> String {
    std::fs::read_to_string(log).unwrap_or_default()
}

/// Sends SIGUSR1 every [`ASK_EVERY`] until a `why:` line holds every one
/// of `words`, for at most `timeout` (scaled); returns that line, or
/// fails the test with the whole log. Waits first for bitsy's first
/// announce: by then its SIGUSR1 handler is installed (before it, the
/// signal's default action would end bitsy).
fn ask_until(
    bitsy: &Bitsy,
    log: &Path,
    tracker: &FakeTracker,
    words: &[&str],
    timeout: Duration,
) -> String {
    assert!(
        common::wait_until(Duration::from_secs(20), || !tracker.announces().is_empty()),
        "bitsy announced; stderr:\n{}",
        read(log)
    );
    let mut found = None;
    let mut last_ask = Instant::now() - ASK_EVERY;
    let answered = common::wait_until(timeout, || {
        found = read(log)
            .lines()
            .find(|l| l.starts_with("why: ") && words.iter().all(|w| l.contains(w)))
            .map(str::to_string);
        if found.is_none() && last_ask.elapsed() >= ASK_EVERY {
            bitsy.ask_why();
            last_ask = Instant::now();
        }
        found.is_some()
    });
    assert!(
        answered,
        "no `why:` line with {words:?}; stderr:\n{}",
        read(log)
    );
    found.unwrap_or_default()
}

#[test]
fn trackers_failing_names_each_tracker_and_its_error() {
    let tracker = FakeTracker::start();
    tracker.fail_with("torrent not registered here");
    let dir = TempDir::new("doc-trackers");
    // A second tier on a port where nothing listens.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/announce", l.local_addr().unwrap())
    };
    let content = pseudo_random_bytes(PIECE as usize, 1);
    let t = TestTorrent::single_file("d.bin", &content, PIECE, &tracker.url())
        .with_tiers(&[&[&tracker.url()], &[&dead]]);
    let path = t.write_to(&dir.0);
    let (bitsy, log) = start(&dir, &path, &["--stall-timeout", "0"]);
    let line = ask_until(
        &bitsy,
        &log,
        &tracker,
        &["every tracker failed", "torrent not registered here", &dead],
        Duration::from_secs(20),
    );
    assert!(line.contains(&tracker.url()), "{line}");
    assert!(line.contains("try another tracker"), "{line}");
}

#[test]
fn no_peers_when_the_tracker_lists_nobody() {
    let tracker = FakeTracker::start();
    let dir = TempDir::new("doc-nopeers");
    let (_, path) = torrent(&dir, &tracker.url(), 2, 2);
    let (bitsy, log) = start(&dir, &path, &["--stall-timeout", "0"]);
    ask_until(
        &bitsy,
        &log,
        &tracker,
        &[
            "no peer connected: the tracker lists no other peer",
            "Wait for peers",
        ],
        Duration::from_secs(20),
    );
}

/// The seeder has pieces 0 and 1 of 5: once they are in, nobody has the
/// rest, and bitsy says which.
#[test]
fn pieces_unavailable_names_the_missing_pieces() {
    let tracker = FakeTracker::start();
    let dir = TempDir::new("doc-pieces");
    let (t, path) = torrent(&dir, &tracker.url(), 5, 3);
    let seeder = FakeSeeder::start(&t, Behaviour::normal().only_pieces(&[0, 1]));
    tracker.set_peers(vec![seeder.addr()]);
    let (bitsy, log) = start(&dir, &path, &["--stall-timeout", "0"]);
    ask_until(
        &bitsy,
        &log,
        &tracker,
        &["1 peer connected, none has pieces 2, 3, 4: wait for a seeder"],
        Duration::from_secs(30),
    );
}

/// With `--json` the same diagnosis is a `stall` event on stdout, with
/// its stable cause code, and the stream still ends with its last line.
#[test]
fn the_diagnosis_is_a_json_stall_event() {
    let tracker = FakeTracker::start();
    let dir = TempDir::new("doc-json");
    let (t, path) = torrent(&dir, &tracker.url(), 5, 3);
    let seeder = FakeSeeder::start(&t, Behaviour::normal().only_pieces(&[0, 1]));
    tracker.set_peers(vec![seeder.addr()]);
    let (bitsy, log) = start(&dir, &path, &["--stall-timeout", "0", "--json"]);
    ask_until(
        &bitsy,
        &log,
        &tracker,
        &["none has pieces 2, 3, 4"],
        Duration::from_secs(30),
    );
    let out = bitsy.interrupt();
    let stdout = text(&out.stdout);
    let stall: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains(r#""event":"stall""#))
        .collect();
    assert!(
        stall
            .iter()
            .any(|l| l.contains(r#""cause":"pieces_unavailable""#)
                && l.contains("none has pieces 2, 3, 4")),
        "no stall event for the missing pieces; stdout:\n{stdout}"
    );
    assert!(
        stdout.lines().all(|l| l.starts_with(r#"{"v":1,"#)),
        "only NDJSON on stdout:\n{stdout}"
    );
}

#[test]
fn all_choking_says_for_how_long() {
    let tracker = FakeTracker::start();
    let dir = TempDir::new("doc-choke");
    let (t, path) = torrent(&dir, &tracker.url(), 2, 4);
    let seeder = FakeSeeder::start(&t, Behaviour::normal().never_unchoke());
    tracker.set_peers(vec![seeder.addr()]);
    let (bitsy, log) = start(&dir, &path, &["--stall-timeout", "0"]);
    let line = ask_until(
        &bitsy,
        &log,
        &tracker,
        &["1 peer with pieces we want: it chokes us (for at least "],
        Duration::from_secs(30),
    );
    assert!(line.contains("wait, or find more peers"), "{line}");
}

/// A peer that unchokes and never answers is snubbed after 20 s; at 30 s
/// without data bitsy says so on its own (no SIGUSR1), once.
#[test]
fn all_snubbed_is_said_unprompted_when_the_download_stalls() {
    let tracker = FakeTracker::start();
    let dir = TempDir::new("doc-snub");
    let (t, path) = torrent(&dir, &tracker.url(), 2, 5);
    let seeder = FakeSeeder::start(&t, Behaviour::normal().ignores_requests());
    tracker.set_peers(vec![seeder.addr()]);
    let (bitsy, log) = start(&dir, &path, &["--stall-timeout", "0"]);
    let said = common::wait_until(Duration::from_secs(60), || {
        read(&log).contains("stalled: nothing for 30s: 1 peer with pieces we want unchokes us")
    });
    assert!(said, "the stall line; stderr:\n{}", read(&log));
    let err = read(&log);
    assert!(err.contains("sent nothing for 20s (snubbed)"), "{err}");
    assert!(seeder.requests() > 0, "bitsy asked the peer");
    // Ticks later, asked: the same diagnosis, and the stall said once.
    ask_until(
        &bitsy,
        &log,
        &tracker,
        &["(snubbed)"],
        Duration::from_secs(10),
    );
    let err = read(&log);
    assert_eq!(err.matches("stalled:").count(), 1, "said once: {err}");
}

#[test]
fn rate_limited_when_the_limit_is_spent_every_second() {
    let tracker = FakeTracker::start();
    let dir = TempDir::new("doc-rate");
    let (t, path) = torrent(&dir, &tracker.url(), 64, 6);
    let seeder = FakeSeeder::start(&t, Behaviour::normal());
    tracker.set_peers(vec![seeder.addr()]);
    let (bitsy, log) = start(&dir, &path, &["--max-download-rate", "32K"]);
    ask_until(
        &bitsy,
        &log,
        &tracker,
        &["limited by --max-download-rate 32.0 KiB/s", "raise it"],
        Duration::from_secs(30),
    );
}

/// `--why`: the status line carries the diagnosis without being asked.
#[test]
fn why_puts_the_diagnosis_on_the_status_line() {
    let tracker = FakeTracker::start();
    let dir = TempDir::new("doc-why");
    let (t, path) = torrent(&dir, &tracker.url(), 2, 7);
    let seeder = FakeSeeder::start(&t, Behaviour::normal().never_unchoke());
    tracker.set_peers(vec![seeder.addr()]);
    let (_bitsy, log) = start(&dir, &path, &["--why", "--stall-timeout", "0"]);
    // In a pipe, a status line is printed every 5 s.
    let on_status = common::wait_until(Duration::from_secs(30), || {
        read(&log)
            .lines()
            .any(|l| l.contains("peers 1  (1 peer with pieces we want: it chokes us"))
    });
    assert!(on_status, "stderr:\n{}", read(&log));
}

/// When bitsy gives up, the error ends with the diagnosis: exit 5 when
/// the tracker answers with nobody, exit 4 when every tracker fails.
#[test]
fn stall_timeout_message_includes_the_diagnosis() {
    let tracker = FakeTracker::start();
    let dir = TempDir::new("doc-giveup");
    let (_, path) = torrent(&dir, &tracker.url(), 2, 8);
    let out = dir.0.join("out");
    let run = Bitsy::download(&path, &out, &["--stall-timeout", "2"]);
    let err = text(&run.stderr);
    assert_eq!(run.status.code(), Some(5), "{err}");
    assert!(
        err.contains(
            "bitsy: no peers: no peer could be reached for 2 s (0 of 2 pieces done); \
             no peer connected: the tracker lists no other peer"
        ),
        "{err}"
    );

    tracker.fail_with("torrent not registered here");
    let run = Bitsy::download(&path, &out, &["--stall-timeout", "3"]);
    let err = text(&run.stderr);
    assert_eq!(run.status.code(), Some(4), "{err}");
    assert!(
        err.contains("bitsy: tracker failed: no peer came for 3 s"),
        "{err}"
    );
    assert!(err.contains("every tracker failed"), "{err}");
    assert!(
        err.contains("torrent not registered here. Check the network"),
        "{err}"
    );
}

/// A write that fails (here: past a file-size limit of a few KiB, with
/// SIGXFSZ ignored so the write returns EFBIG) stops bitsy with exit 6,
/// and the doctor says `disk error` and what would help just before.
#[test]
fn disk_error_is_diagnosed_before_bitsy_stops() {
    let tracker = FakeTracker::start();
    let dir = TempDir::new("doc-disk");
    let (t, path) = torrent(&dir, &tracker.url(), 4, 9);
    let seeder = FakeSeeder::start(&t, Behaviour::normal());
    tracker.set_peers(vec![seeder.addr()]);
    let bitsy = common::bitsy::command();
    let out = dir.0.join("out");
    // `ulimit -f 8`: 4 or 8 KiB (the shell's block), less than a piece.
    let child = Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 8 && exec \"$@\"")
        .arg("sh")
        .arg(bitsy.get_program())
        .args(bitsy.get_args())
        .args([
            "download",
            path.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .args(["--port", "0", "--no-dht", "--stall-timeout", "20"])
        .env("XDG_STATE_HOME", dir.0.join("state"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sh");
    let run = common::bitsy::wait(child);
    let err = text(&run.stderr);
    assert_eq!(run.status.code(), Some(6), "{err}");
    assert!(
        err.contains("stopping: disk error: cannot write piece"),
        "{err}"
    );
    assert!(err.contains("File too large"), "{err}");
    assert!(err.contains("run the same command again"), "{err}");
}
