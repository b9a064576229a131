//! Unit tests for `trace::dht`: one exact line per KRPC message kind.

use super::*;
use crate::dht::contact::Contact;
use crate::dht::krpc::{Query, Response};
use std::net::{Ipv4Addr, SocketAddrV4};

fn v4(last: u8, port: u16) -> SocketAddrV4 {
    SocketAddrV4::new(Ipv4Addr::new(127, 0, 0, last), port)
}

fn query(method: Method) -> Message {
    Message {
        tid: b"aa".to_vec(),
        body: Body::Query(Query {
            sender: NodeId([0x12; 20]),
            method,
            read_only: false,
        }),
    }
}

#[test]
fn every_query() {
    let ih = NodeId([0xab; 20]);
    let table = [
        (
            query(Method::Ping),
            "query ping t=aa id=12121212.. (BEP 5: are you there?)".to_string(),
        ),
        (
            query(Method::FindNode { target: ih }),
            format!(
                "query find_node t=aa id=12121212.. target={} (BEP 5: which nodes do you know \
                 closest to target?)",
                "ab".repeat(20)
            ),
        ),
        (
            query(Method::GetPeers { info_hash: ih }),
            format!(
                "query get_peers t=aa id=12121212.. info_hash={} (BEP 5: who has this torrent? \
                 else, which nodes are closer to it?)",
                "ab".repeat(20)
            ),
        ),
        (
            query(Method::AnnouncePeer {
                info_hash: ih,
                port: 6881,
                implied_port: true,
                token: vec![1; 8],
            }),
            format!(
                "query announce_peer t=aa id=12121212.. info_hash={} port=6881 implied_port=1 \
                 token=[8 bytes] (BEP 5: I am a peer of this torrent; the token proves I asked \
                 you with get_peers)",
                "ab".repeat(20)
            ),
        ),
    ];
    for (msg, want) in table {
        assert_eq!(message(&msg), want);
        // The thread traces bytes: the same line from the datagram.
        assert_eq!(datagram(&msg.encode()), want);
    }
}

#[test]
fn responses_errors_and_garbage() {
    let nodes: Vec<Contact> = (1..=5)
        .map(|i| Contact {
            id: NodeId([i * 0x11; 20]),
            addr: v4(i, 6881),
        })
        .collect();
    let table = [
        (
            Message {
                tid: b"\x00\x01".to_vec(),
                body: Body::Response(Response {
                    sender: NodeId([0xcd; 20]),
                    nodes,
                    values: vec![v4(9, 51413)],
                    token: Some(vec![0; 8]),
                }),
            },
            "response t=\\x00\\x01 id=cdcdcdcd.. nodes=5 [11111111..@127.0.0.1:6881, \
             22222222..@127.0.0.2:6881, 33333333..@127.0.0.3:6881, 2 more] values=1 \
             [127.0.0.9:51413] token=[8 bytes] (BEP 5: the answer to query t: nodes are closer \
             nodes, values are peers)",
        ),
        (
            Message {
                tid: b"zz".to_vec(),
                body: Body::Response(Response {
                    sender: NodeId([0; 20]),
                    nodes: Vec::new(),
                    values: Vec::new(),
                    token: None,
                }),
            },
            "response t=zz id=00000000.. (BEP 5: the answer to query t: nodes are closer nodes, \
             values are peers)",
        ),
        (
            Message {
                tid: b"e1".to_vec(),
                body: Body::Error {
                    code: 203,
                    message: "bad token".into(),
                },
            },
            "error t=e1 code=203 message=\"bad token\" (BEP 5: protocol error: malformed packet, \
             invalid arguments or bad token)",
        ),
        (
            Message {
                tid: b"e2".to_vec(),
                body: Body::Error {
                    code: 204,
                    message: "Method Unknown".into(),
                },
            },
            "error t=e2 code=204 message=\"Method Unknown\" (BEP 5: method unknown)",
        ),
    ];
    for (msg, want) in table {
        assert_eq!(message(&msg), want);
    }
    assert_eq!(
        datagram(b"d1:y1:xe"),
        "not KRPC: bad KRPC message: `t` missing or too long [8 bytes] (BEP 5: dropped unanswered)"
    );
}
