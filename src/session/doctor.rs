//! The stall doctor: why a download is stuck, in plain words, and what
//! would help.
//!
//! Pure reasoning, no sockets and no clock: the input is a [`Symptoms`]
//! snapshot of facts the session already knows (trackers, DHT, peers and
//! their choke state, pieces nobody has, the download limit, a disk
//! error); the output is a [`Diagnosis`] with a stable snake_case
//! [`Diagnosis::cause`] code (for scripts and `--json`) and a sentence
//! (its `Display`, in `doctor/words.rs`) that ends with what would help. The session's side,
//! when to ask and where to say it, is `session/stall.rs`.
//!
//! Causes can hold together (every peer chokes us *and* the tracker
//! fails); one is named, the first that holds in this order, which goes
//! from what blocks everything to what only slows:
//! 1. `disk_error`: a write failed; nothing downloaded can be kept, so
//!    nothing else matters.
//! 2. With no connected peer (and no working web seed):
//!    `trackers_failing` when every tracker fails now (each one's words,
//!    and what the DHT found), else `no_peers` (the trackers answered, or
//!    there are none, and nobody we know of answers).
//! 3. With peers: `pieces_unavailable` when none of them has a piece we
//!    still want (which ones, how many): only a new peer can help.
//! 4. Peers have what we want but none gives it: `all_choking` (for how
//!    long) or `all_snubbed` (unchoked, asked, silent), by which group is
//!    larger (ties: choking, the usual state of a new peer).
//! 5. `rate_limited`: data flows, but `--max-download-rate` is spent
//!    every tick; the limit, not the swarm, sets the pace.
//! 6. `waiting`: nothing arrived for [`STALL_AFTER`] and none of the above
//!    holds (peers unchoke us and have pieces we want, yet send nothing,
//!    and are not yet snubbed).
//!
//! Otherwise there is no diagnosis (`None`): nothing holds the download
//! back that bitsy can name.
//!
//! What it deliberately does not do: decide when to give up (the stall
//! rule in `tick.rs` does, and quotes the diagnosis), look anything up,
//! or keep state between two calls.

use std::net::SocketAddr;
use std::time::Duration;

/// How long without a byte of piece data before bitsy calls itself
/// stalled and says why, once, on a line of its own.
///
/// 30 s: longer than `SNUB_TIMEOUT` (20 s), so a silent peer is already
/// snubbed and can be named as such; longer than the first tracker
/// retries (2, 4, 8 s after a failure), so a tracker's brief hiccup is
/// not reported; and well within the default `--stall-timeout` (120 s),
/// so the user reads why before bitsy gives up.
pub const STALL_AFTER: Duration = Duration::from_secs(30);

/// How many piece numbers a diagnosis lists before "and N more".
pub const LISTED_PIECES: usize = 3;

/// The longest error quoted, in characters: the tracker module already
/// bounds each tracker's words (`tracker::tiers`), this bounds the line.
pub const MAX_QUOTE_CHARS: usize = 1000;

/// What the session knows when the doctor is asked.
#[derive(Debug, Clone, Default)]
pub struct Symptoms {
    /// Since the last byte of piece data arrived (or since the start).
    pub idle: Duration,
    pub trackers: Trackers,
    /// Peers the DHT found since the start; `None` when no DHT node runs.
    pub dht_found: Option<usize>,
    /// The torrent is private (BEP 27): no DHT, no peer exchange.
    pub private: bool,
    /// Known addresses we are not connected to (waiting for a retry).
    pub candidates: usize,
    /// Connections whose handshake has not completed yet.
    pub connecting: usize,
    /// Connected peers (handshake done).
    pub peers: Vec<PeerState>,
    /// Web seeds (BEP 19) that are fetching or may fetch.
    pub web_seeds: usize,
    /// Wanted pieces we lack that no connected peer has.
    pub unavailable: Unavailable,
    /// A write that failed, in the storage's words.
    pub disk_error: Option<String>,
    /// `--max-download-rate`, in bytes a second, when its budget was spent
    /// at every tick of the last second; `None` otherwise.
    pub rate_limit: Option<u64>,
}

/// The trackers, as the session sees them.
#[derive(Debug, Clone, Default)]
pub struct Trackers {
    /// The torrent has a tracker bitsy can announce to.
    pub any: bool,
    /// Announces that failed in a row (0: the last one was answered).
    pub failures: u32,
    /// What the last failed announce said: each URL tried and its words
    /// (`url: error; url: error`).
    pub last_error: Option<String>,
}

/// One connected peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerState {
    pub addr: SocketAddr,
    /// It has a piece we want and lack.
    pub useful: bool,
    /// It chokes us, and has for this long; `None` while it unchokes us.
    pub choking_for: Option<Duration>,
    /// It held our requests and sent nothing for `SNUB_TIMEOUT`.
    pub snubbed: bool,
}

/// Wanted pieces we lack that no connected peer has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unavailable {
    pub count: u32,
    /// The lowest few of them ([`LISTED_PIECES`]).
    pub first: Vec<u32>,
}

/// Why the download is stuck, or slow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Diagnosis {
    /// A write to the disk failed.
    DiskError { error: String },
    /// No peer is connected and every tracker fails.
    TrackersFailing {
        failures: u32,
        error: String,
        dht_found: Option<usize>,
        private: bool,
    },
    /// No peer is connected, and none of the known addresses answers.
    NoPeers {
        trackers: bool,
        dht_found: Option<usize>,
        private: bool,
        candidates: usize,
        connecting: usize,
    },
    /// Peers are connected but none has a piece we still want.
    PiecesUnavailable { peers: usize, missing: Unavailable },
    /// Every peer with a piece we want chokes us, for at least `for_at_least`.
    AllChoking {
        choking: usize,
        for_at_least: Duration,
        snubbed: usize,
    },
    /// Every peer with a piece we want that unchokes us sends nothing.
    AllSnubbed { snubbed: usize, choking: usize },
    /// `--max-download-rate` is what sets the pace.
    RateLimited { limit: u64 },
    /// Stalled for `idle`, for no reason named above.
    Waiting { idle: Duration, working: usize },
}

/// Names the first cause that holds (see the module docs for the order);
/// `None` when nothing holds the download back.
pub fn diagnose(s: &Symptoms) -> Option<Diagnosis> {
    if let Some(error) = &s.disk_error {
        return Some(Diagnosis::DiskError {
            error: quote(error),
        });
    }
    if s.peers.is_empty() && s.web_seeds == 0 {
        return Some(alone(s));
    }
    if s.web_seeds == 0 && !s.peers.iter().any(|p| p.useful) && s.unavailable.count > 0 {
        return Some(Diagnosis::PiecesUnavailable {
            peers: s.peers.len(),
            missing: s.unavailable.clone(),
        });
    }
    if let Some(d) = stuck_peers(s) {
        return Some(d);
    }
    if let Some(limit) = s.rate_limit {
        return Some(Diagnosis::RateLimited { limit });
    }
    (s.idle >= STALL_AFTER).then(|| Diagnosis::Waiting {
        idle: s.idle,
        working: s.peers.iter().filter(|p| is_working(p)).count(),
    })
}

/// No peer and no web seed: the trackers, or nobody to connect to.
fn alone(s: &Symptoms) -> Diagnosis {
    if s.trackers.any && s.trackers.failures > 0 {
        return Diagnosis::TrackersFailing {
            failures: s.trackers.failures,
            error: quote(s.trackers.last_error.as_deref().unwrap_or("no answer")),
            dht_found: s.dht_found,
            private: s.private,
        };
    }
    Diagnosis::NoPeers {
        trackers: s.trackers.any,
        dht_found: s.dht_found,
        private: s.private,
        candidates: s.candidates,
        connecting: s.connecting,
    }
}

/// A peer that could be sending us data now.
fn is_working(p: &PeerState) -> bool {
    p.useful && p.choking_for.is_none() && !p.snubbed
}

/// Peers have pieces we want, and every one of them chokes us or is
/// snubbed (with a web seed at work, that one is working).
fn stuck_peers(s: &Symptoms) -> Option<Diagnosis> {
    let useful: Vec<&PeerState> = s.peers.iter().filter(|p| p.useful).collect();
    if useful.is_empty() || s.web_seeds > 0 || useful.iter().any(|p| is_working(p)) {
        return None;
    }
    let choking: Vec<Duration> = useful.iter().filter_map(|p| p.choking_for).collect();
    let snubbed = useful.len() - choking.len();
    if choking.len() >= snubbed {
        return Some(Diagnosis::AllChoking {
            choking: choking.len(),
            for_at_least: choking.iter().copied().min().unwrap_or_default(),
            snubbed,
        });
    }
    Some(Diagnosis::AllSnubbed {
        snubbed,
        choking: choking.len(),
    })
}

impl Diagnosis {
    /// A stable code for scripts: `disk_error`, `trackers_failing`,
    /// `no_peers`, `pieces_unavailable`, `all_choking`, `all_snubbed`,
    /// `rate_limited`, `waiting`.
    pub fn cause(&self) -> &'static str {
        match self {
            Diagnosis::DiskError { .. } => "disk_error",
            Diagnosis::TrackersFailing { .. } => "trackers_failing",
            Diagnosis::NoPeers { .. } => "no_peers",
            Diagnosis::PiecesUnavailable { .. } => "pieces_unavailable",
            Diagnosis::AllChoking { .. } => "all_choking",
            Diagnosis::AllSnubbed { .. } => "all_snubbed",
            Diagnosis::RateLimited { .. } => "rate_limited",
            Diagnosis::Waiting { .. } => "waiting",
        }
    }
}

/// `text`, cut to [`MAX_QUOTE_CHARS`].
fn quote(text: &str) -> String {
    match text.char_indices().nth(MAX_QUOTE_CHARS) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_string(),
    }
}

mod words;

#[cfg(test)]
mod tests;
