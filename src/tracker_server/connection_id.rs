//! BEP 15 connection ids: a client must connect (and so receive a packet
//! from us) before it may announce or scrape.
//!
//! Design: no per-client table. The tracker holds two random 64-bit ids
//! (`rng`), the current one and the previous one; every connect gets
//! the current one, and the pair rotates every [`ROTATION`] on a fixed
//! schedule. An id is therefore accepted for between one and two rotation
//! periods after it was issued (2 to 4 minutes: at least the two minutes
//! BEP 15 asks trackers to honour). Memory is constant however many
//! clients connect; an id we never issued, or one two rotations old, is
//! refused.
//!
//! Deliberately not bound to the client's address. Binding (a keyed hash
//! of the source IP) stops a client from spoofing announces for other
//! addresses, which matters on the open internet. On a LAN or CI box it
//! breaks a common set-up instead: libtorrent caches one connection id per
//! tracker address for the whole process, so several sessions in one
//! script, each bound to its own 127.0.0.N, send the id the first one got.
//! That was seen with python3-libtorrent 2.0.8: every session but the
//! first was refused until its cached id expired.

use crate::rng;
use std::time::{Duration, Instant};

/// How often the ids change. An id is accepted for one to two periods
/// after it is issued, so 120 s gives BEP 15's "two minutes" at least.
pub const ROTATION: Duration = Duration::from_secs(120);

/// Issues and checks connection ids.
pub struct ConnectionIds {
    current: u64,
    previous: u64,
    /// When the current period began.
    since: Instant,
    rotation: Duration,
}

impl ConnectionIds {
    /// Fresh ids.
    pub fn new(rotation: Duration, now: Instant) -> Self {
        ConnectionIds {
            current: rng::random_u64(),
            previous: rng::random_u64(),
            since: now,
            rotation,
        }
    }

    /// The id to hand a connecting client.
    pub fn issue(&mut self, now: Instant) -> u64 {
        self.rotate_if_due(now);
        self.current
    }

    /// Whether `id` is the current or the previous id.
    pub fn check(&mut self, id: u64, now: Instant) -> bool {
        self.rotate_if_due(now);
        id == self.current || id == self.previous
    }

    fn rotate_if_due(&mut self, now: Instant) {
        let age = now.saturating_duration_since(self.since);
        if age < self.rotation {
            return;
        }
        // `since` advances by whole periods, so an id lives at most two.
        // After two or more periods of silence both ids are stale.
        if age >= self.rotation.saturating_mul(2) {
            self.previous = rng::random_u64();
            self.since = now;
        } else {
            self.previous = self.current;
            self.since += self.rotation;
        }
        self.current = rng::random_u64();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_issued_ids_pass() {
        let t0 = Instant::now();
        let mut ids = ConnectionIds::new(ROTATION, t0);
        let id = ids.issue(t0);
        assert!(ids.check(id, t0));
        assert!(!ids.check(id ^ 1, t0));
        assert!(
            !ids.check(crate::tracker::udp_wire::PROTOCOL_ID, t0),
            "the protocol id is no connection id"
        );
    }

    #[test]
    fn ids_live_one_to_two_rotations() {
        let t0 = Instant::now();
        let mut ids = ConnectionIds::new(ROTATION, t0);
        let id = ids.issue(t0);
        // Rotated once (a little late): the id is now the previous one.
        assert!(ids.check(id, t0 + ROTATION + Duration::from_secs(30)));
        let fresh = ids.issue(t0 + ROTATION + Duration::from_secs(30));
        assert_ne!(fresh, id);
        assert!(ids.check(id, t0 + ROTATION * 2 - Duration::from_secs(1)));
        // Rotated twice on schedule: gone, while the newer id still passes.
        assert!(!ids.check(id, t0 + ROTATION * 2));
        assert!(ids.check(fresh, t0 + ROTATION * 2));
    }

    #[test]
    fn long_silence_expires_everything() {
        let t0 = Instant::now();
        let mut ids = ConnectionIds::new(ROTATION, t0);
        let id = ids.issue(t0);
        assert!(!ids.check(id, t0 + ROTATION * 5));
    }
}
