//! `--json`: the machine-readable event stream (NDJSON on stdout).
//!
//! Each [`Event`] becomes one line, one JSON object:
//!
//! ```text
//! {"v":1,"event":"progress","t":3.002,"have":1048576,...}
//!   v      the schema version, [`SCHEMA_VERSION`]
//!   event  the event's name (`start`, `metadata`, `tracker`, ...)
//!   t      seconds since bitsy started, millisecond precision
//!   ...    the event's own fields (README.md, "Events for scripts")
//! ```
//!
//! The version rule: within version 1, fields and events may be added,
//! never removed, renamed or given another meaning. A consumer ignores
//! what it does not know.
//!
//! [`EventStream`] is the one owner of the stream: it writes each line
//! whole, in one `write_all`, and flushes it, so a reader sees every event
//! as it happens. It is owned by `progress::Progress`, which everything
//! that talks to the user already holds, so the session and the metadata
//! phase emit events where they emit messages.
//!
//! Invariants:
//! - stdout carries only these lines while `--json` is on.
//! - `t` never decreases (it is read from one monotonic clock).
//! - A failed write (stdout closed, disk full) ends the stream quietly:
//!   nothing panics and the download goes on; later events are dropped.
//!
//! What it deliberately does not do: buffer events, read anything, or
//! decide when to emit (the callers do; `Progress` paces `progress` to
//! once a second).

use crate::metainfo::Metainfo;
use crate::progress::Status;
use crate::tracker::AnnounceOutcome;
use std::io::Write;
use std::net::SocketAddr;
use std::path::Component;
use std::time::{Duration, Instant};

/// The schema version every line carries as `"v"`.
pub const SCHEMA_VERSION: u64 = 1;

/// Which side opened a peer connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The peer connected to us.
    In,
    /// We connected to the peer.
    Out,
}

/// One file of the torrent, as the `metadata` event lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    /// Relative path with `/` between components.
    pub path: String,
    pub size: u64,
}

/// One event of the stream. Each variant is one `"event"` name.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The first line: what runs.
    Start {
        /// `download` or `seed`.
        command: &'static str,
        /// The .torrent path, URL or magnet link, as given.
        source: String,
    },
    /// The info dictionary is known (at once for a .torrent, after the
    /// metadata phase for a magnet link).
    Metadata {
        info_hash: [u8; 20],
        name: String,
        size: u64,
        piece_length: u64,
        pieces: u32,
        /// Every file but BEP 47 pad files, in torrent order.
        files: Vec<FileInfo>,
    },
    /// One announce's outcome.
    Tracker {
        /// The tracker that answered; `None` when every one failed (the
        /// error names the last one tried).
        url: Option<String>,
        outcome: TrackerResult,
    },
    /// A peer completed the handshake.
    PeerConnected {
        addr: SocketAddr,
        direction: Direction,
        /// Where the address came from (`tracker`, `dht`, `pex`, `given`,
        /// `incoming`), when known.
        source: Option<&'static str>,
    },
    /// A connection ended (`connected`: it had completed the handshake,
    /// so a `peer_connected` came before).
    PeerClosed {
        addr: SocketAddr,
        reason: String,
        connected: bool,
        /// The peer broke the protocol or sent bad data; it is not
        /// reconnected.
        misbehaved: bool,
    },
    /// The transfer's figures, once a second.
    Progress(Status),
    /// A piece failed its hash check.
    HashFailed {
        piece: u32,
        /// Who sent its blocks: peer addresses and web seed URLs.
        from: Vec<String>,
    },
    /// Why the download is stuck (the stall doctor; see
    /// `Progress::stall`, which writes one when the diagnosis changes).
    Stall {
        /// A stable snake_case code, e.g. `no_peers`, `all_choking`: a
        /// constant of the code, never text from a peer or tracker.
        cause: &'static str,
        /// The same in plain words, with what would help.
        text: String,
    },
    /// The job ended well (the last line of a run that exits 0).
    Done {
        downloaded: u64,
        uploaded: u64,
        /// Bytes found on disk and kept.
        reused: u64,
        seconds: Duration,
        /// Start to the last piece, if the download completed in this run.
        download_seconds: Option<Duration>,
    },
    /// The job failed (the last line of a run that exits non-zero).
    Error { message: String, exit_code: u8 },
}

/// What a tracker said.
#[derive(Debug, Clone, PartialEq)]
pub enum TrackerResult {
    Ok {
        peers: usize,
        interval: Duration,
        seeders: Option<u32>,
        leechers: Option<u32>,
    },
    Failed {
        error: String,
    },
}

impl Event {
    /// The `metadata` event of a torrent.
    pub fn metadata(meta: &Metainfo) -> Event {
        let files = meta
            .files
            .iter()
            .filter(|f| !f.pad)
            .map(|f| FileInfo {
                path: slash_path(&f.path),
                size: f.length,
            })
            .collect();
        Event::Metadata {
            info_hash: meta.info_hash,
            name: meta.name.clone(),
            size: meta.geometry.total_len(),
            piece_length: meta.geometry.nominal_piece_len(),
            pieces: meta.geometry.num_pieces(),
            files,
        }
    }

    /// The `tracker` event of an announce's outcome.
    pub fn tracker(out: &AnnounceOutcome) -> Event {
        match out {
            AnnounceOutcome::Ok { url, response } => Event::Tracker {
                url: Some(url.clone()),
                outcome: TrackerResult::Ok {
                    peers: response.peers.len(),
                    interval: response.interval,
                    seeders: response.seeders,
                    leechers: response.leechers,
                },
            },
            AnnounceOutcome::Failed { message } => Event::Tracker {
                url: None,
                outcome: TrackerResult::Failed {
                    error: message.clone(),
                },
            },
        }
    }

    /// The `"event"` name.
    pub fn name(&self) -> &'static str {
        match self {
            Event::Start { .. } => "start",
            Event::Metadata { .. } => "metadata",
            Event::Tracker { .. } => "tracker",
            Event::PeerConnected { .. } => "peer_connected",
            Event::PeerClosed { .. } => "peer_closed",
            Event::Progress(_) => "progress",
            Event::HashFailed { .. } => "hash_failed",
            Event::Stall { .. } => "stall",
            Event::Done { .. } => "done",
            Event::Error { .. } => "error",
        }
    }
}

/// A relative path with `/` between its components, whatever the
/// platform (the paths were checked by `file_paths`; a name that is not
/// UTF-8 is shown with U+FFFD).
fn slash_path(path: &std::path::Path) -> String {
    let parts: Vec<String> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    parts.join("/")
}

/// The writer of the stream: one line per event, flushed.
pub struct EventStream {
    out: Box<dyn Write + Send>,
    started: Instant,
    /// A write failed: the stream is over.
    broken: bool,
}

impl EventStream {
    /// The stream on stdout; `t` counts from now.
    pub fn stdout() -> EventStream {
        EventStream::to(Box::new(std::io::stdout()))
    }

    /// The stream into any writer (tests use a shared buffer).
    pub fn to(out: Box<dyn Write + Send>) -> EventStream {
        EventStream {
            out,
            started: Instant::now(),
            broken: false,
        }
    }

    /// Writes one event as one line and flushes it. A failed write ends
    /// the stream (see the module docs).
    pub fn emit(&mut self, ev: &Event) {
        if self.broken {
            return;
        }
        let mut line = ev.line(self.started.elapsed());
        line.push('\n');
        // One write_all: stdout's lock is taken once, so the line is
        // never interleaved with another writer's.
        let written = self
            .out
            .write_all(line.as_bytes())
            .and_then(|()| self.out.flush());
        if written.is_err() {
            self.broken = true;
        }
    }

    /// True once a write has failed.
    pub fn is_broken(&self) -> bool {
        self.broken
    }
}

mod line;

#[cfg(test)]
pub(crate) mod tests;
