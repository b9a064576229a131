//! Our peer id and tracker `key`: who we say we are.
//!
//! The peer id is Azureus-style (the convention most clients follow, so
//! trackers and peers can show "bitsy 0.1.0"):
//!
//! ```text
//!   - B S 0 1 0 0 -  r r r r r r r r r r r r
//!   └── 8 bytes ──┘  └──── 12 random bytes ───┘
//! ```
//!
//! The `key` is a random 32-bit number sent with every announce; it lets a
//! tracker recognise us when our IP address changes.
//!
//! Both come from the operating system's random source. If that fails
//! (it practically never does) we fall back to bytes mixed from the clock
//! and the process id: a peer id needs to be unlikely to collide, not
//! secret, so that is good enough and better than refusing to start.
//! This module does not persist ids across runs.

use crate::channels::PeerId;
use std::time::{SystemTime, UNIX_EPOCH};

/// The fixed prefix: client code `BS` (bitsy), version 0.1.0.0.
pub const PREFIX: &[u8; 8] = b"-BS0100-";

/// A fresh peer id: [`PREFIX`] followed by 12 random bytes.
pub fn generate() -> PeerId {
    let mut id = [0u8; 20];
    let (prefix, random) = id.split_at_mut(PREFIX.len());
    prefix.copy_from_slice(PREFIX);
    fill_random(random);
    id
}

/// A fresh random `key` for announces (BEP 3 lists it as optional; trackers
/// use it to tell us apart from other clients behind the same address).
pub fn generate_key() -> u32 {
    let mut bytes = [0u8; 4];
    fill_random(&mut bytes);
    u32::from_be_bytes(bytes)
}

/// Fills `buf` from the OS random source, or from the fallback mix.
pub(crate) fn fill_random(buf: &mut [u8]) {
    if getrandom::fill(buf).is_ok() {
        return;
    }
    // Fallback: a splitmix64 stream seeded from time and pid. Not secret,
    // just unlikely to repeat between two processes.
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut state = nanos ^ (u64::from(std::process::id()) << 32);
    for chunk in buf.chunks_mut(8) {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        let bytes = z.to_le_bytes();
        chunk.copy_from_slice(&bytes[..chunk.len()]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_with_prefix_and_is_20_bytes() {
        let id = generate();
        assert_eq!(&id[..8], b"-BS0100-");
        assert_eq!(id.len(), 20);
    }

    #[test]
    fn two_ids_differ() {
        // 96 random bits: a collision here means the random source is broken.
        assert_ne!(generate(), generate());
    }

    #[test]
    fn keys_differ() {
        // 1 in 2^32 chance of a false failure per pair; three tries.
        let keys = [generate_key(), generate_key(), generate_key()];
        assert!(keys[0] != keys[1] || keys[1] != keys[2]);
    }
}
