//! `bitsy download URL` and `bitsy info URL`: the .torrent comes from a
//! tiny HTTP server on loopback (`common::web_server`), the data from a
//! fake seeder listed by a fake tracker.
//!
//! Checked: the download completes and a copy of the .torrent is kept in
//! the output folder (and never written over a different file); a 404 and
//! a body over the 10 MiB limit are bad torrents (exit 3) that create
//! nothing, not even the output folder.

mod common;

use common::{
    Behaviour, Bitsy, FakeSeeder, FakeTracker, TempDir, TestTorrent, WebServer, ok,
    pseudo_random_bytes, text,
};
use std::process::Output;

/// The limit on a .torrent, as bitsy's metainfo module has it.
const MAX_TORRENT_FILE_LEN: usize = 10 * 1024 * 1024;

fn download(url: &str, out: &std::path::Path) -> Output {
    Bitsy::run(&["download", url, "-o", out.to_str().unwrap(), "--port", "0"])
}

/// bitsy failed with exit code `code` and said `says` on stderr.
fn fails(run: &Output, code: i32, says: &str) {
    let err = text(&run.stderr);
    assert_eq!(run.status.code(), Some(code), "{err}");
    assert!(err.contains(says), "{says:?} not in: {err}");
}

/// A 5-piece torrent whose tracker lists one seeder.
fn swarm(tracker: &FakeTracker) -> (TestTorrent, FakeSeeder) {
    let content = pseudo_random_bytes(150_000, 7);
    let t = TestTorrent::single_file("from-web.bin", &content, 32 * 1024, &tracker.url());
    let seeder = FakeSeeder::start(&t, Behaviour::normal());
    tracker.set_peers(vec![seeder.addr()]);
    (t, seeder)
}

#[test]
fn download_from_an_http_url_keeps_a_copy_of_the_torrent() {
    let tracker = FakeTracker::start();
    let (t, _seeder) = swarm(&tracker);
    let web = WebServer::start(&[("/get/x.torrent", t.torrent.clone())]);
    let dir = TempDir::new("url-download");
    let out = dir.0.join("out");

    let run = download(&web.url("/get/x.torrent"), &out);
    ok(&run);
    assert_eq!(std::fs::read(out.join("from-web.bin")).unwrap(), t.content);
    let copy = out.join("from-web.bin.torrent");
    assert_eq!(std::fs::read(&copy).unwrap(), t.torrent, "the kept copy");
    assert!(
        text(&run.stderr).contains("saved the .torrent as"),
        "{}",
        text(&run.stderr)
    );

    // Again: the same copy is left alone, the data is checked, not fetched.
    let again = download(&web.url("/get/x.torrent"), &out);
    ok(&again);
    assert!(
        text(&again.stderr).contains("already at"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(web.requests(), 2);
}

#[test]
fn a_different_torrent_file_in_the_way_is_not_overwritten() {
    let tracker = FakeTracker::start();
    let (t, _seeder) = swarm(&tracker);
    let web = WebServer::start(&[("/x.torrent", t.torrent.clone())]);
    let dir = TempDir::new("url-clash");
    let out = dir.0.join("out");
    std::fs::create_dir(&out).unwrap();
    let mine = out.join("from-web.bin.torrent");
    std::fs::write(&mine, b"my own file").unwrap();

    let run = download(&web.url("/x.torrent"), &out);
    ok(&run);
    assert_eq!(std::fs::read(&mine).unwrap(), b"my own file");
    assert!(
        text(&run.stderr).contains("not saving the .torrent"),
        "{}",
        text(&run.stderr)
    );
    assert_eq!(std::fs::read(out.join("from-web.bin")).unwrap(), t.content);
}

#[test]
fn info_from_an_http_url() {
    let t = TestTorrent::single_file("listed.bin", &[1; 1000], 16384, "http://t/announce");
    let web = WebServer::start(&[("/a.torrent", t.torrent.clone())]);
    let run = Bitsy::run(&["info", &web.url("/a.torrent")]);
    ok(&run);
    let report = text(&run.stdout);
    assert!(report.contains("listed.bin"), "{report}");
    assert!(report.contains(&t.info_hash_hex()), "{report}");
}

#[test]
fn not_found_and_too_large_are_bad_torrents_and_create_nothing() {
    let t = TestTorrent::single_file("small.bin", &[1; 1000], 16384, "http://t/announce");
    // Valid bencode start, then padding: only the size can refuse it.
    let mut huge = t.torrent.clone();
    huge.resize(MAX_TORRENT_FILE_LEN + 1, b'x');
    let web = WebServer::start(&[("/huge.torrent", huge), ("/ok.torrent", t.torrent.clone())]);
    let dir = TempDir::new("url-refused");
    let out = dir.0.join("out");

    let cases = [
        ("/missing.torrent", "HTTP 404"),
        ("/huge.torrent", "larger than the limit of 10485760 bytes"),
    ];
    for (path, says) in cases {
        let url = web.url(path);
        let run = download(&url, &out);
        fails(&run, 3, says);
        fails(&run, 3, &url);
        assert!(!out.exists(), "{path}: the output folder was created");
    }
    // Nothing listens on this port (it was just free): unreachable.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let run = Bitsy::run(&["info", &format!("http://127.0.0.1:{port}/x.torrent")]);
    fails(&run, 3, "bad torrent");
}
