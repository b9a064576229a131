//! The tick: the main thread's periodic work, every `TICK`.
//!
//! Rates are folded once a second; silent peers are snubbed; more peers
//! are connected while there is room; the choker runs every
//! `RECHOKE_EVERY`; peers due a peer exchange message get one; a
//! finished download decides whether to keep seeding;
//! a peerless one decides whether to give up. Part of `Session` (see
//! `session/mod.rs`).

use super::{SeedPolicy, Session, pipeline};
use crate::channels::PeerCommand;
use crate::choker::{ChokeInput, RECHOKE_EVERY};
use crate::error::{Error, Result};
use crate::progress::{Status, format_duration};
use crate::tracker::AnnounceEvent;
use crossbeam_channel::unbounded;
use std::time::{Duration, Instant};

use super::peers::Peer;
use super::sink::Sink;

impl Session<'_> {
    /// Periodic work. Returns true when the session is done.
    pub(super) fn on_tick(&mut self) -> Result<bool> {
        let now = Instant::now();
        if now.duration_since(self.last_second) >= Duration::from_secs(1) {
            self.last_second = now;
            self.down.tick();
            self.up.tick();
            for p in self.peers.values_mut() {
                p.down.tick();
                p.up.tick();
                p.pipeline = pipeline::one_second(p.down.get());
            }
            self.snub_silent_peers(now);
            self.end_reject_pauses(now);
        }
        self.share_pipelines();
        self.connect_more(now);
        // Peers first: with a download limit, web seeds take what the
        // peers leave (see `session/rate_limit.rs`).
        self.rate_limit_tick(now);
        self.offer_web_work();
        if self
            .last_rechoke
            .is_none_or(|t| now.duration_since(t) >= RECHOKE_EVERY)
        {
            self.rechoke(now);
        }
        self.send_pex_due(now);
        self.announce_if_due(now);
        self.dht_lookup_if_due(now);
        self.watch_stall(now);
        self.progress.update(&self.status());
        if self.picker.is_complete() {
            return self.on_complete(now);
        }
        self.check_sources_left()?;
        self.check_stalled(now)?;
        Ok(false)
    }

    pub(super) fn connect_more(&mut self, now: Instant) {
        while self.peers.len() < self.cfg.max_peers {
            let Some(addr) = self.candidates.next(now) else {
                break;
            };
            let (tx, rx) = unbounded();
            let conn = self.new_conn();
            let have = self.offered();
            match crate::peer::spawn_outgoing(self.ctx.clone(), conn, addr, have, rx) {
                Ok(_) => {
                    let n = self.meta.geometry.num_pieces();
                    self.peers.insert(conn, Peer::new(tx, addr, false, n));
                    self.start_upload_budget(conn);
                }
                Err(_) => self.candidates.disconnected(addr, false, false, now),
            }
        }
    }

    pub(super) fn rechoke(&mut self, now: Instant) {
        self.last_rechoke = Some(now);
        let inputs: Vec<ChokeInput> = self
            .peers
            .iter()
            .filter(|(_, p)| p.ready)
            .map(|(c, p)| ChokeInput {
                conn: *c,
                interested: p.peer_interested,
                down_rate: p.down.get(),
                up_rate: p.up.get(),
                snubbed: p.snubbed,
                unchoked_since: if p.am_choking { None } else { p.unchoked_at },
            })
            .collect();
        let seeding = self.picker.is_complete();
        let unchoke = self.choker.rechoke(&inputs, seeding, now);
        for (c, p) in self.peers.iter_mut().filter(|(_, p)| p.ready) {
            let choke = !unchoke.contains(c);
            if choke != p.am_choking {
                p.am_choking = choke;
                p.unchoked_at = (!choke).then_some(now);
                p.send(PeerCommand::Choke(choke));
            }
        }
    }

    pub(super) fn unchoked_count(&self) -> usize {
        self.peers.values().filter(|p| !p.am_choking).count()
    }

    /// Every wanted piece is verified: make the zero-length files (they
    /// own no piece, so no write made them), drop the part file if every
    /// file is there, flush, announce `completed` once;
    /// then true when the seed policy says we are done.
    pub(super) fn on_complete(&mut self, now: Instant) -> Result<bool> {
        if self.completed_at.is_none() {
            if self.stream_pending() {
                return Ok(false); // complete once stdout has every byte
            }
            self.completed_at = Some(now);
            if let Sink::Files { storage, .. } = &self.sink {
                storage.create_empty_files().map_err(|e| Error::Other {
                    context: "cannot create the empty files of the torrent".into(),
                    source: e,
                })?;
                if let Err(e) = storage.finish_parts() {
                    // The data is complete; a leftover hidden file is not fatal.
                    self.progress.message(&format!("warning: {e}"));
                }
            }
            self.flush()?;
            if !self.was_complete_at_start {
                // With `SeedPolicy::Exit` the command's summary follows at
                // once and says it all; otherwise say that seeding begins.
                if let Some(until) = seeding_until(self.cfg.seed) {
                    self.progress.message(&format!(
                        "download complete in {}; seeding {until}",
                        format_duration(self.started.elapsed().as_secs())
                    ));
                }
                self.announce(AnnounceEvent::Completed);
            }
        }
        let since = self
            .completed_at
            .map_or(Duration::ZERO, |t| now.duration_since(t));
        Ok(match self.cfg.seed {
            SeedPolicy::Exit => true,
            SeedPolicy::Forever => false,
            SeedPolicy::Ratio(r) => self.uploaded as f64 >= r * self.picker.bytes_wanted() as f64,
            SeedPolicy::Time(t) => since >= t,
        })
    }

    pub(super) fn check_stalled(&mut self, now: Instant) -> Result<()> {
        // Addresses we cannot reach do not count: opentracker keeps dead
        // peers listed for 45 minutes.
        let alone = !self.peers.values().any(|p| p.ready) && !self.web.active();
        if !alone {
            self.peerless_since = None;
            return Ok(());
        }
        let since = *self.peerless_since.get_or_insert(now);
        let Some(limit) = self.cfg.stall_timeout else {
            return Ok(()); // `--stall-timeout 0`: wait for peers forever
        };
        if now.duration_since(since) < limit {
            return Ok(());
        }
        let done = format!(
            "{} of {} pieces done",
            self.picker.have().count(),
            self.picker.pieces_wanted()
        );
        // What the doctor says is the end of the message (and a report).
        let diagnosis = self.diagnosis_now();
        self.report_diagnosis(diagnosis.as_ref(), super::stall::Trigger::GivingUp);
        let why = diagnosis.map_or(String::new(), |d| format!("; {d}"));
        // Exit 4 only when the trackers are why: none ever answered and no
        // peer ever came (not even an incoming one).
        if let (false, false, Some(last)) =
            (self.tracker_ok, self.had_peer, self.backoff.last_error())
        {
            let why = if why.is_empty() {
                format!("; {last}")
            } else {
                why
            };
            return Err(Error::Tracker(format!(
                "no peer came for {} s ({done}){why}",
                limit.as_secs()
            )));
        }
        Err(Error::NoPeers(format!(
            "no peer could be reached for {} s ({done}){why}",
            limit.as_secs()
        )))
    }

    /// What the status line shows.
    pub(super) fn status(&self) -> Status {
        let peers = self.peers.values().filter(|p| p.ready).count();
        // While alone and every tracker fails, say so and when we retry.
        let note = (peers == 0 && self.backoff.failures() > 0).then(|| {
            let wait = self.next_announce.saturating_duration_since(Instant::now());
            if self.announce_pending {
                "tracker down, retrying now".to_string()
            } else {
                format!("tracker down, retry in {}", format_duration(wait.as_secs()))
            }
        });
        Status {
            have: self.picker.bytes_have(),
            total: self.picker.bytes_wanted(),
            size: self.meta.geometry.total_len(),
            down_rate: self.down.get(),
            up_rate: self.up.get(),
            uploaded: self.uploaded,
            peers,
            seeding: self.picker.is_complete() && self.completed_at.is_some(),
            note: self.stall_note().or(note).or_else(|| self.web_note()),
        }
    }
}

/// How long a finished download keeps seeding, for the message that says
/// it starts; `None` when it does not seed.
fn seeding_until(policy: SeedPolicy) -> Option<String> {
    match policy {
        SeedPolicy::Exit => None,
        SeedPolicy::Forever => Some("until Ctrl-C".into()),
        SeedPolicy::Ratio(r) => Some(format!("until uploaded = {r} x size (or Ctrl-C)")),
        SeedPolicy::Time(t) => Some(format!(
            "for {} (or until Ctrl-C)",
            format_duration(t.as_secs())
        )),
    }
}
