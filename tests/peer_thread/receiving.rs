//! What the remote sends us: violations, blocks asked for and not.

use crate::common::wire_msg::Msg as Message;
use crate::harness::*;
use bitsy::block_pool::BlockPool;
use bitsy::channels::{PeerCommand, PeerEventKind};
use bitsy::geometry::BlockRef;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

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
        0, 0, 0, 2, 18, 7,                            // id 18: nobody's, skipped
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
        PeerEventKind::Block {
            block, data: got, ..
        } => {
            assert_eq!(block, b);
            assert_eq!(got, data);
        }
        other => panic!("{other:?}"),
    }
}

/// The block pool is the budget of blocks in transit (`block_pool`): while
/// its one buffer is out with the first block, the second stays in the
/// socket; it is read once the first block's buffer is dropped.
#[test]
fn no_block_is_read_while_every_block_buffer_is_out() {
    let pool = BlockPool::new(1);
    let ctx = context_pooled(Arc::new(Stub), None, false, pool.clone());
    let mut h = ready_in([0; 8], ctx, pieces(&[]));
    h.unchoked_by_peer();
    let (b1, b2) = (block(1, 0), block(1, 1));
    for b in [b1, b2] {
        h.cmd(PeerCommand::Request(b));
        assert!(matches!(h.remote.recv(), Message::Request { .. }));
    }
    for b in [b1, b2] {
        let data = (0..16384u32).map(|i| pattern(1, b.offset + i)).collect();
        h.remote.send(&Message::Piece {
            index: 1,
            begin: b.offset,
            data,
        });
    }
    let first = h.event();
    assert!(matches!(&first, PeerEventKind::Block { block, .. } if *block == b1));
    assert_eq!(pool.free(), 0);
    assert!(
        h.events.recv_timeout(Duration::from_millis(300)).is_err(),
        "no second block while its buffer is out"
    );
    drop(first);
    match h.event() {
        PeerEventKind::Block { block, .. } => assert_eq!(block, b2),
        other => panic!("{other:?}"),
    }
}

/// A connection that ends halfway through a block (the peer hangs up), or
/// on a `piece` too short for its header, leaves the pool whole: the pool
/// is the budget of blocks in transit for the whole torrent, and a buffer
/// lost is never found again. (A `piece` too short once took a buffer and
/// dropped it.)
#[test]
fn a_connection_that_ends_mid_block_gives_its_buffer_back() {
    // <len=9+16384><id=7><index=1><begin=0> and 8 KiB of the block
    let mut half_block = (9u32 + 16384).to_be_bytes().to_vec();
    half_block.extend_from_slice(&[7, 0, 0, 0, 1, 0, 0, 0, 0]);
    half_block.extend(std::iter::repeat_n(0xab, 8192));
    // <len=5><id=7><4 bytes>: no room for index and begin
    let too_short = vec![0, 0, 0, 5, 7, 0, 0, 0, 1];
    let cases = [
        ("hangs up mid-block", half_block, false),
        ("too short", too_short, true),
    ];
    for (what, bytes, misbehaved) in cases {
        let pool = BlockPool::new(4);
        let ctx = context_pooled(Arc::new(Stub), None, false, pool.clone());
        let mut h = ready_in([0; 8], ctx, pieces(&[]));
        h.unchoked_by_peer();
        h.cmd(PeerCommand::Request(block(1, 0)));
        assert!(matches!(h.remote.recv(), Message::Request { .. }));
        h.remote.send_raw(&bytes);
        thread::sleep(Duration::from_millis(200)); // the thread reads what came
        h.remote.stream.shutdown(std::net::Shutdown::Both).unwrap();
        h.expect_closed(misbehaved);
        assert_eq!(pool.free(), 4, "{what}: every buffer is back");
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

/// A piece whose blocks arrive in order is hashed on the way in
/// (`peer/running_hash.rs`): the block that ends it carries the SHA-1 of
/// the whole piece, the others none. Piece 4, the last, is a short one
/// (1,000 bytes in one block). A piece whose blocks come out of order
/// gets no digest: the session's hasher checks it.
#[test]
fn a_piece_received_in_order_carries_its_digest() {
    let mut h = ready(pieces(&[]));
    h.unchoked_by_peer();
    // (blocks in the order the peer sends them, digest expected on the last)
    let cases: [(&[BlockRef], bool); 3] = [
        (&[block(2, 0), block(2, 1)], true),
        (&[block(4, 0)], true),
        (&[block(3, 1), block(3, 0)], false),
    ];
    for (blocks, hashed) in cases {
        let piece = blocks[0].piece.get();
        let mut whole = Vec::new();
        for b in blocks {
            h.cmd(PeerCommand::Request(*b));
            assert!(matches!(h.remote.recv(), Message::Request { .. }));
        }
        let mut digests = Vec::new();
        for b in blocks {
            let data: Vec<u8> = (0..b.len).map(|i| pattern(piece, b.offset + i)).collect();
            h.remote.send(&Message::Piece {
                index: piece,
                begin: b.offset,
                data,
            });
            match h.event() {
                PeerEventKind::Block { data, digest, .. } => {
                    whole.extend_from_slice(&data);
                    digests.push(digest);
                }
                other => panic!("{other:?}"),
            }
        }
        let last = digests.pop().flatten();
        assert!(
            digests.iter().all(Option::is_none),
            "piece {piece}: {digests:?}"
        );
        let want = hashed.then(|| sha1_smol::Sha1::from(&whole).digest().bytes());
        assert_eq!(last, want, "piece {piece}");
    }
}
