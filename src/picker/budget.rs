//! The picker's memory budget: pieces from their first request to their
//! verdict, and the buffers kept for the next ones.
//!
//! Part of `Picker` (see `picker.rs`). A piece counts against
//! `max_partial` while it is *partial* (being assembled) and while it is
//! *hashing* (complete, its bytes with the hasher, its senders here for
//! blame), so the memory held for pieces in progress is at most
//! `max_partial` pieces whatever the torrent's size. A written piece's
//! buffer is kept as a spare for the next piece, up to `SPARE_BYTES` and
//! only while the budget has room for it.
//!
//! What it deliberately does not do: hash, write, or judge senders (the
//! hasher and the session do).

use super::Picker;
use crate::geometry::PieceIndex;
use crate::ids::ConnId;

/// Bytes of piece buffers kept for reuse after their piece is written
/// (at least one buffer): 8 pieces of 256 KiB, about what turns over at
/// once (the hasher's backlog plus a few pieces finishing). More would
/// only keep memory the download no longer needs.
pub const SPARE_BYTES: u64 = 2 * 1024 * 1024;

impl Picker {
    /// Hands over a complete piece's bytes for the hash check. The piece
    /// goes from partial to hashing: it still counts against the budget
    /// and is not picked again until the verdict, reported with
    /// [`Picker::verified`] or [`Picker::failed`].
    pub fn take_complete(&mut self, piece: PieceIndex) -> Option<Vec<u8>> {
        if !self.partial.get(&piece).is_some_and(|p| p.is_complete()) {
            return None;
        }
        let (data, senders) = self.partial.remove(&piece)?.into_parts();
        self.hashing.insert(piece, senders);
        Some(data)
    }

    /// The one connection that sent every block of a complete piece, each
    /// block once, if one did (see `Assembly::sole_sender`). Asked before
    /// [`Picker::take_complete`].
    pub fn sole_sender(&self, piece: PieceIndex) -> Option<ConnId> {
        self.partial.get(&piece)?.sole_sender()
    }

    /// The piece passed its hash check and is on disk.
    pub fn verified(&mut self, piece: PieceIndex) {
        self.hashing.remove(&piece);
        if self.have.set(piece) {
            self.have_bytes += u64::from(self.geometry.piece_len(piece));
        }
    }

    /// The piece failed its hash check: it is missing again and will be
    /// picked anew (a fresh [`Picker::pick`] starts it over). Returns,
    /// block by block, the peer that sent each.
    pub fn failed(&mut self, piece: PieceIndex) -> Vec<ConnId> {
        self.hashing.remove(&piece).unwrap_or_default()
    }

    /// A piece buffer whose bytes are written (or thrown away): kept for
    /// the next piece, unless [`SPARE_BYTES`] are kept already or the
    /// budget is full without it.
    pub fn recycle(&mut self, buf: Vec<u8>) {
        let live = self.partial.len() + self.hashing.len() + self.spare.len();
        if self.spare.len() < self.max_spare && live < self.max_partial {
            self.spare.push(buf);
        }
    }

    /// Pieces out for their hash check.
    pub fn hashing_count(&self) -> usize {
        self.hashing.len()
    }

    /// Starts no new piece while `n` (at least 1) are out for their hash
    /// check: when the hasher falls behind, the download waits for it
    /// instead of filling the budget with pieces nobody has checked.
    /// (Pieces already started still complete and go to the hasher.)
    pub fn limit_hashing(&mut self, n: usize) {
        self.max_hashing = n.max(1);
    }

    /// True if a new piece may start: partial and hashing pieces together
    /// are under the budget, and the hasher is not behind.
    pub fn has_room(&self) -> bool {
        self.partial.len() + self.hashing.len() < self.max_partial
            && self.hashing.len() < self.max_hashing
    }

    pub(super) fn is_started(&self, piece: PieceIndex) -> bool {
        self.partial.contains_key(&piece) || self.hashing.contains_key(&piece)
    }
}
