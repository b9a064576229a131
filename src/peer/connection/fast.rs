//! The Fast extension (BEP 6) on one connection: what we send a peer
//! that negotiated it, and what its five messages mean here.
//!
//! Negotiated when both handshakes set the Fast bit (ours always does),
//! recorded once in `Connection::fast`. Then:
//! - our piece set goes out as `have all` when we have every piece,
//!   `have none` when we have none, and a `bitfield` otherwise (without
//!   Fast: a `bitfield` only if we have a piece, as BEP 3 allows);
//! - our allowed-fast set for the peer (k = [`ALLOWED_FAST_K`], computed
//!   from its IPv4 address by `wire::allowed_fast`) is announced piece by
//!   piece as we have them: right after our piece set for pieces we hold,
//!   later with the `have` of each one we complete. We announce only what
//!   we can serve, so a request for an announced piece is never refused
//!   for lack of data. Requests for those pieces are served while we
//!   choke the peer (they survive our `choke`);
//! - every request we will not serve is answered with a `reject` (we
//!   choke the peer, a piece we lack, a bad range, a full queue), and so
//!   is every queued request voided by our `choke` (sent after the
//!   `choke`, as BEP 6 advises) or by the peer's `cancel`.
//!
//! Received: `have all` / `have none` become a full or empty `Bitfield`
//! event. They are accepted at any time and replace the piece set, like a
//! later `bitfield` (which bitsy already accepts from aria2), rather than
//! only as the first message: being lenient costs nothing. A `reject`
//! for a block we asked for becomes a `Reject` event (see `requests` for
//! the others); an `allowed fast` piece is remembered (we may then request
//! it while the peer chokes us) and forwarded once as `AllowedFast`;
//! `suggest piece` is checked and ignored (the picker's rarest-first order
//! stands). Any of the five from a peer that did not negotiate Fast, or
//! naming a piece the torrent does not have, drops the peer as
//! misbehaving (BEP 6: "MUST close the connection").

use super::Connection;
use crate::channels::PeerEventKind;
use crate::geometry::PieceIndex;
use crate::peer::Close;
use crate::peer::upload::{Answer, Wanted};
use crate::wire::allowed_fast::{allowed_fast_set, ipv4_of};
use crate::wire::bitfield::Bitfield;
use crate::wire::fast::FastMessage;
use crate::wire::message::Message;

/// Pieces in the allowed-fast set we give a peer: BEP 6's own value. At
/// most half the torrent, so that choking still means something in a
/// small one.
pub const ALLOWED_FAST_K: usize = 10;

impl Connection<'_> {
    /// Our piece set and allowed-fast set, first thing after the handshake
    /// (and after our extended handshake).
    pub(super) fn send_piece_set(&mut self) -> Result<(), Close> {
        if !self.fast {
            if !self.our_pieces.is_empty() {
                self.send(&Message::Bitfield(self.our_pieces.as_bytes().to_vec()))?;
            }
            return Ok(());
        }
        if self.our_pieces.is_full() {
            self.send(&Message::Fast(FastMessage::HaveAll))?;
        } else if self.our_pieces.is_empty() {
            self.send(&Message::Fast(FastMessage::HaveNone))?;
        } else {
            self.send(&Message::Bitfield(self.our_pieces.as_bytes().to_vec()))?;
        }
        let num_pieces = self.ctx.geometry.num_pieces();
        let k = ALLOWED_FAST_K.min(num_pieces as usize / 2);
        if let Some(ip) = self.stream.peer_addr().ok().and_then(|a| ipv4_of(a.ip())) {
            self.allowed_out = allowed_fast_set(&self.ctx.info_hash, ip, num_pieces, k);
        }
        for raw in self.allowed_out.clone() {
            if self
                .ctx
                .geometry
                .piece(raw)
                .is_some_and(|p| self.our_pieces.has(p))
            {
                self.send(&Message::Fast(FastMessage::AllowedFast(raw)))?;
            }
        }
        Ok(())
    }

    /// We completed `piece` (its `have` is sent): announce it as allowed
    /// fast if it is in the peer's set.
    pub(super) fn allowed_fast_now(&mut self, piece: PieceIndex) -> Result<(), Close> {
        if self.fast && self.allowed_out.contains(&piece.get()) {
            self.send(&Message::Fast(FastMessage::AllowedFast(piece.get())))?;
        }
        Ok(())
    }

    /// We choked the peer (the `choke` is sent): its queued requests are
    /// void, and a Fast peer gets a `reject` for each, except for its
    /// allowed-fast pieces, which are still served.
    pub(super) fn after_choking(&mut self) -> Result<(), Close> {
        let allowed = if self.fast {
            self.allowed_out.clone()
        } else {
            Vec::new()
        };
        let voided = self.uploads.choke(|piece| allowed.contains(&piece));
        if self.fast {
            for b in voided {
                self.reject(b.piece.get(), b.offset, b.len)?;
            }
        }
        Ok(())
    }

    /// One `request` from the peer: queued, or refused (and rejected, for
    /// a Fast peer).
    pub(super) fn peer_request(&mut self, w: Wanted) -> Result<(), Close> {
        let choking = self.am_choking && !(self.fast && self.allowed_out.contains(&w.index));
        let ctx = self.ctx;
        let geometry = &ctx.geometry;
        let answer = self
            .uploads
            .request(w, geometry, &self.our_pieces, choking)?;
        if answer == Answer::Refused && self.fast {
            self.reject(w.index, w.begin, w.length)?;
        }
        Ok(())
    }

    /// One `cancel` from the peer. BEP 6: every request gets exactly one
    /// answer, so a Fast peer's cancelled requests are rejected.
    pub(super) fn peer_cancel(&mut self, w: Wanted) -> Result<(), Close> {
        let removed = self.uploads.cancel(w);
        if self.fast {
            for _ in 0..removed {
                self.reject(w.index, w.begin, w.length)?;
            }
        }
        Ok(())
    }

    fn reject(&mut self, index: u32, begin: u32, length: u32) -> Result<(), Close> {
        self.send(&Message::Fast(FastMessage::RejectRequest {
            index,
            begin,
            length,
        }))
    }

    /// We may send a request for `piece` now: the peer unchokes us, or
    /// it told us the piece is allowed fast.
    pub(super) fn may_request(&self, piece: PieceIndex) -> bool {
        !self.peer_choking || (self.fast && self.allowed_in.has(piece))
    }

    /// One of the five messages from the peer.
    pub(super) fn fast_message(&mut self, m: FastMessage) -> Result<(), Close> {
        if !self.fast {
            return Err(Close::misbehaved(format!(
                "sent a fast extension message without negotiating it: {m:?}"
            )));
        }
        let ctx = self.ctx;
        let geometry = &ctx.geometry;
        let piece = |raw: u32| {
            geometry.piece(raw).ok_or_else(|| {
                Close::misbehaved(format!("{m:?} for piece {raw}, which does not exist"))
            })
        };
        match m {
            FastMessage::HaveAll => self.emit(PeerEventKind::Bitfield(Bitfield::full(
                geometry.num_pieces(),
            ))),
            FastMessage::HaveNone => self.emit(PeerEventKind::Bitfield(Bitfield::new(
                geometry.num_pieces(),
            ))),
            FastMessage::SuggestPiece(raw) => piece(raw).map(|_| ()),
            FastMessage::AllowedFast(raw) => {
                let p = piece(raw)?;
                if self.allowed_in.set(p) {
                    self.emit(PeerEventKind::AllowedFast(p))?;
                }
                Ok(())
            }
            FastMessage::RejectRequest {
                index,
                begin,
                length,
            } => match self.requests.rejected(geometry, index, begin, length) {
                Some(block) => self.emit(PeerEventKind::Reject(block)),
                None => Ok(()),
            },
        }
    }
}
