//! Peer connections: one OS thread per peer, doing that peer's socket I/O.
//!
//! ```text
//!  spawn_outgoing: connect ─▶ send handshake ─▶ read handshake ─┐
//!  spawn_incoming:            read handshake ─▶ send handshake ─┤
//!                                                               ▼
//!      Ready ─▶ our extended handshake (if the peer set BEP 10's bit)
//!            ─▶ our piece set (bitfield, or BEP 6's have all / have none)
//!            ─▶ loop { commands, serve, read }
//!                                                               │
//!                                                   Closed (always last)
//! ```
//!
//! A peer thread owns its socket and its small state (who chokes whom, the
//! requests in flight, the peer's queued requests) and nothing else. It
//! tells the main thread what happened through `PeerEvent`s and does what
//! it is told through `PeerCommand`s (see `channels` for the ordering
//! rules). It never decides what to download or whom to unchoke, and it
//! never writes to disk.
//!
//! Invariants:
//! - exactly one `Closed` event is sent, and it is the last event, on every
//!   exit path (a normal end, a protocol error, even a panic: see `Closer`);
//! - every socket has a connect, read and write timeout; no loop spins
//!   without blocking in a read;
//! - memory per connection is bounded whatever the peer sends: one frame
//!   buffer of `frame::max_frame_len` bytes, the decoded message (never
//!   larger), at most `MAX_UPLOAD_QUEUE` queued block references, and one
//!   reused write buffer of a block; and nothing a peer sends can panic it.
//!
//! Commands that arrive while the thread is still connecting or reading the
//! handshake wait until the handshake is done (at most
//! [`CONNECT_TIMEOUT`] + [`HANDSHAKE_TIMEOUT`]).

mod connect;
mod connection;

pub(crate) use connect::dial;
mod requests;
mod running_hash;
mod upload;

use crate::channels::{PeerCommand, PeerContext, PeerEvent, PeerEventKind};
use crate::ids::ConnId;
use crate::wire::bitfield::Bitfield;
use crate::wire::frame::FrameReader;
use crate::wire::handshake::Handshake;
use crate::wire::message::Message;
use crossbeam_channel::Receiver;
use std::io;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// How long to wait for a TCP connection. Reachable peers answer within a
/// second or two; unreachable ones (firewalled, behind NAT) never answer,
/// and waiting longer only holds a connection slot.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long the peer may take to send its handshake. Real clients answer
/// at once; one that is silent for 10 s is not a BitTorrent peer (or is
/// waiting for an encrypted handshake we do not speak).
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long one write may block. A peer whose receive window stays shut
/// for 30 s cannot take even one 16 KiB block from us; we drop it rather
/// than let it stall this thread's commands.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// The read timeout while idle: the longest a command (request, cancel,
/// choke) waits before the thread sees it. 100 ms is well under one
/// round trip to most peers, yet wakes an idle thread only 10 times a
/// second. While data flows, reads return at once and this does not apply.
pub const TICK: Duration = Duration::from_millis(100);

/// The read timeout right after messages from the peer were forwarded to
/// the main thread. Its answer (the next `request`s after a block,
/// `interested` after a bitfield, an unchoke after `interested`) is due
/// within microseconds, but this thread only sees commands between reads:
/// a `TICK`-long read would hold them back, draining the pipeline or
/// adding 100 ms to each step of a connection's start. So reads stay this
/// short (in fact one kernel tick, up to 4 ms) until a command arrives,
/// or for at most `ANSWER_WAIT_LIMIT` when the main thread has nothing to
/// say.
pub const ANSWER_TICK: Duration = Duration::from_millis(1);

/// How long reads stay short after a message when no command follows.
pub const ANSWER_WAIT_LIMIT: Duration = Duration::from_millis(50);

/// Send a keep-alive after this long without writing. BEP 3 notes
/// keep-alives are usually sent every two minutes, and many clients time
/// out a silent peer after that; 90 s keeps us well inside it.
pub const KEEPALIVE_AFTER: Duration = Duration::from_secs(90);

/// Drop a peer that has sent nothing, not even a keep-alive, for this long:
/// one and a half of the usual two-minute keep-alive periods.
pub const RECEIVE_LIMIT: Duration = Duration::from_secs(180);

/// Requests the peer may have queued with us. Only the block reference is
/// queued (16 bytes; data is read when served), so this costs 32 KiB at
/// most. It must exceed the deepest pipeline a real client uses without
/// asking: libtorrent keeps up to 500 requests in flight to a fast peer,
/// and a request we ignore is never answered, so a small bound stalls it.
pub const MAX_UPLOAD_QUEUE: usize = 2048;

pub use connection::ALLOWED_FAST_K;

/// Invalid requests (out of range, a piece we lack) tolerated before the
/// peer is dropped. A correct peer sends none; a few allow for bugs.
pub const MAX_BAD_REQUESTS: u32 = 32;

/// Blocks served per turn of the loop before the socket is looked at
/// again (commands are looked at between blocks). While serving, that
/// look does not wait, so the batch only sets how often: 64 blocks (1 MiB)
/// keeps the two `ioctl`s around the read rare.
const SERVE_BATCH: usize = 64;

/// Starts a thread that connects to `addr` and runs the connection.
/// If the thread cannot be started, nothing is sent on `ctx.events`.
pub fn spawn_outgoing(
    ctx: Arc<PeerContext>,
    conn: ConnId,
    addr: SocketAddr,
    our_pieces: Bitfield,
    cmds: Receiver<PeerCommand>,
) -> io::Result<JoinHandle<()>> {
    thread::Builder::new()
        .name(format!("peer-{addr}"))
        .spawn(move || {
            let closer = Closer::new(&ctx, conn);
            let close = match connect::outgoing(&ctx, addr) {
                Ok((stream, theirs)) => {
                    session(&ctx, conn, stream, addr, &theirs, our_pieces, cmds)
                }
                Err(close) => close,
            };
            closer.close(close);
        })
}

/// Starts a thread that runs an accepted connection (the peer speaks first).
/// Fails, sending nothing, if the socket has no peer address or the thread
/// cannot be started.
pub fn spawn_incoming(
    ctx: Arc<PeerContext>,
    conn: ConnId,
    stream: TcpStream,
    our_pieces: Bitfield,
    cmds: Receiver<PeerCommand>,
) -> io::Result<JoinHandle<()>> {
    let addr = stream.peer_addr()?;
    thread::Builder::new()
        .name(format!("peer-{addr}"))
        .spawn(move || {
            let closer = Closer::new(&ctx, conn);
            let close = match connect::incoming(&ctx, stream, addr) {
                Ok((stream, theirs)) => {
                    session(&ctx, conn, stream, addr, &theirs, our_pieces, cmds)
                }
                Err(close) => close,
            };
            closer.close(close);
        })
}

/// After the handshake: announce the peer, then run the message loop.
fn session(
    ctx: &PeerContext,
    conn: ConnId,
    stream: TcpStream,
    addr: SocketAddr,
    theirs: &Handshake,
    our_pieces: Bitfield,
    cmds: Receiver<PeerCommand>,
) -> Close {
    // Ours always sets the Fast bit, so theirs decides (BEP 6).
    let fast = theirs.supports_fast();
    let ready = PeerEventKind::Ready {
        addr,
        peer_id: theirs.peer_id,
        fast,
    };
    if ctx.events.send(PeerEvent { conn, kind: ready }).is_err() {
        return Close::quiet("the session has stopped");
    }
    let mut c = connection::Connection::new(ctx, conn, stream, our_pieces, cmds);
    c.peer_extended = theirs.supports_extensions();
    c.peer_dht = theirs.supports_dht();
    c.fast = fast;
    c.run()
}

/// Why a connection ended: the contents of the `Closed` event.
#[derive(Debug)]
pub(crate) struct Close {
    reason: String,
    misbehaved: bool,
}

impl Close {
    /// The sentence for the log.
    pub(crate) fn reason(&self) -> &str {
        &self.reason
    }

    /// True when the peer broke the protocol.
    pub(crate) fn is_misbehaved(&self) -> bool {
        self.misbehaved
    }

    /// The connection ended without fault of the peer (it may be retried).
    pub(crate) fn quiet(reason: impl Into<String>) -> Self {
        Close {
            reason: reason.into(),
            misbehaved: false,
        }
    }

    /// The peer broke the protocol (it will not be retried).
    pub(crate) fn misbehaved(reason: impl Into<String>) -> Self {
        Close {
            reason: reason.into(),
            misbehaved: true,
        }
    }

    /// A socket error while doing `what`.
    pub(crate) fn io(what: &str, err: &io::Error) -> Self {
        match err.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                Close::quiet(format!("{what}: timed out"))
            }
            io::ErrorKind::UnexpectedEof => {
                Close::quiet(format!("{what}: peer closed the connection"))
            }
            _ => Close::quiet(format!("{what}: {err}")),
        }
    }
}

/// One read of whatever has arrived into `frames`, within the socket's
/// read timeout: `Ok(true)` if bytes came, `Ok(false)` if none did in
/// time. The peer threads and the metadata fetch threads share it.
pub(crate) fn read_some(frames: &mut FrameReader, stream: &mut TcpStream) -> Result<bool, Close> {
    match frames.read_from(stream) {
        Ok(0) => Err(Close::quiet("the peer closed the connection")),
        Ok(_) => Ok(true),
        Err(e) => match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted => {
                Ok(false)
            }
            _ => Err(Close::io("reading", &e)),
        },
    }
}

/// The next complete message in `frames`, if one has arrived; an
/// oversized or malformed frame is the peer's fault. A `piece` block goes
/// into the buffer `piece_buf` gives (called only for a `piece` long
/// enough for its header, see [`Message::is_piece`]).
pub(crate) fn next_message(
    frames: &mut FrameReader,
    piece_buf: impl FnOnce() -> Vec<u8>,
) -> Result<Option<Message>, Close> {
    match frames.next_frame() {
        Ok(None) => Ok(None),
        Ok(Some(frame)) => if Message::is_piece(frame) {
            Message::decode_reusing(frame, piece_buf())
        } else {
            Message::decode(frame)
        }
        .map(Some)
        .map_err(|e| Close::misbehaved(e.to_string())),
        Err(too_long) => Err(Close::misbehaved(too_long.to_string())),
    }
}

/// Sends the one `Closed` event. If the thread unwinds before
/// [`Closer::close`] runs, `Drop` sends it instead, so the main thread
/// always learns the connection is gone.
struct Closer {
    events: crossbeam_channel::Sender<PeerEvent>,
    conn: ConnId,
    sent: bool,
}

impl Closer {
    fn new(ctx: &PeerContext, conn: ConnId) -> Self {
        Closer {
            events: ctx.events.clone(),
            conn,
            sent: false,
        }
    }

    fn send(&mut self, close: Close) {
        self.sent = true;
        // If the main thread is gone there is nobody left to tell.
        let _ = self.events.send(PeerEvent {
            conn: self.conn,
            kind: PeerEventKind::Closed {
                reason: close.reason,
                misbehaved: close.misbehaved,
            },
        });
    }

    fn close(mut self, close: Close) {
        self.send(close);
    }
}

impl Drop for Closer {
    fn drop(&mut self) {
        if !self.sent {
            self.send(Close::quiet("the peer thread stopped unexpectedly"));
        }
    }
}
