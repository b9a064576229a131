//! The DHT as a peer source (BEP 5): the session's side of the node.
//!
//! Part of `Session` (see `session/mod.rs`). The node itself runs on its
//! own thread (`dht::thread`); the session only decides when to look up
//! the torrent's infohash and what to do with what comes back:
//!
//! ```text
//!   tick ── lookup due? ── GetPeers { info_hash, announce: our TCP port } ──▶ dht thread
//!   select ◀── Finding::Peers (new addresses) ── candidates, like a tracker's
//!          ◀── Finding::Done ── next lookup in 5 s .. DHT_RETRY (short of peers)
//!                                             or DHT_REANNOUNCE (BEP 5's peers expire)
//!   peer event DhtPort(p) ── AddNode(peer ip : p) ──▶ dht thread (BEP 5 `port`)
//! ```
//!
//! Invariants: at most one lookup of ours runs at a time; the node is
//! never started for a private torrent (BEP 27: peers come from its
//! trackers alone), nor when the user said `--no-dht` (`dht::settings`).
//!
//! What it deliberately does not do: keep peers the DHT found apart from
//! the tracker's (a candidate is a candidate), or run a second node for
//! the metadata phase's leftovers: each phase starts its own node, which
//! reads the table the previous one saved.

use super::Session;
use super::peers::Origin;
use crate::dht::node_id::NodeId;
use crate::dht::thread::{Command, Dht, Finding};
use std::net::{IpAddr, SocketAddr, SocketAddrV4};
use std::time::{Duration, Instant};

/// When short of peers, look up again this soon after a lookup ends,
/// doubling after each that found nobody up to [`DHT_RETRY`]: a swarm
/// that is just starting (its seeder announcing seconds after us) is
/// found quickly, an empty one costs a lookup a minute.
pub const DHT_FIRST_RETRY: Duration = Duration::from_secs(5);
pub const DHT_RETRY: Duration = Duration::from_secs(60);

/// Otherwise this often: BEP 5 nodes forget an announced peer after 30
/// minutes, so ours is renewed well within that.
pub const DHT_REANNOUNCE: Duration = Duration::from_secs(15 * 60);

/// The session's handle on its node.
pub(super) struct DhtSource {
    pub(super) dht: Dht,
    /// A lookup of ours is running.
    running: bool,
    next_lookup: Instant,
    /// The wait after the next lookup that leaves us short of peers.
    retry: Duration,
    /// Peers it has found since the start (for the verbose log).
    found: usize,
}

impl DhtSource {
    pub(super) fn new(dht: Dht) -> DhtSource {
        DhtSource {
            dht,
            running: false,
            next_lookup: Instant::now(),
            retry: DHT_FIRST_RETRY,
            found: 0,
        }
    }

    /// Peers it has found since the start (for the stall doctor).
    pub(super) fn found(&self) -> usize {
        self.found
    }
}

impl Session<'_> {
    /// Starts a lookup (announcing our port at its end) when one is due.
    pub(super) fn dht_lookup_if_due(&mut self, now: Instant) {
        let info_hash = NodeId(self.meta.info_hash);
        let port = self.our_port;
        let Some(d) = &mut self.dht else { return };
        if d.running || now < d.next_lookup {
            return;
        }
        let ask = Command::GetPeers {
            info_hash,
            announce: Some(port),
        };
        d.running = d.dht.commands.try_send(ask).is_ok();
        d.next_lookup = now + DHT_RETRY;
    }

    pub(super) fn on_dht(&mut self, finding: Finding) {
        let ours = NodeId(self.meta.info_hash);
        match finding {
            Finding::Peers(h, peers) if h == ours => {
                if let Some(d) = &mut self.dht {
                    d.found += peers.len();
                }
                for p in peers {
                    let addr = SocketAddr::V4(p);
                    if !self.is_self(addr) {
                        self.candidates.add_from(addr, Origin::Dht);
                    }
                }
                self.connect_more(Instant::now());
            }
            Finding::Done { target, peers } if target == ours => {
                let short =
                    self.candidates.is_empty() && self.peers.len() < self.cfg.max_peers.min(10);
                let Some(d) = &mut self.dht else { return };
                let wait = if short { d.retry } else { DHT_REANNOUNCE };
                d.retry = match peers {
                    0 => (d.retry * 2).min(DHT_RETRY),
                    _ => DHT_FIRST_RETRY,
                };
                d.running = false;
                d.next_lookup = Instant::now() + wait;
                let found = d.found;
                if self.cfg.verbose {
                    self.progress.message(&format!(
                        "dht: lookup done, {peers} peers ({found} since the start); next in {} s",
                        wait.as_secs()
                    ));
                }
            }
            _ => {}
        }
    }

    /// A peer's `port` message: its DHT node joins ours (pinged first).
    pub(super) fn on_dht_port(&mut self, addr: SocketAddr, port: u16) {
        let (Some(d), IpAddr::V4(ip)) = (&self.dht, addr.ip()) else {
            return;
        };
        let _ = d
            .dht
            .commands
            .try_send(Command::AddNode(SocketAddrV4::new(ip, port)));
    }
}
