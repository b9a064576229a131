//! The command line as people type it, against the real binary: options
//! anywhere, help per command, errors that name the option (exit 2),
//! `create`'s tracker check, the final figures of `create` and `verify`
//! in a pipe, and the summary a download ends with.

mod common;

use common::{Behaviour, Bitsy, FakeSeeder, FakeTracker, TempDir, TestTorrent};
use common::{ok, pseudo_random_bytes, text};
use std::path::Path;
use std::process::Output;

fn s(p: &Path) -> &str {
    p.to_str().expect("temp paths are UTF-8")
}

/// A usage error (exit 2) whose message contains `says`.
fn usage_error(run: &Output, says: &str) {
    let err = text(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{err}");
    assert!(err.contains(says), "{says:?} not in: {err}");
}

#[test]
fn options_before_the_torrent_and_the_torrent_first() {
    let tracker = FakeTracker::start();
    let content = pseudo_random_bytes(150_000, 41);
    let t = TestTorrent::single_file("o.bin", &content, 16 * 1024, &tracker.url());
    let seeder = FakeSeeder::start(&t, Behaviour::normal());
    tracker.set_peers(vec![seeder.addr()]);
    let dir = TempDir::new("anywhere");
    let torrent = t.write_to(&dir.0);

    let one = dir.0.join("one");
    let run = Bitsy::run(&["download", "-o", s(&one), "--port", "0", s(&torrent)]);
    ok(&run);
    assert_eq!(std::fs::read(one.join("o.bin")).unwrap(), content);
    // The summary: what was fetched, how fast, and where it is.
    let err = text(&run.stderr);
    let done = err
        .lines()
        .find(|l| l.starts_with("done: fetched 146.5 KiB in "))
        .unwrap_or_else(|| panic!("no summary in: {err}"));
    assert!(done.contains(" average)"), "{done}");
    assert!(!done.contains("reused"), "nothing was on disk: {done}");
    let place = format!("files in {}", one.join("o.bin").display());
    assert!(done.ends_with(&place), "{done}");

    let two = dir.0.join("two");
    let run = Bitsy::run(&["-q", s(&torrent), "-o", s(&two), "--port=0"]);
    ok(&run);
    assert_eq!(std::fs::read(two.join("o.bin")).unwrap(), content);
    assert!(!text(&run.stderr).contains("done:"), "-q is quiet");
}

#[test]
fn after_a_resume_the_summary_says_fetched_and_reused() {
    let tracker = FakeTracker::start();
    let content = pseudo_random_bytes(8 * 32 * 1024, 42);
    let t = TestTorrent::single_file("r.bin", &content, 32 * 1024, &tracker.url());
    let seeder = FakeSeeder::start(&t, Behaviour::normal());
    tracker.set_peers(vec![seeder.addr()]);
    let dir = TempDir::new("resume-summary");
    let torrent = t.write_to(&dir.0);
    let out = dir.0.join("out");
    std::fs::create_dir_all(&out).unwrap();
    // The first half is there already: 4 pieces of 32 KiB.
    std::fs::write(out.join("r.bin"), &content[..4 * 32 * 1024]).unwrap();
    let run = Bitsy::run(&["download", s(&torrent), "-o", s(&out), "--port", "0"]);
    ok(&run);
    assert_eq!(std::fs::read(out.join("r.bin")).unwrap(), content);
    let err = text(&run.stderr);
    assert!(
        err.contains("done: fetched 128.0 KiB in ")
            && err.contains(", reused 128.0 KiB already on disk"),
        "{err}"
    );
    assert!(!err.contains("download complete: 256.0 KiB"), "{err}");

    // A third run finds everything on disk and fetches nothing.
    let run = Bitsy::run(&["download", s(&torrent), "-o", s(&out), "--port", "0"]);
    ok(&run);
    let err = text(&run.stderr);
    assert!(
        err.contains("done: nothing to fetch, all 256.0 KiB already on disk"),
        "{err}"
    );
}

#[test]
fn help_for_each_command() {
    let table: &[(&[&str], &str)] = &[
        (&["--help"], "bitsy: a small BitTorrent client"),
        (&["help"], "bitsy: a small BitTorrent client"),
        (&["help", "download"], "usage: bitsy download FILE.torrent"),
        (
            &["download", "--help"],
            "usage: bitsy download FILE.torrent",
        ),
        (&["x.torrent", "-h"], "usage: bitsy download FILE.torrent"),
        (&["help", "seed"], "usage: bitsy seed FILE.torrent PATH"),
        (&["seed", "-h"], "usage: bitsy seed FILE.torrent PATH"),
        (&["help", "create"], "usage: bitsy create PATH"),
        (&["help", "verify"], "usage: bitsy verify"),
        (&["help", "info"], "usage: bitsy info"),
        (&["tracker", "--help"], "usage: bitsy tracker"),
    ];
    for (args, starts) in table {
        let run = Bitsy::run(args);
        ok(&run);
        let out = text(&run.stdout);
        assert!(out.starts_with(starts), "{args:?}: {out}");
    }
    let run = Bitsy::run(&["help", "frobnicate"]);
    usage_error(&run, "no command `frobnicate`");
}

#[test]
fn bad_values_exit_2_and_name_the_option() {
    let table: &[(&[&str], &str)] = &[
        (
            &["download", "x.torrent", "--port", "abc"],
            "--port: expected a port number 0-65535, got \"abc\"",
        ),
        (&["x.torrent", "--max-peers", "0"], "--max-peers: expected"),
        (
            &["x.torrent", "--seed-ratio", "lots"],
            "--seed-ratio: expected",
        ),
        (
            &["x.torrent", "--seed-time", "1y"],
            "--seed-time: expected a duration",
        ),
        (
            &["x.torrent", "--stall-timeout", "-3"],
            "--stall-timeout: expected",
        ),
        (
            &["x.torrent", "--bind", "example"],
            "--bind: expected an IP address",
        ),
        (
            &["seed", "x.torrent", "d", "--bind", "1.2.3.4.5"],
            "--bind: expected",
        ),
        (&["download", "x.torrent", "-o"], "-o: missing its value"),
        (
            &["download", "--frobnicate", "x.torrent"],
            "unknown option --frobnicate",
        ),
        (
            &["verify", "x.torrent", "d", "--port", "1"],
            "does not take --port",
        ),
        (
            &[
                "create",
                "d",
                "--tracker",
                "http://t/a",
                "-o",
                "x",
                "--piece-length",
                "3",
            ],
            "--piece-length: expected a power of two",
        ),
    ];
    for (args, says) in table {
        usage_error(&Bitsy::run(args), says);
    }
}

#[test]
fn create_refuses_a_tracker_it_cannot_announce_to() {
    let dir = TempDir::new("create-udp");
    let data = dir.0.join("d.bin");
    std::fs::write(&data, pseudo_random_bytes(5000, 43)).unwrap();
    let out = dir.0.join("d.torrent");
    for url in ["wss://127.0.0.1/x", "ftp://127.0.0.1/x"] {
        let run = Bitsy::run(&["create", s(&data), "--tracker", url, "-o", s(&out)]);
        usage_error(&run, "bitsy can announce to http://");
        usage_error(&run, url);
        assert!(!out.exists(), "no torrent written for {url}");
    }
    // http and udp (BEP 15) trackers are accepted, mixed.
    let run = Bitsy::run(&[
        "create",
        s(&data),
        "--tracker",
        "http://127.0.0.1:6969/announce",
        "--tracker",
        "udp://127.0.0.1:6969/announce",
        "-o",
        s(&out),
    ]);
    ok(&run);
    let info = Bitsy::run(&["info", s(&out)]);
    ok(&info);
    assert!(text(&info.stdout).contains("udp://127.0.0.1:6969/announce"));
}

/// `create` and `verify` run in a pipe here (stderr is piped): the last
/// progress line, with the final figure, is printed even though it came
/// sooner than the pipe's every-five-seconds line.
#[test]
fn create_and_verify_print_their_final_figure_in_a_pipe() {
    let dir = TempDir::new("final-figure");
    let data = dir.0.join("f.bin");
    std::fs::write(&data, pseudo_random_bytes(300_000, 44)).unwrap();
    let torrent = dir.0.join("f.torrent");
    let run = Bitsy::run(&[
        "create",
        s(&data),
        "--tracker",
        "http://127.0.0.1:1/announce",
        "--piece-length",
        "16384",
        "-o",
        s(&torrent),
    ]);
    ok(&run);
    let err = text(&run.stderr);
    let last = err.lines().rfind(|l| l.starts_with("hashing: "));
    assert_eq!(last, Some("hashing: 293.0 KiB of 293.0 KiB"), "{err}");

    let run = Bitsy::run(&["verify", s(&torrent), s(&data)]);
    ok(&run);
    let err = text(&run.stderr);
    let last = err.lines().rfind(|l| l.starts_with("checking: "));
    assert_eq!(last, Some("checking: 19/19 pieces"), "{err}");

    let quiet = Bitsy::run(&["verify", "-q", s(&torrent), s(&data)]);
    ok(&quiet);
    assert!(
        !text(&quiet.stderr).contains("checking"),
        "-q prints no progress"
    );
}

#[test]
fn info_reads_a_magnet_link_offline() {
    // A tracker and a peer that do not exist: `info` must not go online.
    let link = "magnet:?xt=urn:btih:YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK&dn=Debian+12\
                &tr=udp%3A%2F%2F127.0.0.1%3A9%2Fannounce&x.pe=127.0.0.1:9&ws=http://127.0.0.1:9/f";
    let run = Bitsy::run(&["info", link]);
    ok(&run);
    let out = text(&run.stdout);
    for want in [
        "name:       Debian 12\n",
        "infohash:   c12fe1c06bba254a9dc9f519b335aa7c1367a88a\n",
        "trackers:\n  udp://127.0.0.1:9/announce\n",
        "peers:\n  127.0.0.1:9\n",
        "web seeds:\n  http://127.0.0.1:9/f\n",
    ] {
        assert!(out.contains(want), "missing {want:?} in {out}");
    }
    // Malformed and v2-only links: exit 3 with the reason.
    let table = [
        ("magnet:?xt=urn:btih:XYZ", "not an infohash"),
        ("magnet:?xt=urn:btmh:1220abcd", "v2"),
        ("magnet:?dn=nothing", "no `xt=urn:btih:`"),
    ];
    for (link, says) in table {
        let run = Bitsy::run(&["info", link]);
        assert_eq!(run.status.code(), Some(3), "{link}");
        let err = text(&run.stderr);
        assert!(err.contains(says), "{link}: {err}");
    }
}
