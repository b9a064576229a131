//! bitsy: a small, synchronous BitTorrent client.
//!
//! # The threads and channels
//!
//! ```text
//!                      ┌──────────────── main thread (session) ───────────────┐
//!   tracker thread ◀──▶│ owns: piece picker, peers table, candidate addresses, │
//!   (HTTP, UDP)        │       choker, storage (the only writer, verified      │
//!                      │       pieces only), status line                       │
//!   dht thread     ◀──▶│ GetPeers (announcing our port) out, peers back        │
//!   (one UDP socket)   │                                                       │
//!   web seed threads ◀▶│ runs of pieces out (Fetch), whole pieces back, cut    │
//!   (≤ 2 per URL)      │ into blocks like a peer's                             │
//!   listener thread ──▶│                                                       │
//!   (accept)           │                                                       │
//!   hasher threads ◀──▶│ complete pieces out as Job, back as Verdict (with the │
//!   (1 to 4: SHA-1)    │ piece's bytes, which only the main thread writes)     │
//!   flusher thread ◀───│ every 32 MiB written, the files to push to the disk   │
//!   (fsync, then the   │ with the pieces written before them, saved as the     │
//!   resume state)      │ resume state once their files are synced              │
//!   stdout writer  ◀──▶│ -o -: verified pieces out in order, buffers back      │
//!   (stdout)           │                                                       │
//!                      └───▲───────────────────────┬───────────────────────────┘
//!                          │ PeerEvent             │ PeerCommand (one channel per peer)
//!                          │ (one shared channel)  ▼
//!                ┌─────────┴──────┐  ┌────────────────┐  ┌────────────────┐
//!                │ peer thread 1  │  │ peer thread 2  │  │ peer thread N  │
//!                │ one TCP socket │  │                │  │                │
//!                └────────────────┘  └────────────────┘  └────────────────┘
//!                     reads verified blocks for upload through Arc<dyn PieceReader>
//!                     receives blocks into buffers from a shared BlockPool (a
//!                     bounded channel): the main thread drops them, they go back;
//!                     hashes a piece whose blocks come in order on the way in
//! ```
//!
//! Every socket is blocking with timeouts; there is no async runtime. A
//! peer thread does socket I/O only: it frames and checks messages and
//! forwards them as events. The main thread decides everything: what to
//! request from whom, when a piece is complete, what to do about its
//! hash check, what to write, whom to unchoke. A peer thread that gets
//! a piece's blocks in order also hashes them as they arrive (they are in
//! its cache then) and hands the piece's SHA-1 over with its last block;
//! the hasher threads compute the SHA-1 of every other piece. Either way
//! the main thread never computes one; the flusher
//! only asks the kernel to put what the main thread wrote on the disk
//! (and then records it in the resume state), so the main thread does not
//! wait for that either; with `-o -` the stdout writer does the one write
//! that may block on a slow reader. Peer threads share no lock; a bad
//! peer ends its own thread and nothing else. The block pool is a channel
//! too: its 128 buffers are the budget of blocks on their way from the
//! sockets to the main thread.
//!
//! A magnet link adds one short phase before this picture (`metadata`):
//! the same shape in small, a coordinator on the main thread, a tracker
//! thread, a DHT thread and one thread per peer, until the info dictionary
//! has arrived and checked out.
//!
//! # Reading order
//!
//! The modules below are listed in the order a download happens, then the
//! other commands, which reuse its parts. Inside a folder (`wire/`,
//! `peer/`, `session/`, `storage/`, `tracker_server/`) the `mod` lines
//! follow the same rule: what comes first on the wire or in time first.

#![forbid(unsafe_code)]

// ── A download ─────────────────────────────────────────────────────────
// Names, randomness and SHA-1, which every layer uses.
pub mod ids;
pub mod rng;
pub mod hash;
pub mod error;
// The .torrent: untrusted bytes to checked types, once.
pub mod bencode;
pub mod geometry;
pub mod file_paths;
pub mod metainfo;
// Or a magnet link: only the infohash, the metadata comes from peers.
pub mod magnet;
// Finding peers.
pub mod tracker;
pub mod dht;
pub mod webseed;
// Talking to peers: the bytes, the messages between threads, the threads.
pub mod wire;
pub mod block_pool;
pub mod channels;
pub mod peer;
pub mod listener;
// A magnet link's first phase: the info dictionary from peers (BEP 9),
// through the tracker and peer parts above, into a checked `metainfo`.
pub mod metadata;
// Deciding on the main thread: what to ask for (of which files), whom to serve.
pub mod selection;
pub mod picker;
pub mod rate;
pub mod rate_limit;
pub mod memory_budget;
pub mod choker;
// Keeping verified pieces: the hash check on its own threads, then disk
// (or stdout, in order, for `-o -`).
pub mod hasher;
pub mod storage;
pub mod stream;
// The main thread that ties it together, and what it shows: the status
// line for people, the `--json` event stream for scripts.
pub mod json;
pub mod event_stream;
pub mod progress;
pub mod session;
// `--trace`: every message in and out, annotated (the describing is pure).
pub mod trace;

// ── The other commands ─────────────────────────────────────────────────
pub mod verify;
pub mod create;
pub mod tracker_server;
pub mod cli;
