//! Piece and block arithmetic: the one place where byte offsets are computed.
//!
//! A torrent's content is one long byte string (all files concatenated in
//! order), cut into pieces of `piece_len` bytes; the last piece may be
//! shorter. Pieces are fetched in blocks of [`BLOCK_LEN`] bytes; the last
//! block of a piece may be shorter.
//!
//! Invariants, established once by [`Geometry::new`]:
//! - `0 < total_len <= MAX_TOTAL_LEN` and `MIN_PIECE_LEN <= piece_len <= MAX_PIECE_LEN`;
//! - `num_pieces == ceil(total_len / piece_len)`, and it fits in a `u32`.
//!
//! A [`PieceIndex`] exists only after a bounds check against a `Geometry`,
//! so code that receives one never checks it again. All arithmetic is done
//! in `u64` so it is the same on 32-bit targets.
//!
//! This module does not know about files; see `storage` for that.

use std::fmt;

/// The size of a block, the unit of `request` and `piece` messages (BEP 3).
/// Every client uses 16 KiB; many drop peers that ask for more.
pub const BLOCK_LEN: u32 = 16 * 1024;

/// The smallest piece length we accept. Old torrents use 1–8 KiB pieces.
pub const MIN_PIECE_LEN: u64 = 1024;

/// The largest piece length we accept. A piece is held in memory until its
/// hash is checked, so this bounds the memory of one partial piece.
pub const MAX_PIECE_LEN: u64 = 64 * 1024 * 1024;

/// The largest torrent we accept: 256 TiB. Keeps every offset far from
/// `u64` overflow and every piece count inside a `u32`.
pub const MAX_TOTAL_LEN: u64 = 1 << 48;

/// A piece index that has been checked against the torrent's piece count.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PieceIndex(u32);

impl PieceIndex {
    /// The index as sent on the wire.
    pub fn get(self) -> u32 {
        self.0
    }

    /// The index for indexing a `Vec` of per-piece state.
    pub fn as_usize(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for PieceIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// One block: a byte range inside one piece. Built only by [`Geometry`],
/// so `offset + len` never passes the end of the piece.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlockRef {
    pub piece: PieceIndex,
    /// Byte offset inside the piece.
    pub offset: u32,
    /// Length in bytes, `1..=BLOCK_LEN`.
    pub len: u32,
}

impl BlockRef {
    /// The position of this block in its piece, counting blocks of `BLOCK_LEN`.
    pub fn index_in_piece(self) -> u32 {
        self.offset / BLOCK_LEN
    }
}

/// Why a torrent's sizes were refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GeometryError {
    /// The total length is zero (every file is empty).
    Empty,
    /// The total length is above [`MAX_TOTAL_LEN`].
    TooLarge(u64),
    /// The piece length is outside `MIN_PIECE_LEN..=MAX_PIECE_LEN`.
    PieceLength(u64),
    /// The number of hashes is not `ceil(total / piece length)`.
    HashCount { expected: u64, found: u64 },
}

impl fmt::Display for GeometryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GeometryError::Empty => write!(f, "the torrent holds no data (total length 0)"),
            GeometryError::TooLarge(n) => {
                write!(
                    f,
                    "total length {n} is larger than the limit {MAX_TOTAL_LEN}"
                )
            }
            GeometryError::PieceLength(n) => write!(
                f,
                "piece length {n} is outside {MIN_PIECE_LEN}..={MAX_PIECE_LEN} bytes"
            ),
            GeometryError::HashCount { expected, found } => write!(
                f,
                "the torrent has {found} piece hashes but its size needs {expected}"
            ),
        }
    }
}

impl std::error::Error for GeometryError {}

/// The shape of a torrent's content: total length and piece length.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Geometry {
    total_len: u64,
    piece_len: u64,
    num_pieces: u32,
}

impl Geometry {
    /// Checks the sizes from a .torrent file.
    pub fn new(total_len: u64, piece_len: u64, num_hashes: u64) -> Result<Self, GeometryError> {
        if total_len == 0 {
            return Err(GeometryError::Empty);
        }
        if total_len > MAX_TOTAL_LEN {
            return Err(GeometryError::TooLarge(total_len));
        }
        if !(MIN_PIECE_LEN..=MAX_PIECE_LEN).contains(&piece_len) {
            return Err(GeometryError::PieceLength(piece_len));
        }
        let expected = total_len.div_ceil(piece_len);
        if expected != num_hashes {
            return Err(GeometryError::HashCount {
                expected,
                found: num_hashes,
            });
        }
        // total <= 2^48 and piece_len >= 2^10, so expected <= 2^38: check u32.
        let num_pieces = u32::try_from(expected).map_err(|_| GeometryError::TooLarge(total_len))?;
        Ok(Geometry {
            total_len,
            piece_len,
            num_pieces,
        })
    }

    /// Total bytes of content (pad files included).
    pub fn total_len(&self) -> u64 {
        self.total_len
    }

    /// The nominal piece length (every piece but maybe the last).
    pub fn nominal_piece_len(&self) -> u64 {
        self.piece_len
    }

    pub fn num_pieces(&self) -> u32 {
        self.num_pieces
    }

    /// Checks an index received from a peer or read from disk.
    pub fn piece(&self, raw: u32) -> Option<PieceIndex> {
        (raw < self.num_pieces).then_some(PieceIndex(raw))
    }

    /// Every piece, in order.
    pub fn pieces(&self) -> impl Iterator<Item = PieceIndex> + use<> {
        (0..self.num_pieces).map(PieceIndex)
    }

    /// Byte offset of the start of a piece in the content.
    pub fn piece_offset(&self, piece: PieceIndex) -> u64 {
        u64::from(piece.0) * self.piece_len
    }

    /// Length of one piece; only the last may be shorter than nominal.
    pub fn piece_len(&self, piece: PieceIndex) -> u32 {
        let start = self.piece_offset(piece);
        let len = (self.total_len - start).min(self.piece_len);
        // piece_len <= MAX_PIECE_LEN < 2^32.
        len as u32
    }

    /// The pieces holding at least one byte of the `len` bytes of content
    /// from `offset`, as raw indices (empty when `len` is 0 or the range
    /// starts past the end). Files, selections and storage all ask here.
    pub fn pieces_in(&self, offset: u64, len: u64) -> std::ops::Range<u32> {
        if len == 0 || offset >= self.total_len {
            return 0..0;
        }
        let last = offset.saturating_add(len - 1).min(self.total_len - 1);
        // Both are below num_pieces, a u32.
        (offset / self.piece_len) as u32..(last / self.piece_len) as u32 + 1
    }

    /// Number of blocks in a piece.
    pub fn num_blocks(&self, piece: PieceIndex) -> u32 {
        self.piece_len(piece).div_ceil(BLOCK_LEN)
    }

    /// The `index`-th block of a piece, or `None` past the last block.
    pub fn block(&self, piece: PieceIndex, index: u32) -> Option<BlockRef> {
        let piece_len = self.piece_len(piece);
        let offset = index.checked_mul(BLOCK_LEN)?;
        if offset >= piece_len {
            return None;
        }
        Some(BlockRef {
            piece,
            offset,
            len: (piece_len - offset).min(BLOCK_LEN),
        })
    }

    /// Every block of a piece, in order.
    pub fn blocks(&self, piece: PieceIndex) -> impl Iterator<Item = BlockRef> + '_ {
        (0..self.num_blocks(piece)).filter_map(move |i| self.block(piece, i))
    }

    /// Checks a `piece` message from a peer: it must be exactly one of our
    /// blocks (we only ever request whole blocks).
    pub fn exact_block(&self, raw_piece: u32, offset: u32, len: u32) -> Option<BlockRef> {
        let piece = self.piece(raw_piece)?;
        if !offset.is_multiple_of(BLOCK_LEN) {
            return None;
        }
        self.block(piece, offset / BLOCK_LEN)
            .filter(|b| b.len == len)
    }

    /// Checks a `request` from a peer: any range inside one piece, of
    /// `1..=BLOCK_LEN` bytes (BEP 3 leaves the split to the requester).
    pub fn request(&self, raw_piece: u32, offset: u32, len: u32) -> Option<BlockRef> {
        let piece = self.piece(raw_piece)?;
        if len == 0 || len > BLOCK_LEN {
            return None;
        }
        let end = u64::from(offset) + u64::from(len);
        if end > u64::from(self.piece_len(piece)) {
            return None;
        }
        Some(BlockRef { piece, offset, len })
    }

    /// Length of the bitfield message payload: one bit per piece.
    pub fn bitfield_len(&self) -> usize {
        (self.num_pieces as usize).div_ceil(8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;

    #[test]
    fn new_checks_each_bound() {
        let table: &[(u64, u64, u64, Option<GeometryError>)] = &[
            (1, 16 * KIB, 1, None),
            (16 * KIB, 16 * KIB, 1, None),
            (16 * KIB + 1, 16 * KIB, 2, None),
            (0, 16 * KIB, 0, Some(GeometryError::Empty)),
            (1, 512, 1, Some(GeometryError::PieceLength(512))),
            (1, 128 * MIB, 1, Some(GeometryError::PieceLength(128 * MIB))),
            (
                (1 << 48) + 1,
                16 * MIB,
                1 << 24,
                Some(GeometryError::TooLarge((1 << 48) + 1)),
            ),
            (1 << 48, 16 * MIB, 1 << 24, None),
            (
                100,
                16 * KIB,
                2,
                Some(GeometryError::HashCount {
                    expected: 1,
                    found: 2,
                }),
            ),
        ];
        for (total, piece, hashes, want) in table {
            let got = Geometry::new(*total, *piece, *hashes).err();
            assert_eq!(&got, want, "total={total} piece={piece} hashes={hashes}");
        }
    }

    #[test]
    fn pieces_in_a_byte_range() {
        // 1 MiB + 100,352 bytes at 256 KiB pieces: 5 pieces.
        let g = Geometry::new(MIB + 100_352, 256 * KIB, 5).unwrap();
        // (offset, len, pieces)
        let table: &[(u64, u64, std::ops::Range<u32>)] = &[
            (0, 1, 0..1),
            (0, 256 * KIB, 0..1),     // exactly one piece
            (256 * KIB - 1, 2, 0..2), // one byte either side of a boundary
            (256 * KIB, 0, 0..0),     // zero-length: no piece
            (MIB, 100_352, 4..5),     // the short last piece
            (MIB + 100_351, 1, 4..5), // the last byte
            (MIB + 100_352, 1, 0..0), // past the end
            (10, u64::MAX, 0..5),     // clipped at the end, no overflow
        ];
        for (offset, len, want) in table {
            assert_eq!(&g.pieces_in(*offset, *len), want, "{offset}+{len}");
        }
    }

    #[test]
    fn last_piece_and_last_block() {
        // 1 MiB + 100,352 bytes at 256 KiB pieces: 5 pieces, the last 100,352 bytes.
        let g = Geometry::new(MIB + 100_352, 256 * KIB, 5).unwrap();
        let last = g.piece(4).unwrap();
        assert_eq!(g.piece_len(last), 100_352);
        assert_eq!(g.piece_offset(last), MIB);
        // 100,352 = 6 * 16,384 + 2,048.
        assert_eq!(g.num_blocks(last), 7);
        let b = g.block(last, 6).unwrap();
        assert_eq!((b.offset, b.len), (98_304, 2_048));
        assert!(g.block(last, 7).is_none());
        assert_eq!(
            g.blocks(last).map(|b| u64::from(b.len)).sum::<u64>(),
            100_352
        );
        assert!(g.piece(5).is_none());
        assert_eq!(g.bitfield_len(), 1);
    }

    #[test]
    fn one_byte_torrent() {
        let g = Geometry::new(1, 16 * KIB, 1).unwrap();
        let p = g.piece(0).unwrap();
        assert_eq!(g.piece_len(p), 1);
        assert_eq!(g.num_blocks(p), 1);
        assert_eq!(g.block(p, 0).unwrap().len, 1);
        assert_eq!(g.exact_block(0, 0, 1).map(|b| b.len), Some(1));
        assert!(g.exact_block(0, 0, 2).is_none());
    }

    #[test]
    fn piece_smaller_than_a_block() {
        let g = Geometry::new(5000, 2048, 3).unwrap();
        let p = g.piece(2).unwrap();
        assert_eq!(g.piece_len(p), 904);
        assert_eq!(g.num_blocks(p), 1);
    }

    #[test]
    fn request_bounds() {
        let g = Geometry::new(40 * KIB, 32 * KIB, 2).unwrap();
        let table: &[(u32, u32, u32, bool)] = &[
            (0, 0, 16384, true),
            (0, 1, 16384, true),
            (0, 16384, 16384, true),
            (0, 16385, 16384, false), // runs past the piece
            (0, 0, 16385, false),     // longer than a block
            (0, 0, 0, false),         // empty
            (1, 0, 8192, true),       // the whole short last piece
            (1, 0, 8193, false),
            (2, 0, 1, false), // no such piece
            (0, u32::MAX, 1, false),
        ];
        for (piece, offset, len, ok) in table {
            assert_eq!(
                g.request(*piece, *offset, *len).is_some(),
                *ok,
                "{piece} {offset} {len}"
            );
        }
        assert!(g.exact_block(0, 1, 16384).is_none());
        assert!(g.exact_block(0, 16384, 16384).is_some());
    }
}
