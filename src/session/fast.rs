//! The Fast extension (BEP 6) in the main thread: what we may ask a peer
//! for, given its allowed-fast pieces and its rejects.
//!
//! [`PeerFast`] is one peer's record, kept in its `Peer`:
//! - `allowed`: the pieces it serves while choking us (its `allowed fast`
//!   messages). While it chokes us, `fill` asks it for those pieces only.
//! - rejects. A rejected block goes back to the picker at once, for any
//!   peer. So that a peer that rejects cannot draw a loop of requests
//!   (request, reject, the same block picked again for it, ...), a
//!   rejected piece is not asked of that peer again until it unchokes us
//!   anew or [`REJECT_PAUSE`] passes; and a peer that rejects
//!   [`MAX_REJECTS_IN_ROW`] requests without sending a block is asked
//!   nothing at all until then. Requests to a peer that rejects
//!   everything are therefore bounded by about `MAX_REJECTS_IN_ROW` plus
//!   one pipeline per pause, whatever the torrent's size.
//!
//! Choke semantics stay BEP 3's for every peer (see `peer::requests`):
//! a choke from a Fast peer still takes back every request at once rather
//! than waiting for its rejects. That is one rule for all peers, it never
//! leaves a block waiting on a peer that stopped serving, and a late block
//! is only a wasted 16 KiB.
//!
//! `suggest piece` never reaches the main thread (the peer thread checks
//! and drops it). This module does no I/O.

use super::Session;
use crate::geometry::{BlockRef, Geometry, PieceIndex};
use crate::ids::ConnId;
use crate::wire::bitfield::Bitfield;
use std::borrow::Cow;
use std::time::{Duration, Instant};

/// Rejects in a row (no block between them) after which a peer is asked
/// nothing until [`REJECT_PAUSE`] passes or it unchokes us again. An
/// honest peer rejects only around a choke, and then at most what we had
/// in flight, which starts at `MIN_PIPELINE` (5); 16 lets a few such
/// rounds pass while keeping a peer that rejects everything cheap.
pub const MAX_REJECTS_IN_ROW: u32 = 16;

/// How long a peer's rejects keep it, or the pieces it rejected, out of
/// the picks for it. Long enough that a peer rejecting everything costs
/// a handful of requests a minute; short enough that a lone seeder that
/// rejected for a passing reason (a full queue) is asked again soon.
pub const REJECT_PAUSE: Duration = Duration::from_secs(30);

/// One peer's Fast-extension state, as the main thread sees it.
#[derive(Debug)]
pub struct PeerFast {
    /// Both sides set BEP 6's bit.
    pub negotiated: bool,
    /// Pieces the peer serves while it chokes us.
    allowed: Bitfield,
    /// Pieces the peer rejected a request for, since the pause began.
    rejected: Bitfield,
    /// Rejects since the last block the peer sent.
    rejects_in_row: u32,
    /// Set by the first reject; the rejects above are forgotten then.
    pause_ends: Option<Instant>,
}

impl PeerFast {
    pub fn new(num_pieces: u32) -> Self {
        PeerFast {
            negotiated: false,
            allowed: Bitfield::new(num_pieces),
            rejected: Bitfield::new(num_pieces),
            rejects_in_row: 0,
            pause_ends: None,
        }
    }

    /// The peer made `piece` allowed fast; true if it is new.
    pub fn allow(&mut self, piece: PieceIndex) -> bool {
        self.allowed.set(piece)
    }

    /// The peer rejected a request for a block of `piece`.
    pub fn on_reject(&mut self, piece: PieceIndex, now: Instant) {
        self.rejected.set(piece);
        self.rejects_in_row = self.rejects_in_row.saturating_add(1);
        self.pause_ends.get_or_insert(now + REJECT_PAUSE);
    }

    /// A block arrived: the peer serves after all.
    pub fn on_block(&mut self) {
        self.rejects_in_row = 0;
    }

    /// The peer unchoked us: whatever it rejected before, it may serve now.
    pub fn forgive(&mut self) {
        if self.pause_ends.is_some() {
            self.rejected = Bitfield::new(self.rejected.num_pieces());
            self.rejects_in_row = 0;
            self.pause_ends = None;
        }
    }

    /// True when the pause is over and the peer may be asked again.
    pub fn pause_over(&mut self, now: Instant) -> bool {
        if self.pause_ends.is_some_and(|t| now >= t) {
            self.forgive();
            return true;
        }
        false
    }

    /// The pieces we may ask the peer for now, out of `pieces` (the ones
    /// it has): all of them while it unchokes us, its allowed-fast ones
    /// while it chokes us, less those it rejected. `None` when nothing
    /// may be asked.
    pub fn askable<'a>(
        &self,
        pieces: &'a Bitfield,
        choking: bool,
        geometry: &Geometry,
    ) -> Option<Cow<'a, Bitfield>> {
        if self.rejects_in_row >= MAX_REJECTS_IN_ROW {
            return None;
        }
        if choking && self.allowed.is_empty() {
            return None;
        }
        if !choking && self.rejected.is_empty() {
            return Some(Cow::Borrowed(pieces));
        }
        let mut out = Bitfield::new(pieces.num_pieces());
        for p in pieces.iter_raw().filter_map(|i| geometry.piece(i)) {
            if (!choking || self.allowed.has(p)) && !self.rejected.has(p) {
                out.set(p);
            }
        }
        Some(Cow::Owned(out))
    }
}

impl Session<'_> {
    /// A peer rejected `block` (BEP 6): it goes back to the picker at
    /// once, and the peer is asked for something else, or nothing.
    pub(super) fn on_reject(&mut self, conn: ConnId, block: BlockRef) {
        let Some(peer) = self.peers.get_mut(&conn) else {
            return;
        };
        if !self.picker.release(conn, block) {
            return; // already taken back (choke, snub, cancel)
        }
        peer.fast.on_reject(block.piece, Instant::now());
        self.fill_all();
    }

    /// Peers whose reject pause is over get requests again.
    pub(super) fn end_reject_pauses(&mut self, now: Instant) {
        let over: Vec<ConnId> = self
            .peers
            .iter_mut()
            .filter_map(|(c, p)| p.fast.pause_over(now).then_some(*c))
            .collect();
        for c in over {
            self.fill(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geometry() -> Geometry {
        Geometry::new(8 * 16384, 16384, 8).unwrap()
    }

    fn set(g: &Geometry, raw: &[u32]) -> Bitfield {
        let mut b = Bitfield::new(g.num_pieces());
        for &i in raw {
            b.set(g.piece(i).unwrap());
        }
        b
    }

    fn raw(b: &Bitfield) -> Vec<u32> {
        b.iter_raw().collect()
    }

    #[test]
    fn askable_pieces() {
        let g = geometry();
        let theirs = set(&g, &[0, 1, 2, 3, 5]);
        let now = Instant::now();
        let mut f = PeerFast::new(8);
        // Unchoked, nothing rejected: everything it has.
        assert_eq!(
            raw(&f.askable(&theirs, false, &g).unwrap()),
            [0, 1, 2, 3, 5]
        );
        // Choked with no allowed-fast piece: nothing.
        assert!(f.askable(&theirs, true, &g).is_none());
        // Choked: its allowed-fast pieces that it has.
        assert!(f.allow(g.piece(2).unwrap()));
        assert!(!f.allow(g.piece(2).unwrap()));
        f.allow(g.piece(6).unwrap());
        assert_eq!(raw(&f.askable(&theirs, true, &g).unwrap()), [2]);
        // A rejected piece is left out, choked or not.
        f.on_reject(g.piece(2).unwrap(), now);
        f.on_reject(g.piece(3).unwrap(), now);
        assert_eq!(
            raw(&f.askable(&theirs, true, &g).unwrap()),
            Vec::<u32>::new()
        );
        assert_eq!(raw(&f.askable(&theirs, false, &g).unwrap()), [0, 1, 5]);
        // An unchoke forgives.
        f.forgive();
        assert_eq!(
            raw(&f.askable(&theirs, false, &g).unwrap()),
            [0, 1, 2, 3, 5]
        );
    }

    #[test]
    fn a_peer_that_rejects_everything_is_paused() {
        let g = geometry();
        let theirs = Bitfield::full(8);
        let now = Instant::now();
        let mut f = PeerFast::new(8);
        for i in 0..MAX_REJECTS_IN_ROW - 1 {
            f.on_reject(g.piece(i % 8).unwrap(), now);
        }
        assert!(f.askable(&theirs, false, &g).is_some());
        // A block in between resets the count (not the rejected pieces).
        f.on_block();
        for _ in 0..MAX_REJECTS_IN_ROW - 1 {
            f.on_reject(g.piece(0).unwrap(), now);
        }
        assert!(f.askable(&theirs, false, &g).is_some());
        f.on_reject(g.piece(0).unwrap(), now);
        assert!(f.askable(&theirs, false, &g).is_none());
        // The pause ends REJECT_PAUSE after the first reject.
        assert!(!f.pause_over(now + REJECT_PAUSE - Duration::from_millis(1)));
        assert!(f.askable(&theirs, false, &g).is_none());
        assert!(f.pause_over(now + REJECT_PAUSE));
        assert_eq!(f.askable(&theirs, false, &g).unwrap().count(), 8);
        assert!(!f.pause_over(now + REJECT_PAUSE * 2), "once");
    }
}
