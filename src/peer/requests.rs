//! The blocks we asked this peer for and have not received, and the ones
//! we stopped wanting.
//!
//! A `piece` message is forwarded to the main thread only if its block is
//! outstanding here, and is taken out on arrival, so each requested block
//! is delivered at most once.
//!
//! Requests end in three ways: the block arrives; we `cancel` it (endgame,
//! or a snubbed peer's requests given to others); or the peer chokes us
//! (BEP 3: a choke voids every request; the main thread takes them back on
//! the `Choke` event, so both views agree). A cancelled or voided block may
//! still cross on the wire (the peer had queued it before it read our
//! `cancel`; libtorrent sends blocks already queued after a choke), so each
//! one is remembered among the last [`RECENTLY_VOIDED`] and, if it comes,
//! is ignored quietly, once.
//!
//! With BEP 6 a request may also end in a `reject`. The peer chokes us
//! without voiding requests then (it rejects them), but bitsy keeps the
//! BEP 3 rule for every peer: a choke voids our requests here and in the
//! main thread, so there is one rule, and the rejects that follow a choke
//! find their blocks among the voided and are dropped quietly
//! ([`Requests::rejected`]). A reject for a block we never asked for, or
//! one that is not a block of the torrent, is ignored: it costs nothing.
//!
//! Anything else closes the connection as misbehaved at once, with the
//! reason:
//! - a piece index the torrent does not have, or a block that runs past
//!   the end of its piece;
//! - a range that is not one of the torrent's blocks (we only ask for
//!   whole 16 KiB-aligned blocks, so no honest peer sends another);
//! - a valid block we never asked for, or one that arrives twice.
//!
//! This module does not decide what to request; the main thread does.

use super::Close;
use crate::geometry::{BlockRef, Geometry};
use std::collections::{HashSet, VecDeque};

/// Cancelled or choke-voided blocks remembered per connection. A choke
/// voids at most a full pipeline, `session::MAX_PIPELINE` (256), so one
/// choke's worth always fits; older ones are forgotten first.
pub const RECENTLY_VOIDED: usize = 256;

const _: () = assert!(RECENTLY_VOIDED >= crate::session::MAX_PIPELINE);

#[derive(Default)]
pub(super) struct Requests {
    outstanding: HashSet<BlockRef>,
    /// Cancelled or voided, newest last, at most [`RECENTLY_VOIDED`].
    voided: VecDeque<BlockRef>,
}

impl Requests {
    /// Records a request; false if it was already outstanding.
    pub(super) fn insert(&mut self, block: BlockRef) -> bool {
        self.outstanding.insert(block)
    }

    /// We cancel a request; false if it was not outstanding. The block may
    /// still arrive, and is then ignored.
    /// No block is outstanding: the peer has nothing to send us.
    pub(super) fn is_empty(&self) -> bool {
        self.outstanding.is_empty()
    }

    pub(super) fn remove(&mut self, block: BlockRef) -> bool {
        let was = self.outstanding.remove(&block);
        if was {
            self.void(block);
        }
        was
    }

    /// The peer choked us: every request is void, and each of them may
    /// still arrive (ignored).
    pub(super) fn clear(&mut self) {
        let mut blocks: Vec<BlockRef> = self.outstanding.drain().collect();
        blocks.sort_unstable(); // a stable order for which ones are kept
        for b in blocks {
            self.void(b);
        }
    }

    fn void(&mut self, block: BlockRef) {
        if self.voided.len() >= RECENTLY_VOIDED {
            self.voided.pop_front();
        }
        self.voided.push_back(block);
    }

    /// A `piece` arrived with this index, offset and data length. Returns
    /// the block if we asked for it, `None` if it was cancelled or voided
    /// (ignored), or why the connection is to be closed.
    pub(super) fn arrived(
        &mut self,
        geometry: &Geometry,
        index: u32,
        begin: u32,
        len: u32,
    ) -> Result<Option<BlockRef>, Close> {
        let block = check(geometry, index, begin, len)?;
        if self.outstanding.remove(&block) {
            return Ok(Some(block));
        }
        if let Some(i) = self.voided.iter().position(|b| *b == block) {
            self.voided.remove(i);
            return Ok(None);
        }
        Err(Close::misbehaved(format!(
            "sent a block we did not request (piece {index}, offset {begin})"
        )))
    }
}

impl Requests {
    /// The peer rejected a request with these fields (BEP 6). Returns the
    /// block if it was outstanding (it is no longer); `None` if it was
    /// voided (the older request is the one answered, so it is checked
    /// first), never asked for, or not a block at all: all ignored.
    pub(super) fn rejected(
        &mut self,
        geometry: &Geometry,
        index: u32,
        begin: u32,
        len: u32,
    ) -> Option<BlockRef> {
        let block = geometry.exact_block(index, begin, len)?;
        if let Some(i) = self.voided.iter().position(|b| *b == block) {
            self.voided.remove(i);
            return None;
        }
        self.outstanding.remove(&block).then_some(block)
    }
}

/// Makes a block of the torrent of a `piece` message's header, or says why
/// it is none.
fn check(geometry: &Geometry, index: u32, begin: u32, len: u32) -> Result<BlockRef, Close> {
    let piece = geometry.piece(index).ok_or_else(|| {
        Close::misbehaved(format!(
            "sent a block of piece {index}, which does not exist"
        ))
    })?;
    let piece_len = geometry.piece_len(piece);
    if u64::from(begin) + u64::from(len) > u64::from(piece_len) {
        return Err(Close::misbehaved(format!(
            "sent a block past the end of piece {index} ({begin} + {len} > {piece_len} bytes)"
        )));
    }
    geometry.exact_block(index, begin, len).ok_or_else(|| {
        Close::misbehaved(format!(
            "sent a range that is not a block (piece {index}, offset {begin}, {len} bytes)"
        ))
    })
}

#[cfg(test)]
mod tests;
