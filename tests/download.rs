//! `bitsy download` end to end, as a separate process, against an
//! in-process fake tracker and fake seeders on loopback.
//!
//! Each test starts its fakes, runs the real binary with a time limit, and
//! checks the files on disk byte for byte, the exit code, and what the
//! tracker heard. The fakes stop when dropped; the child is killed by PID
//! if it overruns.

mod common;

use common::{
    Behaviour, Bitsy, FakeSeeder, FakeTracker, Reply, TempDir, TestTorrent, ok,
    pseudo_random_bytes, text,
};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

fn download(torrent: &Path, out: &Path, extra: &[&str]) -> Output {
    Bitsy::download(torrent, out, extra)
}

fn assert_files(t: &TestTorrent, out: &Path) {
    let multi = t.files.len() > 1 || t.files[0].0 != t.name;
    for (path, bytes) in &t.files {
        let p = if multi {
            out.join(&t.name).join(path)
        } else {
            out.join(path)
        };
        let got = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert!(got == *bytes, "{} differs from the original", p.display());
    }
}

/// bitsy failed with exit code `code` and said `says` on stderr.
fn fails(run: &Output, code: i32, says: &str) {
    let err = text(&run.stderr);
    assert_eq!(run.status.code(), Some(code), "{err}");
    assert!(err.contains(says), "{says:?} not in: {err}");
}

/// A torrent, its file on disk, a tracker that lists `seeders`.
fn swarm(
    t: &TestTorrent,
    dir: &TempDir,
    tracker: &FakeTracker,
    seeders: &[&FakeSeeder],
) -> PathBuf {
    tracker.set_peers(seeders.iter().map(|s| s.addr()).collect());
    t.write_to(&dir.0)
}

/// The whole happy path: the tracker lists `seeders`, bitsy downloads
/// into a fresh folder, exits 0, and every file matches.
fn fetch_all(tag: &str, t: &TestTorrent, tracker: &FakeTracker, seeders: &[&FakeSeeder]) {
    let dir = TempDir::new(tag);
    let torrent = swarm(t, &dir, tracker, seeders);
    let out = dir.0.join("out");
    ok(&download(&torrent, &out, &[]));
    assert_files(t, &out);
}

#[test]
fn one_seeder_odd_size_and_tracker_events() {
    let tracker = FakeTracker::start();
    // 1,000,003 bytes at 32 KiB: 31 pieces, the last 15,363 bytes (one short block).
    let content = pseudo_random_bytes(1_000_003, 1);
    let t = TestTorrent::single_file("odd.bin", &content, 32 * 1024, &tracker.url());
    let seeder = FakeSeeder::start(&t, Behaviour::normal());
    fetch_all("one", &t, &tracker, &[&seeder]);
    let events = tracker.events();
    assert_eq!(
        events.first().cloned().flatten().as_deref(),
        Some("started")
    );
    assert!(
        events.iter().any(|e| e.as_deref() == Some("completed")),
        "{events:?}"
    );
    assert_eq!(events.last().cloned().flatten().as_deref(), Some("stopped"));
    let last = tracker.announces().pop().unwrap();
    assert_eq!(last.param("left").as_deref(), Some("0"));
    assert_eq!(last.param("downloaded").as_deref(), Some("1000003"));
}

#[test]
fn several_partial_seeders_and_one_that_leaves_mid_piece() {
    let tracker = FakeTracker::start();
    let content = pseudo_random_bytes(3 * 1024 * 1024 + 777, 2);
    let t = TestTorrent::single_file("big.bin", &content, 64 * 1024, &tracker.url());
    let n = t.num_pieces();
    let evens: Vec<u32> = (0..n).filter(|i| i % 2 == 0).collect();
    let odds: Vec<u32> = (0..n).filter(|i| i % 2 == 1).collect();
    let a = FakeSeeder::start(&t, Behaviour::normal().only_pieces(&evens));
    let b = FakeSeeder::start(&t, Behaviour::normal().only_pieces(&odds));
    // Has everything but hangs up after 3 blocks, in the middle of a 4-block piece.
    let c = FakeSeeder::start(&t, Behaviour::normal().disconnect_after_blocks(3));
    fetch_all("partial", &t, &tracker, &[&a, &b, &c]);
    assert!(
        a.blocks_sent() > 0 && b.blocks_sent() > 0,
        "both halves served"
    );
}

#[test]
fn corrupt_seeder_is_routed_around() {
    let tracker = FakeTracker::start();
    let content = pseudo_random_bytes(600 * 1024, 3);
    let t = TestTorrent::single_file("c.bin", &content, 32 * 1024, &tracker.url());
    let mut bad = Behaviour::normal();
    for p in 0..t.num_pieces() {
        bad = bad.corrupt_piece(p);
    }
    let liar = FakeSeeder::start(&t, bad);
    // The honest seeder says what it has only after a second, so the liar
    // is surely asked first: every piece it sends fails its hash.
    let late = common::slow::scaled(Duration::from_secs(1));
    let good = FakeSeeder::start(&t, Behaviour::normal().haves_later(late));
    let dir = TempDir::new("corrupt");
    let torrent = swarm(&t, &dir, &tracker, &[&liar, &good]);
    let out = dir.0.join("out");
    let run = download(&torrent, &out, &[]);
    ok(&run);
    assert_files(&t, &out);
    // The liar was asked for data, sent bad blocks, and was banned by name.
    assert!(liar.blocks_sent() > 0, "the liar was never asked");
    let log = text(&run.stderr);
    let banned = format!("peer {}: banned for sending bad data", liar.addr());
    assert!(log.contains(&banned), "no ban of {}:\n{log}", liar.addr());
    assert!(
        !log.contains(&format!("peer {}: banned", good.addr())),
        "the honest seeder was banned:\n{log}"
    );
}

/// One bad piece among good ones, from a seeder honest about the rest:
/// the hash check catches it (here its peer thread's, on the way in:
/// the seeder sends each piece's blocks in order), only that piece is
/// fetched again, and the file ends up whole.
#[test]
fn one_corrupt_piece_is_caught_and_fetched_again() {
    const BAD: u32 = 17;
    let tracker = FakeTracker::start();
    let content = pseudo_random_bytes(40 * 32 * 1024 + 123, 21);
    let t = TestTorrent::single_file("one.bin", &content, 32 * 1024, &tracker.url());
    let mostly = FakeSeeder::start(&t, Behaviour::normal().corrupt_piece(BAD));
    // The honest seeder speaks up after a second: the first copy of piece
    // 17 surely comes from the other one, and fails.
    let late = common::slow::scaled(Duration::from_secs(1));
    let good = FakeSeeder::start(&t, Behaviour::normal().haves_later(late));
    let dir = TempDir::new("one-corrupt");
    let torrent = swarm(&t, &dir, &tracker, &[&mostly, &good]);
    let out = dir.0.join("out");
    let run = download(&torrent, &out, &[]);
    ok(&run);
    assert_files(&t, &out);
    let log = text(&run.stderr);
    let failures: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("failed its hash check"))
        .collect();
    let want = format!("piece {BAD} failed its hash check; fetching it again");
    assert!(!failures.is_empty(), "piece {BAD} never failed:\n{log}");
    assert!(
        failures.iter().all(|l| l.contains(&want)),
        "a good piece failed:\n{log}"
    );
}

#[test]
fn choking_and_have_only_seeders() {
    let tracker = FakeTracker::start();
    let content = pseudo_random_bytes(400 * 1024 + 5, 4);
    let t = TestTorrent::single_file("h.bin", &content, 16 * 1024, &tracker.url());
    let stingy = FakeSeeder::start(&t, Behaviour::normal().never_unchoke());
    let haves = FakeSeeder::start(&t, Behaviour::normal().haves_instead_of_bitfield());
    fetch_all("haves", &t, &tracker, &[&stingy, &haves]);
    assert_eq!(stingy.blocks_sent(), 0);
}

#[test]
fn silent_seeder_that_announces_pieces_late() {
    let tracker = FakeTracker::start();
    let content = pseudo_random_bytes(100 * 1024, 5);
    let t = TestTorrent::single_file("late.bin", &content, 16 * 1024, &tracker.url());
    let late = FakeSeeder::start(
        &t,
        Behaviour::normal().haves_later(Duration::from_millis(500)),
    );
    fetch_all("late", &t, &tracker, &[&late]);
}

/// BEP 10's `reqq` caps the requests bitsy keeps in flight to a peer.
/// The seeder holds requests until bitsy pauses, so it sees them pile up:
/// without `reqq` the first burst alone is 5 (the starting pipeline),
/// with `reqq` 2 never more than 2. `-v` names the peer's client.
#[test]
fn reqq_caps_requests_in_flight() {
    let tracker = FakeTracker::start();
    let content = pseudo_random_bytes(512 * 1024, 7);
    let t = TestTorrent::single_file("reqq.bin", &content, 64 * 1024, &tracker.url());
    for (behaviour, limit) in [
        (Behaviour::normal().hold_requests(), None),
        (Behaviour::normal().hold_requests().reqq(2), Some(2)),
    ] {
        let seeder = FakeSeeder::start(&t, behaviour);
        let dir = TempDir::new("reqq");
        let torrent = swarm(&t, &dir, &tracker, &[&seeder]);
        let out = dir.0.join("out");
        let run = download(&torrent, &out, &[]);
        ok(&run);
        assert_files(&t, &out);
        let held = seeder.max_held();
        match limit {
            None => assert!(held > 2, "without reqq, {held} at most"),
            Some(n) => {
                assert!(held >= 1 && held <= n, "{held} in flight, reqq {n}");
                let err = text(&run.stderr);
                assert!(err.contains("client fake-seeder"), "{err}");
            }
        }
    }
}

#[test]
fn multi_file_with_tiny_and_empty_files() {
    let tracker = FakeTracker::start();
    let a = pseudo_random_bytes(40_000, 6);
    let b = vec![0x42u8];
    let c = pseudo_random_bytes(16_383, 7);
    let d = pseudo_random_bytes(70_001, 8);
    let files: Vec<(&str, &[u8])> = vec![
        ("a.bin", &a),
        ("sub/one-byte", &b),
        ("sub/empty", &[]),
        ("sub/deeper/c.bin", &c),
        ("d.bin", &d),
    ];
    let t = TestTorrent::multi_file("multi", &files, 16 * 1024, &tracker.url());
    let seeder = FakeSeeder::start(&t, Behaviour::normal());
    fetch_all("multi", &t, &tracker, &[&seeder]);
}

/// Clashing paths are renamed at load (see `file_paths`), and the
/// download lands at the renamed paths, every file whole.
#[test]
fn clashing_paths_download_to_renamed_files() {
    let tracker = FakeTracker::start();
    let first = pseudo_random_bytes(20_000, 11);
    let second = pseudo_random_bytes(30_000, 12);
    let inner = pseudo_random_bytes(5_000, 13);
    let files: Vec<(&str, &[u8])> = vec![
        ("dir/a.txt", &first),
        ("dir/a.txt", &second),
        ("f", &inner),
        ("f/g", &first),
    ];
    let t = TestTorrent::multi_file("clash", &files, 16 * 1024, &tracker.url());
    let seeder = FakeSeeder::start(&t, Behaviour::normal());
    let dir = TempDir::new("clash");
    let torrent = swarm(&t, &dir, &tracker, &[&seeder]);
    let out = dir.0.join("out");
    let run = download(&torrent, &out, &[]);
    ok(&run);
    let log = text(&run.stderr);
    for said in [
        "path changed: file 1: \"dir/a.txt\" is now \"dir/a.1.txt\"",
        "\"f\" is now \"f.1\"",
    ] {
        assert!(log.contains(said), "{said:?} not said:\n{log}");
    }
    let want: [(&str, &[u8]); 4] = [
        ("dir/a.txt", &first),
        ("dir/a.1.txt", &second),
        ("f.1", &inner),
        ("f/g", &first),
    ];
    for (path, bytes) in want {
        let p = out.join("clash").join(path);
        let got = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert!(got == bytes, "{} differs from the original", p.display());
    }
}

#[test]
fn resume_reuses_good_pieces_and_repairs_bad_ones() {
    let tracker = FakeTracker::start();
    let content = pseudo_random_bytes(500 * 1024, 9);
    let t = TestTorrent::single_file("r.bin", &content, 32 * 1024, &tracker.url());
    let seeder = FakeSeeder::start(&t, Behaviour::normal());
    let dir = TempDir::new("resume");
    let torrent = swarm(&t, &dir, &tracker, &[&seeder]);
    let out = dir.0.join("out");
    // A file with the right first half and a damaged byte in piece 2.
    std::fs::create_dir_all(&out).unwrap();
    let mut partial = content.clone();
    partial.truncate(250 * 1024);
    partial[2 * 32 * 1024 + 5] ^= 0xff;
    std::fs::write(out.join("r.bin"), &partial).unwrap();
    let run = download(&torrent, &out, &[]);
    ok(&run);
    assert_files(&t, &out);
    // Pieces 0, 1, 3..7 were good (7 of 16); piece 2 was damaged.
    assert!(
        text(&run.stderr).contains("resume: 6 of 16 pieces"),
        "{}",
        text(&run.stderr)
    );
}

#[test]
fn no_peers_gives_up_with_its_own_exit_code() {
    let tracker = FakeTracker::start();
    let t = TestTorrent::single_file("n.bin", &[1, 2, 3], 16 * 1024, &tracker.url());
    let dir = TempDir::new("nopeers");
    let torrent = swarm(&t, &dir, &tracker, &[]);
    let run = download(&torrent, &dir.0.join("out"), &["--stall-timeout", "2"]);
    fails(&run, 5, "no peer");
}

/// A tracker that refuses every announce is retried (after 2 s, the first
/// back-off) until `--stall-timeout`; then bitsy exits 4 with its words.
#[test]
fn tracker_failure_is_retried_then_reported() {
    let tracker = FakeTracker::start();
    tracker.fail_with("torrent not registered here");
    let t = TestTorrent::single_file("f.bin", &[1, 2, 3], 16 * 1024, &tracker.url());
    let dir = TempDir::new("trackerfail");
    let torrent = t.write_to(&dir.0);
    let run = download(&torrent, &dir.0.join("out"), &["--stall-timeout", "4"]);
    fails(&run, 4, "torrent not registered here");
    assert!(
        tracker.announces().len() >= 2,
        "retried: {} announces",
        tracker.announces().len()
    );
    let err = text(&run.stderr);
    assert!(err.contains("retrying in 2s"), "{err}");
}

/// A tracker down for its first announces (HTTP 500), then answering with
/// a seeder: bitsy keeps retrying and the download completes.
#[test]
fn a_tracker_down_at_start_is_retried_until_it_answers() {
    let tracker = FakeTracker::start();
    let content = pseudo_random_bytes(100 * 1024, 12);
    let t = TestTorrent::single_file("late.bin", &content, 16 * 1024, &tracker.url());
    let seeder = FakeSeeder::start(&t, Behaviour::normal());
    let dir = TempDir::new("trackerlate");
    let torrent = swarm(&t, &dir, &tracker, &[&seeder]);
    tracker.set_reply(Reply::Raw {
        status: 500,
        body: b"internal error".to_vec(),
    });
    let out = dir.0.join("out");
    let child = Bitsy::start_download(&torrent, &out, &["--stall-timeout", "60"]);
    // The first announce and the retry 2 s later both fail.
    assert!(
        common::wait_until(Duration::from_secs(15), || tracker.announces().len() >= 2),
        "bitsy retried the tracker"
    );
    tracker.set_reply(Reply::Peers);
    let run = child.finish();
    ok(&run);
    assert_files(&t, &out);
    assert!(
        tracker.announces().len() >= 3,
        "it asked again and got the seeder"
    );
    let err = text(&run.stderr);
    assert!(err.contains("HTTP 500"), "{err}");
    assert!(err.contains("answered after"), "{err}");
}

#[test]
fn bad_torrent_is_refused_before_anything_is_created() {
    let dir = TempDir::new("bad");
    let torrent = dir.0.join("bad.torrent");
    // A file entry with `..` as a path component.
    let info = b"d5:filesld6:lengthi1e4:pathl2:..1:xeee4:name3:top12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaae";
    let mut bytes = b"d8:announce20:http://127.0.0.1:1/a4:info".to_vec();
    bytes.extend_from_slice(info);
    bytes.push(b'e');
    std::fs::write(&torrent, &bytes).unwrap();
    let out = dir.0.join("out");
    let run = download(&torrent, &out, &[]);
    fails(&run, 3, "..");
    assert!(!out.exists(), "nothing created");
}

#[test]
fn ctrl_c_stops_cleanly_and_announces_stopped() {
    let tracker = FakeTracker::start();
    let content = pseudo_random_bytes(64 * 1024, 10);
    let t = TestTorrent::single_file("s.bin", &content, 16 * 1024, &tracker.url());
    let stingy = FakeSeeder::start(&t, Behaviour::normal().never_unchoke());
    let dir = TempDir::new("sigint");
    let torrent = swarm(&t, &dir, &tracker, &[&stingy]);
    let out = dir.0.join("out");
    let child = Bitsy::start_download(&torrent, &out, &[]);
    assert!(
        tracker.wait_for_event("started", Duration::from_secs(10)),
        "bitsy announced started"
    );
    let run = child.interrupt();
    fails(&run, 130, "interrupted");
    assert!(tracker.wait_for_event("stopped", Duration::from_secs(5)));
}

/// `kill -9` in the middle of a download loses no verified piece: the next
/// run finds them on disk, says so, and fetches only the rest.
#[test]
fn sigkill_loses_no_verified_piece() {
    let tracker = FakeTracker::start();
    let content = pseudo_random_bytes(2 * 1024 * 1024, 11);
    let t = TestTorrent::single_file("k.bin", &content, 64 * 1024, &tracker.url());
    // Hangs up after 20 blocks (5 pieces) per connection: bitsy waits
    // seconds before reconnecting, which is when we kill it.
    let bursty = FakeSeeder::start(&t, Behaviour::normal().disconnect_after_blocks(20));
    let dir = TempDir::new("sigkill");
    let torrent = swarm(&t, &dir, &tracker, &[&bursty]);
    let out = dir.0.join("out");
    let args = [
        "download",
        torrent.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--port",
        "0",
        "--no-dht",
    ];
    let mut first = common::bitsy::command()
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Pieces are picked at random: wait for any one of them on disk.
    let a_piece_on_disk = common::wait_until(Duration::from_secs(20), || {
        std::fs::read(out.join("k.bin")).is_ok_and(|b| {
            b.len() == content.len()
                && b.chunks(65536)
                    .zip(content.chunks(65536))
                    .any(|(got, want)| got == want)
        })
    });
    first.kill().unwrap(); // SIGKILL: no clean-up of any kind
    first.wait().unwrap();
    assert!(a_piece_on_disk, "a first piece was written");

    tracker.set_peers(vec![]);
    let good = FakeSeeder::start(&t, Behaviour::normal());
    tracker.set_peers(vec![good.addr()]);
    let run = download(&torrent, &out, &[]);
    ok(&run);
    assert_files(&t, &out);
    let err = text(&run.stderr);
    let reused: u32 = err
        .lines()
        .find_map(|l| l.strip_prefix("resume: "))
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(
        reused >= 1,
        "the second run reused what the first verified: {err}"
    );
}
