//! A small random number generator for tie-breaks: which of several
//! equally rare pieces to pick, which peer gets the optimistic unchoke.
//!
//! xorshift64, seeded once from the OS (getrandom). It is fast and needs
//! no state beyond one `u64`; it is not for anything secret (peer ids and
//! tracker keys take their bytes from getrandom directly).

#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded by the OS. If the OS has no randomness to give,
    /// a fixed seed is used: tie-breaks become predictable, nothing worse.
    pub fn from_os() -> Self {
        let mut seed = [0u8; 8];
        let _ = getrandom::fill(&mut seed);
        Rng::from_seed(u64::from_le_bytes(seed))
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

    /// A number in `0..n` (`n > 0`; 0 when `n == 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn stays_in_range_and_varies() {
        let mut r = Rng::from_seed(0);
        let draws: Vec<u64> = (0..100).map(|_| r.below(7)).collect();
        assert!(draws.iter().all(|&d| d < 7));
        assert!((0..7).all(|v| draws.contains(&v)), "every value comes up");
        assert_eq!(r.below(0), 0);
    }
}
