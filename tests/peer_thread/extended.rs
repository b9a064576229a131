//! BEP 10: the extended handshake both ways, and hostile ones.

use crate::common::wire_msg::{self, Msg as Message};
use crate::harness::*;
use bitsy::channels::{PeerCommand, PeerEventKind};
use bitsy::ids::ConnId;
use bitsy::peer::spawn_incoming;
use crossbeam_channel::unbounded;
use std::net::{TcpListener, TcpStream};

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
            pex,
        } => {
            assert_eq!(client.unwrap().as_str(), "remote 1.0");
            assert_eq!((listen_port, reqq, pex), (Some(51413), Some(3), true));
        }
        other => panic!("expected Extended, got {other:?}"),
    }
    // A later one carries only what changed; a bad field is dropped alone.
    h.remote.send(&extended(b"d1:pi-1e4:reqqi7ee"));
    match h.event() {
        // `m` is additive: ut_pex is still on.
        PeerEventKind::Extended {
            client,
            listen_port,
            reqq,
            pex,
        } => assert_eq!(
            (client, listen_port, reqq, pex),
            (None, None, Some(7), true)
        ),
        other => panic!("expected Extended, got {other:?}"),
    }
    // An extended id we never advertised is skipped.
    h.remote.send(&Message::Extended {
        id: 9,
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
    assert_eq!(ours.reserved, wire_msg::BITSY_BITS);
    match remote.recv() {
        Message::Extended { id: 0, payload } => {
            assert!(
                payload.starts_with(
                    b"d1:md11:ut_metadatai1e6:ut_pexi2ee13:metadata_sizei20000e1:pi6881e4:reqqi2048e"
                ),
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
