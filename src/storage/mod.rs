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
//! 4. The user's disk is touched only with cause. [`Storage::open`] (for a
//!    download) creates nothing: it checks what it can without writing and
//!    opens the files already there. A missing file, its folders and the
//!    output directory are made when the first verified piece touching the
//!    file is written (`disk.rs`), so a download that gets no data leaves
//!    nothing behind. Zero-length files own no piece: they are made by
//!    [`Storage::create_empty_files`] when the download is complete.
//!    [`Storage::open_existing`] (for `bitsy seed` and `bitsy verify`) opens
//!    read-only and never creates, resizes or writes anything.
//!
//! With `--select` ([`Choice`]), files not selected are never created,
//! extended or written: their existing bytes are only read. The whole of
//! each boundary piece (shared with a selected file) goes to the part
//! file as well (`partfile.rs`), where reads find the bytes of the files
//! not selected (`chosen.rs`).
//!
//! Each file has one record, the metainfo's [`FileEntry`]; `Layout`
//! places them in the content, `Disk` (one per file) says where each is
//! on disk and whether it exists yet. See `open.rs` for what opening does
//! to existing files.
//!
//! What it deliberately does not do: check hashes on write (the caller
//! verified the piece), keep a write cache, check paths (metainfo did), or
//! delete files.

// Where bytes live, one file on disk, opening the files, checking what
// is already there.
mod layout;
mod disk;
mod open;
mod check;
mod flush;
// `--select`: files left out, and the part file for boundary pieces.
mod chosen;
mod partfile;
// Resume without rehashing: what is durably on disk (`resume.rs`).
mod resume;
#[cfg(test)]
pub(crate) mod testutil;

pub(crate) use check::hash_pieces;
pub use check::{READ_AHEAD_BYTES, check_existing};
pub(crate) use flush::Flusher;
pub(crate) use layout::Layout;
pub use layout::LayoutError;
pub use partfile::path as partfile_path;
pub use resume::{ResumeFile, Resumed, check_resuming, path as resume_path};

use crate::channels::PieceReader;
use crate::error::Error;
use crate::geometry::{BlockRef, Geometry, PieceIndex};
use crate::metainfo::FileEntry;
use crate::selection::Selection;
use crate::wire::bitfield::Bitfield;
use disk::Disk;
use partfile::Partfile;
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
    /// The directory the layout's relative paths are under.
    root: PathBuf,
    /// One per file of the layout, in the same order.
    disks: Vec<Disk>,
    /// Opened by [`Storage::open`] (true) or [`Storage::open_existing`].
    writable: bool,
    /// Sum of `Disk::before`, and the bytes of the part file's pieces.
    existing: u64,
    /// `--select`: the files chosen (`None`: all of them), and the pieces
    /// they need (`Selection::pieces`).
    selection: Option<Selection>,
    needed: Option<Bitfield>,
    /// Where boundary pieces are kept (see `partfile.rs`).
    parts: Option<Partfile>,
    /// Where the resume state is kept (a download only; `resume.rs`).
    resume: Option<ResumeFile>,
}

/// What of the torrent a storage holds: every file (the default), or a
/// selection whose boundary pieces are kept in a part file.
#[derive(Debug, Default, Clone)]
pub struct Choice {
    /// The files chosen; `None` is every file.
    pub selection: Option<Selection>,
    /// The part file's path ([`partfile_path`]); `None` uses none.
    pub parts: Option<PathBuf>,
    /// The resume state ([`resume_path`]): a download's only; `None`
    /// reads and writes none.
    pub resume: Option<ResumeFile>,
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
    fn new(
        layout: Layout,
        root: PathBuf,
        disks: Vec<Disk>,
        writable: bool,
        selection: Option<Selection>,
        (parts, resume): (Option<Partfile>, Option<ResumeFile>),
    ) -> Storage {
        let g = layout.geometry();
        let needed = selection.as_ref().map(|s| s.pieces(layout.files(), g));
        let kept = parts.as_ref().map_or(0, |p| p.len() as u64);
        let existing = disks.iter().map(|d| d.before).sum::<u64>() + kept * g.nominal_piece_len();
        Storage {
            inner: Arc::new(Inner {
                layout,
                root,
                disks,
                writable,
                existing,
                selection,
                needed,
                parts,
                resume,
            }),
        }
    }

    pub fn geometry(&self) -> Geometry {
        self.inner.layout.geometry()
    }

    /// Writes a whole verified piece; `data.len()` must be
    /// `geometry.piece_len(piece)`. Pad ranges in `data` are skipped. Files
    /// the piece touches that are not on disk yet are created first (see
    /// the module docs).
    pub fn write_piece(&self, piece: PieceIndex, data: &[u8]) -> io::Result<()> {
        let want = self.geometry().piece_len(piece) as usize;
        if data.len() != want {
            let msg = format!("piece {piece} is {want} bytes, not {}", data.len());
            return Err(io::Error::new(io::ErrorKind::InvalidInput, msg));
        }
        self.writable()?;
        let start = self.geometry().piece_offset(piece);
        self.inner.write_range(start, data)?;
        Ok(self.inner.keep_boundary(piece, data)?)
    }

    /// Creates the zero-length files of the torrent (those selected) that
    /// are not on disk (with their folders). Called when every piece is verified: such a
    /// file owns no piece, so no write would ever make it. A no-op for
    /// read-only storage, which never creates anything.
    pub fn create_empty_files(&self) -> io::Result<()> {
        if self.writable().is_err() {
            return Ok(());
        }
        let inner = &*self.inner;
        for (i, (entry, disk)) in inner.layout.files().iter().zip(&inner.disks).enumerate() {
            if entry.length == 0 && !entry.pad && inner.chosen(i) {
                disk.create(&inner.root, &entry.path, 0)?;
            }
        }
        Ok(())
    }

    fn writable(&self) -> io::Result<()> {
        match self.inner.writable {
            true => Ok(()),
            false => Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "storage is open read-only",
            )),
        }
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

    /// The flusher for this storage's writes (its thread starts at the
    /// first flush; see `flush.rs`). `have`: the pieces verified at the
    /// start, listed in the resume state once flushed.
    pub(crate) fn flusher(&self, have: &Bitfield) -> Flusher {
        Flusher::new(self.inner.clone(), have)
    }

    /// Bytes of the torrent's files that were on disk before opening
    /// (0 means a fresh download: no resume check is worth doing).
    pub fn existing_bytes(&self) -> u64 {
        self.inner.existing
    }

    /// Flushes every file on disk (on finish and on shutdown). A no-op
    /// for read-only storage.
    pub fn sync(&self) -> io::Result<()> {
        if !self.inner.writable {
            return Ok(());
        }
        let inner = &*self.inner;
        for (i, disk) in inner.disks.iter().enumerate() {
            if disk.exists() && inner.chosen(i) {
                disk.with_file(true, |f| f.sync_all())?;
            }
        }
        if let Some(parts) = &inner.parts {
            parts.sync()?;
        }
        Ok(())
    }

    /// The torrent's record of file `index`, with the path relative to
    /// the storage's root.
    pub fn file(&self, index: usize) -> Option<&FileEntry> {
        self.inner.layout.files().get(index)
    }

    /// Number of files, pad and zero-length ones included.
    pub fn num_files(&self) -> usize {
        self.inner.layout.files().len()
    }

    /// The length of file `index` on disk when opened (after a download
    /// extended it); `None` if it was not there or is a pad file.
    pub fn file_len(&self, index: usize) -> Option<u64> {
        self.inner.disks.get(index).and_then(|d| d.on_disk)
    }

    /// The pieces holding at least one byte of file `index`.
    pub fn pieces_of(&self, index: usize) -> impl Iterator<Item = PieceIndex> + use<> {
        self.inner.layout.pieces_of(index)
    }
}

impl Inner {
    /// The disk of a span's file, or an error if the layout and disks
    /// disagree (a bug, reported rather than panicking).
    fn disk(&self, file: usize) -> Result<&Disk, PathError> {
        self.disks.get(file).ok_or_else(|| PathError {
            path: PathBuf::from("(storage)"),
            source: other(format!("no file {file} in the layout")),
        })
    }

    /// Fills `out` with content from `start` (inside one piece); pad
    /// ranges read as zeros, the bytes of files not selected come from the
    /// part file when it holds the piece. Reading from a file not on disk
    /// is an error naming it.
    fn read_range(&self, start: u64, out: &mut [u8]) -> Result<(), PathError> {
        for span in self.layout.spans(start, out.len() as u64) {
            let disk = self.disk(span.file)?;
            // Spans of (start, out.len()) lie inside `out` by construction.
            let at = start + span.buf.start as u64;
            let dest = out.get_mut(span.buf).ok_or_else(|| outside(disk))?;
            if span.pad {
                dest.fill(0);
            } else if !(self.read_from_parts(span.file) && self.read_kept(at, dest)?) {
                disk.with_file(false, |f| f.read_exact_at(dest, span.file_offset))?;
            }
        }
        Ok(())
    }

    /// Writes `data` at content offset `start`, skipping pad ranges and
    /// files not selected, and creating files not on disk yet. Main
    /// thread only.
    fn write_range(&self, start: u64, data: &[u8]) -> Result<(), PathError> {
        for span in self.layout.spans(start, data.len() as u64) {
            if span.pad || !self.chosen(span.file) {
                continue;
            }
            let disk = self.disk(span.file)?;
            let src = data.get(span.buf).ok_or_else(|| outside(disk))?;
            if let Some(entry) = self.layout.files().get(span.file) {
                disk.create(&self.root, &entry.path, entry.length)?;
            }
            disk.with_file(true, |f| f.write_all_at(src, span.file_offset))?;
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
#[cfg(test)]
mod lazy_tests;
