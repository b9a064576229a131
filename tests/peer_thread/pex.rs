//! BEP 11: `ut_pex` messages in both directions, the one-a-minute rule,
//! floods and malformed ones; and BEP 27's private torrents, which have
//! none of it.

use crate::common::wire_msg::Msg as Message;
use crate::harness::*;
use bitsy::channels::{PeerCommand, PeerEventKind};
use bitsy::wire::ut_pex::{PexFlags, PexMessage};
use std::net::SocketAddr;

/// Our local id for ut_pex (what our `m` says).
const OUR_PEX_ID: u8 = 2;

fn pex(payload: &[u8]) -> Message {
    Message::Extended {
        id: OUR_PEX_ID,
        payload: payload.to_vec(),
    }
}

/// Two peers added (one a seed), one dropped; written by hand.
#[rustfmt::skip]
fn two_added_one_dropped() -> Vec<u8> {
    [
        &b"d"[..],
        b"5:added", b"12:",
            &[192, 0, 2, 7], &[0x1a, 0xe1],     // 192.0.2.7:6881
            &[192, 0, 2, 8], &[0x1a, 0xe2],     // 192.0.2.8:6882
        b"7:added.f", b"2:", &[0x10, 0x12],     // reachable; reachable + seed
        b"7:dropped", b"6:",
            &[192, 0, 2, 9], &[0x1a, 0xe3],     // 192.0.2.9:6883
        b"e",
    ]
    .concat()
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// Past both extended handshakes; the remote takes ut_pex under `its_id`.
fn pex_ready(its_id: u8) -> Harness {
    let h = ready_extended(pieces(&[]));
    let theirs = format!("d1:md6:ut_pexi{its_id}ee1:pi51413ee");
    let mut h = h;
    h.remote.send(&extended(theirs.as_bytes()));
    match h.event() {
        PeerEventKind::Extended { pex, .. } => assert!(pex, "it takes ut_pex"),
        other => panic!("expected Extended, got {other:?}"),
    }
    h
}

#[test]
fn a_pex_message_becomes_an_event_and_the_next_minute_is_quiet() {
    let mut h = pex_ready(1);
    h.remote.send(&pex(&two_added_one_dropped()));
    match h.event() {
        PeerEventKind::Pex(msg) => assert_eq!(
            msg,
            PexMessage {
                added: vec![
                    (addr("192.0.2.7:6881"), PexFlags::REACHABLE),
                    (addr("192.0.2.8:6882"), PexFlags::REACHABLE | PexFlags::SEED),
                ],
                dropped: vec![addr("192.0.2.9:6883")],
            }
        ),
        other => panic!("expected Pex, got {other:?}"),
    }
    // A second one at once is ignored (not even decoded: junk is fine).
    h.remote.send(&pex(b"junk"));
    h.remote.send(&pex(&two_added_one_dropped()));
    h.sync(1);
    h.cmd(PeerCommand::Close);
    h.expect_closed(false);
}

#[test]
fn a_pex_flood_drops_the_peer() {
    let mut h = pex_ready(1);
    let one = two_added_one_dropped();
    // One accepted, then five ignored, then the sixth early one is a flood.
    h.remote.send_all(&vec![pex(&one); 7]);
    assert!(matches!(h.event(), PeerEventKind::Pex(_)));
    let reason = h.expect_closed(true);
    assert!(
        reason.contains("ut_pex messages less than 50 s apart"),
        "{reason}"
    );
}

#[test]
fn a_malformed_pex_message_drops_the_peer() {
    let list = |n: usize| {
        let body = vec![9u8; n];
        [format!("d5:added{}:", body.len()).as_bytes(), &body, b"e"].concat()
    };
    // (payload, why)
    let table: Vec<(Vec<u8>, &str)> = vec![
        (list(7), "ut_pex added of 7 bytes, not a multiple of 6"),
        (list(101 * 6), "ut_pex added lists 101 peers, limit 100"),
        (list(2000 * 6), "ut_pex message of 12015 bytes, limit 6144"),
        (
            b"d5:addedi1ee".to_vec(),
            "ut_pex added is not a byte string",
        ),
        (b"le".to_vec(), "ut_pex message is not a dictionary"),
        // 10,000 addresses do not even fit in one frame.
        (list(10_000 * 6), "message of 60017 bytes"),
    ];
    for (payload, want) in table {
        let mut h = pex_ready(1);
        h.remote.send(&pex(&payload));
        let reason = h.expect_closed(true);
        assert!(reason.contains(want), "{reason:?}, want {want:?}");
    }
}

#[test]
fn our_pex_goes_out_under_the_peers_id_once_it_takes_it() {
    let mut h = ready_extended(pieces(&[]));
    let early = PexMessage {
        added: vec![(addr("192.0.2.1:1"), PexFlags(0))],
        dropped: vec![],
    };
    // Before the peer said it takes ut_pex: dropped by the thread.
    h.cmd(PeerCommand::Pex(early));
    // Commands are handled in order: once the `have` is out, so is the
    // verdict on the early message.
    h.cmd(PeerCommand::Have(geometry().piece(0).unwrap()));
    assert_eq!(h.remote.recv(), Message::Have(0));
    h.remote.send(&extended(b"d1:md6:ut_pexi7eee"));
    assert!(matches!(
        h.event(),
        PeerEventKind::Extended { pex: true, .. }
    ));
    let msg = PexMessage {
        added: vec![(addr("192.0.2.7:6881"), PexFlags::REACHABLE | PexFlags::SEED)],
        dropped: vec![addr("192.0.2.9:6883")],
    };
    h.cmd(PeerCommand::Pex(msg));
    #[rustfmt::skip]
    let want = [
        &b"d"[..],
        b"5:added", b"6:", &[192, 0, 2, 7], &[0x1a, 0xe1],
        b"7:added.f", b"1:", &[0x12],
        b"6:added6", b"0:", b"8:added6.f", b"0:",
        b"7:dropped", b"6:", &[192, 0, 2, 9], &[0x1a, 0xe3],
        b"8:dropped6", b"0:",
        b"e",
    ]
    .concat();
    assert_eq!(
        h.remote.recv(),
        Message::Extended {
            id: 7,
            payload: want
        }
    );
    // The peer turns ut_pex off: nothing more goes out.
    h.remote.send(&extended(b"d1:md6:ut_pexi0eee"));
    assert!(matches!(
        h.event(),
        PeerEventKind::Extended { pex: false, .. }
    ));
    h.cmd(PeerCommand::Pex(PexMessage::default()));
    h.cmd(PeerCommand::Have(geometry().piece(3).unwrap()));
    assert_eq!(h.remote.recv(), Message::Have(3));
}

#[test]
fn a_private_torrent_neither_offers_nor_takes_nor_sends_pex() {
    // `ready_extended_for(true, ..)` checks our `m` is empty.
    let mut h = ready_extended_for(true, pieces(&[]));
    h.remote.send(&extended(b"d1:md6:ut_pexi1eee"));
    assert!(matches!(
        h.event(),
        PeerEventKind::Extended { pex: false, .. }
    ));
    // Its messages are skipped like any extension we did not offer,
    // however many: no event, and no flood.
    h.remote.send_all(&vec![pex(&two_added_one_dropped()); 20]);
    h.sync(1);
    // Ours are never sent.
    h.cmd(PeerCommand::Pex(PexMessage {
        added: vec![(addr("192.0.2.7:6881"), PexFlags(0))],
        dropped: vec![],
    }));
    h.cmd(PeerCommand::Have(geometry().piece(3).unwrap()));
    assert_eq!(h.remote.recv(), Message::Have(3));
}
