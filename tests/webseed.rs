//! Web seeds (BEP 19) end to end: `bitsy download` as a process against
//! `common::fake_web_seed`, a loopback HTTP server that serves a file by
//! `Range` or commits one fault on every request.
//!
//! Checked: a torrent whose only source is a web seed downloads
//! completely (single-file and multi-file URL forms, pieces spanning
//! files); a web seed beside a peer (through a tracker) downloads with
//! both; for each fault (404, 500, short body, 200 with the whole file,
//! wrong `Content-Range`, redirect loop, slow drip, bad data) the download
//! completes when an honest web seed is there too, and ends with a clear
//! error in bounded time when the faulty one is the only source; a
//! `file://` or `ftp://` URL is refused with a message, never fetched;
//! an `https://` web seed works with the CA of `SSL_CERT_FILE`; and a
//! magnet link's `ws=` is used like a `url-list` entry.

mod common;

use common::fake_web_seed::{FakeWebSeed, Fault};
use common::{
    Behaviour, Bitsy, FakeSeeder, FakeTracker, TempDir, TestTorrent, ok, pseudo_random_bytes, text,
};
use std::time::{Duration, Instant};

/// Every fault the fake commits.
const FAULTS: [Fault; 8] = [
    Fault::NotFound,
    Fault::ServerError,
    Fault::ShortBody,
    Fault::WholeFile,
    Fault::WrongRange,
    Fault::RedirectLoop,
    Fault::SlowDrip,
    Fault::BadData,
];

/// A single-file torrent of 20 pieces of 32 KiB (the last one short),
/// with no tracker and `urls` as its url-list.
fn single(urls: &[&str]) -> TestTorrent {
    let content = pseudo_random_bytes(20 * 32 * 1024 - 1000, 19);
    TestTorrent::single_file("ws.bin", &content, 32 * 1024, "").with_url_list("", urls)
}

/// A web seed serving the single-file torrent's file at `/dl/ws.bin`.
fn serve_single(t: &TestTorrent, fault: Fault) -> FakeWebSeed {
    FakeWebSeed::start(&[("/dl/ws.bin", &t.content)], fault)
}

#[test]
fn a_web_seed_alone_downloads_a_single_file_torrent() {
    let t0 = single(&[]);
    let web = serve_single(&t0, Fault::None);
    // The trailing-slash form: the name is appended.
    let t = t0.with_url_list("", &[&web.url("/dl/")]);
    let dir = TempDir::new("ws-single");
    let run = Bitsy::download(&t.write_to(&dir.0), &dir.0.join("out"), &[]);
    ok(&run);
    assert_eq!(std::fs::read(dir.0.join("out/ws.bin")).unwrap(), t.content);
    assert!(web.requests() >= 1);
    // Every byte came from the web seed, each about once.
    let n = t.content.len() as u64;
    assert!(
        web.body_bytes() >= n && web.body_bytes() < 2 * n,
        "{}",
        web.body_bytes()
    );
}

#[test]
fn a_web_seed_alone_downloads_a_multi_file_torrent() {
    // Odd sizes: pieces span files, one file is smaller than a piece, one
    // is empty (never asked for), one name needs percent-encoding.
    let a = pseudo_random_bytes(50_000, 1);
    let b = pseudo_random_bytes(7_000, 2);
    let c = pseudo_random_bytes(100_001, 3);
    let files: [(&str, &[u8]); 4] = [
        ("a.bin", &a),
        ("sub dir/b.bin", &b),
        ("empty", &[]),
        ("sub dir/c#1.bin", &c),
    ];
    let t0 = TestTorrent::multi_file("multi", &files, 16 * 1024, "");
    let web = FakeWebSeed::start(
        &[
            ("/base/multi/a.bin", &a),
            ("/base/multi/sub%20dir/b.bin", &b),
            ("/base/multi/sub%20dir/c%231.bin", &c),
        ],
        Fault::None,
    );
    // Without the trailing slash: one is added before the name.
    let t = t0.with_url_list("", &[&web.url("/base")]);
    let dir = TempDir::new("ws-multi");
    let run = Bitsy::download(&t.write_to(&dir.0), &dir.0.join("out"), &[]);
    ok(&run);
    for (path, bytes) in files {
        let got = std::fs::read(dir.0.join("out/multi").join(path)).unwrap();
        assert_eq!(got, bytes, "{path}");
    }
}

#[test]
fn a_peer_and_a_web_seed_are_both_used() {
    let tracker = FakeTracker::start();
    let content = pseudo_random_bytes(8 * 1024 * 1024, 5);
    let t0 = TestTorrent::single_file("both.bin", &content, 64 * 1024, &tracker.url());
    // Paced (about 6 MB/s on two connections): the peer, found through
    // the tracker a moment later, still has most of the file to take.
    let web = FakeWebSeed::start(&[("/both.bin", &content)], Fault::Paced);
    let t = t0.with_url_list(&tracker.url(), &[&web.url("/both.bin")]);
    let seeder = FakeSeeder::start(&t, Behaviour::normal());
    tracker.set_peers(vec![seeder.addr()]);
    let dir = TempDir::new("ws-both");
    let run = Bitsy::download(&t.write_to(&dir.0), &dir.0.join("out"), &[]);
    ok(&run);
    assert_eq!(std::fs::read(dir.0.join("out/both.bin")).unwrap(), content);
    assert!(web.body_bytes() > 0, "the web seed was not used");
    assert!(seeder.blocks_sent() > 0, "the peer was not used");
}

#[test]
fn each_fault_beside_an_honest_web_seed_still_completes() {
    let t0 = single(&[]);
    let good = serve_single(&t0, Fault::None);
    for fault in FAULTS {
        let bad = serve_single(&t0, fault);
        let t = t0
            .clone()
            .with_url_list("", &[&bad.url("/dl/ws.bin"), &good.url("/dl/ws.bin")]);
        let dir = TempDir::new("ws-fault-beside");
        let run = Bitsy::download(&t.write_to(&dir.0), &dir.0.join("out"), &[]);
        ok(&run);
        let got = std::fs::read(dir.0.join("out/ws.bin")).unwrap();
        assert!(got == t.content, "{fault:?}: wrong data");
        assert!(
            bad.requests() >= 1,
            "{fault:?}: the faulty seed was never asked"
        );
    }
}

#[test]
fn each_fault_alone_ends_with_a_clear_error_in_bounded_time() {
    // (fault, what the error names)
    let cases = [
        (Fault::NotFound, "the file is not there (HTTP 404)"),
        (Fault::ServerError, "busy or failing (HTTP 500)"),
        (Fault::ShortBody, "the body ended after"),
        (Fault::WholeFile, "ignores range requests"),
        (Fault::WrongRange, "another range than asked"),
        (Fault::RedirectLoop, "redirects"),
        (Fault::SlowDrip, "too slow"),
        (Fault::BadData, "failed their hash check"),
    ];
    for (fault, says) in cases {
        let t0 = single(&[]);
        let bad = serve_single(&t0, fault);
        let t = t0.with_url_list("", &[&bad.url("/dl/ws.bin")]);
        let dir = TempDir::new("ws-fault-alone");
        let started = Instant::now();
        let run = Bitsy::download(&t.write_to(&dir.0), &dir.0.join("out"), &[]);
        let took = started.elapsed();
        let err = text(&run.stderr);
        assert!(!run.status.success(), "{fault:?}: succeeded?\n{err}");
        assert!(err.contains("no source left"), "{fault:?}: {err}");
        assert!(err.contains(says), "{fault:?}: {says:?} not in {err}");
        // Natively well under a minute; scaled for emulators (qemu: x10).
        let bound = common::slow::scaled(Duration::from_secs(60));
        assert!(took < bound, "{fault:?}: took {took:?}");
    }
}

#[test]
fn urls_that_are_not_http_are_refused_and_never_fetched() {
    let t0 = single(&[]);
    let web = serve_single(&t0, Fault::None);
    let t = t0.with_url_list(
        "",
        &[
            "file:///etc/passwd",
            "ftp://127.0.0.1/ws.bin",
            &web.url("/dl/ws.bin"),
        ],
    );
    let dir = TempDir::new("ws-schemes");
    let run = Bitsy::download(&t.write_to(&dir.0), &dir.0.join("out"), &[]);
    ok(&run);
    let err = text(&run.stderr);
    assert!(err.contains("file:// is not supported"), "{err}");
    assert!(err.contains("ftp:// is not supported"), "{err}");
    assert_eq!(std::fs::read(dir.0.join("out/ws.bin")).unwrap(), t.content);
}

/// HTTPS in the default build, trusting the CA named by `SSL_CERT_FILE`
/// as trackers do: the fake web seed behind a TLS front (`TlsProxy`).
#[cfg(feature = "https")]
#[test]
fn a_web_seed_over_https() {
    use common::{TestCa, TlsProxy};
    use std::process::Stdio;
    let dir = TempDir::new("ws-https");
    let ca = TestCa::make(&dir.0);
    let t0 = single(&[]);
    let web = serve_single(&t0, Fault::None);
    let addr = web
        .url("")
        .trim_start_matches("http://")
        .parse()
        .expect("addr");
    let proxy = TlsProxy::start(&ca, addr);
    let url = proxy.announce_url().replace("/announce", "/dl/ws.bin");
    assert!(url.starts_with("https://"), "{url}");
    let t = t0.with_url_list("", &[&url]);
    let torrent = t.write_to(&dir.0);
    let out = dir.0.join("out");
    let child = common::bitsy::command()
        .args([
            "download",
            torrent.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .args(["--port", "0", "-v", "--no-dht"])
        .env("SSL_CERT_FILE", &ca.ca_cert)
        .env_remove("SSL_CERT_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start bitsy");
    let run = common::bitsy::wait(child);
    ok(&run);
    assert_eq!(std::fs::read(out.join("ws.bin")).unwrap(), t.content);
    assert!(web.requests() >= 1);
    assert_eq!(proxy.failed(), 0);
}

/// A magnet link's `ws=` is a web seed too: the metadata comes from a
/// peer (BEP 9; it has no piece), every piece from the web seed.
#[test]
fn a_magnet_ws_is_used_as_a_web_seed() {
    use common::fake_metadata_peer::{FakeMetadataPeer, MetaBehaviour};
    let t = single(&[]);
    let web = serve_single(&t, Fault::None);
    let peer = FakeMetadataPeer::start(MetaBehaviour::serving(t.info_hash, &t.info));
    let magnet = format!(
        "magnet:?xt=urn:btih:{}&x.pe={}&ws={}",
        t.info_hash_hex(),
        peer.addr(),
        web.url("/dl/ws.bin")
            .replace(':', "%3A")
            .replace('/', "%2F")
    );
    let dir = TempDir::new("ws-magnet");
    let out = dir.0.join("out");
    let run = Bitsy::run(&[
        "download",
        &magnet,
        "-o",
        out.to_str().unwrap(),
        "--port",
        "0",
    ]);
    ok(&run);
    assert_eq!(std::fs::read(out.join("ws.bin")).unwrap(), t.content);
    assert!(peer.served() >= 1, "the metadata came from elsewhere?");
    assert!(web.body_bytes() >= t.content.len() as u64);
}
