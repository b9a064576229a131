//! KRPC vectors: BEP 5's own example packets, decoded and re-encoded,
//! then every way a datagram can be refused.

use super::*;
use crate::dht::contact::{COMPACT_NODE_LEN, MAX_NODES};
use std::net::Ipv4Addr;

/// BEP 5's example ids.
const ABC: &[u8; 20] = b"abcdefghij0123456789";
const MNO: &[u8; 20] = b"mnopqrstuvwxyz123456";

fn query(method: Method) -> Message {
    Message {
        tid: b"aa".to_vec(),
        body: Body::Query(Query {
            sender: NodeId(*ABC),
            method,
            read_only: false,
        }),
    }
}

fn response(sender: &[u8; 20]) -> Response {
    Response {
        sender: NodeId(*sender),
        nodes: Vec::new(),
        values: Vec::new(),
        token: None,
    }
}

fn reply(r: Response) -> Message {
    Message {
        tid: b"aa".to_vec(),
        body: Body::Response(r),
    }
}

/// (what, the bencoded packet from BEP 5, the message it is). Each
/// decodes to the message and the message encodes back to the packet.
#[test]
fn bep5_example_packets_round_trip() {
    let table: Vec<(&str, &[u8], Message)> = vec![
        (
            "ping query",
            b"d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe",
            query(Method::Ping),
        ),
        (
            "ping response",
            b"d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re",
            reply(response(MNO)),
        ),
        (
            "find_node query",
            b"d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:aa1:y1:qe",
            query(Method::FindNode { target: NodeId(*MNO) }),
        ),
        (
            "get_peers query",
            b"d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e1:q9:get_peers1:t2:aa1:y1:qe",
            query(Method::GetPeers { info_hash: NodeId(*MNO) }),
        ),
        (
            // values: "axje.u" is 97.120.106.101 port 0x2e75 = 11893,
            // "idhtnm" is 105.100.104.116 port 0x6e6d = 28269.
            "get_peers response with peers",
            b"d1:rd2:id20:abcdefghij01234567895:token8:aoeusnth6:valuesl6:axje.u6:idhtnmee1:t2:aa1:y1:re",
            reply(Response {
                token: Some(b"aoeusnth".to_vec()),
                values: vec![
                    SocketAddrV4::new(Ipv4Addr::new(97, 120, 106, 101), 11893),
                    SocketAddrV4::new(Ipv4Addr::new(105, 100, 104, 116), 28269),
                ],
                ..response(ABC)
            }),
        ),
        (
            "generic error",
            b"d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee",
            Message {
                tid: b"aa".to_vec(),
                body: Body::Error {
                    code: ERROR_GENERIC,
                    message: "A Generic Error Ocurred".into(),
                },
            },
        ),
    ];
    for (what, packet, msg) in table {
        assert_eq!(Message::decode(packet), Ok(msg.clone()), "{what}: decode");
        assert_eq!(msg.encode(), packet, "{what}: encode");
    }
}

/// BEP 5's announce_peer example leaves `implied_port` out of the
/// bencoded form (its dictionary has it as 1); without it, it is 0.
#[test]
fn bep5_announce_peer_example_decodes() {
    let packet: &[u8] = b"d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti6881e5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe";
    let want = query(Method::AnnouncePeer {
        info_hash: NodeId(*MNO),
        port: 6881,
        implied_port: false,
        token: b"aoeusnth".to_vec(),
    });
    assert_eq!(Message::decode(packet), Ok(want));
}

/// bitsy's own announce_peer, with `implied_port`, keys sorted:
/// id < implied_port < info_hash < port < token.
#[test]
fn announce_peer_encodes_with_implied_port() {
    let msg = query(Method::AnnouncePeer {
        info_hash: NodeId(*MNO),
        port: 6881,
        implied_port: true,
        token: b"aoeusnth".to_vec(),
    });
    let want: &[u8] = b"d1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:mnopqrstuvwxyz1234564:porti6881e5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe";
    assert_eq!(msg.encode(), want);
    assert_eq!(Message::decode(want), Ok(msg));
}

/// A `nodes` string: two 26-byte contacts, 127.0.0.2:6881 and
/// 127.0.0.3:6882 (0x1ae1, 0x1ae2).
#[test]
fn compact_nodes_in_a_find_node_response() {
    let mut nodes = Vec::new();
    nodes.extend_from_slice(&[0x11; 20]);
    nodes.extend_from_slice(&[127, 0, 0, 2, 0x1a, 0xe1]);
    nodes.extend_from_slice(&[0x22; 20]);
    nodes.extend_from_slice(&[127, 0, 0, 3, 0x1a, 0xe2]);
    let msg = reply(Response {
        nodes: vec![
            Contact {
                id: NodeId([0x11; 20]),
                addr: "127.0.0.2:6881".parse().unwrap(),
            },
            Contact {
                id: NodeId([0x22; 20]),
                addr: "127.0.0.3:6882".parse().unwrap(),
            },
        ],
        ..response(MNO)
    });
    let mut packet = b"d1:rd2:id20:mnopqrstuvwxyz1234565:nodes52:".to_vec();
    packet.extend_from_slice(&nodes);
    packet.extend_from_slice(b"e1:t2:aa1:y1:re");
    assert_eq!(msg.encode(), packet);
    assert_eq!(Message::decode(&packet), Ok(msg));
}

#[test]
fn read_only_queries_say_so() {
    let packet: &[u8] = b"d1:ad2:id20:abcdefghij0123456789e1:q4:ping2:roi1e1:t2:aa1:y1:qe";
    let mut want = query(Method::Ping);
    if let Body::Query(q) = &mut want.body {
        q.read_only = true;
    }
    assert_eq!(Message::decode(packet), Ok(want.clone()));
    assert_eq!(want.encode(), packet);
}

#[test]
fn unknown_methods_and_keys_are_tolerated() {
    let packet: &[u8] = b"d1:ad2:id20:abcdefghij0123456789e1:q4:vote1:t2:aa1:v4:LT011:y1:qe";
    assert_eq!(Message::decode(packet), Ok(query(Method::Unknown)));
}

/// Hostile or broken datagrams: each is refused, none panics.
#[test]
fn bad_datagrams_are_refused() {
    let long_tid = format!(
        "d1:rd2:id20:{}e1:t17:{}1:y1:re",
        "m".repeat(20),
        "t".repeat(17)
    );
    let long_token = format!(
        "d1:rd2:id20:{}5:token65:{}e1:t2:aa1:y1:re",
        "m".repeat(20),
        "k".repeat(65)
    );
    let table: Vec<(&str, Vec<u8>)> = vec![
        ("empty", b"".to_vec()),
        ("not bencode", b"hello".to_vec()),
        ("a list", b"l1:te".to_vec()),
        ("no t", b"d1:rd2:id20:mnopqrstuvwxyz123456e1:y1:re".to_vec()),
        ("t too long", long_tid.into_bytes()),
        ("no y", b"d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aae".to_vec()),
        ("y unknown", b"d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:xe".to_vec()),
        ("response without r", b"d1:t2:aa1:y1:re".to_vec()),
        ("short id", b"d1:rd2:id19:mnopqrstuvwxyz12345e1:t2:aa1:y1:re".to_vec()),
        ("id not a string", b"d1:rd2:idi5ee1:t2:aa1:y1:re".to_vec()),
        ("query without a", b"d1:q4:ping1:t2:aa1:y1:qe".to_vec()),
        ("query without q", b"d1:ad2:id20:abcdefghij0123456789e1:t2:aa1:y1:qe".to_vec()),
        (
            "find_node without target",
            b"d1:ad2:id20:abcdefghij0123456789e1:q9:find_node1:t2:aa1:y1:qe".to_vec(),
        ),
        (
            "announce_peer with port 0",
            b"d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti0e5:token1:xe1:q13:announce_peer1:t2:aa1:y1:qe".to_vec(),
        ),
        (
            "announce_peer with port 70000",
            b"d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti70000e5:token1:xe1:q13:announce_peer1:t2:aa1:y1:qe".to_vec(),
        ),
        (
            "announce_peer without token",
            b"d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti1e1:q13:announce_peer1:t2:aa1:y1:qe".to_vec(),
        ),
        ("token too long", long_token.into_bytes()),
        (
            "nodes not whole entries",
            b"d1:rd2:id20:mnopqrstuvwxyz1234565:nodes3:abce1:t2:aa1:y1:re".to_vec(),
        ),
        ("values not a list", b"d1:rd2:id20:mnopqrstuvwxyz1234566:values6:axje.ue1:t2:aa1:y1:re".to_vec()),
        ("error without e", b"d1:t2:aa1:y1:ee".to_vec()),
        ("error without code", b"d1:el3:bade1:t2:aa1:y1:ee".to_vec()),
        ("trailing bytes", b"d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:rexx".to_vec()),
        ("too deep", format!("d1:t2:aa1:y1:r1:v{}{}e", "l".repeat(9), "e".repeat(9)).into_bytes()),
        ("too long", vec![b'x'; MAX_PACKET + 1]),
    ];
    for (what, packet) in table {
        assert!(Message::decode(&packet).is_err(), "{what} was accepted");
    }
}

/// A flood in one datagram is cut to the bounds, and contacts nobody can
/// reach are dropped.
#[test]
fn nodes_and_values_are_bounded_and_unreachable_ones_skipped() {
    let mut nodes = Vec::new();
    for i in 0..(MAX_PACKET / COMPACT_NODE_LEN - 4) as u8 {
        nodes.extend_from_slice(&[i; 20]);
        nodes.extend_from_slice(&[127, 0, 0, 1, 0, 1 + i]);
    }
    let mut packet = format!("d1:rd2:id20:{}5:nodes{}:", "m".repeat(20), nodes.len()).into_bytes();
    packet.extend_from_slice(&nodes);
    packet.extend_from_slice(b"e1:t2:aa1:y1:re");
    let Ok(Message {
        body: Body::Response(r),
        ..
    }) = Message::decode(&packet)
    else {
        panic!("a long nodes string is still a response");
    };
    assert_eq!(r.nodes.len(), MAX_NODES);

    let mut packet = format!("d1:rd2:id20:{}6:valuesl", "m".repeat(20)).into_bytes();
    packet.extend_from_slice(b"6:\x00\x00\x00\x00\x1a\xe1"); // 0.0.0.0:6881
    packet.extend_from_slice(b"6:\x7f\x00\x00\x01\x00\x00"); // 127.0.0.1:0
    for _ in 0..(MAX_VALUES + 50) {
        packet.extend_from_slice(b"6:\x7f\x00\x00\x01\x1a\xe1"); // 127.0.0.1:6881
    }
    packet.extend_from_slice(b"ee1:t2:aa1:y1:re");
    // Too long for one datagram at 250 values: decode the bytes directly.
    let root = bencode::decode(
        &packet,
        Limits {
            max_depth: 8,
            max_tokens: 4096,
        },
    );
    assert!(root.is_ok());
    let r = decode_response(&root.unwrap()).unwrap();
    assert_eq!(
        r.values.len(),
        MAX_VALUES,
        "0.0.0.0 and port 0 skipped, the rest cut"
    );
    assert!(r.values.iter().all(|v| v.port() == 6881));
}
