//! Storage tests on a real temporary directory.

use super::testutil::{TempDir, content, entries, hashes};
use super::*;
use crate::geometry::Geometry;

/// Writes every piece of `data`.
fn write_all(s: &Storage, data: &[u8]) {
    let g = s.geometry();
    for p in g.pieces() {
        let off = g.piece_offset(p) as usize;
        s.write_piece(p, &data[off..off + g.piece_len(p) as usize])
            .unwrap();
    }
}

/// A torrent with every edge: a 3-file piece, a one-byte file, empty
/// files, a file smaller than a block, a pad file, a short last piece.
fn edge_files() -> (Vec<FileEntry>, Geometry) {
    let files = entries(&[
        ("t/a", 1000, false),
        ("t/empty", 0, false),
        ("t/b", 1, false),
        ("t/sub/c", 499, false),
        ("t/.pad/548", 548, true),
        ("t/d", 1452, false),
        ("t/e", 1500, false),
        ("t/deep/er/empty", 0, false),
    ]);
    (files, Geometry::new(5000, 1024, 5).unwrap())
}

#[test]
fn round_trip_and_files_on_disk() {
    let dir = TempDir::new("roundtrip");
    let (files, g) = edge_files();
    let data = content(&files);
    let s = Storage::open(dir.path(), files.clone(), g).unwrap();
    assert_eq!(s.existing_bytes(), 0);
    write_all(&s, &data);
    // Zero-length files own no piece: made only when asked, at the end.
    assert!(!dir.path().join("t/empty").exists());
    s.create_empty_files().unwrap();
    s.sync().unwrap();

    let mut buf = Vec::new();
    for p in g.pieces() {
        s.read_piece(p, &mut buf).unwrap();
        let off = g.piece_offset(p) as usize;
        assert_eq!(buf, &data[off..off + g.piece_len(p) as usize], "piece {p}");
    }
    // Each file holds exactly its bytes; the pad file does not exist.
    let table: &[(&str, Option<std::ops::Range<usize>>)] = &[
        ("t/a", Some(0..1000)),
        ("t/empty", Some(1000..1000)),
        ("t/b", Some(1000..1001)),
        ("t/sub/c", Some(1001..1500)),
        ("t/.pad/548", None),
        ("t/.pad", None),
        ("t/d", Some(2048..3500)),
        ("t/e", Some(3500..5000)),
        ("t/deep/er/empty", Some(0..0)),
    ];
    for (path, want) in table {
        let got = std::fs::read(dir.path().join(path)).ok();
        assert_eq!(got.as_deref(), want.clone().map(|r| &data[r]), "{path}");
    }
    assert_eq!(hashes(&data, 1024).len(), 5);
}

#[test]
fn pad_ranges_read_as_zeros_even_when_written_non_zero() {
    let dir = TempDir::new("pad");
    let (files, g) = edge_files();
    let s = Storage::open(dir.path(), files, g).unwrap();
    // Piece 1 is c's tail (476 bytes) then 548 pad bytes.
    let p1 = g.piece(1).unwrap();
    s.write_piece(p1, &[0xff; 1024]).unwrap();
    let mut buf = Vec::new();
    s.read_piece(p1, &mut buf).unwrap();
    assert!(buf[..476].iter().all(|&b| b == 0xff));
    assert!(buf[476..].iter().all(|&b| b == 0));
    assert!(!dir.path().join("t/.pad").exists());
}

#[test]
fn reader_serves_blocks_across_files() {
    let dir = TempDir::new("reader");
    let files = entries(&[("r/a", 16394, false), ("r/b", 20000, false)]);
    let data = content(&files);
    let g = Geometry::new(36394, 32768, 2).unwrap();
    let s = Storage::open(dir.path(), files, g).unwrap();
    write_all(&s, &data);
    let reader = s.reader();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let reader = reader.clone();
            let data = data.clone();
            std::thread::spawn(move || {
                for p in g.pieces() {
                    for b in g.blocks(p) {
                        let mut out = vec![0; b.len as usize];
                        reader.read_block(b, &mut out).unwrap();
                        let off = (g.piece_offset(p) + u64::from(b.offset)) as usize;
                        assert_eq!(out, &data[off..off + b.len as usize]);
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let b = g.block(g.piece(0).unwrap(), 0).unwrap();
    assert!(reader.read_block(b, &mut [0; 3]).is_err());
}

#[test]
fn write_piece_checks_its_length() {
    let dir = TempDir::new("len");
    let g = Geometry::new(1500, 1024, 2).unwrap();
    let s = Storage::open(dir.path(), entries(&[("x", 1500, false)]), g).unwrap();
    let last = g.piece(1).unwrap();
    assert!(s.write_piece(last, &[0; 1024]).is_err());
    assert!(s.write_piece(last, &[0; 476]).is_ok());
}

#[test]
fn reopen_keeps_existing_data_and_extends_short_files() {
    let dir = TempDir::new("resume");
    let files = entries(&[("x/a", 1024, false), ("x/b", 1024, false)]);
    std::fs::create_dir_all(dir.path().join("x")).unwrap();
    std::fs::write(dir.path().join("x/a"), [7u8; 100]).unwrap();
    let g = Geometry::new(2048, 1024, 2).unwrap();
    let s = Storage::open(dir.path(), files, g).unwrap();
    assert_eq!(s.existing_bytes(), 100);
    let a = std::fs::read(dir.path().join("x/a")).unwrap();
    assert_eq!(a.len(), 1024);
    assert!(a[..100].iter().all(|&b| b == 7) && a[100..].iter().all(|&b| b == 0));
    // The missing file waits for its first piece.
    assert!(!dir.path().join("x/b").exists());
    assert_eq!((s.file_len(0), s.file_len(1)), (Some(1024), None));
}

#[test]
fn many_files_past_the_open_limit() {
    let dir = TempDir::new("many");
    let n = MAX_OPEN_FILES + 20;
    let names: Vec<String> = (0..n).map(|i| format!("m/{i}")).collect();
    let list: Vec<_> = names.iter().map(|name| (name.as_str(), 2, false)).collect();
    let files = entries(&list);
    let data = content(&files);
    let total = data.len() as u64;
    let g = Geometry::new(total, 1024, total.div_ceil(1024)).unwrap();
    let s = Storage::open(dir.path(), files, g).unwrap();
    // No sync here: 532 fsyncs take seconds, and the page cache is enough.
    write_all(&s, &data);
    // Past the limit, files are still created and written, by path.
    let last = format!("m/{}", n - 1);
    assert_eq!(
        std::fs::read(dir.path().join(last)).unwrap(),
        &data[data.len() - 2..]
    );
    let mut buf = Vec::new();
    s.read_piece(g.piece(1).unwrap(), &mut buf).unwrap();
    assert_eq!(buf, &data[1024..]);
}

/// The error message of a failed open, for matching.
fn open_err(root: &std::path::Path, files: Vec<FileEntry>, g: Geometry) -> String {
    match Storage::open(root, files, g) {
        Ok(_) => panic!("open succeeded"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn open_refuses_what_it_must_not_touch() {
    let dir = TempDir::new("refuse");
    let g = Geometry::new(100, 1024, 1).unwrap();
    let root = dir.path();
    std::fs::write(root.join("plain"), b"x").unwrap();
    std::fs::create_dir_all(root.join("dir/name")).unwrap();
    std::fs::write(root.join("long"), [1u8; 200]).unwrap();

    // (root, files, part of the message)
    let table: &[(PathBuf, &str, &str)] = &[
        (root.join("plain"), "f", "plain: is not a directory"),
        (
            root.to_path_buf(),
            "plain/f",
            "plain: is a file, where the torrent has a directory",
        ),
        (
            root.join("dir"),
            "name",
            "name: is a directory, where the torrent has a file",
        ),
        (
            root.to_path_buf(),
            "long",
            "long: exists with 200 bytes, more than the torrent's 100",
        ),
        // A missing root below a file: the file is named.
        (root.join("plain/out"), "f", "plain: is not a directory"),
    ];
    for (r, path, want) in table {
        let got = open_err(r, entries(&[(path, 100, false)]), g);
        assert!(got.contains(want), "{path}: {got}");
    }
    // A FIFO is refused, not opened (reading it would block).
    let fifo = root.join("fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        let got = open_err(root, entries(&[("fifo", 100, false)]), g);
        assert!(got.contains("fifo: is not a regular file"), "{got}");
        let got = Storage::open_existing(root, entries(&[("fifo", 100, false)]), g).err();
        assert!(got.is_some_and(|e| e.to_string().contains("not a regular file")));
    }
    // The longer file is left alone.
    assert_eq!(std::fs::metadata(root.join("long")).unwrap().len(), 200);
    // A file list that does not add up.
    let got = open_err(root, entries(&[("short", 99, false)]), g);
    assert!(got.contains("add up to 99 bytes"), "{got}");
}

#[test]
fn open_existing_creates_nothing_and_cannot_write() {
    let dir = TempDir::new("readonly");
    let root = dir.path();
    std::fs::create_dir_all(root.join("t")).unwrap();
    std::fs::write(root.join("t/a"), [3u8; 1024]).unwrap();
    std::fs::write(root.join("t/short"), [3u8; 10]).unwrap();
    let files = entries(&[
        ("t/a", 1024, false),
        ("t/missing", 1024, false),
        ("t/short", 1024, false),
        ("t/gone/empty", 0, false),
    ]);
    let g = Geometry::new(3072, 1024, 3).unwrap();
    let s = Storage::open_existing(root, files, g).unwrap();
    assert_eq!(s.existing_bytes(), 1024 + 10);
    assert_eq!(
        (0..4).map(|i| s.file_len(i)).collect::<Vec<_>>(),
        vec![Some(1024), None, Some(10), None]
    );
    assert!(!root.join("t/missing").exists() && !root.join("t/gone").exists());
    assert_eq!(std::fs::metadata(root.join("t/short")).unwrap().len(), 10);
    let on_disk: Vec<bool> = g.pieces().map(|p| s.is_on_disk(p)).collect();
    assert_eq!(on_disk, vec![true, false, false]);
    let p0 = g.piece(0).unwrap();
    let err = s.write_piece(p0, &[0; 1024]).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
    // Reading a missing file is an error that names it.
    let err = s
        .read_piece(g.piece(1).unwrap(), &mut Vec::new())
        .unwrap_err();
    assert!(err.to_string().contains("t/missing"), "{err}");
    s.sync().unwrap();

    // A missing root is all missing, and stays missing.
    let nope = root.join("nope");
    let s = Storage::open_existing(&nope, entries(&[("a", 3072, false)]), g).unwrap();
    assert_eq!((s.existing_bytes(), s.file_len(0)), (0, None));
    assert!(!nope.exists());
}
