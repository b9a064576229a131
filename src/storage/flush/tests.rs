//! The flusher with a recording fake sync, and with the real one.

use super::*;
use crate::geometry::Geometry;
use crate::storage::Storage;
use crate::storage::testutil::{TempDir, entries};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const K: u64 = 1024;

/// Files of 10, 30 and 20 KiB in pieces of 16 KiB: piece 0 is KiB
/// 0..16 (files 0 and 1), piece 2 is 32..48 (files 1 and 2), piece 3
/// is 48..60 (file 2).
fn three_files(dir: &TempDir, writable: bool) -> Storage {
    let files = entries(&[
        ("a", 10 * K, false),
        ("b", 30 * K, false),
        ("c", 20 * K, false),
    ]);
    let g = Geometry::new(60 * K, 16 * K, 4).unwrap();
    match writable {
        true => Storage::open(dir.path(), files, g).unwrap(),
        false => Storage::open_existing(dir.path(), files, g).unwrap(),
    }
}

fn piece(s: &Storage, i: u32) -> PieceIndex {
    s.geometry().piece(i).unwrap()
}

/// A flusher whose sync records the files it is asked for and fails
/// for file `bad`.
fn recording(storage: &Storage, every: u64, bad: usize) -> (Flusher, Arc<Mutex<Vec<usize>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let sync = Arc::new(move |file: usize| {
        log.lock().map_err(|_| fail(file))?.push(file);
        match file == bad {
            true => Err(fail(file)),
            false => Ok(()),
        }
    });
    (Flusher::with(storage.inner.clone(), sync, every), seen)
}

fn fail(file: usize) -> PathError {
    PathError {
        path: format!("file-{file}").into(),
        source: io::Error::other("disk on fire"),
    }
}

/// Waits (at most 10 s) until `seen` holds `n` entries; returns them.
fn wait_for(seen: &Mutex<Vec<usize>>, n: usize) -> Vec<usize> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = seen.lock().map(|v| v.clone()).unwrap_or_default();
        if now.len() >= n || Instant::now() > deadline {
            return now;
        }
        thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn nothing_is_flushed_before_enough_is_written() {
    let dir = TempDir::new("flush-few");
    let s = three_files(&dir, true);
    let (mut f, seen) = recording(&s, 1 << 20, usize::MAX);
    for p in 0..4 {
        f.wrote(piece(&s, p)).unwrap();
    }
    assert!(f.thread.is_none(), "no thread before the first flush");
    assert_eq!(f.dirty.iter().copied().collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!(f.unflushed, 60 * K);
    drop(f);
    assert!(seen.lock().unwrap().is_empty());
}

#[test]
fn the_files_written_since_the_last_flush_are_handed_over() {
    let dir = TempDir::new("flush-files");
    let s = three_files(&dir, true);
    let (mut f, seen) = recording(&s, 16 * K, usize::MAX);
    f.wrote(piece(&s, 0)).unwrap();
    assert_eq!(wait_for(&seen, 2), [0, 1]);
    f.wrote(piece(&s, 3)).unwrap();
    assert_eq!(f.unflushed, 12 * K, "under the threshold: not yet");
    f.wrote(piece(&s, 2)).unwrap();
    // Files 1 and 2, file 2 once although two pieces touched it.
    assert_eq!(wait_for(&seen, 4), [0, 1, 1, 2]);
    assert!(f.dirty.is_empty() && f.unflushed == 0);
}

#[test]
fn an_error_from_the_disk_comes_back_once() {
    let dir = TempDir::new("flush-error");
    let s = three_files(&dir, true);
    let (mut f, seen) = recording(&s, 16 * K, 1);
    f.wrote(piece(&s, 0)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let err = loop {
        match f.check() {
            Err(e) => break e,
            Ok(()) if Instant::now() < deadline => thread::sleep(Duration::from_millis(2)),
            Ok(()) => panic!("the error never came back"),
        }
    };
    assert_eq!(err.path, std::path::PathBuf::from("file-1"));
    assert!(f.check().is_ok(), "reported once");
    // `finish` waits for the thread and returns what is left.
    f.wrote(piece(&s, 0)).unwrap();
    wait_for(&seen, 4);
    assert_eq!(f.finish().map_err(|e| e.path), Err("file-1".into()));
}

#[test]
fn the_real_sync_flushes_files_on_disk_and_skips_the_others() {
    let dir = TempDir::new("flush-real");
    let s = three_files(&dir, true);
    s.write_piece(piece(&s, 0), &[7; 16 * 1024]).unwrap();
    let mut f = s.flusher(&Bitfield::new(4));
    f.every = 28 * K;
    // One batch of files 0, 1 and 2; file 2 is not on disk yet:
    // nothing to flush there, and no error.
    f.wrote(piece(&s, 0)).unwrap();
    f.wrote(piece(&s, 3)).unwrap();
    assert!(f.dirty.is_empty());
    assert!(f.finish().is_ok());
    assert!(!dir.path().join("c").exists());
}

#[test]
fn read_only_storage_is_never_flushed() {
    let dir = TempDir::new("flush-ro");
    let s = three_files(&dir, true);
    for p in 0..4 {
        let len = s.geometry().piece_len(piece(&s, p)) as usize;
        s.write_piece(piece(&s, p), &vec![1; len]).unwrap();
    }
    let ro = three_files(&dir, false);
    let mut f = ro.flusher(&Bitfield::new(4));
    f.every = 1;
    f.wrote(piece(&ro, 0)).unwrap();
    assert!(f.thread.is_none() && f.dirty.is_empty());
}
