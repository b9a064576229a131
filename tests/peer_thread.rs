//! The peer thread over a real loopback socket, against a scripted remote
//! peer written here. Every wait is bounded by `WAIT`. The remote speaks
//! through `common::wire_msg`, a hand-written codec independent of
//! bitsy's `wire` module.

mod common;

use bitsy::channels::{PeerCommand, PeerContext, PeerEvent, PeerEventKind, PieceReader};
use bitsy::geometry::{BlockRef, Geometry};
use bitsy::ids::{ConnId, InfoHash, PeerId};
use bitsy::peer::{spawn_incoming, spawn_outgoing};
use bitsy::wire::bitfield::Bitfield;
use common::wire_msg::{self, HANDSHAKE_LEN, Hello, Msg as Message};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, unbounded};
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// The longest any single step may take before the test fails.
const WAIT: Duration = Duration::from_secs(5);
const INFO_HASH: InfoHash = [0x11; 20];
const OUR_ID: PeerId = *b"-BY0001-ourselves000";
const THEIR_ID: PeerId = *b"-XX0001-remotepeer00";

/// Five pieces: four of 32 KiB and a last one of 1,000 bytes.
fn geometry() -> Geometry {
    Geometry::new(4 * 32768 + 1000, 32768, 5).unwrap()
}

fn pattern(piece: u32, at: u32) -> u8 {
    (piece.wrapping_mul(31).wrapping_add(at) % 251) as u8
}

/// Serves a byte pattern that depends on the position.
struct Stub;

impl PieceReader for Stub {
    fn read_block(&self, b: BlockRef, out: &mut [u8]) -> io::Result<()> {
        for (i, x) in out.iter_mut().enumerate() {
            *x = pattern(b.piece.get(), b.offset + i as u32);
        }
        Ok(())
    }
}

fn block(piece: u32, index: u32) -> BlockRef {
    let g = geometry();
    g.block(g.piece(piece).unwrap(), index).unwrap()
}

fn pieces(raw: &[u32]) -> Bitfield {
    let g = geometry();
    let mut b = Bitfield::new(g.num_pieces());
    for &i in raw {
        b.set(g.piece(i).unwrap());
    }
    b
}

/// The far end of the connection, scripted by each test.
struct Remote {
    stream: TcpStream,
}

impl Remote {
    fn new(stream: TcpStream) -> Self {
        stream.set_read_timeout(Some(WAIT)).unwrap();
        stream.set_write_timeout(Some(WAIT)).unwrap();
        Remote { stream }
    }

    fn read_handshake(&mut self) -> Hello {
        let mut b = [0u8; HANDSHAKE_LEN];
        self.stream.read_exact(&mut b).unwrap();
        wire_msg::parse_handshake(&b)
    }

    fn write_handshake(&mut self, info_hash: InfoHash, peer_id: PeerId) {
        self.send_raw(&wire_msg::handshake(info_hash, peer_id));
    }

    fn send(&mut self, m: &Message) {
        let mut buf = Vec::new();
        m.encode_into(&mut buf);
        self.send_raw(&buf);
    }

    fn send_all(&mut self, ms: &[Message]) {
        let mut buf = Vec::new();
        for m in ms {
            m.encode_into(&mut buf);
        }
        self.send_raw(&buf);
    }

    fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    /// The next message other than a keep-alive (the read timeout is `WAIT`).
    fn recv(&mut self) -> Message {
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
    fn expect_eof(&mut self) {
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

struct Harness {
    events: Receiver<PeerEvent>,
    cmds: Option<Sender<PeerCommand>>,
    remote: Remote,
    thread: JoinHandle<()>,
}

fn context() -> (Arc<PeerContext>, Receiver<PeerEvent>) {
    context_with(Arc::new(Stub))
}

fn context_with(reader: Arc<dyn PieceReader>) -> (Arc<PeerContext>, Receiver<PeerEvent>) {
    let (tx, rx) = unbounded();
    let ctx = PeerContext {
        info_hash: INFO_HASH,
        our_id: OUR_ID,
        geometry: geometry(),
        reader,
        events: tx,
        listen_port: 6881,
        metadata_size: None,
    };
    (Arc::new(ctx), rx)
}

/// The `Stub` pattern, 20 ms a block: a disk slow enough that queued
/// requests are still waiting when a command arrives.
struct SlowStub;

impl PieceReader for SlowStub {
    fn read_block(&self, b: BlockRef, out: &mut [u8]) -> io::Result<()> {
        thread::sleep(Duration::from_millis(20));
        Stub.read_block(b, out)
    }
}

fn accept(listener: &TcpListener) -> TcpStream {
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
fn outgoing(our_pieces: Bitfield) -> Harness {
    outgoing_with(Arc::new(Stub), our_pieces)
}

fn outgoing_with(reader: Arc<dyn PieceReader>, our_pieces: Bitfield) -> Harness {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let (ctx, events) = context_with(reader);
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
fn ready(our_pieces: Bitfield) -> Harness {
    ready_with(Arc::new(Stub), our_pieces)
}

fn ready_with(reader: Arc<dyn PieceReader>, our_pieces: Bitfield) -> Harness {
    ready_as([0; 8], reader, our_pieces)
}

/// Past the handshake, the remote's carrying `reserved`.
fn ready_as(reserved: [u8; 8], reader: Arc<dyn PieceReader>, our_pieces: Bitfield) -> Harness {
    let mut h = outgoing_with(reader, our_pieces);
    let ours = h.remote.read_handshake();
    assert_eq!((ours.info_hash, ours.peer_id), (INFO_HASH, OUR_ID));
    assert_eq!(ours.reserved, wire_msg::EXTENSION_BIT, "we speak BEP 10");
    h.remote
        .send_raw(&wire_msg::handshake_with(reserved, INFO_HASH, THEIR_ID));
    match h.event() {
        PeerEventKind::Ready { peer_id, .. } => assert_eq!(peer_id, THEIR_ID),
        other => panic!("expected Ready, got {other:?}"),
    }
    h
}

impl Harness {
    fn event(&self) -> PeerEventKind {
        self.events.recv_timeout(WAIT).expect("an event").kind
    }

    fn cmd(&self, c: PeerCommand) {
        self.cmds.as_ref().unwrap().send(c).unwrap();
    }

    /// The next event is `Closed`, nothing follows it, and the thread ends.
    fn expect_closed(self, misbehaved: bool) -> String {
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

    fn unchoked_by_peer(&mut self) {
        self.remote.send(&Message::Unchoke);
        assert!(matches!(self.event(), PeerEventKind::Unchoke));
    }

    /// We unchoke the remote (it sees `unchoke`).
    fn unchoke_peer(&mut self) {
        self.cmd(PeerCommand::Choke(false));
        assert_eq!(self.remote.recv(), Message::Unchoke);
    }

    /// A `have` round trip: proves every earlier remote message was handled.
    fn sync(&mut self, piece: u32) {
        self.remote.send(&Message::Have(piece));
        match self.event() {
            PeerEventKind::Have(p) => assert_eq!(p.get(), piece),
            other => panic!("expected Have({piece}), got {other:?}"),
        }
    }
}

#[test]
fn handshake_mismatches_drop_the_peer() {
    let mut h = outgoing(pieces(&[]));
    h.remote.read_handshake();
    h.remote.write_handshake([0x99; 20], THEIR_ID);
    assert!(h.expect_closed(true).contains("another torrent"));

    let mut h = outgoing(pieces(&[]));
    h.remote.read_handshake();
    h.remote.write_handshake(INFO_HASH, OUR_ID);
    assert!(h.expect_closed(true).contains("ourselves"));

    let mut h = outgoing(pieces(&[]));
    h.remote.read_handshake();
    let mut bad = wire_msg::handshake(INFO_HASH, THEIR_ID);
    bad[1] = b'X'; // "XitTorrent protocol"
    h.remote.send_raw(&bad);
    h.expect_closed(true);
}

#[test]
fn connection_refused_is_a_quiet_close() {
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap(); // the listener is dropped: nothing listens there now
    let (ctx, events) = context();
    let (_cmds, cmd_rx) = unbounded();
    let thread = spawn_outgoing(ctx, ConnId(2), addr, pieces(&[]), cmd_rx).unwrap();
    match events.recv_timeout(WAIT).unwrap().kind {
        PeerEventKind::Closed { misbehaved, .. } => assert!(!misbehaved),
        other => panic!("expected Closed, got {other:?}"),
    }
    thread.join().unwrap();
}

#[test]
fn have_only_peer_and_no_bitfield_from_us() {
    let mut h = ready(pieces(&[]));
    // We have nothing, so the first thing we send is not a bitfield.
    h.cmd(PeerCommand::Interested(true));
    h.cmd(PeerCommand::Interested(true)); // no change: not sent again
    h.cmd(PeerCommand::Interested(false));
    assert_eq!(h.remote.recv(), Message::Interested);
    assert_eq!(h.remote.recv(), Message::NotInterested);
    h.sync(4);
    h.sync(0);
    h.cmd(PeerCommand::Close);
    assert_eq!(h.expect_closed(false), "closed by us");
}

#[test]
fn a_second_bitfield_replaces_the_first() {
    let mut h = ready(pieces(&[]));
    h.remote.send(&Message::Bitfield(vec![0b1000_0000]));
    match h.event() {
        PeerEventKind::Bitfield(b) => assert_eq!(b.count(), 1),
        other => panic!("{other:?}"),
    }
    h.sync(1);
    h.remote.send(&Message::Bitfield(vec![0b1111_1000])); // aria2 style
    match h.event() {
        PeerEventKind::Bitfield(b) => assert!(b.is_full()),
        other => panic!("{other:?}"),
    }
    drop(h.cmds.take()); // the session forgets the peer
    assert!(h.expect_closed(false).contains("dropped"));
}

#[test]
fn protocol_violations_drop_the_peer() {
    #[rustfmt::skip]
    let table: &[(&[u8], &str)] = &[
        (&[0, 0, 0, 3, 5, 0x80, 0x00], "bitfield of 2 bytes, expected 1"),
        (&[0, 0, 0, 2, 5, 0b0000_0100], "bitfield has spare bits set"),
        (&[0, 0, 0, 5, 4, 0, 0, 0, 5], "have for piece 5, which does not exist"),
        (&[0, 0, 0, 2, 1, 0], "message id 1 with a payload of 1 bytes"), // unchoke + payload
        (
            &[0, 0, 0, 12, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            "message id 6 with a payload of 11 bytes", // request of 11 bytes
        ),
        // A 2 GiB frame: refused from its prefix alone, nothing allocated
        // and nothing more needs to arrive.
        (&[0x7f, 0xff, 0xff, 0xff], "message of 2147483647 bytes"),
    ];
    for (bytes, want) in table {
        let mut h = ready(pieces(&[]));
        h.remote.send_raw(bytes);
        let reason = h.expect_closed(true);
        assert!(
            reason.contains(want),
            "{bytes:?}: {reason:?}, want {want:?}"
        );
    }
}

#[test]
fn unknown_messages_are_skipped() {
    let mut h = ready(pieces(&[]));
    #[rustfmt::skip]
    h.remote.send_raw(&[
        0, 0, 0, 1, 14,                               // BEP 6 have-all, not negotiated
        0, 0, 0, 6, 20, 9, b'd', b'e', b'x', b'y',    // BEP 10 extended, id 9 (not ours), junk
        0, 0, 0, 3, 9, 0x1a, 0xe1,                    // BEP 5 port 6881
        0, 0, 0, 0,                                   // keep-alive
    ]);
    h.sync(2);
}

#[test]
fn requested_blocks_become_block_events() {
    let mut h = ready(pieces(&[]));
    let b = block(1, 1); // piece 1, offset 16384
    let data: Vec<u8> = (0..16384u32).map(|i| pattern(1, 16384 + i)).collect();
    h.unchoked_by_peer();
    h.cmd(PeerCommand::Request(b));
    assert_eq!(
        h.remote.recv(),
        Message::Request {
            index: 1,
            begin: 16384,
            length: 16384
        }
    );
    let piece = Message::Piece {
        index: 1,
        begin: 16384,
        data: data.clone(),
    };
    // Sent in small pieces so the thread sees the frame across many reads,
    // with a pause longer than its read timeout in the middle of the frame.
    let mut bytes = Vec::new();
    piece.encode_into(&mut bytes);
    for (i, chunk) in bytes.chunks(1000).enumerate() {
        h.remote.send_raw(chunk);
        let pause = if i == 8 { 350 } else { 2 };
        thread::sleep(Duration::from_millis(pause));
    }
    match h.event() {
        PeerEventKind::Block { block, data: got } => {
            assert_eq!(block, b);
            assert_eq!(got, data);
        }
        other => panic!("{other:?}"),
    }
}

/// Each `piece` message we could not have asked for closes the connection
/// as misbehaved, with a reason that says which rule it broke. The
/// `asked` block, if any, is requested and delivered before `bad` comes.
#[test]
fn blocks_we_did_not_ask_for_close_the_connection() {
    let piece = |index, begin, len: usize| Message::Piece {
        index,
        begin,
        data: vec![0; len],
    };
    let table: Vec<(&str, Option<BlockRef>, Message, &str)> = vec![
        (
            "never requested",
            None,
            piece(2, 16384, 16384),
            "did not request (piece 2, offset 16384)",
        ),
        (
            "a second copy of a delivered block",
            Some(block(1, 0)),
            piece(1, 0, 16384),
            "did not request (piece 1, offset 0)",
        ),
        (
            "past the end of the last piece",
            None,
            piece(4, 0, 16384),
            "past the end of piece 4 (0 + 16384 > 1000 bytes)",
        ),
        (
            "past the end of a full piece",
            None,
            piece(0, 32768, 16),
            "past the end of piece 0",
        ),
        (
            "a piece that does not exist",
            None,
            piece(5, 0, 16384),
            "piece 5, which does not exist",
        ),
        (
            "inside the piece, but not one of its blocks",
            Some(block(0, 0)),
            piece(0, 100, 16384),
            "not a block (piece 0, offset 100, 16384 bytes)",
        ),
    ];
    for (name, asked, bad, reason) in table {
        let mut h = ready(pieces(&[]));
        h.unchoked_by_peer();
        if let Some(first) = asked {
            h.cmd(PeerCommand::Request(first));
            assert!(matches!(h.remote.recv(), Message::Request { .. }), "{name}");
            h.remote
                .send(&piece(first.piece.get(), first.offset, first.len as usize));
            assert!(matches!(h.event(), PeerEventKind::Block { .. }), "{name}");
        }
        h.remote.send(&bad);
        let got = h.expect_closed(true);
        assert!(got.contains(reason), "{name}: {got}");
    }
}

/// A block we cancelled may cross our `cancel` on the wire: it is ignored,
/// once, and the connection stays (later blocks are delivered).
#[test]
fn a_cancelled_block_that_crosses_is_ignored() {
    let mut h = ready(pieces(&[]));
    h.unchoked_by_peer();
    // The last, short block of the torrent; cancelled before it comes.
    let last = block(4, 0);
    assert_eq!(last.len, 1000);
    h.cmd(PeerCommand::Request(last));
    h.cmd(PeerCommand::Cancel(last));
    assert!(matches!(h.remote.recv(), Message::Request { index: 4, .. }));
    assert_eq!(
        h.remote.recv(),
        Message::Cancel {
            index: 4,
            begin: 0,
            length: 1000
        }
    );
    h.remote.send(&Message::Piece {
        index: 4,
        begin: 0,
        data: vec![0; 1000],
    });
    h.sync(4); // no Block, no Closed before the `have`
    let b = block(2, 0);
    h.cmd(PeerCommand::Request(b));
    assert!(matches!(h.remote.recv(), Message::Request { index: 2, .. }));
    h.remote.send(&Message::Piece {
        index: 2,
        begin: 0,
        data: vec![3; 16384],
    });
    match h.event() {
        PeerEventKind::Block { block, .. } => assert_eq!(block, b),
        other => panic!("expected the block, got {other:?}"),
    }
}

#[test]
fn a_choke_voids_our_requests() {
    let mut h = ready(pieces(&[]));
    let b = block(0, 0);
    // Choked (the initial state): the request is dropped, not sent.
    h.cmd(PeerCommand::Request(b));
    h.cmd(PeerCommand::Interested(true));
    assert_eq!(h.remote.recv(), Message::Interested);

    h.unchoked_by_peer();
    h.cmd(PeerCommand::Request(b));
    assert!(matches!(h.remote.recv(), Message::Request { index: 0, .. }));
    h.remote.send(&Message::Choke);
    assert!(matches!(h.event(), PeerEventKind::Choke));
    // The block was in flight when the choke came (BEP 3 voids the
    // request, but it may still cross): ignored, and the connection stays.
    h.remote.send(&Message::Piece {
        index: 0,
        begin: 0,
        data: vec![7; 16384],
    });
    h.sync(0);
    h.cmd(PeerCommand::Request(b)); // still choked: dropped
    h.cmd(PeerCommand::Interested(false));
    assert_eq!(h.remote.recv(), Message::NotInterested);
}

#[test]
fn serving_requests_from_the_reader() {
    let mut h = ready(pieces(&[0, 4]));
    assert_eq!(h.remote.recv(), Message::Bitfield(vec![0b1000_1000]));
    h.remote.send(&Message::Interested);
    assert!(matches!(h.event(), PeerEventKind::Interested));

    // Asked while choked: ignored without blame (sync proves it was read).
    h.remote.send(&Message::Request {
        index: 0,
        begin: 0,
        length: 10,
    });
    h.sync(1);
    h.unchoke_peer();

    // Any range inside a piece we have, e.g. 16 KiB at an odd offset.
    h.remote.send(&Message::Request {
        index: 0,
        begin: 100,
        length: 16384,
    });
    let want: Vec<u8> = (0..16384).map(|i| pattern(0, 100 + i)).collect();
    assert_eq!(
        h.remote.recv(),
        Message::Piece {
            index: 0,
            begin: 100,
            data: want
        }
    );
    assert!(matches!(
        h.event(),
        PeerEventKind::Uploaded { bytes: 16384 }
    ));

    // Piece 2 is refused until we have it.
    let req2 = Message::Request {
        index: 2,
        begin: 0,
        length: 8,
    };
    h.remote.send(&req2);
    h.sync(2);
    h.cmd(PeerCommand::Have(geometry().piece(2).unwrap()));
    assert_eq!(h.remote.recv(), Message::Have(2));
    h.remote.send(&req2);
    let want: Vec<u8> = (0..8).map(|i| pattern(2, i)).collect();
    assert_eq!(
        h.remote.recv(),
        Message::Piece {
            index: 2,
            begin: 0,
            data: want
        }
    );
    assert!(matches!(h.event(), PeerEventKind::Uploaded { bytes: 8 }));
}

#[test]
fn bad_requests_are_refused_then_the_peer_is_dropped() {
    let mut h = ready(pieces(&[0, 1, 2, 3, 4]));
    assert!(matches!(h.remote.recv(), Message::Bitfield(_)));
    h.unchoke_peer();
    #[rustfmt::skip]
    h.remote.send_all(&[
        Message::Request { index: 5, begin: 0, length: 16384 },     // no piece 5
        Message::Request { index: 0, begin: 0, length: 16385 },     // longer than a block
        Message::Request { index: 4, begin: 1, length: 1000 },      // past the end of piece 4
        Message::Request { index: 0, begin: 32767, length: 2 },     // across two pieces
        Message::Request { index: 1, begin: 0, length: 0 },         // empty
        Message::Request { index: 3, begin: 5, length: 3 },         // fine
    ]);
    let want: Vec<u8> = (0..3).map(|i| pattern(3, 5 + i)).collect();
    assert_eq!(
        h.remote.recv(),
        Message::Piece {
            index: 3,
            begin: 5,
            data: want
        }
    );
    assert!(matches!(h.event(), PeerEventKind::Uploaded { bytes: 3 }));
    let junk: Vec<Message> = (0..40)
        .map(|i| Message::Request {
            index: 1000 + i,
            begin: 0,
            length: 1,
        })
        .collect();
    h.remote.send_all(&junk);
    assert!(h.expect_closed(true).contains("requests"));
}

#[test]
fn cancel_removes_a_queued_request() {
    let mut h = ready(pieces(&[0, 1]));
    assert!(matches!(h.remote.recv(), Message::Bitfield(_)));
    h.unchoke_peer();
    // All three in one write, so the cancel is read before anything is served.
    #[rustfmt::skip]
    h.remote.send_all(&[
        Message::Request { index: 0, begin: 0, length: 16384 },
        Message::Request { index: 1, begin: 0, length: 16384 },
        Message::Cancel { index: 0, begin: 0, length: 16384 },
    ]);
    assert!(matches!(
        h.remote.recv(),
        Message::Piece {
            index: 1,
            begin: 0,
            ..
        }
    ));
    // Nothing else was served: the next message is the one we ask for.
    h.cmd(PeerCommand::Interested(true));
    assert_eq!(h.remote.recv(), Message::Interested);
    // We choke; the remote closes; the thread reports a quiet close.
    h.cmd(PeerCommand::Choke(true));
    assert_eq!(h.remote.recv(), Message::Choke);
    assert!(matches!(
        h.event(),
        PeerEventKind::Uploaded { bytes: 16384 }
    ));
    h.remote.stream.shutdown(std::net::Shutdown::Both).unwrap();
    h.expect_closed(false);
}

#[test]
fn incoming_connection_reads_first_then_replies() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    for (info_hash, ok) in [(INFO_HASH, true), ([0x42; 20], false)] {
        let client = TcpStream::connect_timeout(&addr, WAIT).unwrap();
        let server = accept(&listener);
        let (ctx, events) = context();
        let (cmds, cmd_rx) = unbounded();
        let thread = spawn_incoming(ctx, ConnId(7), server, pieces(&[1]), cmd_rx).unwrap();
        let mut remote = Remote::new(client);
        remote.write_handshake(info_hash, THEIR_ID);
        let mut h = Harness {
            events,
            cmds: Some(cmds),
            remote,
            thread,
        };
        if ok {
            let ours = h.remote.read_handshake();
            assert_eq!(ours.peer_id, OUR_ID);
            assert!(matches!(h.event(), PeerEventKind::Ready { .. }));
            assert_eq!(h.remote.recv(), Message::Bitfield(vec![0b0100_0000]));
            h.cmd(PeerCommand::Close);
            h.expect_closed(false);
        } else {
            // No reply for another torrent: the socket just closes.
            h.remote.expect_eof();
            h.expect_closed(true);
        }
    }
}

/// Our `choke` discards the peer's queued requests: once the remote sees
/// `choke`, no `piece` follows, though it had asked for 40 blocks.
#[test]
fn our_choke_discards_queued_requests() {
    let mut h = ready_with(Arc::new(SlowStub), pieces(&[0, 1, 2, 3]));
    assert!(matches!(h.remote.recv(), Message::Bitfield(_)));
    h.unchoke_peer();
    let asks: Vec<Message> = (0..40)
        .map(|i| Message::Request {
            index: i / 2,
            begin: (i % 2) * 16384,
            length: 16384,
        })
        .collect();
    h.remote.send_all(&asks[..8]);
    assert!(matches!(h.remote.recv(), Message::Piece { .. }));
    h.cmd(PeerCommand::Choke(true));
    let mut served_before_choke = 1;
    loop {
        match h.remote.recv() {
            Message::Piece { .. } => served_before_choke += 1,
            Message::Choke => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(served_before_choke < 8, "the choke cut the queue short");
    // Requests sent while choked are ignored too; `have` proves they were read.
    h.remote.send_all(&asks[8..]);
    h.cmd(PeerCommand::Have(geometry().piece(4).unwrap()));
    assert_eq!(
        h.remote.recv(),
        Message::Have(4),
        "no piece after our choke"
    );
}

#[test]
fn the_test_codec_matches_bep_3() {
    // The remote's own codec, checked against BEP 3 bytes first.
    // request index=1 begin=16384 length=16384: <0000000d><06><00000001><00004000><00004000>
    let mut b = Vec::new();
    Message::Request {
        index: 1,
        begin: 16384,
        length: 16384,
    }
    .encode_into(&mut b);
    assert_eq!(
        b,
        [0, 0, 0, 13, 6, 0, 0, 0, 1, 0, 0, 0x40, 0, 0, 0, 0x40, 0]
    );
    assert_eq!(
        Message::decode(&b[4..]),
        Message::Request {
            index: 1,
            begin: 16384,
            length: 16384
        }
    );
    // keep-alive: four zero bytes.
    let mut k = Vec::new();
    Message::KeepAlive.encode_into(&mut k);
    assert_eq!(k, [0, 0, 0, 0]);
    // extended handshake "de": <00000004><14><00><64 65>
    let mut e = Vec::new();
    extended(b"de").encode_into(&mut e);
    assert_eq!(e, [0, 0, 0, 4, 20, 0, b'd', b'e']);
    assert_eq!(Message::decode(&e[4..]), extended(b"de"));
}

/// An outgoing peer thread past a handshake in which the remote set BEP
/// 10's bit; our extended handshake has been read and checked.
fn ready_extended(our_pieces: Bitfield) -> Harness {
    let mut h = ready_as(wire_msg::EXTENSION_BIT, Arc::new(Stub), our_pieces);
    // Ours comes first, before any bitfield. Keys sorted; no `m` entry
    // (nothing advertised yet), no metadata_size (the context has none).
    #[rustfmt::skip]
    let want = [
        &b"d"[..],
        b"1:m", b"de",                  // m: empty
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

fn extended(payload: &[u8]) -> Message {
    Message::Extended {
        id: 0,
        payload: payload.to_vec(),
    }
}

#[test]
fn extended_handshakes_both_ways() {
    let mut h = ready_extended(pieces(&[2]));
    assert_eq!(h.remote.recv(), Message::Bitfield(vec![0b0010_0000]));
    h.remote.send(&extended(
        b"d1:md11:ut_metadatai3e6:ut_pexi1ee1:pi51413e4:reqqi3e1:v10:remote 1.0e",
    ));
    match h.event() {
        PeerEventKind::Extended {
            client,
            listen_port,
            reqq,
        } => {
            assert_eq!(client.unwrap().as_str(), "remote 1.0");
            assert_eq!((listen_port, reqq), (Some(51413), Some(3)));
        }
        other => panic!("expected Extended, got {other:?}"),
    }
    // A later one carries only what changed; a bad field is dropped alone.
    h.remote.send(&extended(b"d1:pi-1e4:reqqi7ee"));
    match h.event() {
        PeerEventKind::Extended {
            client,
            listen_port,
            reqq,
        } => assert_eq!((client, listen_port, reqq), (None, None, Some(7))),
        other => panic!("expected Extended, got {other:?}"),
    }
    // An extended id we never advertised is skipped.
    h.remote.send(&Message::Extended {
        id: 1,
        payload: b"d8:msg_typei0e5:piecei0ee".to_vec(),
    });
    h.sync(1);
}

#[test]
fn no_extended_handshake_to_a_peer_without_the_bit() {
    let mut h = ready(pieces(&[2]));
    // The first message is our bitfield: no extended handshake before it.
    assert_eq!(h.remote.recv(), Message::Bitfield(vec![0b0010_0000]));
    // The peer's own is still read (it may set the bit and forget).
    h.remote.send(&extended(b"d4:reqqi9ee"));
    assert!(matches!(
        h.event(),
        PeerEventKind::Extended { reqq: Some(9), .. }
    ));
}

#[test]
fn a_hostile_extended_handshake_closes_only_that_peer() {
    let frame = |payload: &[u8]| {
        let mut b = Vec::new();
        extended(payload).encode_into(&mut b);
        b
    };
    let deep = [&b"d1:m"[..], &[b'l'; 100], &[b'e'; 100], b"e"].concat();
    let big = [&b"d1:v17000:"[..], &[b'x'; 17_000], b"e"].concat();
    // Bytes on the wire, and the reason the peer is dropped.
    let table: Vec<(Vec<u8>, &str)> = vec![
        (frame(&deep), "nesting deeper than 8"),
        (frame(b"le"), "not a dictionary"),
        (frame(b"d1:pi1e"), "ends too early"),
        (
            frame(&big),
            "extended handshake of 17011 bytes, limit 16384",
        ),
        // 1 MiB: refused from its length prefix, before the rest arrives.
        (
            vec![0x00, 0x10, 0x00, 0x02, 20, 0, b'd'],
            "message of 1048578 bytes",
        ),
    ];
    for (bytes, want) in table {
        let mut bad = ready_extended(pieces(&[]));
        let mut good = ready_extended(pieces(&[]));
        bad.remote.send_raw(&bytes);
        let reason = bad.expect_closed(true);
        assert!(reason.contains(want), "{reason:?}, want {want:?}");
        // The other connection carries on.
        good.remote.send(&extended(b"d4:reqqi5ee"));
        assert!(matches!(
            good.event(),
            PeerEventKind::Extended { reqq: Some(5), .. }
        ));
        good.sync(0);
    }
}

#[test]
fn an_incoming_peer_with_the_bit_gets_our_extended_handshake() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect_timeout(&listener.local_addr().unwrap(), WAIT).unwrap();
    let server = accept(&listener);
    let (ctx, events) = context();
    let (cmds, cmd_rx) = unbounded();
    let thread = spawn_incoming(ctx, ConnId(8), server, pieces(&[1]), cmd_rx).unwrap();
    let mut remote = Remote::new(client);
    remote.send_raw(&wire_msg::handshake_with(
        wire_msg::EXTENSION_BIT,
        INFO_HASH,
        THEIR_ID,
    ));
    let ours = remote.read_handshake();
    assert_eq!(ours.reserved, wire_msg::EXTENSION_BIT);
    match remote.recv() {
        Message::Extended { id: 0, payload } => {
            assert!(
                payload.starts_with(b"d1:mde1:pi6881e4:reqqi2048e"),
                "{payload:?}"
            )
        }
        other => panic!("expected our extended handshake, got {other:?}"),
    }
    assert_eq!(remote.recv(), Message::Bitfield(vec![0b0100_0000]));
    let h = Harness {
        events,
        cmds: Some(cmds),
        remote,
        thread,
    };
    assert!(matches!(h.event(), PeerEventKind::Ready { .. }));
    h.cmd(PeerCommand::Close);
    h.expect_closed(false);
}
