use super::*;
use crate::tracker::udp_wire::EVENT_STARTED;
use crate::tracker_server::udp_request::{self, Request, hex};
use std::net::SocketAddr;

const HASH: [u8; 20] = [0x01; 20];
const PEER_ID: &[u8; 20] = b"-BY0001-abcdefghijkl";

fn fields(url_data: &[u8]) -> AnnounceFields<'_> {
    AnnounceFields {
        connection_id: 0x1122_3344_5566_7788,
        transaction_id: 0x0000_abcd,
        info_hash: &HASH,
        peer_id: PEER_ID,
        downloaded: 16,
        left: 0,
        uploaded: 32,
        event: EVENT_STARTED,
        key: 0xdead_beef,
        num_want: -1,
        port: 6881,
        url_data,
    }
}

const ANNOUNCE_98: &str = concat!(
    "11223344 55667788",                        // connection_id
    "00000001",                                 // action: announce
    "0000abcd",                                 // transaction_id
    "0101010101010101010101010101010101010101", // info_hash
    "2d4259303030312d6162636465666768696a6b6c", // peer_id "-BY0001-abcdefghijkl"
    "00000000 00000010",                        // downloaded: 16
    "00000000 00000000",                        // left: 0
    "00000000 00000020",                        // uploaded: 32
    "00000002",                                 // event: started
    "00000000",                                 // ip: use the source
    "deadbeef",                                 // key
    "ffffffff",                                 // num_want: -1 (default)
    "1ae1",                                     // port: 6881
);

#[test]
fn connect_request_vector() {
    let want = hex(concat!(
        "00000417 27101980", // connection_id: the protocol id
        "00000000",          // action: connect
        "cafebabe",          // transaction_id
    ));
    assert_eq!(connect_request(0xcafe_babe).to_vec(), want);
}

#[test]
fn announce_request_vectors() {
    // No path: no option at all.
    assert_eq!(announce_request(&fields(b"")).unwrap(), hex(ANNOUNCE_98));
    // BEP 41's own example: udp://tracker.example.com:80/dir?a=b&c=d
    let mut want = hex(ANNOUNCE_98);
    want.extend(hex(concat!(
        "02",                       // option: URLData
        "0c",                       // length: 12
        "2f6469723f613d6226633d64", // "/dir?a=b&c=d"
    )));
    assert_eq!(announce_request(&fields(b"/dir?a=b&c=d")).unwrap(), want);
}

#[test]
fn long_url_data_is_split_into_options_of_255() {
    let data = vec![b'x'; 300];
    let req = announce_request(&fields(&data)).unwrap();
    let opts = &req[ANNOUNCE_LEN..];
    assert_eq!(opts.len(), 2 + 255 + 2 + 45);
    assert_eq!(&opts[..2], &[2, 255]);
    assert_eq!(&opts[257..259], &[2, 45]);
    let too_long = vec![b'x'; MAX_URL_DATA + 1];
    assert!(announce_request(&fields(&too_long)).is_err());
}

#[test]
fn our_announce_is_what_our_server_parses() {
    let req = announce_request(&fields(b"/announce?k=v")).unwrap();
    match udp_request::parse(&req) {
        Ok(Request::Announce {
            connection_id,
            transaction_id,
            body,
        }) => {
            assert_eq!(connection_id, 0x1122_3344_5566_7788);
            assert_eq!(transaction_id, 0xabcd);
            assert_eq!(body.info_hash, HASH);
            assert_eq!((body.downloaded, body.left, body.uploaded), (16, 0, 32));
            assert_eq!((body.event, body.num_want, body.port), (2, -1, 6881));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn connect_answer_vector() {
    let p = hex(concat!(
        "00000000",         // action: connect
        "cafebabe",         // transaction_id
        "0102030405060708", // connection_id
    ));
    let got = parse_answer(&p, 0xcafe_babe, Expect::Connect);
    assert_eq!(got, Ok(Answer::Connected(0x0102_0304_0506_0708)));
}

const ANNOUNCE_HEADER: &str = concat!(
    "00000001", // action: announce
    "0000abcd", // transaction_id
    "00000708", // interval: 1800 s
    "00000005", // leechers: 5
    "00000003", // seeders: 3
);

fn announced(p: &[u8], ipv6: bool) -> AnnounceResponse {
    match parse_answer(p, 0xabcd, Expect::Announce { ipv6 }) {
        Ok(Answer::Announced(r)) => r,
        other => panic!("{other:?}"),
    }
}

#[test]
fn announce_answer_v4_vector() {
    let mut p = hex(ANNOUNCE_HEADER);
    p.extend(hex(concat!(
        "0a000001 1ae1", // 10.0.0.1:6881
        "c0a80102 0050", // 192.168.1.2:80
        "0a000001 1ae1", // a repeat: dropped
        "0a000009 0000", // port 0: dropped
    )));
    let r = announced(&p, false);
    let want: Vec<SocketAddr> = vec![
        "10.0.0.1:6881".parse().unwrap(),
        "192.168.1.2:80".parse().unwrap(),
    ];
    assert_eq!(r.peers, want);
    assert_eq!(r.interval, Duration::from_secs(1800));
    assert_eq!((r.seeders, r.leechers), (Some(3), Some(5)));
}

#[test]
fn announce_answer_v6_vector() {
    let mut p = hex(ANNOUNCE_HEADER);
    p.extend(hex("20010db8000000000000000000000001 1ae1")); // [2001:db8::1]:6881
    let r = announced(&p, true);
    assert_eq!(r.peers, vec!["[2001:db8::1]:6881".parse().unwrap()]);
    // The same 18 bytes over an IPv4 socket are three IPv4 entries, two
    // of them with port 0.
    let as_v4 = announced(&p, false).peers;
    assert_eq!(as_v4, vec!["0.0.0.1:6881".parse().unwrap()]);
}

#[test]
fn announce_answer_interval_is_clamped() {
    let p = hex("00000001 0000abcd 00000000 00000000 00000000");
    assert_eq!(announced(&p, false).interval, Duration::from_secs(60));
}

#[test]
fn peers_beyond_the_cap_are_dropped() {
    let mut p = hex(ANNOUNCE_HEADER);
    for i in 0..10_000u32 {
        p.extend_from_slice(&(0x0a00_0000 + i).to_be_bytes());
        p.extend_from_slice(&6881u16.to_be_bytes());
    }
    assert_eq!(announced(&p, false).peers.len(), MAX_PEERS_PER_REPLY);
}

#[test]
fn error_answer_vector() {
    let p = hex(concat!(
        "00000003",      // action: error
        "0000abcd",      // transaction_id
        "6e6f7065 0a21", // "nope\n!": the newline is cleaned
    ));
    for expect in [Expect::Connect, Expect::Announce { ipv6: false }] {
        assert_eq!(
            parse_answer(&p, 0xabcd, expect),
            Ok(Answer::Error("nope !".into()))
        );
    }
}

#[test]
fn answers_to_ignore_or_refuse() {
    let v4 = Expect::Announce { ipv6: false };
    let v6 = Expect::Announce { ipv6: true };
    let ignored =
        |p: &str, expect| matches!(parse_answer(&hex(p), 0xabcd, expect), Err(Bad::Ignore(_)));
    let table: &[(&str, Expect, bool)] = &[
        ("", Expect::Connect, true),
        ("00000000 0000ab", Expect::Connect, true), // 7 bytes
        ("00000000 0000abcd 01020304", Expect::Connect, true), // short id
        ("00000000 0000abce 0102030405060708", Expect::Connect, true), // other tid
        (
            "00000001 0000abcd 00000708 00000005 00000003",
            Expect::Connect,
            true,
        ),
        ("00000000 0000abcd 0102030405060708", v4, true), // connect, not announce
        ("00000002 0000abcd 00000001 00000002 00000003", v4, true), // scrape
        ("00000001 0000abcd 00000708 00000005", v4, true), // 16 bytes
        ("00000001 0000abce 00000708 00000005 00000003", v4, true), // other tid
        (
            "00000001 0000abcd 00000708 00000005 00000003 0a00000100",
            v4,
            false,
        ),
        (
            "00000001 0000abcd 00000708 00000005 00000003 0a0000011ae1",
            v6,
            false,
        ),
    ];
    for (p, expect, ignore) in table {
        assert_eq!(ignored(p, *expect), *ignore, "{p}");
        if !*ignore {
            assert!(matches!(
                parse_answer(&hex(p), 0xabcd, *expect),
                Err(Bad::Malformed(_))
            ));
        }
    }
}
