//! A rate limit: a token bucket of bytes, and the split of its tokens
//! among the connections that want them.
//!
//! The bucket fills at `rate` bytes a second, up to [`BURST`] worth of
//! them (a block at least), and starts empty: from its creation, at most `rate × t` bytes
//! (plus one unit of work, see below) are ever let through, so a 10 s
//! window is within a few percent of the limit and no start-up burst
//! breaks it.
//!
//! Taking may overdraw it: a 16 KiB block or a whole piece for a web seed
//! is let through while *any* token is left, and the debt is paid from
//! what comes next. Callers ask [`TokenBucket::available`] before they
//! start something and [`TokenBucket::take`] what it cost, or what it
//! did cost once they learn it: the sum over time is what counts.
//!
//! No clock is read here: every call takes `now`, so tests drive a fake
//! clock without sleeping. The session owns one bucket per direction
//! (`session/rate_limit.rs`); nothing here is shared between threads.
//!
//! What it deliberately does not do: know about peers or blocks, or
//! sleep.

use std::num::NonZeroU64;
use std::time::{Duration, Instant};

/// How long the bucket keeps unused tokens: after a pause, the first
/// burst carries at most half a second of the rate. Less would waste
/// tokens between two of the session's ticks (every 250 ms), more would
/// let one burst skew a 10 s measurement by over 5 %.
pub const BURST: Duration = Duration::from_millis(500);

/// The fewest tokens the bucket holds, whatever the rate: one block
/// (16 KiB). Below 32 KiB/s half a second is less than a block, and a
/// bucket of a few bytes, split among several peers, would give each a
/// share of 0 bytes for ever.
pub const MIN_DEPTH: u64 = 16 * 1024;

/// The most bytes a second a limit may be: 1 TiB/s, far beyond any
/// link, and small enough that no arithmetic here can overflow.
pub const MAX_RATE: u64 = 1 << 40;

/// Bytes a second, filled lazily from the time of the last call.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: u64,
    /// Tokens now; negative while a debt is being paid.
    tokens: i64,
    /// When `tokens` was last brought up to date.
    at: Instant,
}

impl TokenBucket {
    /// An empty bucket filling at `rate` bytes a second (at most
    /// [`MAX_RATE`]) from `now`.
    pub fn new(rate: NonZeroU64, now: Instant) -> Self {
        TokenBucket {
            rate: rate.get().min(MAX_RATE),
            tokens: 0,
            at: now,
        }
    }

    /// The limit, in bytes a second.
    pub fn rate(&self) -> u64 {
        self.rate
    }

    /// The most tokens the bucket holds: [`BURST`] of the rate, and at
    /// least [`MIN_DEPTH`].
    pub fn depth(&self) -> u64 {
        ((u128::from(self.rate) * BURST.as_millis() / 1000) as u64).max(MIN_DEPTH)
    }

    fn refill(&mut self, now: Instant) {
        let Some(elapsed) = now.checked_duration_since(self.at) else {
            return; // a `now` older than the last one adds nothing
        };
        // Whole bytes only; the remainder of the time is kept for later
        // so a bucket polled very often still fills at its rate.
        let earned = u128::from(self.rate) * elapsed.as_nanos() / 1_000_000_000;
        if earned == 0 {
            return;
        }
        let spent_nanos = earned * 1_000_000_000 / u128::from(self.rate);
        self.at += Duration::from_nanos(u64::try_from(spent_nanos).unwrap_or(u64::MAX));
        let depth = self.depth() as i64;
        let earned = i64::try_from(earned).unwrap_or(i64::MAX);
        self.tokens = self.tokens.saturating_add(earned).min(depth);
        if self.tokens == depth {
            self.at = now; // full: time while full earns nothing
        }
    }

    /// The tokens on hand at `now` (0 while in debt).
    pub fn available(&mut self, now: Instant) -> u64 {
        self.refill(now);
        u64::try_from(self.tokens).unwrap_or(0)
    }

    /// Spends `bytes`, into debt if need be.
    pub fn take(&mut self, bytes: u64) {
        let bytes = i64::try_from(bytes).unwrap_or(i64::MAX);
        self.tokens = self.tokens.saturating_sub(bytes);
    }
}

/// Splits `tokens` among connections in proportion to their `demand`
/// (what each used of its last share, plus `floor` so a connection that
/// just started, or was starved, still gets some). The shares never add
/// up to more than `tokens`.
pub fn split(tokens: u64, demand: &[u64], floor: u64) -> Vec<u64> {
    let weights: Vec<u128> = demand
        .iter()
        .map(|d| u128::from(d.saturating_add(floor)))
        .collect();
    let total: u128 = weights.iter().sum();
    if total == 0 {
        return vec![0; demand.len()];
    }
    weights
        .iter()
        .map(|w| (u128::from(tokens) * w / total) as u64)
        .collect()
}

#[cfg(test)]
mod tests;
