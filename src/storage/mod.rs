//! Storage: the torrent's files on disk, read and written a piece at a time.
//!
//! Why it looks the way it does:
//! 1. Memory is bounded by peers, not by file size. Nothing here holds more
//!    than the one piece or block the caller passes in, so a 4 GiB torrent
//!    downloads on a 64 MiB machine.
//! 2. Only the main thread writes (a whole piece, after its hash matched);
//!    peer threads read concurrently to upload, through [`Storage::reader`].
//!    Every access is positioned (`read_at`/`write_at`, i.e. pread/pwrite),
//!    so a `File` shared between threads needs no lock and has no seek
//!    position to race on.
//! 3. It is synchronous: a piece write is a few pwrite calls into the page
//!    cache, cheaper than the channel hop an I/O thread would cost.
//!
//! [`Storage::open`] creates what is missing and sizes every file; see
//! `open.rs` for what it does to existing files. [`Storage::open_existing`]
//! (for `bitsy verify`) opens read-only and creates nothing.
//!
//! What it deliberately does not do: check hashes on write (the caller
//! verified the piece), keep a write cache, or delete files.

// Where bytes live, opening the files, checking what is already there.
mod layout;
mod open;
mod check;
#[cfg(test)]
pub(crate) mod testutil;

pub use check::check_existing;
pub(crate) use check::hash_pieces;
pub use layout::{FileSpec, LayoutError};

use crate::channels::PieceReader;
use crate::error::Error;
use crate::geometry::{BlockRef, Geometry, PieceIndex};
use layout::Layout;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Arc;

/// How many files stay open for the storage's whole life. The usual soft
/// limit is 1024 descriptors and peer sockets need their share; files past
/// this many are opened on each access instead (slower, never failing).
const MAX_OPEN_FILES: usize = 512;

/// The torrent's files on disk. Owned by the main thread, the only writer.
pub struct Storage {
    inner: Arc<Inner>,
}

struct Inner {
    layout: Layout,
    /// One per file of the layout, in the same order.
    disks: Vec<Disk>,
    /// Opened by [`Storage::open`] (true) or [`Storage::open_existing`].
    writable: bool,
    /// Sum of `Disk::before`.
    existing: u64,
}

/// One file's place on disk.
struct Disk {
    /// The full path (root joined with the torrent's relative path).
    path: PathBuf,
    handle: Handle,
    /// Bytes of this file that were on disk before we opened it, at most
    /// the torrent's length for it (0 for pad files and new files).
    before: u64,
    /// The file's length on disk once opened; `None` if it is missing (or
    /// a pad file).
    on_disk: Option<u64>,
}

enum Handle {
    /// Nothing to read: a pad file, an empty file or a missing one.
    None,
    /// Open for the storage's life.
    Open(File),
    /// Past [`MAX_OPEN_FILES`]: opened by path on each access.
    Reopen,
}

/// An I/O error on a named file, convertible to both error types callers use.
#[derive(Debug)]
pub(crate) struct PathError {
    pub path: PathBuf,
    pub source: io::Error,
}

impl From<PathError> for io::Error {
    fn from(e: PathError) -> io::Error {
        io::Error::new(
            e.source.kind(),
            format!("{}: {}", e.path.display(), e.source),
        )
    }
}

impl From<PathError> for Error {
    fn from(e: PathError) -> Error {
        Error::io(e.path, e.source)
    }
}

fn other(msg: String) -> io::Error {
    io::Error::other(msg)
}

impl Storage {
    fn new(layout: Layout, disks: Vec<Disk>, writable: bool) -> Storage {
        let existing = disks.iter().map(|d| d.before).sum();
        Storage {
            inner: Arc::new(Inner {
                layout,
                disks,
                writable,
                existing,
            }),
        }
    }

    pub fn geometry(&self) -> Geometry {
        self.inner.layout.geometry()
    }

    /// Writes a whole verified piece; `data.len()` must be
    /// `geometry.piece_len(piece)`. Pad ranges in `data` are skipped.
    pub fn write_piece(&self, piece: PieceIndex, data: &[u8]) -> io::Result<()> {
        let want = self.geometry().piece_len(piece) as usize;
        if data.len() != want {
            let msg = format!("piece {piece} is {want} bytes, not {}", data.len());
            return Err(io::Error::new(io::ErrorKind::InvalidInput, msg));
        }
        if !self.inner.writable {
            let msg = "storage is open read-only";
            return Err(io::Error::new(io::ErrorKind::PermissionDenied, msg));
        }
        let start = self.geometry().piece_offset(piece);
        Ok(self.inner.write_range(start, data)?)
    }

    /// Reads a whole piece into `buf` (resized to the piece's length).
    pub fn read_piece(&self, piece: PieceIndex, buf: &mut Vec<u8>) -> io::Result<()> {
        Ok(self.read_piece_at(piece, buf)?)
    }

    pub(crate) fn read_piece_at(
        &self,
        piece: PieceIndex,
        buf: &mut Vec<u8>,
    ) -> Result<(), PathError> {
        let g = self.geometry();
        buf.clear();
        buf.resize(g.piece_len(piece) as usize, 0);
        self.inner.read_range(g.piece_offset(piece), buf)
    }

    /// A handle for peer threads to read blocks to upload.
    pub fn reader(&self) -> Arc<dyn PieceReader> {
        self.inner.clone()
    }

    /// Bytes of the torrent's files that were on disk before opening
    /// (0 means a fresh download: no resume check is worth doing).
    pub fn existing_bytes(&self) -> u64 {
        self.inner.existing
    }

    /// Flushes every file to disk (on finish and on shutdown). A no-op
    /// for read-only storage.
    pub fn sync(&self) -> io::Result<()> {
        if !self.inner.writable {
            return Ok(());
        }
        for disk in &self.inner.disks {
            if !matches!(disk.handle, Handle::None) {
                self.inner.with_file(disk, |f| f.sync_all())?;
            }
        }
        Ok(())
    }

    /// The torrent's relative path, length and pad flag of file `index`.
    pub fn file(&self, index: usize) -> Option<FileSpec> {
        self.inner.layout.files().get(index).map(|s| FileSpec {
            path: s.path.clone(),
            length: s.length,
            pad: s.pad,
        })
    }

    /// Number of files, pad and zero-length ones included.
    pub fn num_files(&self) -> usize {
        self.inner.layout.files().len()
    }

    /// The length of file `index` on disk when opened; `None` if it was
    /// missing (read-only storage) or is a pad file.
    pub fn file_len(&self, index: usize) -> Option<u64> {
        self.inner.disks.get(index).and_then(|d| d.on_disk)
    }

    /// The pieces holding at least one byte of file `index`.
    pub fn pieces_of(&self, index: usize) -> impl Iterator<Item = PieceIndex> + use<> {
        self.inner.layout.pieces_of(index)
    }

    /// True if some byte of the piece was on disk before opening (the
    /// rest are zeros we made, so a piece without one is not worth hashing).
    pub(crate) fn has_prior_data(&self, piece: PieceIndex) -> bool {
        let inner = &*self.inner;
        inner.layout.piece_spans(piece).any(|s| {
            !s.pad
                && inner
                    .disks
                    .get(s.file)
                    .is_some_and(|d| s.file_offset < d.before)
        })
    }

    /// True if every non-pad byte of the piece is in a file on disk (so
    /// reading it cannot hit a missing file or the end of a short one).
    pub(crate) fn is_on_disk(&self, piece: PieceIndex) -> bool {
        let inner = &*self.inner;
        inner.layout.piece_spans(piece).all(|s| {
            let end = s.file_offset + s.buf.len() as u64;
            s.pad
                || inner
                    .disks
                    .get(s.file)
                    .is_some_and(|d| d.on_disk.is_some_and(|len| len >= end))
        })
    }
}

impl Inner {
    /// Runs `f` on the open file of `disk`, opening it by path if needed.
    fn with_file<T>(
        &self,
        disk: &Disk,
        f: impl FnOnce(&File) -> io::Result<T>,
    ) -> Result<T, PathError> {
        let result = match &disk.handle {
            Handle::Open(file) => f(file),
            Handle::Reopen => OpenOptions::new()
                .read(true)
                .write(self.writable)
                .open(&disk.path)
                .and_then(|file| f(&file)),
            Handle::None => Err(io::Error::new(io::ErrorKind::NotFound, "file is missing")),
        };
        result.map_err(|source| PathError {
            path: disk.path.clone(),
            source,
        })
    }

    /// The disk of a span's file, or an error if the layout and disks
    /// disagree (a bug, reported rather than panicking).
    fn disk(&self, file: usize) -> Result<&Disk, PathError> {
        self.disks.get(file).ok_or_else(|| PathError {
            path: PathBuf::from("(storage)"),
            source: other(format!("no file {file} in the layout")),
        })
    }

    /// Fills `out` with content from `start`; pad ranges read as zeros.
    fn read_range(&self, start: u64, out: &mut [u8]) -> Result<(), PathError> {
        for span in self.layout.spans(start, out.len() as u64) {
            let disk = self.disk(span.file)?;
            // Spans of (start, out.len()) lie inside `out` by construction.
            let dest = out.get_mut(span.buf).ok_or_else(|| outside(disk))?;
            if span.pad {
                dest.fill(0);
            } else {
                self.with_file(disk, |f| f.read_exact_at(dest, span.file_offset))?;
            }
        }
        Ok(())
    }

    /// Writes `data` at content offset `start`, skipping pad ranges.
    fn write_range(&self, start: u64, data: &[u8]) -> Result<(), PathError> {
        for span in self.layout.spans(start, data.len() as u64) {
            let disk = self.disk(span.file)?;
            let src = data.get(span.buf).ok_or_else(|| outside(disk))?;
            if !span.pad {
                self.with_file(disk, |f| f.write_all_at(src, span.file_offset))?;
            }
        }
        Ok(())
    }
}

/// A span outside its buffer: a layout bug, reported rather than panicking.
fn outside(disk: &Disk) -> PathError {
    PathError {
        path: disk.path.clone(),
        source: other("span outside its buffer".into()),
    }
}

impl PieceReader for Inner {
    fn read_block(&self, block: BlockRef, out: &mut [u8]) -> io::Result<()> {
        if out.len() != block.len as usize {
            let msg = format!("block of {} bytes into {} bytes", block.len, out.len());
            return Err(io::Error::new(io::ErrorKind::InvalidInput, msg));
        }
        let start = self.layout.geometry().piece_offset(block.piece) + u64::from(block.offset);
        Ok(self.read_range(start, out)?)
    }
}

#[cfg(test)]
mod tests;
