//! The command line: what the user typed, turned into a [`Command`] and
//! run.
//!
//! ```text
//!   args ──parse──▶ Command ──run──▶ session / create / verify / tracker
//!          (value: each option's text to its type; usage: the help texts)
//! ```
//!
//! - `parse` finds the command word wherever it is, takes the options
//!   (before or after the other arguments, `--opt value` or
//!   `--opt=value`), then the positional arguments, and refuses anything
//!   left over by name (`args` does the taking). It does no I/O, so it is
//!   tested without a network.
//! - `value` parses each option's value once, at this edge; an error
//!   names the option, what it expected and what it got.
//! - `usage` holds the help texts, one per command; README.md says the
//!   same for people reading on the web.
//! - `source` tells a .torrent file from an `http(s)://` URL, once;
//!   `fetch` fetches a URL's .torrent, with bounds.
//! - `run` runs a command; `summary` words the last line a transfer
//!   prints; `stream` runs a download to stdout (`-o -`).
//!
//! Exit codes are in `error::exit`. The rule for Ctrl-C and SIGTERM, in
//! one place: they end a job normally (exit 0) once the data is complete
//! (`seed`, `tracker`, a `download` that finished and is seeding); a
//! `download` stopped before it completed exits 130. A second signal
//! exits at once with 130.

mod args;
mod dht;
mod fetch;
mod magnet_job;
mod parse;
mod run;
mod select;
mod source;
mod stream;
mod summary;
mod usage;
mod value;

pub use parse::parse;
pub use run::{run, stop_flag};
pub use source::TorrentSource;
pub use usage::USAGE;

use crate::create::CreateOptions;
use crate::selection::Select;
use crate::session::Config;
use crate::tracker_server::TrackerConfig;
use std::path::PathBuf;

/// A parsed command line.
#[derive(Debug, Clone)]
pub enum Command {
    /// `bitsy download FILE.torrent|URL` (or `bitsy FILE.torrent`).
    Download {
        torrent: TorrentSource,
        out: PathBuf,
        config: Config,
    },
    /// `bitsy seed FILE.torrent PATH`.
    Seed {
        torrent: PathBuf,
        data: PathBuf,
        config: Config,
    },
    /// `bitsy create PATH ... -o OUT.torrent`.
    Create {
        opts: CreateOptions,
        out: PathBuf,
        quiet: bool,
    },
    /// `bitsy verify FILE.torrent PATH`.
    Verify {
        torrent: PathBuf,
        data: PathBuf,
        quiet: bool,
        /// `--select`: check only these files.
        select: Option<Select>,
    },
    /// `bitsy info FILE.torrent|URL`.
    Info(TorrentSource),
    /// `bitsy tracker`.
    Tracker(TrackerConfig),
    /// `bitsy dht get-peers INFOHASH`: one DHT lookup, hop by hop.
    DhtGetPeers {
        info_hash: crate::ids::InfoHash,
        /// `--dht-bootstrap HOST:PORT`, as typed (resolved when run).
        bootstrap: Vec<String>,
        port: u16,
        /// `--trace`: every KRPC message, annotated, on stderr.
        trace: crate::trace::Trace,
    },
    /// `bitsy --help`, or `bitsy help COMMAND` / `bitsy COMMAND --help`.
    Help(Option<Topic>),
    /// `bitsy --version`.
    Version,
}

/// A command, by name: what `help` and error messages talk about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    Download,
    Seed,
    Create,
    Verify,
    Info,
    Tracker,
    Dht,
}

impl Topic {
    /// Every command, in the order the general help lists them.
    pub const ALL: [Topic; 7] = [
        Topic::Download,
        Topic::Seed,
        Topic::Create,
        Topic::Verify,
        Topic::Info,
        Topic::Tracker,
        Topic::Dht,
    ];

    /// The word typed on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Topic::Download => "download",
            Topic::Seed => "seed",
            Topic::Create => "create",
            Topic::Verify => "verify",
            Topic::Info => "info",
            Topic::Tracker => "tracker",
            Topic::Dht => "dht",
        }
    }

    /// The command named `word`, if there is one.
    pub fn from_name(word: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|t| t.name() == word)
    }
}

#[cfg(test)]
mod tests;
