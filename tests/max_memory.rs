//! `--max-memory` with the real binary: the budget divided as `-v` says,
//! a download inside it that completes whole, and a budget too small for
//! one piece refused before anything is created. (How much memory a
//! download takes is measured by `tests/bench/max_memory`, not here.)

mod common;

use common::bitsy::{Bitsy, TempDir, text};
use common::{Behaviour, FakeSeeder, FakeTracker, TestTorrent, pseudo_random_bytes};

const PIECE: u32 = 64 * 1024;

#[test]
fn a_download_inside_the_budget_completes_and_says_how_it_was_divided() {
    let tracker = FakeTracker::start();
    let content = pseudo_random_bytes(300 * PIECE as usize + 777, 61);
    let t = TestTorrent::single_file("b.bin", &content, PIECE, &tracker.url());
    let seeders = [
        FakeSeeder::start(&t, Behaviour::normal()),
        FakeSeeder::start(&t, Behaviour::normal().serve_reversed()),
    ];
    tracker.set_peers(seeders.iter().map(FakeSeeder::addr).collect());
    let dir = TempDir::new("maxmem-download");
    let file = t.write_to(&dir.0);
    let out = dir.0.join("out");

    // 1 MiB: a quarter is 4 peers, an eighth 8 blocks; one piece, then
    // (1 MiB - 64 - 128 - 256 KiB) / 64 KiB = 9 more: 10 pieces.
    let run = Bitsy::download(&file, &out, &["--max-memory", "1M"]);

    let stderr = text(&run.stderr);
    assert!(run.status.success(), "{:?}: {stderr}", run.status);
    assert!(
        stderr.contains("memory: 10 pieces of 64.0 KiB, 8 blocks, 4 peers: 1.0 MiB in all"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(out.join("b.bin")).unwrap(), content);
}

#[test]
fn a_budget_too_small_for_one_piece_is_refused_and_creates_nothing() {
    let tracker = FakeTracker::start();
    // 4 MiB pieces: one piece, one peer and 8 blocks need 4288 KiB.
    let content = pseudo_random_bytes(100_000, 62);
    let t = TestTorrent::single_file("big.bin", &content, 4 << 20, &tracker.url());
    let dir = TempDir::new("maxmem-refused");
    let file = t.write_to(&dir.0);
    let out = dir.0.join("out");

    let run = Bitsy::download(&file, &out, &["--max-memory", "4M"]);

    let stderr = text(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--max-memory 4.0 MiB is too small"),
        "{stderr}"
    );
    assert!(
        stderr.contains("give at least --max-memory 4288K"),
        "{stderr}"
    );
    assert!(
        !out.join("big.bin").exists(),
        "no file for a refused budget"
    );
    assert!(
        tracker.announces().is_empty(),
        "refused before any announce"
    );

    // The figure it suggests is accepted (the download then just waits
    // for peers: stopped by the stall timeout).
    let run = Bitsy::download(
        &file,
        &out,
        &["--max-memory", "4288K", "--stall-timeout", "1"],
    );
    let stderr = text(&run.stderr);
    assert!(
        stderr.contains("memory: 1 piece of 4.0 MiB, 8 blocks, 1 peer"),
        "{stderr}"
    );
}

#[test]
fn max_memory_takes_sizes_and_refuses_nonsense() {
    for bad in ["0", "8MB", "-1M", "65G", "lots"] {
        let run = Bitsy::run(&["download", "x.torrent", "--max-memory", bad]);
        assert_eq!(run.status.code(), Some(2), "{bad}: {}", text(&run.stderr));
        assert!(text(&run.stderr).contains("--max-memory"), "{bad}");
    }
}
