//! Fatal errors: the ones that end a command and reach `main`.
//!
//! A peer's misbehaviour is *not* here: it ends that peer's thread and
//! becomes a `Closed` event (see `channels`). Only what stops the whole job
//! is an [`Error`], and each kind has its own exit code so scripts can tell
//! a bad .torrent from a dead swarm.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Exit codes, documented in README.md.
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// Command-line usage error.
    pub const USAGE: u8 = 2;
    /// The .torrent file is unreadable or invalid.
    pub const BAD_TORRENT: u8 = 3;
    /// Every tracker failed or refused us.
    pub const TRACKER: u8 = 4;
    /// No peer could give us the data.
    pub const NO_PEERS: u8 = 5;
    /// A disk or other I/O error.
    pub const IO: u8 = 6;
    /// The data was checked and is incomplete (`bitsy verify`).
    pub const INCOMPLETE: u8 = 7;
    /// Stopped by Ctrl-C or SIGTERM before the job was done.
    pub const INTERRUPTED: u8 = 130;
}

/// An error that ends a command.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Bad command-line arguments.
    Usage(String),
    /// The .torrent file is invalid; the message names what is wrong.
    Torrent(String),
    /// Every tracker failed (retried until `--stall-timeout`, or none is
    /// usable) and no peer came; the message has the last tracker's words.
    Tracker(String),
    /// No peer is left and none can be found.
    NoPeers(String),
    /// An I/O error on a named path.
    Io { path: PathBuf, source: io::Error },
    /// An I/O error with a sentence of context (a socket, say).
    Other { context: String, source: io::Error },
    /// The data is not complete (`bitsy verify`).
    Incomplete(String),
    /// Ctrl-C or SIGTERM before a download completed (after it, being
    /// stopped is a normal end: see `cli`).
    Interrupted,
}

impl Error {
    /// An I/O error on a path.
    pub fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) => exit::USAGE,
            Error::Torrent(_) => exit::BAD_TORRENT,
            Error::Tracker(_) => exit::TRACKER,
            Error::NoPeers(_) => exit::NO_PEERS,
            Error::Io { .. } | Error::Other { .. } => exit::IO,
            Error::Incomplete(_) => exit::INCOMPLETE,
            Error::Interrupted => exit::INTERRUPTED,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(m) => write!(f, "{m}"),
            Error::Torrent(m) => write!(f, "bad torrent: {m}"),
            Error::Tracker(m) => write!(f, "tracker failed: {m}"),
            Error::NoPeers(m) => write!(f, "no peers: {m}"),
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::Other { context, source } => write!(f, "{context}: {source}"),
            Error::Incomplete(m) => write!(f, "incomplete: {m}"),
            Error::Interrupted => write!(
                f,
                "interrupted before the download completed (run it again to resume)"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } | Error::Other { source, .. } => Some(source),
            _ => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
