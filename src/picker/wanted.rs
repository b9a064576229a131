//! What we want: every piece, or with `--select` the pieces the selected
//! files need (`selection`), and when the download is complete.
//!
//! Part of `Picker` (see `picker.rs`). Invariant: `have` is a subset of
//! `wanted` ([`Picker::want_only`] adds what we have), so the download is
//! complete exactly when the bytes we have are the bytes we want. A piece
//! not wanted is never started, by peers or by web seeds, and a peer
//! that has only such pieces is not interesting.

use super::Picker;
use crate::geometry::PieceIndex;
use crate::wire::bitfield::Bitfield;

impl Picker {
    /// Downloads only the pieces in `wanted` (and keeps those we have).
    /// Call before the first pick.
    pub fn want_only(&mut self, wanted: &Bitfield) {
        let mut all = Bitfield::new(self.geometry.num_pieces());
        let pieces = wanted.iter_raw().chain(self.have.iter_raw());
        for p in pieces.filter_map(|i| self.geometry.piece(i)) {
            all.set(p);
        }
        self.wanted_bytes = all.bytes(&self.geometry);
        self.wanted = all;
    }

    /// True if we want `piece` and do not have it yet.
    pub fn wants(&self, piece: PieceIndex) -> bool {
        self.wanted.has(piece) && !self.have.has(piece)
    }

    /// True if `theirs` has a piece we want and lack.
    pub fn wants_any(&self, theirs: &Bitfield) -> bool {
        theirs
            .iter_raw()
            .filter_map(|i| self.geometry.piece(i))
            .any(|p| self.wants(p))
    }

    /// Every wanted piece is verified.
    pub fn is_complete(&self) -> bool {
        self.have_bytes >= self.wanted_bytes
    }

    /// How many pieces we want (all of them without `--select`).
    pub fn pieces_wanted(&self) -> u32 {
        self.wanted.count()
    }

    /// Bytes of the wanted pieces (the torrent's size without `--select`).
    pub fn bytes_wanted(&self) -> u64 {
        self.wanted_bytes
    }

    /// Bytes of wanted pieces not verified yet (a tracker's `left`).
    pub fn bytes_left(&self) -> u64 {
        self.wanted_bytes.saturating_sub(self.have_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Geometry;
    use crate::ids::ConnId;

    #[test]
    fn only_wanted_pieces_are_picked_and_complete_the_download() {
        // 4 pieces of 16 KiB (one block each); we want 1 and 3, have 0.
        let g = Geometry::new(4 * 16384, 16384, 4).unwrap();
        let mut have = Bitfield::new(4);
        have.set(g.piece(0).unwrap());
        let mut p = Picker::new(g, have, 4);
        let mut wanted = Bitfield::new(4);
        for i in [1, 3] {
            wanted.set(g.piece(i).unwrap());
        }
        p.want_only(&wanted);
        assert_eq!(p.bytes_wanted(), 3 * 16384, "what we have stays wanted");
        assert_eq!(p.bytes_left(), 2 * 16384);
        let mut only_two = Bitfield::new(4);
        only_two.set(g.piece(2).unwrap());
        assert!(!p.wants_any(&only_two));
        assert!(p.pick(ConnId(1), &only_two, 10).is_empty());
        let all = Bitfield::full(4);
        assert!(p.wants_any(&all));
        let mut picked: Vec<u32> = p
            .pick(ConnId(1), &all, 10)
            .iter()
            .map(|b| b.piece.get())
            .collect();
        picked.sort();
        assert_eq!(picked, vec![1, 3]);
        assert!(p.in_endgame(), "every wanted piece is started");
        assert!(
            p.pick_run(ConnId(2), 1 << 20).is_none(),
            "nor for web seeds"
        );
        for i in [1, 3] {
            let piece = g.piece(i).unwrap();
            let block = g.block(piece, 0).unwrap();
            p.block_received(ConnId(1), block, &[0; 16384]);
            assert!(p.take_complete(piece).is_some());
            assert!(!p.is_complete());
            p.verified(piece);
        }
        assert!(p.is_complete());
        assert_eq!(p.bytes_left(), 0);
        assert!(!p.have().has(g.piece(2).unwrap()));
    }
}
