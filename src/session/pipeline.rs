//! How many requests each peer keeps in flight: its pipeline.
//!
//! A new peer starts at [`MIN_PIPELINE`] and grows like TCP's slow start
//! (one more request per block received, so it doubles every round
//! trip). Once a second each peer's pipeline is set to about one second's
//! worth of its measured rate ([`one_second`]), between [`MIN_PIPELINE`]
//! and [`MAX_PIPELINE`].
//!
//! *Fast* peers, those whose pipeline has reached [`FAST_FLOOR`], share
//! [`FAST_SHARE`] requests between them, each at least [`FAST_FLOOR`]
//! ([`fast_share`], applied every tick). One fast peer gets
//! [`MAX_PIPELINE`]: on loopback one bitsy seeder needs all 256 requests
//! (4 MiB) to keep its socket full. Several fast peers together need not
//! much more than one does: the download is then limited by this
//! machine's CPU, not by the peers, and every request beyond that is a
//! block that arrives while the download is behind (before pieces were
//! hashed on the way in, a piece waiting in memory for a hasher thread).
//! With `make bench`'s two real seeders, 256 each peaked at 16.0 MiB, a
//! share of 384 (192 each) at 15.2 MiB at about the same speed, both
//! measured before hashing on the way in; DESIGN.md, "Speed and memory",
//! has the measurements and the ways that did not help.
//!
//! The floor keeps each of many fast peers at 1 MiB in flight, which a
//! far peer (a long round trip) needs.
//!
//! Slow peers are untouched: 200 seeders at 30 blocks a second each keep
//! their second's worth, which is what keeps them all busy.
//!
//! What it deliberately does not do: count requests (the picker does) or
//! apply `reqq` and snubbing (`Peer::request_target` does).

use super::Session;
use crate::geometry::BLOCK_LEN;

/// Requests kept in flight to a new peer, before its rate is known.
pub const MIN_PIPELINE: usize = 5;

/// The most requests in flight to one peer: 4 MiB, a second's worth at
/// 4 MiB/s, and what one fast peer on loopback needs.
pub const MAX_PIPELINE: usize = 256;

/// Requests shared by all fast peers together (see the module's text):
/// 6 MiB, so two fast peers get 192 each.
pub const FAST_SHARE: usize = 384;

/// A pipeline this long makes its peer a fast one, and a fast peer's
/// share is never below it: 1 MiB.
pub const FAST_FLOOR: usize = 64;

/// About one second's worth of requests at `rate` bytes a second, within
/// [`MIN_PIPELINE`]..=[`MAX_PIPELINE`].
pub fn one_second(rate: f64) -> usize {
    let blocks = (rate / f64::from(BLOCK_LEN)).ceil();
    if blocks.is_nan() || blocks < 0.0 {
        return MIN_PIPELINE;
    }
    // `as` saturates a float that does not fit.
    (blocks as usize).clamp(MIN_PIPELINE, MAX_PIPELINE)
}

/// The most any pipeline may hold, given every peer's pipeline:
/// [`FAST_SHARE`] divided among the fast peers, at least [`FAST_FLOOR`];
/// never more than [`MAX_PIPELINE`].
pub fn fast_share(pipelines: impl IntoIterator<Item = usize>) -> usize {
    let fast = pipelines.into_iter().filter(|&n| n >= FAST_FLOOR).count();
    (FAST_SHARE / fast.max(1)).clamp(FAST_FLOOR, MAX_PIPELINE)
}

impl Session<'_> {
    /// Every tick: the fast peers' share becomes the cap, and longer
    /// pipelines are cut to it (their extra requests are answered, not
    /// cancelled; no new ones go out until they are under it).
    pub(super) fn share_pipelines(&mut self) {
        let cap = fast_share(self.peers.values().map(|p| p.pipeline));
        self.pipeline_cap = cap;
        for p in self.peers.values_mut() {
            p.pipeline = p.pipeline.min(cap);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_second_of_rate_in_blocks() {
        // (bytes a second, requests)
        let table = [
            (0.0, MIN_PIPELINE),
            (f64::NAN, MIN_PIPELINE),
            (-1.0, MIN_PIPELINE),
            (16_384.0 * 40.0, 40),
            (16_384.0 * 40.0 + 1.0, 41),
            (1e9, MAX_PIPELINE),
            (f64::INFINITY, MAX_PIPELINE),
        ];
        for (rate, want) in table {
            assert_eq!(one_second(rate), want, "{rate}");
        }
    }

    #[test]
    fn fast_peers_share_and_slow_ones_do_not_count() {
        // (every peer's pipeline, the cap)
        let table: [(&[usize], usize); 9] = [
            (&[], MAX_PIPELINE),
            (&[5, 40, 63], MAX_PIPELINE),
            (&[256], 256),
            (&[64, 5], 256),
            (&[256, 64], 192),
            (&[256, 30, 128, 5], 192),
            (&[256; 3], 128),
            (&[256; 5], 76),
            (&[64; 10], FAST_FLOOR),
        ];
        for (pipelines, want) in table {
            assert_eq!(fast_share(pipelines.iter().copied()), want, "{pipelines:?}");
        }
    }
}
