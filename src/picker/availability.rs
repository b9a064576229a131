//! Availability: how many connected peers have each piece, the count
//! rarest-first picks by.
//!
//! Part of `Picker` (see `picker.rs`). Counts saturate: a peer that
//! announces a piece twice, or a bug, can never wrap one around.

use super::Picker;
use crate::geometry::PieceIndex;
use crate::wire::bitfield::Bitfield;

impl Picker {
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
}
