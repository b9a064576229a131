//! What bitsy leaves on disk, with the real binary: `seed` and `verify`
//! of incomplete data change no byte, size or modification time and create
//! nothing; a download that gets no piece creates nothing, not even its
//! output directory; one stopped after some pieces leaves only the files
//! those pieces touched.
//!
//! Trackers and seeders are loopback fakes; every bitsy run is bounded by
//! `common::bitsy::LIMIT` and stopped by PID.

mod common;

use common::{
    Behaviour, Bitsy, FakeSeeder, FakeTracker, Reply, TempDir, TestTorrent, pseudo_random_bytes,
    text, wait_until,
};
use std::fs;
use std::net::{TcpListener, UdpSocket};
use std::path::Path;
use std::process::Output;
use std::time::{Duration, SystemTime};

/// Every path under `root`, relative and sorted (folders too); empty if
/// `root` does not exist.
fn tree(root: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            out.push(path.strip_prefix(root).unwrap().display().to_string());
            if path.is_dir() {
                walk(root, &path, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

/// Each file's (path, bytes, length, modification time) under `root`.
type Snapshot = Vec<(String, Vec<u8>, u64, SystemTime)>;

fn snapshot(root: &Path) -> Snapshot {
    tree(root)
        .into_iter()
        .filter(|rel| root.join(rel).is_file())
        .map(|rel| {
            let m = fs::metadata(root.join(&rel)).unwrap();
            let bytes = fs::read(root.join(&rel)).unwrap();
            (rel, bytes, m.len(), m.modified().unwrap())
        })
        .collect()
}

/// Sets every file's modification time under `root` an hour back, so a
/// write (which sets it to now) cannot go unnoticed.
fn age(root: &Path) {
    let then = SystemTime::now() - Duration::from_secs(3600);
    for rel in tree(root) {
        let path = root.join(rel);
        if path.is_file() {
            let f = fs::File::options().write(true).open(&path).unwrap();
            f.set_modified(then).unwrap();
        }
    }
}

/// bitsy failed with exit code `code` and said `says` on stderr.
fn fails(run: &Output, code: i32, says: &str) {
    let err = text(&run.stderr);
    assert_eq!(run.status.code(), Some(code), "{err}");
    assert!(err.contains(says), "{says:?} not in: {err}");
}

/// A port nothing listens on: bound, then released.
fn refused_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// A loopback UDP port where nothing listens (a moment ago, at least).
fn closed_udp_port() -> u16 {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.local_addr().unwrap().port()
}

/// `bitsy seed` and `bitsy verify` of a short file, a missing path (with
/// and without its folder) and an empty folder: exit 7, and the folder
/// holding the data is exactly as it was.
#[test]
fn seed_and_verify_of_incomplete_data_change_nothing() {
    let dir = TempDir::new("untouched");
    // 1 MiB in 64 KiB pieces; no tracker is ever reached.
    let content = pseudo_random_bytes(1 << 20, 50);
    let url = format!("http://127.0.0.1:{}/announce", refused_port());
    let single = TestTorrent::single_file("big.bin", &content, 64 * 1024, &url);
    let (a, b) = content.split_at(700_000);
    let multi = TestTorrent::multi_file("album", &[("a", a), ("sub/b", b)], 64 * 1024, &url);
    let single_torrent = single.write_to(&dir.0);
    let multi_torrent = multi.write_to(&dir.0);
    let data = dir.0.join("data");
    fs::create_dir_all(&data).unwrap();
    fs::write(data.join("short.bin"), &content[..1000]).unwrap();
    fs::create_dir_all(data.join("empty")).unwrap();
    age(&dir.0);

    // (torrent, PATH under `data`)
    let table: &[(&Path, &str)] = &[
        (&single_torrent, "short.bin"),
        (&single_torrent, "missing.bin"),
        (&single_torrent, "gone/missing.bin"),
        (&multi_torrent, "empty"),
        (&multi_torrent, "gone"),
    ];
    for (torrent, path) in table {
        let before = (tree(&dir.0), snapshot(&dir.0));
        let target = data.join(path);
        let (torrent, target) = (torrent.to_str().unwrap(), target.to_str().unwrap());
        let seed = Bitsy::run(&["seed", torrent, target, "--port", "0", "-q"]);
        fails(&seed, 7, "missing or wrong");
        assert!(text(&seed.stderr).contains("nothing was changed"));
        let verify = Bitsy::run(&["verify", torrent, target, "-q"]);
        fails(&verify, 7, "some files are partial or missing");
        assert!(text(&verify.stdout).contains("INCOMPLETE"), "{path}");
        assert_eq!(tree(&dir.0), before.0, "{path}: nothing created");
        assert!(
            snapshot(&dir.0) == before.1,
            "{path}: a byte, size or time changed"
        );
    }
    assert_eq!(fs::metadata(data.join("short.bin")).unwrap().len(), 1000);
}

/// Trackers that give no peer make `download` exit 4 once they have
/// failed for `--stall-timeout` (retried meanwhile), leaving no file or
/// folder of the torrent, and no output directory if it was not there.
#[test]
fn a_download_without_a_tracker_creates_nothing() {
    let garbage = FakeTracker::start();
    garbage.set_reply(Reply::Raw {
        status: 200,
        body: b"this is not bencode".to_vec(),
    });
    let refused = format!("http://127.0.0.1:{}/announce", refused_port());
    // A UDP tracker whose port is closed: refused (ICMP) at once.
    let udp_closed = format!("udp://127.0.0.1:{}/announce", closed_udp_port());
    // Skipped without the `https` feature; refused with it.
    let https_only = format!("https://127.0.0.1:{}/announce", refused_port());
    let a = pseudo_random_bytes(100_000, 51);
    let files: Vec<(&str, &[u8])> = vec![("a.bin", &a), ("sub/b.bin", &a), ("sub/empty", &[])];
    // (tracker URL, whether the output directory exists before)
    let table: &[(&str, bool)] = &[
        (&refused, false),
        (&refused, true),
        (&garbage.url(), false),
        (&udp_closed, false),
        (&https_only, false),
    ];
    for (url, out_exists) in table {
        let dir = TempDir::new("notracker");
        let t = TestTorrent::multi_file("dl", &files, 16 * 1024, url);
        let torrent = t.write_to(&dir.0);
        let out = dir.0.join("out/nested");
        if *out_exists {
            fs::create_dir_all(&out).unwrap();
        }
        let args = ["download", torrent.to_str().unwrap(), "-o"];
        let rest = [out.to_str().unwrap(), "--port", "0", "--stall-timeout", "3"];
        let run = Bitsy::run(&[&args[..], &rest].concat());
        assert_eq!(run.status.code(), Some(4), "{url}: {}", text(&run.stderr));
        let want: &[&str] = match out_exists {
            true => &["dl.torrent", "out", "out/nested"],
            false => &["dl.torrent"],
        };
        assert_eq!(tree(&dir.0), want, "{url}");
    }
    // The garbage tracker (one run) was asked at the start and again 2 s
    // later (the first back-off), before the 3 s stall timeout; `stopped`
    // at exit does not count.
    let events = garbage.events();
    let asked = events.iter().filter(|e| e.as_deref() != Some("stopped"));
    assert!(asked.count() >= 2, "retried: {events:?}");
}

/// A download stopped after the seeder's only pieces leaves the files
/// those pieces touched (and their folders), and nothing else: no other
/// file, no folder of another file, no zero-length file. Beside them,
/// its resume state (`.INFOHASH.resume`) lists what is on disk.
#[test]
fn a_stopped_download_leaves_only_the_files_its_pieces_touched() {
    let tracker = FakeTracker::start();
    // 16 KiB pieces: a is 0..30,000 (pieces 0-1); sub/b 30,000..50,000
    // (pieces 1-3); deep/c 50,000..90,000 (pieces 3-5). Piece 1 spans a
    // and sub/b.
    let a = pseudo_random_bytes(30_000, 52);
    let b = pseudo_random_bytes(20_000, 53);
    let c = pseudo_random_bytes(40_000, 54);
    let files: Vec<(&str, &[u8])> =
        vec![("a", &a), ("sub/b", &b), ("sub/empty", &[]), ("deep/c", &c)];
    let t = TestTorrent::multi_file("part", &files, 16 * 1024, &tracker.url());
    let seeder = FakeSeeder::start(&t, Behaviour::normal().only_pieces(&[0, 1]));
    tracker.set_peers(vec![seeder.addr()]);
    let dir = TempDir::new("stopped");
    let torrent = t.write_to(&dir.0);
    let out = dir.0.join("out");
    let child = Bitsy::start_download(&torrent, &out, &[]);
    let written = |p: &str, want: &[u8]| fs::read(out.join(p)).is_ok_and(|g| g.starts_with(want));
    let both = wait_until(Duration::from_secs(20), || {
        written("part/a", &a) && written("part/sub/b", &b[..16 * 1024 * 2 - 30_000])
    });
    let run = child.interrupt();
    assert!(both, "pieces 0 and 1 written: {}", text(&run.stderr));
    fails(&run, 130, "interrupted");
    let resume = format!(".{}.resume", t.info_hash_hex());
    assert_eq!(
        tree(&out),
        [&resume, "part", "part/a", "part/sub", "part/sub/b"],
        "only what pieces 0 and 1 touched"
    );
    // Each file made is at its final length; b's unwritten tail is zeros.
    assert_eq!(fs::read(out.join("part/a")).unwrap(), a);
    let got_b = fs::read(out.join("part/sub/b")).unwrap();
    assert_eq!(got_b.len(), b.len());
    assert!(got_b[16 * 1024 * 2 - 30_000..].iter().all(|&x| x == 0));
}
