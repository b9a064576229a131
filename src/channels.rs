//! The messages that cross between threads, and nothing else.
//!
//! ```text
//!   peer thread ──PeerEvent──▶ main thread ──PeerCommand──▶ peer thread
//! ```
//!
//! Every peer thread holds a clone of one `Sender<PeerEvent>`; the main
//! thread holds one `Sender<PeerCommand>` per peer. Nothing else is shared
//! between peers: no lock, no shared map. The only shared object is the
//! read-only [`PieceReader`] a peer thread uses to serve blocks we have
//! verified (reading is safe from any thread; only the main thread writes).
//!
//! Ordering rules both sides rely on:
//! - `Closed` is the last event a peer thread sends; after it the main
//!   thread forgets the connection and takes back its requests.
//! - A peer thread drops a `Request` command that arrives while the peer
//!   chokes us, unless the peer made the piece allowed fast (BEP 6; the
//!   thread records it before sending `AllowedFast`): the main thread
//!   takes back everything it assigned to a peer when it sees `Choke`, so
//!   the two views agree.

use crate::block_pool::{BlockBuf, BlockPool};
use crate::geometry::{BlockRef, Geometry, PieceIndex};
use crate::hash::SHA1_LEN;
use crate::ids::{ConnId, InfoHash, PeerId};
use crate::trace::Trace;
use crate::wire::bitfield::Bitfield;
use crate::wire::ext_handshake::ClientName;
use crate::wire::ut_pex::PexMessage;
use crossbeam_channel::Sender;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

/// Something a peer thread tells the main thread.
#[derive(Debug)]
pub struct PeerEvent {
    pub conn: ConnId,
    pub kind: PeerEventKind,
}

#[derive(Debug)]
pub enum PeerEventKind {
    /// The handshake is done; messages may follow. `fast`: both sides
    /// set BEP 6's bit.
    Ready {
        addr: SocketAddr,
        peer_id: PeerId,
        fast: bool,
    },
    /// The peer's full piece set: its first bitfield, or a later one that
    /// replaces it (aria2 sends a second one mid-connection), or BEP 6's
    /// `have all` (full) / `have none` (empty).
    Bitfield(Bitfield),
    /// The peer has one more piece.
    Have(PieceIndex),
    /// The peer choked us: everything we asked it for is void.
    Choke,
    /// The peer unchoked us: we may request.
    Unchoke,
    /// The peer wants pieces we have.
    Interested,
    /// The peer wants nothing from us.
    NotInterested,
    /// A block we requested (and had not cancelled) arrived. `digest`:
    /// the SHA-1 of the whole piece, when this block ends it and every
    /// block of the piece came through this connection once, in order
    /// (`peer/running_hash.rs`); the session then needs no hash check of
    /// its own if it stored exactly these blocks.
    Block {
        block: BlockRef,
        data: BlockBuf,
        digest: Option<[u8; SHA1_LEN]>,
    },
    /// BEP 6: the peer will not send a block we requested (the request is
    /// over, in the peer thread too).
    Reject(BlockRef),
    /// BEP 6: the peer will serve this piece even while it chokes us; we
    /// may request it then. Sent once per piece.
    AllowedFast(PieceIndex),
    /// We sent the peer blocks of this many bytes in all (one event per
    /// batch of up to 64 blocks).
    Uploaded { bytes: u32 },
    /// The peer's extended handshake (BEP 10), its first or a later one:
    /// each field it carried replaces the one before, absent ones keep it.
    /// Its `m` ids stay with the peer thread, which sends the messages.
    Extended {
        /// `v`: the peer's client name and version.
        client: Option<ClientName>,
        /// `p`: the port it listens on (what PEX tells others of it).
        listen_port: Option<u16>,
        /// `reqq`: requests it queues; our pipeline to it stays within.
        reqq: Option<u16>,
        /// Its `m` so far lists `ut_pex` (BEP 11), and the torrent allows
        /// it: `PeerCommand::Pex` reaches the peer.
        pex: bool,
    },
    /// The peer's DHT node listens on this UDP port (BEP 5's `port`
    /// message); passed on only while our own node runs.
    DhtPort(u16),
    /// A `ut_pex` message (BEP 11) the peer thread let through: at most
    /// one a minute, never for a private torrent.
    Pex(PexMessage),
    /// The connection is over (last event from this thread). `reason` is
    /// a plain sentence for the log; `misbehaved` is true when the peer
    /// broke the protocol (it will not be reconnected).
    Closed { reason: String, misbehaved: bool },
}

/// Something the main thread tells a peer thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerCommand {
    /// Ask the peer for a block (sent only while the peer unchokes us).
    Request(BlockRef),
    /// We no longer want a block we asked for (endgame, or a slow peer).
    Cancel(BlockRef),
    /// Our interest in the peer changed.
    Interested(bool),
    /// We verified a piece: tell the peer, and start serving it.
    Have(PieceIndex),
    /// Choke (`true`) or unchoke (`false`) the peer: our upload decision.
    /// Choking discards the peer's queued requests (BEP 6: rejects them,
    /// and keeps those for its allowed-fast pieces).
    Choke(bool),
    /// Send a `ut_pex` message (BEP 11); dropped if the peer does not
    /// take them.
    Pex(PexMessage),
    /// `--max-upload-rate`: serve at most this many bytes of blocks
    /// until the next budget, which replaces this one (a block is sent
    /// whole while any budget is left). Never sent without a limit: a
    /// thread serves freely until its first budget, so with one the
    /// session sends a budget of 0 as its first command. See
    /// `session/rate_limit.rs`.
    UploadBudget(u64),
    /// Close the connection (the thread sends `Closed` and ends).
    Close,
}

/// Reads verified data for upload. Implemented by `storage`; peer threads
/// hold it behind an `Arc` and may call it concurrently.
pub trait PieceReader: Send + Sync {
    /// Fills `out` (of `block.len` bytes) with the block's data.
    fn read_block(&self, block: BlockRef, out: &mut [u8]) -> io::Result<()>;
}

/// What every peer thread of one torrent shares, read-only.
pub struct PeerContext {
    pub info_hash: InfoHash,
    pub our_id: PeerId,
    pub geometry: Geometry,
    /// Where to read blocks we serve.
    pub reader: Arc<dyn PieceReader>,
    /// Where to send events.
    pub events: Sender<PeerEvent>,
    /// The port we listen on, for our extended handshake's `p`.
    pub listen_port: u16,
    /// The torrent's raw info dictionary, served to peers that ask for
    /// it (BEP 9); its length is our extended handshake's
    /// `metadata_size`. `None` while we do not have it (then requests
    /// are rejected).
    pub metadata: Option<Arc<[u8]>>,
    /// The torrent is private (BEP 27): no `ut_pex` either way.
    pub private: bool,
    /// The UDP port of our DHT node (BEP 5), while one runs: our
    /// handshake sets the DHT bit, and a peer that sets it too gets a
    /// `port` message.
    pub dht_port: Option<u16>,
    /// Buffers for received blocks (and their budget), back in the pool
    /// once the main thread has copied them into their piece.
    pub blocks: BlockPool,
    /// `--trace`: each message in and out, one line on stderr.
    pub trace: Trace,
}
