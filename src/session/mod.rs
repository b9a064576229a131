//! The session: the main thread of one torrent, downloading and seeding.
//!
//! It owns everything shared: the piece picker, the table of peers, the
//! candidate addresses, the storage (it alone writes, and only verified
//! pieces), and the choker. It never touches a peer's socket: it reacts to
//! [`PeerEvent`]s and answers with [`PeerCommand`]s (see `channels`).
//!
//! One loop, four inputs, no busy waiting:
//! - peer events (blocks, haves, chokes, closes),
//! - tracker outcomes (from the tracker thread),
//! - incoming connections (from the listener thread),
//! - a tick every [`TICK`]: connect to more peers, take requests back from
//!   silent peers, rechoke, announce, redraw the status line, check Ctrl-C.
//!
//! What it deliberately does not do: hash or write on any other thread,
//! share a lock with peers, or keep more than the picker's bounded set of
//! partial pieces in memory.

mod blame;
pub mod layout;
mod peers;

use crate::channels::{ConnId, PeerCommand, PeerContext, PeerEvent, PeerEventKind};
use crate::choker::{ChokeInput, Choker, RECHOKE_EVERY};
use crate::error::{Error, Result};
use crate::geometry::{BLOCK_LEN, BlockRef, PieceIndex};
use crate::listener::{self, Incoming};
use crate::metainfo::Metainfo;
use crate::picker::{Picker, Received};
use crate::progress::{Progress, Status, format_bytes};
use crate::rate::Rate;
use crate::storage::{self, Storage};
use crate::tracker::{self, AnnounceEvent, AnnounceOutcome, AnnounceRequest, Trackers};
use blame::{Blame, Verdict};
use crossbeam_channel::{Receiver, Sender, bounded, never, select, tick, unbounded};
use peers::{Candidates, Peer};
use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The main loop's heartbeat: often enough for a smooth status line and a
/// prompt reaction to Ctrl-C; rare enough to cost nothing.
pub const TICK: Duration = Duration::from_millis(250);

/// Requests kept in flight to a new peer, before its rate is known.
///
/// The pipeline then grows like TCP's slow start (one more request per
/// block received, so it doubles every round trip) and, once a second, is
/// set to about one second's worth of the peer's measured rate, between
/// `MIN_PIPELINE` and `MAX_PIPELINE`.
pub const MIN_PIPELINE: usize = 5;

/// The most requests in flight to one peer: 4 MiB, enough for about a
/// second at 30 MB/s and a fair share on fast links. (The adaptive target
/// is one second's worth of the peer's measured rate.)
pub const MAX_PIPELINE: usize = 256;

/// The most requests in flight to all peers together: 16 MiB of blocks
/// that may sit in channels at once, whatever the number of peers.
pub const MAX_IN_FLIGHT: usize = 1024;

/// A peer holding our requests that sends nothing for this long is
/// snubbed: its requests go to other peers.
pub const SNUB_TIMEOUT: Duration = Duration::from_secs(20);

/// Re-announce at most this often when we run short of peers, if the
/// tracker gave no `min interval`.
pub const EARLY_ANNOUNCE_GAP: Duration = Duration::from_secs(30);

/// Wait before retrying a tracker after a failed announce.
pub const TRACKER_RETRY: Duration = Duration::from_secs(30);

/// How long the `stopped` announce may take when we exit.
pub const STOP_ANNOUNCE_WAIT: Duration = Duration::from_secs(5);

/// How much memory pieces in progress may take (at least two pieces).
pub const DEFAULT_PARTIAL_BUDGET: u64 = 32 * 1024 * 1024;

/// How many peer events may wait for the main thread; a full queue makes
/// peer threads wait, so a flood from one peer cannot grow memory.
pub const EVENT_QUEUE: usize = 4096;

/// Closed connections whose address we remember for blame.
const DEPARTED: usize = 1024;

/// When a finished download stops seeding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SeedPolicy {
    /// Exit as soon as the download is complete (the default).
    Exit,
    /// Seed until Ctrl-C.
    Forever,
    /// Seed until uploaded / size reaches this ratio.
    Ratio(f64),
    /// Seed for this long after completion.
    Time(Duration),
}

/// How to run a session.
#[derive(Debug, Clone)]
pub struct Config {
    pub port: u16,
    pub max_peers: usize,
    pub quiet: bool,
    pub verbose: bool,
    pub seed: SeedPolicy,
    /// Give up when no peer has been connected, and none could be found,
    /// for this long.
    pub stall_timeout: Duration,
    pub partial_budget: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            port: 6881,
            max_peers: 50,
            quiet: false,
            verbose: false,
            seed: SeedPolicy::Exit,
            stall_timeout: Duration::from_secs(120),
            partial_budget: DEFAULT_PARTIAL_BUDGET,
        }
    }
}

/// What a session did.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub downloaded: u64,
    pub uploaded: u64,
    pub reused: u64,
    pub complete: bool,
    pub elapsed: Duration,
    pub port: u16,
}

/// Opens (creating and preallocating) the files under `root` and checks
/// whatever data is already there. Returns the storage and the pieces that
/// are already good.
pub fn open_storage(
    meta: &Metainfo,
    root: &Path,
    specs: Vec<storage::FileSpec>,
    progress: &mut Progress,
) -> Result<(Storage, crate::wire::bitfield::Bitfield, u64)> {
    let storage = Storage::open(root, specs, meta.geometry)?;
    let have = if storage.existing_bytes() > 0 {
        let mut last = Instant::now();
        storage::check_existing(&storage, &meta.piece_hashes, &mut |done, total| {
            if last.elapsed() >= Duration::from_millis(500) {
                last = Instant::now();
                progress.update_text(&format!("checking existing data: {done}/{total} pieces"));
            }
        })
        .map_err(|e| Error::Other {
            context: "cannot check the existing data".into(),
            source: e,
        })?
    } else {
        crate::wire::bitfield::Bitfield::new(meta.geometry.num_pieces())
    };
    let reused: u64 = have
        .iter_raw()
        .filter_map(|i| meta.geometry.piece(i))
        .map(|p| u64::from(meta.geometry.piece_len(p)))
        .sum();
    if storage.existing_bytes() > 0 {
        progress.message(&format!(
            "resume: {} of {} pieces ({}) already on disk and verified",
            have.count(),
            meta.geometry.num_pieces(),
            format_bytes(reused)
        ));
    }
    Ok((storage, have, reused))
}

/// Runs a torrent until it is done (by `cfg.seed`), stopped by `stop`, or
/// fails. `have` is what `open_storage` found on disk.
pub fn run(
    meta: &Metainfo,
    storage: Storage,
    have: crate::wire::bitfield::Bitfield,
    reused: u64,
    cfg: &Config,
    stop: &AtomicBool,
    progress: &mut Progress,
) -> Result<Summary> {
    let (incoming_tx, incoming_rx) = bounded::<Incoming>(64);
    let port = listener::start(cfg.port, incoming_tx).map_err(|e| Error::Other {
        context: format!("cannot listen on port {} (or the next ones)", cfg.port),
        source: e,
    })?;
    let our_id = tracker::peer_id::generate();
    let trackers = Trackers::new(meta.trackers.clone(), meta.info_hash, our_id, port);
    for m in trackers.skipped() {
        progress.message(m);
    }
    if trackers.is_empty() {
        return Err(Error::Tracker(
            "the torrent names no tracker bitsy can use (HTTP only; DHT is not supported)".into(),
        ));
    }
    let (tracker_tx, tracker_rx) = tracker::spawn(trackers);
    let (events_tx, events_rx) = bounded::<PeerEvent>(EVENT_QUEUE);
    let max_partial = (cfg.partial_budget / meta.geometry.nominal_piece_len()).max(2) as usize;
    let ctx = Arc::new(PeerContext {
        info_hash: meta.info_hash,
        our_id,
        geometry: meta.geometry,
        reader: storage.reader(),
        events: events_tx,
    });
    let mut s = Session {
        meta,
        cfg,
        ctx,
        storage,
        picker: Picker::new(meta.geometry, have, max_partial),
        peers: BTreeMap::new(),
        candidates: Candidates::default(),
        blame: Blame::default(),
        departed: VecDeque::new(),
        next_conn: 0,
        in_flight: 0,
        tracker_tx: Some(tracker_tx),
        announce_pending: false,
        next_announce: Instant::now(),
        last_announce: None,
        min_interval: None,
        tracker_ok: false,
        downloaded: 0,
        uploaded: 0,
        down: Rate::default(),
        up: Rate::default(),
        choker: Choker::new(),
        last_rechoke: None,
        last_second: Instant::now(),
        peerless_since: None,
        completed_at: None,
        was_complete_at_start: false,
        our_port: port,
        started: Instant::now(),
        progress,
    };
    s.was_complete_at_start = s.picker.is_complete();
    s.announce(AnnounceEvent::Started);
    let result = s.main_loop(&events_rx, &tracker_rx, &incoming_rx, stop);
    s.shutdown(&tracker_rx);
    let summary = Summary {
        downloaded: s.downloaded,
        uploaded: s.uploaded,
        reused,
        complete: s.picker.is_complete(),
        elapsed: s.started.elapsed(),
        port,
    };
    result.map(|()| summary)
}

struct Session<'a> {
    meta: &'a Metainfo,
    cfg: &'a Config,
    ctx: Arc<PeerContext>,
    storage: Storage,
    picker: Picker,
    peers: BTreeMap<ConnId, Peer>,
    candidates: Candidates,
    blame: Blame,
    /// Addresses of recently closed connections, so blame can still find
    /// a peer that sent bad data and left (bounded by [`DEPARTED`]).
    departed: VecDeque<(ConnId, SocketAddr)>,
    next_conn: u64,
    /// Requests in flight to all peers (sum of `Peer::requests`).
    in_flight: usize,
    tracker_tx: Option<Sender<AnnounceRequest>>,
    announce_pending: bool,
    next_announce: Instant,
    last_announce: Option<Instant>,
    min_interval: Option<Duration>,
    tracker_ok: bool,
    downloaded: u64,
    uploaded: u64,
    down: Rate,
    up: Rate,
    choker: Choker,
    last_rechoke: Option<Instant>,
    last_second: Instant,
    peerless_since: Option<Instant>,
    completed_at: Option<Instant>,
    was_complete_at_start: bool,
    our_port: u16,
    started: Instant,
    progress: &'a mut Progress,
}

impl Session<'_> {
    fn main_loop(
        &mut self,
        events: &Receiver<PeerEvent>,
        tracker: &Receiver<AnnounceOutcome>,
        incoming: &Receiver<Incoming>,
        stop: &AtomicBool,
    ) -> Result<()> {
        let ticker = tick(TICK);
        let no_tracker = never();
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
                        }
                    }
                }
                recv(tracker_rx) -> out => match out {
                    Ok(out) => self.on_tracker(out)?,
                    Err(_) => self.tracker_tx = None,
                },
                recv(incoming) -> inc => {
                    if let Ok(inc) = inc {
                        self.on_incoming(inc);
                    }
                }
                recv(ticker) -> _ => {
                    if stop.load(Ordering::Relaxed) {
                        return Err(Error::Interrupted);
                    }
                    if self.on_tick()? {
                        return Ok(());
                    }
                }
            }
        }
    }

    // ----- peer events -------------------------------------------------

    fn on_event(&mut self, ev: PeerEvent) -> Result<()> {
        let conn = ev.conn;
        if let PeerEventKind::Closed { reason, misbehaved } = ev.kind {
            self.on_closed(conn, &reason, misbehaved);
            return Ok(());
        }
        let Some(peer) = self.peers.get_mut(&conn) else {
            return Ok(());
        };
        match ev.kind {
            PeerEventKind::Ready { addr, .. } => {
                peer.ready = true;
                peer.addr = addr;
                if self.cfg.verbose {
                    self.progress.message(&format!("peer {addr}: connected"));
                }
            }
            PeerEventKind::Bitfield(bf) => {
                if bf.num_pieces() != self.meta.geometry.num_pieces() {
                    peer.send(PeerCommand::Close);
                    return Ok(());
                }
                self.picker.remove_availability(&peer.pieces);
                self.picker.add_availability(&bf);
                let have = self.picker.have();
                peer.useful = bf
                    .iter_raw()
                    .filter_map(|i| self.meta.geometry.piece(i))
                    .filter(|p| !have.has(*p))
                    .count() as u32;
                peer.pieces = bf;
                self.update_interest(conn);
                self.fill(conn);
            }
            PeerEventKind::Have(piece) => {
                if peer.pieces.set(piece) {
                    self.picker.add_one(piece);
                    if !self.picker.have().has(piece) {
                        peer.useful += 1;
                    }
                    self.update_interest(conn);
                    self.fill(conn);
                }
            }
            PeerEventKind::Choke => {
                peer.peer_choking = true;
                self.take_back_requests(conn, false);
                self.fill_all();
            }
            PeerEventKind::Unchoke => {
                peer.peer_choking = false;
                peer.last_block = Instant::now();
                self.fill(conn);
            }
            PeerEventKind::Interested => {
                peer.peer_interested = true;
                if self.unchoked_count() < crate::choker::UPLOAD_SLOTS {
                    self.last_rechoke = None; // a free slot: decide at the next tick
                }
            }
            PeerEventKind::NotInterested => peer.peer_interested = false,
            PeerEventKind::Block { block, data } => self.on_block(conn, block, &data)?,
            PeerEventKind::Uploaded { bytes } => {
                peer.up.add(u64::from(bytes));
                self.up.add(u64::from(bytes));
                self.uploaded += u64::from(bytes);
            }
            PeerEventKind::Closed { .. } => {}
        }
        Ok(())
    }

    fn on_block(&mut self, conn: ConnId, block: BlockRef, data: &[u8]) -> Result<()> {
        let len = data.len() as u64;
        if let Some(peer) = self.peers.get_mut(&conn) {
            if peer.requests.remove(&block) {
                self.in_flight -= 1;
            }
            peer.last_block = Instant::now();
            peer.snubbed = false;
            peer.pipeline = (peer.pipeline + 1).min(MAX_PIPELINE);
            peer.down.add(len);
        }
        self.down.add(len);
        match self.picker.block_received(conn, block, data) {
            Received::Unneeded => {}
            Received::Stored { cancel } => self.cancel(block, &cancel),
            Received::Complete { cancel } => {
                self.cancel(block, &cancel);
                self.downloaded += u64::from(self.meta.geometry.piece_len(block.piece));
                self.finish_piece(block.piece)?;
            }
        }
        self.fill(conn);
        Ok(())
    }

    /// Hash check, then write and announce — or throw away and blame.
    fn finish_piece(&mut self, piece: PieceIndex) -> Result<()> {
        let Some((data, senders)) = self.picker.take_complete(piece) else {
            return Ok(());
        };
        let digest = sha1_smol::Sha1::from(&data).digest().bytes();
        if &digest == self.meta.piece_hash(piece) {
            self.storage
                .write_piece(piece, &data)
                .map_err(|e| Error::Other {
                    context: format!("cannot write piece {piece}"),
                    source: e,
                })?;
            self.picker.verified(piece);
            for liar in self.blame.verified(piece, &data) {
                self.ban(liar);
            }
            let conns: Vec<ConnId> = self.peers.keys().copied().collect();
            for c in conns {
                if let Some(p) = self.peers.get_mut(&c) {
                    if p.ready {
                        p.send(PeerCommand::Have(piece));
                    }
                    if p.pieces.has(piece) {
                        p.useful = p.useful.saturating_sub(1);
                    }
                }
                self.update_interest(c);
            }
        } else {
            self.downloaded = self
                .downloaded
                .saturating_sub(u64::from(self.meta.geometry.piece_len(piece)));
            self.picker.failed(piece);
            self.progress.message(&format!(
                "piece {piece} failed its hash check; fetching it again"
            ));
            let addrs: Vec<SocketAddr> = senders.iter().filter_map(|c| self.addr_of(*c)).collect();
            if let Verdict::Strike(addr) = self.blame.failed(piece, &data, &addrs)
                && self.candidates.strike(addr)
            {
                self.ban(addr);
            }
            self.fill_all();
        }
        Ok(())
    }

    /// Drops every connection to `addr` and never connects to it again.
    fn ban(&mut self, addr: SocketAddr) {
        self.candidates.ban(addr);
        self.progress
            .message(&format!("peer {addr}: banned for sending bad data"));
        for p in self.peers.values().filter(|p| p.addr == addr) {
            p.send(PeerCommand::Close);
        }
    }

    fn addr_of(&self, conn: ConnId) -> Option<SocketAddr> {
        self.peers.get(&conn).map(|p| p.addr).or_else(|| {
            self.departed
                .iter()
                .find(|(c, _)| *c == conn)
                .map(|(_, a)| *a)
        })
    }

    fn on_closed(&mut self, conn: ConnId, reason: &str, misbehaved: bool) {
        self.take_back_requests(conn, false);
        let Some(peer) = self.peers.remove(&conn) else {
            return;
        };
        self.picker.remove_availability(&peer.pieces);
        self.candidates
            .disconnected(peer.addr, peer.ready, misbehaved, Instant::now());
        if self.departed.len() >= DEPARTED {
            self.departed.pop_front();
        }
        self.departed.push_back((conn, peer.addr));
        if self.cfg.verbose || misbehaved {
            self.progress
                .message(&format!("peer {}: disconnected: {reason}", peer.addr));
        }
        self.fill_all();
    }

    fn on_incoming(&mut self, inc: Incoming) {
        if self.peers.len() >= self.cfg.max_peers || !self.candidates.accept(inc.addr) {
            return; // dropping the stream closes it
        }
        let (tx, rx) = unbounded();
        let conn = self.new_conn();
        let have = self.picker.have().clone();
        match crate::peer::spawn_incoming(self.ctx.clone(), conn, inc.stream, have, rx) {
            Ok(_) => {
                let n = self.meta.geometry.num_pieces();
                self.peers.insert(conn, Peer::new(tx, inc.addr, n));
            }
            Err(_) => self
                .candidates
                .disconnected(inc.addr, false, false, Instant::now()),
        }
    }

    // ----- requests ----------------------------------------------------

    /// Sends a peer as many requests as its pipeline has room for.
    fn fill(&mut self, conn: ConnId) {
        let room = MAX_IN_FLIGHT.saturating_sub(self.in_flight);
        let Some(peer) = self.peers.get_mut(&conn) else {
            return;
        };
        if !peer.ready || peer.peer_choking || !peer.am_interested || room == 0 {
            return;
        }
        let target = if peer.snubbed { 1 } else { peer.pipeline };
        let want = target.saturating_sub(peer.requests.len()).min(room);
        if want == 0 {
            return;
        }
        if peer.requests.is_empty() {
            peer.last_block = Instant::now();
        }
        for block in self.picker.pick(conn, &peer.pieces, want) {
            if peer.requests.insert(block) {
                self.in_flight += 1;
            }
            peer.send(PeerCommand::Request(block));
        }
    }

    fn fill_all(&mut self) {
        let conns: Vec<ConnId> = self.peers.keys().copied().collect();
        for c in conns {
            self.fill(c);
        }
    }

    /// Gives a peer's requests back to the picker; with `cancel`, also
    /// tells the peer (it is alive but too slow).
    fn take_back_requests(&mut self, conn: ConnId, cancel: bool) {
        let Some(peer) = self.peers.get_mut(&conn) else {
            return;
        };
        for block in peer.requests.drain() {
            self.picker.release(conn, block);
            self.in_flight -= 1;
            if cancel {
                let _ = peer.tx.send(PeerCommand::Cancel(block));
            }
        }
    }

    /// Another copy of `block` arrived: cancel it at the other peers.
    fn cancel(&mut self, block: BlockRef, conns: &[ConnId]) {
        for c in conns {
            if let Some(p) = self.peers.get_mut(c)
                && p.requests.remove(&block)
            {
                self.in_flight -= 1;
                p.send(PeerCommand::Cancel(block));
            }
        }
    }

    fn update_interest(&mut self, conn: ConnId) {
        if let Some(p) = self.peers.get_mut(&conn) {
            let want = p.useful > 0;
            if want != p.am_interested && p.ready {
                p.am_interested = want;
                p.send(PeerCommand::Interested(want));
            }
        }
    }

    // ----- the tick ------------------------------------------------------

    /// Periodic work. Returns true when the session is done.
    fn on_tick(&mut self) -> Result<bool> {
        let now = Instant::now();
        if now.duration_since(self.last_second) >= Duration::from_secs(1) {
            self.last_second = now;
            self.down.tick();
            self.up.tick();
            for p in self.peers.values_mut() {
                p.down.tick();
                p.up.tick();
                let second = (p.down.get() / f64::from(BLOCK_LEN)).ceil() as usize;
                p.pipeline = second.clamp(MIN_PIPELINE, MAX_PIPELINE);
            }
            self.snub_silent_peers(now);
        }
        self.connect_more(now);
        if self
            .last_rechoke
            .is_none_or(|t| now.duration_since(t) >= RECHOKE_EVERY)
        {
            self.rechoke(now);
        }
        self.announce_if_due(now);
        self.progress.update(&self.status());
        if self.picker.is_complete() {
            return Ok(self.on_complete(now));
        }
        self.check_stalled(now)?;
        Ok(false)
    }

    fn snub_silent_peers(&mut self, now: Instant) {
        let silent: Vec<ConnId> = self
            .peers
            .iter()
            .filter(|(_, p)| {
                !p.requests.is_empty() && now.duration_since(p.last_block) >= SNUB_TIMEOUT
            })
            .map(|(c, _)| *c)
            .collect();
        for c in &silent {
            if let Some(p) = self.peers.get_mut(c) {
                p.snubbed = true;
                if self.cfg.verbose {
                    self.progress.message(&format!("peer {}: snubbed", p.addr));
                }
            }
            self.take_back_requests(*c, true);
        }
        if !silent.is_empty() {
            self.fill_all();
        }
    }

    fn connect_more(&mut self, now: Instant) {
        while self.peers.len() < self.cfg.max_peers {
            let Some(addr) = self.candidates.next(now) else {
                break;
            };
            let (tx, rx) = unbounded();
            let conn = self.new_conn();
            let have = self.picker.have().clone();
            match crate::peer::spawn_outgoing(self.ctx.clone(), conn, addr, have, rx) {
                Ok(_) => {
                    let n = self.meta.geometry.num_pieces();
                    self.peers.insert(conn, Peer::new(tx, addr, n));
                }
                Err(_) => self.candidates.disconnected(addr, false, false, now),
            }
        }
    }

    fn rechoke(&mut self, now: Instant) {
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

    fn unchoked_count(&self) -> usize {
        self.peers.values().filter(|p| !p.am_choking).count()
    }

    fn on_complete(&mut self, now: Instant) -> bool {
        if self.completed_at.is_none() {
            self.completed_at = Some(now);
            if let Err(e) = self.storage.sync() {
                self.progress.message(&format!("warning: sync failed: {e}"));
            }
            if !self.was_complete_at_start {
                self.progress.message(&format!(
                    "download complete: {} in {:.1} s",
                    format_bytes(self.meta.geometry.total_len()),
                    self.started.elapsed().as_secs_f64()
                ));
                self.announce(AnnounceEvent::Completed);
            }
        }
        let since = self
            .completed_at
            .map_or(Duration::ZERO, |t| now.duration_since(t));
        match self.cfg.seed {
            SeedPolicy::Exit => true,
            SeedPolicy::Forever => false,
            SeedPolicy::Ratio(r) => {
                self.uploaded as f64 >= r * self.meta.geometry.total_len() as f64
            }
            SeedPolicy::Time(t) => since >= t,
        }
    }

    fn check_stalled(&mut self, now: Instant) -> Result<()> {
        let alone = self.peers.is_empty() && self.candidates.is_empty();
        if !alone {
            self.peerless_since = None;
            return Ok(());
        }
        let since = *self.peerless_since.get_or_insert(now);
        if now.duration_since(since) >= self.cfg.stall_timeout {
            return Err(Error::NoPeers(format!(
                "no peer connected and none could be found for {} s ({} of {} pieces done)",
                self.cfg.stall_timeout.as_secs(),
                self.picker.have().count(),
                self.meta.geometry.num_pieces()
            )));
        }
        Ok(())
    }

    // ----- tracker -----------------------------------------------------

    fn announce(&mut self, event: AnnounceEvent) {
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

    fn announce_if_due(&mut self, now: Instant) {
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

    fn on_tracker(&mut self, out: AnnounceOutcome) -> Result<()> {
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
    fn is_self(&self, addr: SocketAddr) -> bool {
        addr.port() == self.our_port && (addr.ip().is_loopback() || addr.ip().is_unspecified())
    }

    // ----- the end -------------------------------------------------------

    fn shutdown(&mut self, tracker: &Receiver<AnnounceOutcome>) {
        for p in self.peers.values() {
            p.send(PeerCommand::Close);
        }
        if let Err(e) = self.storage.sync() {
            self.progress.message(&format!("warning: sync failed: {e}"));
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
        self.progress.update(&self.status());
        self.progress.finish();
    }

    fn new_conn(&mut self) -> ConnId {
        self.next_conn += 1;
        ConnId(self.next_conn)
    }

    fn status(&self) -> Status {
        Status {
            have: self.picker.bytes_have(),
            total: self.meta.geometry.total_len(),
            down_rate: self.down.get(),
            up_rate: self.up.get(),
            uploaded: self.uploaded,
            peers: self.peers.values().filter(|p| p.ready).count(),
            seeding: self.picker.is_complete() && self.completed_at.is_some(),
        }
    }
}
