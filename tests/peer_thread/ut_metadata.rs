//! BEP 9: serving the info dictionary to a peer that asks for it.
//!
//! The remote writes and reads the messages by hand (bencode literals),
//! independently of bitsy's `wire::ut_metadata`.

use crate::common::wire_msg::{EXTENSION_BIT, Msg as Message};
use crate::harness::*;
use bitsy::channels::PeerEventKind;
use std::sync::Arc;

/// The id the remote gives `ut_metadata` in its `m`: our answers use it.
const THEIR_UT_METADATA: u8 = 3;

/// Our id for `ut_metadata` (in our `m`): requests go to it.
const OUR_UT_METADATA: u8 = 1;

fn request(piece: u32) -> Message {
    Message::Extended {
        id: OUR_UT_METADATA,
        payload: format!("d8:msg_typei0e5:piecei{piece}ee").into_bytes(),
    }
}

fn data(piece: u32, bytes: &[u8]) -> Message {
    let head = format!("d8:msg_typei1e5:piecei{piece}e10:total_sizei20000ee");
    Message::Extended {
        id: THEIR_UT_METADATA,
        payload: [head.as_bytes(), bytes].concat(),
    }
}

fn reject(piece: u32) -> Message {
    Message::Extended {
        id: THEIR_UT_METADATA,
        payload: format!("d8:msg_typei2e5:piecei{piece}ee").into_bytes(),
    }
}

/// Past both extended handshakes; the remote's gives `ut_metadata` an id.
fn ready_to_ask(h: &mut Harness) {
    h.remote.send(&extended(b"d1:md11:ut_metadatai3eee"));
    assert!(matches!(h.event(), PeerEventKind::Extended { .. }));
}

#[test]
fn requests_get_the_exact_bytes_or_a_reject() {
    let mut h = ready_extended(pieces(&[]));
    ready_to_ask(&mut h);
    let all = metadata();
    // (requested piece, the answer)
    let table = [
        (0, data(0, &all[..16_384])),
        (1, data(1, &all[16_384..])), // the last piece: 3,616 bytes
        (2, reject(2)),               // out of range
        (u32::MAX, reject(u32::MAX)),
        (0, data(0, &all[..16_384])), // asking again is fine
    ];
    for (piece, answer) in table {
        h.remote.send(&request(piece));
        assert_eq!(h.remote.recv(), answer, "piece {piece}");
    }
    // An unknown msg_type, and data or reject sent to us, are skipped.
    for payload in [
        &b"d8:msg_typei7e5:piecei0ee"[..],
        b"d8:msg_typei2e5:piecei0ee",
        b"d8:msg_typei1e5:piecei0e10:total_sizei1ee!",
    ] {
        h.remote.send(&Message::Extended {
            id: OUR_UT_METADATA,
            payload: payload.to_vec(),
        });
    }
    h.sync(1);
    // A malformed message drops the peer.
    h.remote.send(&Message::Extended {
        id: OUR_UT_METADATA,
        payload: b"d8:msg_typei0e5:piece".to_vec(),
    });
    let reason = h.expect_closed(true);
    assert!(reason.contains("ut_metadata"), "{reason}");
}

#[test]
fn without_metadata_every_request_is_rejected() {
    let ctx = context_full(Arc::new(Stub), None);
    let mut h = ready_in(EXTENSION_BIT, ctx, pieces(&[]));
    match h.remote.recv() {
        Message::Extended { id: 0, payload } => {
            let text = String::from_utf8_lossy(&payload).into_owned();
            assert!(
                text.starts_with("d1:md11:ut_metadatai1e6:ut_pexi2ee1:p"),
                "{text}"
            );
            assert!(!text.contains("metadata_size"), "{text}");
        }
        other => panic!("expected our extended handshake, got {other:?}"),
    }
    ready_to_ask(&mut h);
    h.remote.send(&request(0));
    assert_eq!(h.remote.recv(), reject(0));
}

#[test]
fn a_peer_without_an_id_for_it_gets_no_answer() {
    let mut h = ready_extended(pieces(&[]));
    h.remote.send(&request(0));
    // Nothing came back before the `have` round trip completed.
    h.sync(2);
    h.remote.send(&extended(b"d1:md11:ut_metadatai3eee"));
    assert!(matches!(h.event(), PeerEventKind::Extended { .. }));
    h.remote.send(&request(1));
    assert_eq!(h.remote.recv(), data(1, &metadata()[16_384..]));
}

#[test]
fn a_flood_of_requests_is_held_to_the_budget() {
    let mut h = ready_extended(pieces(&[]));
    ready_to_ask(&mut h);
    // 300 requests at once: the burst of 128 is served, the rest mostly
    // rejected (a few more tokens may come in while they are answered).
    let mut burst = Vec::new();
    for _ in 0..300 {
        request(1).encode_into(&mut burst);
    }
    h.remote.send_raw(&burst);
    let (mut served, mut rejected) = (0, 0);
    for _ in 0..300 {
        match h.remote.recv() {
            m if m == data(1, &metadata()[16_384..]) => served += 1,
            m if m == reject(1) => rejected += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!((128..=140).contains(&served), "served {served}");
    assert_eq!(served + rejected, 300);
}
