//! Handshakes and the first messages: who speaks first, and mismatches.

use crate::common::wire_msg::{self, Msg as Message};
use crate::harness::*;
use bitsy::channels::{PeerCommand, PeerEventKind};
use bitsy::ids::ConnId;
use bitsy::peer::{spawn_incoming, spawn_outgoing};
use crossbeam_channel::unbounded;
use std::net::{TcpListener, TcpStream};

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
