//! What we serve: requests, refusals, cancel and our choke.

use crate::common::wire_msg::Msg as Message;
use crate::harness::*;
use bitsy::channels::{PeerCommand, PeerEventKind};
use std::sync::Arc;

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

/// `--max-upload-rate`: a thread with a budget serves blocks only while
/// some is left (the last block may overdraw it), and waits for the next.
#[test]
fn an_upload_budget_holds_serving_back() {
    let mut h = ready(pieces(&[0, 1]));
    assert!(matches!(h.remote.recv(), Message::Bitfield(_)));
    h.cmd(PeerCommand::UploadBudget(0));
    h.unchoke_peer();
    let asks: Vec<Message> = (0..4)
        .map(|i| Message::Request {
            index: i / 2,
            begin: (i % 2) * 16384,
            length: 16384,
        })
        .collect();
    h.remote.send_all(&asks);
    h.sync(0); // all four are queued
    // No budget: nothing is served; the next message is the one we ask for.
    h.cmd(PeerCommand::Interested(true));
    assert_eq!(h.remote.recv(), Message::Interested);
    // 20,000 bytes: one block, and one more that overdraws the budget.
    h.cmd(PeerCommand::UploadBudget(20_000));
    for begin in [0, 16384] {
        match h.remote.recv() {
            Message::Piece {
                index: 0, begin: b, ..
            } => assert_eq!(b, begin),
            other => panic!("expected a block of piece 0, got {other:?}"),
        }
    }
    assert!(matches!(
        h.event(),
        PeerEventKind::Uploaded { bytes: 32768 }
    ));
    h.cmd(PeerCommand::Interested(false));
    assert_eq!(h.remote.recv(), Message::NotInterested, "no third block");
    // A new budget replaces the spent one: the rest is served.
    h.cmd(PeerCommand::UploadBudget(1 << 20));
    for begin in [0, 16384] {
        match h.remote.recv() {
            Message::Piece {
                index: 1, begin: b, ..
            } => assert_eq!(b, begin),
            other => panic!("expected a block of piece 1, got {other:?}"),
        }
    }
}
