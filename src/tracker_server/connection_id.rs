//! BEP 15 connection ids: proof that a UDP client can receive at the
//! address it claims, so a spoofed announce cannot register a stranger.
//!
//! Design: no per-client table. An id is the first 8 bytes of
//! `SHA-1(key || client IP)`, where `key` is 16 random bytes (getrandom)
//! that change every [`ROTATION`]. The tracker keeps the current and the
//! previous key and accepts an id made with either, so an id stays valid
//! between 2 and 4 minutes after it was issued: at least the two minutes
//! BEP 15 asks trackers to honour, never more than twice that. To a client
//! the ids look random; nobody without the key can make one for another
//! address. Memory is constant however many clients connect.
//!
//! The id covers the IP only, not the port: a client may send its
//! announces from another socket than its connect.

use sha1_smol::Sha1;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// How often the key changes. An id is accepted for one to two periods
/// after it is issued, so 120 s gives BEP 15's "two minutes" at least.
pub const ROTATION: Duration = Duration::from_secs(120);

/// Issues and checks connection ids.
pub struct ConnectionIds {
    current: [u8; 16],
    previous: [u8; 16],
    /// When `current` was made.
    since: Instant,
    rotation: Duration,
}

impl ConnectionIds {
    /// Fresh keys. Fails only if the OS has no randomness to give.
    pub fn new(rotation: Duration, now: Instant) -> Result<Self, getrandom::Error> {
        let mut current = [0u8; 16];
        let mut previous = [0u8; 16];
        getrandom::fill(&mut current)?;
        getrandom::fill(&mut previous)?;
        Ok(ConnectionIds {
            current,
            previous,
            since: now,
            rotation,
        })
    }

    /// The id for a client at `ip`.
    pub fn issue(&mut self, ip: IpAddr, now: Instant) -> u64 {
        self.rotate_if_due(now);
        id_for(&self.current, ip)
    }

    /// Whether `id` was issued to `ip` under the current or previous key.
    pub fn check(&mut self, id: u64, ip: IpAddr, now: Instant) -> bool {
        self.rotate_if_due(now);
        id == id_for(&self.current, ip) || id == id_for(&self.previous, ip)
    }

    fn rotate_if_due(&mut self, now: Instant) {
        let age = now.saturating_duration_since(self.since);
        if age < self.rotation {
            return;
        }
        // Keys change on a fixed schedule (`since` advances by whole
        // periods), so a key lives exactly two periods. After two or more
        // periods of silence both keys are stale.
        if age >= self.rotation.saturating_mul(2) {
            self.previous = self.fresh_key();
            self.since = now;
        } else {
            self.previous = self.current;
            self.since += self.rotation;
        }
        self.current = self.fresh_key();
    }

    /// 16 random bytes; if the OS cannot give any, a key derived from the
    /// secret current one (unpredictable to clients all the same).
    fn fresh_key(&self) -> [u8; 16] {
        let mut key = [0u8; 16];
        if getrandom::fill(&mut key).is_err() {
            let mut h = Sha1::new();
            h.update(&self.current);
            h.update(&self.previous);
            let digest = h.digest().bytes();
            key.copy_from_slice(digest.get(..16).unwrap_or(&[0; 16]));
        }
        key
    }
}

fn id_for(key: &[u8; 16], ip: IpAddr) -> u64 {
    let octets = match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    };
    let mut h = Sha1::new();
    h.update(key);
    h.update(&octets);
    let digest = h.digest().bytes();
    let mut first = [0u8; 8];
    first.copy_from_slice(digest.get(..8).unwrap_or(&[0; 8]));
    u64::from_be_bytes(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2));

    #[test]
    fn ids_are_bound_to_the_address() {
        let t0 = Instant::now();
        let mut ids = ConnectionIds::new(ROTATION, t0).unwrap();
        let id = ids.issue(A, t0);
        assert!(ids.check(id, A, t0));
        assert!(!ids.check(id, B, t0));
        assert!(!ids.check(id ^ 1, A, t0));
        // A dual-stack socket sees the same client as ::ffff:127.0.0.1.
        assert!(ids.check(id, "::ffff:127.0.0.1".parse().unwrap(), t0));
    }

    #[test]
    fn ids_live_one_to_two_rotations() {
        let t0 = Instant::now();
        let mut ids = ConnectionIds::new(ROTATION, t0).unwrap();
        let id = ids.issue(A, t0);
        let just_under_two = t0 + ROTATION * 2 - Duration::from_secs(1);
        // Rotated once (a little late): the id is under the previous key.
        assert!(ids.check(id, A, t0 + ROTATION + Duration::from_secs(30)));
        assert!(ids.check(id, A, just_under_two));
        assert!(!ids.check(id, A, t0 + ROTATION * 2)); // rotated twice: gone
    }

    #[test]
    fn long_silence_expires_everything() {
        let t0 = Instant::now();
        let mut ids = ConnectionIds::new(ROTATION, t0).unwrap();
        let id = ids.issue(A, t0);
        assert!(!ids.check(id, A, t0 + ROTATION * 5));
    }
}
