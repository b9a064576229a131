//! `bitsy verify FILE.torrent PATH`: check data on disk against the
//! torrent's piece hashes and say, file by file, what is there.
//!
//! The storage is opened with [`Storage::open_existing`], so nothing is
//! created, resized or written. Every piece whose bytes are all on disk is
//! read (in order, on this thread) and hashed (by the `hasher` pool, see
//! `storage::check`); a piece that touches a missing file or runs past
//! the end of a short one is not good, without being read.
//!
//! A file's status comes from the pieces that hold its bytes:
//! - *complete*: it exists and every such piece is good (a zero-length file
//!   only has to exist);
//! - *partial*: it exists but some piece is not good. A piece shared with
//!   a missing or damaged neighbour counts against both files: the hash
//!   covers the whole piece, so it cannot say which file is at fault;
//! - *missing*: nothing is at its path. A missing PATH (the root itself)
//!   makes every file missing: the data is incomplete, not an I/O error.
//!
//! With `--select`, only the pieces the selected files need are checked
//! (a boundary piece's bytes of other files come from the part file, as
//! the download kept them, or from those files if they are there); the
//! other files are listed as *not selected* and count for nothing.
//!
//! Pad files (BEP 47) are not on disk and not listed. Bytes past the
//! torrent's length in a longer file are ignored by the check and noted in
//! the report; they do not make it incomplete.

use crate::error::Error;
use crate::geometry::Geometry;
use crate::metainfo::FileEntry;
use crate::storage::{Choice, Storage};
use crate::wire::bitfield::Bitfield;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// What was found of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileStatus {
    /// On disk, and every piece holding its bytes is good.
    Complete,
    /// On disk, with `good` of the `total` pieces holding its bytes good.
    Partial { good: u32, total: u32 },
    /// Nothing at its path.
    Missing,
    /// Left out by `--select`: not checked.
    NotSelected,
}

/// One (non-pad) file of the torrent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    /// Relative to the checked directory, as in the torrent.
    pub path: PathBuf,
    /// The torrent's length for it.
    pub length: u64,
    pub status: FileStatus,
    /// Bytes on disk past `length` (ignored by the check).
    pub extra_bytes: u64,
}

/// The result of checking a torrent's data.
#[derive(Debug, Clone)]
pub struct VerifyReport {
    /// Every non-pad file, in the torrent's order.
    pub files: Vec<FileReport>,
    /// The pieces whose hash matched.
    pub pieces: Bitfield,
    /// The pieces checked: every piece, or those a selection needs.
    pub needed: Bitfield,
}

/// Opens the files under `root` read-only ([`Storage::open_existing`]:
/// nothing is created or changed) and checks every piece against `hashes`,
/// calling `progress(done, total)` as it goes (at the start, about every
/// percent, and at the end).
pub fn verify(
    root: &Path,
    files: Vec<FileEntry>,
    geometry: Geometry,
    hashes: &[[u8; 20]],
    progress: &mut dyn FnMut(u32, u32),
) -> Result<VerifyReport, Error> {
    verify_with(root, files, geometry, hashes, Choice::default(), progress)
}

/// [`verify`] of the files `choice` selects: only the pieces they need
/// are checked, the others are listed as not selected.
pub fn verify_with(
    root: &Path,
    files: Vec<FileEntry>,
    geometry: Geometry,
    hashes: &[[u8; 20]],
    choice: Choice,
    progress: &mut dyn FnMut(u32, u32),
) -> Result<VerifyReport, Error> {
    let storage = Storage::open_existing_with(root, files, geometry, choice)?;
    verify_storage(&storage, hashes, progress)
}

/// [`verify`] on a storage already open (normally with
/// [`Storage::open_existing`]; a writable one counts the files it created
/// since opening as missing).
pub fn verify_storage(
    storage: &Storage,
    hashes: &[[u8; 20]],
    progress: &mut dyn FnMut(u32, u32),
) -> Result<VerifyReport, Error> {
    let total = storage.geometry().num_pieces();
    if hashes.len() != total as usize {
        let msg = format!("{} piece hashes for {total} pieces", hashes.len());
        return Err(Error::Torrent(msg));
    }
    let wanted = |p| storage.needs(p) && storage.is_on_disk(p);
    let pieces = crate::storage::hash_pieces(
        storage,
        hashes,
        &wanted,
        crate::storage::READ_AHEAD_BYTES,
        progress,
    )?;
    let mut files = Vec::new();
    for index in 0..storage.num_files() {
        let Some(spec) = storage.file(index).filter(|f| !f.pad) else {
            continue;
        };
        let on_disk = storage.file_len(index);
        let status = match on_disk {
            _ if !storage.is_chosen(index) => FileStatus::NotSelected,
            None => FileStatus::Missing,
            Some(_) => {
                let (good, total) = storage
                    .pieces_of(index)
                    .fold((0, 0), |(g, t), p| (g + u32::from(pieces.has(p)), t + 1));
                if good == total {
                    FileStatus::Complete
                } else {
                    FileStatus::Partial { good, total }
                }
            }
        };
        files.push(FileReport {
            extra_bytes: on_disk.unwrap_or(0).saturating_sub(spec.length),
            path: spec.path.clone(),
            length: spec.length,
            status,
        });
    }
    let needed = storage.needed();
    Ok(VerifyReport {
        files,
        pieces,
        needed,
    })
}

impl VerifyReport {
    /// True if every needed piece is good and every selected file exists.
    pub fn is_complete(&self) -> bool {
        // Only needed pieces are hashed, so good ones are a subset.
        self.pieces.count() == self.needed.count()
            && self
                .files
                .iter()
                .all(|f| matches!(f.status, FileStatus::Complete | FileStatus::NotSelected))
    }

    /// One line per file, then a summary line, for the terminal.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for f in &self.files {
            let (word, detail) = match f.status {
                FileStatus::Complete => ("complete", format!("{} bytes", f.length)),
                FileStatus::Partial { good, total } => {
                    ("partial", format!("{good} of {total} pieces good"))
                }
                FileStatus::Missing => ("missing", format!("{} bytes", f.length)),
                FileStatus::NotSelected => ("skipped", "not selected".to_string()),
            };
            let _ = write!(out, "{word:<9} {} ({detail}", printable(&f.path));
            if f.extra_bytes > 0 {
                let _ = write!(out, "; {} extra bytes at the end, ignored", f.extra_bytes);
            }
            out.push_str(")\n");
        }
        let count = |s: FileStatus| self.files.iter().filter(|f| f.status == s).count();
        let skipped = count(FileStatus::NotSelected);
        let selected = self.files.len() - skipped;
        let files = match skipped {
            0 => format!("{selected} files"),
            _ => format!("{selected} selected files"),
        };
        let _ = writeln!(
            out,
            "{} of {files} complete, {} of {} pieces good: {}",
            count(FileStatus::Complete),
            self.pieces.count(),
            self.needed.count(),
            if self.is_complete() {
                "complete"
            } else {
                "INCOMPLETE"
            }
        );
        out
    }
}

/// A path for the terminal: control characters (a torrent may put a
/// newline or an escape in a name) become `?`.
fn printable(path: &std::path::Path) -> String {
    path.display()
        .to_string()
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Geometry;
    use crate::metainfo::FileEntry;
    use crate::storage::testutil::{TempDir, content, entries, hashes};
    use std::fs;

    /// 4 pieces of 1 KiB: a = piece 0 and half of 1; b = the rest of 1 and
    /// half of 2; an empty file; a pad to the end of piece 2; c = the short
    /// last piece 3 (600 bytes).
    fn files() -> Vec<FileEntry> {
        entries(&[
            ("v/a", 1536, false),
            ("v/b", 1024, false),
            ("v/empty", 0, false),
            ("v/.pad/512", 512, true),
            ("v/c", 600, false),
        ])
    }

    /// Writes the files of `files()` whose names are in `present`.
    fn setup(present: &[&str]) -> (TempDir, Vec<[u8; 20]>, Geometry) {
        let dir = TempDir::new("verify");
        let files = files();
        let data = content(&files);
        fs::create_dir_all(dir.path().join("v")).unwrap();
        let mut off = 0;
        for f in &files {
            let end = off + f.length as usize;
            if present.iter().any(|p| f.path.ends_with(p)) {
                fs::write(dir.path().join(&f.path), &data[off..end]).unwrap();
            }
            off = end;
        }
        let g = Geometry::new(off as u64, 1024, 4).unwrap();
        (dir, hashes(&data, 1024), g)
    }

    fn run(dir: &TempDir, sums: &[[u8; 20]], g: Geometry) -> VerifyReport {
        verify(dir.path(), files(), g, sums, &mut |_, _| {}).unwrap()
    }

    fn statuses(r: &VerifyReport) -> Vec<FileStatus> {
        r.files.iter().map(|f| f.status).collect()
    }

    use FileStatus::{Complete, Missing, Partial};

    #[test]
    fn everything_present_is_complete() {
        let (dir, sums, g) = setup(&["a", "b", "empty", "c"]);
        let r = run(&dir, &sums, g);
        assert_eq!(statuses(&r), vec![Complete, Complete, Complete, Complete]);
        assert!(r.is_complete());
        assert!(!dir.path().join("v/.pad").exists());
        let text = r.render();
        assert!(text.contains("complete  v/a (1536 bytes)\n"), "{text}");
        assert!(text.ends_with("4 of 4 files complete, 4 of 4 pieces good: complete\n"));
    }

    #[test]
    fn a_missing_file_and_its_neighbour() {
        // Without a, pieces 0 and 1 fail; b shares piece 1 with it.
        let (dir, sums, g) = setup(&["b", "empty", "c"]);
        let r = run(&dir, &sums, g);
        let want = vec![Missing, Partial { good: 1, total: 2 }, Complete, Complete];
        assert_eq!(statuses(&r), want);
        assert!(!r.is_complete());
        assert!(!dir.path().join("v/a").exists(), "verify created a file");
        let text = r.render();
        assert!(text.contains("missing   v/a (1536 bytes)\n"), "{text}");
        assert!(
            text.contains("partial   v/b (1 of 2 pieces good)\n"),
            "{text}"
        );
        assert!(text.ends_with("2 of 4 files complete, 2 of 4 pieces good: INCOMPLETE\n"));
    }

    #[test]
    fn a_selection_checks_only_its_files() {
        let (dir, sums, g) = setup(&["b", "c"]);
        let select = |text: &str| Choice {
            selection: crate::selection::Select::parse(text)
                .and_then(|s| s.resolve(&files()))
                .ok(),
            parts: Some(dir.path().join(".v.parts")),
            resume: None,
        };
        let check = |text| verify_with(dir.path(), files(), g, &sums, select(text), &mut |_, _| {});
        // c (file 4) lies alone in piece 3, after the pad.
        let r = check("4").unwrap();
        let skip = FileStatus::NotSelected;
        assert_eq!(statuses(&r), vec![skip, skip, skip, Complete]);
        assert!(r.is_complete(), "{}", r.render());
        assert!(r.render().contains("skipped   v/a (not selected)\n"));
        assert!(
            r.render()
                .ends_with("1 of 1 selected files complete, 1 of 1 pieces good: complete\n")
        );
        // b needs pieces 1 and 2; it shares piece 1 with the missing a.
        let r = check("2").unwrap();
        let want = vec![skip, Partial { good: 1, total: 2 }, skip, skip];
        assert_eq!(statuses(&r), want);
        assert!(!r.is_complete());
        assert!(
            !dir.path().join(".v.parts").exists(),
            "verify created nothing"
        );
    }

    #[test]
    fn a_missing_empty_file_is_incomplete() {
        let (dir, sums, g) = setup(&["a", "b", "c"]);
        let r = run(&dir, &sums, g);
        assert_eq!(statuses(&r), vec![Complete, Complete, Missing, Complete]);
        assert!(r.pieces.is_full() && !r.is_complete());
    }

    #[test]
    fn a_corrupt_byte_and_a_short_file() {
        let (dir, sums, g) = setup(&["a", "b", "empty", "c"]);
        // Flip a byte in a's first piece; cut c short.
        let a = dir.path().join("v/a");
        let mut bytes = fs::read(&a).unwrap();
        bytes[5] ^= 0x80;
        fs::write(&a, bytes).unwrap();
        fs::write(dir.path().join("v/c"), [0u8; 10]).unwrap();
        let r = run(&dir, &sums, g);
        let want = vec![
            Partial { good: 1, total: 2 },
            Complete,
            Complete,
            Partial { good: 0, total: 1 },
        ];
        assert_eq!(statuses(&r), want);
        assert_eq!(r.pieces.iter_raw().collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(fs::metadata(dir.path().join("v/c")).unwrap().len(), 10);
    }

    #[test]
    fn a_longer_file_is_noted_not_failed() {
        let (dir, sums, g) = setup(&["a", "b", "empty", "c"]);
        let c = dir.path().join("v/c");
        let mut bytes = fs::read(&c).unwrap();
        bytes.extend_from_slice(b"tail");
        fs::write(&c, bytes).unwrap();
        let r = run(&dir, &sums, g);
        assert!(r.is_complete());
        assert_eq!(r.files[3].extra_bytes, 4);
        assert!(
            r.render()
                .contains("v/c (600 bytes; 4 extra bytes at the end, ignored)")
        );
    }

    #[test]
    fn wrong_hash_count_is_an_error_and_a_missing_root_is_all_missing() {
        let (dir, sums, g) = setup(&["a"]);
        let s = Storage::open_existing(dir.path(), files(), g).unwrap();
        let err = verify_storage(&s, &sums[..3], &mut |_, _| {}).unwrap_err();
        assert!(matches!(err, Error::Torrent(_)));
        let nope = dir.path().join("nope");
        let r = verify(&nope, files(), g, &sums, &mut |_, _| {}).unwrap();
        assert_eq!(statuses(&r), vec![Missing; 4]);
        assert!(!r.is_complete() && r.pieces.is_empty());
        assert!(!nope.exists());
    }

    #[test]
    fn control_characters_are_not_printed() {
        assert_eq!(printable(std::path::Path::new("a\nb\x1b")), "a?b?");
    }
}
