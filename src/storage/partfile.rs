//! The part file: boundary pieces of a `--select` download, kept outside
//! the output tree.
//!
//! A piece shared by a selected and an unselected file (a *boundary
//! piece*, see `selection`) must be downloaded and verified whole, but the
//! unselected file must not appear in the output tree. So storage writes
//! the selected bytes into their files as usual, and the whole piece into
//! one hidden file in the download folder, `.<infohash hex>.parts` (the
//! idea of libtorrent's part file). Reads of a boundary piece take the
//! selected bytes from the files and the others from here, so the piece
//! can be served to peers and checked again on resume.
//!
//! Layout: a row of slots, one piece each, at `slot * SLOT_LEN`:
//! ```text
//!   offset 0  4 bytes  MAGIC "bsp1"
//!   offset 4  4 bytes  piece index, big-endian
//!   offset 8  the piece (its length; a nominal piece at most)
//! ```
//! A slot whose header is not ours (zeros: a crash before the header was
//! written) is free. The index (piece → slot) is read from the headers at
//! open, one 8-byte read per slot, at most one slot per piece of the
//! torrent: a selection needs at most two boundary pieces per selected
//! file, so the file stays a few pieces long.
//!
//! Invariants: the data of a slot is written before its header, and only
//! verified pieces are written (by the main thread); a slot counts only
//! once the index holds it. Nothing read from here is trusted: the resume
//! check hashes a boundary piece like any other, so a torn write costs a
//! download of that piece again, never bad data.
//!
//! It creates nothing until the first boundary piece is written, and it
//! does not compact itself. The session removes it when a download of
//! every file completes ([`Partfile::remove`]): its bytes are then all in
//! the files.

use super::PathError;
use crate::geometry::{Geometry, PieceIndex};
use crate::ids::InfoHash;
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// Marks a slot header as bitsy's (version 1 of this layout).
const MAGIC: [u8; 4] = *b"bsp1";

/// Bytes before a slot's piece: [`MAGIC`] and the piece index.
const HEADER_LEN: u64 = 8;

/// The part file's path for a torrent downloaded under `root`.
pub fn path(root: &Path, info_hash: &InfoHash) -> PathBuf {
    root.join(format!(".{}.parts", crate::metainfo::to_hex(info_hash)))
}

/// One torrent's part file.
pub(crate) struct Partfile {
    path: PathBuf,
    /// `HEADER_LEN` plus the nominal piece length.
    slot_len: u64,
    /// Open once the file exists (found at open, or first written).
    file: OnceLock<File>,
    /// May write (a download), or only read (`bitsy verify`).
    writable: bool,
    slots: Mutex<Slots>,
}

/// Which slot holds which piece.
#[derive(Default)]
struct Slots {
    index: BTreeMap<u32, u64>,
    /// Slots in the file (used or free).
    count: u64,
    /// Slots in the file that hold no piece.
    free: Vec<u64>,
}

impl Partfile {
    /// Opens the part file at `path` if it exists and reads its index;
    /// creates nothing. A missing file is an empty part file.
    pub fn open(path: PathBuf, g: Geometry, writable: bool) -> Result<Partfile, PathError> {
        let at = |source| PathError {
            path: path.clone(),
            source,
        };
        let slot_len = HEADER_LEN + g.nominal_piece_len();
        let parts = Partfile {
            path: path.clone(),
            slot_len,
            file: OnceLock::new(),
            writable,
            slots: Mutex::new(Slots::default()),
        };
        // Anything but a regular file there is refused before opening it:
        // opening a FIFO would block forever.
        match std::fs::metadata(&path) {
            Ok(m) if !m.is_file() => {
                return Err(at(io::Error::other("is not a regular file")));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(parts),
            _ => {}
        }
        let file = match OpenOptions::new().read(true).write(writable).open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(parts),
            Err(e) => return Err(at(e)),
        };
        let len = file.metadata().map_err(at)?.len();
        let count = len.div_ceil(slot_len).min(u64::from(g.num_pieces()));
        let mut slots = Slots {
            count,
            ..Slots::default()
        };
        for slot in 0..count {
            let mut header = [0u8; HEADER_LEN as usize];
            let found = match file.read_exact_at(&mut header, slot * slot_len) {
                Ok(()) => read_header(&header).and_then(|raw| g.piece(raw)),
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => None,
                Err(e) => return Err(at(e)),
            };
            match found {
                Some(p) if !slots.index.contains_key(&p.get()) => {
                    slots.index.insert(p.get(), slot);
                }
                _ => slots.free.push(slot),
            }
        }
        let _ = parts.file.set(file);
        *parts.lock() = slots;
        Ok(parts)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Slots> {
        // A panic while holding it cannot leave the map half-changed in a
        // way that matters: every entry is a slot whose data was written.
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many pieces it holds.
    pub fn len(&self) -> usize {
        self.lock().index.len()
    }

    /// Whether it holds `piece`.
    pub fn has(&self, piece: PieceIndex) -> bool {
        self.lock().index.contains_key(&piece.get())
    }

    /// Reads `out.len()` bytes of `piece` from `offset` in the piece.
    /// False (and nothing read) if it does not hold the piece.
    pub fn read(&self, piece: PieceIndex, offset: u64, out: &mut [u8]) -> Result<bool, PathError> {
        let Some(slot) = self.lock().index.get(&piece.get()).copied() else {
            return Ok(false);
        };
        let file = self.file.get().ok_or_else(|| self.error(missing()))?;
        let at = slot * self.slot_len + HEADER_LEN + offset;
        file.read_exact_at(out, at).map_err(|e| self.error(e))?;
        Ok(true)
    }

    /// Stores a whole verified piece (main thread only), creating the
    /// file if needed (`root` exists: the piece's selected bytes were
    /// just written under it).
    pub fn write(&self, piece: PieceIndex, data: &[u8]) -> Result<(), PathError> {
        if !self.writable {
            return Err(self.error(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "the part file is open read-only",
            )));
        }
        let file = self.create()?;
        let mut slots = self.lock();
        let known = slots.index.get(&piece.get()).copied();
        let slot = match known {
            Some(slot) => slot,
            None => slots.free.pop().unwrap_or(slots.count),
        };
        let start = slot * self.slot_len;
        let put = |bytes: &[u8], at: u64| file.write_all_at(bytes, at);
        put(data, start + HEADER_LEN).map_err(|e| self.error(e))?;
        if known.is_none() {
            let mut header = [0u8; HEADER_LEN as usize];
            header[..4].copy_from_slice(&MAGIC);
            header[4..].copy_from_slice(&piece.get().to_be_bytes());
            put(&header, start).map_err(|e| self.error(e))?;
            slots.count = slots.count.max(slot + 1);
            slots.index.insert(piece.get(), slot);
        }
        Ok(())
    }

    /// The open file, created (empty) if it is not there yet.
    fn create(&self) -> Result<&File, PathError> {
        if let Some(f) = self.file.get() {
            return Ok(f);
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&self.path)
            .map_err(|e| self.error(e))?;
        Ok(self.file.get_or_init(|| file))
    }

    /// Flushes it to the disk, if it exists and may be written.
    pub fn sync(&self) -> Result<(), PathError> {
        match (self.writable, self.file.get()) {
            (true, Some(f)) => f.sync_all().map_err(|e| self.error(e)),
            _ => Ok(()),
        }
    }

    /// Forgets every piece and deletes the file (once its bytes are all
    /// in the torrent's files). Nothing there is not an error.
    pub fn remove(&self) -> Result<(), PathError> {
        let mut slots = self.lock();
        *slots = Slots::default();
        match std::fs::remove_file(&self.path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(self.error(e)),
            _ => Ok(()),
        }
    }

    fn error(&self, source: io::Error) -> PathError {
        PathError {
            path: self.path.clone(),
            source,
        }
    }
}

/// The piece index in a slot header, if the header is ours.
fn read_header(header: &[u8; HEADER_LEN as usize]) -> Option<u32> {
    let (magic, index) = header.split_first_chunk::<4>()?;
    let index: [u8; 4] = index.try_into().ok()?;
    (*magic == MAGIC).then(|| u32::from_be_bytes(index))
}

fn missing() -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, "the part file is not there")
}

#[cfg(test)]
mod tests;
