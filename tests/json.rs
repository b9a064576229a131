//! `--json`: the real binary's stdout, parsed line by line with an
//! independent JSON parser (serde_json), against loopback fakes.
//!
//! Every test reads *every* line of stdout: each must be one JSON object
//! with `"v":1`, an `"event"` name and a `"t"` that never decreases, and
//! nothing else may be on stdout. Then the events are checked in order:
//! `start` first, `metadata` before any peer, `done` or `error` last.

mod common;

use common::fake_metadata_peer::{FakeMetadataPeer, MetaBehaviour};
use common::{Behaviour, Bitsy, FakeSeeder, FakeTracker, RawPeer, TempDir, TestTorrent, text};
use common::{pseudo_random_bytes, slow::scaled};
use serde_json::Value;
use std::net::{SocketAddr, TcpListener};
use std::process::{Output, Stdio};
use std::time::Duration;

/// Every line of stdout as a JSON object, after checking the envelope
/// every line shares.
fn events(run: &Output) -> Vec<Value> {
    let out = String::from_utf8(run.stdout.clone()).expect("stdout is UTF-8");
    let err = text(&run.stderr);
    assert!(
        out.ends_with('\n'),
        "stdout does not end a line: {out:?}\n{err}"
    );
    let mut last_t = 0.0;
    let mut all = Vec::new();
    for line in out.lines() {
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {line:?}\nstderr:\n{err}"));
        assert!(v.is_object(), "{line}");
        assert_eq!(v["v"], 1, "{line}");
        assert!(v["event"].is_string(), "{line}");
        let t = v["t"].as_f64().unwrap_or_else(|| panic!("no t: {line}"));
        assert!(t >= last_t, "t went back from {last_t}: {line}");
        // Millisecond precision: three decimals, no more.
        let decimals = line
            .split("\"t\":")
            .nth(1)
            .and_then(|r| r.split([',', '}']).next());
        assert!(
            decimals.is_some_and(|d| d.split('.').nth(1).is_some_and(|f| f.len() == 3)),
            "{line}"
        );
        last_t = t;
        all.push(v);
    }
    all
}

fn names(evs: &[Value]) -> Vec<&str> {
    evs.iter().map(|e| e["event"].as_str().unwrap()).collect()
}

fn of<'a>(evs: &'a [Value], name: &str) -> Vec<&'a Value> {
    evs.iter().filter(|e| e["event"] == name).collect()
}

/// The index of the first `name` event.
fn first(evs: &[Value], name: &str) -> usize {
    evs.iter()
        .position(|e| e["event"] == name)
        .unwrap_or_else(|| panic!("no {name} in {:?}", names(evs)))
}

/// A real download: two seeders, one of which sends a bad piece 5 (so
/// `hash_failed` names it). Every event the run must have is there, in
/// order, and the figures agree with the torrent.
#[test]
fn a_download_is_a_stream_of_events_and_nothing_else() {
    const BAD: u32 = 5;
    let tracker = FakeTracker::start();
    let content = pseudo_random_bytes(24 * 32 * 1024 + 77, 31);
    let t = TestTorrent::single_file("j.bin", &content, 32 * 1024, &tracker.url());
    let liar = FakeSeeder::start(&t, Behaviour::normal().corrupt_piece(BAD));
    // The honest seeder speaks up after a second: the first copy of the
    // bad piece surely comes from the liar.
    let late = scaled(Duration::from_secs(1));
    let good = FakeSeeder::start(&t, Behaviour::normal().haves_later(late));
    tracker.set_peers(vec![liar.addr(), good.addr()]);
    let dir = TempDir::new("json-download");
    let torrent = t.write_to(&dir.0);
    let out = dir.0.join("out");
    let run = Bitsy::download(&torrent, &out, &["--json"]);
    let err = text(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{err}");
    assert_eq!(std::fs::read(out.join("j.bin")).unwrap(), content);
    // No status line: it is off with --json (messages stay on stderr).
    assert!(!err.contains("ETA"), "{err}");

    let evs = events(&run);
    let seq = names(&evs);
    assert_eq!(seq[0], "start", "{seq:?}");
    assert_eq!(seq[1], "metadata", "{seq:?}");
    assert_eq!(seq.last(), Some(&"done"), "{seq:?}");
    // The peers' addresses came from the tracker.
    assert!(
        first(&evs, "tracker") < first(&evs, "peer_connected"),
        "{seq:?}"
    );
    assert_eq!(seq.iter().filter(|n| **n == "done").count(), 1);

    let start = &evs[0];
    assert_eq!(start["command"], "download");
    assert_eq!(start["source"], torrent.to_str().unwrap());
    assert_eq!(start["version"], env!("CARGO_PKG_VERSION"));

    let meta = &evs[1];
    assert_eq!(meta["info_hash"], t.info_hash_hex());
    assert_eq!(meta["name"], "j.bin");
    assert_eq!(meta["size"], content.len() as u64);
    assert_eq!(meta["piece_length"], 32 * 1024);
    assert_eq!(meta["pieces"], t.num_pieces());
    assert_eq!(
        meta["files"],
        serde_json::json!([{"path": "j.bin", "size": content.len()}])
    );

    let tr = of(&evs, "tracker");
    assert_eq!(tr[0]["ok"], true, "{:?}", tr[0]);
    assert_eq!(tr[0]["url"], tracker.url());
    assert_eq!(tr[0]["peers"], 2);
    assert!(tr[0]["interval"].as_u64().is_some_and(|i| i > 0));

    let seeders = [liar.addr().to_string(), good.addr().to_string()];
    for c in of(&evs, "peer_connected") {
        assert!(seeders.iter().any(|s| c["addr"] == s.as_str()), "{c}");
        assert_eq!(c["direction"], "out", "{c}");
        assert_eq!(c["source"], "tracker", "{c}");
    }

    let bad = of(&evs, "hash_failed");
    assert!(!bad.is_empty(), "no hash_failed in {seq:?}\n{err}");
    for b in &bad {
        assert_eq!(b["piece"], BAD, "{b}");
        assert_eq!(
            b["from"],
            serde_json::json!([liar.addr().to_string()]),
            "{b}"
        );
    }

    let progress = of(&evs, "progress");
    let last = progress.last().expect("a progress event");
    assert_eq!(last["have"], content.len() as u64, "{last}");
    assert_eq!(last["total"], content.len() as u64, "{last}");
    assert_eq!(last["wanted"], content.len() as u64, "{last}");
    for p in &progress {
        for key in ["down_rate", "up_rate", "uploaded", "peers"] {
            assert!(p[key].is_u64(), "{key} in {p}");
        }
        assert!(p["seeding"].is_boolean(), "{p}");
    }
    // Once a second, plus the last one: never two within 0.9 s but the last.
    let times: Vec<f64> = progress.iter().map(|p| p["t"].as_f64().unwrap()).collect();
    for w in times[..times.len().saturating_sub(1)].windows(2) {
        assert!(w[1] - w[0] >= 0.9, "progress too often: {times:?}");
    }

    let done = evs.last().unwrap();
    assert!(
        done["downloaded"].as_u64() >= Some(content.len() as u64),
        "{done}"
    );
    assert_eq!(done["reused"], 0);
    assert!(done["seconds"].as_f64().is_some_and(|s| s > 0.0), "{done}");
    assert!(done["download_seconds"].is_number(), "{done}");
}

/// A bitsy that fails ends its stream with `error`, whose exit code is
/// the process's; nothing follows it.
#[test]
fn a_failure_ends_with_an_error_event_carrying_the_exit_code() {
    let tracker = FakeTracker::start();
    let t = TestTorrent::single_file("n.bin", &[1, 2, 3], 16 * 1024, &tracker.url());
    let dir = TempDir::new("json-fail");
    let good = t.write_to(&dir.0);
    let garbage = dir.0.join("garbage.torrent");
    std::fs::write(&garbage, b"d4:infoi3ee").unwrap();
    let refusing = FakeTracker::start();
    refusing.fail_with("torrent not registered here");
    let t2 = TestTorrent::single_file("r.bin", &[4, 5], 16 * 1024, &refusing.url());
    let sub = dir.0.join("refused");
    std::fs::create_dir_all(&sub).unwrap();
    let refused = t2.write_to(&sub);
    let table = [
        // (what, torrent, code, words in the message, metadata known)
        ("no peer", &good, 5, "no peer", true),
        ("bad torrent", &garbage, 3, "bad torrent", false),
        (
            "tracker refuses",
            &refused,
            4,
            "torrent not registered here",
            true,
        ),
    ];
    for (what, torrent, code, says, known) in table {
        let out = dir.0.join(format!("out-{code}"));
        let run = Bitsy::download(torrent, &out, &["--json", "--stall-timeout", "2"]);
        assert_eq!(
            run.status.code(),
            Some(code),
            "{what}: {}",
            text(&run.stderr)
        );
        let evs = events(&run);
        let seq = names(&evs);
        assert_eq!(seq[0], "start", "{what}: {seq:?}");
        assert_eq!(seq.contains(&"metadata"), known, "{what}: {seq:?}");
        let last = evs.last().unwrap();
        assert_eq!(last["event"], "error", "{what}: {seq:?}");
        assert_eq!(last["exit_code"], code, "{what}: {last}");
        let message = last["message"].as_str().unwrap();
        assert!(message.contains(says), "{what}: {message}");
        // The same words as the human line on stderr.
        assert!(text(&run.stderr).contains(message), "{what}");
        if what == "tracker refuses" {
            let tr = of(&evs, "tracker");
            assert!(!tr.is_empty(), "{seq:?}");
            assert!(tr.iter().all(|e| e["ok"] == false && e["url"].is_null()));
            assert!(tr[0]["error"].as_str().unwrap().contains(says), "{}", tr[0]);
        }
    }
}

/// A magnet link: `metadata` comes after the metadata phase, with the
/// link's infohash, then the download runs as for a .torrent.
#[test]
fn a_magnet_download_says_when_the_metadata_is_known() {
    let tracker = FakeTracker::start();
    let content = pseudo_random_bytes(5 * 16 * 1024 + 9, 32);
    let t = TestTorrent::single_file("m.bin", &content, 16 * 1024, &tracker.url());
    let seeder = FakeSeeder::start(&t, Behaviour::normal());
    // The metadata from `peer`, the pieces from `seeder`: both only known
    // through the tracker, so its answer surely comes before the metadata.
    let peer = FakeMetadataPeer::start(MetaBehaviour::serving(t.info_hash, &t.info));
    tracker.set_peers(vec![peer.addr(), seeder.addr()]);
    let magnet = format!(
        "magnet:?xt=urn:btih:{}&tr={}",
        t.info_hash_hex(),
        tracker.url().replace(':', "%3A").replace('/', "%2F")
    );
    let dir = TempDir::new("json-magnet");
    let out = dir.0.join("out");
    let run = Bitsy::run(&[
        "download",
        &magnet,
        "-o",
        out.to_str().unwrap(),
        "--port",
        "0",
        "--json",
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    assert_eq!(std::fs::read(out.join("m.bin")).unwrap(), content);
    let evs = events(&run);
    let seq = names(&evs);
    assert_eq!(seq[0], "start", "{seq:?}");
    let want = format!("magnet:?xt=urn:btih:{}", t.info_hash_hex());
    assert_eq!(evs[0]["source"], want.as_str());
    assert_eq!(of(&evs, "metadata").len(), 1, "{seq:?}");
    // The link's tracker answered during the metadata phase.
    assert!(first(&evs, "tracker") < first(&evs, "metadata"), "{seq:?}");
    assert_eq!(evs[first(&evs, "metadata")]["info_hash"], t.info_hash_hex());
    assert!(first(&evs, "metadata") < first(&evs, "progress"), "{seq:?}");
    assert_eq!(seq.last(), Some(&"done"), "{seq:?}");
}

/// `bitsy seed --json`: an incoming peer is `in`, and Ctrl-C (a normal
/// end for a seed) ends the stream with `done`.
#[test]
fn a_seed_reports_incoming_peers_and_ends_with_done() {
    let tracker = FakeTracker::start();
    let content = pseudo_random_bytes(3 * 16 * 1024, 33);
    let t = TestTorrent::single_file("s.bin", &content, 16 * 1024, &tracker.url());
    let dir = TempDir::new("json-seed");
    let torrent = t.write_to(&dir.0);
    let data = dir.0.join("s.bin");
    std::fs::write(&data, &content).unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    let seed = Bitsy::start(&[
        "seed",
        torrent.to_str().unwrap(),
        data.to_str().unwrap(),
        "--port",
        &port.to_string(),
        "--json",
    ]);
    assert!(
        tracker.wait_for_event("started", scaled(Duration::from_secs(20))),
        "the seed never announced"
    );
    let peer = RawPeer::connect(SocketAddr::from(([127, 0, 0, 1], port)), &t.info_hash);
    // Connected for longer than a second: some progress counts it.
    std::thread::sleep(scaled(Duration::from_millis(1500)));
    drop(peer);
    std::thread::sleep(scaled(Duration::from_millis(500)));
    let run = seed.interrupt();
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let evs = events(&run);
    let seq = names(&evs);
    assert_eq!(&seq[..2], ["start", "metadata"], "{seq:?}");
    assert_eq!(evs[0]["command"], "seed");
    assert_eq!(seq.last(), Some(&"done"), "{seq:?}");
    let c = &evs[first(&evs, "peer_connected")];
    assert_eq!(
        (&c["direction"], &c["source"]),
        (&"in".into(), &"incoming".into())
    );
    let closed = &evs[first(&evs, "peer_closed")];
    assert_eq!(closed["addr"], c["addr"]);
    assert_eq!(closed["connected"], true);
    assert!(
        closed["reason"].as_str().is_some_and(|r| !r.is_empty()),
        "{closed}"
    );
    // Complete from the start: the last says seeding (the first, before
    // the session's first completion check, may not yet).
    let p = of(&evs, "progress");
    assert!(p.iter().all(|p| p["have"] == content.len() as u64), "{p:?}");
    assert_eq!(p.last().unwrap()["seeding"], true, "{p:?}");
    assert!(p.iter().any(|p| p["peers"] == 1), "the raw peer: {p:?}");
}

/// A reader that goes away: with stdout closed, writing events fails
/// (EPIPE, not a signal: Rust ignores SIGPIPE), the stream stops and the
/// download still completes, exit 0, no panic.
#[test]
fn a_closed_stdout_does_not_stop_the_download() {
    let tracker = FakeTracker::start();
    let content = pseudo_random_bytes(8 * 16 * 1024 + 1, 34);
    let t = TestTorrent::single_file("c.bin", &content, 16 * 1024, &tracker.url());
    let seeder = FakeSeeder::start(&t, Behaviour::normal());
    tracker.set_peers(vec![seeder.addr()]);
    let dir = TempDir::new("json-closed");
    let torrent = t.write_to(&dir.0);
    let out = dir.0.join("out");
    let mut child = common::bitsy::command_with_state()
        .args([
            "download",
            torrent.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .args(["--port", "0", "--no-dht", "--json"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start bitsy");
    drop(child.stdout.take()); // the reader is gone before the first line
    let run = common::bitsy::wait(child);
    let err = text(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(std::fs::read(out.join("c.bin")).unwrap(), content);
}

/// Ctrl-C before the download completes: exit 130, and the last line is
/// the `error` that says so.
#[test]
fn ctrl_c_before_the_end_is_an_error_event_with_130() {
    let tracker = FakeTracker::start();
    let t = TestTorrent::single_file("i.bin", &[9; 100], 16 * 1024, &tracker.url());
    let dir = TempDir::new("json-interrupt");
    let torrent = t.write_to(&dir.0);
    let out = dir.0.join("out");
    let child = Bitsy::start_download(&torrent, &out, &["--json", "--stall-timeout", "60"]);
    assert!(
        tracker.wait_for_event("started", scaled(Duration::from_secs(20))),
        "bitsy never announced"
    );
    let run = child.interrupt();
    assert_eq!(run.status.code(), Some(130), "{}", text(&run.stderr));
    let evs = events(&run);
    let last = evs.last().unwrap();
    assert_eq!(last["event"], "error", "{:?}", names(&evs));
    assert_eq!(last["exit_code"], 130);
    assert!(
        last["message"].as_str().unwrap().contains("interrupted"),
        "{last}"
    );
}

/// `--select`: `wanted` is the selected file's pieces, less than
/// `total`; `metadata` lists every file with its path.
#[test]
fn a_selection_is_wanted_not_total() {
    let tracker = FakeTracker::start();
    let a = pseudo_random_bytes(3 * 16 * 1024, 35);
    let b = pseudo_random_bytes(4 * 16 * 1024 + 5, 36);
    let files: [(&str, &[u8]); 2] = [("a.bin", &a), ("sub/b.bin", &b)];
    let t = TestTorrent::multi_file("album", &files, 16 * 1024, &tracker.url());
    let seeder = FakeSeeder::start(&t, Behaviour::normal());
    tracker.set_peers(vec![seeder.addr()]);
    let dir = TempDir::new("json-select");
    let torrent = t.write_to(&dir.0);
    let out = dir.0.join("out");
    let run = Bitsy::download(&torrent, &out, &["--json", "--select", "2"]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    assert_eq!(std::fs::read(out.join("album/sub/b.bin")).unwrap(), b);
    let evs = events(&run);
    let meta = &evs[first(&evs, "metadata")];
    let want_files = serde_json::json!([
        {"path": "album/a.bin", "size": a.len()},
        {"path": "album/sub/b.bin", "size": b.len()},
    ]);
    assert_eq!(meta["files"], want_files);
    let total = (a.len() + b.len()) as u64;
    // b.bin starts at 48 KiB, on a piece boundary: its 5 pieces exactly.
    let wanted = b.len() as u64;
    let last = *of(&evs, "progress").last().unwrap();
    assert_eq!(
        (&last["have"], &last["wanted"], &last["total"]),
        (&wanted.into(), &wanted.into(), &total.into()),
        "{last}"
    );
    assert_eq!(names(&evs).last(), Some(&"done"));
}
