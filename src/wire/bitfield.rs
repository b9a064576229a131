//! The set of pieces a peer has, one bit per piece (BEP 3 `bitfield`).
//!
//! Bit layout: the high bit of byte 0 is piece 0, the low bit of byte 0 is
//! piece 7, the high bit of byte 1 is piece 8, and so on. The payload is
//! exactly `ceil(num_pieces / 8)` bytes and the spare bits at the end of
//! the last byte must be zero; a peer that breaks either rule is dropped.
//!
//! The set of pieces *we* have uses the same type. Indices are
//! [`PieceIndex`]es, already checked against the torrent, so no method here
//! can be handed an index out of range (the bitfield of another torrent
//! would be a bug, and the slice index would panic on it).

use crate::geometry::{Geometry, PieceIndex};
use std::fmt;

/// Why a received bitfield was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BitfieldError {
    /// The payload is not `ceil(pieces / 8)` bytes long.
    Length { expected: usize, found: usize },
    /// A bit past the last piece is set.
    SpareBits,
}

impl fmt::Display for BitfieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BitfieldError::Length { expected, found } => {
                write!(f, "bitfield of {found} bytes, expected {expected}")
            }
            BitfieldError::SpareBits => write!(f, "bitfield has spare bits set"),
        }
    }
}

impl std::error::Error for BitfieldError {}

#[derive(Clone, PartialEq, Eq)]
pub struct Bitfield {
    bytes: Vec<u8>,
    num_pieces: u32,
    count: u32,
}

impl fmt::Debug for Bitfield {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bitfield({}/{})", self.count, self.num_pieces)
    }
}

impl Bitfield {
    /// An empty set for a torrent of `num_pieces` pieces.
    pub fn new(num_pieces: u32) -> Self {
        Bitfield {
            bytes: vec![0; (num_pieces as usize).div_ceil(8)],
            num_pieces,
            count: 0,
        }
    }

    /// The full set.
    pub fn full(num_pieces: u32) -> Self {
        let mut b = Bitfield::new(num_pieces);
        for i in 0..num_pieces {
            b.set_raw(i);
        }
        b
    }

    /// Checks a payload received from a peer.
    pub fn from_payload(payload: &[u8], num_pieces: u32) -> Result<Self, BitfieldError> {
        let expected = (num_pieces as usize).div_ceil(8);
        if payload.len() != expected {
            return Err(BitfieldError::Length {
                expected,
                found: payload.len(),
            });
        }
        let spare = (expected * 8) as u64 - u64::from(num_pieces);
        if let Some(last) = payload.last() {
            let mask = ((1u16 << spare) - 1) as u8;
            if last & mask != 0 {
                return Err(BitfieldError::SpareBits);
            }
        }
        let count = payload.iter().map(|b| b.count_ones()).sum();
        Ok(Bitfield {
            bytes: payload.to_vec(),
            num_pieces,
            count,
        })
    }

    /// The wire payload.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn num_pieces(&self) -> u32 {
        self.num_pieces
    }

    pub fn has(&self, piece: PieceIndex) -> bool {
        let i = piece.as_usize();
        self.bytes
            .get(i / 8)
            .is_some_and(|b| b & (0x80 >> (i % 8)) != 0)
    }

    /// Adds a piece; returns true if it was not there before.
    pub fn set(&mut self, piece: PieceIndex) -> bool {
        self.set_raw(piece.get())
    }

    fn set_raw(&mut self, i: u32) -> bool {
        let i = i as usize;
        match self.bytes.get_mut(i / 8) {
            Some(b) if *b & (0x80 >> (i % 8)) == 0 => {
                *b |= 0x80 >> (i % 8);
                self.count += 1;
                true
            }
            _ => false,
        }
    }

    /// Number of pieces in the set.
    pub fn count(&self) -> u32 {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn is_full(&self) -> bool {
        self.count == self.num_pieces
    }

    /// Total bytes of the pieces in the set (the last piece may be short).
    pub fn bytes(&self, geometry: &Geometry) -> u64 {
        self.iter_raw()
            .filter_map(|i| geometry.piece(i))
            .map(|p| u64::from(geometry.piece_len(p)))
            .sum()
    }

    /// Raw indices of the pieces in the set, ascending.
    pub fn iter_raw(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.num_pieces).filter(|&i| {
            let i = i as usize;
            self.bytes[i / 8] & (0x80 >> (i % 8)) != 0
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_rules() {
        let table: &[(&[u8], u32, Result<u32, BitfieldError>)] = &[
            (&[0b1010_0000], 3, Ok(2)),
            (&[0b1110_0000], 3, Ok(3)),
            (&[0b1111_0000], 3, Err(BitfieldError::SpareBits)),
            (&[0b0000_0001], 8, Ok(1)),
            (&[0xff, 0x80], 9, Ok(9)),
            (&[0xff, 0x40], 9, Err(BitfieldError::SpareBits)),
            (
                &[0xff],
                9,
                Err(BitfieldError::Length {
                    expected: 2,
                    found: 1,
                }),
            ),
            (
                &[0x00, 0x00, 0x00],
                9,
                Err(BitfieldError::Length {
                    expected: 2,
                    found: 3,
                }),
            ),
        ];
        for (payload, n, want) in table {
            let got = Bitfield::from_payload(payload, *n).map(|b| b.count());
            assert_eq!(&got, want, "{payload:02x?} over {n} pieces");
        }
    }

    #[test]
    fn set_has_and_bit_order() {
        let g = Geometry::new(10 * 1024, 1024, 10).unwrap();
        let mut b = Bitfield::new(10);
        assert!(b.set(g.piece(0).unwrap()));
        assert!(b.set(g.piece(9).unwrap()));
        assert!(!b.set(g.piece(9).unwrap()));
        assert_eq!(b.as_bytes(), &[0x80, 0x40]);
        assert!(b.has(g.piece(9).unwrap()) && !b.has(g.piece(8).unwrap()));
        assert_eq!(b.iter_raw().collect::<Vec<_>>(), vec![0, 9]);
        assert_eq!(b.count(), 2);
        assert_eq!(b.bytes(&g), 2 * 1024);
        assert!(Bitfield::full(10).is_full());
        assert_eq!(Bitfield::full(10).as_bytes(), &[0xff, 0xc0]);
    }
}
