//! Announces: when the session talks to its tracker, and what it does
//! with the answer.
//!
//! Part of `Session` (see `session/mod.rs`). The HTTP itself happens on
//! the tracker thread (`tracker::spawn`); this only decides and reacts.
//! A failed announce is never fatal here: it is retried with the back-off
//! of `backoff.rs`, and only the stall rule (`tick.rs`) gives up.

use super::backoff::Say;
use super::{EARLY_ANNOUNCE_GAP, Session};
use crate::event_stream::Event;
use crate::progress::format_duration;
use crate::tracker::{AnnounceEvent, AnnounceOutcome, AnnounceRequest};
use std::net::SocketAddr;
use std::time::Instant;

impl Session<'_> {
    pub(super) fn announce(&mut self, event: AnnounceEvent) {
        let Some(tx) = &self.tracker_tx else { return };
        let left = self.picker.bytes_left();
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
        // While every tracker fails, the back-off alone says when to retry.
        let failing = self.backoff.failures() > 0;
        let short =
            !failing && self.candidates.is_empty() && self.peers.len() < self.cfg.max_peers.min(10);
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

    pub(super) fn on_tracker(&mut self, out: AnnounceOutcome) {
        self.announce_pending = false;
        let now = Instant::now();
        self.progress.emit(&Event::tracker(&out));
        match out {
            AnnounceOutcome::Ok { url, response } => {
                self.tracker_ok = true;
                let failures = self.backoff.answered();
                if failures > 0 {
                    self.progress.message(&format!(
                        "tracker {url} answered after {failures} failed announce{}",
                        if failures == 1 { "" } else { "s" }
                    ));
                }
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
                let (wait, say) = self.backoff.failed(&message);
                if say == Say::Always || self.cfg.verbose {
                    self.progress.message(&format!(
                        "tracker: {message}; retrying in {}",
                        format_duration(wait.as_secs())
                    ));
                }
                self.next_announce = now + wait;
            }
        }
    }

    /// A tracker lists us among the peers; connecting to ourselves would
    /// only be dropped at the handshake, so skip it here.
    pub(super) fn is_self(&self, addr: SocketAddr) -> bool {
        addr.port() == self.our_port && (addr.ip().is_loopback() || addr.ip().is_unspecified())
    }
}
