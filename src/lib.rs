//! bitsy: a small, synchronous BitTorrent client.
//!
//! # The threads and channels
//!
//! ```text
//!                      ┌──────────────── main thread (session) ───────────────┐
//!   tracker thread ◀──▶│ owns: piece picker, peers table, candidate addresses, │
//!   (HTTP announces)   │       choker, storage (the only writer, verified      │
//!                      │       pieces only), status line                       │
//!   listener thread ──▶│                                                       │
//!   (accept)           └───▲───────────────────────┬───────────────────────────┘
//!                          │ PeerEvent             │ PeerCommand (one channel per peer)
//!                          │ (one shared channel)  ▼
//!                ┌─────────┴──────┐  ┌────────────────┐  ┌────────────────┐
//!                │ peer thread 1  │  │ peer thread 2  │  │ peer thread N  │
//!                │ one TCP socket │  │                │  │                │
//!                └────────────────┘  └────────────────┘  └────────────────┘
//!                     reads verified blocks for upload through Arc<dyn PieceReader>
//! ```
//!
//! Every socket is blocking with timeouts; there is no async runtime. A
//! peer thread does socket I/O only: it frames and checks messages and
//! forwards them as events. The main thread decides everything: what to
//! request from whom, when a piece is complete, whether its hash matches,
//! what to write, whom to unchoke. Peer threads share no lock; a bad peer
//! ends its own thread and nothing else.
//!
//! # Reading order
//!
//! The modules below are listed in the order a download happens.

#![forbid(unsafe_code)]

pub mod error;
pub mod bencode;
pub mod geometry;
pub mod file_paths;
pub mod metainfo;
pub mod tracker;
pub mod wire;
pub mod channels;
pub mod peer;
pub mod picker;
pub mod storage;
pub mod rate;
pub mod choker;
pub mod listener;
pub mod progress;
pub mod session;
pub mod verify;
pub mod create;
pub mod tracker_server;
pub mod cli;
