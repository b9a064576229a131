//! Web seeds (BEP 19): plain HTTP(S) servers holding the torrent's files,
//! used as one more source of pieces.
//!
//! ```text
//!   main thread ──WebSeedCommand::Fetch{first, count}──▶ web seed thread
//!   web seed thread ──WebSeedEvent: Idle | Piece | Failed | Closed──▶ main
//! ```
//!
//! A web seed is to the session what a peer is: a `ConnId` per
//! connection (at most [`CONNECTIONS_PER_SEED`] per URL), pieces recorded
//! as requested by it in the picker, and whole pieces coming back that
//! go through the same hash check and blame as blocks from peers. The
//! main thread picks the pieces and alone writes them; the thread only
//! turns a run of pieces into range requests (`url`, `fetch`) and the
//! answers into pieces (`thread`).
//!
//! Contract, as in `channels`: a thread sends `Idle` when it wants work,
//! `Piece` for each whole piece fetched, `Failed` when a run ends early
//! (the pieces not sent are not coming; it then waits out its backoff
//! and sends `Idle` again), and `Closed` last, always (a `Drop` guard).
//!
//! Bounds: a connection holds at most one run of [`MAX_RUN_BYTES`] (or
//! one piece if pieces are larger), counted in the picker's budget; its
//! thread holds one piece buffer and one read buffer; the event channel
//! holds at most [`EVENT_QUEUE`] pieces.
//!
//! What it deliberately does not do: BEP 17 `httpseeds` (no server
//! software for it is left to test against), FTP, or upload.

pub mod fetch;
mod thread;
pub mod url;

pub(crate) use thread::{SeedContext, spawn};

use crate::geometry::PieceIndex;
use crate::ids::ConnId;
use fetch::FetchError;

/// Connections opened to one web seed URL: two keep a server busy while
/// the other connection's pieces are being verified, and are what a
/// browser would open. More would only be rude to a mirror.
pub const CONNECTIONS_PER_SEED: usize = 2;

/// The most bytes one web seed connection is asked for at once: 4 MiB,
/// about a second of a fast server, few requests per megabyte, and a
/// small share of the 32 MiB partial-piece budget.
pub const MAX_RUN_BYTES: u64 = 4 * 1024 * 1024;

/// Pieces waiting for the main thread, from all web seed threads: a full
/// queue makes the threads wait (and so stop reading from the server).
pub const EVENT_QUEUE: usize = 4;

/// Something a web seed thread tells the main thread.
#[derive(Debug)]
pub struct WebSeedEvent {
    pub conn: ConnId,
    pub kind: WebSeedEventKind,
}

#[derive(Debug)]
pub enum WebSeedEventKind {
    /// The thread has nothing to do: send it a run.
    Idle,
    /// One whole piece of the run, as the server sent it (not verified).
    Piece { piece: PieceIndex, data: Vec<u8> },
    /// The run ended early; the pieces not sent are not coming.
    Failed(FetchError),
    /// The thread is ending (last event).
    Closed,
}

/// Something the main thread tells a web seed thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebSeedCommand {
    /// Fetch `count` whole pieces from `first` on.
    Fetch { first: PieceIndex, count: u32 },
    /// End the thread (the web seed is dropped, or the session ends).
    Stop,
}
