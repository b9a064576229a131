//! The stall watch: when the session asks the doctor why it is stuck,
//! and the one place the answer is reported.
//!
//! Part of `Session` (see `session/mod.rs`); the reasoning itself is in
//! `doctor.rs`, which sees only a [`Symptoms`] snapshot built here. Every
//! tick, [`Session::watch_stall`] notes whether piece data arrived (the
//! download `Rate`'s byte count moved), since when each peer chokes us,
//! and whether the download limit was spent; then it asks the doctor
//! when:
//! - nothing arrived for [`STALL_AFTER`]: the diagnosis becomes the status
//!   line's note, and is said once on a line of its own (once per stall:
//!   a byte of data ends it);
//! - SIGUSR1 set `Config::why_signal`: it is said now, even with `-q`
//!   (the user asked);
//! - `--why`: the status line always carries it, or "ok".
//!
//! It asks at most once a second while stalled or with `--why` (the
//! snapshot walks every peer's pieces), and at once on SIGUSR1. When
//! bitsy gives up, the stall rule (`tick.rs`) quotes the diagnosis in its
//! error, and a failed write is diagnosed just before the error ends the
//! run ([`Session::diagnose_fatal`]).
//!
//! [`Session::report_diagnosis`] is the single place a diagnosis leaves
//! the session: the status note aside, every stall message, on-demand
//! answer and give-up goes through it (a machine-readable event belongs
//! there too).
//!
//! What it deliberately does not do: change what bitsy does. The doctor
//! only explains; giving up stays the stall rule's decision.

use super::Session;
use super::doctor::{self, Diagnosis, PeerState, STALL_AFTER, Symptoms, Unavailable};
use crate::error::Error;
use crate::ids::ConnId;
use crate::progress::format_duration;
use crate::wire::bitfield::Bitfield;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// How often the doctor is asked while stalled or with `--why`.
const CONSULT_EVERY: Duration = Duration::from_secs(1);

/// Ticks in a row (a second at `TICK` = 250 ms) that end with the
/// download budget spent before the limit counts as what sets the pace.
const SPENT_TICKS: u32 = 4;

/// Why a diagnosis is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Trigger {
    /// Nothing arrived for [`STALL_AFTER`].
    Stalled,
    /// SIGUSR1.
    Asked,
    /// bitsy is giving up (the stall rule, or a disk error).
    GivingUp,
}

/// What the watch remembers between ticks.
#[derive(Debug)]
pub(super) struct StallWatch {
    /// The download rate's byte count at the last tick.
    bytes_seen: u64,
    /// When that count last moved (or the start).
    last_payload: Instant,
    /// Since when each peer that chokes us has (seen at a tick).
    choking_since: BTreeMap<ConnId, Instant>,
    /// Ticks in a row that ended with the download budget spent.
    spent_ticks: u32,
    /// This stall has been said on its own line.
    reported: bool,
    /// The diagnosis on the status line (stalled, or `--why`).
    current: Option<Diagnosis>,
    last_consult: Option<Instant>,
}

impl StallWatch {
    pub(super) fn new(now: Instant) -> StallWatch {
        StallWatch {
            bytes_seen: 0,
            last_payload: now,
            choking_since: BTreeMap::new(),
            spent_ticks: 0,
            reported: false,
            current: None,
            last_consult: None,
        }
    }
}

impl Session<'_> {
    /// Every tick, before the status line is drawn.
    pub(super) fn watch_stall(&mut self, now: Instant) {
        let asked = self
            .cfg
            .why_signal
            .as_ref()
            .is_some_and(|f| f.swap(false, Ordering::Relaxed));
        if self.picker.is_complete() {
            self.stall.current = None;
            if asked {
                self.report_diagnosis(None, Trigger::Asked);
            }
            return;
        }
        self.note_symptoms(now);
        let w = &mut self.stall;
        let stalled = now.duration_since(w.last_payload) >= STALL_AFTER;
        let due = w
            .last_consult
            .is_none_or(|t| now.duration_since(t) >= CONSULT_EVERY);
        // A new stall and a question are answered from a fresh look.
        let now_please = asked || (stalled && !w.reported);
        if now_please || ((stalled || self.cfg.why) && due) {
            w.last_consult = Some(now);
            self.stall.current = doctor::diagnose(&self.symptoms(now));
        } else if !stalled && !self.cfg.why {
            w.current = None;
        }
        if stalled && let Some(d) = &self.stall.current {
            // `--json`: a `stall` event whenever the diagnosis changes.
            self.progress.stall(d.cause(), &d.to_string());
        }
        if asked {
            let d = self.stall.current.clone();
            self.report_diagnosis(d.as_ref(), Trigger::Asked);
        }
        if stalled && !self.stall.reported {
            self.stall.reported = true;
            let d = self.stall.current.clone();
            self.report_diagnosis(d.as_ref(), Trigger::Stalled);
        }
    }

    /// Payload, choking and the download budget, as of this tick.
    fn note_symptoms(&mut self, now: Instant) {
        let w = &mut self.stall;
        let bytes = self.down.total();
        if bytes != w.bytes_seen {
            w.bytes_seen = bytes;
            w.last_payload = now;
            w.reported = false;
            self.progress.unstalled();
        }
        w.choking_since
            .retain(|c, _| self.peers.get(c).is_some_and(|p| p.peer_choking));
        for (c, p) in &self.peers {
            if p.ready && p.peer_choking {
                w.choking_since.entry(*c).or_insert(now);
            }
        }
        let spent = self.limits.limits_download() && self.limits.blocks_allowed(now) == 0;
        w.spent_ticks = if spent { w.spent_ticks + 1 } else { 0 };
    }

    /// The note the status line shows: the diagnosis while stalled, and
    /// with `--why` always (or "ok").
    pub(super) fn stall_note(&self) -> Option<String> {
        match &self.stall.current {
            Some(d) => Some(d.to_string()),
            None if self.cfg.why && !self.picker.is_complete() => Some("ok".into()),
            None => None,
        }
    }

    /// The doctor's answer now, for the stall rule's error message.
    pub(super) fn diagnosis_now(&self) -> Option<Diagnosis> {
        doctor::diagnose(&self.symptoms(Instant::now()))
    }

    /// The run is ending on `e`: when it is the disk's, says so with what
    /// would help, just before the error itself is printed.
    pub(super) fn diagnose_fatal(&mut self, e: &Error) {
        let disk = match e {
            Error::Io { .. } => true,
            Error::Other { context, .. } => context != super::verdict::HASH_STOPPED,
            _ => false,
        };
        if disk {
            let mut s = self.symptoms(Instant::now());
            s.disk_error = Some(e.to_string());
            let d = doctor::diagnose(&s);
            self.report_diagnosis(d.as_ref(), Trigger::GivingUp);
        }
    }

    /// The one place a diagnosis leaves the session (the status note
    /// aside), with the `--json` `stall` event (`cause`, `text`), which
    /// `Progress` writes only when it differs from the last one.
    pub(super) fn report_diagnosis(&mut self, d: Option<&Diagnosis>, trigger: Trigger) {
        if let Some(d) = d {
            self.progress.stall(d.cause(), &d.to_string()); // `--json`
        }
        let idle = self.stall.last_payload.elapsed().as_secs();
        let line = match (trigger, d) {
            (Trigger::Stalled, Some(d)) => {
                format!("stalled: nothing for {}: {d}", format_duration(idle))
            }
            (Trigger::Stalled, None) => return,
            (Trigger::Asked, Some(d)) => format!("why: {d}"),
            (Trigger::Asked, None) if self.picker.is_complete() => {
                "why: ok, the download is complete".into()
            }
            (Trigger::Asked, None) => format!(
                "why: ok, nothing holds the download back (last data {} ago)",
                format_duration(idle)
            ),
            // The stall rule's error quotes the diagnosis itself.
            (Trigger::GivingUp, Some(d @ Diagnosis::DiskError { .. })) => format!("stopping: {d}"),
            (Trigger::GivingUp, _) => return,
        };
        if trigger == Trigger::Asked && self.cfg.quiet {
            eprintln!("{line}"); // asked for: said even with -q
        } else {
            self.progress.message(&line);
        }
    }

    /// What the doctor needs to know, as of `now`.
    fn symptoms(&self, now: Instant) -> Symptoms {
        let peers = self
            .peers
            .iter()
            .filter(|(_, p)| p.ready)
            .map(|(c, p)| PeerState {
                addr: p.addr,
                useful: p.useful > 0,
                choking_for: p.peer_choking.then(|| {
                    let since = self.stall.choking_since.get(c).copied().unwrap_or(now);
                    now.saturating_duration_since(since)
                }),
                snubbed: p.snubbed,
            })
            .collect();
        let spent = self.stall.spent_ticks >= SPENT_TICKS;
        Symptoms {
            idle: now.saturating_duration_since(self.stall.last_payload),
            trackers: doctor::Trackers {
                any: self.tracker_tx.is_some(),
                failures: self.backoff.failures(),
                last_error: self.backoff.last_error().map(str::to_string),
            },
            dht_found: self.dht.as_ref().map(|d| d.found()),
            private: self.meta.private,
            candidates: self.candidates.waiting(),
            connecting: self.peers.values().filter(|p| !p.ready).count(),
            peers,
            web_seeds: usize::from(self.web.active()),
            unavailable: self.unavailable(),
            disk_error: None,
            rate_limit: self
                .cfg
                .max_download_rate
                .filter(|_| spent)
                .map(|r| r.get()),
        }
    }

    /// Wanted pieces we lack that no connected peer has.
    fn unavailable(&self) -> Unavailable {
        let g = &self.meta.geometry;
        let mut anyone = Bitfield::new(g.num_pieces());
        for p in self.peers.values().filter(|p| p.ready) {
            for piece in p.pieces.iter_raw().filter_map(|i| g.piece(i)) {
                anyone.set(piece);
            }
        }
        let mut u = Unavailable::default();
        for piece in (0..g.num_pieces()).filter_map(|i| g.piece(i)) {
            if self.picker.wants(piece) && !anyone.has(piece) {
                u.count += 1;
                if u.first.len() < doctor::LISTED_PIECES {
                    u.first.push(piece.get());
                }
            }
        }
        u
    }
}
