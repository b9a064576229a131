//! `bitsy download X.torrent -o -`: the content on stdout, verified and in
//! order, end to end against a fake tracker and fake seeders on loopback
//! that serve out of order.
//!
//! bitsy's stdout is an OS pipe into a second real process (`sha256sum`,
//! `head -c 100`), the pipe a shell makes for `bitsy ... | sha256sum`;
//! the test holds both PIDs, so each is waited for with a bound and
//! stopped by PID. The expected digest is `sha256sum` of the file itself.

mod common;

use common::bitsy::{command_with_state, wait};
use common::fake_metadata_peer::{FakeMetadataPeer, MetaBehaviour};
use common::fake_web_seed::{FakeWebSeed, Fault};
use common::{Behaviour, FakeSeeder, FakeTracker, TempDir, TestTorrent, pseudo_random_bytes, text};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// 16 KiB pieces: one block each, so a seeder's reversed batch of
/// requests is a batch of pieces completing last first.
const PIECE: u32 = 16 * 1024;

/// Runs `bitsy download TORRENT -o - --port 0 --no-dht EXTRA...` in `cwd`
/// with its stdout piped into `consumer`; both outputs.
fn stream_into(cwd: &Path, torrent: &str, extra: &[&str], consumer: &[&str]) -> (Output, Output) {
    let mut bitsy = command_with_state()
        .current_dir(cwd)
        .args(["download", torrent, "-o", "-"])
        .args(["--port", "0", "--no-dht"])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start bitsy");
    let pipe = bitsy.stdout.take().expect("bitsy's stdout");
    let reader = Command::new(consumer[0])
        .args(&consumer[1..])
        .stdin(Stdio::from(pipe))
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the reader");
    let b = wait(bitsy);
    let r = wait(reader);
    (b, r)
}

/// `sha256sum` of `bytes` (written to a file in `dir`): the hex digest.
fn sha256(dir: &Path, bytes: &[u8]) -> String {
    let path = dir.join("expected.bin");
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("sha256sum").arg(&path).output().unwrap();
    let digest = first_word(&out.stdout);
    std::fs::remove_file(&path).unwrap();
    digest
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temp path")
}

fn first_word(b: &[u8]) -> String {
    text(b).split_whitespace().next().unwrap_or("").to_string()
}

/// Every entry of `dir` (it must stay empty: a stream writes no file).
fn entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// Three seeders that serve their requests in reversed batches: one has
/// every piece, one the even pieces, one the odd ones.
fn seeders(t: &TestTorrent) -> Vec<FakeSeeder> {
    let n = t.num_pieces();
    let even: Vec<u32> = (0..n).filter(|i| i % 2 == 0).collect();
    let odd: Vec<u32> = (0..n).filter(|i| i % 2 == 1).collect();
    vec![
        FakeSeeder::start(t, Behaviour::normal().serve_reversed()),
        FakeSeeder::start(t, Behaviour::normal().serve_reversed().only_pieces(&even)),
        FakeSeeder::start(t, Behaviour::normal().serve_reversed().only_pieces(&odd)),
    ]
}

fn addrs(seeders: &[FakeSeeder]) -> Vec<std::net::SocketAddr> {
    seeders.iter().map(FakeSeeder::addr).collect()
}

#[test]
fn a_single_file_streams_to_sha256sum_from_seeders_serving_out_of_order() {
    let tracker = FakeTracker::start();
    // 200 pieces and a short last one.
    let content = pseudo_random_bytes(200 * PIECE as usize - 1234, 41);
    let t = TestTorrent::single_file("movie.bin", &content, PIECE, &tracker.url());
    let seeders = seeders(&t);
    tracker.set_peers(addrs(&seeders));
    let dir = TempDir::new("stream-single");
    let file = t.write_to(&dir.0);
    let cwd = dir.0.join("cwd");
    std::fs::create_dir(&cwd).unwrap();

    let (bitsy, sum) = stream_into(&cwd, path(&file), &[], &["sha256sum"]);

    assert!(
        bitsy.status.success(),
        "{:?}: {}",
        bitsy.status,
        text(&bitsy.stderr)
    );
    assert_eq!(first_word(&sum.stdout), sha256(&dir.0, &content));
    assert!(
        text(&bitsy.stderr).contains("streamed movie.bin"),
        "{}",
        text(&bitsy.stderr)
    );
    assert!(
        entries(&cwd).is_empty(),
        "nothing on disk: {:?}",
        entries(&cwd)
    );
    let served: u64 = seeders.iter().map(FakeSeeder::blocks_sent).sum();
    assert!(
        served >= 200,
        "every piece came from the seeders ({served})"
    );
}

/// 16 KiB pieces; `b.bin` starts inside piece 2 and ends inside piece 4,
/// sharing both with its neighbours.
fn multi(tracker: &FakeTracker) -> (TestTorrent, Vec<Vec<u8>>) {
    let files = vec![
        pseudo_random_bytes(40_000, 51),
        pseudo_random_bytes(30_000, 52),
        pseudo_random_bytes(20_000, 53),
    ];
    let list: Vec<(&str, &[u8])> = vec![
        ("a.bin", &files[0]),
        ("sub/b.bin", &files[1]),
        ("c.bin", &files[2]),
    ];
    let t = TestTorrent::multi_file("album", &list, PIECE, &tracker.url());
    (t, files)
}

#[test]
fn select_streams_one_file_of_a_multi_file_torrent() {
    let tracker = FakeTracker::start();
    let (t, files) = multi(&tracker);
    let seeders = seeders(&t);
    tracker.set_peers(addrs(&seeders));
    let dir = TempDir::new("stream-select");
    let file = t.write_to(&dir.0);
    let cwd = dir.0.join("cwd");
    std::fs::create_dir(&cwd).unwrap();

    for (n, want) in files.iter().enumerate() {
        let number = (n + 1).to_string();
        let (bitsy, sum) = stream_into(&cwd, path(&file), &["--select", &number], &["sha256sum"]);
        assert!(
            bitsy.status.success(),
            "file {number}: {}",
            text(&bitsy.stderr)
        );
        assert_eq!(
            first_word(&sum.stdout),
            sha256(&dir.0, want),
            "file {number}"
        );
    }
    assert!(
        entries(&cwd).is_empty(),
        "no file, no part file: {:?}",
        entries(&cwd)
    );
}

#[test]
fn a_closed_stdout_ends_bitsy_cleanly() {
    let tracker = FakeTracker::start();
    // Far more than a pipe holds (64 KiB), so writes go on after `head`
    // has gone.
    let content = pseudo_random_bytes(256 * PIECE as usize, 61);
    let t = TestTorrent::single_file("big.bin", &content, PIECE, &tracker.url());
    let seeders = seeders(&t);
    tracker.set_peers(addrs(&seeders));
    let dir = TempDir::new("stream-head");
    let file = t.write_to(&dir.0);

    let (bitsy, head) = stream_into(&dir.0, path(&file), &[], &["head", "-c", "100"]);

    let err = text(&bitsy.stderr);
    assert_eq!(bitsy.status.code(), Some(0), "{err}");
    assert_eq!(head.stdout, &content[..100]);
    assert!(!err.contains("panic") && !err.contains("bitsy:"), "{err}");
    assert!(err.contains("stdout closed"), "{err}");
}

#[test]
fn what_cannot_stream_is_refused_before_any_peer() {
    let tracker = FakeTracker::start();
    let (t, _) = multi(&tracker);
    let dir = TempDir::new("stream-refuse");
    let file = t.write_to(&dir.0);
    let torrent = file.to_str().unwrap();
    let single = TestTorrent::single_file("one.bin", &[7; 5000], PIECE, &tracker.url());
    let one = single.write_to(&dir.0);
    let one = one.to_str().unwrap();
    // (arguments, what stderr says)
    let cases: &[(&[&str], &str)] = &[
        (
            &["download", torrent, "-o", "-"],
            "streams one file, and this torrent has 3",
        ),
        (
            &["download", torrent, "-o", "-", "--select", "1,3"],
            "streams one file, and --select names 2",
        ),
        (
            &["download", one, "-o", "-", "--seed"],
            "keeps no copy to seed from",
        ),
        (
            &["download", one, "-o", "-", "--seed-ratio", "2"],
            "keeps no copy to seed from",
        ),
        (&["seed", one, "-"], "`-` is not one"),
        (
            &["seed", one, ".", "-o", "-"],
            "`bitsy seed` does not take -o",
        ),
    ];
    for (args, says) in cases {
        let out = command_with_state()
            .current_dir(&dir.0)
            .args(*args)
            .args(["--port", "0", "--no-dht"])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(
            out.stdout.is_empty(),
            "{args:?}: stdout carries content only"
        );
    }
    assert!(
        tracker.announces().is_empty(),
        "no job got as far as the tracker"
    );
}

#[test]
fn a_web_seed_alone_streams_in_order() {
    // No tracker: a web seed (BEP 19) is the only source.
    let content = pseudo_random_bytes(40 * 32 * 1024 - 777, 71);
    let t0 = TestTorrent::single_file("ws.bin", &content, 32 * 1024, "");
    let web = FakeWebSeed::start(&[("/dl/ws.bin", &t0.content)], Fault::None);
    let t = t0.with_url_list("", &[&web.url("/dl/")]);
    let dir = TempDir::new("stream-web");
    let file = t.write_to(&dir.0);

    let (bitsy, sum) = stream_into(&dir.0, path(&file), &[], &["sha256sum"]);

    assert!(bitsy.status.success(), "{}", text(&bitsy.stderr));
    assert_eq!(first_word(&sum.stdout), sha256(&dir.0, &content));
    assert!(web.requests() >= 1);
}

#[test]
fn a_reader_that_reads_nothing_stalls_the_stream_not_bitsy() {
    let tracker = FakeTracker::start();
    // 4 MiB: the whole file fits in the window (32 MiB), and far more
    // than the pipe holds (64 KiB).
    let content = pseudo_random_bytes(256 * PIECE as usize, 81);
    let t = TestTorrent::single_file("stuck.bin", &content, PIECE, &tracker.url());
    let seeders = seeders(&t);
    tracker.set_peers(addrs(&seeders));
    let dir = TempDir::new("stream-stuck");
    let file = t.write_to(&dir.0);
    let mut bitsy = command_with_state()
        .current_dir(&dir.0)
        .args(["download", file.to_str().unwrap(), "-o", "-"])
        .args(["--port", "0", "--no-dht"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start bitsy");
    let pipe = bitsy.stdout.take().expect("bitsy's stdout");
    // `sleep` never reads its stdin: the writer blocks once the pipe is full.
    let _sleeper = KillOnDrop(
        Command::new("sleep")
            .arg("120")
            .stdin(Stdio::from(pipe))
            .spawn()
            .expect("start sleep"),
    );

    // Every piece still arrives: the main thread is not the one blocked.
    let fetched = common::wait_until(Duration::from_secs(30), || {
        seeders.iter().map(FakeSeeder::blocks_sent).sum::<u64>() >= 256
    });
    let running = bitsy.try_wait().unwrap().is_none();
    // Ctrl-C is heard although stdout is stuck: exit 130, it is not all out.
    let _ = Command::new("kill")
        .args(["-INT", &bitsy.id().to_string()])
        .status();
    let out = wait(bitsy);
    let err = text(&out.stderr);
    assert!(fetched, "the download went on behind a stuck stdout: {err}");
    assert!(running, "bitsy cannot have finished: {err}");
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(!err.contains("panic"), "{err}");
}

/// A helper process, killed by PID and reaped when the test ends, even
/// on a failed assertion.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_magnet_link_streams_and_keeps_no_copy_of_its_metadata() {
    let tracker = FakeTracker::start();
    let (t, files) = multi(&tracker);
    let seeders = seeders(&t);
    tracker.set_peers(addrs(&seeders));
    let peer = FakeMetadataPeer::start(MetaBehaviour::serving(t.info_hash, &t.info));
    // The metadata from `peer`; the pieces from the seeders the tracker lists.
    let magnet = format!(
        "magnet:?xt=urn:btih:{}&x.pe={}&tr={}",
        t.info_hash_hex(),
        peer.addr(),
        tracker.url().replace(':', "%3A").replace('/', "%2F")
    );
    let dir = TempDir::new("stream-magnet");

    let (bitsy, sum) = stream_into(&dir.0, &magnet, &["--select", "2"], &["sha256sum"]);

    assert!(bitsy.status.success(), "{}", text(&bitsy.stderr));
    assert!(peer.served() >= 1, "the metadata came from the peer");
    let want = files[1].clone();
    assert_eq!(first_word(&sum.stdout), sha256(&dir.0, &want));
    assert!(
        entries(&dir.0).is_empty(),
        "no .torrent kept: {:?}",
        entries(&dir.0)
    );
}

/// `--max-memory` sets the window: 512 KiB is 16 pieces of 16 KiB (and
/// 8 blocks, 2 peers), far less than the file's 200; it still streams
/// whole and in order from seeders serving out of order.
#[test]
fn a_small_memory_budget_is_a_small_window_and_the_stream_is_whole() {
    let tracker = FakeTracker::start();
    let content = pseudo_random_bytes(200 * PIECE as usize, 43);
    let t = TestTorrent::single_file("small.bin", &content, PIECE, &tracker.url());
    let seeders = seeders(&t);
    tracker.set_peers(addrs(&seeders));
    let dir = TempDir::new("stream-budget");
    let file = t.write_to(&dir.0);
    let cwd = dir.0.join("cwd");
    std::fs::create_dir(&cwd).unwrap();

    let extra = ["--max-memory", "512K", "-v"];
    let (bitsy, sum) = stream_into(&cwd, path(&file), &extra, &["sha256sum"]);

    let stderr = text(&bitsy.stderr);
    assert!(bitsy.status.success(), "{:?}: {stderr}", bitsy.status);
    assert!(
        stderr.contains("memory: 16 pieces of 16.0 KiB, 8 blocks, 2 peers: 512.0 KiB in all"),
        "{stderr}"
    );
    assert_eq!(first_word(&sum.stdout), sha256(&dir.0, &content));
}
