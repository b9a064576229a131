//! Assembling the info dictionary from 16 KiB pieces (BEP 9), and
//! checking it against the infohash.
//!
//! Invariant: each piece is in exactly one state: missing, asked of one
//! connection (since when), or got from one connection. The buffer is
//! allocated once, at the size the peers announced (at most 10 MiB, see
//! `MetadataSize`), and a piece's bytes are copied into it only once.
//!
//! When every piece is in, [`Assembly::finish`] hashes the whole; on a
//! mismatch it names the connections that contributed, since one of
//! them lied (BEP 9 cannot tell which). It does not talk to peers or
//! choose among them; the coordinator (`metadata/mod.rs`) does.

use crate::ids::{ConnId, InfoHash};
use crate::wire::ut_metadata::MetadataSize;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Missing,
    Asked { conn: ConnId, at: Instant },
    Got { from: ConnId },
}

/// The metadata of one announced size, piece by piece.
#[derive(Debug)]
pub struct Assembly {
    size: MetadataSize,
    buf: Vec<u8>,
    /// One per piece, `size.pieces()` long.
    pieces: Vec<State>,
}

impl Assembly {
    pub fn new(size: MetadataSize) -> Assembly {
        Assembly {
            size,
            buf: vec![0; size.get() as usize],
            pieces: vec![State::Missing; size.pieces() as usize],
        }
    }

    pub fn size(&self) -> MetadataSize {
        self.size
    }

    /// Pieces got so far.
    pub fn got(&self) -> usize {
        self.pieces
            .iter()
            .filter(|s| matches!(s, State::Got { .. }))
            .count()
    }

    /// Pieces asked of `conn` and not answered.
    pub fn in_flight(&self, conn: ConnId) -> usize {
        self.pieces
            .iter()
            .filter(|s| matches!(s, State::Asked { conn: c, .. } if *c == conn))
            .count()
    }

    /// Marks the first missing piece as asked of `conn`, and returns it.
    pub fn ask(&mut self, conn: ConnId, now: Instant) -> Option<u32> {
        let i = self.pieces.iter().position(|s| *s == State::Missing)?;
        self.pieces[i] = State::Asked { conn, at: now };
        u32::try_from(i).ok()
    }

    /// Stores a piece from `conn`, whoever it was asked of (a late answer
    /// is as good as any), unless we have it. `data` must already fit
    /// (`MetadataSize::check_data`); returns false if it was not stored.
    pub fn received(&mut self, conn: ConnId, piece: u32, data: &[u8]) -> bool {
        let Some(range) = self.size.piece_range(piece) else {
            return false;
        };
        let Some(state) = self.pieces.get_mut(piece as usize) else {
            return false;
        };
        match (*state, self.buf.get_mut(range)) {
            (State::Got { .. }, _) | (_, None) => false,
            (_, Some(dest)) if dest.len() == data.len() => {
                dest.copy_from_slice(data);
                *state = State::Got { from: conn };
                true
            }
            _ => false,
        }
    }

    /// `conn` will not send `piece` (it rejected it): missing again.
    pub fn rejected(&mut self, conn: ConnId, piece: u32) {
        if let Some(s) = self.pieces.get_mut(piece as usize)
            && matches!(s, State::Asked { conn: c, .. } if *c == conn)
        {
            *s = State::Missing;
        }
    }

    /// `conn` is gone: what it was asked is missing again.
    pub fn forget(&mut self, conn: ConnId) {
        for s in &mut self.pieces {
            if matches!(s, State::Asked { conn: c, .. } if *c == conn) {
                *s = State::Missing;
            }
        }
    }

    /// Pieces asked longer than `limit` ago become missing again; returns
    /// the connections that were too slow.
    pub fn expire(&mut self, now: Instant, limit: Duration) -> BTreeSet<ConnId> {
        let mut slow = BTreeSet::new();
        for s in &mut self.pieces {
            if let State::Asked { conn, at } = *s
                && now.saturating_duration_since(at) >= limit
            {
                slow.insert(conn);
                *s = State::Missing;
            }
        }
        slow
    }

    pub fn is_complete(&self) -> bool {
        self.pieces.iter().all(|s| matches!(s, State::Got { .. }))
    }

    /// The whole dictionary if it is complete and its SHA-1 is
    /// `info_hash`; on a mismatch, the connections that sent its pieces.
    /// `None` while pieces are missing.
    pub fn finish(self, info_hash: &InfoHash) -> Option<Result<Vec<u8>, BTreeSet<ConnId>>> {
        if !self.is_complete() {
            return None;
        }
        if crate::hash::sha1(&self.buf) == *info_hash {
            return Some(Ok(self.buf));
        }
        let from = self
            .pieces
            .iter()
            .filter_map(|s| match s {
                State::Got { from } => Some(*from),
                _ => None,
            })
            .collect();
        Some(Err(from))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha1(b: &[u8]) -> InfoHash {
        crate::hash::sha1(b)
    }

    #[test]
    fn pieces_from_two_peers_make_the_dictionary() {
        let dict: Vec<u8> = (0..40_000u32).map(|i| (i % 251) as u8).collect();
        let size = MetadataSize::new(40_000).unwrap(); // 16,384 + 16,384 + 7,232
        let (a, b) = (ConnId(1), ConnId(2));
        let t0 = Instant::now();
        let mut asm = Assembly::new(size);
        assert_eq!(
            (asm.ask(a, t0), asm.ask(b, t0), asm.ask(a, t0)),
            (Some(0), Some(1), Some(2))
        );
        assert_eq!(asm.ask(b, t0), None, "all asked");
        assert_eq!((asm.in_flight(a), asm.in_flight(b)), (2, 1));
        // b rejects piece 1; only b's own reject counts.
        asm.rejected(a, 1);
        assert_eq!(asm.in_flight(b), 1);
        asm.rejected(b, 1);
        assert_eq!(asm.ask(a, t0), Some(1));
        // (from, piece, bytes, stored)
        let table: [(ConnId, u32, &[u8], bool); 6] = [
            (a, 0, &dict[..16_384], true),
            (a, 0, &dict[..16_384], false),       // already got
            (b, 2, &dict[32_768..], true),        // a late or foreign answer is fine
            (a, 3, &dict[..10], false),           // no such piece
            (a, 1, &dict[16_384..16_390], false), // wrong length
            (a, 1, &dict[16_384..32_768], true),
        ];
        for (from, piece, bytes, stored) in table {
            assert_eq!(asm.received(from, piece, bytes), stored, "piece {piece}");
        }
        assert_eq!(asm.got(), 3);
        assert_eq!(asm.finish(&sha1(&dict)), Some(Ok(dict)));
    }

    #[test]
    fn a_mismatch_names_every_contributor() {
        let size = MetadataSize::new(20_000).unwrap();
        let mut asm = Assembly::new(size);
        let t0 = Instant::now();
        asm.ask(ConnId(1), t0);
        asm.ask(ConnId(2), t0);
        assert!(asm.received(ConnId(1), 0, &[1; 16_384]));
        let unfinished = Assembly::new(size).finish(&[0; 20]);
        assert_eq!(unfinished, None);
        assert!(asm.received(ConnId(2), 1, &[2; 3_616]));
        let blamed = asm.finish(&[0; 20]).unwrap().unwrap_err();
        assert_eq!(
            blamed.into_iter().collect::<Vec<_>>(),
            [ConnId(1), ConnId(2)]
        );
    }

    #[test]
    fn slow_and_departed_peers_give_their_pieces_back() {
        let size = MetadataSize::new(3 * 16_384).unwrap();
        let mut asm = Assembly::new(size);
        let t0 = Instant::now();
        let later = t0 + Duration::from_secs(5);
        asm.ask(ConnId(1), t0);
        asm.ask(ConnId(2), later);
        asm.ask(ConnId(3), t0);
        asm.forget(ConnId(3));
        let slow = asm.expire(t0 + Duration::from_secs(10), Duration::from_secs(10));
        assert_eq!(slow.into_iter().collect::<Vec<_>>(), [ConnId(1)]);
        assert_eq!(asm.in_flight(ConnId(2)), 1, "not yet expired");
        assert_eq!(
            (asm.ask(ConnId(4), t0), asm.ask(ConnId(4), t0)),
            (Some(0), Some(2))
        );
    }
}
