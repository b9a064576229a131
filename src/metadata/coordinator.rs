//! The coordinator of the metadata fetch: the one thread that decides.
//!
//! One loop over four inputs, as in the session: fetch-thread events,
//! tracker outcomes, DHT findings (a node of its own, unless `--no-dht`:
//! see `coordinator/dht.rs`), and a tick ([`TICK`]) for timeouts, the status
//! line and Ctrl-C. It owns the addresses, the peers table, the assembly and
//! the announce timing; fetch threads only do socket I/O (see
//! `fetch_peer`). What each decision is, and why, is in `metadata/mod.rs`.

use super::addresses::Addresses;
use super::assembly::Assembly;
use super::fetch_peer::{self, FetchCommand, FetchEvent, FetchEventKind, Identity};
use super::{FetchRequest, PER_PEER_IN_FLIGHT, PIECE_TIMEOUT, REJECT_PAUSE, TICK};
use crate::dht::thread::Dht;
use crate::error::{Error, Result};
use crate::ids::ConnId;
use crate::metainfo::Metainfo;
use crate::progress::{Progress, format_bytes};
use crate::tracker::{self, AnnounceEvent, AnnounceOutcome, AnnounceRequest, Trackers};
use crate::wire::ut_metadata::MetadataSize;
use crossbeam_channel::{Receiver, Sender, bounded, never, select, tick, unbounded};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Events that may wait for the coordinator: each holds at most a 16 KiB
/// piece, and a full queue makes fetch threads wait, not memory grow.
const EVENT_QUEUE: usize = 256;

/// One connected (or connecting) peer.
struct Peer {
    addr: SocketAddr,
    cmds: Sender<FetchCommand>,
    /// What it offered, once its extended handshake came.
    size: Option<MetadataSize>,
    /// Not asked anything before this (it rejected a piece).
    paused_until: Option<Instant>,
}

pub(super) struct Coordinator<'a> {
    req: &'a FetchRequest,
    progress: &'a mut Progress,
    me: Identity,
    events_tx: Sender<FetchEvent>,
    events: Receiver<FetchEvent>,
    peers: BTreeMap<ConnId, Peer>,
    addresses: Addresses,
    assembly: Option<Assembly>,
    next_conn: u64,
    /// Peers dialled so far (the status line's "asked N peers").
    asked: usize,
    tracker: Option<Sender<AnnounceRequest>>,
    outcomes: Receiver<AnnounceOutcome>,
    announce_pending: bool,
    next_announce: Instant,
    tracker_ok: bool,
    tracker_error: Option<String>,
    /// Some peer offered metadata since the start.
    had_offer: bool,
    /// The last offer or piece: the stall clock.
    last_progress: Instant,
    dht: Option<Dht>,
    /// When our next DHT lookup is due (`None` while one runs).
    dht_next: Option<Instant>,
}

impl<'a> Coordinator<'a> {
    pub(super) fn new(req: &'a FetchRequest, progress: &'a mut Progress) -> Result<Self> {
        let trackers = Trackers::new(
            req.trackers.clone(),
            req.info_hash,
            req.our_id,
            req.listen_port,
        )
        .with_trace(req.trace);
        for m in trackers.skipped() {
            progress.message(m);
        }
        let dht = crate::dht::start(
            req.dht.as_ref(),
            &[],
            false,
            req.bind,
            req.listen_port,
            progress,
        );
        if trackers.is_empty() && req.peers.is_empty() && dht.is_none() {
            return Err(Error::Tracker(format!(
                "the magnet link names no tracker bitsy can use and no peer (x.pe) \
                 (bitsy can announce to {}), and the DHT is off",
                tracker::scheme::can_announce_to()
            )));
        }
        let (tracker, outcomes) = if trackers.is_empty() {
            (None, never())
        } else {
            let (tx, rx) = tracker::spawn(trackers);
            (Some(tx), rx)
        };
        let (events_tx, events) = bounded(EVENT_QUEUE);
        let now = Instant::now();
        let mut addresses = Addresses::default();
        for addr in &req.peers {
            addresses.add(*addr, now);
        }
        Ok(Coordinator {
            req,
            progress,
            me: Identity {
                info_hash: req.info_hash,
                our_id: req.our_id,
                listen_port: req.listen_port,
                trace: req.trace,
            },
            events_tx,
            events,
            peers: BTreeMap::new(),
            addresses,
            assembly: None,
            next_conn: 0,
            asked: 0,
            tracker,
            outcomes,
            announce_pending: false,
            next_announce: now,
            tracker_ok: false,
            tracker_error: None,
            had_offer: false,
            last_progress: now,
            dht,
            dht_next: Some(now),
        })
    }

    pub(super) fn run(mut self, stop: &AtomicBool) -> Result<Metainfo> {
        let ticker = tick(TICK);
        self.announce(AnnounceEvent::Started);
        self.connect_more();
        loop {
            let outcomes = self.outcomes.clone();
            let findings = self.dht.as_ref().map_or(never(), |d| d.findings.clone());
            select! {
                recv(self.events) -> ev => {
                    // The coordinator holds a sender: never disconnected.
                    if let Ok(ev) = ev
                        && let Some(meta) = self.on_event(ev)?
                    {
                        return Ok(meta);
                    }
                }
                recv(outcomes) -> out => match out {
                    Ok(out) => self.on_tracker(out),
                    Err(_) => self.outcomes = never(),
                },
                recv(findings) -> f => {
                    if let Ok(f) = f {
                        self.on_dht(f);
                    }
                }
                recv(ticker) -> _ => {
                    if stop.load(Ordering::Relaxed) {
                        self.progress.finish();
                        return Err(Error::Interrupted);
                    }
                    self.on_tick()?;
                }
            }
        }
    }

    fn on_tick(&mut self) -> Result<()> {
        let now = Instant::now();
        if let Some(asm) = &mut self.assembly {
            for conn in asm.expire(now, PIECE_TIMEOUT) {
                self.drop_peer(conn, false);
            }
        }
        for addr in &self.req.peers {
            self.addresses.add(*addr, now);
        }
        let short = self.addresses.is_empty() && !self.peers.values().any(|p| p.size.is_some());
        if short && !self.announce_pending && now >= self.next_announce {
            self.announce(AnnounceEvent::Regular);
        }
        self.dht_lookup_if_due(now);
        self.connect_more();
        self.assign();
        let line = self.status();
        self.progress.update_text(&line);
        self.check_stalled(now)
    }

    /// Handles one event; the metainfo once the dictionary is complete.
    fn on_event(&mut self, ev: FetchEvent) -> Result<Option<Metainfo>> {
        let now = Instant::now();
        let conn = ev.conn;
        match ev.kind {
            FetchEventKind::Offer(size) => {
                if let Some(p) = self.peers.get_mut(&conn) {
                    p.size = Some(size);
                    self.had_offer = true;
                    self.last_progress = now;
                }
            }
            FetchEventKind::Piece { piece, data } => {
                let stored = self
                    .assembly
                    .as_mut()
                    .filter(|a| self.peers.get(&conn).and_then(|p| p.size) == Some(a.size()))
                    .is_some_and(|a| a.received(conn, piece, &data));
                if stored {
                    self.last_progress = now;
                    if let Some(meta) = self.try_finish()? {
                        return Ok(Some(meta));
                    }
                }
            }
            FetchEventKind::Rejected { piece } => {
                if let Some(a) = &mut self.assembly {
                    a.rejected(conn, piece);
                }
                if let Some(p) = self.peers.get_mut(&conn) {
                    p.paused_until = Some(now + REJECT_PAUSE);
                }
            }
            FetchEventKind::Closed { reason, misbehaved } => {
                if let Some(p) = self.peers.get(&conn) {
                    if misbehaved {
                        self.progress
                            .message(&format!("metadata: dropped {}: {reason}", p.addr));
                    }
                    self.drop_peer(conn, misbehaved);
                }
            }
        }
        self.connect_more();
        self.assign();
        Ok(None)
    }

    /// When every piece is in: the metainfo if it hashes right (or the
    /// fatal error if it is unsafe); on a mismatch, its senders go.
    fn try_finish(&mut self) -> Result<Option<Metainfo>> {
        let Some(asm) = self.assembly.take_if(|a| a.is_complete()) else {
            return Ok(None);
        };
        match asm.finish(&self.req.info_hash) {
            Some(Ok(bytes)) => {
                let mut meta = Metainfo::from_info_bytes(&bytes).map_err(|e| {
                    Error::Torrent(format!(
                        "the metadata from peers matches the infohash but is unusable: {e}"
                    ))
                })?;
                meta.trackers = self.req.trackers.clone();
                self.progress.message(&format!(
                    "got the metadata ({}) from {} peer{}",
                    format_bytes(bytes.len() as u64),
                    self.peers.len(),
                    if self.peers.len() == 1 { "" } else { "s" }
                ));
                Ok(Some(meta))
            }
            Some(Err(liars)) => {
                self.progress.message(&format!(
                    "metadata from {} peer{} did not match the infohash; dropped",
                    liars.len(),
                    if liars.len() == 1 { "" } else { "s" }
                ));
                for conn in liars {
                    self.drop_peer(conn, true);
                }
                Ok(None)
            }
            None => Ok(None),
        }
    }

    /// Forgets `conn` (its thread closes when its channel drops); a
    /// misbehaving peer's address is never dialled again.
    fn drop_peer(&mut self, conn: ConnId, ban: bool) {
        if let Some(p) = self.peers.remove(&conn)
            && ban
        {
            self.addresses.ban(p.addr);
        }
        if let Some(a) = &mut self.assembly {
            a.forget(conn);
        }
    }

    fn connect_more(&mut self) {
        let now = Instant::now();
        while self.peers.len() < self.req.max_peers.max(1) {
            let Some(addr) = self.addresses.next(now) else {
                return;
            };
            self.next_conn += 1;
            let conn = ConnId(self.next_conn);
            let (tx, rx) = unbounded();
            let events = self.events_tx.clone();
            if fetch_peer::spawn(self.me, conn, addr, events, rx).is_ok() {
                self.asked += 1;
                let peer = Peer {
                    addr,
                    cmds: tx,
                    size: None,
                    paused_until: None,
                };
                self.peers.insert(conn, peer);
            }
        }
    }

    /// Keeps an assembly for a size some peer offers, and every peer of
    /// that size asked for up to `PER_PEER_IN_FLIGHT` missing pieces.
    fn assign(&mut self) {
        let offered = |size| self.peers.values().any(|p| p.size == Some(size));
        if self.assembly.as_ref().is_none_or(|a| !offered(a.size())) {
            // The first size offered (by the oldest peer); the others wait.
            self.assembly = self.peers.values().find_map(|p| p.size).map(Assembly::new);
        }
        let Some(asm) = &mut self.assembly else {
            return;
        };
        let now = Instant::now();
        loop {
            let mut asked_any = false;
            for (conn, p) in &self.peers {
                let ready = p.size == Some(asm.size())
                    && p.paused_until.is_none_or(|t| now >= t)
                    && asm.in_flight(*conn) < PER_PEER_IN_FLIGHT;
                if !ready {
                    continue;
                }
                let Some(piece) = asm.ask(*conn, now) else {
                    return;
                };
                if p.cmds.send(FetchCommand::Request(piece)).is_err() {
                    asm.rejected(*conn, piece); // closing; its Closed follows
                } else {
                    asked_any = true;
                }
            }
            if !asked_any {
                return;
            }
        }
    }

    fn status(&self) -> String {
        let n = self.asked;
        let mut line = format!(
            "fetching metadata: asked {n} peer{}",
            if n == 1 { "" } else { "s" }
        );
        if let Some(a) = &self.assembly {
            let size = a.size();
            line += &format!(", {}/{} pieces", a.got(), size.pieces());
        }
        line
    }

    fn check_stalled(&mut self, now: Instant) -> Result<()> {
        let Some(limit) = self.req.stall_timeout else {
            return Ok(());
        };
        if now.duration_since(self.last_progress) < limit {
            return Ok(());
        }
        self.progress.finish();
        let secs = limit.as_secs();
        if let (false, false, Some(last)) = (self.tracker_ok, self.had_offer, &self.tracker_error) {
            return Err(Error::Tracker(format!(
                "{last} (every announce failed for {secs} s, no peer came; fetching metadata)"
            )));
        }
        Err(Error::NoPeers(format!(
            "no peer sent the metadata for {secs} s ({})",
            self.status()
        )))
    }
}

mod announce;
mod dht;
