//! `bitsy tracker`: a small BitTorrent tracker for a LAN, a lab or a CI box.
//!
//! ```text
//!   TCP :port ── accept thread ─▶ 8 HTTP workers ─┐   (http.rs)
//!                                                 ├─▶ Mutex<Swarms>  (swarm.rs)
//!   UDP :port ── UDP thread ──────────────────────┘   (udp.rs)
//! ```
//!
//! One port serves HTTP announce/scrape (BEP 3, 23, 7, 48) on TCP and the
//! UDP tracker protocol (BEP 15) on UDP. Reading order: `query` and
//! `announce_params` (untrusted bytes to checked requests), `swarm` (the
//! state), `http_request`, `http_answer`, `http` (HTTP front-end),
//! `udp_request`, `udp_answer`, `connection_id`, `udp` (UDP front-end).
//!
//! Why a `Mutex` here, when the rest of bitsy shares nothing between
//! threads: the tracker is not the peer engine. Its state is one map that
//! both front-ends read and write for a few microseconds per request, with
//! no I/O while the lock is held. An owner thread with channels would add
//! two channel hops and a reply channel to every request and buy nothing.
//! A poisoned lock (a panic while it was held) is taken over as is: every
//! update leaves the maps consistent.
//!
//! What it deliberately does not do: no whitelist (any infohash is
//! tracked, up to `max_torrents`), no NAT check, no persistence across
//! restarts, no HTTPS, no BEP 41 UDP options, no keep-alive. Memory is
//! bounded by `max_torrents × max_peers_per_torrent` peer entries.

// Reading order (see above): requests, state, HTTP, then UDP.
mod query;
mod announce_params;
mod swarm;
mod http_request;
mod http_answer;
mod http;
pub(crate) mod udp_request;
mod udp_answer;
mod connection_id;
mod udp;

use crate::error::Error;
use crate::ids::InfoHash;
use announce_params::Announce;
use http_answer::Intervals;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use swarm::{AnnounceOutcome, Refusal, SwarmCounts, Swarms};

/// Settings for [`TrackerServer::start`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackerConfig {
    /// Address to listen on (TCP and UDP). `0.0.0.0` or `::` for every
    /// interface; `::` is dual-stack on Linux.
    pub bind: IpAddr,
    /// Port for both TCP and UDP; 0 picks a free one.
    pub port: u16,
    /// How often clients should announce. Peers that stay silent for twice
    /// this long are dropped. Sent to clients in whole seconds (at least 1).
    pub interval: Duration,
    /// Most torrents tracked at once; announces for more are refused.
    pub max_torrents: usize,
    /// Most peers per torrent; newcomers past this are refused.
    pub max_peers_per_torrent: usize,
    /// Log one line per announce to stderr.
    pub verbose: bool,
}

impl Default for TrackerConfig {
    /// `0.0.0.0:6969`, 2-minute interval, 1000 torrents of 500 peers.
    ///
    /// A LAN tracker can afford a short interval: 2 minutes means a peer
    /// that died without `stopped` is gone from answers within 4 minutes,
    /// at the cost of one small request per peer per 2 minutes. 6969 is the
    /// port trackers traditionally use. The caps bound memory to roughly
    /// 500,000 peer entries (about 50 MB) in the worst case; a lab rarely
    /// has more than a few torrents of a few dozen peers.
    fn default() -> Self {
        TrackerConfig {
            bind: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            port: 6969,
            interval: Duration::from_secs(120),
            max_torrents: 1000,
            max_peers_per_torrent: 500,
            verbose: false,
        }
    }
}

/// A scrape that names no infohash lists at most this many torrents
/// (BEP 48 allows listing all; this keeps the answer under ~70 KB).
const SCRAPE_ALL_LIMIT: usize = 1000;

/// Attempts to find a port free for both TCP and UDP when `port` is 0.
const PORT_ATTEMPTS: usize = 20;

/// State and settings the front-end threads share.
struct Shared {
    swarms: Mutex<Swarms>,
    intervals: Intervals,
    verbose: bool,
    /// Set by shutdown; every thread polls it.
    stop: AtomicBool,
}

impl Shared {
    fn swarms(&self) -> MutexGuard<'_, Swarms> {
        self.swarms
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records an announce; logs it when verbose.
    fn announce(&self, a: &Announce) -> Result<AnnounceOutcome, Refusal> {
        let result = self.swarms().announce(a, Instant::now());
        if self.verbose {
            let hash: String = a
                .info_hash
                .iter()
                .take(4)
                .map(|b| format!("{b:02x}"))
                .collect();
            let answer = match &result {
                Ok(out) => format!("{} peers", out.peers.len()),
                Err(refusal) => refusal.to_string(),
            };
            eprintln!(
                "tracker: announce {hash}.. from {} event={} left={} -> {answer}",
                a.peer,
                a.event.as_str(),
                a.left
            );
        }
        result
    }

    /// Counts per infohash, in request order; all torrents (bounded) if
    /// `hashes` is empty.
    fn scrape(&self, hashes: &[InfoHash]) -> Vec<(InfoHash, SwarmCounts)> {
        let now = Instant::now();
        let mut swarms = self.swarms();
        let all;
        let hashes = if hashes.is_empty() {
            all = swarms.some_info_hashes(SCRAPE_ALL_LIMIT);
            &all[..]
        } else {
            hashes
        };
        hashes.iter().map(|h| (*h, swarms.scrape(h, now))).collect()
    }

    fn interval_secs(&self) -> u32 {
        u32::try_from(http_answer::whole_seconds(self.intervals.interval)).unwrap_or(u32::MAX)
    }
}

/// A running tracker. Dropping it stops it, like [`TrackerServer::shutdown`].
pub struct TrackerServer {
    local_addr: SocketAddr,
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl TrackerServer {
    /// Binds TCP and UDP on `cfg.bind:cfg.port` (port 0: a free TCP port,
    /// then UDP on the same number) and starts serving. Returns once both
    /// sockets are listening.
    pub fn start(cfg: TrackerConfig) -> Result<TrackerServer, Error> {
        let (tcp, udp) = bind_both(cfg.bind, cfg.port).map_err(|source| Error::Other {
            context: format!(
                "tracker cannot listen on {}",
                SocketAddr::new(cfg.bind, cfg.port)
            ),
            source,
        })?;
        let local_addr = tcp.local_addr().map_err(|source| Error::Other {
            context: "tracker socket has no address".into(),
            source,
        })?;
        let interval = cfg.interval.max(Duration::from_millis(1));
        let shared = Arc::new(Shared {
            swarms: Mutex::new(Swarms::new(
                cfg.max_torrents,
                cfg.max_peers_per_torrent,
                interval.saturating_mul(2),
                Instant::now(),
            )),
            intervals: Intervals {
                interval,
                // Clients may re-announce early (a user pressing "update");
                // a quarter interval keeps that useful on a LAN.
                min_interval: interval / 4,
            },
            verbose: cfg.verbose,
            stop: AtomicBool::new(false),
        });
        let mut server = TrackerServer {
            local_addr,
            shared: Arc::clone(&shared),
            threads: Vec::new(),
        };
        // On an error here, dropping `server` stops what did start.
        let cannot_start = |source| Error::Other {
            context: "tracker cannot start its threads".into(),
            source,
        };
        server.threads = http::spawn(tcp, Arc::clone(&shared)).map_err(cannot_start)?;
        server
            .threads
            .push(udp::spawn(udp, shared).map_err(cannot_start)?);
        Ok(server)
    }

    /// The TCP address (the UDP socket has the same port).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops every thread and waits for them: at most one poll period for
    /// the accept and UDP threads, plus the request deadline for an HTTP
    /// worker in the middle of a slow request.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for TrackerServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Binds TCP, then UDP on the same port. With port 0 the TCP port is picked
/// by the OS and may be taken for UDP; then we try another.
fn bind_both(ip: IpAddr, port: u16) -> io::Result<(TcpListener, UdpSocket)> {
    let mut last_err = io::Error::new(io::ErrorKind::AddrInUse, "no port free for TCP and UDP");
    for _ in 0..PORT_ATTEMPTS {
        let tcp = TcpListener::bind((ip, port))?;
        let chosen = tcp.local_addr()?.port();
        match UdpSocket::bind((ip, chosen)) {
            Ok(udp) => return Ok((tcp, udp)),
            Err(e) if port == 0 => last_err = e,
            Err(e) => return Err(e),
        }
    }
    Err(last_err)
}
