//! Which bytes of a piece are where, with `--select`: the files chosen
//! are read and written as always; the files left out are never written,
//! and their bytes in a boundary piece are read from the part file when
//! it holds the piece (else from the file, if a past download left it).
//!
//! A wider selection later: a file chosen now whose bytes in a boundary
//! piece are only in the part file (it was left out before, so it is not
//! on disk) is read from there by the resume check, and if the piece is
//! good, [`Storage::restore_kept`] writes those bytes into the file. A
//! read-only storage (`bitsy verify`) never reads a chosen file's bytes
//! from the part file: it checks the files as they are.
//!
//! Part of `Storage` (see `mod.rs`). The resume check and `bitsy verify`
//! ask [`Storage::has_prior_data`] and [`Storage::is_on_disk`] here, so
//! they see a boundary piece the way peers are served it.

use super::{Inner, PathError, Storage};
use crate::geometry::PieceIndex;
use crate::wire::bitfield::Bitfield;
use std::io;

impl Storage {
    /// True if some byte of the piece was on disk before opening (the
    /// rest are zeros we made or missing, so a piece without one is not
    /// worth hashing); a piece in the part file was.
    pub(crate) fn has_prior_data(&self, piece: PieceIndex) -> bool {
        let inner = &*self.inner;
        inner.kept(piece)
            || inner.layout.piece_spans(piece).any(|s| {
                !s.pad
                    && inner
                        .disks
                        .get(s.file)
                        .is_some_and(|d| s.file_offset < d.before)
            })
    }

    /// True if every non-pad byte of the piece was on disk when opened
    /// (so reading it cannot hit a missing file or the end of a short
    /// one): in its file, or in the part file (see the module docs).
    pub(crate) fn is_on_disk(&self, piece: PieceIndex) -> bool {
        let inner = &*self.inner;
        let kept = inner.kept(piece);
        inner.layout.piece_spans(piece).all(|s| {
            let end = s.file_offset + s.buf.len() as u64;
            s.pad
                || (kept && inner.read_from_parts(s.file))
                || inner
                    .disks
                    .get(s.file)
                    .is_some_and(|d| d.on_disk.is_some_and(|len| len >= end))
        })
    }

    /// After the resume check found `have`: the good pieces of the part
    /// file with bytes of chosen files not on disk (left out by an earlier
    /// selection) get those bytes written into the files. Memory: one
    /// piece. A no-op for read-only storage.
    pub fn restore_kept(&self, have: &Bitfield) -> io::Result<()> {
        let inner = &*self.inner;
        if !inner.writable {
            return Ok(());
        }
        let g = inner.layout.geometry();
        let mut buf = Vec::new();
        for piece in have.iter_raw().filter_map(|i| g.piece(i)) {
            let missing = inner.layout.piece_spans(piece).any(|s| {
                !s.pad
                    && inner.chosen(s.file)
                    && inner.disks.get(s.file).is_some_and(|d| !d.exists())
            });
            if inner.kept(piece) && missing {
                self.read_piece_at(piece, &mut buf)?;
                inner.write_range(g.piece_offset(piece), &buf)?;
            }
        }
        Ok(())
    }

    /// Whether the selection needs `piece` (always, without `--select`).
    pub fn needs(&self, piece: PieceIndex) -> bool {
        self.inner.needed.as_ref().is_none_or(|n| n.has(piece))
    }

    /// The pieces the selection needs (every piece without `--select`).
    pub fn needed(&self) -> Bitfield {
        let g = self.inner.layout.geometry();
        match &self.inner.needed {
            Some(n) => n.clone(),
            None => Bitfield::full(g.num_pieces()),
        }
    }

    /// Whether file `index` is downloaded (always, without `--select`).
    pub fn is_chosen(&self, index: usize) -> bool {
        self.inner.chosen(index)
    }

    /// Called when every needed piece is verified: if every file is
    /// selected, the part file's bytes are all in the files now, so it is
    /// deleted. A no-op otherwise, and for read-only storage.
    pub fn finish_parts(&self) -> io::Result<()> {
        let inner = &*self.inner;
        let every = (0..inner.layout.files().len()).all(|i| inner.chosen(i));
        match (&inner.parts, inner.writable && every) {
            (Some(parts), true) => Ok(parts.remove()?),
            _ => Ok(()),
        }
    }
}

impl Inner {
    /// Whether file `index` is downloaded (pad files count as chosen:
    /// they are never on disk either way).
    pub(super) fn chosen(&self, index: usize) -> bool {
        let pad = self.layout.files().get(index).is_some_and(|f| f.pad);
        pad || self.selection.as_ref().is_none_or(|s| s.is_chosen(index))
    }

    /// Whether the part file holds `piece`.
    fn kept(&self, piece: PieceIndex) -> bool {
        self.parts.as_ref().is_some_and(|p| p.has(piece))
    }

    /// Whether the bytes of file `index` in a piece the part file holds
    /// are read from there: always for a file not chosen; for a chosen
    /// one only while it is not on disk, and only if we may write it
    /// there (see the module docs).
    pub(super) fn read_from_parts(&self, index: usize) -> bool {
        !self.chosen(index) || (self.writable && self.disks.get(index).is_some_and(|d| !d.exists()))
    }

    /// Reads content from `at` (inside one piece) from the part file into
    /// `out`; false if it does not hold that piece.
    pub(super) fn read_kept(&self, at: u64, out: &mut [u8]) -> Result<bool, PathError> {
        let g = self.layout.geometry();
        let raw = at / g.nominal_piece_len();
        let Some(piece) = u32::try_from(raw).ok().and_then(|r| g.piece(r)) else {
            return Ok(false);
        };
        match &self.parts {
            Some(parts) => parts.read(piece, at - g.piece_offset(piece), out),
            None => Ok(false),
        }
    }

    /// After a verified piece's chosen bytes are written: a boundary
    /// piece (one with bytes of a file not chosen) is kept whole in the
    /// part file, so it can be served and checked again.
    pub(super) fn keep_boundary(&self, piece: PieceIndex, data: &[u8]) -> Result<(), PathError> {
        let Some(parts) = &self.parts else {
            return Ok(());
        };
        let boundary = self
            .layout
            .piece_spans(piece)
            .any(|s| !s.pad && !self.chosen(s.file));
        match boundary {
            true => parts.write(piece, data),
            false => Ok(()),
        }
    }
}
