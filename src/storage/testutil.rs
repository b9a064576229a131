//! Test helpers: a temporary directory removed on drop, and content with
//! its piece hashes.

use crate::metainfo::FileEntry;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// A fresh directory under the system temp dir, removed with its contents
/// when dropped.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("bitsy-unit-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// File entries for (path, length, pad) rows, each starting where the
/// one before it ends, as metainfo places them.
pub(crate) fn entries(list: &[(&str, u64, bool)]) -> Vec<FileEntry> {
    let mut offset = 0;
    list.iter()
        .map(|&(path, length, pad)| {
            let entry = FileEntry {
                path: PathBuf::from(path),
                length,
                offset,
                pad,
            };
            offset = offset.saturating_add(length);
            entry
        })
        .collect()
}

/// The torrent's content for `files`: a byte pattern that differs at every
/// offset within 251 bytes, with zeros in pad files.
pub(crate) fn content(files: &[FileEntry]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in files {
        for _ in 0..f.length {
            let i = out.len();
            out.push(if f.pad { 0 } else { (i % 251) as u8 ^ 0x5a });
        }
    }
    out
}

/// The SHA-1 of each piece of `content`.
pub(crate) fn hashes(content: &[u8], piece_len: usize) -> Vec<[u8; 20]> {
    content.chunks(piece_len).map(crate::hash::sha1).collect()
}
