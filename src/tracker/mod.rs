//! Talking to trackers: announce, get peers (BEP 3, 7, 12, 23 over HTTP
//! and HTTPS; BEP 15, 41 over UDP).
//!
//! ```text
//!   main thread ──AnnounceRequest──▶ tracker thread ──HTTP GET / UDP──▶ tracker
//!   main thread ◀─AnnounceOutcome─── tracker thread ◀─bencode / UDP──── tracker
//! ```
//!
//! The main thread decides *when* to announce (it owns the totals and the
//! interval); this module decides *where* (BEP 12 tiers, in `tiers`), builds
//! the request (`announce`), and parses the answer (`response`); `udp`
//! does both for `udp://` URLs, the scheme (`scheme`) says which. [`spawn`]
//! runs announces on their own thread so a slow tracker never stalls the
//! download; the thread ends when its request channel disconnects.
//!
//! Deliberately not here: DHT, PEX, scrape, and
//! deciding how often to announce.

// Which URLs we can use (scheme), which tracker (tiers), the request
// (announce), the answer (response); UDP: numbers shared with the server
// (udp_wire), packets (udp_packet), clocks (udp_timers), the URL
// (udp_url), socket (udp).
pub mod scheme;
pub mod tiers;
pub mod announce;
pub mod response;
pub mod udp_wire;
pub mod udp_packet;
pub mod udp_timers;
pub mod udp_url;
pub mod udp;
// Which CAs an HTTPS request trusts (bundled roots, SSL_CERT_FILE/DIR).
#[cfg(feature = "https")]
pub mod tls;

use crate::ids::{InfoHash, PeerId};
use crate::rng;
use crate::trace::{self, Dir, Trace};
use crossbeam_channel::{Receiver, Sender};
use std::net::SocketAddr;
use std::thread;
use std::time::Duration;

/// BEP 3's `event` parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnnounceEvent {
    /// The first announce of a download or seed.
    Started,
    /// The download just finished (sent once, not when starting complete).
    Completed,
    /// We are shutting down.
    Stopped,
    /// A periodic announce (no `event` parameter).
    Regular,
}

/// What the main thread asks the tracker thread to announce.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnnounceRequest {
    pub event: AnnounceEvent,
    /// Bytes sent to peers since `Started`.
    pub uploaded: u64,
    /// Bytes received from peers since `Started`.
    pub downloaded: u64,
    /// Bytes still missing.
    pub left: u64,
    /// Peers wanted (0 for `Stopped`).
    pub numwant: u32,
}

/// A tracker's useful answer, already checked (see `response`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnnounceResponse {
    /// Peer addresses, without port 0 or repeats, in the tracker's order.
    pub peers: Vec<SocketAddr>,
    /// When to announce next, clamped to 60 s ..= 1 h.
    pub interval: Duration,
    /// The tracker's minimum, clamped the same way, if it sent one.
    pub min_interval: Option<Duration>,
    /// A `warning message` to show the user.
    pub warning: Option<String>,
    /// `complete`: seeders in the swarm, if sent.
    pub seeders: Option<u32>,
    /// `incomplete`: leechers in the swarm, if sent.
    pub leechers: Option<u32>,
}

/// The result of one announce across all tiers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnnounceOutcome {
    /// `url` answered.
    Ok {
        url: String,
        response: AnnounceResponse,
    },
    /// Every URL of every tier failed; `message` names each URL tried
    /// and what it said (or why it could not be reached), in the order
    /// tried (`tiers::AllFailed::describe`).
    Failed { message: String },
}

/// A torrent's trackers and everything an announce needs.
pub struct Trackers {
    tiers: tiers::Tiers,
    info_hash: InfoHash,
    peer_id: PeerId,
    port: u16,
    key: u32,
    agent: ureq::Agent,
    /// The UDP side; owns the BEP 15 connection ids of this torrent's
    /// trackers (the tracker thread owns this struct).
    udp: udp::UdpClient,
    /// `--trace`: each announce and answer, one line on stderr.
    trace: Trace,
}

impl Trackers {
    /// `tiers` is the BEP 12 `announce-list` (or `[[announce]]`); `port` is
    /// where we accept peers. Unusable URLs are dropped now, see
    /// [`Trackers::skipped`].
    pub fn new(
        tiers: Vec<Vec<String>>,
        info_hash: InfoHash,
        peer_id: PeerId,
        port: u16,
    ) -> Trackers {
        Trackers {
            tiers: tiers::Tiers::new(tiers),
            info_hash,
            peer_id,
            port,
            // BEP 3 `key`: lets a tracker recognise us when our address
            // changes. Random, not secret.
            key: rng::random_u64() as u32,
            agent: announce::agent(announce::CONNECT_TIMEOUT, announce::OVERALL_TIMEOUT),
            udp: udp::UdpClient::default(),
            trace: Trace::OFF,
        }
    }

    /// Traces every announce and answer (`--trace`), HTTP and UDP.
    pub fn with_trace(mut self, trace: Trace) -> Trackers {
        self.trace = trace;
        self.udp.trace = trace;
        self
    }

    /// Replaces the connect and overall timeouts (defaults:
    /// [`announce::CONNECT_TIMEOUT`], [`announce::OVERALL_TIMEOUT`]). Useful
    /// for a quick `stopped` announce at exit, and for tests. A UDP URL
    /// gets `overall` as its whole budget (default
    /// [`udp_timers::ANNOUNCE_BUDGET`]).
    pub fn with_timeouts(mut self, connect: Duration, overall: Duration) -> Trackers {
        self.agent = announce::agent(connect, overall);
        self.udp = udp::UdpClient::with_budget(overall);
        self.udp.trace = self.trace;
        self
    }

    /// Announces to the first URL that answers, in BEP 12 order. Blocks for
    /// up to the overall timeout (HTTP) or budget (UDP) per URL tried.
    pub fn announce(&mut self, req: &AnnounceRequest) -> AnnounceOutcome {
        let params = announce::AnnounceParams {
            info_hash: &self.info_hash,
            peer_id: &self.peer_id,
            port: self.port,
            key: self.key,
            request: req,
        };
        let agent = &self.agent;
        let udp = &mut self.udp;
        let tracer = self.trace;
        let result = self.tiers.try_in_order(|base| {
            if let Ok(scheme::Transport::Udp) = scheme::check(base) {
                return udp.announce(base, &params);
            }
            let url = announce::build_url(base, &params);
            tracer.line(Dir::Out, base, || trace::tracker::http_announce(&params));
            let answer = http_answer(agent, &url);
            match &answer {
                Ok(r) => tracer.line(Dir::In, base, || trace::tracker::announced(r, 3)),
                Err(why) => tracer.line(Dir::Note, base, || trace::tracker::http_failed(why)),
            }
            answer
        });
        match result {
            Ok((url, response)) => AnnounceOutcome::Ok { url, response },
            Err(failed) => AnnounceOutcome::Failed {
                message: failed.describe(),
            },
        }
    }

    /// True when no URL can be announced to (none given, or all skipped).
    pub fn is_empty(&self) -> bool {
        self.tiers.is_empty()
    }

    /// One message per URL we will never try, and why.
    pub fn skipped(&self) -> &[String] {
        self.tiers.skipped()
    }

    /// Our peer id, as sent to trackers.
    pub fn peer_id(&self) -> &PeerId {
        &self.peer_id
    }
}

/// One HTTP announce to `url`: the tracker's answer, or why there is none.
fn http_answer(agent: &ureq::Agent, url: &str) -> Result<AnnounceResponse, String> {
    let raw = announce::fetch(agent, url)?;
    response::parse(&raw.body).map_err(|e| match e {
        response::ResponseError::Failure(_) => e.to_string(),
        // A body that is not an answer: the status says more.
        response::ResponseError::Malformed(_) if raw.status != 200 => {
            format!("HTTP {} ({e})", raw.status)
        }
        response::ResponseError::Malformed(_) => e.to_string(),
    })
}

/// Runs announces on their own thread so the main thread never blocks on
/// the network. Each request gets exactly one outcome, in order. The thread ends
/// when the request channel disconnects (or the outcome receiver is gone).
///
/// The request channel is unbounded but the main thread sends one request
/// per interval; the outcome channel is unbounded for the same reason.
pub fn spawn(mut trackers: Trackers) -> (Sender<AnnounceRequest>, Receiver<AnnounceOutcome>) {
    let (req_tx, req_rx) = crossbeam_channel::unbounded::<AnnounceRequest>();
    let (out_tx, out_rx) = crossbeam_channel::unbounded();
    let spawned = thread::Builder::new()
        .name("tracker".to_string())
        .spawn(move || {
            for req in req_rx {
                if out_tx.send(trackers.announce(&req)).is_err() {
                    break;
                }
            }
        });
    if let Err(e) = spawned {
        // No thread: the request receiver was moved into the closure and is
        // gone, so sends fail and the main thread sees a disconnect. Say why
        // on the outcome channel first.
        let (failed_tx, failed_rx) = crossbeam_channel::unbounded();
        let _ = failed_tx.send(AnnounceOutcome::Failed {
            message: format!("cannot start the tracker thread: {e}"),
        });
        return (req_tx, failed_rx);
    }
    (req_tx, out_rx)
}
