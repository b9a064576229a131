//! The session: the main thread of one torrent, downloading and seeding.
//!
//! It owns everything shared: the piece picker, the table of peers, the
//! candidate addresses, the storage (it alone writes, and only verified
//! pieces), and the choker. It never touches a peer's socket: it reacts to
//! [`PeerEvent`]s and answers with [`PeerCommand`]s (see `channels`).
//!
//! One loop, seven inputs, no busy waiting:
//! - peer events (blocks, haves, chokes, closes),
//! - web seed pieces (from the web seed threads, BEP 19),
//! - hash verdicts on complete pieces (from the `hasher` threads),
//! - tracker outcomes (from the tracker thread),
//! - DHT findings (from the DHT thread, BEP 5),
//! - incoming connections (from the listener thread),
//! - pieces written to stdout (from the stream's writer thread, `-o -`),
//! - a tick every [`TICK`]: connect to more peers, take requests back from
//!   silent peers, rechoke, announce, look up the DHT, hand web seeds
//!   work, redraw the status line, check Ctrl-C.
//!
//! The session is one struct, `Session`, whose methods are split by
//! concern: `events` (what peers tell us), `verdict` (complete pieces to
//! the hasher and back), `pipeline` (how many requests per peer),
//! `requests` (keeping pipelines full), `fast`
//! (BEP 6: allowed-fast pieces and rejects), `tick` (periodic work),
//! `announce` (the tracker), `dht` (the DHT as a peer source), `webseed`
//! (BEP 19 web seeds), `main_loop` (what wakes the main thread, and the
//! end), `rate_limit` (the two token buckets), `stall`
//! (when to ask `doctor` why nothing arrives, and where to say it), `sink`
//! (the files, or stdout for `-o -`), with `blame` (who sent bad data), `peers`
//! (per-peer records and candidate addresses), `pex` (peer exchange,
//! BEP 11), `backoff` (when to retry a failing tracker) and `layout`
//! (where files go) as helpers.
//!
//! What it deliberately does not do: wait on SHA-1 (the `hasher` threads
//! check pieces; the session writes the ones that pass), write on any
//! other thread, share a lock with peers, or keep more than the picker's
//! bounded set of partial and hashing pieces in memory.

// Setting up (options, where files go), the peers table, then the loop's
// concerns in the order a block meets them.
mod config;
pub mod memory;
mod startup;
pub mod layout;
mod peers;
mod events;
mod pex;
mod pipeline;
mod requests;
mod fast;
mod verdict;
mod blame;
mod tick;
mod announce;
mod backoff;
mod dht;
mod webseed;
mod rate_limit;
pub mod doctor;
mod stall;
mod sink;
mod main_loop;

use crate::block_pool::BlockPool;
use crate::channels::{PeerContext, PeerEvent};
use crate::choker::Choker;
use crate::error::{Error, Result};
use crate::hasher::{self, Hasher};
use crate::ids::{self, ConnId};
use crate::listener::Incoming;
use crate::metainfo::Metainfo;
use crate::picker::Picker;
use crate::progress::Progress;
use crate::rate::Rate;
use crate::tracker::{AnnounceEvent, AnnounceRequest};
use backoff::Backoff;
use blame::Blame;
pub use config::{Config, SeedPolicy, Summary};
use crossbeam_channel::{Sender, bounded};
use peers::{Candidates, Peer};
pub use sink::Output;
use sink::Sink;
pub use startup::check_storage;
use startup::{Sources, listen, sources};
use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

/// The main loop's heartbeat: often enough for a smooth status line and a
/// prompt reaction to Ctrl-C; rare enough to cost nothing.
pub const TICK: Duration = Duration::from_millis(250);

pub use pipeline::{MAX_PIPELINE, MIN_PIPELINE};

/// The most requests in flight to all peers together: 16 MiB of blocks
/// that may sit in channels at once, whatever the number of peers.
pub const MAX_IN_FLIGHT: usize = 1024;

/// A peer holding our requests that sends nothing for this long is
/// snubbed: its requests go to other peers.
pub const SNUB_TIMEOUT: Duration = Duration::from_secs(20);

/// Re-announce at most this often when we run short of peers, if the
/// tracker gave no `min interval`.
pub const EARLY_ANNOUNCE_GAP: Duration = Duration::from_secs(30);

/// How long the `stopped` announce may take when we exit.
pub const STOP_ANNOUNCE_WAIT: Duration = Duration::from_secs(5);

/// How much memory pieces in progress may take (at least two pieces).
pub const DEFAULT_PARTIAL_BUDGET: u64 = 32 * 1024 * 1024;

/// How many peer events may wait for the main thread; a full queue makes
/// peer threads wait, so a flood from one peer cannot grow memory.
pub const EVENT_QUEUE: usize = 4096;

/// Closed connections whose address we remember for blame.
const DEPARTED: usize = 1024;

/// Runs a torrent until it is done (by `cfg.seed`), stopped by `stop`, or
/// fails. `have` is what `check_storage` found on disk (nothing for a
/// stream, which reads no disk).
pub fn run(
    meta: &Metainfo,
    output: Output,
    have: crate::wire::bitfield::Bitfield,
    reused: u64,
    cfg: &Config,
    stop: &AtomicBool,
    progress: &mut Progress,
) -> Result<Summary> {
    let (incoming_tx, incoming_rx) = bounded::<Incoming>(64);
    let port = listen(cfg, incoming_tx, progress)?;
    let our_id = ids::new_peer_id();
    let Sources {
        tracker_tx,
        tracker: tracker_rx,
        dht,
    } = sources(meta, cfg, our_id, port, progress)?;
    let (events_tx, events_rx) = bounded::<PeerEvent>(EVENT_QUEUE);
    // At least two pieces by default, one under `--max-memory` (`memory`).
    let max_partial = (cfg.partial_budget / meta.geometry.nominal_piece_len()).max(1) as usize;
    // A stream's window is the same budget: every piece it holds (being
    // fetched, hashed, waiting for the ones before it, or written) counts.
    let sink = Sink::new(
        output,
        meta,
        u32::try_from(max_partial).unwrap_or(u32::MAX),
        &have,
    )?;
    // Pieces partial and hashing together stay within `max_partial`, so a
    // queue of that size never refuses one (see `verdict`).
    let hasher = Hasher::start(hasher::threads_for_this_machine(), max_partial).map_err(|e| {
        Error::Other {
            context: "cannot start the hashing threads".into(),
            source: e,
        }
    })?;
    let ctx = Arc::new(PeerContext {
        info_hash: meta.info_hash,
        our_id,
        geometry: meta.geometry,
        reader: sink.reader(),
        events: events_tx,
        listen_port: port,
        metadata: Some(Arc::from(meta.info_bytes.as_slice())),
        private: meta.private,
        dht_port: dht.as_ref().map(|d| d.port),
        blocks: BlockPool::new(cfg.pool_buffers),
        trace: cfg.trace,
    });
    let mut s = Session {
        meta,
        cfg,
        ctx,
        sink,
        hasher,
        picker: Picker::new(meta.geometry, have, max_partial),
        peers: BTreeMap::new(),
        candidates: Candidates::default(),
        blame: Blame::default(),
        departed: VecDeque::new(),
        next_conn: 0,
        tracker_tx,
        dht: dht.map(dht::DhtSource::new),
        announce_pending: false,
        next_announce: Instant::now(),
        last_announce: None,
        min_interval: None,
        tracker_ok: false,
        backoff: Backoff::default(),
        had_peer: false,
        downloaded: 0,
        uploaded: 0,
        down: Rate::default(),
        up: Rate::default(),
        choker: Choker::new(),
        last_rechoke: None,
        last_second: Instant::now(),
        pipeline_cap: MAX_PIPELINE,
        peerless_since: None,
        completed_at: None,
        was_complete_at_start: false,
        our_port: port,
        started: Instant::now(),
        web: webseed::WebSeeds::default(),
        limits: rate_limit::Limits::new(cfg, Instant::now()),
        stall: stall::StallWatch::new(Instant::now()),
        progress,
    };
    s.picker.want_only(&s.sink.wanted());
    if let Some(stream) = s.sink.stream() {
        let window = stream.fetchable();
        s.picker.set_window(window);
    }
    s.was_complete_at_start = s.picker.is_complete();
    s.picker
        .limit_hashing(s.hasher.threads() * verdict::HASH_BACKLOG_PER_THREAD);
    for &addr in &cfg.peers {
        s.candidates.add_from(addr, peers::Origin::Given);
    }
    s.announce(AnnounceEvent::Started);
    s.start_web_seeds();
    let result = s.main_loop(&events_rx, &tracker_rx, &incoming_rx, stop);
    if let Err(e) = &result {
        s.diagnose_fatal(e);
    }
    let interrupted = matches!(result, Ok(Ended::Interrupted));
    let stdout_closed = matches!(result, Ok(Ended::StdoutClosed));
    s.shutdown(&tracker_rx, result.is_ok());
    let summary = Summary {
        downloaded: s.downloaded,
        uploaded: s.uploaded,
        reused,
        complete: s.picker.is_complete() && !s.stream_pending(),
        interrupted,
        elapsed: s.started.elapsed(),
        download_time: s
            .completed_at
            .filter(|_| !s.was_complete_at_start)
            .map(|t| t.duration_since(s.started)),
        port,
        stdout_closed,
    };
    result.map(|_| summary)
}

/// How the main loop ended without an error.
enum Ended {
    /// The job is done (by the seed policy).
    Done,
    /// Ctrl-C or SIGTERM.
    Interrupted,
    /// The reader of a stream's stdout went away (`| head -c 100`).
    StdoutClosed,
}

struct Session<'a> {
    meta: &'a Metainfo,
    cfg: &'a Config,
    ctx: Arc<PeerContext>,
    /// The files, or stdout (`sink.rs`).
    sink: Sink,
    /// Checks complete pieces off this thread; its threads end with the
    /// session (dropping it joins them).
    hasher: Hasher,
    picker: Picker,
    peers: BTreeMap<ConnId, Peer>,
    candidates: Candidates,
    blame: Blame,
    /// Addresses of recently closed connections, so blame can still find
    /// a peer that sent bad data and left (bounded by [`DEPARTED`]).
    departed: VecDeque<(ConnId, SocketAddr)>,
    next_conn: u64,
    tracker_tx: Option<Sender<AnnounceRequest>>,
    /// Our DHT node (BEP 5), when one runs; dropping it stops it.
    dht: Option<dht::DhtSource>,
    announce_pending: bool,
    next_announce: Instant,
    last_announce: Option<Instant>,
    min_interval: Option<Duration>,
    /// Some announce has been answered since the start.
    tracker_ok: bool,
    /// Failed announces in a row, and when to retry.
    backoff: Backoff,
    /// Some peer (outgoing or incoming) has completed a handshake since
    /// the start: the trackers are then not the reason nothing came.
    had_peer: bool,
    downloaded: u64,
    uploaded: u64,
    down: Rate,
    up: Rate,
    choker: Choker,
    last_rechoke: Option<Instant>,
    last_second: Instant,
    /// The most requests any peer's pipeline may hold now: the fast
    /// peers' share (`session/pipeline.rs`), set every tick.
    pipeline_cap: usize,
    peerless_since: Option<Instant>,
    completed_at: Option<Instant>,
    was_complete_at_start: bool,
    our_port: u16,
    started: Instant,
    /// Web seeds (BEP 19): their threads and how they fare.
    web: webseed::WebSeeds,
    /// `--max-download-rate` and `--max-upload-rate`.
    limits: rate_limit::Limits,
    /// What the stall doctor is told, and its latest diagnosis.
    stall: stall::StallWatch,
    progress: &'a mut Progress,
}

impl Session<'_> {
    pub(super) fn new_conn(&mut self) -> ConnId {
        self.next_conn += 1;
        ConnId(self.next_conn)
    }
}
