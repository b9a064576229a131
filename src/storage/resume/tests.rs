//! The resume state with real files: what a start trusts, and what the
//! flusher saves.

use super::*;
use crate::geometry::Geometry;
use crate::metainfo::FileEntry;
use crate::selection::Select;
use crate::storage::testutil::{TempDir, content, entries, hashes};
use crate::storage::{Choice, Flusher};
use std::time::{Duration, SystemTime};

const HASH: InfoHash = [0x42; 20];

/// Files a (1500), b (10), c (2586) in 4 pieces of 1 KiB: piece 0 in a,
/// piece 1 in a, b and c, pieces 2 and 3 in c.
fn files() -> Vec<FileEntry> {
    entries(&[
        ("t/a", 1500, false),
        ("t/b", 10, false),
        ("t/c", 2586, false),
    ])
}

fn geometry() -> Geometry {
    Geometry::new(4096, 1024, 4).unwrap()
}

fn choice(dir: &TempDir, trust: bool, select: Option<&str>) -> Choice {
    Choice {
        selection: select.map(|t| Select::parse(t).unwrap().resolve(&files()).unwrap()),
        parts: Some(dir.path().join(".t.parts")),
        resume: Some(ResumeFile {
            path: path(dir.path(), &HASH),
            info_hash: HASH,
            trust,
        }),
    }
}

fn open(dir: &TempDir, trust: bool, select: Option<&str>) -> Storage {
    Storage::open_with(dir.path(), files(), geometry(), choice(dir, trust, select)).unwrap()
}

/// Downloads `pieces` into `dir` and saves the state as an exit would.
fn download(dir: &TempDir, pieces: &[u32], select: Option<&str>) {
    let data = content(&files());
    let s = open(dir, true, select);
    let g = geometry();
    let mut f = s.flusher(&Bitfield::new(4));
    for &i in pieces {
        let p = g.piece(i).unwrap();
        let at = g.piece_offset(p) as usize;
        s.write_piece(p, &data[at..at + g.piece_len(p) as usize])
            .unwrap();
        f.wrote(p).unwrap();
    }
    f.finish().unwrap();
    s.sync().unwrap();
    f.save().unwrap();
}

fn check(s: &Storage) -> (Vec<u32>, u32, bool) {
    let sums = hashes(&content(&files()), 1024);
    let r = check_resuming(s, &sums, crate::storage::READ_AHEAD_BYTES, &mut |_, _| {}).unwrap();
    (r.good.iter_raw().collect(), r.trusted, r.used_state)
}

/// Flips a byte of `file` at `at` and puts its modification time back,
/// so only a read can tell.
fn corrupt_keeping_the_time(dir: &TempDir, file: &str, at: usize) {
    let path = dir.path().join(file);
    let mtime = fs::metadata(&path).unwrap().modified().unwrap();
    let mut bytes = fs::read(&path).unwrap();
    bytes[at] ^= 1;
    fs::write(&path, bytes).unwrap();
    let f = OpenOptions::new().write(true).open(&path).unwrap();
    f.set_modified(mtime).unwrap();
}

fn touch(dir: &TempDir, file: &str) {
    let f = OpenOptions::new()
        .write(true)
        .open(dir.path().join(file))
        .unwrap();
    f.set_modified(SystemTime::now() + Duration::from_secs(5))
        .unwrap();
}

#[test]
fn unchanged_files_are_trusted_without_reading() {
    let dir = TempDir::new("resume-trust");
    download(&dir, &[0, 1, 2, 3], None);
    // Only a read would see this byte of c (piece 3): it is not read.
    corrupt_keeping_the_time(&dir, "t/c", 2500);
    let (good, trusted, used) = check(&open(&dir, true, None));
    assert_eq!((good, trusted, used), (vec![0, 1, 2, 3], 4, true));
    // `--recheck` (no trust) reads it, and finds it bad.
    let (good, trusted, used) = check(&open(&dir, false, None));
    assert_eq!((good, trusted, used), (vec![0, 1, 2], 0, false));
}

#[test]
fn a_changed_file_has_all_its_pieces_checked() {
    let dir = TempDir::new("resume-touched");
    download(&dir, &[0, 1, 2, 3], None);
    corrupt_keeping_the_time(&dir, "t/c", 2500); // piece 3
    corrupt_keeping_the_time(&dir, "t/a", 10); // piece 0
    touch(&dir, "t/c");
    // c changed: pieces 1, 2, 3 are read (3 is bad); a is trusted.
    let (good, trusted, _) = check(&open(&dir, true, None));
    assert_eq!((good, trusted), (vec![0, 1, 2], 1));
}

#[test]
fn only_pieces_written_are_listed() {
    let dir = TempDir::new("resume-some");
    download(&dir, &[0, 2], None);
    let (good, trusted, _) = check(&open(&dir, true, None));
    assert_eq!((good, trusted), (vec![0, 2], 2));
}

#[test]
fn boundary_pieces_are_never_listed_and_always_checked() {
    let dir = TempDir::new("resume-select");
    // File 3 (c) only: piece 1 is a boundary piece (a and b not chosen).
    download(&dir, &[1, 2, 3], Some("3"));
    let s = open(&dir, true, Some("3"));
    let state = s.inner.load().unwrap();
    assert_eq!(state.verified.iter_raw().collect::<Vec<_>>(), [2, 3]);
    let (good, trusted, _) = check(&s);
    assert_eq!((good, trusted), (vec![1, 2, 3], 2));
}

#[test]
fn a_state_of_another_torrent_or_no_file_is_no_state() {
    let dir = TempDir::new("resume-other");
    download(&dir, &[0, 1, 2, 3], None);
    let other = Choice {
        resume: Some(ResumeFile {
            info_hash: [7; 20],
            ..choice(&dir, true, None).resume.unwrap()
        }),
        ..choice(&dir, true, None)
    };
    let s = Storage::open_with(dir.path(), files(), geometry(), other).unwrap();
    assert_eq!(check(&s), (vec![0, 1, 2, 3], 0, false));
    fs::remove_file(path(dir.path(), &HASH)).unwrap();
    assert_eq!(check(&open(&dir, true, None)), (vec![0, 1, 2, 3], 0, false));
    // A folder at its path is no state either, and not opened.
    fs::create_dir(path(dir.path(), &HASH)).unwrap();
    assert!(!check(&open(&dir, true, None)).2);
}

#[test]
fn the_flusher_saves_only_pieces_written_before_its_batch() {
    let dir = TempDir::new("resume-flush");
    let data = content(&files());
    let g = geometry();
    let s = open(&dir, true, None);
    let mut f = s.flusher(&Bitfield::new(4));
    f.every = 2048;
    let write = |f: &mut Flusher, i: u32| {
        let p = g.piece(i).unwrap();
        let at = g.piece_offset(p) as usize;
        s.write_piece(p, &data[at..at + g.piece_len(p) as usize])
            .unwrap();
        f.wrote(p).unwrap();
    };
    write(&mut f, 0);
    write(&mut f, 1); // 2 KiB: handed over with pieces 0 and 1
    f.finish().unwrap(); // the batch is synced and saved
    write(&mut f, 2); // written, not flushed: not listed
    let state = s.inner.load().unwrap();
    assert_eq!(state.verified.iter_raw().collect::<Vec<_>>(), [0, 1]);
    // The stamps were read after the sync, from the files as they are.
    assert_eq!(state.files.len(), 3);
    assert!(state.files.iter().all(|f| f.is_some_and(|s| s.size > 0)));
}

#[test]
fn pieces_found_at_the_start_wait_for_a_flush() {
    let dir = TempDir::new("resume-found");
    download(&dir, &[0, 1, 2, 3], None);
    fs::remove_file(path(dir.path(), &HASH)).unwrap();
    let s = open(&dir, true, None);
    let (good, _, _) = check(&s);
    let mut have = Bitfield::new(4);
    for p in good.iter().filter_map(|&i| geometry().piece(i)) {
        have.set(p);
    }
    let f = s.flusher(&have);
    assert_eq!(f.dirty.len(), 3, "their files are in the next batch");
    assert!(s.inner.load().is_none(), "nothing saved before a sync");
    f.save().unwrap();
    assert_eq!(s.inner.load().unwrap().verified.count(), 4);
}

#[test]
fn nothing_written_saves_nothing_and_removes_an_old_state() {
    let dir = TempDir::new("resume-none");
    let out = dir.path().join("never-made");
    let choice = Choice {
        resume: Some(ResumeFile {
            path: path(&out, &HASH),
            info_hash: HASH,
            trust: true,
        }),
        ..Choice::default()
    };
    let s = Storage::open_with(&out, files(), geometry(), choice).unwrap();
    let f = s.flusher(&Bitfield::new(4));
    f.save().unwrap();
    assert!(!out.exists(), "nothing created");

    download(&dir, &[0], None);
    assert!(path(dir.path(), &HASH).exists());
    let s = open(&dir, false, None);
    s.flusher(&Bitfield::new(4)).save().unwrap();
    assert!(!path(dir.path(), &HASH).exists(), "an empty set removes it");
}
