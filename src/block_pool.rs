//! Block buffers that go round: peer threads fill them, the main thread
//! empties them into a piece and hands them back.
//!
//! ```text
//!   peer thread ── Block { data } ──▶ main thread ── copy into piece
//!        ▲                                          │
//!        └──────── [bounded pool of empty Vecs] ◀───┘
//! ```
//!
//! Without it every 16 KiB block is a fresh allocation on a peer thread
//! and a free on the main thread: 65,536 of each per GiB, across threads,
//! which is where a small allocator (musl's) is slowest.
//!
//! Invariants:
//! - The pool holds at most [`POOL_BUFFERS`] buffers, each with room for
//!   one block, so what it keeps is bounded (1 MiB) whatever the number
//!   of peers; a buffer given back to a full pool is freed.
//! - A buffer taken from the pool is empty; its old contents are never
//!   seen (`take` clears it).
//! - Nothing waits: an empty pool means a fresh allocation, a full pool a
//!   free. The pool is a cache, never a limit (the request budgets are).
//!
//! What it deliberately does not do: pool piece buffers (the picker keeps
//! those, on the main thread alone) or other messages' payloads, which
//! are small or rare.

use crate::geometry::BLOCK_LEN;
use crossbeam_channel::{Receiver, Sender, bounded};

/// Empty buffers kept for reuse: 64 × 16 KiB = 1 MiB, about what one fast
/// peer has in transit to the main thread at a time.
pub const POOL_BUFFERS: usize = 64;

/// A cloneable handle on one torrent's pool of block buffers.
#[derive(Clone, Debug)]
pub struct BlockPool {
    give: Sender<Vec<u8>>,
    take: Receiver<Vec<u8>>,
}

impl Default for BlockPool {
    fn default() -> Self {
        BlockPool::new(POOL_BUFFERS)
    }
}

impl BlockPool {
    /// A pool that keeps at most `buffers` empty buffers.
    pub fn new(buffers: usize) -> Self {
        let (give, take) = bounded(buffers);
        BlockPool { give, take }
    }

    /// An empty buffer with room for a block: a pooled one if there is
    /// one, else a fresh one.
    pub fn take(&self) -> Vec<u8> {
        match self.take.try_recv() {
            Ok(mut buf) => {
                buf.clear();
                buf
            }
            Err(_) => Vec::with_capacity(BLOCK_LEN as usize),
        }
    }

    /// Hands a buffer back once its bytes are no longer needed. Buffers
    /// smaller than a block are not kept (they would grow again on use).
    pub fn give(&self, buf: Vec<u8>) {
        if buf.capacity() >= BLOCK_LEN as usize {
            let _ = self.give.try_send(buf); // full: dropped, i.e. freed
        }
    }

    /// Buffers waiting to be reused.
    pub fn len(&self) -> usize {
        self.take.len()
    }

    pub fn is_empty(&self) -> bool {
        self.take.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_go_round_and_come_back_empty() {
        let pool = BlockPool::new(2);
        let mut a = pool.take();
        assert!(a.capacity() >= BLOCK_LEN as usize);
        a.extend_from_slice(b"old bytes");
        let ptr = a.as_ptr();
        pool.give(a);
        assert_eq!(pool.len(), 1);
        let b = pool.take();
        assert!(b.is_empty(), "a reused buffer starts empty");
        assert_eq!(b.as_ptr(), ptr, "the same allocation came back");
        assert!(pool.is_empty());
    }

    #[test]
    fn the_pool_keeps_at_most_its_size_and_no_small_buffers() {
        let pool = BlockPool::new(2);
        for _ in 0..5 {
            pool.give(Vec::with_capacity(BLOCK_LEN as usize));
        }
        assert_eq!(pool.len(), 2, "the rest were freed");
        let pool = BlockPool::new(2);
        pool.give(Vec::with_capacity(10));
        assert!(pool.is_empty(), "too small to be worth keeping");
    }

    #[test]
    fn an_empty_pool_allocates() {
        let pool = BlockPool::new(1);
        let a = pool.take();
        let b = pool.take();
        assert!(a.capacity() >= BLOCK_LEN as usize && b.capacity() >= BLOCK_LEN as usize);
    }
}
