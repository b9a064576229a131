//! The resume state: which verified pieces are durably on disk, so a
//! restart need not read and hash them again.
//!
//! A download keeps one small file beside the part file, in the download
//! folder: `DIR/.<infohash hex>.resume` ([`path`]; its bytes: `format.rs`).
//! It lists the verified pieces and, per file, the size and modification
//! time `stat` gave. At the next start a piece it lists is taken as
//! verified without reading it when every file it touches still has that
//! size and time (`trust.rs`); every other piece is checked as without a
//! state. `--recheck` ignores the state (and writes a new one).
//!
//! The invariant: the file never lists a piece whose bytes are not
//! durably on disk. How it is kept:
//! - A piece is listed only after an `fsync` of its files has completed
//!   (the flusher's, every 32 MiB written, or the final one at exit), and
//!   the sizes and times are read after that `fsync`.
//! - The file is replaced atomically: a temporary file in the same
//!   folder, `fsync`ed, renamed over the old one, then the folder
//!   `fsync`ed. A crash leaves the old state or the new one, never half.
//! - Pieces found good by the check at start count as written, not as
//!   flushed: they are listed after the next `fsync` of their files.
//! - A boundary piece (one whose other bytes live in the part file) is
//!   never listed nor trusted; the check reads it every time.
//! - Failing to save is not an error: the old state stays, and is still
//!   true (a file written since has a newer time, so it is checked).
//!
//! What this means after a crash or `kill -9`: the file being written
//! when it happened has a newer time than recorded, so all its pieces are
//! checked; files finished before stay trusted. A file changed by someone
//! else in the same clock tick as bitsy's last write, keeping its size,
//! would go unnoticed: `bitsy verify` (or `--recheck`) reads everything.
//!
//! What it deliberately does not do: save on every piece (only after a
//! flush, and at exit), serve `bitsy seed` or `bitsy verify` (they always
//! check everything; a seed never writes beside the data it serves), or
//! record the selection (the trust rule does not depend on it).

mod format;
mod trust;

use super::{Inner, Storage};
use crate::geometry::PieceIndex;
use crate::ids::InfoHash;
use crate::wire::bitfield::Bitfield;
use format::{Stamp, State};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use trust::FileNow;

/// Bytes a resume file may take per file of the torrent: an entry is at
/// most `l` + three 20-digit integers with `i`/`e` + `e` (66), rounded up.
const MAX_BYTES_PER_FILE: u64 = 80;

/// Bytes for the rest: keys, the infohash, the numbers.
const MAX_BYTES_FIXED: u64 = 256;

/// Where a download keeps its resume state, and whether to use it.
#[derive(Debug, Clone)]
pub struct ResumeFile {
    /// [`path`] in the download folder.
    pub path: PathBuf,
    pub info_hash: InfoHash,
    /// Trust what it says at the start (false with `--recheck`: check
    /// everything, then save a new state).
    pub trust: bool,
}

/// The resume file's path for a torrent downloaded under `root`.
pub fn path(root: &Path, info_hash: &InfoHash) -> PathBuf {
    root.join(format!(".{}.resume", crate::metainfo::to_hex(info_hash)))
}

/// What the start found: the good pieces, and how many of them the
/// resume state vouched for without a read.
#[derive(Debug)]
pub struct Resumed {
    pub good: Bitfield,
    pub trusted: u32,
    /// A resume state for this torrent was found and used.
    pub used_state: bool,
}

/// The resume check with a resume state: the pieces it lets us trust,
/// plus those [`super::check_existing`] would find good among the rest.
pub fn check_resuming(
    storage: &Storage,
    hashes: &[[u8; 20]],
    read_ahead: u64,
    progress: &mut dyn FnMut(u32, u32),
) -> io::Result<Resumed> {
    let state = storage.inner.load();
    let trusted = match &state {
        Some(state) => storage.inner.trusted(state),
        None => Bitfield::new(storage.geometry().num_pieces()),
    };
    let good = super::check::check_existing_but(storage, hashes, &trusted, read_ahead, progress)?;
    Ok(Resumed {
        good,
        trusted: trusted.count(),
        used_state: state.is_some(),
    })
}

impl Inner {
    /// The saved state, if there is one for this torrent that may be
    /// trusted; `None` for anything else (see `format.rs`).
    fn load(&self) -> Option<State> {
        let resume = self.resume.as_ref().filter(|r| r.trust)?;
        // Only a regular file: opening a FIFO would block.
        if !fs::metadata(&resume.path).ok()?.is_file() {
            return None;
        }
        let g = self.layout.geometry();
        let files = self.layout.files().len() as u64;
        let max = u64::from(g.num_pieces()).div_ceil(8)
            + files.saturating_mul(MAX_BYTES_PER_FILE)
            + MAX_BYTES_FIXED;
        let mut bytes = Vec::new();
        File::open(&resume.path)
            .ok()?
            .take(max + 1)
            .read_to_end(&mut bytes)
            .ok()?;
        if bytes.len() as u64 > max {
            return None;
        }
        format::parse(&bytes, &resume.info_hash, g, self.layout.files().len())
    }

    /// The pieces `state` lets us trust, by the files on disk now.
    fn trusted(&self, state: &State) -> Bitfield {
        let now = self.stamps();
        let files: Vec<FileNow> = (0..self.layout.files().len())
            .map(|i| FileNow {
                recorded: state.files.get(i).copied().flatten(),
                now: now.get(i).copied().flatten(),
                written: self.chosen(i) && self.layout.files().get(i).is_some_and(|f| !f.pad),
            })
            .collect();
        let files_of = |p: PieceIndex| {
            let spans = self.layout.piece_spans(p).filter(|s| !s.pad);
            spans.map(|s| s.file).collect::<Vec<_>>()
        };
        trust::trusted(&state.verified, &files, self.layout.geometry(), &files_of)
    }

    /// Each file's size and modification time on disk now (`None`: not
    /// there, not a regular file, or a pad file).
    fn stamps(&self) -> Vec<Option<Stamp>> {
        let entries = self.layout.files().iter().zip(&self.disks);
        entries
            .map(|(entry, disk)| {
                let m = fs::metadata(&disk.path).ok().filter(|_| !entry.pad)?;
                m.is_file().then(|| Stamp {
                    size: m.len(),
                    secs: m.mtime(),
                    nanos: u32::try_from(m.mtime_nsec()).unwrap_or(0),
                })
            })
            .collect()
    }

    /// True when `piece` has bytes in a file this download does not write
    /// (they live in the part file): never listed, never trusted.
    pub(super) fn is_boundary(&self, piece: PieceIndex) -> bool {
        self.layout
            .piece_spans(piece)
            .any(|s| !s.pad && !self.chosen(s.file))
    }

    /// Saves `verified` (pieces durably on disk: the caller has synced
    /// their files) with the files' stamps as they are now. A no-op
    /// without a resume file (`bitsy seed`, `bitsy verify`).
    pub(super) fn save_resume(&self, verified: &Bitfield) -> io::Result<()> {
        let Some(resume) = &self.resume else {
            return Ok(());
        };
        let state = State {
            info_hash: resume.info_hash,
            verified: verified.clone(),
            files: self.stamps(),
        };
        let bytes = format::encode(&state, self.layout.geometry());
        replace(&resume.path, &bytes)
    }
}

impl Inner {
    /// Removes the saved state, if any (nothing is verified on disk).
    pub(super) fn forget_resume(&self) -> io::Result<()> {
        let Some(resume) = &self.resume else {
            return Ok(());
        };
        match fs::remove_file(&resume.path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

/// Replaces the file at `path` by `bytes` atomically: a temporary file
/// beside it, synced, renamed over it, and the folder synced.
fn replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let _ = fs::remove_file(&tmp);
    let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    fs::rename(&tmp, path)?;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let dir = File::open(dir.unwrap_or(Path::new(".")))?;
    // A file system that cannot sync a folder (EINVAL) has nothing to do.
    match dir.sync_all() {
        Err(e) if e.kind() == io::ErrorKind::InvalidInput => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests;
