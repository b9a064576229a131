//! The identities every layer uses: which torrent, which peer, which
//! connection. Read first; this module imports nothing of bitsy's but
//! `rng`.
//!
//! - [`InfoHash`]: the SHA-1 of a torrent's raw `info` dictionary (BEP 3).
//!   It names the torrent in the handshake, in announces and in the
//!   tracker's swarms. `metainfo` computes it; nothing else does.
//! - [`PeerId`]: the 20 bytes a peer says it is (BEP 3), ours or another's.
//!   Ours is Azureus-style so trackers and peers can show "bitsy 0.1.0":
//!
//! ```text
//!   - B S 0 1 0 0 -  r r r r r r r r r r r r
//!   └── 8 bytes ──┘  └──── 12 random bytes ───┘
//! ```
//!
//! - [`ConnId`]: the main thread's name for one peer connection, for its
//!   whole life; never reused within a process. Two connections to one
//!   address (say, an old one closing as a new one opens) never mix.
//!
//! Deliberately not here: the BEP 15 UDP connection id, which belongs to
//! the UDP tracker protocol (`tracker_server::connection_id`), and any
//! parsing: the bytes of a handshake or a tracker reply are checked where
//! they arrive.

use crate::rng;
use std::fmt;

/// A 20-byte SHA-1 of the raw `info` dictionary.
pub type InfoHash = [u8; 20];

/// A 20-byte peer id (BEP 3), ours or a remote peer's.
pub type PeerId = [u8; 20];

/// Names one connection for its whole life. Never reused within a process.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Our peer id's fixed prefix: client code `BS` (bitsy), version 0.1.0.0.
pub const PEER_ID_PREFIX: &[u8; 8] = b"-BS0100-";

/// A fresh peer id for this run: [`PEER_ID_PREFIX`] then 12 random bytes.
/// Not persisted: every run is a new peer to the swarm.
pub fn new_peer_id() -> PeerId {
    let mut id = [0u8; 20];
    let (prefix, random) = id.split_at_mut(PEER_ID_PREFIX.len());
    prefix.copy_from_slice(PEER_ID_PREFIX);
    rng::fill(random);
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_id_is_prefix_then_random() {
        let (a, b) = (new_peer_id(), new_peer_id());
        assert_eq!(&a[..8], b"-BS0100-");
        assert_eq!(&b[..8], b"-BS0100-");
        // 96 random bits: equal tails mean the random source is broken.
        assert_ne!(a[8..], b[8..]);
    }

    #[test]
    fn conn_id_shows_as_a_number() {
        assert_eq!(ConnId(7).to_string(), "#7");
    }
}
