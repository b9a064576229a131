//! The metadata phase's DHT node (BEP 5) as a source of addresses: one
//! lookup at the start, another [`DHT_AGAIN`] after each that ends while
//! no peer has offered metadata. It never announces: we cannot serve the
//! torrent yet. The node itself is started with the coordinator
//! (`dht::start`) and stops (saving its table) when the phase ends.

use super::Coordinator;
use crate::dht::node_id::NodeId;
use crate::dht::thread::{Command, Finding};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// While no peer offers metadata, look the infohash up again this soon
/// after a DHT lookup ends.
pub const DHT_AGAIN: Duration = Duration::from_secs(15);

impl Coordinator<'_> {
    /// Starts a lookup when one is due and no peer offered metadata yet.
    pub(super) fn dht_lookup_if_due(&mut self, now: Instant) {
        if let (Some(d), Some(due)) = (&self.dht, self.dht_next)
            && !self.had_offer
            && now >= due
        {
            let ask = Command::GetPeers {
                info_hash: NodeId(self.req.info_hash),
                announce: None,
            };
            // `None` while it runs; a full queue tries again later.
            self.dht_next = d.commands.try_send(ask).is_err().then_some(now + DHT_AGAIN);
        }
    }

    /// Peers the DHT found join the addresses to dial.
    pub(super) fn on_dht(&mut self, finding: Finding) {
        let now = Instant::now();
        match finding {
            Finding::Peers(h, peers) if h.0 == self.req.info_hash => {
                for p in peers {
                    self.addresses.add(SocketAddr::V4(p), now);
                }
                self.connect_more();
            }
            Finding::Done { target, .. } if target.0 == self.req.info_hash => {
                self.dht_next = Some(now + DHT_AGAIN);
            }
            _ => {}
        }
    }
}
