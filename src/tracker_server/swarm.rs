//! Swarm state: which peers announced which torrent, and when.
//!
//! Invariants:
//! - A peer is keyed by its address (ip, port) within one torrent: that is
//!   what other peers connect to, so two announces from one address are one
//!   peer, whatever their peer ids say.
//! - Every peer in the map announced within the last `peer_ttl` (2 × the
//!   announce interval), or is about to be purged: answers skip expired
//!   peers even before the purge removes them.
//! - At most `max_torrents` torrents and `max_peers` peers per torrent. A
//!   new torrent or a new peer over the cap is refused (the front-ends turn
//!   that into a failure reason); known peers can always re-announce.
//! - A torrent with no peers left is removed by the purge, with its
//!   `downloaded` count: state is bounded, history is not kept. The purge
//!   runs once per `peer_ttl`, and also (at most once a second) before a
//!   new torrent would be refused, so stale torrents do not keep live ones
//!   out for long.
//!
//! This type is plain data with no lock and no clock of its own: callers
//! pass `now`, which keeps expiry testable. The server wraps one instance
//! in a `Mutex` (see `mod.rs` for why).

use super::announce_params::{Announce, Event};
use crate::ids::{InfoHash, PeerId};
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// A peer as an answer lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerInfo {
    pub addr: SocketAddr,
    pub peer_id: PeerId,
}

/// Seeders, leechers and completed downloads of one torrent.
#[derive(Debug, Default, Copy, Clone, PartialEq, Eq)]
pub struct SwarmCounts {
    /// Peers with `left == 0`.
    pub complete: u32,
    /// Peers still downloading.
    pub incomplete: u32,
    /// `event=completed` announces seen since the torrent appeared.
    pub downloaded: u32,
}

/// What an announce gets back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnounceOutcome {
    /// Other live peers, at most `numwant`, never the announcing peer.
    pub peers: Vec<PeerInfo>,
    pub counts: SwarmCounts,
}

/// Why an announce was refused.
#[derive(Debug, Copy, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The tracker holds `max_torrents` torrents already.
    TooManyTorrents,
    /// This torrent has `max_peers` peers already.
    TooManyPeers,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::TooManyTorrents => write!(f, "tracker is full: too many torrents"),
            Refusal::TooManyPeers => write!(f, "swarm is full: too many peers"),
        }
    }
}

/// When the torrent cap is reached, a purge may run this often to make
/// room. A purge walks every peer (up to ~500,000 with the default caps,
/// a few milliseconds); once a second keeps a flood of new infohashes from
/// turning into a purge per packet.
const PURGE_WHEN_FULL_EVERY: Duration = Duration::from_secs(1);

#[derive(Debug)]
struct PeerEntry {
    peer_id: PeerId,
    seeder: bool,
    last_seen: Instant,
}

#[derive(Debug, Default)]
struct Torrent {
    peers: HashMap<SocketAddr, PeerEntry>,
    downloaded: u32,
}

/// Every torrent the tracker knows.
#[derive(Debug)]
pub struct Swarms {
    torrents: HashMap<InfoHash, Torrent>,
    max_torrents: usize,
    max_peers: usize,
    peer_ttl: Duration,
    last_purge: Instant,
    /// Rotates where the peer list starts, so that a swarm bigger than
    /// `numwant` does not hand every peer the same subset.
    rotation: usize,
}

impl Swarms {
    /// Empty state. Peers expire `peer_ttl` after their last announce; a
    /// full purge runs at most once per `peer_ttl`.
    pub fn new(max_torrents: usize, max_peers: usize, peer_ttl: Duration, now: Instant) -> Self {
        Swarms {
            torrents: HashMap::new(),
            max_torrents,
            max_peers,
            peer_ttl,
            last_purge: now,
            rotation: 0,
        }
    }

    /// Records an announce and picks peers for the answer.
    pub fn announce(&mut self, a: &Announce, now: Instant) -> Result<AnnounceOutcome, Refusal> {
        self.purge_if_due(now);
        if a.event == Event::Stopped {
            let counts = match self.torrents.get_mut(&a.info_hash) {
                Some(t) => {
                    t.peers.remove(&a.peer);
                    t.counts(now, self.peer_ttl)
                }
                None => SwarmCounts::default(),
            };
            return Ok(AnnounceOutcome {
                peers: Vec::new(),
                counts,
            });
        }
        let full = self.torrents.len() >= self.max_torrents;
        if full && !self.torrents.contains_key(&a.info_hash) {
            // Torrents whose peers all left or expired make room first,
            // but a flood of new infohashes must not buy a purge each.
            if now.saturating_duration_since(self.last_purge) >= PURGE_WHEN_FULL_EVERY {
                self.purge(now);
            }
        }
        let torrents_len = self.torrents.len();
        let torrent = match self.torrents.entry(a.info_hash) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(_) if torrents_len >= self.max_torrents => {
                return Err(Refusal::TooManyTorrents);
            }
            Entry::Vacant(e) => e.insert(Torrent::default()),
        };
        let known = torrent.peers.contains_key(&a.peer);
        if !known && torrent.peers.len() >= self.max_peers {
            // Expired peers make room before we refuse.
            let ttl = self.peer_ttl;
            torrent.peers.retain(|_, p| is_live(p, now, ttl));
            if torrent.peers.len() >= self.max_peers {
                return Err(Refusal::TooManyPeers);
            }
        }
        if a.event == Event::Completed {
            torrent.downloaded = torrent.downloaded.saturating_add(1);
        }
        torrent.peers.insert(
            a.peer,
            PeerEntry {
                peer_id: a.peer_id,
                seeder: a.left == 0,
                last_seen: now,
            },
        );
        self.rotation = self.rotation.wrapping_add(1);
        let peers = torrent.pick(a, self.rotation, now, self.peer_ttl);
        Ok(AnnounceOutcome {
            peers,
            counts: torrent.counts(now, self.peer_ttl),
        })
    }

    /// Counts for one torrent (zeros if unknown).
    pub fn scrape(&mut self, info_hash: &InfoHash, now: Instant) -> SwarmCounts {
        self.purge_if_due(now);
        self.torrents
            .get(info_hash)
            .map(|t| t.counts(now, self.peer_ttl))
            .unwrap_or_default()
    }

    /// Up to `limit` known infohashes (for a scrape that names none).
    pub fn some_info_hashes(&self, limit: usize) -> Vec<InfoHash> {
        self.torrents.keys().take(limit).copied().collect()
    }

    /// Drops expired peers and empty torrents. Cost: one pass over every
    /// peer, so [`Swarms::announce`] calls it at most once per `peer_ttl`.
    pub fn purge(&mut self, now: Instant) {
        let ttl = self.peer_ttl;
        for t in self.torrents.values_mut() {
            t.peers.retain(|_, p| is_live(p, now, ttl));
        }
        self.torrents.retain(|_, t| !t.peers.is_empty());
        self.last_purge = now;
    }

    fn purge_if_due(&mut self, now: Instant) {
        if now.saturating_duration_since(self.last_purge) >= self.peer_ttl {
            self.purge(now);
        }
    }

    /// Number of torrents held (including ones awaiting purge).
    #[cfg(test)]
    pub fn torrent_count(&self) -> usize {
        self.torrents.len()
    }
}

fn is_live(p: &PeerEntry, now: Instant, ttl: Duration) -> bool {
    now.saturating_duration_since(p.last_seen) < ttl
}

impl Torrent {
    fn counts(&self, now: Instant, ttl: Duration) -> SwarmCounts {
        let (mut complete, mut incomplete) = (0u32, 0u32);
        for p in self.peers.values().filter(|p| is_live(p, now, ttl)) {
            if p.seeder {
                complete = complete.saturating_add(1);
            } else {
                incomplete = incomplete.saturating_add(1);
            }
        }
        SwarmCounts {
            complete,
            incomplete,
            downloaded: self.downloaded,
        }
    }

    /// Up to `a.numwant` live peers other than the announcer, starting at a
    /// rotating offset. A seeder is not sent other seeders: neither needs
    /// the other.
    fn pick(&self, a: &Announce, rotation: usize, now: Instant, ttl: Duration) -> Vec<PeerInfo> {
        let seeder = a.left == 0;
        let wanted = |(addr, p): &(&SocketAddr, &PeerEntry)| {
            **addr != a.peer
                && p.peer_id != a.peer_id
                && is_live(p, now, ttl)
                && !(seeder && p.seeder)
        };
        let skip = rotation % self.peers.len().max(1);
        self.peers
            .iter()
            .cycle()
            .skip(skip)
            .take(self.peers.len())
            .filter(wanted)
            .take(a.numwant)
            .map(|(addr, p)| PeerInfo {
                addr: *addr,
                peer_id: p.peer_id,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
