//! The message loop of one connection after the handshake.
//!
//! One thread does both directions. Each turn of the loop:
//! 1. drains the command channel without blocking and acts on each command;
//! 2. serves up to `SERVE_BATCH` queued requests;
//! 3. sends a keep-alive if we have been silent for `KEEPALIVE_AFTER`, and
//!    gives up on a peer silent for `RECEIVE_LIMIT`;
//! 4. reads once and handles every complete frame that has arrived. The
//!    read waits at most `TICK`, or `ANSWER_TICK` just after a block (the
//!    main thread's next requests are due); while the peer's requests are
//!    queued with us it does not wait at all (the socket is non-blocking
//!    for that one read), since a socket timeout is rounded up to the
//!    kernel's tick (4 ms at 250 Hz), which would idle the upload.
//!
//! Message order is free: a `bitfield` is accepted at any time, replacing
//! the peer's piece set (aria2 sends a second one mid-connection), and a
//! peer that sends only `have`s, or nothing, is fine. Choke and interest
//! events are forwarded only when the state changes. BEP 10's extended
//! messages are handled in `connection/extended.rs`: BEP 9's metadata
//! requests in `connection/ut_metadata.rs`, BEP 11's peer exchange in
//! `connection/pex.rs`; BEP 6's fast extension (our piece set, requests we
//! serve or reject) in `connection/fast.rs`. `--trace` lines are
//! written in `connection/traced.rs`.

use super::requests::Requests;
use super::running_hash::RunningHash;
use super::upload::{Uploads, Wanted};
use super::{Close, KEEPALIVE_AFTER, RECEIVE_LIMIT};
use crate::channels::{PeerCommand, PeerContext, PeerEvent, PeerEventKind};
use crate::ids::ConnId;
use crate::trace::Dir;
use crate::wire::bitfield::Bitfield;
use crate::wire::extended::PeerIds;
use crate::wire::frame::{FrameReader, max_frame_len};
use crate::wire::message::Message;
use crossbeam_channel::{Receiver, TryRecvError};
pub use fast::ALLOWED_FAST_K;
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

pub(super) struct Connection<'a> {
    ctx: &'a PeerContext,
    conn: ConnId,
    stream: TcpStream,
    /// The peer's address, for trace lines (looked up only with `--trace`).
    addr: Option<SocketAddr>,
    cmds: Receiver<PeerCommand>,
    frames: FrameReader,
    /// Reused for every message we write (a `piece` is built in place).
    out: Vec<u8>,
    /// While true (draining commands), `send` only appends to `out`: the
    /// batch goes out in one write, not one per `request`.
    corked: bool,
    /// A block buffer from the pool, held for the next `piece` once the
    /// pool had none free (see `read`).
    spare: Option<Vec<u8>>,
    /// The pieces we have and may serve.
    our_pieces: Bitfield,
    /// The peer chokes us (BEP 3 starts choked and not interested).
    peer_choking: bool,
    peer_interested: bool,
    /// We choke the peer.
    am_choking: bool,
    am_interested: bool,
    requests: Requests,
    /// The piece whose blocks are arriving in order, hashed as they come.
    running_hash: RunningHash,
    uploads: Uploads,
    last_read: Instant,
    last_write: Instant,
    /// The read timeout currently set on the socket.
    read_timeout: Duration,
    /// When we last forwarded a block: the main thread's next requests
    /// for this peer are due, so reads are kept short until they come
    /// (see `ANSWER_TICK`).
    answer_due: Option<Instant>,
    /// `KEEPALIVE_AFTER` and `RECEIVE_LIMIT`, as fields so tests can shorten them.
    keepalive_after: Duration,
    receive_limit: Duration,
    /// The peer set BEP 10's bit in its handshake: it gets ours.
    pub(super) peer_extended: bool,
    /// The peer set BEP 5's DHT bit: it gets our `port` message.
    pub(super) peer_dht: bool,
    /// The ids the peer's extended handshakes asked us to send with.
    ext_ids: PeerIds,
    /// Both handshakes set BEP 6's Fast bit.
    pub(super) fast: bool,
    /// Pieces the peer said it serves while choking us (BEP 6).
    allowed_in: Bitfield,
    /// The peer's allowed-fast set from us (BEP 6; empty without Fast).
    allowed_out: Vec<u32>,
    /// The rate limit on the peer's `ut_pex` messages.
    pex_gate: pex::PexGate,
    /// How many metadata pieces (BEP 9) we may still serve the peer.
    metadata_budget: ut_metadata::MetadataBudget,
    /// Bytes of blocks we may still send (`PeerCommand::UploadBudget`);
    /// `None`: no upload limit.
    upload_budget: Option<u64>,
}

impl<'a> Connection<'a> {
    pub(super) fn new(
        ctx: &'a PeerContext,
        conn: ConnId,
        stream: TcpStream,
        our_pieces: Bitfield,
        cmds: Receiver<PeerCommand>,
    ) -> Self {
        let now = Instant::now();
        let addr = ctx.trace.is_on().then(|| stream.peer_addr().ok()).flatten();
        Connection {
            ctx,
            conn,
            addr,
            stream,
            cmds,
            frames: FrameReader::new(max_frame_len(ctx.geometry.bitfield_len())),
            out: Vec::new(),
            corked: false,
            spare: None,
            our_pieces,
            peer_choking: true,
            peer_interested: false,
            am_choking: true,
            am_interested: false,
            requests: Requests::default(),
            running_hash: RunningHash::default(),
            uploads: Uploads::default(),
            last_read: now,
            last_write: now,
            read_timeout: Duration::ZERO,
            answer_due: None,
            keepalive_after: KEEPALIVE_AFTER,
            receive_limit: RECEIVE_LIMIT,
            peer_extended: false,
            peer_dht: false,
            ext_ids: PeerIds::default(),
            fast: false,
            allowed_in: Bitfield::new(ctx.geometry.num_pieces()),
            allowed_out: Vec::new(),
            pex_gate: pex::PexGate::default(),
            metadata_budget: ut_metadata::MetadataBudget::new(now),
            upload_budget: None,
        }
    }

    /// Runs until the connection ends; returns why.
    pub(super) fn run(mut self) -> Close {
        let mut close = match self.run_loop() {
            Ok(never) => match never {},
            Err(close) => close,
        };
        let ignored = self.uploads.ignored();
        if ignored > 0 {
            close.reason += &format!(" ({ignored} requests from the peer ignored)");
        }
        close
    }

    fn run_loop(&mut self) -> Result<std::convert::Infallible, Close> {
        // BEP 10: "immediately after the standard bittorrent handshake".
        if self.peer_extended {
            self.send_ext_handshake()?;
        }
        self.send_piece_set()?;
        // BEP 5: a peer whose handshake says DHT gets our node's port.
        if let (true, Some(port)) = (self.peer_dht, self.ctx.dht_port) {
            self.send(&Message::Port(port))?;
        }
        loop {
            self.drain_commands()?;
            self.serve()?;
            if self.last_write.elapsed() >= self.keepalive_after {
                self.send(&Message::KeepAlive)?;
            }
            if self.last_read.elapsed() >= self.receive_limit {
                let secs = self.receive_limit.as_secs();
                return Err(Close::quiet(format!("the peer was silent for {secs} s")));
            }
            self.read()?;
        }
    }

    fn emit(&self, kind: PeerEventKind) -> Result<(), Close> {
        let event = PeerEvent {
            conn: self.conn,
            kind,
        };
        self.ctx
            .events
            .send(event)
            .map_err(|_| Close::quiet("the session has stopped"))
    }

    fn send(&mut self, msg: &Message) -> Result<(), Close> {
        self.trace_message(Dir::Out, msg);
        if self.corked {
            msg.encode_into(&mut self.out);
            return Ok(());
        }
        self.out.clear();
        msg.encode_into(&mut self.out);
        self.flush()
    }

    fn flush(&mut self) -> Result<(), Close> {
        self.stream
            .write_all(&self.out)
            .map_err(|e| Close::io("writing", &e))?;
        self.last_write = Instant::now();
        Ok(())
    }

    /// Acts on every command waiting, writing what they say in one go
    /// (a pipeline of 100 requests is one `write`, not 100).
    fn drain_commands(&mut self) -> Result<(), Close> {
        self.out.clear();
        self.corked = true;
        let drained = self.drain_corked();
        self.corked = false;
        drained?;
        if self.out.is_empty() {
            return Ok(());
        }
        self.flush()
    }

    fn drain_corked(&mut self) -> Result<(), Close> {
        loop {
            match self.cmds.try_recv() {
                Ok(cmd) => {
                    self.answer_due = None; // the main thread has answered
                    self.command(cmd)?
                }
                Err(TryRecvError::Empty) => return Ok(()),
                Err(TryRecvError::Disconnected) => {
                    return Err(Close::quiet("the session dropped the connection"));
                }
            }
        }
    }

    fn command(&mut self, cmd: PeerCommand) -> Result<(), Close> {
        match cmd {
            // Dropped while choked (unless allowed fast): the main thread
            // took it back on `Choke`.
            PeerCommand::Request(b) if self.may_request(b.piece) && self.requests.insert(b) => self
                .send(&Message::Request {
                    index: b.piece.get(),
                    begin: b.offset,
                    length: b.len,
                }),
            PeerCommand::Request(_) => Ok(()),
            PeerCommand::Cancel(b) if self.requests.remove(b) => self.send(&Message::Cancel {
                index: b.piece.get(),
                begin: b.offset,
                length: b.len,
            }),
            PeerCommand::Cancel(_) => Ok(()),
            PeerCommand::Interested(on) if on != self.am_interested => {
                self.am_interested = on;
                self.send(if on {
                    &Message::Interested
                } else {
                    &Message::NotInterested
                })
            }
            PeerCommand::Interested(_) => Ok(()),
            PeerCommand::Have(piece) if self.our_pieces.set(piece) => {
                self.send(&Message::Have(piece.get()))?;
                self.allowed_fast_now(piece)
            }
            PeerCommand::Have(_) => Ok(()),
            PeerCommand::Choke(on) if on != self.am_choking => {
                self.am_choking = on;
                self.send(if on {
                    &Message::Choke
                } else {
                    &Message::Unchoke
                })?;
                if on { self.after_choking() } else { Ok(()) }
            }
            PeerCommand::Choke(_) => Ok(()),
            PeerCommand::Pex(msg) => self.send_pex(&msg),
            PeerCommand::UploadBudget(bytes) => {
                self.upload_budget = Some(bytes);
                Ok(())
            }
            PeerCommand::Close => Err(Close::quiet("closed by us")),
        }
    }

    fn message(&mut self, msg: Message) -> Result<(), Close> {
        let geometry = &self.ctx.geometry;
        match msg {
            // Port 0 is no node; without our own, no one to tell.
            Message::Port(port) if port != 0 && self.ctx.dht_port.is_some() => {
                self.emit(PeerEventKind::DhtPort(port))
            }
            Message::KeepAlive | Message::Port(_) | Message::Unknown { .. } => Ok(()),
            Message::Extended { id, payload } => self.extended(id, &payload),
            Message::Fast(m) => self.fast_message(m),
            Message::Choke if !self.peer_choking => {
                self.peer_choking = true;
                self.requests.clear();
                self.emit(PeerEventKind::Choke)
            }
            Message::Unchoke if self.peer_choking => {
                self.peer_choking = false;
                self.emit(PeerEventKind::Unchoke)
            }
            Message::Choke | Message::Unchoke => Ok(()),
            Message::Interested if !self.peer_interested => {
                self.peer_interested = true;
                self.emit(PeerEventKind::Interested)
            }
            Message::NotInterested if self.peer_interested => {
                self.peer_interested = false;
                self.emit(PeerEventKind::NotInterested)
            }
            Message::Interested | Message::NotInterested => Ok(()),
            Message::Have(raw) => {
                let piece = geometry.piece(raw).ok_or_else(|| {
                    Close::misbehaved(format!("have for piece {raw}, which does not exist"))
                })?;
                self.emit(PeerEventKind::Have(piece))
            }
            Message::Bitfield(bytes) => {
                let bits = Bitfield::from_payload(&bytes, geometry.num_pieces())
                    .map_err(|e| Close::misbehaved(e.to_string()))?;
                self.emit(PeerEventKind::Bitfield(bits))
            }
            Message::Request {
                index,
                begin,
                length,
            } => self.peer_request(Wanted {
                index,
                begin,
                length,
            }),
            Message::Cancel {
                index,
                begin,
                length,
            } => self.peer_cancel(Wanted {
                index,
                begin,
                length,
            }),
            Message::Piece { index, begin, data } => {
                let data = self.ctx.blocks.wrap(data); // back to the pool when dropped
                let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
                match self.requests.arrived(geometry, index, begin, len)? {
                    Some(block) => {
                        let digest = self.running_hash.feed(geometry, block, &data);
                        self.emit(PeerEventKind::Block {
                            block,
                            data,
                            digest,
                        })
                    }
                    None => Ok(()),
                }
            }
        }
    }
}

/// The block buffer this connection holds when it ends (its spare) goes
/// back to the pool: the pool is the budget of blocks in transit, and a
/// buffer lost is a block less for every peer until the torrent ends.
impl Drop for Connection<'_> {
    fn drop(&mut self) {
        if let Some(buf) = self.spare.take() {
            drop(self.ctx.blocks.wrap(buf));
        }
    }
}

mod extended;
mod fast;
mod pex;
mod read;
mod serve;
mod traced;
mod ut_metadata;
#[cfg(test)]
mod tests;
