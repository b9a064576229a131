//! Which bytes of a piece are where, with `--select`: the files chosen
//! are read and written as always; the files left out are never written,
//! and their bytes in a boundary piece are read from the part file when
//! it holds the piece (else from the file, if a past download left it).
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
    /// one): in its file, or for a file not selected, in the part file.
    pub(crate) fn is_on_disk(&self, piece: PieceIndex) -> bool {
        let inner = &*self.inner;
        let kept = inner.kept(piece);
        inner.layout.piece_spans(piece).all(|s| {
            let end = s.file_offset + s.buf.len() as u64;
            s.pad
                || (kept && !inner.chosen(s.file))
                || inner
                    .disks
                    .get(s.file)
                    .is_some_and(|d| d.on_disk.is_some_and(|len| len >= end))
        })
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

    /// Whether the part file holds `piece` (and a selection reads it).
    fn kept(&self, piece: PieceIndex) -> bool {
        self.selection.is_some() && self.parts.as_ref().is_some_and(|p| p.has(piece))
    }

    /// Reads content from `at` (inside one piece) from the part file into
    /// `out`; false if it does not hold that piece.
    pub(super) fn read_kept(&self, at: u64, out: &mut [u8]) -> Result<bool, PathError> {
        let g = self.layout.geometry();
        let raw = at / g.nominal_piece_len();
        let Some(piece) = u32::try_from(raw).ok().and_then(|r| g.piece(r)) else {
            return Ok(false);
        };
        match (&self.parts, self.selection.is_some()) {
            (Some(parts), true) => parts.read(piece, at - g.piece_offset(piece), out),
            _ => Ok(false),
        }
    }

    /// After a verified piece's chosen bytes are written: a boundary
    /// piece (one with bytes of a file not chosen) is kept whole in the
    /// part file, so it can be served and checked again.
    pub(super) fn keep_boundary(&self, piece: PieceIndex, data: &[u8]) -> Result<(), PathError> {
        let Some(parts) = self.parts.as_ref().filter(|_| self.selection.is_some()) else {
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
