//! A transfer rate: bytes per second, smoothed.
//!
//! Bytes are added as they move; once a second the session calls
//! [`Rate::tick`], which folds the second's count into an exponentially
//! weighted average. The weight (1/3 new, 2/3 old) follows a change within
//! a few seconds without jumping on every burst. No clock is read here,
//! so it is deterministic in tests.

#[derive(Debug, Default, Clone, Copy)]
pub struct Rate {
    this_second: u64,
    per_second: f64,
    /// Every byte ever added.
    total: u64,
}

impl Rate {
    pub fn add(&mut self, bytes: u64) {
        self.this_second = self.this_second.saturating_add(bytes);
        self.total = self.total.saturating_add(bytes);
    }

    /// Every byte added since the start: a change means bytes moved
    /// (the stall watch's clue, `session/stall.rs`).
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Ends a one-second period.
    pub fn tick(&mut self) {
        let now = self.this_second as f64;
        self.per_second = if self.per_second == 0.0 {
            now
        } else {
            (2.0 * self.per_second + now) / 3.0
        };
        self.this_second = 0;
    }

    /// Smoothed bytes per second.
    pub fn get(&self) -> f64 {
        self.per_second
    }
}

#[cfg(test)]
mod tests {
    use super::Rate;

    #[test]
    fn follows_a_steady_rate() {
        let mut r = Rate::default();
        assert_eq!(r.get(), 0.0);
        r.add(300);
        r.tick();
        assert_eq!(r.get(), 300.0);
        for _ in 0..20 {
            r.add(600);
            r.tick();
        }
        assert!((r.get() - 600.0).abs() < 1.0);
        for _ in 0..20 {
            r.tick();
        }
        assert!(r.get() < 1.0);
        assert_eq!(r.total(), 300 + 20 * 600, "ticks do not reset the total");
    }
}
