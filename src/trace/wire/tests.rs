//! Unit tests for `trace::wire`: one exact line per message kind, the
//! table doubling as a reference of what each message says.

use super::*;
use crate::wire::ext_handshake::ClientName;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

fn v4(last: u8, port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::new(127, 0, 0, last), port))
}

#[test]
fn handshake_names_its_reserved_bits() {
    let ours = Handshake::new([0xab; 20], *b"-BS0100-\x00bcdefghijkl");
    let table = [
        (
            ours.clone(),
            "reserved=0000000000100004 [extension protocol (BEP 10), fast (BEP 6)]",
        ),
        (
            ours.clone().with_dht(),
            "reserved=0000000000100005 [extension protocol (BEP 10), fast (BEP 6), DHT (BEP 5)]",
        ),
        (
            Handshake {
                reserved: [0; 8],
                ..ours.clone()
            },
            "reserved=0000000000000000 [none]",
        ),
    ];
    for (h, bits) in table {
        assert_eq!(
            handshake(&h),
            format!(
                "handshake info_hash={} peer_id=-BS0100-\\x00bcdefghijkl {bits} (BEP 3: this \
                 connection is for this torrent; reserved bits say which extensions the sender speaks)",
                "ab".repeat(20)
            )
        );
    }
}

#[test]
fn every_bep3_bep5_and_bep6_message() {
    let table: Vec<(Message, &str)> = vec![
        (
            Message::KeepAlive,
            "keep-alive (BEP 3: an empty frame, so the connection is not dropped as silent)",
        ),
        (
            Message::Choke,
            "choke (BEP 3: the sender will not answer requests now)",
        ),
        (
            Message::Unchoke,
            "unchoke (BEP 3: the sender will answer requests now)",
        ),
        (
            Message::Interested,
            "interested (BEP 3: the sender wants pieces the receiver has)",
        ),
        (
            Message::NotInterested,
            "not interested (BEP 3: the sender wants nothing the receiver has)",
        ),
        (
            Message::Have(7),
            "have index=7 (BEP 3: the sender has verified this piece)",
        ),
        (
            // 0b1110_0000: pieces 0, 1 and 2 of 4.
            Message::Bitfield(vec![0xe0]),
            "bitfield 3 of 4 pieces [1 bytes] (BEP 3: one bit per piece, set for each the sender has)",
        ),
        (
            Message::Request {
                index: 3,
                begin: 16384,
                length: 16384,
            },
            "request index=3 begin=16384 length=16384 (BEP 3: ask for one block)",
        ),
        (
            Message::Piece {
                index: 3,
                begin: 0,
                data: vec![0x55; 16384],
            },
            "piece index=3 begin=0 [16384 bytes] (BEP 3: one block of data)",
        ),
        (
            Message::Cancel {
                index: 3,
                begin: 0,
                length: 16384,
            },
            "cancel index=3 begin=0 length=16384 (BEP 3: withdraw a request)",
        ),
        (
            Message::Port(6881),
            "port 6881 (BEP 5: the sender's DHT node listens on this UDP port)",
        ),
        (
            Message::Fast(FastMessage::SuggestPiece(2)),
            "suggest piece index=2 (BEP 6: the sender would find this piece cheap to serve)",
        ),
        (
            Message::Fast(FastMessage::HaveAll),
            "have all (BEP 6: the sender has every piece; replaces a bitfield)",
        ),
        (
            Message::Fast(FastMessage::HaveNone),
            "have none (BEP 6: the sender has no piece; replaces a bitfield)",
        ),
        (
            Message::Fast(FastMessage::RejectRequest {
                index: 1,
                begin: 32768,
                length: 16384,
            }),
            "reject request index=1 begin=32768 length=16384 (BEP 6: this request will not be answered)",
        ),
        (
            Message::Fast(FastMessage::AllowedFast(0)),
            "allowed fast index=0 (BEP 6: the receiver may request this piece even while choked)",
        ),
        (
            Message::Unknown { id: 21 },
            "unknown id=21 (a message id bitsy does not speak; skipped)",
        ),
    ];
    for (msg, want) in table {
        assert_eq!(message(&msg, Some(4), None), want, "{msg:?}");
    }
}

#[test]
fn a_bitfield_before_the_metadata_counts_its_bits() {
    let msg = Message::Bitfield(vec![0xff, 0x80]);
    assert_eq!(
        message(&msg, None, None),
        "bitfield 9 of at most 16 pieces [2 bytes] (BEP 3: one bit per piece, set for each the sender has)"
    );
}

#[test]
fn extended_handshake_fields() {
    let h = ExtHandshake {
        m: vec![(Extension::UtMetadata, 1), (Extension::UtPex, 2)],
        client: Some(ClientName::new(b"Transmission 4.0\n")),
        listen_port: Some(51413),
        reqq: Some(500),
        yourip: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        metadata_size: Some(31235),
        ignored: Vec::new(),
    };
    let table = [
        (
            h.encode(),
            "extended handshake m={ut_metadata: 1, ut_pex: 2} v=\"Transmission 4.0\\n\" p=51413 \
             reqq=500 metadata_size=31235 yourip=127.0.0.1 (BEP 10: the extensions the sender \
             speaks, and the ids to send them with)",
        ),
        (
            ExtHandshake::default().encode(),
            "extended handshake m={} (BEP 10: the extensions the sender speaks, and the ids to \
             send them with)",
        ),
        (
            b"i42e".to_vec(),
            "extended handshake, malformed: extended handshake is not a dictionary (BEP 10: \
             the extensions the sender speaks, and the ids to send them with)",
        ),
    ];
    for (payload, want) in table {
        let msg = Message::Extended {
            id: HANDSHAKE_ID,
            payload,
        };
        // Id 0 is the handshake whatever extension the caller names.
        assert_eq!(message(&msg, None, Some(Extension::UtPex)), want);
    }
}

#[test]
fn ut_metadata_and_ut_pex_are_summarised() {
    let data = MetadataMsg::Data {
        piece: 1,
        total_size: 20000,
        data: &[7; 3616],
    };
    let data_payload = data.encode(); // the dictionary, then the bytes
    let pex = PexMessage {
        added: vec![
            (v4(2, 6881), PexFlags::SEED),
            (v4(3, 6882), PexFlags(0)),
            (v4(4, 6883), PexFlags(0)),
            (v4(5, 6884), PexFlags(0)),
        ],
        dropped: vec![v4(9, 1)],
    };
    let table = [
        (
            Extension::UtMetadata,
            MetadataMsg::Request { piece: 0 }.encode(),
            "ut_metadata request piece=0 (BEP 9: ask for one 16 KiB piece of the info dictionary)",
        ),
        (
            Extension::UtMetadata,
            data_payload,
            "ut_metadata data piece=1 total_size=20000 [3616 bytes] (BEP 9: one piece of the info dictionary)",
        ),
        (
            Extension::UtMetadata,
            MetadataMsg::Reject { piece: 2 }.encode(),
            "ut_metadata reject piece=2 (BEP 9: the sender will not send this piece)",
        ),
        (
            Extension::UtMetadata,
            MetadataMsg::Unknown { msg_type: 9 }.encode(),
            "ut_metadata msg_type=9 (BEP 9: a message type bitsy does not know; ignored)",
        ),
        (
            Extension::UtPex,
            pex.encode(),
            "ut_pex added=4 dropped=1 [127.0.0.2:6881 (seed), 127.0.0.3:6882, 127.0.0.4:6883, \
             1 more] (BEP 11: peers the sender connected to or dropped since its last ut_pex)",
        ),
        (
            Extension::UtPex,
            PexMessage::default().encode(),
            "ut_pex added=0 dropped=0 (BEP 11: peers the sender connected to or dropped since \
             its last ut_pex)",
        ),
    ];
    for (ext, payload, want) in table {
        let msg = Message::Extended { id: 3, payload };
        assert_eq!(message(&msg, Some(4), Some(ext)), want);
    }
    let other = Message::Extended {
        id: 9,
        payload: vec![0; 10],
    };
    assert_eq!(
        message(&other, Some(4), None),
        "extended id=9 [10 bytes] (BEP 10: an extension message the receiver did not offer; skipped)"
    );
}

#[test]
fn malformed_extension_payloads_say_so_without_dumping() {
    for (ext, prefix) in [
        (
            Extension::UtMetadata,
            "ut_metadata (extended id 3), malformed: ",
        ),
        (Extension::UtPex, "ut_pex (extended id 3), malformed: "),
    ] {
        let msg = Message::Extended {
            id: 3,
            payload: vec![b'x'; 5000],
        };
        let line = message(&msg, None, Some(ext));
        assert!(line.starts_with(prefix), "{line}");
        assert!(line.len() < 200, "{line}");
    }
}
