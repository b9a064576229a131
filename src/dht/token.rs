//! Write tokens (BEP 5, `get_peers` and `announce_peer`): proof that an
//! announcing node recently asked us from the address it announces.
//!
//! A `get_peers` answer carries a token; an `announce_peer` must bring
//! one back from the same IP address, or it is refused (error 203). BEP 5
//! leaves the form to each node and describes BitTorrent's: the SHA-1 of
//! the IP address and a secret that changes every five minutes, with
//! tokens accepted for ten. bitsy does the same, keeping the current and
//! the previous secret, and sends the first [`TOKEN_LEN`] bytes.
//!
//! ```text
//!  token = SHA-1(secret || ip)[..8]      ip: 4 bytes, network order
//! ```
//!
//! Invariants: the secrets come from the OS's random source and never
//! leave this module; a token for one address never checks for another
//! (short of a 64-bit collision).
//!
//! What it deliberately does not do: remember which tokens were handed
//! out (the secret makes that unnecessary, and memory stays constant).

use crate::hash::sha1;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

/// How often the secret changes; a token stays good for up to twice this.
pub const ROTATE_EVERY: Duration = Duration::from_secs(5 * 60);

/// Bytes of a token bitsy hands out.
pub const TOKEN_LEN: usize = 8;

const SECRET_LEN: usize = 16;

#[derive(Debug)]
pub struct Tokens {
    current: [u8; SECRET_LEN],
    previous: [u8; SECRET_LEN],
    rotated: Instant,
}

impl Tokens {
    pub fn new(now: Instant) -> Tokens {
        let mut t = Tokens {
            current: [0; SECRET_LEN],
            previous: [0; SECRET_LEN],
            rotated: now,
        };
        crate::rng::fill(&mut t.current);
        crate::rng::fill(&mut t.previous);
        t
    }

    /// Moves to a fresh secret once [`ROTATE_EVERY`] has passed (call on
    /// the DHT thread's tick).
    pub fn rotate_if_due(&mut self, now: Instant) {
        if now.saturating_duration_since(self.rotated) >= ROTATE_EVERY {
            self.previous = self.current;
            crate::rng::fill(&mut self.current);
            self.rotated = now;
        }
    }

    /// The token for a node at `ip`.
    pub fn issue(&self, ip: Ipv4Addr) -> Vec<u8> {
        token(&self.current, ip)
    }

    /// True if `token` was issued to `ip` under the current or the
    /// previous secret.
    pub fn check(&self, ip: Ipv4Addr, token: &[u8]) -> bool {
        token.len() == TOKEN_LEN
            && (self::token(&self.current, ip) == token || self::token(&self.previous, ip) == token)
    }
}

fn token(secret: &[u8; SECRET_LEN], ip: Ipv4Addr) -> Vec<u8> {
    let mut input = [0; SECRET_LEN + 4];
    input[..SECRET_LEN].copy_from_slice(secret);
    input[SECRET_LEN..].copy_from_slice(&ip.octets());
    sha1(&input)[..TOKEN_LEN].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);
    const B: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 3);

    #[test]
    fn a_token_is_good_for_its_address_for_one_rotation() {
        let start = Instant::now();
        let mut t = Tokens::new(start);
        let tok = t.issue(A);
        assert_eq!(tok.len(), TOKEN_LEN);
        assert!(t.check(A, &tok));
        assert!(!t.check(B, &tok), "another address");
        t.rotate_if_due(start + ROTATE_EVERY / 2);
        assert!(t.check(A, &tok), "no rotation yet");
        t.rotate_if_due(start + ROTATE_EVERY);
        assert!(t.check(A, &tok), "the previous secret still counts");
        assert_ne!(t.issue(A), tok, "new tokens use the new secret");
        t.rotate_if_due(start + ROTATE_EVERY * 2);
        assert!(!t.check(A, &tok), "two rotations later it is stale");
    }

    #[test]
    fn forged_tokens_are_refused() {
        let t = Tokens::new(Instant::now());
        let good = t.issue(A);
        let mut flipped = good.clone();
        flipped[0] ^= 1;
        for (what, tok) in [
            ("empty", Vec::new()),
            ("one bit off", flipped),
            ("too short", good[..TOKEN_LEN - 1].to_vec()),
            ("too long", [good.as_slice(), &[0]].concat()),
            ("zeros", vec![0; TOKEN_LEN]),
        ] {
            assert!(!t.check(A, &tok), "{what}");
        }
    }

    #[test]
    fn tokens_follow_the_formula() {
        // SHA-1(secret || ip)[..8], checked against sha1_smol.
        let t = Tokens::new(Instant::now());
        let mut input = t.current.to_vec();
        input.extend_from_slice(&[127, 0, 0, 2]);
        let want = sha1_smol::Sha1::from(&input).digest().bytes();
        assert_eq!(t.issue(A), want[..TOKEN_LEN]);
    }
}
