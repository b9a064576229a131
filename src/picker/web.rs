//! Runs of whole pieces for web seeds (BEP 19).
//!
//! Part of `Picker` (see `picker.rs`). A web seed is asked for byte
//! ranges of files, so it is given whole pieces, consecutive ones, which
//! become one range request per file they touch. Its blocks are recorded
//! as requested by the web seed's `ConnId` like any peer's: the same
//! assembly, the same budget, the same hash check and the same blame, and
//! `release_all` gives them back when the web seed fails or is dropped.
//!
//! Which pieces: the lowest missing pieces no connection is fetching,
//! either never started or started and then given back (a peer left, a
//! web seed failed). Rarity does not matter to a server that has every
//! piece; taking pieces in file order keeps the server's reads sequential.
//! A piece that a peer is fetching is never taken: web seeds fill their
//! own pieces, peers theirs.
//!
//! What it deliberately does not do: endgame for web seeds (the last
//! pieces of a web seed are duplicated by peers through the usual
//! endgame, never the other way round), or know about URLs.

use super::Picker;
use super::assembly::Assembly;
use crate::geometry::PieceIndex;
use crate::ids::ConnId;

impl Picker {
    /// Up to `max_bytes` of consecutive whole pieces (at least one piece,
    /// whatever its length) for the web seed connection `conn`, marked
    /// requested by it: `(first, count)`, or `None` if there is no piece
    /// to give (all had, taken, or no room in the budget).
    pub fn pick_run(&mut self, conn: ConnId, max_bytes: u64) -> Option<(PieceIndex, u32)> {
        // With the budget full, only a piece given back can go: do not
        // scan the whole torrent to learn that there is none.
        if !self.has_room() && !self.partial.values().any(|p| p.requests() == 0) {
            return None;
        }
        let first = self.geometry.pieces().find(|p| self.free_for_web(*p))?;
        let mut count = 0u32;
        let mut bytes = 0u64;
        let mut next = Some(first);
        while let Some(piece) = next {
            let len = u64::from(self.geometry.piece_len(piece));
            if count > 0 && (bytes + len > max_bytes || !self.free_for_web(piece)) {
                break;
            }
            let blocks = self.geometry.num_blocks(piece) as usize;
            let part = self
                .partial
                .entry(piece)
                .or_insert_with(|| Assembly::new(blocks));
            let picked = part.request_missing(conn, blocks);
            self.in_flight.add(conn, picked.len());
            count += 1;
            bytes += len;
            next = self.geometry.piece(piece.get() + 1);
        }
        Some((first, count))
    }

    /// Missing, and either free to start (the budget has room) or in
    /// progress with no request on any of its blocks.
    fn free_for_web(&self, piece: PieceIndex) -> bool {
        if !self.wants(piece) || self.hashing.contains_key(&piece) {
            return false;
        }
        match self.partial.get(&piece) {
            Some(part) => part.requests() == 0 && part.has_missing(),
            None => self.has_room() && self.in_window(piece),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Geometry;
    use crate::wire::bitfield::Bitfield;

    const WEB: ConnId = ConnId(100);
    const PEER: ConnId = ConnId(1);

    /// 10 pieces of 32 KiB (2 blocks each), the last one 16 KiB.
    fn picker(max_partial: usize) -> Picker {
        let g = Geometry::new(9 * 32768 + 16384, 32768, 10).expect("geometry");
        Picker::new(g, Bitfield::new(10), max_partial)
    }

    #[test]
    fn runs_are_consecutive_bounded_and_disjoint() {
        // (max_bytes, expected run) for three web connections in a row
        let mut p = picker(64);
        assert_eq!(p.pick_run(WEB, 65536), p.geometry.piece(0).map(|f| (f, 2)));
        assert_eq!(p.in_flight_of(WEB), 4);
        // Less than one piece of room still gives one piece.
        assert_eq!(
            p.pick_run(ConnId(101), 1),
            p.geometry.piece(2).map(|f| (f, 1))
        );
        // The rest, up to the short last piece.
        assert_eq!(
            p.pick_run(ConnId(102), 1 << 30),
            p.geometry.piece(3).map(|f| (f, 7))
        );
        assert_eq!(p.pick_run(ConnId(103), 1 << 30), None);
        assert_eq!(p.outstanding(), p.in_flight());
    }

    #[test]
    fn peers_pieces_are_left_alone_and_released_ones_taken() {
        let mut p = picker(64);
        let all = Bitfield::full(10);
        // A peer starts a piece (one block: which piece, and whether a
        // second block would come from it, is the picker's random choice).
        let blocks = p.pick(PEER, &all, 1);
        assert_eq!(blocks.len(), 1);
        let peers_piece = blocks[0].piece;
        let (first, count) = p.pick_run(WEB, 1 << 30).expect("a run");
        let run: Vec<u32> = (first.get()..first.get() + count).collect();
        assert!(!run.contains(&peers_piece.get()), "{run:?}");
        // The peer leaves: its piece is free for a web seed again.
        p.release_all(PEER);
        assert_eq!(p.pick_run(ConnId(101), 32768), Some((peers_piece, 1)));
    }

    #[test]
    fn the_budget_bounds_new_pieces() {
        let mut p = picker(3);
        assert_eq!(p.pick_run(WEB, 1 << 30).map(|r| r.1), Some(3));
        assert_eq!(p.pick_run(ConnId(101), 1 << 30), None);
        // A failed web seed gives its pieces back; they are taken again.
        p.release_all(WEB);
        assert_eq!(p.pick_run(ConnId(101), 1 << 30).map(|r| r.1), Some(3));
    }
}
