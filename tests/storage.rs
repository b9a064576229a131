//! Storage and verify through the public API, on a real temporary directory.

use bitsy::geometry::Geometry;
use bitsy::metainfo::FileEntry;
use bitsy::storage::{Storage, check_existing};
use bitsy::verify::{FileStatus, verify};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// A fresh directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("bitsy-it-{tag}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// File entries for (path, length, pad) rows, placed end to end.
fn entries(list: &[(&str, u64, bool)]) -> Vec<FileEntry> {
    let mut offset = 0;
    list.iter()
        .map(|&(path, length, pad)| {
            let entry = FileEntry {
                path: PathBuf::from(path),
                length,
                offset,
                pad,
            };
            offset += length;
            entry
        })
        .collect()
}

/// A multi-file torrent at 16 KiB pieces, 8 pieces, the last one short:
///   album/cover.jpg      20,000  (pieces 0-1)
///   album/empty.txt           0
///   album/.pad/12768     12,768  pad to the end of piece 1
///   album/cd1/01.flac    50,000  (pieces 2-5)
///   album/cd1/02.flac         1  one byte, inside piece 5
///   album/notes.txt      46,224  (pieces 5-7; piece 7 is 14,305 bytes)
fn album() -> (Vec<FileEntry>, Geometry) {
    let files = entries(&[
        ("album/cover.jpg", 20_000, false),
        ("album/empty.txt", 0, false),
        ("album/.pad/12768", 12_768, true),
        ("album/cd1/01.flac", 50_000, false),
        ("album/cd1/02.flac", 1, false),
        ("album/notes.txt", 46_224, false),
    ]);
    let total: u64 = files.iter().map(|f| f.length).sum();
    (files, Geometry::new(total, 16_384, 8).unwrap())
}

fn content(files: &[FileEntry]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in files {
        for _ in 0..f.length {
            let i = out.len();
            out.push(if f.pad { 0 } else { (i * 31 % 253) as u8 });
        }
    }
    out
}

fn piece_hashes(data: &[u8], g: Geometry) -> Vec<[u8; 20]> {
    data.chunks(g.nominal_piece_len() as usize)
        .map(|c| sha1_smol::Sha1::from(c).digest().bytes())
        .collect()
}

fn piece_data(data: &[u8], g: Geometry, raw: u32) -> &[u8] {
    let p = g.piece(raw).unwrap();
    let off = g.piece_offset(p) as usize;
    &data[off..off + g.piece_len(p) as usize]
}

#[test]
fn download_resume_and_verify() {
    let dir = TempDir::new("album");
    let (files, g) = album();
    assert_eq!(g.piece_len(g.piece(7).unwrap()), 14_305);
    let data = content(&files);
    let hashes = piece_hashes(&data, g);

    // Download: pieces arrive out of order; a peer thread uploads a piece
    // while the main thread writes others.
    {
        let s = Storage::open(dir.path(), files.clone(), g).unwrap();
        assert_eq!(s.existing_bytes(), 0);
        s.write_piece(g.piece(3).unwrap(), piece_data(&data, g, 3))
            .unwrap();
        let reader = s.reader();
        let uploader = std::thread::spawn(move || {
            let mut served = Vec::new();
            for b in g.blocks(g.piece(3).unwrap()) {
                let mut out = vec![0; b.len as usize];
                reader.read_block(b, &mut out).unwrap();
                served.extend_from_slice(&out);
            }
            served
        });
        for raw in [7, 0, 5, 1, 2, 6, 4] {
            s.write_piece(g.piece(raw).unwrap(), piece_data(&data, g, raw))
                .unwrap();
        }
        assert_eq!(uploader.join().unwrap(), piece_data(&data, g, 3));
        // The empty file owns no piece: it is made once all are written.
        assert!(!dir.path().join("album/empty.txt").exists());
        s.create_empty_files().unwrap();
        s.sync().unwrap();
    }

    // On disk: each file holds its bytes; no pad file; the empty file exists.
    let root = dir.path();
    assert_eq!(
        fs::read(root.join("album/cover.jpg")).unwrap(),
        &data[..20_000]
    );
    assert_eq!(
        fs::read(root.join("album/cd1/01.flac")).unwrap(),
        &data[32_768..82_768]
    );
    assert_eq!(
        fs::read(root.join("album/cd1/02.flac")).unwrap(),
        &data[82_768..82_769]
    );
    assert_eq!(
        fs::read(root.join("album/notes.txt")).unwrap(),
        &data[82_769..]
    );
    assert_eq!(fs::metadata(root.join("album/empty.txt")).unwrap().len(), 0);
    assert!(!root.join("album/.pad").exists());

    // Resume: everything is there and checks good.
    let s = Storage::open(root, files.clone(), g).unwrap();
    assert_eq!(s.existing_bytes(), 116_225);
    let mut last = (0, 0);
    let good = check_existing(&s, &hashes, &mut |d, t| last = (d, t)).unwrap();
    assert!(good.is_full());
    assert_eq!(last, (8, 8));
    drop(s);

    // Verify, after damaging the one-byte file (piece 5 is shared by
    // 01.flac, 02.flac and notes.txt) and deleting the cover.
    fs::write(root.join("album/cd1/02.flac"), [data[82_768] ^ 1]).unwrap();
    fs::remove_file(root.join("album/cover.jpg")).unwrap();
    let report = verify(root, files, g, &hashes, &mut |_, _| {}).unwrap();
    let got: Vec<_> = report.files.iter().map(|f| f.status).collect();
    assert_eq!(
        got,
        vec![
            FileStatus::Missing,
            FileStatus::Complete,
            FileStatus::Partial { good: 3, total: 4 },
            FileStatus::Partial { good: 0, total: 1 },
            FileStatus::Partial { good: 2, total: 3 },
        ]
    );
    assert!(!report.is_complete());
    assert!(
        !root.join("album/cover.jpg").exists(),
        "verify created a file"
    );
    let text = report.render();
    assert!(text.contains("missing   album/cover.jpg"), "{text}");
    assert!(
        text.ends_with("1 of 5 files complete, 5 of 8 pieces good: INCOMPLETE\n"),
        "{text}"
    );
}

#[test]
fn a_large_torrent_costs_no_memory_or_disk_up_front() {
    // 4 GiB in 16 MiB pieces: files are sparse, and only the piece written
    // is read back; nothing holds more than one piece.
    let dir = TempDir::new("large");
    let total = 4u64 << 30;
    let files = entries(&[("big/a.iso", total - 1000, false), ("big/b", 1000, false)]);
    let g = Geometry::new(total, 16 << 20, 256).unwrap();
    let s = Storage::open(dir.path(), files, g).unwrap();
    assert!(!dir.path().join("big").exists(), "open creates nothing");
    let last = g.piece(255).unwrap();
    let piece: Vec<u8> = (0..g.piece_len(last)).map(|i| (i % 199) as u8).collect();
    s.write_piece(last, &piece).unwrap();
    // The last piece made both files, each at its final length.
    assert_eq!(
        fs::metadata(dir.path().join("big/a.iso")).unwrap().len(),
        total - 1000
    );
    assert_eq!(fs::metadata(dir.path().join("big/b")).unwrap().len(), 1000);
    let mut buf = Vec::new();
    s.read_piece(last, &mut buf).unwrap();
    assert!(buf == piece);
    // A fresh download has nothing to check: every piece is skipped.
    let hashes = vec![[0u8; 20]; 256];
    let good = check_existing(&s, &hashes, &mut |_, _| {}).unwrap();
    assert!(good.is_empty());
}
