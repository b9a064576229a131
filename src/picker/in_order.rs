//! Picking for a stream (`-o -`): only pieces in a window, the one
//! nearest the head first.
//!
//! Part of `Picker` (see `picker.rs`). Without a window (every download
//! to disk) nothing here applies. With one ([`Picker::set_window`]),
//! which `stream/window.rs` owns and the session passes on each time it
//! moves:
//! - a new piece is the lowest wanted piece in the window that the peer
//!   has and nobody has started, instead of the rarest: the stream needs
//!   its head first, and rarity matters little among the few pieces of a
//!   window;
//! - web seeds start no piece past the window either;
//! - endgame is reached inside the window (every wanted piece in it
//!   started, no block unrequested), so a slow peer holding the head
//!   piece is routed around without waiting for the end of the file.
//!
//! Pieces already in progress are finished wherever they are: the
//! window only ever moves forward, so they are always in it.

use super::Picker;
use crate::geometry::PieceIndex;
use crate::wire::bitfield::Bitfield;
use std::ops::Range;

impl Picker {
    /// From now on, start only pieces in `pieces` (raw indices), lowest
    /// first.
    pub fn set_window(&mut self, pieces: Range<u32>) {
        self.window = Some(pieces);
    }

    /// True if `piece` may be started: in the window, or there is none.
    pub(super) fn in_window(&self, piece: PieceIndex) -> bool {
        self.window
            .as_ref()
            .is_none_or(|w| w.contains(&piece.get()))
    }

    /// With a window, the lowest piece in it that `theirs` has, that we
    /// want and nobody has started: `Some(found)`. `None` without one.
    pub(super) fn next_in_window(&self, theirs: &Bitfield) -> Option<Option<PieceIndex>> {
        let w = self.window.clone()?;
        Some(
            w.filter_map(|i| self.geometry.piece(i))
                .find(|&p| theirs.has(p) && self.wants(p) && !self.is_started(p)),
        )
    }

    /// With a window: every wanted piece in it is started, and every
    /// block of those in progress is requested (`Some(true)`). `None`
    /// without one.
    pub(super) fn window_endgame(&self) -> Option<bool> {
        let w = self.window.clone()?;
        let started = w
            .filter_map(|i| self.geometry.piece(i))
            .all(|p| !self.wants(p) || self.is_started(p));
        Some(started && self.partial.values().all(|p| !p.has_missing()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Geometry;
    use crate::ids::ConnId;

    /// 8 pieces of one block each.
    fn picker() -> (Geometry, Picker) {
        let g = Geometry::new(8 * 16384, 16384, 8).unwrap();
        (g, Picker::new(g, Bitfield::new(8), 8))
    }

    fn pieces(blocks: &[crate::geometry::BlockRef]) -> Vec<u32> {
        blocks.iter().map(|b| b.piece.get()).collect()
    }

    #[test]
    fn picks_in_order_inside_the_window() {
        type Pieces<'a> = &'a [u32];
        // (window, pieces the peer has, how many to pick, pieces picked)
        let cases: &[(Range<u32>, Pieces, usize, Pieces)] = &[
            (0..8, &[0, 1, 2, 3, 4, 5, 6, 7], 3, &[0, 1, 2]),
            (0..3, &[0, 1, 2, 3, 4, 5, 6, 7], 8, &[0, 1, 2]),
            (2..5, &[0, 1, 2, 3, 4, 5, 6, 7], 8, &[2, 3, 4]),
            (0..8, &[5, 1, 7], 8, &[1, 5, 7]),
            (0..4, &[5, 6, 7], 8, &[]),
            (4..4, &[0, 1, 2, 3, 4, 5, 6, 7], 8, &[]),
        ];
        for (window, theirs, want, picked) in cases {
            let (g, mut p) = picker();
            let mut bits = Bitfield::new(8);
            for &i in *theirs {
                bits.set(g.piece(i).unwrap());
            }
            p.set_window(window.clone());
            let got = pieces(&p.pick(ConnId(1), &bits, *want));
            assert_eq!(&got, picked, "window {window:?}, peer has {theirs:?}");
        }
    }

    #[test]
    fn endgame_comes_inside_the_window() {
        let (g, mut p) = picker();
        p.set_window(0..2);
        let all = Bitfield::full(8);
        assert!(!p.in_endgame());
        assert_eq!(pieces(&p.pick(ConnId(1), &all, 8)), vec![0, 1]);
        assert!(p.in_endgame(), "both pieces of the window requested");
        // A second peer gets duplicates of the head first.
        assert_eq!(pieces(&p.pick(ConnId(2), &all, 1)), vec![0]);
        // Piece 0 arrives, is verified: the window moves on.
        let b = g.block(g.piece(0).unwrap(), 0).unwrap();
        p.block_received(ConnId(1), b, &[0; 16384]);
        assert!(p.take_complete(g.piece(0).unwrap()).is_some());
        p.verified(g.piece(0).unwrap());
        p.set_window(1..3);
        assert!(!p.in_endgame(), "piece 2 is not started");
        assert_eq!(pieces(&p.pick(ConnId(2), &all, 8)), vec![2, 1]);
    }

    #[test]
    fn web_seeds_stay_inside_the_window() {
        let (_, mut p) = picker();
        p.set_window(3..5);
        assert_eq!(
            p.pick_run(ConnId(100), 1 << 20).map(|(f, n)| (f.get(), n)),
            Some((3, 2))
        );
        assert_eq!(p.pick_run(ConnId(101), 1 << 20), None);
    }
}
