//! The main loop: everything that wakes the main thread, in one
//! `select!`, and the end of a session.
//!
//! Part of `Session` (see `session/mod.rs`). Each wake-up is handed to
//! the file that owns its concept (`events`, `verdict`, `webseed`,
//! `announce`, `dht`, `sink`, `tick`); this file only decides what to
//! wait for and when the loop is over: done (by the seed policy or the
//! last verdict), interrupted (Ctrl-C, SIGTERM), the reader of a
//! stream's stdout gone, or an error.
//!
//! What it deliberately does not do: act on an event itself.

use super::{Ended, STOP_ANNOUNCE_WAIT, Session, TICK, verdict};
use crate::channels::{PeerCommand, PeerEvent};
use crate::error::Result;
use crate::listener::Incoming;
use crate::tracker::{AnnounceEvent, AnnounceOutcome};
use crossbeam_channel::{Receiver, never, select, tick};
use std::sync::atomic::{AtomicBool, Ordering};

impl Session<'_> {
    pub(super) fn main_loop(
        &mut self,
        events: &Receiver<PeerEvent>,
        tracker: &Receiver<AnnounceOutcome>,
        incoming: &Receiver<Incoming>,
        stop: &AtomicBool,
    ) -> Result<Ended> {
        let ticker = tick(TICK);
        let no_tracker = never();
        let verdicts = self.hasher.verdicts().clone();
        let findings = match &self.dht {
            Some(d) => d.dht.findings.clone(),
            None => never(),
        };
        let mut web_events = self.web.events().clone();
        let written = match self.sink.stream() {
            Some(s) => s.done().clone(),
            None => never(),
        };
        loop {
            let tracker_rx = if self.tracker_tx.is_some() {
                tracker
            } else {
                &no_tracker
            };
            select! {
                recv(events) -> ev => {
                    if let Ok(ev) = ev {
                        self.on_event(ev)?;
                        // Drain what else is waiting before the next tick,
                        // so a burst of blocks is handled in one go.
                        for ev in events.try_iter().take(256) {
                            self.on_event(ev)?;
                            // A burst completes pieces; the verdicts on
                            // them free memory, so they do not wait for it.
                            self.take_verdicts(&verdicts)?;
                        }
                    }
                }
                recv(verdicts) -> report => {
                    let v = self.hasher.open(report).map_err(verdict::hasher_error)?;
                    self.on_verdict(v)?;
                    self.take_verdicts(&verdicts)?;
                }
                recv(web_events) -> ev => match ev {
                    Ok(ev) => self.on_web_event(ev)?,
                    Err(_) => web_events = never(), // every web seed thread ended
                },
                recv(tracker_rx) -> out => match out {
                    Ok(out) => self.on_tracker(out),
                    Err(_) => self.tracker_tx = None,
                },
                recv(findings) -> f => {
                    if let Ok(f) = f {
                        self.on_dht(f);
                    }
                }
                recv(written) -> done => {
                    if let Ok(done) = done
                        && let Some(end) = self.on_written(done)?
                    {
                        return Ok(end);
                    }
                }
                recv(incoming) -> inc => {
                    if let Ok(inc) = inc {
                        self.on_incoming(inc);
                    }
                }
                recv(ticker) -> _ => {
                    if stop.load(Ordering::Relaxed) {
                        return Ok(Ended::Interrupted);
                    }
                    if self.on_tick()? {
                        return Ok(Ended::Done);
                    }
                }
            }
            // The last verdict just came in: finish now, not at the tick
            // (a stream: when the writer has written the last piece).
            if self.completed_at.is_none()
                && self.picker.is_complete()
                && !self.stream_pending()
                && self.on_tick()?
            {
                return Ok(Ended::Done);
            }
        }
    }

    // ----- the end -------------------------------------------------------

    /// Closes the peers, then (when the loop ended without an error,
    /// `keep`) writes the pieces that pass their pending hash check,
    /// syncs and says goodbye to the tracker.
    pub(super) fn shutdown(&mut self, tracker: &Receiver<AnnounceOutcome>, keep: bool) {
        for p in self.peers.values() {
            p.send(PeerCommand::Close);
        }
        self.stop_web_seeds();
        if keep {
            self.finish_hashing();
        }
        if let Err(e) = self.flush() {
            self.progress.message(&format!("warning: {e}"));
        }
        // Drain an announce still in flight, then say goodbye.
        if self.announce_pending {
            let _ = tracker.recv_timeout(STOP_ANNOUNCE_WAIT);
        }
        self.announce(AnnounceEvent::Stopped);
        if self.announce_pending {
            let _ = tracker.recv_timeout(STOP_ANNOUNCE_WAIT);
        }
        self.tracker_tx = None;
        // Stops the node, which saves its routing table.
        self.dht = None;
        self.progress.finish();
    }
}
