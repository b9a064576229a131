//! Announced peers (BEP 5, `announce_peer`): what this node, as a good
//! citizen of the DHT, remembers for others and returns in `values`.
//!
//! A node that announces with a valid token is stored under the
//! infohash with the time; it expires after [`PEER_TTL`] unless it
//! announces again (clients re-announce every 15-30 minutes).
//!
//! Invariants, so an announce flood cannot grow memory: at most
//! [`MAX_TORRENTS`] infohashes and [`MAX_PEERS`] peers each (about 16,000
//! entries, under 0.5 MiB). A full torrent replaces its oldest peer; a
//! new infohash when all slots are taken is refused (after expired ones
//! are cleared). A `get_peers` answer carries at most [`ANSWER_MAX`].
//!
//! What it deliberately does not do: check tokens (`token.rs`, before
//! calling [`PeerStore::announce`]), or rate-limit senders (`server.rs`).

use super::node_id::NodeId;
use std::collections::HashMap;
use std::net::SocketAddrV4;
use std::time::{Duration, Instant};

/// How long an announced peer is kept.
pub const PEER_TTL: Duration = Duration::from_secs(30 * 60);
/// Most infohashes stored.
pub const MAX_TORRENTS: usize = 256;
/// Most peers stored per infohash.
pub const MAX_PEERS: usize = 64;
/// Most peers in one `get_peers` answer: 50 x 8 bytes of `values` keeps
/// the datagram well under 1,500 bytes.
pub const ANSWER_MAX: usize = 50;

#[derive(Debug, Default)]
pub struct PeerStore {
    torrents: HashMap<NodeId, Vec<(SocketAddrV4, Instant)>>,
}

impl PeerStore {
    /// Stores (or refreshes) `peer` under `info_hash`. False if refused:
    /// a new infohash while [`MAX_TORRENTS`] are stored.
    pub fn announce(&mut self, info_hash: NodeId, peer: SocketAddrV4, now: Instant) -> bool {
        if !self.torrents.contains_key(&info_hash) && self.torrents.len() >= MAX_TORRENTS {
            self.expire(now);
            if self.torrents.len() >= MAX_TORRENTS {
                return false;
            }
        }
        let peers = self.torrents.entry(info_hash).or_default();
        if let Some(entry) = peers.iter_mut().find(|(a, _)| *a == peer) {
            entry.1 = now;
        } else if peers.len() < MAX_PEERS {
            peers.push((peer, now));
        } else if let Some(oldest) = peers.iter_mut().min_by_key(|(_, t)| *t) {
            *oldest = (peer, now);
        }
        true
    }

    /// Up to [`ANSWER_MAX`] live peers of `info_hash`, most recent first.
    pub fn peers(&self, info_hash: &NodeId, now: Instant) -> Vec<SocketAddrV4> {
        let Some(peers) = self.torrents.get(info_hash) else {
            return Vec::new();
        };
        let mut live: Vec<&(SocketAddrV4, Instant)> =
            peers.iter().filter(|(_, t)| alive(*t, now)).collect();
        live.sort_by_key(|(_, t)| std::cmp::Reverse(*t));
        live.into_iter().take(ANSWER_MAX).map(|(a, _)| *a).collect()
    }

    /// Drops expired peers, and infohashes left with none.
    pub fn expire(&mut self, now: Instant) {
        self.torrents.retain(|_, peers| {
            peers.retain(|(_, t)| alive(*t, now));
            !peers.is_empty()
        });
    }

    /// Peers stored, over all infohashes.
    pub fn len(&self) -> usize {
        self.torrents.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.torrents.is_empty()
    }
}

fn alive(stored: Instant, now: Instant) -> bool {
    now.saturating_duration_since(stored) < PEER_TTL
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn peer(n: u32) -> SocketAddrV4 {
        SocketAddrV4::new(Ipv4Addr::from(0x7f00_0000 + n), 6881)
    }

    fn hash(n: u16) -> NodeId {
        let mut id = [0; 20];
        id[..2].copy_from_slice(&n.to_be_bytes());
        NodeId(id)
    }

    #[test]
    fn announced_peers_come_back_newest_first_until_they_expire() {
        let start = Instant::now();
        let mut s = PeerStore::default();
        let later = start + Duration::from_secs(60);
        assert!(s.announce(hash(1), peer(1), start));
        assert!(s.announce(hash(1), peer(2), later));
        assert_eq!(s.peers(&hash(1), later), [peer(2), peer(1)]);
        assert!(s.peers(&hash(2), later).is_empty());
        // Peer 1 re-announces: refreshed, not duplicated.
        assert!(s.announce(hash(1), peer(1), later + Duration::from_secs(1)));
        assert_eq!(s.len(), 2);
        // Peer 2 expires first.
        let end = later + PEER_TTL;
        assert_eq!(s.peers(&hash(1), end), [peer(1)]);
        s.expire(end + PEER_TTL);
        assert!(s.is_empty());
    }

    #[test]
    fn a_flood_of_announces_stays_bounded() {
        let now = Instant::now();
        let mut s = PeerStore::default();
        for n in 0..5000u32 {
            s.announce(hash(0), peer(n), now + Duration::from_millis(n.into()));
        }
        assert_eq!(s.len(), MAX_PEERS);
        // The newest replaced the oldest.
        assert!(s.peers(&hash(0), now).contains(&peer(4999)));
        assert_eq!(s.peers(&hash(0), now).len(), ANSWER_MAX);
        for n in 1..1000u16 {
            s.announce(hash(n), peer(1), now);
        }
        assert_eq!(s.torrents.len(), MAX_TORRENTS);
        assert!(
            !s.announce(hash(5000), peer(1), now),
            "no room for a new infohash"
        );
        // Once the others expire there is.
        assert!(s.announce(
            hash(5000),
            peer(1),
            now + PEER_TTL + Duration::from_secs(10)
        ));
        assert_eq!(s.torrents.len(), 1);
    }
}
