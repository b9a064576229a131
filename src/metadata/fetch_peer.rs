//! One peer of the metadata fetch: a thread that asks one peer for
//! metadata pieces, as the coordinator tells it.
//!
//! ```text
//!  dial + BEP 3 handshake (peer::dial: infohash, not ourselves)
//!   ─▶ the peer must set BEP 10's bit, else quiet close
//!   ─▶ our extended handshake: m = {ut_metadata: 1}, p, v; no metadata_size
//!   ─▶ wait ≤ HANDSHAKE_TIMEOUT for theirs: ut_metadata id and a
//!      metadata_size in 1..=10 MiB, else close  ─▶ Offer(size)
//!   ─▶ loop { commands: Request(piece) → `request`;
//!             frames: `data` checked against the size → Piece,
//!                     `reject` → Rejected, everything else skipped }
//!   ─▶ Closed (always last, even on a panic)
//! ```
//!
//! The thread owns its socket and the few pieces it asked for; the
//! coordinator owns every decision (which piece, when to give up on it).
//! A piece is forwarded only if this thread asked for it and it fits
//! the size the peer announced exactly (`MetadataSize::check_data`);
//! a misfit drops the peer as misbehaving.
//!
//! Bounds: one frame buffer sized for the largest legitimate message
//! (a bitfield of a 10 MiB dictionary's torrent, [`MAX_BITFIELD_LEN`]),
//! at most `PER_PEER_IN_FLIGHT` pieces asked, reads of at most
//! `peer::TICK`, and `peer::RECEIVE_LIMIT` of silence. The thread ends
//! when the coordinator drops its command channel.

use crate::ids::{ConnId, InfoHash, PeerId};
use crate::peer::{self, Close, HANDSHAKE_TIMEOUT, KEEPALIVE_AFTER, RECEIVE_LIMIT, TICK};
use crate::trace::{self, Dir, Trace};
use crate::wire::ext_handshake::{ClientName, ExtHandshake, MAX_METADATA_SIZE};
use crate::wire::extended::{Extension, HANDSHAKE_ID};
use crate::wire::frame::{FrameReader, max_frame_len};
use crate::wire::handshake::Handshake;
use crate::wire::message::Message;
use crate::wire::ut_metadata::{MetadataMsg, MetadataSize};
use crossbeam_channel::{Receiver, Sender, TryRecvError};
use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread::{self, JoinHandle};
use std::time::Instant;

/// The largest bitfield a peer may send during the fetch: we do not know
/// the torrent yet, so that of the largest torrent a 10 MiB dictionary
/// can describe (20 bytes of hash a piece, one bit each): 65,536 bytes.
/// Frames are bounded by `max_frame_len` of it (a 1 MiB one is refused
/// by its length prefix).
pub const MAX_BITFIELD_LEN: usize = (MAX_METADATA_SIZE as usize / 20).div_ceil(8);

/// What one fetch thread tells the coordinator.
#[derive(Debug)]
pub struct FetchEvent {
    pub conn: ConnId,
    pub kind: FetchEventKind,
}

#[derive(Debug)]
pub enum FetchEventKind {
    /// The peer offers metadata of this size.
    Offer(MetadataSize),
    /// A piece we asked for, its length already checked.
    Piece { piece: u32, data: Vec<u8> },
    /// The peer rejected a piece we asked for.
    Rejected { piece: u32 },
    /// The thread ended (last event). `misbehaved`: do not come back.
    Closed { reason: String, misbehaved: bool },
}

/// What the coordinator tells one fetch thread. Dropping the sender
/// closes the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchCommand {
    /// Ask for this piece (below the offered size's piece count).
    Request(u32),
}

/// Who we are, for the handshakes.
#[derive(Debug, Clone, Copy)]
pub struct Identity {
    pub info_hash: InfoHash,
    pub our_id: PeerId,
    pub listen_port: u16,
    /// `--trace`: each message in and out, one line on stderr.
    pub trace: Trace,
}

/// Starts the thread for `addr`.
pub fn spawn(
    me: Identity,
    conn: ConnId,
    addr: SocketAddr,
    events: Sender<FetchEvent>,
    cmds: Receiver<FetchCommand>,
) -> io::Result<JoinHandle<()>> {
    thread::Builder::new()
        .name(format!("metadata-{addr}"))
        .spawn(move || {
            let mut closed = Closed {
                events,
                conn,
                sent: false,
            };
            let close = match run(me, conn, addr, &closed.events, cmds) {
                Ok(never) => match never {},
                Err(close) => close,
            };
            closed.send(close.reason(), close.is_misbehaved());
        })
}

/// Sends the one `Closed`; from `Drop` if the thread unwinds first.
struct Closed {
    events: Sender<FetchEvent>,
    conn: ConnId,
    sent: bool,
}

impl Closed {
    fn send(&mut self, reason: &str, misbehaved: bool) {
        self.sent = true;
        let kind = FetchEventKind::Closed {
            reason: reason.to_string(),
            misbehaved,
        };
        // The coordinator may be gone (the fetch is over): nobody to tell.
        let _ = self.events.send(FetchEvent {
            conn: self.conn,
            kind,
        });
    }
}

impl Drop for Closed {
    fn drop(&mut self) {
        if !self.sent {
            self.send("the metadata thread stopped unexpectedly", false);
        }
    }
}

fn run(
    me: Identity,
    conn: ConnId,
    addr: SocketAddr,
    events: &Sender<FetchEvent>,
    cmds: Receiver<FetchCommand>,
) -> Result<std::convert::Infallible, Close> {
    let ours = Handshake::new(me.info_hash, me.our_id);
    let (stream, theirs) = peer::dial(&ours, addr, me.trace)?;
    if !theirs.supports_extensions() {
        return Err(Close::quiet("the peer does not speak BEP 10"));
    }
    let mut p = FetchPeer {
        conn,
        addr,
        trace: me.trace,
        stream,
        events,
        frames: FrameReader::new(max_frame_len(MAX_BITFIELD_LEN)),
        their_id: None,
        size: None,
        asked: Vec::new(),
        last_read: Instant::now(),
        last_write: Instant::now(),
    };
    p.send_ext_handshake(me.listen_port)?;
    p.wait_for_offer()?;
    p.stream
        .set_read_timeout(Some(TICK))
        .map_err(|e| Close::io("setting read timeout", &e))?;
    loop {
        p.drain(&cmds)?;
        if p.last_write.elapsed() >= KEEPALIVE_AFTER {
            p.send(&Message::KeepAlive)?;
        }
        if p.last_read.elapsed() >= RECEIVE_LIMIT {
            return Err(Close::quiet("the peer went silent"));
        }
        p.read()?;
    }
}

struct FetchPeer<'a> {
    conn: ConnId,
    addr: SocketAddr,
    trace: Trace,
    stream: TcpStream,
    events: &'a Sender<FetchEvent>,
    frames: FrameReader,
    /// The id the peer takes `ut_metadata` messages under.
    their_id: Option<u8>,
    size: Option<MetadataSize>,
    /// Pieces asked for and not yet answered.
    asked: Vec<u32>,
    last_read: Instant,
    last_write: Instant,
}

impl FetchPeer<'_> {
    fn emit(&self, kind: FetchEventKind) -> Result<(), Close> {
        let ev = FetchEvent {
            conn: self.conn,
            kind,
        };
        self.events
            .send(ev)
            .map_err(|_| Close::quiet("the metadata fetch is over"))
    }

    fn send(&mut self, msg: &Message) -> Result<(), Close> {
        self.trace_message(Dir::Out, msg);
        let mut out = Vec::new();
        msg.encode_into(&mut out);
        self.stream
            .write_all(&out)
            .map_err(|e| Close::io("writing", &e))?;
        self.last_write = Instant::now();
        Ok(())
    }

    fn send_ext_handshake(&mut self, listen_port: u16) -> Result<(), Close> {
        let ours = ExtHandshake {
            m: vec![(Extension::UtMetadata, Extension::UtMetadata.local_id())],
            client: Some(ClientName::ours()),
            listen_port: Some(listen_port).filter(|p| *p != 0),
            ..ExtHandshake::default()
        };
        self.send(&Message::Extended {
            id: HANDSHAKE_ID,
            payload: ours.encode(),
        })
    }

    /// Reads until the peer's extended handshake offers the metadata.
    fn wait_for_offer(&mut self) -> Result<(), Close> {
        let deadline = Instant::now() + HANDSHAKE_TIMEOUT;
        while self.size.is_none() {
            if Instant::now() >= deadline {
                return Err(Close::quiet("no extended handshake in time"));
            }
            self.read()?;
        }
        Ok(())
    }

    fn drain(&mut self, cmds: &Receiver<FetchCommand>) -> Result<(), Close> {
        loop {
            match cmds.try_recv() {
                Ok(FetchCommand::Request(piece)) => {
                    let id = self.their_id.ok_or(Close::quiet("no ut_metadata id"))?;
                    self.asked.push(piece);
                    self.send(&Message::Extended {
                        id,
                        payload: MetadataMsg::Request { piece }.encode(),
                    })?;
                }
                Err(TryRecvError::Empty) => return Ok(()),
                Err(TryRecvError::Disconnected) => {
                    return Err(Close::quiet("the metadata fetch is over"));
                }
            }
        }
    }

    /// One bounded read, then every complete frame.
    fn read(&mut self) -> Result<(), Close> {
        if !peer::read_some(&mut self.frames, &mut self.stream)? {
            return Ok(());
        }
        self.last_read = Instant::now();
        while let Some(msg) = peer::next_message(&mut self.frames, Vec::new)? {
            self.trace_message(Dir::In, &msg);
            // No torrent yet: pieces, haves, chokes mean nothing.
            if let Message::Extended { id, payload } = msg {
                self.extended(id, &payload)?;
            }
        }
        Ok(())
    }

    /// `--trace`: one line; `ut_metadata` is the only extension here
    /// (ours coming in, the peer's id going out).
    fn trace_message(&self, dir: Dir, msg: &Message) {
        self.trace.line(dir, self.addr, || {
            let ext = match (dir, msg) {
                (Dir::In, Message::Extended { id, .. }) => {
                    Some(Extension::UtMetadata).filter(|e| e.local_id() == *id)
                }
                (_, Message::Extended { id, .. }) => {
                    Some(Extension::UtMetadata).filter(|_| self.their_id == Some(*id))
                }
                _ => None,
            };
            trace::wire::message(msg, None, ext)
        });
    }

    fn extended(&mut self, id: u8, payload: &[u8]) -> Result<(), Close> {
        if id == HANDSHAKE_ID {
            return self.ext_handshake(payload);
        }
        if id != Extension::UtMetadata.local_id() {
            return Ok(()); // an extension we did not offer
        }
        let msg = MetadataMsg::parse(payload).map_err(|e| Close::misbehaved(e.to_string()))?;
        match msg {
            MetadataMsg::Data {
                piece,
                total_size,
                data,
            } => {
                let Some(at) = self.asked.iter().position(|p| *p == piece) else {
                    return Ok(()); // not asked for: skipped
                };
                let size = self.size.ok_or(Close::misbehaved("data before an offer"))?;
                size.check_data(piece, total_size, data.len())
                    .map_err(|e| Close::misbehaved(e.to_string()))?;
                self.asked.swap_remove(at);
                self.emit(FetchEventKind::Piece {
                    piece,
                    data: data.to_vec(),
                })
            }
            MetadataMsg::Reject { piece } => match self.asked.iter().position(|p| *p == piece) {
                Some(at) => {
                    self.asked.swap_remove(at);
                    self.emit(FetchEventKind::Rejected { piece })
                }
                None => Ok(()),
            },
            MetadataMsg::Request { piece } => match self.their_id {
                // We have no metadata to give.
                Some(id) => self.send(&Message::Extended {
                    id,
                    payload: MetadataMsg::Reject { piece }.encode(),
                }),
                None => Ok(()),
            },
            MetadataMsg::Unknown { .. } => Ok(()),
        }
    }

    /// The peer's extended handshake: the first must offer the metadata;
    /// a later one may change the id, not the size.
    fn ext_handshake(&mut self, payload: &[u8]) -> Result<(), Close> {
        let theirs = ExtHandshake::parse(payload).map_err(|e| Close::misbehaved(e.to_string()))?;
        if let Some((_, id)) = theirs.m.iter().find(|(e, _)| *e == Extension::UtMetadata) {
            self.their_id = Some(*id).filter(|id| *id != HANDSHAKE_ID);
        }
        if self.size.is_some() {
            return Ok(());
        }
        if theirs.ignored.contains(&"metadata_size") {
            return Err(Close::misbehaved(
                "metadata_size 0 or over the 10 MiB limit",
            ));
        }
        let size = theirs.metadata_size.and_then(MetadataSize::new);
        match (self.their_id, size) {
            (Some(_), Some(size)) => {
                self.size = Some(size);
                self.emit(FetchEventKind::Offer(size))
            }
            (None, _) => Err(Close::quiet("the peer does not offer ut_metadata")),
            (Some(_), None) => Err(Close::quiet("the peer does not have the metadata")),
        }
    }
}
