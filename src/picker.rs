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
//!   peers, or `Received` (its bytes are in the piece buffer).
//! - At most `max_partial` pieces are partial or hashing at once, so the
//!   memory held for pieces in progress (being filled, or waiting for
//!   their hash check) is `max_partial × piece length`, whatever the size
//!   of the torrent.
//!
//! Policy, in order (see DESIGN.md, "Who downloads what"):
//! 1. blocks of pieces already in progress, fullest piece first, so
//!    pieces complete and free their memory;
//! 2. a new piece, rarest first among those the peer has, ties broken at
//!    random so peers do not all pick the same piece;
//! 3. endgame: when every block still missing is already requested, ask
//!    this peer too for blocks requested elsewhere (at most
//!    `ENDGAME_DUPLICATES` peers per block); the first copy wins and the
//!    others are cancelled.
//!
//! The picker does no I/O and never sees a socket; it neither hashes nor
//! writes pieces (the hasher and the session do), but it keeps a piece
//! and its senders counted until the verdict.

use crate::geometry::{BlockRef, Geometry, PieceIndex};
use crate::ids::ConnId;
use crate::rng::Rng;
use crate::wire::bitfield::Bitfield;
use std::collections::BTreeMap;

/// How many peers may be asked for the same block in endgame. Two copies
/// in flight are enough to route around one slow peer without doubling
/// the traffic of the last pieces many times over.
pub const ENDGAME_DUPLICATES: usize = 2;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Block {
    Missing,
    Requested(Vec<ConnId>),
    Received,
}

#[derive(Debug)]
struct Partial {
    blocks: Vec<Block>,
    received: u32,
    /// Allocated when the first block arrives; `piece_len` bytes.
    data: Vec<u8>,
    /// Who sent each block, for blame when the hash check fails.
    senders: Vec<Option<ConnId>>,
}

/// What became of a block handed to [`Picker::block_received`].
#[derive(Debug, PartialEq, Eq)]
pub enum Received {
    /// We did not need it (already have it, or a duplicate in endgame).
    Unneeded,
    /// Stored. `cancel` lists other peers that were also asked for it.
    Stored { cancel: Vec<ConnId> },
    /// Stored, and it was the last block of its piece: the piece is ready
    /// for the hash check ([`Picker::take_complete`]).
    Complete { cancel: Vec<ConnId> },
}

#[derive(Debug)]
pub struct Picker {
    geometry: Geometry,
    have: Bitfield,
    availability: Vec<u32>,
    partial: BTreeMap<PieceIndex, Partial>,
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
    /// For tie-breaks between equally rare pieces.
    rng: Rng,
}

impl Picker {
    /// A picker for a torrent of which we already have `have`, holding at
    /// most `max_partial` pieces in memory at once (at least 1).
    pub fn new(geometry: Geometry, have: Bitfield, max_partial: usize) -> Self {
        let have_bytes = have.bytes(&geometry);
        Picker {
            geometry,
            availability: vec![0; geometry.num_pieces() as usize],
            have,
            have_bytes,
            partial: BTreeMap::new(),
            hashing: BTreeMap::new(),
            max_partial: max_partial.max(1),
            max_hashing: usize::MAX,
            rng: Rng::from_os(),
        }
    }

    pub fn have(&self) -> &Bitfield {
        &self.have
    }

    pub fn is_complete(&self) -> bool {
        self.have.is_full()
    }

    /// Bytes verified so far.
    pub fn bytes_have(&self) -> u64 {
        self.have_bytes
    }

    /// A peer's piece set appeared (`+1`) or went away (`-1`).
    pub fn add_availability(&mut self, pieces: &Bitfield) {
        for i in pieces.iter_raw() {
            if let Some(a) = self.availability.get_mut(i as usize) {
                *a = a.saturating_add(1);
            }
        }
    }

    pub fn remove_availability(&mut self, pieces: &Bitfield) {
        for i in pieces.iter_raw() {
            if let Some(a) = self.availability.get_mut(i as usize) {
                *a = a.saturating_sub(1);
            }
        }
    }

    /// A peer announced one more piece.
    pub fn add_one(&mut self, piece: PieceIndex) {
        if let Some(a) = self.availability.get_mut(piece.as_usize()) {
            *a = a.saturating_add(1);
        }
    }

    /// Up to `want` blocks for a peer that has `theirs`. Marks them
    /// requested by `conn`.
    pub fn pick(&mut self, conn: ConnId, theirs: &Bitfield, want: usize) -> Vec<BlockRef> {
        let mut out = Vec::new();
        if want == 0 {
            return out;
        }
        self.pick_from_partial(conn, theirs, want, &mut out);
        while out.len() < want && self.has_room() {
            let Some(piece) = self.rarest_new_piece(theirs) else {
                break;
            };
            self.start(piece);
            self.pick_from_partial(conn, theirs, want, &mut out);
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
        out: &mut Vec<BlockRef>,
    ) {
        // Fullest pieces first: they free their memory soonest.
        let mut order: Vec<(u32, PieceIndex)> = self
            .partial
            .iter()
            .filter(|(p, _)| theirs.has(**p))
            .map(|(p, part)| (part.received, *p))
            .collect();
        order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for (_, piece) in order {
            let Some(part) = self.partial.get_mut(&piece) else {
                continue;
            };
            for (i, state) in part.blocks.iter_mut().enumerate() {
                if out.len() >= want {
                    return;
                }
                if *state == Block::Missing
                    && let Some(b) = self.geometry.block(piece, i as u32)
                {
                    *state = Block::Requested(vec![conn]);
                    out.push(b);
                }
            }
        }
    }

    /// True when no missing piece can be started and no block of a partial
    /// piece is unrequested: all that is left is in flight.
    pub fn in_endgame(&self) -> bool {
        let started = self.have.count() as usize + self.partial.len() + self.hashing.len();
        started == self.geometry.num_pieces() as usize
            && self
                .partial
                .values()
                .all(|p| p.blocks.iter().all(|b| *b != Block::Missing))
    }

    fn pick_endgame(
        &mut self,
        conn: ConnId,
        theirs: &Bitfield,
        want: usize,
        out: &mut Vec<BlockRef>,
    ) {
        for (piece, part) in self.partial.iter_mut() {
            if !theirs.has(*piece) {
                continue;
            }
            for (i, state) in part.blocks.iter_mut().enumerate() {
                if out.len() >= want {
                    return;
                }
                if let Block::Requested(peers) = state
                    && peers.len() < ENDGAME_DUPLICATES
                    && !peers.contains(&conn)
                    && let Some(b) = self.geometry.block(*piece, i as u32)
                {
                    peers.push(conn);
                    out.push(b);
                }
            }
        }
    }

    /// The rarest piece `theirs` has that we neither have nor have
    /// started; ties broken by a random starting point.
    fn rarest_new_piece(&mut self, theirs: &Bitfield) -> Option<PieceIndex> {
        let n = self.geometry.num_pieces();
        let start = self.rng.below(u64::from(n)) as u32;
        let mut best: Option<(u32, PieceIndex)> = None;
        for k in 0..n {
            let i = (start + k) % n;
            let Some(p) = self.geometry.piece(i) else {
                continue;
            };
            if !theirs.has(p) || self.have.has(p) || self.is_started(p) {
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

    fn start(&mut self, piece: PieceIndex) {
        let n = self.geometry.num_blocks(piece) as usize;
        self.partial.insert(
            piece,
            Partial {
                blocks: vec![Block::Missing; n],
                received: 0,
                data: Vec::new(),
                senders: vec![None; n],
            },
        );
    }

    /// A request to `conn` is void (choke, cancel, timeout, disconnect):
    /// the block goes back to the pool unless another peer still has it.
    pub fn release(&mut self, conn: ConnId, block: BlockRef) {
        let Some(part) = self.partial.get_mut(&block.piece) else {
            return;
        };
        let Some(state) = part.blocks.get_mut(block.index_in_piece() as usize) else {
            return;
        };
        if let Block::Requested(peers) = state {
            peers.retain(|c| *c != conn);
            if peers.is_empty() {
                *state = Block::Missing;
            }
        }
    }

    /// Bytes of a block arrived from `conn`. `data.len()` must equal
    /// `block.len` (the peer thread checks it against its request).
    pub fn block_received(&mut self, conn: ConnId, block: BlockRef, data: &[u8]) -> Received {
        let piece_len = self.geometry.piece_len(block.piece) as usize;
        let Some(part) = self.partial.get_mut(&block.piece) else {
            return Received::Unneeded;
        };
        let idx = block.index_in_piece() as usize;
        let start = block.offset as usize;
        let end = start + data.len();
        if data.len() != block.len as usize || end > piece_len {
            return Received::Unneeded;
        }
        let cancel = match part.blocks.get_mut(idx) {
            None | Some(Block::Received) => return Received::Unneeded,
            Some(state) => {
                let others = match state {
                    Block::Requested(peers) => {
                        peers.iter().copied().filter(|c| *c != conn).collect()
                    }
                    _ => Vec::new(),
                };
                *state = Block::Received;
                others
            }
        };
        if part.data.is_empty() {
            part.data = vec![0; piece_len];
        }
        part.data[start..end].copy_from_slice(data);
        part.received += 1;
        if let Some(s) = part.senders.get_mut(idx) {
            *s = Some(conn);
        }
        if part.received as usize == part.blocks.len() {
            Received::Complete { cancel }
        } else {
            Received::Stored { cancel }
        }
    }

    /// Hands over a complete piece's bytes for the hash check. The piece
    /// goes from partial to hashing: it still counts against the budget
    /// and is not picked again until the verdict, reported with
    /// [`Picker::verified`] or [`Picker::failed`].
    pub fn take_complete(&mut self, piece: PieceIndex) -> Option<Vec<u8>> {
        let done = self
            .partial
            .get(&piece)
            .is_some_and(|p| p.received as usize == p.blocks.len());
        if !done {
            return None;
        }
        let part = self.partial.remove(&piece)?;
        let senders = part.senders.into_iter().flatten().collect();
        self.hashing.insert(piece, senders);
        Some(part.data)
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

    fn is_started(&self, piece: PieceIndex) -> bool {
        self.partial.contains_key(&piece) || self.hashing.contains_key(&piece)
    }

    /// Blocks outstanding (requested and not received) in all partial pieces.
    pub fn outstanding(&self) -> usize {
        self.partial
            .values()
            .flat_map(|p| p.blocks.iter())
            .filter(|b| matches!(b, Block::Requested(_)))
            .count()
    }

    /// Number of pieces being filled (see also [`Picker::hashing_count`]).
    pub fn partial_count(&self) -> usize {
        self.partial.len()
    }

    /// True if `theirs` has a piece we lack.
    pub fn wants_any(&self, theirs: &Bitfield) -> bool {
        theirs
            .iter_raw()
            .filter_map(|i| self.geometry.piece(i))
            .any(|p| !self.have.has(p))
    }
}

#[cfg(test)]
mod tests;
