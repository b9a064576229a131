//! One piece being assembled: the state of each of its blocks, the
//! buffer the blocks are copied into, and who sent each block.
//!
//! Part of the picker, on the main thread alone. The picker decides which
//! blocks to ask for; an `Assembly` records the outcome, block by block.
//!
//! Invariants:
//! - Each block is `Missing`, `Requested` by one or more connections (at
//!   most one entry per connection), or `Received`.
//! - `received` is the number of `Received` blocks; the piece is complete
//!   when it equals the number of blocks.
//! - A `Received` block's bytes are in `data` at the block's offset, and
//!   `senders` names the connection they came from. `data` is empty until
//!   the first block arrives (a piece only asked for holds no memory).
//! - `duplicates` is set once any block arrives after it was `Received`;
//!   only then may the kept bytes differ from what a sender hashed on the
//!   way in (`sole_sender`).
//!
//! What it deliberately does not do: check a block's bounds (the peer
//! thread and `Geometry` did), keep per-connection counts (the picker
//! does, from what these methods return), or hash.

use crate::ids::ConnId;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Block {
    Missing,
    Requested(Vec<ConnId>),
    Received,
}

/// What [`Assembly::receive`] did with a block.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Stored {
    /// Already had it: nothing changed.
    Duplicate,
    /// Copied in. `requested_by` are the connections whose request for it
    /// is now answered or void (the sender among them, if it had asked).
    New { requested_by: Vec<ConnId> },
}

#[derive(Debug)]
pub(super) struct Assembly {
    blocks: Vec<Block>,
    received: u32,
    /// How many of `blocks` are `Missing`: the picker asks every piece
    /// in progress on every pick, so this answer must not be a scan.
    missing: usize,
    data: Vec<u8>,
    senders: Vec<Option<ConnId>>,
    /// A block arrived after it was already received (endgame, or a
    /// peer asked twice): the bytes kept may not be the ones a sender
    /// hashed on the way in (see [`Assembly::sole_sender`]).
    duplicates: bool,
}

impl Assembly {
    /// A piece of `num_blocks` blocks, all missing.
    pub(super) fn new(num_blocks: usize) -> Self {
        Assembly {
            blocks: vec![Block::Missing; num_blocks],
            received: 0,
            missing: num_blocks,
            data: Vec::new(),
            senders: vec![None; num_blocks],
            duplicates: false,
        }
    }

    pub(super) fn received(&self) -> u32 {
        self.received
    }

    pub(super) fn is_complete(&self) -> bool {
        self.received as usize == self.blocks.len()
    }

    /// True if some block is neither requested nor received.
    pub(super) fn has_missing(&self) -> bool {
        self.missing > 0
    }

    /// True if `conn` is fetching blocks of this piece, or nobody is.
    pub(super) fn open_to(&self, conn: ConnId) -> bool {
        let mut anyone = false;
        for b in &self.blocks {
            if let Block::Requested(peers) = b {
                if peers.contains(&conn) {
                    return true;
                }
                anyone = true;
            }
        }
        !anyone
    }

    /// Marks up to `want` missing blocks requested by `conn`; returns
    /// their indices in the piece.
    pub(super) fn request_missing(&mut self, conn: ConnId, want: usize) -> Vec<u32> {
        let mut out = Vec::new();
        for (i, state) in self.blocks.iter_mut().enumerate() {
            if out.len() >= want {
                break;
            }
            if *state == Block::Missing {
                *state = Block::Requested(vec![conn]);
                self.missing -= 1;
                out.push(i as u32);
            }
        }
        out
    }

    /// Endgame: marks up to `want` blocks already requested elsewhere
    /// (by fewer than `max_copies` connections, none of them `conn`) as
    /// requested by `conn` too; returns their indices.
    pub(super) fn request_duplicates(
        &mut self,
        conn: ConnId,
        want: usize,
        max_copies: usize,
    ) -> Vec<u32> {
        let mut out = Vec::new();
        for (i, state) in self.blocks.iter_mut().enumerate() {
            if out.len() >= want {
                break;
            }
            if let Block::Requested(peers) = state
                && peers.len() < max_copies
                && !peers.contains(&conn)
            {
                peers.push(conn);
                out.push(i as u32);
            }
        }
        out
    }

    /// `conn`'s request for block `index` is void. True if it had one;
    /// the block is missing again unless another connection has it.
    pub(super) fn release(&mut self, index: u32, conn: ConnId) -> bool {
        let Some(Block::Requested(peers)) = self.blocks.get_mut(index as usize) else {
            return false;
        };
        let before = peers.len();
        peers.retain(|c| *c != conn);
        let had = peers.len() < before;
        if peers.is_empty() {
            self.blocks[index as usize] = Block::Missing;
            self.missing += 1;
        }
        had
    }

    /// Voids every request of `conn` in this piece; returns the indices.
    pub(super) fn release_all(&mut self, conn: ConnId) -> Vec<u32> {
        let mut out = Vec::new();
        for i in 0..self.blocks.len() as u32 {
            if self.release(i, conn) {
                out.push(i);
            }
        }
        out
    }

    /// Block `index` (at byte `offset` of a piece of `piece_len` bytes)
    /// arrived from `conn`. `spare` supplies the piece buffer when this is
    /// the first block. The caller has checked that the block lies inside
    /// the piece.
    pub(super) fn receive(
        &mut self,
        index: u32,
        offset: usize,
        bytes: &[u8],
        conn: ConnId,
        piece_len: usize,
        spare: impl FnOnce() -> Vec<u8>,
    ) -> Stored {
        let Some(state) = self.blocks.get_mut(index as usize) else {
            return Stored::Duplicate;
        };
        let requested_by = match std::mem::replace(state, Block::Received) {
            Block::Received => {
                self.duplicates = true;
                return Stored::Duplicate;
            }
            Block::Requested(peers) => peers,
            Block::Missing => {
                self.missing -= 1;
                Vec::new()
            }
        };
        if self.data.is_empty() {
            self.data = spare();
            // A reused buffer keeps its old bytes (each is overwritten by a
            // block before the piece is complete); only growth is zeroed.
            self.data.resize(piece_len, 0);
        }
        self.data[offset..offset + bytes.len()].copy_from_slice(bytes);
        self.received += 1;
        self.senders[index as usize] = Some(conn);
        Stored::New { requested_by }
    }

    /// The one connection that sent every block, each exactly once (no
    /// copy of any block arrived twice): then the bytes here are exactly
    /// the ones that connection's thread hashed on the way in, if it did
    /// (`peer/running_hash.rs`). `None` before the piece is complete.
    pub(super) fn sole_sender(&self) -> Option<ConnId> {
        let first = (*self.senders.first()?)?;
        let all = self.senders.iter().all(|s| *s == Some(first));
        (all && !self.duplicates).then_some(first)
    }

    /// The piece's bytes and, block by block, who sent them.
    pub(super) fn into_parts(self) -> (Vec<u8>, Vec<ConnId>) {
        (self.data, self.senders.into_iter().flatten().collect())
    }

    /// How many requests are outstanding in this piece (a connection
    /// asked twice for one block in endgame counts twice).
    pub(super) fn requests(&self) -> usize {
        self.blocks
            .iter()
            .map(|b| match b {
                Block::Requested(p) => p.len(),
                _ => 0,
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: ConnId = ConnId(1);
    const B: ConnId = ConnId(2);

    /// One step of [`the_missing_count_follows_every_transition`].
    enum Step {
        Ask(ConnId, usize),
        Duplicate(ConnId),
        Release(u32, ConnId),
        ReleaseAll(ConnId),
        Receive(u32, ConnId),
    }

    /// `missing` is kept by hand in four places: after each step of a
    /// run through every transition it equals a count of the blocks.
    #[test]
    fn the_missing_count_follows_every_transition() {
        use Step::*;
        let table = [
            ("A asks for 2", Ask(A, 2), 2),
            ("B duplicates 1", Duplicate(B), 2),
            ("A drops block 0, B still has it", Release(0, A), 2),
            ("B drops block 0", Release(0, B), 3),
            ("unasked block 3 arrives", Receive(3, B), 2),
            ("block 3 again", Receive(3, B), 2),
            ("asked block 1 arrives", Receive(1, A), 2),
            ("B asks for all", Ask(B, 9), 0),
            ("B goes away", ReleaseAll(B), 2),
            ("a release of nothing", Release(1, A), 2),
        ];
        let mut a = Assembly::new(4);
        assert_eq!(a.missing, 4);
        for (what, step, want) in table {
            match step {
                Ask(c, n) => _ = a.request_missing(c, n),
                Duplicate(c) => _ = a.request_duplicates(c, 1, 2),
                Release(i, c) => _ = a.release(i, c),
                ReleaseAll(c) => _ = a.release_all(c),
                Receive(i, c) => _ = a.receive(i, i as usize * 4, &[1; 4], c, 16, Vec::new),
            }
            let counted = a.blocks.iter().filter(|b| **b == Block::Missing).count();
            assert_eq!((a.missing, counted), (want, want), "{what}");
            assert_eq!(a.has_missing(), want > 0, "{what}");
        }
    }

    #[test]
    fn a_block_goes_missing_requested_received() {
        let mut a = Assembly::new(2);
        assert_eq!(a.request_missing(A, 5), vec![0, 1]);
        assert!(!a.has_missing());
        assert_eq!(a.request_duplicates(B, 1, 2), vec![0]);
        assert_eq!(a.requests(), 3);
        let got = a.receive(0, 0, &[1; 4], B, 6, Vec::new);
        assert_eq!(
            got,
            Stored::New {
                requested_by: vec![A, B]
            }
        );
        assert_eq!(a.receive(0, 0, &[9; 4], A, 6, Vec::new), Stored::Duplicate);
        assert!(!a.is_complete());
        assert_eq!(a.release_all(A), vec![1]);
        assert!(a.has_missing());
        assert_eq!(a.requests(), 0);
        let got = a.receive(1, 4, &[2; 2], B, 6, Vec::new);
        assert_eq!(
            got,
            Stored::New {
                requested_by: vec![]
            }
        );
        assert!(a.is_complete());
        assert_eq!(a.into_parts(), (vec![1, 1, 1, 1, 2, 2], vec![B, B]));
    }

    #[test]
    fn a_piece_is_open_to_its_fetcher_or_when_nobody_fetches_it() {
        let mut a = Assembly::new(3);
        assert!(a.open_to(A) && a.open_to(B), "nobody's");
        a.request_missing(A, 1);
        assert!(a.open_to(A));
        assert!(!a.open_to(B), "A's");
        a.release_all(A);
        assert!(a.open_to(B), "given back: nobody's again");
    }

    #[test]
    fn release_says_whether_the_connection_had_asked() {
        let mut a = Assembly::new(1);
        assert!(!a.release(0, A), "nothing requested");
        a.request_missing(A, 1);
        assert!(!a.release(0, B));
        assert!(a.release(0, A));
        assert!(a.has_missing());
        assert!(!a.release(7, A), "no such block");
    }

    #[test]
    fn a_reused_buffer_is_overwritten_and_sized() {
        let mut a = Assembly::new(1);
        a.request_missing(A, 1);
        a.receive(0, 0, &[5; 3], A, 3, || vec![0xee; 10]);
        assert_eq!(a.into_parts().0, vec![5; 3]);
    }
}
