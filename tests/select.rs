//! `--select`: a multi-file download of some files only, end to end
//! against a fake tracker and a fake seeder on loopback; its resume, a
//! wider selection later, and `bitsy verify --select`.
//!
//! The torrent has 16 KiB pieces, one block each, so the seeder's count
//! of requests is the count of pieces bitsy asked for.

mod common;

use common::fake_metadata_peer::{FakeMetadataPeer, MetaBehaviour};
use common::raw_peer::{self, RawPeer};
use common::{
    Behaviour, Bitsy, FakeSeeder, FakeTracker, TempDir, TestTorrent, ok, pseudo_random_bytes, text,
};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

/// Files (offset..end) at 16 KiB pieces, 140,000 bytes in 9 pieces:
///   1 a.bin      0..40000      pieces 0-2
///   2 b.bin      40000..60000  pieces 2-3 (both shared: boundary pieces)
///   3 sub/empty  zero length
///   4 c.bin      60000..110000 pieces 3-6
///   5 d.bin      110000..140000 pieces 6-8 (the last is 8,928 bytes)
fn torrent(tracker: &FakeTracker) -> TestTorrent {
    let a = pseudo_random_bytes(40_000, 21);
    let b = pseudo_random_bytes(20_000, 22);
    let c = pseudo_random_bytes(50_000, 23);
    let d = pseudo_random_bytes(30_000, 24);
    let files: Vec<(&str, &[u8])> = vec![
        ("a.bin", &a),
        ("b.bin", &b),
        ("sub/empty", &[]),
        ("c.bin", &c),
        ("d.bin", &d),
    ];
    TestTorrent::multi_file("sel", &files, 16 * 1024, &tracker.url())
}

struct Setup {
    t: TestTorrent,
    tracker: FakeTracker,
    seeder: FakeSeeder,
    dir: TempDir,
    file: PathBuf,
    out: PathBuf,
}

fn setup(tag: &str) -> Setup {
    let tracker = FakeTracker::start();
    let t = torrent(&tracker);
    let seeder = FakeSeeder::start(&t, Behaviour::normal());
    tracker.set_peers(vec![seeder.addr()]);
    let dir = TempDir::new(tag);
    let file = t.write_to(&dir.0);
    let out = dir.0.join("out");
    Setup {
        t,
        tracker,
        seeder,
        dir,
        file,
        out,
    }
}

impl Setup {
    fn download(&self, select: Option<&str>) -> Output {
        let extra: Vec<&str> = select.map_or(vec![], |s| vec!["--select", s]);
        Bitsy::download(&self.file, &self.out, &extra)
    }

    fn verify(&self, select: Option<&str>) -> Output {
        let data = self.out.join("sel");
        let mut args = vec![
            "verify",
            self.file.to_str().unwrap(),
            data.to_str().unwrap(),
        ];
        if let Some(s) = select {
            args.extend(["--select", s]);
        }
        Bitsy::run(&args)
    }

    /// Which of the torrent's files exist, checking each one that does
    /// byte for byte.
    fn present(&self) -> Vec<&str> {
        let mut out = Vec::new();
        for (path, bytes) in &self.t.files {
            let p = self.out.join("sel").join(path);
            if let Ok(got) = std::fs::read(&p) {
                assert!(got == *bytes, "{} differs from the original", p.display());
                out.push(path.as_str());
            }
        }
        out
    }

    fn partfile(&self) -> PathBuf {
        self.out.join(format!(".{}.parts", self.t.info_hash_hex()))
    }
}

fn fails(run: &Output, code: i32, says: &str) {
    let err = text(&run.stderr);
    assert_eq!(run.status.code(), Some(code), "{err}");
    assert!(err.contains(says), "{says:?} not in: {err}");
}

#[test]
fn one_file_between_two_boundary_pieces_then_wider_then_all() {
    let s = setup("select");
    // b alone needs pieces 2 and 3, both shared with a neighbour.
    let run = s.download(Some("2"));
    ok(&run);
    assert!(
        text(&run.stderr).contains("selected 1 of 5 files"),
        "{}",
        text(&run.stderr)
    );
    assert_eq!(s.present(), vec!["b.bin"], "only b is created");
    assert_eq!(s.seeder.requests(), 2, "pieces 2 and 3 only");
    assert!(s.partfile().is_file(), "the boundary pieces are kept");

    // A rerun of the same selection checks and reuses them.
    let run = s.download(Some("2"));
    ok(&run);
    assert!(
        text(&run.stderr).contains("nothing to fetch"),
        "{}",
        text(&run.stderr)
    );
    assert_eq!(s.seeder.requests(), 2);

    // verify --select: b is complete, the others are not selected.
    let run = s.verify(Some("2"));
    ok(&run);
    let report = text(&run.stdout);
    assert!(
        report.contains("skipped   a.bin (not selected)"),
        "{report}"
    );
    assert!(report.contains("complete  b.bin (20000 bytes)"), "{report}");
    assert!(report.contains("1 of 1 selected files complete, 2 of 2 pieces good"));
    // Without it, the files left out are missing: exit 7.
    fails(&s.verify(None), 7, "partial or missing");

    // Wider: c too needs pieces 4-6; piece 3 is reused from the part
    // file, and c's bytes in it are copied out into c.
    ok(&s.download(Some("2,4")));
    assert_eq!(s.present(), vec!["b.bin", "c.bin"]);
    assert_eq!(s.seeder.requests(), 2 + 3);
    ok(&s.verify(Some("4,2")));

    // Every file: a's and d's own pieces 0, 1, 7 and 8; the shared
    // pieces 2 and 6 come from the part file. Then the part file goes.
    ok(&s.download(None));
    assert_eq!(
        s.present(),
        vec!["a.bin", "b.bin", "sub/empty", "c.bin", "d.bin"]
    );
    assert_eq!(s.seeder.requests(), 2 + 3 + 4);
    assert!(!s.partfile().exists(), "the part file is removed");
    ok(&s.verify(None));
    assert!(s.tracker.announces().len() >= 4);
    drop(s.dir);
}

#[test]
fn the_last_file_and_an_empty_one() {
    let s = setup("select-last");
    // The empty file alone needs no piece: done at once.
    ok(&s.download(Some("3")));
    assert_eq!(s.present(), vec!["sub/empty"]);
    assert_eq!(s.seeder.requests(), 0);
    // d: pieces 6-8, the short last piece included; 6 is shared with c.
    ok(&s.download(Some("5")));
    assert_eq!(s.present(), vec!["sub/empty", "d.bin"]);
    assert_eq!(s.seeder.requests(), 3);
}

#[test]
fn bad_selections_are_usage_errors_and_create_nothing() {
    let s = setup("select-bad");
    let table: &[(&str, &str)] = &[
        ("6", "there is no file 6: the torrent has 5 files"),
        ("1-9", "there is no file 9"),
        ("0", "files are numbered from 1"),
        ("3-1", "backwards"),
        ("1,,2", "empty item"),
        ("x", "\"x\" is not a file number"),
    ];
    for (select, says) in table {
        let run = s.download(Some(select));
        fails(&run, 2, says);
        assert!(
            !s.out.exists(),
            "--select {select} created {}",
            s.out.display()
        );
        fails(&s.verify(Some(select)), 2, says);
    }
    assert_eq!(s.seeder.connections(), 0, "no peer was contacted");
}

/// A magnet link: the numbers can only be checked once the metadata is
/// in; a number past the last file is then a usage error, and neither
/// the files nor the metadata's copy are kept.
#[test]
fn a_magnet_selection_is_checked_when_the_metadata_arrives() {
    let s = setup("select-magnet");
    let peer = FakeMetadataPeer::start(MetaBehaviour::serving(s.t.info_hash, &s.t.info));
    // The metadata from `peer`; the pieces from the seeder the tracker lists.
    let magnet = format!(
        "magnet:?xt=urn:btih:{}&x.pe={}&tr={}",
        s.t.info_hash_hex(),
        peer.addr(),
        s.tracker.url().replace(':', "%3A").replace('/', "%2F")
    );
    let out = s.out.to_str().unwrap();
    let run = Bitsy::run(&[
        "download", &magnet, "-o", out, "--port", "0", "--select", "7",
    ]);
    fails(&run, 2, "there is no file 7: the torrent has 5 files");
    assert!(peer.served() >= 1, "the metadata was fetched");
    assert!(!s.out.exists(), "{} was created", s.out.display());
    // A malformed list is refused before going online.
    let run = Bitsy::run(&["download", &magnet, "-o", out, "--select", "2-"]);
    fails(&run, 2, "\"2-\" is not a file number");
    assert_eq!(peer.connections(), 1);
    // A good one downloads the selected file only.
    ok(&Bitsy::run(&[
        "download", &magnet, "-o", out, "--port", "0", "--select", "4",
    ]));
    assert_eq!(s.present(), vec!["c.bin"]);
}

/// After a `--select 2` download, seeding: the bitfield claims exactly
/// the two boundary pieces, and both are served whole, b's bytes from
/// b.bin and its neighbours' from the part file.
#[test]
fn a_selection_announces_and_serves_only_its_pieces() {
    let s = setup("select-serve");
    ok(&s.download(Some("2")));
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    let (file, out) = (s.file.to_str().unwrap(), s.out.to_str().unwrap());
    let port_text = port.to_string();
    let args = [
        "download", file, "-o", out, "--select", "2", "--seed", "--port", &port_text, "-q",
    ];
    let seeding = Bitsy::start(&args);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err() {
        assert!(Instant::now() < deadline, "bitsy never listened on {addr}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut peer = RawPeer::connect(addr, &s.t.info_hash);
    // 9 pieces: two bytes, pieces 2 and 3 set (0b0011_0000).
    assert_eq!(peer.recv(), Some((raw_peer::BITFIELD, vec![0x30, 0x00])));
    peer.send(raw_peer::INTERESTED, &[]);
    assert_eq!(peer.recv().map(|m| m.0), Some(raw_peer::UNCHOKE));
    for piece in [2u32, 3] {
        peer.request(piece, 0, 16 * 1024);
        let (id, payload) = peer.recv().expect("a piece");
        assert_eq!(id, raw_peer::PIECE);
        assert_eq!(&payload[..8], &[0, 0, 0, piece as u8, 0, 0, 0, 0]);
        assert!(
            payload[8..] == *s.t.piece(piece),
            "piece {piece} served wrong"
        );
    }
    let end = seeding.interrupt();
    assert_eq!(end.status.code(), Some(0), "{}", text(&end.stderr));
    assert_eq!(s.present(), vec!["b.bin"], "seeding created nothing");
}

/// Checks the helper itself: the paths it looks at are the torrent's.
#[test]
fn the_setup_is_what_the_tests_think() {
    let s = setup("select-self");
    assert_eq!(s.t.num_pieces(), 9);
    assert_eq!(s.t.files.len(), 5);
    assert!(Path::new(&s.file).is_file());
}
