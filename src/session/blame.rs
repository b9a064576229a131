//! Who sent bad data: strikes and "smart bans".
//!
//! When a piece fails its hash check we know only that *some* block in it
//! was wrong. If one peer sent the whole piece, that peer gets a strike
//! (see `peers::MAX_STRIKES`). If several peers sent blocks, striking all
//! of them would ban honest peers along with the liar, so instead we keep
//! a SHA-1 of every block and who sent it. When the piece later passes,
//! each remembered block is compared with the good data: a peer whose
//! block differs is proven to have sent bad data and is banned.
//!
//! Memory: 20 bytes and an address per block of a failed piece, for at
//! most [`MAX_SUSPECT_PIECES`] pieces at a time.

use crate::geometry::{BLOCK_LEN, PieceIndex};
use std::collections::HashMap;
use std::net::SocketAddr;

/// Failed pieces remembered at once; a flood of bad pieces beyond this is
/// still re-downloaded, only without the block comparison.
pub const MAX_SUSPECT_PIECES: usize = 256;

/// What a failed piece tells us right away.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// One peer sent every block: it gets a strike.
    Strike(SocketAddr),
    /// Several peers: wait for the good copy to tell who lied.
    Wait,
}

#[derive(Debug, Default)]
pub struct Blame {
    suspects: HashMap<PieceIndex, Vec<(SocketAddr, [u8; 20])>>,
}

fn blocks(data: &[u8]) -> impl Iterator<Item = [u8; 20]> + '_ {
    data.chunks(BLOCK_LEN as usize).map(crate::hash::sha1)
}

impl Blame {
    /// A piece failed; `senders[i]` sent block `i` of `data`.
    pub fn failed(&mut self, piece: PieceIndex, data: &[u8], senders: &[SocketAddr]) -> Verdict {
        if let Some(first) = senders.first()
            && senders.iter().all(|s| s == first)
        {
            return Verdict::Strike(*first);
        }
        if self.suspects.len() < MAX_SUSPECT_PIECES || self.suspects.contains_key(&piece) {
            let record = self.suspects.entry(piece).or_default();
            // Keep only the latest failed copy of each block.
            record.clear();
            record.extend(senders.iter().copied().zip(blocks(data)));
        }
        Verdict::Wait
    }

    /// A piece passed: the addresses whose earlier blocks of it were wrong.
    pub fn verified(&mut self, piece: PieceIndex, data: &[u8]) -> Vec<SocketAddr> {
        let Some(record) = self.suspects.remove(&piece) else {
            return Vec::new();
        };
        let mut liars: Vec<SocketAddr> = record
            .iter()
            .zip(blocks(data))
            .filter(|((_, theirs), good)| theirs != good)
            .map(|((addr, _), _)| *addr)
            .collect();
        liars.sort();
        liars.dedup();
        liars
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Geometry;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[test]
    fn sole_sender_is_struck() {
        let g = Geometry::new(32768, 32768, 1).unwrap();
        let p = g.piece(0).unwrap();
        let mut b = Blame::default();
        let v = b.failed(p, &[0u8; 32768], &[addr(1), addr(1)]);
        assert_eq!(v, Verdict::Strike(addr(1)));
    }

    #[test]
    fn mixed_senders_are_judged_by_the_good_copy() {
        let g = Geometry::new(3 * 16384, 3 * 16384, 1).unwrap();
        let p = g.piece(0).unwrap();
        let good = vec![7u8; 3 * 16384];
        let mut bad = good.clone();
        bad[16384 + 3] ^= 1; // block 1 is wrong
        let mut b = Blame::default();
        let v = b.failed(p, &bad, &[addr(1), addr(2), addr(1)]);
        assert_eq!(v, Verdict::Wait);
        assert_eq!(b.verified(p, &good), vec![addr(2)]);
        // Judged once: nothing left for a second pass.
        assert!(b.verified(p, &good).is_empty());
    }
}
