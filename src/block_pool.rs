//! Block buffers that go round, and their number as the budget of blocks
//! between the sockets and the pieces.
//!
//! ```text
//!   peer thread ── Block { BlockBuf } ──▶ main thread: copy into piece,
//!        ▲                                drop the BlockBuf
//!        └────── [pool: POOL_BUFFERS tokens] ◀──┘ (Drop sends it home)
//! ```
//!
//! Without it every 16 KiB block is a fresh allocation on a peer thread
//! and a free on the main thread (65,536 of each per GiB, across threads,
//! which is where a small allocator such as musl's is slowest), and when
//! the main thread falls behind (a slow disk write), blocks pile up in
//! its channel: one fast peer put 4 MiB there at a time.
//!
//! Invariants:
//! - The pool starts with [`POOL_BUFFERS`] empty buffers (tokens that have
//!   not allocated yet). A peer thread reads from its socket only while it
//!   holds one, so at most that many blocks (2 MiB) are in transit
//!   between peer threads and the main thread; the rest wait in the
//!   kernel's socket buffers, and TCP slows the sender.
//! - A [`BlockBuf`] goes back to the pool when dropped, wherever that is
//!   (handled, or thrown away with an event nobody reads), so tokens are
//!   never lost. A buffer taken and not yet wrapped is its taker's to give
//!   back: a peer connection returns its spare when it ends (`Drop for
//!   Connection`). The pool never holds more than it started with.
//! - A buffer taken from the pool is empty; old contents are never seen.
//!
//! What it deliberately does not do: pool piece buffers (the picker keeps
//! those, on the main thread alone) or other messages' payloads, which
//! are small or rare.

use crate::geometry::BLOCK_LEN;
use crossbeam_channel::{Receiver, Sender, bounded};
use std::fmt;
use std::ops::Deref;
use std::time::Duration;

/// Blocks in transit at most: 128 × 16 KiB = 2 MiB. Enough to ride out a
/// few milliseconds of the main thread writing at several hundred MB/s.
pub const POOL_BUFFERS: usize = 128;

/// One torrent's pool; clone it for each peer thread.
#[derive(Clone, Debug)]
pub struct BlockPool {
    home: Sender<Vec<u8>>,
    out: Receiver<Vec<u8>>,
}

impl Default for BlockPool {
    fn default() -> Self {
        BlockPool::new(POOL_BUFFERS)
    }
}

impl BlockPool {
    /// A pool of `buffers` buffers (at least 1), none allocated yet.
    pub fn new(buffers: usize) -> Self {
        let (home, out) = bounded(buffers.max(1));
        for _ in 0..buffers.max(1) {
            let _ = home.try_send(Vec::new()); // room for exactly these
        }
        BlockPool { home, out }
    }

    /// A free buffer, waiting at most `wait` for one to come back.
    pub fn take(&self, wait: Duration) -> Option<Vec<u8>> {
        let mut buf = self.out.recv_timeout(wait).ok()?;
        buf.clear();
        buf.reserve(BLOCK_LEN as usize);
        Some(buf)
    }

    /// Wraps a filled buffer so that dropping it returns it here.
    pub fn wrap(&self, data: Vec<u8>) -> BlockBuf {
        BlockBuf {
            data,
            home: self.home.clone(),
        }
    }

    /// Free buffers in the pool now.
    pub fn free(&self) -> usize {
        self.out.len()
    }
}

/// A block's bytes on their way to the main thread. Reads as `&[u8]`;
/// dropping it returns the buffer to its pool.
pub struct BlockBuf {
    data: Vec<u8>,
    home: Sender<Vec<u8>>,
}

impl Deref for BlockBuf {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.data
    }
}

impl Drop for BlockBuf {
    fn drop(&mut self) {
        // Full only if this buffer was not the pool's to begin with (a
        // test's); then it is simply freed.
        let _ = self.home.try_send(std::mem::take(&mut self.data));
    }
}

impl fmt::Debug for BlockBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlockBuf({} bytes)", self.data.len())
    }
}

impl PartialEq<Vec<u8>> for BlockBuf {
    fn eq(&self, other: &Vec<u8>) -> bool {
        &self.data == other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Duration = Duration::ZERO;

    #[test]
    fn buffers_go_round_and_come_back_empty() {
        let pool = BlockPool::new(1);
        let mut a = pool.take(NOW).unwrap();
        assert!(a.capacity() >= BLOCK_LEN as usize);
        a.extend_from_slice(b"old bytes");
        let ptr = a.as_ptr();
        let block = pool.wrap(a);
        assert_eq!(&*block, b"old bytes");
        assert!(pool.take(NOW).is_none(), "the one buffer is out");
        drop(block);
        let b = pool.take(NOW).unwrap();
        assert!(b.is_empty(), "a reused buffer starts empty");
        assert_eq!(b.as_ptr(), ptr, "the same allocation came back");
    }

    #[test]
    fn the_pool_is_a_budget_and_never_grows() {
        let pool = BlockPool::new(3);
        assert_eq!(pool.free(), 3);
        let taken: Vec<BlockBuf> = (0..3).map(|_| pool.wrap(pool.take(NOW).unwrap())).collect();
        assert_eq!(pool.free(), 0);
        assert!(pool.take(Duration::from_millis(10)).is_none());
        // A stranger's buffer does not grow the pool.
        let extra = pool.wrap(vec![1, 2, 3]);
        drop(taken);
        drop(extra);
        assert_eq!(pool.free(), 3);
    }

    #[test]
    fn a_waiting_taker_gets_a_buffer_dropped_on_another_thread() {
        let pool = BlockPool::new(1);
        let block = pool.wrap(pool.take(NOW).unwrap());
        let t = std::thread::spawn(move || drop(block));
        assert!(pool.take(Duration::from_secs(5)).is_some());
        t.join().unwrap();
    }
}
