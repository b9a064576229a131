//! Hashing a piece while its blocks arrive, in the peer thread that
//! receives them.
//!
//! A peer usually sends the blocks of a piece in the order we asked for
//! them, and the picker asks one peer for a piece's blocks in order (each
//! peer fills its own pieces: DESIGN.md, "Who downloads what"). So the
//! peer thread can feed each block to a running SHA-1 the moment it
//! arrives, while the block is still in this core's cache, and hand the
//! piece's digest to the session with the block that ends it. The
//! session checks that digest against the torrent's and needs no hasher
//! round trip: no complete piece waits in memory for a hashing thread,
//! and no hashing thread reads 256 KiB back from another core's cache.
//!
//! The digest is only a shortcut. It counts only when every block came
//! through here exactly once and in order, from offset 0 to the piece's
//! end; the session uses it only if this connection sent every block it
//! stored for the piece and no block arrived twice (`Picker::sole_sender`),
//! so the digest is of exactly the bytes it will write (DESIGN.md,
//! "Hashing", says why). Anything else (a block out of order,
//! a piece shared with another peer in endgame, a web seed's piece) goes
//! to the hasher as before.
//!
//! What it deliberately does not do: keep more than one piece running (a
//! peer that interleaves pieces gets no shortcut), or judge the digest
//! (the session compares it with the torrent's).

use crate::geometry::{BlockRef, Geometry, PieceIndex};
use crate::hash::{SHA1_LEN, Sha1Stream};

/// The piece being hashed and how far.
#[derive(Default)]
pub(crate) struct RunningHash {
    at: Option<Running>,
}

struct Running {
    piece: PieceIndex,
    /// The offset the next block must start at to continue.
    next: u32,
    sha: Sha1Stream,
}

impl RunningHash {
    /// Feeds a block that arrived (and goes to the session). Returns the
    /// piece's digest when this block ends, in order, a piece whose every
    /// block came through here.
    pub(crate) fn feed(
        &mut self,
        geometry: &Geometry,
        block: BlockRef,
        data: &[u8],
    ) -> Option<[u8; SHA1_LEN]> {
        let continues = self
            .at
            .as_ref()
            .is_some_and(|r| r.piece == block.piece && r.next == block.offset);
        if !continues {
            self.at = (block.offset == 0).then(|| Running {
                piece: block.piece,
                next: 0,
                sha: Sha1Stream::default(),
            });
        }
        let running = self.at.as_mut()?;
        let Some(next) = u32::try_from(data.len())
            .ok()
            .and_then(|len| running.next.checked_add(len))
        else {
            self.at = None; // cannot happen for a checked block; never a wrong digest
            return None;
        };
        running.sha.update(data);
        running.next = next;
        if running.next < geometry.piece_len(block.piece) {
            return None;
        }
        let done = self.at.take()?;
        (done.next == geometry.piece_len(block.piece)).then(|| done.sha.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::sha1;

    /// 3 pieces of 40,000 bytes (blocks of 16,384 + 16,384 + 7,232) and
    /// a last piece of 1,000 bytes.
    fn geometry() -> Geometry {
        Geometry::new(3 * 40_000 + 1_000, 40_000, 4).unwrap()
    }

    fn bytes(b: BlockRef) -> Vec<u8> {
        (0..b.len)
            .map(|i| (b.piece.get() * 7 + b.offset + i) as u8)
            .collect()
    }

    /// Blocks fed as (piece, block index), in order; the piece whose
    /// digest the last one should return, if any.
    type Case = (&'static [(u32, u32)], Option<u32>);

    #[test]
    fn digest_only_for_a_whole_piece_in_order() {
        let g = geometry();
        let blk = |p: u32, i: u32| g.block(g.piece(p).unwrap(), i).unwrap();
        #[rustfmt::skip]
        let cases: &[Case] = &[
            (&[(0, 0), (0, 1), (0, 2)], Some(0)),            // in order
            (&[(3, 0)], Some(3)),                             // the short last piece
            (&[(0, 0), (0, 2), (0, 1)], None),                // out of order
            (&[(0, 1), (0, 2)], None),                        // offset 0 never came
            (&[(0, 0), (0, 1), (0, 1), (0, 2)], None),        // a block twice
            (&[(0, 0), (1, 0), (0, 1), (0, 2)], None),        // interleaved pieces
            (&[(0, 0), (1, 0), (1, 1), (1, 2)], Some(1)),     // the second piece starts over
            (&[(2, 0), (2, 1), (2, 0), (2, 1), (2, 2)], Some(2)), // refetched from offset 0
        ];
        for (fed, want) in cases {
            let mut running = RunningHash::default();
            let mut got = None;
            for (n, &(p, i)) in fed.iter().enumerate() {
                let digest = running.feed(&g, blk(p, i), &bytes(blk(p, i)));
                if n + 1 < fed.len() {
                    assert_eq!(digest, None, "{fed:?}: early digest at {n}");
                }
                got = digest;
            }
            let want = want.map(|p| {
                let piece = g.piece(p).unwrap();
                let whole: Vec<u8> = (0..g.num_blocks(piece))
                    .flat_map(|i| bytes(blk(p, i)))
                    .collect();
                sha1(&whole)
            });
            assert_eq!(got, want, "{fed:?}");
        }
    }
}
