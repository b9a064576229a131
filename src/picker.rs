//! The piece picker: which block to ask which peer for next.
//!
//! Owned by the main thread alone. It knows which pieces we have, how many
//! connected peers have each piece (availability), and the state of every
//! block of every piece in progress.
//!
//! Invariants:
//! - A piece is in exactly one state: *have* (verified, in `have`),
//!   *partial* (a key of `partial`, with a buffer being filled),
//!   *hashing* (a key of `hashing`: complete, its buffer with the hasher
//!   until the verdict), or *missing*.
//! - A block of a partial piece is `Missing`, `Requested` from one or more
//!   peers, or `Received` (its bytes are in the piece buffer); the piece
//!   being assembled is an `Assembly` (`picker/assembly.rs`).
//! - The picker is the one record of requests in flight: a block is
//!   requested from a connection exactly when its `Assembly` says so;
//!   `picker/in_flight.rs` counts them per connection. The session asks
//!   how many a peer holds and which to take back; it keeps no copy.
//! - At most `max_partial` pieces are partial or hashing at once
//!   (`picker/budget.rs`), whatever the size of the torrent.
//! - Only *wanted* pieces are started: every piece, or with `--select`
//!   those the selected files need; `have` is a subset of them, and the
//!   download is complete when they are all had (`picker/wanted.rs`).
//!
//! Policy, in order (see DESIGN.md, "Who downloads what"):
//! 1. blocks of pieces already in progress, fullest piece first, so
//!    pieces complete and free their memory: first the peer's own (those
//!    it is fetching, or that nobody is);
//! 2. a new piece, rarest first among those the peer has, ties broken at
//!    random so peers do not all pick the same piece; when the budget
//!    allows none, other peers' pieces in progress;
//! 3. endgame: when every block still missing is already requested, ask
//!    this peer too for blocks requested elsewhere (at most
//!    `ENDGAME_DUPLICATES` peers per block); the first copy wins and the
//!    others are cancelled.
//! 4. web seeds: runs of whole pieces nobody is fetching (`picker/web.rs`).
//!
//! Streaming to stdout (`-o -`) narrows 2 to 4 to a window of pieces, the
//! lowest first (`picker/in_order.rs`).
//!
//! The picker does no I/O and never sees a socket; it neither hashes nor
//! writes pieces (the hasher and the session do), but counts a piece and
//! its senders until the verdict.

mod assembly;
mod availability;
mod budget;
mod in_flight;
mod in_order;
mod wanted;
mod web;
pub use budget::SPARE_BYTES;

use crate::geometry::{BlockRef, Geometry, PieceIndex};
use crate::ids::ConnId;
use crate::rng::Rng;
use crate::wire::bitfield::Bitfield;
use assembly::{Assembly, Stored};
use in_flight::InFlight;
use std::collections::BTreeMap;
use std::ops::Range;

/// How many peers may be asked for the same block in endgame. Two copies
/// in flight are enough to route around one slow peer without doubling
/// the traffic of the last pieces many times over.
pub const ENDGAME_DUPLICATES: usize = 2;

/// Whose partial pieces a peer may be given blocks of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Share {
    /// Pieces it is already fetching, and pieces nobody is (given back
    /// after a choke or a disconnect): each peer fills its own pieces in
    /// the order its blocks arrive, so few are half full at once.
    Own,
    /// Any piece in progress (when no new piece may start).
    Any,
}

/// What became of a block handed to [`Picker::block_received`].
#[derive(Debug, PartialEq, Eq)]
pub enum Received {
    /// We did not need it (already have it, or a duplicate in endgame).
    Unneeded,
    /// Stored. `cancel` lists other peers that were also asked for it
    /// (their requests are void now: send them a `cancel`).
    Stored { cancel: Vec<ConnId> },
    /// Stored, and it was the last block of its piece: the piece is ready
    /// for the hash check ([`Picker::take_complete`]).
    Complete { cancel: Vec<ConnId> },
}

#[derive(Debug)]
pub struct Picker {
    geometry: Geometry,
    have: Bitfield,
    /// The pieces to download (`--select`; all by default); holds `have`.
    wanted: Bitfield,
    /// Bytes of the pieces in `wanted`.
    wanted_bytes: u64,
    availability: Vec<u32>,
    partial: BTreeMap<PieceIndex, Assembly>,
    /// Requests outstanding per connection (`Requested` entries naming it).
    in_flight: InFlight,
    /// Complete pieces out for their hash check, with the peer that sent
    /// each block (for blame if the check fails).
    hashing: BTreeMap<PieceIndex, Vec<ConnId>>,
    /// The most pieces partial and hashing together.
    max_partial: usize,
    /// No new piece starts while this many are hashing (see
    /// [`Picker::limit_hashing`]).
    max_hashing: usize,
    /// Bytes of the pieces in `have`, kept as pieces are verified.
    have_bytes: u64,
    /// Written pieces' buffers for the next pieces, at most `max_spare`
    /// ([`SPARE_BYTES`] in pieces): no allocation nor page fault per piece.
    spare: Vec<Vec<u8>>,
    max_spare: usize,
    /// For tie-breaks between equally rare pieces.
    rng: Rng,
    /// A stream's window: start only these pieces, lowest first
    /// (`picker/in_order.rs`); `None` for a download to disk.
    window: Option<Range<u32>>,
}

impl Picker {
    /// A picker for a torrent of which we already have `have`, holding at
    /// most `max_partial` pieces in memory at once (at least 1).
    pub fn new(geometry: Geometry, have: Bitfield, max_partial: usize) -> Self {
        let have_bytes = have.bytes(&geometry);
        Picker {
            geometry,
            wanted: Bitfield::full(geometry.num_pieces()),
            wanted_bytes: geometry.total_len(),
            availability: vec![0; geometry.num_pieces() as usize],
            have,
            have_bytes,
            partial: BTreeMap::new(),
            in_flight: InFlight::default(),
            hashing: BTreeMap::new(),
            max_partial: max_partial.max(1),
            max_hashing: usize::MAX,
            spare: Vec::new(),
            max_spare: (SPARE_BYTES / geometry.nominal_piece_len()).max(1) as usize,
            rng: Rng::from_os(),
            window: None,
        }
    }

    pub fn have(&self) -> &Bitfield {
        &self.have
    }

    /// Bytes verified so far.
    pub fn bytes_have(&self) -> u64 {
        self.have_bytes
    }

    /// Up to `want` blocks for a peer that has `theirs`. Marks them
    /// requested by `conn`.
    pub fn pick(&mut self, conn: ConnId, theirs: &Bitfield, want: usize) -> Vec<BlockRef> {
        let mut out = Vec::new();
        if want == 0 {
            return out;
        }
        self.pick_from_partial(conn, theirs, want, Share::Own, &mut out);
        while out.len() < want && self.has_room() {
            let Some(piece) = self.rarest_new_piece(theirs) else {
                break;
            };
            self.start_for(conn, piece, want, &mut out);
        }
        if out.len() < want {
            // No room for a new piece: help with other peers' pieces.
            self.pick_from_partial(conn, theirs, want, Share::Any, &mut out);
        }
        if out.len() < want && self.in_endgame() {
            self.pick_endgame(conn, theirs, want, &mut out);
        }
        out
    }

    fn pick_from_partial(
        &mut self,
        conn: ConnId,
        theirs: &Bitfield,
        want: usize,
        share: Share,
        out: &mut Vec<BlockRef>,
    ) {
        // Fullest pieces first: they free their memory soonest.
        let mut order: Vec<(u32, PieceIndex)> = self
            .partial
            .iter()
            .filter(|(p, part)| {
                theirs.has(**p) && part.has_missing() && (share == Share::Any || part.open_to(conn))
            })
            .map(|(p, part)| (part.received(), *p))
            .collect();
        order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for (_, piece) in order {
            if out.len() >= want {
                return;
            }
            let Some(part) = self.partial.get_mut(&piece) else {
                continue;
            };
            let picked = part.request_missing(conn, want - out.len());
            self.note_requested(conn, piece, &picked, out);
        }
    }

    /// Counts `picked` blocks of `piece` as requested by `conn`, into `out`.
    fn note_requested(
        &mut self,
        conn: ConnId,
        piece: PieceIndex,
        picked: &[u32],
        out: &mut Vec<BlockRef>,
    ) {
        for &i in picked {
            if let Some(b) = self.geometry.block(piece, i) {
                out.push(b);
            }
        }
        self.in_flight.add(conn, picked.len());
    }

    /// True when no missing piece can be started and no block of a partial
    /// piece is unrequested: all that is left is in flight.
    pub fn in_endgame(&self) -> bool {
        if let Some(endgame) = self.window_endgame() {
            return endgame;
        }
        let started = self.have.count() as usize + self.partial.len() + self.hashing.len();
        started == self.wanted.count() as usize && self.partial.values().all(|p| !p.has_missing())
    }

    fn pick_endgame(
        &mut self,
        conn: ConnId,
        theirs: &Bitfield,
        want: usize,
        out: &mut Vec<BlockRef>,
    ) {
        let pieces: Vec<PieceIndex> = self.partial.keys().copied().collect();
        for piece in pieces {
            if out.len() >= want {
                return;
            }
            if !theirs.has(piece) {
                continue;
            }
            let Some(part) = self.partial.get_mut(&piece) else {
                continue;
            };
            let picked = part.request_duplicates(conn, want - out.len(), ENDGAME_DUPLICATES);
            self.note_requested(conn, piece, &picked, out);
        }
    }

    /// The rarest piece `theirs` has that we neither have nor have
    /// started; ties broken by a random starting point. With a stream's
    /// window, the lowest such piece in it instead (`picker/in_order.rs`).
    fn rarest_new_piece(&mut self, theirs: &Bitfield) -> Option<PieceIndex> {
        if let Some(next) = self.next_in_window(theirs) {
            return next;
        }
        let n = self.geometry.num_pieces();
        let start = self.rng.below(u64::from(n)) as u32;
        let mut best: Option<(u32, PieceIndex)> = None;
        for k in 0..n {
            let i = (start + k) % n;
            let Some(p) = self.geometry.piece(i) else {
                continue;
            };
            if !theirs.has(p) || !self.wants(p) || self.is_started(p) {
                continue;
            }
            let avail = self.availability.get(p.as_usize()).copied().unwrap_or(0);
            if best.is_none_or(|(a, _)| avail < a) {
                best = Some((avail, p));
                if avail <= 1 {
                    break; // cannot get rarer than one peer
                }
            }
        }
        best.map(|(_, p)| p)
    }

    /// Starts `piece` and gives `conn` up to `want` (in all, with `out`)
    /// of its blocks.
    fn start_for(&mut self, conn: ConnId, piece: PieceIndex, want: usize, out: &mut Vec<BlockRef>) {
        let n = self.geometry.num_blocks(piece) as usize;
        let part = self
            .partial
            .entry(piece)
            .or_insert_with(|| Assembly::new(n));
        let picked = part.request_missing(conn, want.saturating_sub(out.len()));
        self.note_requested(conn, piece, &picked, out);
    }

    /// A request to `conn` is void (choke, reject, disconnect): the block
    /// goes back to the pool unless another peer still has it. True if
    /// `conn` held that request.
    pub fn release(&mut self, conn: ConnId, block: BlockRef) -> bool {
        let Some(part) = self.partial.get_mut(&block.piece) else {
            return false;
        };
        let had = part.release(block.index_in_piece(), conn);
        if had {
            self.in_flight.void(conn, 1);
        }
        had
    }

    /// Voids every request `conn` holds (it choked us, left, or went
    /// silent) and returns those blocks, e.g. to cancel them.
    pub fn release_all(&mut self, conn: ConnId) -> Vec<BlockRef> {
        let mut out = Vec::new();
        if self.in_flight.of(conn) == 0 {
            return out;
        }
        for (piece, part) in self.partial.iter_mut() {
            for i in part.release_all(conn) {
                if let Some(b) = self.geometry.block(*piece, i) {
                    out.push(b);
                }
            }
        }
        self.in_flight.forget(conn);
        out
    }

    /// Requests `conn` holds.
    pub fn in_flight_of(&self, conn: ConnId) -> usize {
        self.in_flight.of(conn)
    }

    /// Requests held by all connections together.
    pub fn in_flight(&self) -> usize {
        self.in_flight.total()
    }

    /// Bytes of a block arrived from `conn`. `data.len()` must equal
    /// `block.len` (the peer thread checks it against its request).
    pub fn block_received(&mut self, conn: ConnId, block: BlockRef, data: &[u8]) -> Received {
        let piece_len = self.geometry.piece_len(block.piece) as usize;
        let start = block.offset as usize;
        if data.len() != block.len as usize || start + data.len() > piece_len {
            return Received::Unneeded;
        }
        let Some(part) = self.partial.get_mut(&block.piece) else {
            return Received::Unneeded;
        };
        let spare = &mut self.spare;
        let stored = part.receive(block.index_in_piece(), start, data, conn, piece_len, || {
            spare.pop().unwrap_or_default()
        });
        let complete = part.is_complete();
        let Stored::New { requested_by } = stored else {
            return Received::Unneeded;
        };
        let mut cancel = Vec::new();
        for c in requested_by {
            self.in_flight.void(c, 1);
            if c != conn {
                cancel.push(c);
            }
        }
        if complete {
            Received::Complete { cancel }
        } else {
            Received::Stored { cancel }
        }
    }

    /// Requests outstanding, counted from the pieces themselves (a check
    /// on [`Picker::in_flight`], which the tests compare it with).
    pub fn outstanding(&self) -> usize {
        self.partial.values().map(|p| p.requests()).sum()
    }

    /// Number of pieces being filled (see also [`Picker::hashing_count`]).
    pub fn partial_count(&self) -> usize {
        self.partial.len()
    }
}

#[cfg(test)]
mod tests;
