//! BEP 6, the Fast extension: negotiation, have all / have none, reject,
//! allowed fast and suggest, against a remote that sets the Fast bit.

use crate::common::wire_msg::{self, Msg as Message};
use crate::harness::*;
use bitsy::channels::{PeerCommand, PeerEventKind};
use bitsy::wire::allowed_fast::allowed_fast_set;
use bitsy::wire::bitfield::Bitfield;
use std::net::Ipv4Addr;
use std::sync::Arc;

/// A thread past a handshake in which the remote set only the Fast bit.
fn ready_fast(our_pieces: Bitfield) -> Harness {
    ready_as(wire_msg::FAST_BIT, Arc::new(Stub), our_pieces)
}

fn ready_fast_slow(our_pieces: Bitfield) -> Harness {
    ready_as(wire_msg::FAST_BIT, Arc::new(SlowStub), our_pieces)
}

/// The remote's allowed-fast set from us: the canonical set for
/// 127.0.0.1, with k capped at half of the 5 pieces.
fn allowed_set() -> Vec<u32> {
    let k = bitsy::peer::ALLOWED_FAST_K.min(5 / 2);
    allowed_fast_set(&INFO_HASH, Ipv4Addr::LOCALHOST, 5, k)
}

fn request(index: u32, begin: u32, length: u32) -> Message {
    Message::Request {
        index,
        begin,
        length,
    }
}

fn reject(index: u32, begin: u32, length: u32) -> Message {
    Message::Reject {
        index,
        begin,
        length,
    }
}

#[test]
fn fast_messages_without_negotiation_drop_the_peer() {
    let table: &[Message] = &[
        Message::HaveAll,
        Message::HaveNone,
        Message::SuggestPiece(0),
        reject(0, 0, 16384),
        Message::AllowedFast(1),
    ];
    for m in table {
        let mut h = ready(pieces(&[]));
        h.remote.send(m);
        let reason = h.expect_closed(true);
        assert!(reason.contains("without negotiating"), "{m:?}: {reason}");
    }
}

#[test]
fn have_all_and_have_none_become_bitfield_events() {
    let mut h = ready_fast(pieces(&[]));
    // We have nothing: `have none`, and no allowed-fast piece to offer.
    assert_eq!(h.remote.recv(), Message::HaveNone);
    h.remote.send(&Message::HaveAll);
    match h.event() {
        PeerEventKind::Bitfield(b) => assert!(b.is_full() && b.count() == 5, "{b:?}"),
        other => panic!("expected a full Bitfield, got {other:?}"),
    }
    // Accepted again later, replacing the set (like a later bitfield).
    h.remote.send(&Message::HaveNone);
    match h.event() {
        PeerEventKind::Bitfield(b) => assert!(b.is_empty(), "{b:?}"),
        other => panic!("expected an empty Bitfield, got {other:?}"),
    }
    // Nothing was sent in between: the next message is the one we ask for.
    h.cmd(PeerCommand::Interested(true));
    assert_eq!(h.remote.recv(), Message::Interested);
}

#[test]
fn our_piece_set_is_have_all_bitfield_or_have_none_then_allowed_fast() {
    let allowed = allowed_set();
    assert_eq!(allowed.len(), 2);
    // (our pieces) -> first message; then allowed fast for those we have.
    let table: &[(&[u32], Message)] = &[
        (&[0, 1, 2, 3, 4], Message::HaveAll),
        (&[0, 4], Message::Bitfield(vec![0b1000_1000])),
        (&[], Message::HaveNone),
    ];
    for (ours, first) in table {
        let mut h = ready_fast(pieces(ours));
        assert_eq!(&h.remote.recv(), first, "{ours:?}");
        for &p in &allowed {
            if ours.contains(&p) {
                assert_eq!(h.remote.recv(), Message::AllowedFast(p), "{ours:?}");
            }
        }
        // Completing an allowed-fast piece announces it after its `have`.
        let missing = allowed.iter().find(|p| !ours.contains(p));
        if let Some(&p) = missing {
            h.cmd(PeerCommand::Have(geometry().piece(p).unwrap()));
            assert_eq!(h.remote.recv(), Message::Have(p));
            assert_eq!(h.remote.recv(), Message::AllowedFast(p));
        }
        h.cmd(PeerCommand::Interested(true));
        assert_eq!(
            h.remote.recv(),
            Message::Interested,
            "{ours:?}: nothing else"
        );
    }
}

#[test]
fn while_choked_allowed_fast_is_served_and_the_rest_rejected() {
    let allowed = allowed_set();
    let other = (0..5).find(|p| !allowed.contains(p)).unwrap();
    let fast = allowed[0];
    let mut h = ready_fast(pieces(&[0, 1, 2, 3, 4]));
    assert_eq!(h.remote.recv(), Message::HaveAll);
    for &p in &allowed {
        assert_eq!(h.remote.recv(), Message::AllowedFast(p));
    }
    // We choke the remote (the start state). Requests, in order:
    h.remote.send_all(&[
        request(other, 0, 1000), // choked, not allowed fast
        request(fast, 0, 100),   // allowed fast: served
        request(9, 0, 16384),    // no such piece
    ]);
    assert_eq!(h.remote.recv(), reject(other, 0, 1000));
    // The refusal of piece 9 is answered at once; the block follows.
    let mut got = [h.remote.recv(), h.remote.recv()];
    got.sort_by_key(|m| matches!(m, Message::Piece { .. }));
    assert_eq!(got[0], reject(9, 0, 16384));
    let want: Vec<u8> = (0..100).map(|i| pattern(fast, i)).collect();
    assert_eq!(
        got[1],
        Message::Piece {
            index: fast,
            begin: 0,
            data: want
        }
    );
    assert!(matches!(h.event(), PeerEventKind::Uploaded { bytes: 100 }));
}

#[test]
fn our_choke_rejects_every_queued_request_but_allowed_fast_ones() {
    let allowed = allowed_set();
    let mut h = ready_fast_slow(pieces(&[0, 1, 2, 3, 4]));
    assert_eq!(h.remote.recv(), Message::HaveAll);
    for &p in &allowed {
        assert_eq!(h.remote.recv(), Message::AllowedFast(p));
    }
    h.unchoke_peer();
    // Both blocks of pieces 0..=3: 8 requests, at 20 ms a block.
    let asks: Vec<(u32, u32)> = (0..8).map(|i| (i / 2, (i % 2) * 16384)).collect();
    let msgs: Vec<Message> = asks.iter().map(|&(p, o)| request(p, o, 16384)).collect();
    h.remote.send_all(&msgs);
    assert!(matches!(h.remote.recv(), Message::Piece { .. }));
    h.cmd(PeerCommand::Choke(true));
    // Every request gets exactly one answer; rejects only after the choke,
    // and none for an allowed-fast piece.
    let mut answered = vec![(0u32, 0u32)];
    let mut choked = false;
    while answered.len() < asks.len() {
        match h.remote.recv() {
            Message::Piece { index, begin, .. } => answered.push((index, begin)),
            Message::Choke => choked = true,
            Message::Reject {
                index,
                begin,
                length,
            } => {
                assert!(choked, "a reject before the choke");
                assert_eq!(length, 16384);
                assert!(!allowed.contains(&index), "rejected allowed-fast {index}");
                answered.push((index, begin));
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(choked || h.remote.recv() == Message::Choke);
    answered.sort_unstable();
    assert_eq!(answered, asks, "one answer per request");
}

#[test]
fn a_cancel_is_answered_with_a_reject() {
    let mut h = ready_fast_slow(pieces(&[0, 1, 2, 3, 4]));
    assert_eq!(h.remote.recv(), Message::HaveAll);
    for &p in &allowed_set() {
        assert_eq!(h.remote.recv(), Message::AllowedFast(p));
    }
    h.unchoke_peer();
    h.remote.send_all(&[
        request(0, 0, 16384),
        request(1, 0, 16384),
        Message::Cancel {
            index: 1,
            begin: 0,
            length: 16384,
        },
    ]);
    let mut got = [h.remote.recv(), h.remote.recv()];
    got.sort_by_key(|m| matches!(m, Message::Piece { .. }));
    assert_eq!(got[0], reject(1, 0, 16384));
    assert!(matches!(got[1], Message::Piece { index: 0, .. }));
}

#[test]
fn a_reject_for_our_request_becomes_an_event_once() {
    let mut h = ready_fast(pieces(&[]));
    assert_eq!(h.remote.recv(), Message::HaveNone);
    h.unchoked_by_peer();
    let b = block(1, 1);
    h.cmd(PeerCommand::Request(b));
    assert_eq!(h.remote.recv(), request(1, 16384, 16384));
    h.remote.send(&reject(1, 16384, 16384));
    match h.event() {
        PeerEventKind::Reject(got) => assert_eq!(got, b),
        other => panic!("expected Reject, got {other:?}"),
    }
    // Again, and for blocks never asked: ignored (sync proves they were read).
    h.remote.send_all(&[
        reject(1, 16384, 16384),
        reject(2, 0, 16384),
        reject(77, 0, 1),
    ]);
    h.sync(3);
    // The request is over: its block now would be one we did not ask for.
    h.remote.send(&Message::Piece {
        index: 1,
        begin: 16384,
        data: vec![0; 16384],
    });
    assert!(h.expect_closed(true).contains("did not request"));
}

#[test]
fn allowed_fast_pieces_may_be_requested_while_choked() {
    let mut h = ready_fast(pieces(&[]));
    assert_eq!(h.remote.recv(), Message::HaveNone);
    h.remote
        .send_all(&[Message::AllowedFast(3), Message::AllowedFast(3)]);
    match h.event() {
        PeerEventKind::AllowedFast(p) => assert_eq!(p.get(), 3),
        other => panic!("expected AllowedFast, got {other:?}"),
    }
    h.sync(0); // the repeat made no second event
    // Still choked: piece 2 is dropped, piece 3 goes out.
    h.cmd(PeerCommand::Request(block(2, 0)));
    h.cmd(PeerCommand::Request(block(3, 1)));
    assert_eq!(h.remote.recv(), request(3, 16384, 16384));
}

#[test]
fn suggest_is_checked_then_ignored() {
    let mut h = ready_fast(pieces(&[]));
    assert_eq!(h.remote.recv(), Message::HaveNone);
    h.remote.send(&Message::SuggestPiece(4));
    h.sync(1);
    h.remote.send(&Message::SuggestPiece(5));
    assert!(h.expect_closed(true).contains("does not exist"));
}
