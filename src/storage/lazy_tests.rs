//! Storage tests of what is created, and when: nothing at open, a file
//! (with its folders) at the first piece that touches it, zero-length
//! files at the end, and never anything by read-only storage.

use super::testutil::{TempDir, content, entries, hashes};
use super::*;
use crate::geometry::Geometry;
use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// 5,000 bytes in 1 KiB pieces (offset..end):
///   t/a 0..1000, t/empty, t/b 1000..1001, t/sub/c 1001..1500,
///   pad 1500..2048, t/d 2048..3500, t/deep/e 3500..5000, t/deep/er/empty.
fn files() -> (Vec<FileEntry>, Geometry) {
    let files = entries(&[
        ("t/a", 1000, false),
        ("t/empty", 0, false),
        ("t/b", 1, false),
        ("t/sub/c", 499, false),
        ("t/.pad/548", 548, true),
        ("t/d", 1452, false),
        ("t/deep/e", 1500, false),
        ("t/deep/er/empty", 0, false),
    ]);
    (files, Geometry::new(5000, 1024, 5).unwrap())
}

/// Every path under `root`, relative and sorted (folders too).
fn tree(root: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            out.push(rel);
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

fn write(s: &Storage, data: &[u8], piece: u32) {
    let g = s.geometry();
    let p = g.piece(piece).unwrap();
    let off = g.piece_offset(p) as usize;
    s.write_piece(p, &data[off..off + g.piece_len(p) as usize])
        .unwrap();
}

#[test]
fn open_creates_nothing_not_even_the_output_directory() {
    let dir = TempDir::new("lazy-open");
    let (files, g) = files();
    let out = dir.path().join("out/deeper");
    let s = Storage::open(&out, files.clone(), g).unwrap();
    s.sync().unwrap();
    assert!(tree(dir.path()).is_empty(), "{:?}", tree(dir.path()));
    // With the output directory there, its files are not made either.
    fs::create_dir_all(&out).unwrap();
    let _s = Storage::open(&out, files, g).unwrap();
    assert!(tree(&out).is_empty(), "{:?}", tree(&out));
}

#[test]
fn each_write_creates_exactly_the_files_its_piece_touches() {
    let dir = TempDir::new("lazy-write");
    let (files, g) = files();
    let data = content(&files);
    let s = Storage::open(&dir.path().join("out"), files, g).unwrap();
    // (piece written, everything under the output directory afterwards)
    let table: &[(u32, &[&str])] = &[
        // Piece 3 is the end of d and the start of deep/e.
        (3, &["t", "t/d", "t/deep", "t/deep/e"]),
        // Piece 1 is the end of sub/c and the pad file: only c is made.
        (1, &["t", "t/d", "t/deep", "t/deep/e", "t/sub", "t/sub/c"]),
        // Piece 0: a, the one-byte b, and c again.
        (
            0,
            &[
                "t", "t/a", "t/b", "t/d", "t/deep", "t/deep/e", "t/sub", "t/sub/c",
            ],
        ),
    ];
    for (piece, want) in table {
        write(&s, &data, *piece);
        assert_eq!(tree(&dir.path().join("out")), *want, "after piece {piece}");
    }
    // A file is made at its final length; what was written is in place.
    let e = fs::read(dir.path().join("out/t/deep/e")).unwrap();
    assert_eq!(e.len(), 1500);
    assert_eq!(e[..596], data[3500..4096]);
    assert!(e[596..].iter().all(|&b| b == 0));
    // The zero-length files come last, with their folders.
    s.create_empty_files().unwrap();
    let out = dir.path().join("out");
    assert_eq!(fs::metadata(out.join("t/empty")).unwrap().len(), 0);
    assert_eq!(fs::metadata(out.join("t/deep/er/empty")).unwrap().len(), 0);
    assert!(!out.join("t/.pad").exists());
}

#[test]
fn reading_a_file_never_written_is_an_error_naming_it() {
    let dir = TempDir::new("lazy-read");
    let (files, g) = files();
    let data = content(&files);
    let s = Storage::open(dir.path(), files, g).unwrap();
    write(&s, &data, 0);
    let reader = s.reader();
    // Piece 2 lies in d, which no write has made.
    let block = g.block(g.piece(2).unwrap(), 0).unwrap();
    let err = reader.read_block(block, &mut [0; 1024]).unwrap_err();
    assert!(err.to_string().contains("t/d"), "{err}");
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    assert!(s.read_piece(g.piece(3).unwrap(), &mut Vec::new()).is_err());
    // Piece 0 was written: served.
    let block = g.block(g.piece(0).unwrap(), 0).unwrap();
    let mut out = [0; 1024];
    reader.read_block(block, &mut out).unwrap();
    assert_eq!(out[..], data[..1024]);
}

#[test]
fn a_file_that_appears_after_open_is_not_overwritten() {
    let dir = TempDir::new("lazy-appear");
    let (files, g) = files();
    let data = content(&files);
    let s = Storage::open(dir.path(), files, g).unwrap();
    fs::create_dir_all(dir.path().join("t")).unwrap();
    fs::write(dir.path().join("t/d"), b"someone else's").unwrap();
    let p2 = g.piece(2).unwrap();
    let err = s.write_piece(p2, &data[2048..3072]).unwrap_err();
    assert!(err.to_string().contains("t/d"), "{err}");
    assert_eq!(fs::read(dir.path().join("t/d")).unwrap(), b"someone else's");
}

#[test]
fn resume_after_a_crash_hashes_only_what_was_written() {
    let dir = TempDir::new("lazy-resume");
    let (files, g) = files();
    let data = content(&files);
    let sums = hashes(&data, 1024);
    {
        let s = Storage::open(dir.path(), files.clone(), g).unwrap();
        write(&s, &data, 3);
        // Dropped without sync or create_empty_files, as by `kill -9`.
    }
    let s = Storage::open(dir.path(), files, g).unwrap();
    // d and deep/e exist at full length; the rest are still missing.
    assert_eq!(s.existing_bytes(), 1452 + 1500);
    let good = check_existing(&s, &sums, &mut |_, _| {}).unwrap();
    assert_eq!(good.iter_raw().collect::<Vec<_>>(), vec![3]);
    assert!(!dir.path().join("t/a").exists());
}

/// Sets the modification time of every file under `root` to an hour ago,
/// so a write (which sets it to now) cannot go unnoticed.
fn age(root: &Path) {
    let then = SystemTime::now() - Duration::from_secs(3600);
    for rel in tree(root) {
        let path = root.join(rel);
        if path.is_file() {
            fs::File::options()
                .write(true)
                .open(&path)
                .and_then(|f| f.set_modified(then))
                .unwrap();
        }
    }
}

/// (path, bytes, modification time) of every file under `root`.
fn snapshot(root: &Path) -> Vec<(String, Vec<u8>, SystemTime)> {
    tree(root)
        .into_iter()
        .filter(|rel| root.join(rel).is_file())
        .map(|rel| {
            let path = root.join(&rel);
            let mtime = fs::metadata(&path).unwrap().modified().unwrap();
            (rel, fs::read(&path).unwrap(), mtime)
        })
        .collect()
}

#[test]
fn read_only_storage_changes_no_byte_size_or_time() {
    let dir = TempDir::new("lazy-readonly");
    let (files, g) = files();
    let data = content(&files);
    let root = dir.path();
    // a is complete, b is missing, sub/c is short, d is longer than the
    // torrent's, deep/e is complete; the empty files are missing.
    fs::create_dir_all(root.join("t/sub")).unwrap();
    fs::create_dir_all(root.join("t/deep")).unwrap();
    fs::write(root.join("t/a"), &data[..1000]).unwrap();
    fs::write(root.join("t/sub/c"), &data[1001..1100]).unwrap();
    fs::write(root.join("t/d"), [9u8; 2000]).unwrap();
    fs::write(root.join("t/deep/e"), &data[3500..]).unwrap();
    age(root);
    let before = snapshot(root);
    let names = tree(root);

    let s = Storage::open_existing(root, files, g).unwrap();
    let good = check_existing(&s, &hashes(&data, 1024), &mut |_, _| {}).unwrap();
    assert_eq!(good.iter_raw().collect::<Vec<_>>(), vec![4]);
    assert!(s.write_piece(g.piece(4).unwrap(), &data[4096..]).is_err());
    s.create_empty_files().unwrap();
    s.sync().unwrap();
    drop(s);

    assert_eq!(tree(root), names, "nothing created or removed");
    assert!(snapshot(root) == before, "a byte, size or time changed");
}
