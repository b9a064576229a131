//! BEP 6, the Fast extension, end to end: `bitsy download` against fake
//! seeders that negotiate it (tests/common/fake_seeder.rs speaks it from
//! the BEP, independently of bitsy's `wire`).

mod common;

use common::{Behaviour, Bitsy, FakeSeeder, FakeTracker, TempDir, TestTorrent, ok, text};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

fn download(t: &TestTorrent, dir: &TempDir) -> std::process::Output {
    let torrent = t.write_to(&dir.0);
    let out = dir.0.join("out");
    let run = Bitsy::download(&torrent, &out, &[]);
    if run.status.success() {
        let got = std::fs::read(out.join(&t.name)).unwrap();
        assert!(got == t.files[0].1, "the downloaded file differs");
    }
    run
}

#[test]
fn a_have_all_seeder_is_used_like_any_seeder() {
    let tracker = FakeTracker::start();
    let content = common::pseudo_random_bytes(300_000, 6);
    let t = TestTorrent::single_file("all.bin", &content, 32 * 1024, &tracker.url());
    let seeder = FakeSeeder::start(&t, Behaviour::normal().fast());
    tracker.set_peers(vec![seeder.addr()]);
    let dir = TempDir::new("fast-have-all");
    let run = download(&t, &dir);
    ok(&run);
    assert_eq!(seeder.stats().fast_negotiated.load(Ordering::SeqCst), 1);
    let err = text(&run.stderr);
    assert!(err.contains("fast extension (BEP 6)"), "{err}");
    assert!(err.contains("has every piece (have all)"), "{err}");
}

/// A seeder that rejects every request must cost a bounded number of
/// requests, and the download must finish from an honest seeder. The
/// honest one stays silent about its pieces for `QUIET`, so for that long
/// the rejecting one is all bitsy has.
#[test]
fn a_seeder_that_rejects_everything_draws_few_requests() {
    const QUIET: Duration = Duration::from_secs(4);
    let tracker = FakeTracker::start();
    // 2 MiB in 16 KiB pieces: 128 pieces of one block each, so rejected
    // pieces alone (one per reject) would allow 128 requests.
    let content = common::pseudo_random_bytes(2 * 1024 * 1024, 7);
    let t = TestTorrent::single_file("rej.bin", &content, 16 * 1024, &tracker.url());
    let rejecting = FakeSeeder::start(&t, Behaviour::normal().rejects_everything());
    let honest = FakeSeeder::start(&t, Behaviour::normal().haves_later(QUIET));
    tracker.set_peers(vec![rejecting.addr(), honest.addr()]);
    let dir = TempDir::new("fast-reject");
    let started = Instant::now();
    let run = download(&t, &dir);
    ok(&run);
    assert!(
        started.elapsed() >= QUIET,
        "finished before the honest one spoke"
    );
    assert_eq!(rejecting.stats().fast_negotiated.load(Ordering::SeqCst), 1);
    assert_eq!(rejecting.stats().blocks_sent.load(Ordering::SeqCst), 0);
    // 16 rejects in a row (session::fast::MAX_REJECTS_IN_ROW) pause the
    // peer; at most MIN_PIPELINE (5) - 1 more were in flight then. Without
    // the pause, the request-reject loop runs at loopback speed.
    let requests = rejecting.requests();
    assert!(requests >= 1, "the rejecting seeder was asked at all");
    assert!(
        requests <= 16 + 5,
        "{requests} requests to a peer that rejects all"
    );
    assert_eq!(rejecting.stats().rejects.load(Ordering::SeqCst), requests);
    assert_eq!(honest.blocks_sent(), 128);
}
