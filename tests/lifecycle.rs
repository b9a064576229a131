//! How a run ends, against the real binary: the exit code after Ctrl-C
//! (SIGINT) or SIGTERM, sent to the child by PID, and the timers that
//! end a run by themselves (`--stall-timeout`, `--seed-time`).
//!
//! The rule under test (README, "Exit codes"): a signal ends a job
//! normally, exit 0, once the data is complete (`seed`, `tracker`, a
//! `download --seed` that finished); a `download` stopped before it
//! completed exits 130.

mod common;

use common::{Behaviour, Bitsy, FakeSeeder, FakeTracker, TempDir, TestTorrent};
use common::{pseudo_random_bytes, text, wait_until};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

fn s(p: &Path) -> &str {
    p.to_str().expect("temp paths are UTF-8")
}

fn exits(run: &Output, code: i32) {
    assert_eq!(
        run.status.code(),
        Some(code),
        "stderr:\n{}",
        text(&run.stderr)
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

/// A torrent of `len` bytes announcing to `tracker`, and its .torrent
/// file written in `dir`.
fn torrent(dir: &TempDir, tracker: &FakeTracker, len: usize, seed: u64) -> (TestTorrent, PathBuf) {
    let content = pseudo_random_bytes(len, seed);
    let t = TestTorrent::single_file("l.bin", &content, 16 * 1024, &tracker.url());
    let file = t.write_to(&dir.0);
    (t, file)
}

#[test]
fn seed_ends_normally_on_sigterm_and_sigint() {
    for (tag, stop) in [("term", true), ("int", false)] {
        let tracker = FakeTracker::start();
        let dir = TempDir::new(&format!("seed-{tag}"));
        let (t, file) = torrent(&dir, &tracker, 40_000, 51);
        std::fs::write(dir.0.join("l.bin"), &t.content).unwrap();
        let child = Bitsy::start(&["seed", s(&file), s(&dir.0.join("l.bin")), "--port", "0"]);
        assert!(tracker.wait_for_event("started", Duration::from_secs(10)));
        let run = if stop {
            child.terminate()
        } else {
            child.interrupt()
        };
        exits(&run, 0);
        let err = text(&run.stderr);
        assert!(err.contains("seeded "), "{err}");
        assert!(tracker.wait_for_event("stopped", Duration::from_secs(5)));
    }
}

#[test]
fn tracker_ends_normally_on_sigterm() {
    let port = free_port().to_string();
    let mut child = Bitsy::start(&["tracker", "--bind", "127.0.0.1", "--port", &port]);
    let addr = format!("127.0.0.1:{port}");
    assert!(
        wait_until(Duration::from_secs(10), || std::net::TcpStream::connect(
            &addr
        )
        .is_ok()),
        "the tracker listens"
    );
    assert!(child.is_running());
    exits(&child.terminate(), 0);
}

#[test]
fn download_seed_ends_normally_once_complete() {
    let tracker = FakeTracker::start();
    let dir = TempDir::new("dl-seed");
    let (t, file) = torrent(&dir, &tracker, 100_000, 52);
    let seeder = FakeSeeder::start(&t, Behaviour::normal());
    tracker.set_peers(vec![seeder.addr()]);
    let out = dir.0.join("out");
    let child = Bitsy::start(&[s(&file), "--seed", "-o", s(&out), "--port", "0"]);
    assert!(
        tracker.wait_for_event("completed", Duration::from_secs(30)),
        "the download completed"
    );
    let run = child.interrupt();
    exits(&run, 0);
    assert_eq!(std::fs::read(out.join("l.bin")).unwrap(), t.content);
    let err = text(&run.stderr);
    assert!(err.contains("seeding until Ctrl-C"), "{err}");
}

#[test]
fn download_stopped_before_completion_exits_130_on_sigterm_too() {
    let tracker = FakeTracker::start();
    let dir = TempDir::new("dl-term");
    let (t, file) = torrent(&dir, &tracker, 64 * 1024, 53);
    let stingy = FakeSeeder::start(&t, Behaviour::normal().never_unchoke());
    tracker.set_peers(vec![stingy.addr()]);
    let child = Bitsy::start(&[
        "download",
        s(&file),
        "-o",
        s(&dir.0.join("out")),
        "--port",
        "0",
    ]);
    assert!(tracker.wait_for_event("started", Duration::from_secs(10)));
    let run = child.terminate();
    exits(&run, 130);
    assert!(text(&run.stderr).contains("interrupted"));
}

/// With no peer anywhere, `--stall-timeout 1` gives up (exit 5) within
/// seconds, while `--stall-timeout 0` is still waiting well after that.
#[test]
fn stall_timeout_zero_never_gives_up() {
    let tracker = FakeTracker::start();
    let dir = TempDir::new("stall");
    let (_, file) = torrent(&dir, &tracker, 10_000, 54);
    let args = |timeout: &'static str, out: &str| {
        vec![
            s(&file).to_string(),
            "-o".into(),
            s(&dir.0.join(out)).to_string(),
            "--port".into(),
            "0".into(),
            "--stall-timeout".into(),
            timeout.into(),
        ]
    };
    let patient_args = args("0", "patient");
    let patient_ref: Vec<&str> = patient_args.iter().map(String::as_str).collect();
    let mut patient = Bitsy::start(&patient_ref);
    let started = Instant::now();
    let hasty_args = args("1", "hasty");
    let hasty_ref: Vec<&str> = hasty_args.iter().map(String::as_str).collect();
    let hasty = Bitsy::run(&hasty_ref);
    exits(&hasty, 5);
    // Three seconds more than the hasty one needed to give up.
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        patient.is_running(),
        "--stall-timeout 0 gave up after {:?}",
        started.elapsed()
    );
    exits(&patient.interrupt(), 130);
}

#[test]
fn seed_time_takes_a_unit() {
    let tracker = FakeTracker::start();
    let dir = TempDir::new("seed-time");
    let (t, file) = torrent(&dir, &tracker, 50_000, 55);
    let seeder = FakeSeeder::start(&t, Behaviour::normal());
    tracker.set_peers(vec![seeder.addr()]);
    let out = dir.0.join("out");
    let started = Instant::now();
    let run = Bitsy::run(&[s(&file), "-o", s(&out), "--port", "0", "--seed-time", "2s"]);
    exits(&run, 0);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "seeded for 2 s"
    );
    assert_eq!(std::fs::read(out.join("l.bin")).unwrap(), t.content);
    let err = text(&run.stderr);
    assert!(err.contains("seeding for 2s"), "{err}");
}
