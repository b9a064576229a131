//! The scripted remote, the peer thread under test, and what they share.

use crate::common::wire_msg::{self, HANDSHAKE_LEN, Hello, Msg as Message};
use bitsy::block_pool::BlockPool;
use bitsy::channels::{PeerCommand, PeerContext, PeerEvent, PeerEventKind, PieceReader};
use bitsy::geometry::{BlockRef, Geometry};
use bitsy::ids::{ConnId, InfoHash, PeerId};
use bitsy::peer::spawn_outgoing;
use bitsy::wire::bitfield::Bitfield;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, unbounded};
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// The longest any single step may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(5);
pub const INFO_HASH: InfoHash = [0x11; 20];
pub const OUR_ID: PeerId = *b"-BY0001-ourselves000";
pub const THEIR_ID: PeerId = *b"-XX0001-remotepeer00";

/// Five pieces: four of 32 KiB and a last one of 1,000 bytes.
pub fn geometry() -> Geometry {
    Geometry::new(4 * 32768 + 1000, 32768, 5).unwrap()
}

pub fn pattern(piece: u32, at: u32) -> u8 {
    (piece.wrapping_mul(31).wrapping_add(at) % 251) as u8
}

/// Serves a byte pattern that depends on the position.
pub struct Stub;

impl PieceReader for Stub {
    fn read_block(&self, b: BlockRef, out: &mut [u8]) -> io::Result<()> {
        for (i, x) in out.iter_mut().enumerate() {
            *x = pattern(b.piece.get(), b.offset + i as u32);
        }
        Ok(())
    }
}

pub fn block(piece: u32, index: u32) -> BlockRef {
    let g = geometry();
    g.block(g.piece(piece).unwrap(), index).unwrap()
}

pub fn pieces(raw: &[u32]) -> Bitfield {
    let g = geometry();
    let mut b = Bitfield::new(g.num_pieces());
    for &i in raw {
        b.set(g.piece(i).unwrap());
    }
    b
}

/// The far end of the connection, scripted by each test.
pub struct Remote {
    pub stream: TcpStream,
}

impl Remote {
    pub fn new(stream: TcpStream) -> Self {
        stream.set_read_timeout(Some(WAIT)).unwrap();
        stream.set_write_timeout(Some(WAIT)).unwrap();
        Remote { stream }
    }

    pub fn read_handshake(&mut self) -> Hello {
        let mut b = [0u8; HANDSHAKE_LEN];
        self.stream.read_exact(&mut b).unwrap();
        wire_msg::parse_handshake(&b)
    }

    pub fn write_handshake(&mut self, info_hash: InfoHash, peer_id: PeerId) {
        self.send_raw(&wire_msg::handshake(info_hash, peer_id));
    }

    pub fn send(&mut self, m: &Message) {
        let mut buf = Vec::new();
        m.encode_into(&mut buf);
        self.send_raw(&buf);
    }

    pub fn send_all(&mut self, ms: &[Message]) {
        let mut buf = Vec::new();
        for m in ms {
            m.encode_into(&mut buf);
        }
        self.send_raw(&buf);
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    /// The next message other than a keep-alive (the read timeout is `WAIT`).
    pub fn recv(&mut self) -> Message {
        for _ in 0..1000 {
            let mut len = [0u8; 4];
            self.stream.read_exact(&mut len).unwrap();
            let len = u32::from_be_bytes(len) as usize;
            assert!(len <= 1 << 20, "a frame of {len} bytes");
            let mut frame = vec![0u8; len];
            self.stream.read_exact(&mut frame).unwrap();
            match Message::decode(&frame) {
                Message::KeepAlive => {}
                m => return m,
            }
        }
        panic!("1000 keep-alives in a row");
    }

    /// The peer thread closed the socket (nothing more arrives).
    pub fn expect_eof(&mut self) {
        let mut buf = [0u8; 256];
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            match self.stream.read(&mut buf) {
                Ok(0) => return,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return,
                Err(e) => panic!("expected EOF, got {e}"),
            }
        }
        panic!("socket still open");
    }
}

pub struct Harness {
    pub events: Receiver<PeerEvent>,
    pub cmds: Option<Sender<PeerCommand>>,
    pub remote: Remote,
    pub thread: JoinHandle<()>,
}

pub fn context() -> (Arc<PeerContext>, Receiver<PeerEvent>) {
    context_with(Arc::new(Stub))
}

pub fn context_with(reader: Arc<dyn PieceReader>) -> (Arc<PeerContext>, Receiver<PeerEvent>) {
    context_for(reader, false)
}

/// A context for a public or a private (BEP 27) torrent, serving
/// [`metadata`].
pub fn context_for(
    reader: Arc<dyn PieceReader>,
    private: bool,
) -> (Arc<PeerContext>, Receiver<PeerEvent>) {
    context_of(reader, Some(metadata().into()), private)
}

/// The info dictionary the context serves (BEP 9): 20,000 bytes, so two
/// metadata pieces, of 16,384 and 3,616 bytes. (Not a real dictionary:
/// the peer thread serves bytes, it does not read them.)
pub fn metadata() -> Vec<u8> {
    (0..20_000u32).map(|i| pattern(99, i)).collect()
}

/// A public torrent's context serving `metadata` (or none).
pub fn context_full(
    reader: Arc<dyn PieceReader>,
    metadata: Option<Arc<[u8]>>,
) -> (Arc<PeerContext>, Receiver<PeerEvent>) {
    context_of(reader, metadata, false)
}

pub fn context_of(
    reader: Arc<dyn PieceReader>,
    metadata: Option<Arc<[u8]>>,
    private: bool,
) -> (Arc<PeerContext>, Receiver<PeerEvent>) {
    context_pooled(reader, metadata, private, BlockPool::default())
}

/// A context whose block buffers come from `blocks`.
pub fn context_pooled(
    reader: Arc<dyn PieceReader>,
    metadata: Option<Arc<[u8]>>,
    private: bool,
    blocks: BlockPool,
) -> (Arc<PeerContext>, Receiver<PeerEvent>) {
    let (tx, rx) = unbounded();
    let ctx = PeerContext {
        info_hash: INFO_HASH,
        our_id: OUR_ID,
        geometry: geometry(),
        reader,
        events: tx,
        listen_port: 6881,
        metadata,
        private,
        dht_port: None,
        blocks,
        trace: bitsy::trace::Trace::OFF,
    };
    (Arc::new(ctx), rx)
}

/// The `Stub` pattern, 20 ms a block: a disk slow enough that queued
/// requests are still waiting when a command arrives.
pub struct SlowStub;

impl PieceReader for SlowStub {
    fn read_block(&self, b: BlockRef, out: &mut [u8]) -> io::Result<()> {
        thread::sleep(Duration::from_millis(20));
        Stub.read_block(b, out)
    }
}

pub fn accept(listener: &TcpListener) -> TcpStream {
    listener.set_nonblocking(true).unwrap();
    let deadline = Instant::now() + WAIT;
    loop {
        match listener.accept() {
            Ok((s, _)) => {
                s.set_nonblocking(false).unwrap();
                return s;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                thread::sleep(Duration::from_millis(5));
            }
            Err(e) => panic!("accept: {e}"),
        }
    }
}

/// An outgoing peer thread, connected to a remote that has said nothing.
pub fn outgoing(our_pieces: Bitfield) -> Harness {
    outgoing_with(Arc::new(Stub), our_pieces)
}

pub fn outgoing_with(reader: Arc<dyn PieceReader>, our_pieces: Bitfield) -> Harness {
    outgoing_in(context_with(reader), our_pieces)
}

/// An outgoing peer thread in the given context.
pub fn outgoing_in(
    (ctx, events): (Arc<PeerContext>, Receiver<PeerEvent>),
    our_pieces: Bitfield,
) -> Harness {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let (cmds, cmd_rx) = unbounded();
    let addr = listener.local_addr().unwrap();
    let thread = spawn_outgoing(ctx, ConnId(1), addr, our_pieces, cmd_rx).unwrap();
    assert_eq!(
        thread.thread().name(),
        Some(format!("peer-{addr}").as_str())
    );
    let remote = Remote::new(accept(&listener));
    Harness {
        events,
        cmds: Some(cmds),
        remote,
        thread,
    }
}

/// An outgoing peer thread past a correct handshake and `Ready`.
pub fn ready(our_pieces: Bitfield) -> Harness {
    ready_with(Arc::new(Stub), our_pieces)
}

pub fn ready_with(reader: Arc<dyn PieceReader>, our_pieces: Bitfield) -> Harness {
    ready_as([0; 8], reader, our_pieces)
}

/// Past the handshake, the remote's carrying `reserved`.
pub fn ready_as(reserved: [u8; 8], reader: Arc<dyn PieceReader>, our_pieces: Bitfield) -> Harness {
    ready_in(reserved, context_with(reader), our_pieces)
}

/// Past the handshake, in the given context.
pub fn ready_in(
    reserved: [u8; 8],
    ctx: (Arc<PeerContext>, Receiver<PeerEvent>),
    our_pieces: Bitfield,
) -> Harness {
    let mut h = outgoing_in(ctx, our_pieces);
    let ours = h.remote.read_handshake();
    assert_eq!((ours.info_hash, ours.peer_id), (INFO_HASH, OUR_ID));
    assert_eq!(
        ours.reserved,
        wire_msg::BITSY_BITS,
        "we speak BEP 10 and BEP 6"
    );
    h.remote
        .send_raw(&wire_msg::handshake_with(reserved, INFO_HASH, THEIR_ID));
    match h.event() {
        PeerEventKind::Ready { peer_id, .. } => assert_eq!(peer_id, THEIR_ID),
        other => panic!("expected Ready, got {other:?}"),
    }
    h
}

impl Harness {
    pub fn event(&self) -> PeerEventKind {
        self.events.recv_timeout(WAIT).expect("an event").kind
    }

    pub fn cmd(&self, c: PeerCommand) {
        self.cmds.as_ref().unwrap().send(c).unwrap();
    }

    /// The next event is `Closed`, nothing follows it, and the thread ends.
    pub fn expect_closed(self, misbehaved: bool) -> String {
        let reason = match self.event() {
            PeerEventKind::Closed {
                reason,
                misbehaved: m,
            } => {
                assert_eq!(m, misbehaved, "misbehaved flag for {reason:?}");
                reason
            }
            other => panic!("expected Closed, got {other:?}"),
        };
        // The thread dropped its context, so the channel is disconnected.
        assert_eq!(
            self.events.recv_timeout(WAIT).map(|e| e.kind).unwrap_err(),
            RecvTimeoutError::Disconnected
        );
        self.thread.join().unwrap();
        reason
    }

    pub fn unchoked_by_peer(&mut self) {
        self.remote.send(&Message::Unchoke);
        assert!(matches!(self.event(), PeerEventKind::Unchoke));
    }

    /// We unchoke the remote (it sees `unchoke`).
    pub fn unchoke_peer(&mut self) {
        self.cmd(PeerCommand::Choke(false));
        assert_eq!(self.remote.recv(), Message::Unchoke);
    }

    /// A `have` round trip: proves every earlier remote message was handled.
    pub fn sync(&mut self, piece: u32) {
        self.remote.send(&Message::Have(piece));
        match self.event() {
            PeerEventKind::Have(p) => assert_eq!(p.get(), piece),
            other => panic!("expected Have({piece}), got {other:?}"),
        }
    }
}

/// An outgoing peer thread past a handshake in which the remote set BEP
/// 10's bit; our extended handshake has been read and checked.
pub fn ready_extended(our_pieces: Bitfield) -> Harness {
    ready_extended_for(false, our_pieces)
}

/// [`ready_extended`] for a public or a private (BEP 27) torrent.
pub fn ready_extended_for(private: bool, our_pieces: Bitfield) -> Harness {
    let ctx = context_for(Arc::new(Stub), private);
    let mut h = ready_in(wire_msg::EXTENSION_BIT, ctx, our_pieces);
    // Ours comes first, before any bitfield. Keys sorted; `m` offers
    // ut_metadata (BEP 9) and ut_pex (BEP 11), less ut_pex when the
    // torrent is private (BEP 27).
    let m: &[u8] = if private {
        b"d11:ut_metadatai1ee"
    } else {
        b"d11:ut_metadatai1e6:ut_pexi2ee"
    };
    #[rustfmt::skip]
    let want = [
        &b"d"[..],
        b"1:m", m,                      // our local ids: ut_metadata 1, ut_pex 2
        b"13:metadata_size", b"i20000e", // the context's `metadata()`
        b"1:p", b"i6881e",              // our listen port (the context's)
        b"4:reqq", b"i2048e",           // MAX_UPLOAD_QUEUE
        b"1:v", b"11:bitsy 0.1.0",      // client name
        b"6:yourip", b"4:", &[127, 0, 0, 1], // the remote, as we see it
        b"e",
    ]
    .concat();
    assert_eq!(
        h.remote.recv(),
        Message::Extended {
            id: 0,
            payload: want
        }
    );
    h
}

pub fn extended(payload: &[u8]) -> Message {
    Message::Extended {
        id: 0,
        payload: payload.to_vec(),
    }
}
