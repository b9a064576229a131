//! `bitsy create`: make a v1 .torrent from a file or directory.
//!
//! lava_torrent's `TorrentBuilder` does the listing and hashing. It is
//! guarded, because on its own it:
//! - follows every symbolic link, including ones leading outside PATH and
//!   directory links that loop back (endless recursion);
//! - would read a FIFO or device as a file (and block forever on a FIFO);
//! - silently skips hidden entries (names starting with `.`);
//! - writes a torrent with no pieces for an empty directory.
//!
//! So [`create_reporting`] first walks PATH itself (iteratively, at most
//! [`MAX_FILES`] files) and refuses, before hashing: an empty result,
//! special files, broken links, links to directories, and links whose
//! target is outside PATH (those are not followed; the error names the
//! link). Links to files inside PATH are read as the file they point to.
//! Hidden entries are reported to a callback (`create` prints them to
//! stderr). File names must pass `file_paths` (UTF-8, no control
//! characters), so the torrent loads in bitsy and elsewhere. A file
//! changed between the walk and the hashing is caught by comparing sizes.
//!
//! Progress: lava_torrent's non-blocking build hashes on its own thread
//! and counts finished pieces; this thread polls that count every
//! [`PROGRESS_INTERVAL`] and reports bytes (pieces x piece length).
//!
//! The result is checked by loading it with `Metainfo::from_bytes` before
//! it is returned: `bitsy create` never writes a torrent bitsy would refuse.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lava_torrent::bencode::BencodeElem;
use lava_torrent::torrent::v1::TorrentBuilder;

use crate::error::Error;
use crate::file_paths;
use crate::geometry::{MAX_PIECE_LEN, MIN_PIECE_LEN};
use crate::metainfo::Metainfo;

/// Most files in one torrent. A .torrent is at most 10 MiB and each file
/// entry takes 30–100 bytes, so more files could not be loaded back.
pub const MAX_FILES: usize = 100_000;

/// How often hashing progress is reported: often enough for a live
/// display, rarely enough to cost nothing.
pub const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);

/// Bounds of the automatic piece length: 16 KiB (one block) to 16 MiB
/// (what common clients still handle well).
const AUTO_MIN_PIECE_LEN: u64 = 16 * 1024;
const AUTO_MAX_PIECE_LEN: u64 = 16 * 1024 * 1024;

/// The automatic piece length aims at no more than this many pieces,
/// which keeps the .torrent small (20 bytes a piece) and pieces numerous
/// enough to share early.
const AUTO_TARGET_PIECES: u64 = 2000;

/// What to put in the torrent.
#[derive(Debug, Clone, Default)]
pub struct CreateOptions {
    /// The file or directory to share; its last component is the name.
    pub path: PathBuf,
    /// Announce URLs, one tier each; the first is also `announce`.
    pub trackers: Vec<String>,
    /// A power of two in `1 KiB..=64 MiB`; automatic when `None`.
    pub piece_length: Option<u64>,
    /// BEP 19 web seed URLs (`url-list`).
    pub web_seeds: Vec<String>,
    /// BEP 27 private flag.
    pub private: bool,
    pub comment: Option<String>,
}

/// Builds a .torrent; hidden files that were left out are named on stderr.
pub fn create(opts: &CreateOptions, progress: &mut dyn FnMut(u64, u64)) -> Result<Vec<u8>, Error> {
    create_reporting(opts, progress, &mut |hidden| {
        eprintln!("bitsy: skipping hidden {}", hidden.display());
    })
}

/// Builds a .torrent, calling `progress(done_bytes, total_bytes)` while
/// hashing and `skipped(path)` for every hidden entry left out.
pub fn create_reporting(
    opts: &CreateOptions,
    progress: &mut dyn FnMut(u64, u64),
    skipped: &mut dyn FnMut(&Path),
) -> Result<Vec<u8>, Error> {
    let root = opts
        .path
        .canonicalize()
        .map_err(|e| Error::io(&opts.path, e))?;
    let total = scan(&root, skipped)?;
    let piece_len = match opts.piece_length {
        Some(n) if n.is_power_of_two() && (MIN_PIECE_LEN..=MAX_PIECE_LEN).contains(&n) => n,
        Some(n) => {
            return Err(Error::Usage(format!(
                "piece length {n} must be a power of two from {MIN_PIECE_LEN} to {MAX_PIECE_LEN}"
            )));
        }
        None => auto_piece_length(total),
    };

    let mut builder = TorrentBuilder::new(&root, piece_len as i64)
        .set_num_threads(1)
        .set_privacy(opts.private)
        .add_extra_field(
            "created by".into(),
            BencodeElem::String(format!("bitsy {}", env!("CARGO_PKG_VERSION"))),
        );
    if let Ok(now) = SystemTime::now().duration_since(UNIX_EPOCH) {
        let secs = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
        builder = builder.add_extra_field("creation date".into(), BencodeElem::Integer(secs));
    }
    if let Some(first) = opts.trackers.first() {
        builder = builder.set_announce(Some(first.clone()));
    }
    if opts.trackers.len() > 1 {
        builder =
            builder.set_announce_list(opts.trackers.iter().map(|t| vec![t.clone()]).collect());
    }
    if !opts.web_seeds.is_empty() {
        let seeds = opts.web_seeds.iter().cloned().map(BencodeElem::String);
        builder = builder.add_extra_field("url-list".into(), BencodeElem::List(seeds.collect()));
    }
    if let Some(c) = &opts.comment {
        builder = builder.add_extra_field("comment".into(), BencodeElem::String(c.clone()));
    }

    let lava_error = |e: lava_torrent::LavaTorrentError| {
        Error::Torrent(format!("creating a torrent for {}: {e}", root.display()))
    };
    let build = builder.build_non_blocking().map_err(lava_error)?;
    // Ends when the builder thread ends: it reads each file once.
    while !build.is_finished() {
        let done = build.get_n_piece_processed().saturating_mul(piece_len);
        progress(done.min(total), total);
        std::thread::sleep(PROGRESS_INTERVAL);
    }
    let bytes = build
        .get_output()
        .and_then(|t| t.encode())
        .map_err(lava_error)?;
    progress(total, total);

    let check = Metainfo::from_bytes(&bytes).map_err(|e| {
        Error::Torrent(format!(
            "the torrent made for {} is invalid: {e}",
            root.display()
        ))
    })?;
    if check.geometry.total_len() != total {
        return Err(Error::Torrent(format!(
            "{} changed while it was being hashed",
            root.display()
        )));
    }
    Ok(bytes)
}

/// The smallest power of two in 16 KiB..=16 MiB giving at most
/// `AUTO_TARGET_PIECES` pieces: so 1000–2000 pieces unless a bound is hit.
pub fn auto_piece_length(total: u64) -> u64 {
    let mut len = AUTO_MIN_PIECE_LEN;
    while len < AUTO_MAX_PIECE_LEN && total.div_ceil(len) > AUTO_TARGET_PIECES {
        len *= 2;
    }
    len
}

/// Walks `root` (canonical) as lava_torrent will, refusing what it must
/// not read. Returns the total length in bytes.
fn scan(root: &Path, skipped: &mut dyn FnMut(&Path)) -> Result<u64, Error> {
    let usage = |m: String| Err(Error::Usage(m));
    check_name(root)?;
    let meta = fs::metadata(root).map_err(|e| Error::io(root, e))?;
    if meta.is_file() {
        if meta.len() == 0 {
            return usage(format!("{} is empty: nothing to share", root.display()));
        }
        return Ok(meta.len());
    }
    let mut total = 0u64;
    let mut files = 0usize;
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let entries = fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))?;
        for entry in entries {
            let path = entry.map_err(|e| Error::io(&dir, e))?.path();
            if path
                .file_name()
                .is_some_and(|n| n.as_encoded_bytes().starts_with(b"."))
            {
                skipped(&path);
                continue;
            }
            check_name(&path)?;
            let link = fs::symlink_metadata(&path).map_err(|e| Error::io(&path, e))?;
            let meta = if link.file_type().is_symlink() {
                let target = fs::canonicalize(&path)
                    .map_err(|_| Error::Usage(format!("{} is a broken link", path.display())))?;
                if !target.starts_with(root) {
                    return usage(format!(
                        "{} links to {}, outside {}; bitsy does not follow it",
                        path.display(),
                        target.display(),
                        root.display()
                    ));
                }
                let meta = fs::metadata(&target).map_err(|e| Error::io(&target, e))?;
                if meta.is_dir() {
                    return usage(format!(
                        "{} links to a directory; bitsy does not follow it (it could loop)",
                        path.display()
                    ));
                }
                meta
            } else {
                link
            };
            if meta.is_dir() {
                dirs.push(path);
            } else if meta.is_file() {
                files += 1;
                if files > MAX_FILES {
                    return usage(format!(
                        "{} holds more than {MAX_FILES} files",
                        root.display()
                    ));
                }
                total = total.saturating_add(meta.len());
            } else {
                return usage(format!("{} is not a regular file", path.display()));
            }
        }
    }
    if total == 0 {
        return usage(format!(
            "{} holds no data: nothing to share",
            root.display()
        ));
    }
    Ok(total)
}

/// A file name must be one that `Metainfo` accepts back.
fn check_name(path: &Path) -> Result<(), Error> {
    let name = path
        .file_name()
        .map(|n| n.as_encoded_bytes())
        .unwrap_or_default();
    file_paths::component(name).map(|_| ()).map_err(|e| {
        Error::Usage(format!(
            "{}: cannot be put in a torrent: {e}",
            path.display()
        ))
    })
}

#[cfg(test)]
mod tests;
