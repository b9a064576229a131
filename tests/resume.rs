//! The resume state (`DIR/.INFOHASH.resume`), end to end with the real
//! binary against a fake tracker and a fake seeder on loopback: a restart
//! trusts unchanged files without reading them, rechecks a changed one,
//! `--recheck` reads everything, and a `kill -9` at random moments never
//! leaves a piece listed whose bytes are not on disk.
//!
//! "Not read" is shown without timing: a byte changed behind bitsy's back
//! with the file's modification time put back is not noticed, which only
//! a read would do. (That is the documented limit of the resume state;
//! `--recheck` and `bitsy verify` notice it.)
//!
//! The resume file is read here with bitsy's bencode decoder but judged
//! by this file's own reading of the format and the trust rule.

mod common;

use bitsy::bencode::{self, Limits};
use common::{Behaviour, Bitsy, FakeSeeder, FakeTracker, TempDir, TestTorrent, ok, text};
use std::fs::{self, OpenOptions};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Files (offset..end) at 16 KiB pieces (one block each, so the seeder's
/// count of requests is a count of pieces), 110,000 bytes in 7 pieces:
///   a.bin  0..40000       pieces 0-2
///   b.bin  40000..60000   pieces 2-3
///   c.bin  60000..110000  pieces 3-6 (the last is 11,696 bytes)
const SMALL: &[(&str, usize)] = &[("a.bin", 40_000), ("b.bin", 20_000), ("c.bin", 50_000)];

struct Setup {
    t: TestTorrent,
    _tracker: FakeTracker,
    seeder: FakeSeeder,
    _dir: TempDir,
    file: PathBuf,
    out: PathBuf,
}

fn setup(tag: &str, files: &[(&str, usize)], piece_len: u32) -> Setup {
    let tracker = FakeTracker::start();
    let contents: Vec<Vec<u8>> = (0..files.len())
        .map(|i| common::pseudo_random_bytes(files[i].1, 40 + i as u64))
        .collect();
    let named: Vec<(&str, &[u8])> = files
        .iter()
        .zip(&contents)
        .map(|((n, _), c)| (*n, c.as_slice()))
        .collect();
    let t = TestTorrent::multi_file("res", &named, piece_len, &tracker.url());
    let seeder = FakeSeeder::start(&t, Behaviour::normal());
    tracker.set_peers(vec![seeder.addr()]);
    let dir = TempDir::new(tag);
    let file = t.write_to(&dir.0);
    let out = dir.0.join("out");
    Setup {
        t,
        _tracker: tracker,
        seeder,
        _dir: dir,
        file,
        out,
    }
}

impl Setup {
    fn data(&self, name: &str) -> PathBuf {
        self.out.join("res").join(name)
    }

    fn resume_file(&self) -> PathBuf {
        self.out.join(format!(".{}.resume", self.t.info_hash_hex()))
    }

    /// Every file on disk equals the source.
    fn assert_complete(&self) {
        for (name, bytes) in &self.t.files {
            assert!(
                fs::read(self.data(name)).unwrap() == *bytes,
                "{name} differs"
            );
        }
    }
}

/// "trusted N pieces" from a run's messages, if it says so.
fn trusted(stderr: &str) -> Option<u32> {
    let at = stderr.find("resume state: trusted ")? + "resume state: trusted ".len();
    stderr[at..].split(' ').next()?.parse().ok()
}

/// Flips the byte at `at` of `path` and puts its modification time back.
fn corrupt_keeping_the_time(path: &Path, at: usize) {
    let mtime = fs::metadata(path).unwrap().modified().unwrap();
    let mut bytes = fs::read(path).unwrap();
    bytes[at] ^= 0xff;
    fs::write(path, bytes).unwrap();
    let f = OpenOptions::new().write(true).open(path).unwrap();
    f.set_modified(mtime).unwrap();
}

#[test]
fn a_restart_trusts_unchanged_files_without_reading_them() {
    let s = setup("resume-trust", SMALL, 16 * 1024);
    let first = Bitsy::download(&s.file, &s.out, &[]);
    ok(&first);
    assert_eq!(
        trusted(&text(&first.stderr)),
        None,
        "no state on a fresh start"
    );
    assert!(s.resume_file().is_file(), "saved at the end");
    assert_eq!(s.seeder.requests(), 7);

    // Piece 6 (c.bin at 45,000) changes behind bitsy's back.
    corrupt_keeping_the_time(&s.data("c.bin"), 45_000);
    let again = Bitsy::download(&s.file, &s.out, &[]);
    ok(&again);
    assert_eq!(
        trusted(&text(&again.stderr)),
        Some(7),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(s.seeder.requests(), 7, "nothing fetched again");
    let c = fs::read(s.data("c.bin")).unwrap();
    assert_ne!(c, s.t.files[2].1, "not read, so not noticed");

    // `--recheck` reads everything: piece 6 is fetched again.
    let full = Bitsy::download(&s.file, &s.out, &["--recheck"]);
    ok(&full);
    assert_eq!(trusted(&text(&full.stderr)), None);
    assert_eq!(s.seeder.requests(), 8, "piece 6 only");
    s.assert_complete();
}

#[test]
fn a_changed_file_is_checked_and_its_bad_piece_fetched_again() {
    let s = setup("resume-changed", SMALL, 16 * 1024);
    ok(&Bitsy::download(&s.file, &s.out, &[]));
    // One byte of a.bin (piece 0) changes, and so does its time.
    let a = s.data("a.bin");
    let mut bytes = fs::read(&a).unwrap();
    bytes[100] ^= 0xff;
    fs::write(&a, bytes).unwrap();
    let later = SystemTime::now() + Duration::from_secs(5);
    OpenOptions::new()
        .write(true)
        .open(&a)
        .unwrap()
        .set_modified(later)
        .unwrap();
    let again = Bitsy::download(&s.file, &s.out, &[]);
    ok(&again);
    // Pieces 0-2 touch a.bin and are read; 3-6 are trusted.
    assert_eq!(
        trusted(&text(&again.stderr)),
        Some(4),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(s.seeder.requests(), 7 + 1, "piece 0 again");
    s.assert_complete();
}

/// A small xorshift generator: the kill test's moments, from a seed it
/// prints on failure.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Files of 4 MiB in all, at 32 KiB pieces, with pieces spanning files.
const BIG: &[(&str, usize)] = &[
    ("one.bin", 700_000),
    ("two.bin", 1_300_000),
    ("sub/three.bin", 5_000),
    ("four.bin", 2_189_304),
];

/// What a resume file lists whose files all match it now: the pieces a
/// restart would trust. `None` when there is no resume file.
fn trusted_by_file(s: &Setup) -> Option<Vec<u32>> {
    let bytes = fs::read(s.resume_file()).ok()?;
    let limits = Limits {
        max_depth: 3,
        max_tokens: 1000,
    };
    let v = bencode::decode(&bytes, limits).expect("a whole resume file");
    let verified = v.get(b"verified").and_then(|b| b.as_bytes()).unwrap();
    let files = v.get(b"files").and_then(|l| l.as_list()).unwrap();
    assert_eq!(files.len(), s.t.files.len());
    // Each file's (start, end) in the content, and whether it matches.
    let mut spans = Vec::new();
    let mut start = 0u64;
    for ((name, bytes), rec) in s.t.files.iter().zip(files) {
        let end = start + bytes.len() as u64;
        let rec: Vec<i64> = rec
            .as_list()
            .unwrap()
            .iter()
            .map(|n| n.as_int().unwrap())
            .collect();
        let now = fs::metadata(s.data(name))
            .map(|m| vec![m.len() as i64, m.mtime(), m.mtime_nsec()])
            .ok();
        spans.push((start, end, now == Some(rec)));
        start = end;
    }
    let piece_len = u64::from(s.t.piece_len);
    let listed =
        (0..s.t.num_pieces()).filter(|&i| verified[i as usize / 8] & (0x80 >> (i % 8)) != 0);
    let trusted = listed.filter(|&i| {
        let (lo, hi) = (u64::from(i) * piece_len, (u64::from(i) + 1) * piece_len);
        spans
            .iter()
            .filter(|(a, b, _)| *a < hi && *b > lo)
            .all(|(_, _, same)| *same)
    });
    Some(trusted.collect())
}

/// The torrent's content as it is on disk now (zeros where a file is
/// missing or short).
fn content_on_disk(s: &Setup) -> Vec<u8> {
    let mut all = Vec::new();
    for (name, bytes) in &s.t.files {
        let mut on_disk = fs::read(s.data(name)).unwrap_or_default();
        on_disk.resize(bytes.len(), 0);
        all.extend(on_disk);
    }
    all
}

#[test]
fn a_kill_9_at_any_moment_never_lists_an_unwritten_piece() {
    let s = setup("resume-kill", BIG, 32 * 1024);
    let seed = std::env::var("RESUME_TEST_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH);
            now.map_or(1, |d| d.as_nanos() as u64) | 1
        });
    let mut rng = Rng(seed);
    let why = format!("(RESUME_TEST_SEED={seed} repeats this run)");
    // A save every 64 KiB written; 4 MiB at 1 MiB/s take about 4 s, and
    // the kills land in the first 1.5 s of each run.
    let env = [("BITSY_FLUSH_EVERY", "65536")];
    let out = s.out.to_str().unwrap();
    let file = s.file.to_str().unwrap();
    let args = [
        "download",
        file,
        "-o",
        out,
        "--port",
        "0",
        "--max-download-rate",
        "1M",
    ];
    let mut seen = 0;
    for round in 0..5 {
        let run = Bitsy::start_with_env(&args, &env);
        // Under emulation (BITSY_TEST_SLOW) the start takes longer too.
        let after = common::slow::scaled(Duration::from_millis(200 + rng.below(1300)));
        std::thread::sleep(after);
        let end = run.kill_9();
        let Some(trusted) = trusted_by_file(&s) else {
            continue;
        };
        let disk = content_on_disk(&s);
        let len = s.t.piece_len as usize;
        for &i in &trusted {
            let lo = i as usize * len;
            assert!(
                disk[lo..(lo + len).min(disk.len())] == *s.t.piece(i),
                "round {round}, killed after {after:?}: piece {i} listed and its files \
                 unchanged, but its bytes are not the piece's {why}\n{}",
                text(&end.stderr)
            );
        }
        eprintln!(
            "round {round}: killed after {after:?}; {} pieces listed and unchanged",
            trusted.len()
        );
        seen += trusted.len();
    }
    assert!(
        seen > 0,
        "no resume state was ever saved mid-download {why}"
    );
    // A last start completes the download, trusting what was saved.
    let last = Bitsy::start_with_env(&args, &env).finish();
    ok(&last);
    s.assert_complete();
    let all = trusted_by_file(&s).expect("saved at the end");
    assert_eq!(all.len() as u32, s.t.num_pieces(), "{why}");
}
