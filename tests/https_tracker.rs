//! HTTPS trackers in the default build: bitsy announces over TLS to a
//! fake tracker behind a TLS front on loopback (`common::tls_proxy`),
//! trusting a CA made for the test (`common::test_ca`) through
//! `SSL_CERT_FILE`, gets the seeder's address and downloads.
//!
//! Without that CA (only the bundled roots), the announce fails with a
//! certificate error that says which CAs were trusted; with
//! `SSL_CERT_FILE` naming a missing file, the error names the file.
//! Built only with the `https` feature: without it `scheme` skips
//! https:// URLs (tested there).
#![cfg(feature = "https")]

mod common;

use common::{
    Behaviour, FakeSeeder, FakeTracker, TempDir, TestCa, TestTorrent, TlsProxy, ok,
    pseudo_random_bytes, text,
};
use std::path::Path;
use std::process::{Output, Stdio};

/// Runs `bitsy download` with the TLS variables set as given (and every
/// other one removed, so the machine's settings do not leak in).
fn download(torrent: &Path, out: &Path, cert_file: Option<&Path>) -> Output {
    let mut cmd = common::bitsy::command();
    cmd.args([
        "download",
        torrent.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ])
    .args(["--port", "0", "--stall-timeout", "20", "--no-dht"])
    .env_remove("SSL_CERT_FILE")
    .env_remove("SSL_CERT_DIR")
    .stdin(Stdio::null());
    if let Some(file) = cert_file {
        cmd.env("SSL_CERT_FILE", file);
    }
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start bitsy");
    common::bitsy::wait(child)
}

/// A torrent announcing to an HTTPS front of a fake tracker listing one
/// seeder; the torrent file is written in `dir`.
struct Setup {
    t: TestTorrent,
    torrent: std::path::PathBuf,
    tracker: FakeTracker,
    proxy: TlsProxy,
    _seeder: FakeSeeder,
    ca: TestCa,
}

fn setup(dir: &TempDir) -> Setup {
    let ca = TestCa::make(&dir.0);
    let tracker = FakeTracker::start();
    let proxy = TlsProxy::start(&ca, tracker.addr());
    let content = pseudo_random_bytes(100_000, 3);
    let t = TestTorrent::single_file("secure.bin", &content, 16 * 1024, &proxy.announce_url());
    let seeder = FakeSeeder::start(&t, Behaviour::normal());
    tracker.set_peers(vec![seeder.addr()]);
    let torrent = t.write_to(&dir.0);
    Setup {
        t,
        torrent,
        tracker,
        proxy,
        _seeder: seeder,
        ca,
    }
}

#[test]
fn announce_over_https_with_a_ca_from_ssl_cert_file() {
    let dir = TempDir::new("https-ok");
    let s = setup(&dir);
    let out = dir.0.join("out");
    let run = download(&s.torrent, &out, Some(&s.ca.ca_cert));
    ok(&run);
    assert_eq!(std::fs::read(out.join("secure.bin")).unwrap(), s.t.content);
    let started = s.tracker.events();
    assert_eq!(
        started.first(),
        Some(&Some("started".to_string())),
        "{started:?}"
    );
    assert_eq!(s.proxy.failed(), 0);
}

#[test]
fn without_the_ca_the_announce_fails_with_a_certificate_error() {
    let dir = TempDir::new("https-untrusted");
    let s = setup(&dir);
    let run = download(&s.torrent, &dir.0.join("out"), None);
    let err = text(&run.stderr);
    assert_eq!(run.status.code(), Some(4), "{err}");
    assert!(err.contains("certificate"), "{err}");
    assert!(err.contains("bundled Mozilla roots"), "{err}");
    assert!(s.tracker.announces().is_empty(), "the tracker was reached");
    assert!(s.proxy.failed() >= 1);
}

#[test]
fn a_missing_ssl_cert_file_is_named() {
    let dir = TempDir::new("https-missing-ca");
    let s = setup(&dir);
    let missing = dir.0.join("no-such-ca.pem");
    let run = download(&s.torrent, &dir.0.join("out"), Some(&missing));
    let err = text(&run.stderr);
    assert_eq!(run.status.code(), Some(4), "{err}");
    assert!(err.contains("SSL_CERT_FILE"), "{err}");
    assert!(err.contains("no-such-ca.pem"), "{err}");
    assert!(s.tracker.announces().is_empty(), "the tracker was reached");
}
