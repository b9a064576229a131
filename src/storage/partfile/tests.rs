//! The part file alone, and storage with a `--select`ion around it.

use super::*;
use crate::selection::Select;
use crate::storage::testutil::{TempDir, content, entries, hashes};
use crate::storage::{Choice, Storage, check_existing};

#[test]
fn slots_survive_a_reopen_and_free_slots_are_reused() {
    let dir = TempDir::new("parts");
    let g = Geometry::new(4000, 1024, 4).unwrap();
    let path = dir.path().join(".x.parts");
    let piece = |i| g.piece(i).unwrap();
    {
        let parts = Partfile::open(path.clone(), g, true).unwrap();
        assert!(!path.exists(), "opening creates nothing");
        parts.write(piece(3), &[3; 928]).unwrap(); // the short last piece
        parts.write(piece(1), &[1; 1024]).unwrap();
        parts.write(piece(3), &[7; 928]).unwrap(); // rewritten in place
        assert_eq!(parts.len(), 2);
    }
    // Slot 0 holds piece 3, slot 1 piece 1: 8 + 1024 + 8 + 1024 bytes.
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 2 * (8 + 1024));
    let parts = Partfile::open(path.clone(), g, false).unwrap();
    assert!(parts.has(piece(1)) && parts.has(piece(3)) && !parts.has(piece(0)));
    let mut out = [0u8; 4];
    assert!(parts.read(piece(3), 924, &mut out).unwrap());
    assert_eq!(out, [7; 4]);
    assert!(!parts.read(piece(0), 0, &mut out).unwrap());
    assert!(parts.write(piece(0), &[0; 1024]).is_err(), "read-only");

    // A torn slot (header zeroed, as after a crash) is free, and reused.
    let file = OpenOptions::new().write(true).open(&path).unwrap();
    file.write_all_at(&[0; 8], 0).unwrap();
    let parts = Partfile::open(path.clone(), g, true).unwrap();
    assert!(!parts.has(piece(3)) && parts.has(piece(1)));
    parts.write(piece(2), &[2; 1024]).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 2 * (8 + 1024));
    parts.remove().unwrap();
    assert!(!path.exists() && !parts.has(piece(1)));
}

#[test]
fn headers_that_are_not_ours_or_out_of_range_are_ignored() {
    let dir = TempDir::new("parts-bad");
    let g = Geometry::new(2048, 1024, 2).unwrap();
    let path = dir.path().join(".y.parts");
    let mut bytes = Vec::new();
    // (magic, piece): a foreign magic, a piece past the end, then a
    // duplicate of a good one; each slot is 8 + 1024 bytes.
    for (magic, index) in [(*b"junk", 0u32), (MAGIC, 9), (MAGIC, 1), (MAGIC, 1)] {
        bytes.extend_from_slice(&magic);
        bytes.extend_from_slice(&index.to_be_bytes());
        bytes.extend_from_slice(&[index as u8; 1024]);
    }
    std::fs::write(&path, bytes).unwrap();
    let parts = Partfile::open(path, g, false).unwrap();
    // Only two slots are read (two pieces): junk, then the out-of-range one.
    assert_eq!(parts.len(), 0);
    // A folder at its path is refused, not opened.
    let folder = dir.path().join(".z.parts");
    std::fs::create_dir(&folder).unwrap();
    assert!(Partfile::open(folder.clone(), g, false).is_err());
    assert!(Partfile::open(folder, g, true).is_err());
}

/// 3 pieces of 1 KiB: a = 0..1500 (pieces 0-1), b = 1500..1600 (inside
/// piece 1), c = 1600..3072 (pieces 1-2). Piece 1 touches all three.
fn three() -> Vec<crate::metainfo::FileEntry> {
    entries(&[
        ("t/a", 1500, false),
        ("t/b", 100, false),
        ("t/c", 1472, false),
    ])
}

fn choice(dir: &TempDir, text: &str) -> Choice {
    let files = three();
    Choice {
        selection: Some(Select::parse(text).unwrap().resolve(&files).unwrap()),
        parts: Some(dir.path().join(".t.parts")),
        resume: None,
    }
}

#[test]
fn a_selection_writes_only_its_files_and_keeps_boundary_pieces() {
    let dir = TempDir::new("select-write");
    let files = three();
    let data = content(&files);
    let sums = hashes(&data, 1024);
    let g = Geometry::new(3072, 1024, 3).unwrap();
    let piece = |i| g.piece(i).unwrap();
    let bytes = |i: u32| &data[i as usize * 1024..((i as usize + 1) * 1024).min(3072)];
    {
        // Select b alone: piece 1 is the only piece it needs.
        let s = Storage::open_with(dir.path(), files.clone(), g, choice(&dir, "2")).unwrap();
        s.write_piece(piece(1), bytes(1)).unwrap();
        s.create_empty_files().unwrap();
        s.sync().unwrap();
        // Peers are served the whole piece: b from its file, a and c
        // from the part file.
        let mut buf = Vec::new();
        s.read_piece(piece(1), &mut buf).unwrap();
        assert_eq!(buf, bytes(1));
    }
    assert!(!dir.path().join("t/a").exists(), "a is not selected");
    assert!(!dir.path().join("t/c").exists(), "c is not selected");
    assert_eq!(
        std::fs::read(dir.path().join("t/b")).unwrap(),
        &data[1500..1600]
    );
    assert!(dir.path().join(".t.parts").exists());

    // The resume check of the same selection finds the piece again.
    let s = Storage::open_with(dir.path(), files.clone(), g, choice(&dir, "2")).unwrap();
    let good = check_existing(&s, &sums, &mut |_, _| {}).unwrap();
    assert_eq!(good.iter_raw().collect::<Vec<_>>(), vec![1]);
    drop(s);

    // Damage b: the piece is read from b and the part file, and fails.
    std::fs::write(dir.path().join("t/b"), [0u8; 100]).unwrap();
    let s = Storage::open_with(dir.path(), files, g, choice(&dir, "2")).unwrap();
    let good = check_existing(&s, &sums, &mut |_, _| {}).unwrap();
    assert_eq!(good.count(), 0);
}

#[test]
fn files_left_out_are_read_but_never_changed() {
    let dir = TempDir::new("select-leave");
    let files = three();
    let data = content(&files);
    let sums = hashes(&data, 1024);
    let g = Geometry::new(3072, 1024, 3).unwrap();
    // A past download left a whole, and c 10 bytes longer than the
    // torrent says: c is not refused, truncated or written.
    std::fs::create_dir_all(dir.path().join("t")).unwrap();
    std::fs::write(dir.path().join("t/a"), &data[..1500]).unwrap();
    let mut long_c = data[1600..].to_vec();
    long_c.extend_from_slice(&[9; 10]);
    std::fs::write(dir.path().join("t/c"), &long_c).unwrap();
    // A folder where b should be: not ours to judge.
    std::fs::create_dir_all(dir.path().join("t/b")).unwrap();
    let s = Storage::open_with(dir.path(), files, g, choice(&dir, "1")).unwrap();
    // Piece 0 is a's alone; piece 1 needs b, which is not there.
    let good = check_existing(&s, &sums, &mut |_, _| {}).unwrap();
    assert_eq!(good.iter_raw().collect::<Vec<_>>(), vec![0]);
    let p1 = g.piece(1).unwrap();
    s.write_piece(p1, &data[1024..2048]).unwrap();
    s.sync().unwrap();
    assert!(dir.path().join("t/b").is_dir());
    assert_eq!(std::fs::read(dir.path().join("t/c")).unwrap(), long_c);
    assert_eq!(
        std::fs::read(dir.path().join("t/a")).unwrap(),
        &data[..1500]
    );
}

#[test]
fn a_complete_download_of_every_file_deletes_the_part_file() {
    let dir = TempDir::new("select-all");
    let files = three();
    let data = content(&files);
    let g = Geometry::new(3072, 1024, 3).unwrap();
    let p1 = g.piece(1).unwrap();
    let s = Storage::open_with(dir.path(), files.clone(), g, choice(&dir, "1")).unwrap();
    s.write_piece(p1, &data[1024..2048]).unwrap();
    s.finish_parts().unwrap();
    assert!(dir.path().join(".t.parts").exists(), "a is not every file");
    drop(s);
    let s = Storage::open_with(dir.path(), files, g, choice(&dir, "1-3")).unwrap();
    s.finish_parts().unwrap();
    assert!(!dir.path().join(".t.parts").exists());
}

#[test]
fn a_wider_selection_takes_the_bytes_of_a_new_file_from_the_part_file() {
    let dir = TempDir::new("select-wider");
    let files = three();
    let data = content(&files);
    let sums = hashes(&data, 1024);
    let g = Geometry::new(3072, 1024, 3).unwrap();
    let p1 = g.piece(1).unwrap();
    {
        let s = Storage::open_with(dir.path(), files.clone(), g, choice(&dir, "2")).unwrap();
        s.write_piece(p1, &data[1024..2048]).unwrap();
    }
    // Now a and b: a is not on disk, but its bytes in piece 1 are kept.
    let s = Storage::open_with(dir.path(), files.clone(), g, choice(&dir, "1-2")).unwrap();
    let good = check_existing(&s, &sums, &mut |_, _| {}).unwrap();
    assert_eq!(good.iter_raw().collect::<Vec<_>>(), vec![1]);
    s.restore_kept(&good).unwrap();
    s.sync().unwrap();
    let a = std::fs::read(dir.path().join("t/a")).unwrap();
    assert_eq!(a.len(), 1500, "created at its length");
    assert_eq!(&a[1024..], &data[1024..1500], "its part of piece 1");
    assert!(!dir.path().join("t/c").exists());
    drop(s);
    // Read-only (verify) reads a chosen file only from itself: without
    // a, piece 1 is not good, though the part file holds it.
    std::fs::remove_file(dir.path().join("t/a")).unwrap();
    let s = Storage::open_existing_with(dir.path(), files, g, choice(&dir, "1-2")).unwrap();
    let good = check_existing(&s, &sums, &mut |_, _| {}).unwrap();
    assert_eq!(good.count(), 0);
}
