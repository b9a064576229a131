//! How a session is run (`Config`, `SeedPolicy`), and what it reports
//! when it ends (`Summary`).

use super::DEFAULT_PARTIAL_BUDGET;
use crate::dht::DhtSettings;
use crate::selection::Select;
use crate::trace::Trace;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU64;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

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
    /// The address the peer listener binds (`0.0.0.0`: every interface,
    /// and IPv6 too where the system has it). Outgoing connections are
    /// not bound to it.
    pub bind: IpAddr,
    /// The port we listen on; the next free one if it is taken.
    pub port: u16,
    pub max_peers: usize,
    pub quiet: bool,
    pub verbose: bool,
    /// `--json`: events as NDJSON on stdout, no status line.
    pub json: bool,
    pub seed: SeedPolicy,
    /// `--select`: download only these files (checked against the file
    /// list once it is known); `None` downloads every file.
    pub select: Option<Select>,
    /// Give up when no peer has been connected, and none could be found,
    /// for this long; `None` never gives up.
    pub stall_timeout: Option<Duration>,
    pub partial_budget: u64,
    /// Block pool buffers: blocks on their way from sockets to the main
    /// thread (`block_pool`).
    pub pool_buffers: usize,
    /// `--max-memory`: one budget for pieces, blocks, peers and web seeds,
    /// divided by `memory::fit` into the three fields above; `None` keeps
    /// their defaults.
    pub max_memory: Option<u64>,
    /// Peers to try before any tracker answers: a magnet link's `x.pe`
    /// addresses. With some, a torrent needs no tracker.
    pub peers: Vec<SocketAddr>,
    /// Run a DHT node (BEP 5) beside the trackers, unless the torrent is
    /// private; `None` (`--no-dht`) runs none.
    pub dht: Option<DhtSettings>,
    /// `--max-download-rate`: bytes a second of piece data asked for;
    /// `None`: no limit.
    pub max_download_rate: Option<NonZeroU64>,
    /// `--max-upload-rate`: bytes a second of piece data served.
    pub max_upload_rate: Option<NonZeroU64>,
    /// `--why`: the status line always says what holds the download
    /// back, or "ok" (see `session/stall.rs`).
    pub why: bool,
    /// Set by SIGUSR1 (`cli::run::why_flag`): say why now; the session
    /// clears it once said.
    pub why_signal: Option<Arc<AtomicBool>>,
    /// `--recheck`: read and hash all data on disk at the start, ignoring
    /// the resume state (`storage/resume.rs`).
    pub recheck: bool,
    /// `--trace`: every message to and from peers, trackers and the DHT,
    /// one annotated line each on stderr.
    pub trace: Trace,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            port: 6881,
            max_peers: 50,
            quiet: false,
            verbose: false,
            json: false,
            seed: SeedPolicy::Exit,
            select: None,
            stall_timeout: Some(Duration::from_secs(120)),
            partial_budget: DEFAULT_PARTIAL_BUDGET,
            pool_buffers: crate::block_pool::POOL_BUFFERS,
            max_memory: None,
            peers: Vec::new(),
            dht: None,
            max_download_rate: None,
            max_upload_rate: None,
            why: false,
            why_signal: None,
            recheck: false,
            trace: Trace::OFF,
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
    /// Stopped by Ctrl-C or SIGTERM (a normal end for a seed).
    pub interrupted: bool,
    pub elapsed: Duration,
    /// How long the download took (start to the last piece), if it
    /// completed in this session; `None` when it was complete at start.
    pub download_time: Option<Duration>,
    pub port: u16,
    /// Streaming (`-o -`): the reader of stdout went away before the end
    /// (`| head -c 100`), which ended the download normally.
    pub stdout_closed: bool,
}
