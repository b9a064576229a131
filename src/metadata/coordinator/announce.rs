//! The coordinator's announces: `started` once, again only while short
//! of peers (every `REANNOUNCE_GAP`, or the tracker's `min interval` if
//! longer), with a nonzero `left` (`UNKNOWN_LEFT`: the size is unknown).
//! A failed announce is said once and retried; only the stall rule gives up.

use super::Coordinator;
use crate::event_stream::Event;
use crate::metadata::{REANNOUNCE_GAP, UNKNOWN_LEFT};
use crate::tracker::{AnnounceEvent, AnnounceOutcome, AnnounceRequest};
use std::net::SocketAddr;
use std::time::Instant;

impl Coordinator<'_> {
    pub(super) fn announce(&mut self, event: AnnounceEvent) {
        let Some(tx) = &self.tracker else { return };
        let req = AnnounceRequest {
            event,
            uploaded: 0,
            downloaded: 0,
            left: UNKNOWN_LEFT,
            numwant: 50,
        };
        if tx.send(req).is_ok() {
            self.announce_pending = true;
        }
    }

    pub(super) fn on_tracker(&mut self, out: AnnounceOutcome) {
        self.announce_pending = false;
        let now = Instant::now();
        self.progress.emit(&Event::tracker(&out));
        match out {
            AnnounceOutcome::Ok { response, .. } => {
                self.tracker_ok = true;
                let gap = response.min_interval.unwrap_or(REANNOUNCE_GAP);
                self.next_announce = now + gap.max(REANNOUNCE_GAP);
                for addr in response.peers {
                    if !self.is_self(addr) {
                        self.addresses.add(addr, now);
                    }
                }
                self.connect_more();
            }
            AnnounceOutcome::Failed { message } => {
                if self.tracker_error.is_none() {
                    self.progress.message(&format!("tracker: {message}"));
                }
                self.tracker_error = Some(message);
                self.next_announce = now + REANNOUNCE_GAP;
            }
        }
    }

    /// A tracker lists us: nothing to fetch from ourselves.
    fn is_self(&self, addr: SocketAddr) -> bool {
        addr.port() == self.req.listen_port
            && (addr.ip().is_loopback() || addr.ip().is_unspecified())
    }
}
