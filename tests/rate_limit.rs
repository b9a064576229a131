//! `--max-download-rate` and `--max-upload-rate`, end to end on loopback.
//!
//! Each test moves a few seconds' worth of data at the limit and checks a
//! bound on time, not a speed: the transfer must take at least 90 % of
//! `bytes / rate` (on loopback an ignored limit finishes many times
//! faster), and must finish, files intact, within a generous bound (a
//! limiter that starves the transfer fails too). The figures are printed
//! (`--nocapture`) for the record.

mod common;

use common::fake_web_seed::{FakeWebSeed, Fault};
use common::{Behaviour, Bitsy, FakeSeeder, FakeTracker, TempDir, TestTorrent, ok};
use common::{pseudo_random_bytes, text};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::time::{Duration, Instant};

/// 1 MiB a second: `1M` in powers of 1024, as the usage text says.
const RATE: u64 = 1 << 20;
/// Six seconds at `RATE`: short enough for the test suite, and long
/// enough that a working limiter cannot fail the 90 % bound with its
/// burst: a seed idle before the download has half a second's worth of
/// tokens saved (`rate_limit::BURST`), so the transfer takes at least
/// 5.5 s of the 5.4 s asked.
const BYTES: usize = 6 << 20;
/// 256 KiB pieces: 24 of them.
const PIECE_LEN: u32 = 256 * 1024;

/// The time `BYTES` must take at `RATE`, at the least (90 %).
fn floor() -> Duration {
    Duration::from_secs_f64(BYTES as f64 / RATE as f64 * 0.9)
}

/// A bound a working limiter stays far within: four times the time the
/// transfer takes at the limit, plus start-up.
fn ceiling() -> Duration {
    Duration::from_secs_f64(BYTES as f64 / RATE as f64 * 4.0) + Duration::from_secs(10)
}

fn report(what: &str, elapsed: Duration) {
    let secs = elapsed.as_secs_f64();
    eprintln!(
        "{what}: limit {RATE} B/s, {BYTES} bytes in {secs:.2} s: {:.0} B/s ({:.1} % of the limit)",
        BYTES as f64 / secs,
        BYTES as f64 / secs / RATE as f64 * 100.0
    );
}

fn check(what: &str, elapsed: Duration) {
    report(what, elapsed);
    assert!(
        elapsed >= floor(),
        "{what}: {BYTES} bytes in {elapsed:?}, faster than the limit allows (at least {:?})",
        floor()
    );
    assert!(
        elapsed <= ceiling(),
        "{what}: {BYTES} bytes took {elapsed:?}"
    );
}

fn same_file(path: &Path, want: &[u8]) {
    let got = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(got == want, "{} differs from the original", path.display());
}

/// A port that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

#[test]
fn download_rate_is_held_from_a_fake_seeder() {
    let tracker = FakeTracker::start();
    let content = pseudo_random_bytes(BYTES, 71);
    let t = TestTorrent::single_file("limited.bin", &content, PIECE_LEN, &tracker.url());
    let seeder = FakeSeeder::start(&t, Behaviour::normal());
    tracker.set_peers(vec![seeder.addr()]);
    let dir = TempDir::new("rate-down");
    let torrent = t.write_to(&dir.0);
    let out = dir.0.join("out");
    let started = Instant::now();
    let run = Bitsy::download(&torrent, &out, &["--max-download-rate", "1M"]);
    let elapsed = started.elapsed();
    ok(&run);
    same_file(&out.join("limited.bin"), &content);
    check("download", elapsed);
}

/// A web seed (BEP 19) alone is held to the limit too.
#[test]
fn download_rate_is_held_from_a_web_seed() {
    let content = pseudo_random_bytes(BYTES, 74);
    let t0 = TestTorrent::single_file("web.bin", &content, PIECE_LEN, "");
    let web = FakeWebSeed::start(&[("/web.bin", &content)], Fault::None);
    let t = t0.with_url_list("", &[&web.url("/web.bin")]);
    let dir = TempDir::new("rate-web");
    let torrent = t.write_to(&dir.0);
    let out = dir.0.join("out");
    let started = Instant::now();
    let run = Bitsy::download(&torrent, &out, &["--max-download-rate", "1M"]);
    let elapsed = started.elapsed();
    ok(&run);
    same_file(&out.join("web.bin"), &content);
    check("web seed", elapsed);
}

/// Peers and web seeds share one limit: with both, the download is no
/// faster (the peers come first; see `session/rate_limit.rs`).
#[test]
fn download_rate_covers_peers_and_web_seeds_together() {
    let tracker = FakeTracker::start();
    let content = pseudo_random_bytes(BYTES, 73);
    let t0 = TestTorrent::single_file("both.bin", &content, PIECE_LEN, &tracker.url());
    let web = FakeWebSeed::start(&[("/both.bin", &content)], Fault::None);
    let t = t0.with_url_list(&tracker.url(), &[&web.url("/both.bin")]);
    let seeder = FakeSeeder::start(&t, Behaviour::normal());
    tracker.set_peers(vec![seeder.addr()]);
    let dir = TempDir::new("rate-both");
    let torrent = t.write_to(&dir.0);
    let out = dir.0.join("out");
    let started = Instant::now();
    let run = Bitsy::download(&torrent, &out, &["--max-download-rate", "1M"]);
    let elapsed = started.elapsed();
    ok(&run);
    same_file(&out.join("both.bin"), &content);
    eprintln!(
        "peers and web seed: {} blocks from the peer, {} bytes from the web seed",
        seeder.blocks_sent(),
        web.body_bytes()
    );
    check("peers and web seed", elapsed);
}

#[test]
fn upload_rate_is_held_by_a_bitsy_seed() {
    let tracker = FakeTracker::start();
    let content = pseudo_random_bytes(BYTES, 72);
    let t = TestTorrent::single_file("served.bin", &content, PIECE_LEN, &tracker.url());
    let dir = TempDir::new("rate-up");
    let torrent = t.write_to(&dir.0);
    let data = dir.0.join("served.bin");
    std::fs::write(&data, &content).unwrap();
    let port = free_port();
    let _seed = Bitsy::start(&[
        "seed",
        torrent.to_str().unwrap(),
        data.to_str().unwrap(),
        "--port",
        &port.to_string(),
        "--max-upload-rate",
        "1024K",
        "-q",
    ]);
    assert!(tracker.wait_for_event("started", Duration::from_secs(20)));
    tracker.set_peers(vec![SocketAddr::from(([127, 0, 0, 1], port))]);
    let out = dir.0.join("out");
    let started = Instant::now();
    let run = Bitsy::download(&torrent, &out, &[]);
    let elapsed = started.elapsed();
    ok(&run);
    same_file(&out.join("served.bin"), &content);
    check("upload", elapsed);
}

#[test]
fn bad_rates_are_usage_errors_naming_the_option() {
    let dir = TempDir::new("rate-usage");
    let torrent = dir.0.join("x.torrent");
    let torrent = torrent.to_str().unwrap();
    // (arguments, what stderr must say)
    let table: [(&[&str], &str); 4] = [
        (
            &["download", torrent, "--max-download-rate", "fast"],
            "--max-download-rate: expected bytes a second",
        ),
        (
            &["download", torrent, "--max-upload-rate=1G"],
            "--max-upload-rate: expected bytes a second",
        ),
        (
            &["seed", torrent, "data", "--max-upload-rate", "-5"],
            "--max-upload-rate",
        ),
        (
            &["seed", torrent, "data", "--max-download-rate", "1M"],
            "--max-download-rate",
        ),
    ];
    for (args, says) in table {
        let run = Bitsy::run(args);
        let err = text(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {says:?} not in {err}");
    }
}
