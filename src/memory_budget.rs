//! `--max-memory SIZE`: one budget for everything a download holds that
//! grows with the swarm, divided before the session starts.
//!
//! What takes memory in a session, and which knob bounds it:
//!
//! ```text
//!   pieces       partial (being assembled) + hashing (with the hasher)
//!                + spare buffers, at most `max_partial` pieces together
//!                (picker/budget.rs). Requests in flight only ever fill
//!                blocks of these pieces, so they add nothing here.
//!   blocks       blocks on their way from a socket to the main thread:
//!                the block pool's buffers, 16 KiB each (block_pool.rs).
//!                A peer thread reads only while the pool has one free,
//!                so the bytes of requests in flight beyond it wait in
//!                the kernel, not in bitsy.
//!   peers        per connection: its frame buffer (one block and a
//!                header), the outgoing batch, a block read for upload,
//!                the touched part of its thread's stack: PEER_BYTES.
//!   web seeds    per connection one piece being read and a read chunk,
//!                plus the pieces queued for the main thread.
//! ```
//!
//! [`divide`] reserves the least that can work (one piece, one peer,
//! [`MIN_POOL_BUFFERS`] blocks, the web seeds' worst case) and refuses a
//! smaller budget with the figure that would do. The rest goes to peers
//! (up to a quarter of the budget, never more than `--max-peers`), to
//! the block pool (up to an eighth, never more than
//! [`crate::block_pool::POOL_BUFFERS`]), and everything left to pieces.
//!
//! Outside the budget: the program itself, its fixed threads (main,
//! listener, tracker, DHT, hasher, flusher) and their tables, and the
//! allocator's own overhead. DESIGN.md ("Memory budget") gives that
//! fixed overhead as measured. The kernel's socket buffers and page
//! cache are the kernel's, not bitsy's RSS.
//!
//! What it deliberately does not do: measure memory at run time, or adapt
//! as the swarm changes. Each part is bounded up front by a count that
//! the part itself enforces, so the sum cannot be exceeded.

use crate::block_pool::POOL_BUFFERS;
use crate::geometry::BLOCK_LEN;
use std::fmt;

/// What one peer connection holds: a frame buffer of one block and its
/// header (16 KiB), the batch of outgoing messages and the block read
/// for upload (up to 16 KiB each), decoded messages, and the stack pages
/// its thread touches. Measured: 200 slow peers cost ~60 KiB each
/// (DESIGN.md, "Speed and memory").
pub const PEER_BYTES: u64 = 64 * 1024;

/// One block pool buffer.
const BLOCK_BYTES: u64 = BLOCK_LEN as u64;

/// The fewest block pool buffers: 128 KiB of blocks in transit, enough
/// to keep a few peers reading.
pub const MIN_POOL_BUFFERS: usize = 8;

/// The largest `--max-memory` accepted: 64 GiB (larger is a typo).
pub const MAX_BUDGET: u64 = 64 << 30;

/// What the budget has to be divided for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Demand {
    /// The torrent's nominal piece length.
    pub piece_len: u64,
    /// `--max-peers`.
    pub max_peers: usize,
    /// Bytes the web seeds may hold at once (0 without web seeds).
    pub web_seed_bytes: u64,
}

/// The budget, divided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shares {
    /// Pieces in memory at once (partial, hashing and spare together).
    pub pieces: usize,
    /// Block pool buffers.
    pub pool_buffers: usize,
    /// Peer connections at once.
    pub max_peers: usize,
}

impl Shares {
    /// The bytes these shares may hold, by the costs above.
    pub fn bytes(&self, d: &Demand) -> u64 {
        (self.pieces as u64)
            .saturating_mul(d.piece_len)
            .saturating_add(self.pool_buffers as u64 * BLOCK_BYTES)
            .saturating_add(self.max_peers as u64 * PEER_BYTES)
            .saturating_add(d.web_seed_bytes)
    }
}

/// A budget below what one piece, one peer and the web seeds need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooSmall {
    pub budget: u64,
    /// The smallest budget that works for this torrent.
    pub least: u64,
    pub piece_len: u64,
}

impl fmt::Display for TooSmall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "--max-memory {} is too small for this torrent: one {} piece, one peer \
             and the buffers between them need {}; give at least --max-memory {}",
            crate::progress::format_bytes(self.budget),
            crate::progress::format_bytes(self.piece_len),
            crate::progress::format_bytes(self.least),
            // In KiB, rounded up, so the suggestion itself is accepted.
            format_args!("{}K", self.least.div_ceil(1024)),
        )
    }
}

impl std::error::Error for TooSmall {}

/// Divides `budget` bytes (see the module doc), or says it is too small.
pub fn divide(budget: u64, d: &Demand) -> Result<Shares, TooSmall> {
    let least = Shares {
        pieces: 1,
        pool_buffers: MIN_POOL_BUFFERS,
        max_peers: 1,
    };
    let least_bytes = least.bytes(d);
    if budget < least_bytes {
        return Err(TooSmall {
            budget,
            least: least_bytes,
            piece_len: d.piece_len,
        });
    }
    let peers = (budget / 4 / PEER_BYTES).clamp(1, d.max_peers.max(1) as u64);
    let pool = (budget / 8 / BLOCK_BYTES).clamp(MIN_POOL_BUFFERS as u64, POOL_BUFFERS as u64);
    let mut shares = Shares {
        pieces: 1,
        pool_buffers: pool as usize,
        max_peers: peers as usize,
    };
    // If the quarter and the eighth leave too little for one piece, peers
    // and blocks give way, the larger of the two first, so they shrink
    // together (at most 1,000 + 128 steps; the least fits, checked above).
    while shares.bytes(d) > budget {
        let peer_bytes = shares.max_peers as u64 * PEER_BYTES;
        let pool_bytes = shares.pool_buffers as u64 * BLOCK_BYTES;
        let peers_can = shares.max_peers > 1;
        let pool_can = shares.pool_buffers > MIN_POOL_BUFFERS;
        if peers_can && (peer_bytes >= pool_bytes || !pool_can) {
            shares.max_peers -= 1;
        } else if pool_can {
            shares.pool_buffers -= 1;
        } else {
            break;
        }
    }
    let left = budget.saturating_sub(shares.bytes(d));
    let more = left / d.piece_len.max(1);
    shares.pieces = shares
        .pieces
        .saturating_add(usize::try_from(more).unwrap_or(usize::MAX));
    Ok(shares)
}

#[cfg(test)]
mod tests;
