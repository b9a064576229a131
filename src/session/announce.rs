//! Announces: when the session talks to its tracker, and what it does
//! with the answer.
//!
//! Part of `Session` (see `session/mod.rs`). The HTTP itself happens on
//! the tracker thread (`tracker::spawn`); this only decides and reacts.

use super::{EARLY_ANNOUNCE_GAP, Session, TRACKER_RETRY};
use crate::error::{Error, Result};
use crate::tracker::{AnnounceEvent, AnnounceOutcome, AnnounceRequest};
use std::net::SocketAddr;
use std::time::Instant;

impl Session<'_> {
    pub(super) fn announce(&mut self, event: AnnounceEvent) {
        let Some(tx) = &self.tracker_tx else { return };
        let left = self
            .meta
            .geometry
            .total_len()
            .saturating_sub(self.picker.bytes_have());
        let req = AnnounceRequest {
            event,
            uploaded: self.uploaded,
            downloaded: self.downloaded,
            left,
            numwant: 50,
        };
        if tx.send(req).is_ok() {
            self.announce_pending = true;
            self.last_announce = Some(Instant::now());
        }
    }

    pub(super) fn announce_if_due(&mut self, now: Instant) {
        if self.announce_pending {
            return;
        }
        let short = self.candidates.is_empty() && self.peers.len() < self.cfg.max_peers.min(10);
        let gap = self.min_interval.unwrap_or(EARLY_ANNOUNCE_GAP);
        let early = short
            && !self.picker.is_complete()
            && self
                .last_announce
                .is_none_or(|t| now.duration_since(t) >= gap);
        if now >= self.next_announce || early {
            self.announce(AnnounceEvent::Regular);
        }
    }

    pub(super) fn on_tracker(&mut self, out: AnnounceOutcome) -> Result<()> {
        self.announce_pending = false;
        let now = Instant::now();
        match out {
            AnnounceOutcome::Ok { response, .. } => {
                self.tracker_ok = true;
                if let Some(w) = &response.warning {
                    self.progress.message(&format!("tracker warning: {w}"));
                }
                self.min_interval = response.min_interval;
                self.next_announce = now + response.interval;
                for addr in response.peers {
                    if !self.is_self(addr) {
                        self.candidates.add(addr);
                    }
                }
                self.connect_more(now);
            }
            AnnounceOutcome::Failed { message } => {
                if !self.tracker_ok && self.peers.is_empty() && !self.picker.is_complete() {
                    return Err(Error::Tracker(message));
                }
                self.progress.message(&format!("tracker: {message}"));
                self.next_announce = now + TRACKER_RETRY;
            }
        }
        Ok(())
    }

    /// A tracker lists us among the peers; connecting to ourselves would
    /// only be dropped at the handshake, so skip it here.
    pub(super) fn is_self(&self, addr: SocketAddr) -> bool {
        addr.port() == self.our_port && (addr.ip().is_loopback() || addr.ip().is_unspecified())
    }
}
