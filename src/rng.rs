//! Randomness, from one source.
//!
//! Two kinds of use, two functions:
//! - [`fill`] and [`random_u64`]: bytes that must differ between
//!   processes and be hard to guess from outside: our peer id, the tracker
//!   `key`, the tracker server's UDP connection ids. They come from the
//!   OS (getrandom). If the OS has none to give (it practically never
//!   fails), a splitmix64 stream seeded from the clock and the process id
//!   is used: unlikely to repeat, not secret, and better than refusing to
//!   start.
//! - [`Rng`]: a fast xorshift64 generator for tie-breaks (which of several
//!   equally rare pieces to pick, which peer gets the optimistic unchoke,
//!   the order of a tracker tier) and for test data. Seeded once by
//!   [`fill`]; [`Rng::from_seed`] makes a replayable stream for tests.
//!
//! Nothing here is for cryptography: bitsy signs and encrypts nothing.

use std::time::{SystemTime, UNIX_EPOCH};

/// Fills `buf` from the OS random source, or from the fallback mix.
pub fn fill(buf: &mut [u8]) {
    if getrandom::fill(buf).is_ok() {
        return;
    }
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut state = nanos ^ (u64::from(std::process::id()) << 32);
    for chunk in buf.chunks_mut(8) {
        let bytes = splitmix64(&mut state).to_le_bytes();
        chunk.copy_from_slice(&bytes[..chunk.len()]);
    }
}

/// A random `u64` from [`fill`].
pub fn random_u64() -> u64 {
    let mut bytes = [0u8; 8];
    fill(&mut bytes);
    u64::from_le_bytes(bytes)
}

/// One step of splitmix64: a good 64-bit mix of a counter.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// xorshift64: fast, one `u64` of state, not for anything secret.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded by [`fill`].
    pub fn from_os() -> Self {
        Rng::from_seed(random_u64())
    }

    /// A generator with a chosen seed (for tests).
    pub fn from_seed(seed: u64) -> Self {
        // xorshift must not start at zero.
        Rng(seed | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number in `0..n` (`n > 0`; 0 when `n == 0`). The modulo bias
    /// over a 64-bit draw is below 2^-40 for any `n` bitsy uses.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// Fills `buf` with bytes of the stream.
    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }

    /// Shuffles `items` in place (Fisher-Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_in_range_and_varies() {
        let mut r = Rng::from_seed(0);
        let draws: Vec<u64> = (0..100).map(|_| r.below(7)).collect();
        assert!(draws.iter().all(|&d| d < 7));
        assert!((0..7).all(|v| draws.contains(&v)), "every value comes up");
        assert_eq!(r.below(0), 0);
    }

    #[test]
    fn same_seed_same_stream() {
        let (mut a, mut b) = (Rng::from_seed(42), Rng::from_seed(42));
        let (mut x, mut y) = ([0u8; 13], [0u8; 13]);
        a.fill(&mut x);
        b.fill(&mut y);
        assert_eq!(x, y);
        assert_ne!(x, [0u8; 13]);
    }

    #[test]
    fn shuffle_keeps_every_item() {
        let mut r = Rng::from_seed(9);
        let mut items: Vec<u32> = (0..50).collect();
        r.shuffle(&mut items);
        assert_ne!(
            items,
            (0..50).collect::<Vec<_>>(),
            "50! orders, one is sorted"
        );
        items.sort_unstable();
        assert_eq!(items, (0..50).collect::<Vec<_>>());
    }

    #[test]
    fn os_draws_differ() {
        // Two 64-bit draws are equal once in 2^64: equality means no randomness.
        assert_ne!(random_u64(), random_u64());
    }

    #[test]
    fn splitmix_vector() {
        // First output of splitmix64 seeded with 0 (the reference
        // implementation's published value).
        let mut s = 0;
        assert_eq!(splitmix64(&mut s), 0xE220_A839_7B1D_CDAF);
    }
}
