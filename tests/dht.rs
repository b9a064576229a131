//! A DHT node on a real loopback socket, against hostile senders: it
//! stays up, answers within its rate limit, ignores what it never asked
//! for, and still serves an honest node afterwards.

mod common;

use bitsy::dht::krpc::{Body, Message, Method, Query, Response};
use bitsy::dht::node_id::NodeId;
use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::time::{Duration, Instant};

/// A socket on its own loopback address (so each sender has its own
/// rate limit), with a short read timeout.
fn sender(ip: [u8; 4]) -> UdpSocket {
    let s = UdpSocket::bind(SocketAddrV4::new(ip.into(), 0)).expect("bind");
    s.set_read_timeout(Some(Duration::from_millis(50)))
        .expect("timeout");
    s
}

fn ping(tid: &[u8], sender: NodeId) -> Vec<u8> {
    Message {
        tid: tid.to_vec(),
        body: Body::Query(Query {
            sender,
            method: Method::Ping,
            read_only: false,
        }),
    }
    .encode()
}

/// Reads answers until none comes for 300 ms (at most 10 s; both scaled
/// for emulators).
fn drain(s: &UdpSocket) -> Vec<Message> {
    let mut buf = [0; 4096];
    let mut out = Vec::new();
    let deadline = Instant::now() + common::slow::scaled(Duration::from_secs(10));
    let silence = common::slow::scaled(Duration::from_millis(300));
    let mut quiet = Instant::now();
    while Instant::now() < deadline && quiet.elapsed() < silence {
        if let Ok((n, _)) = s.recv_from(&mut buf) {
            quiet = Instant::now();
            if let Ok(m) = Message::decode(&buf[..n]) {
                out.push(m);
            }
        }
    }
    out
}

#[test]
fn garbage_floods_and_unsolicited_answers_leave_it_serving() {
    let (_dht, addr) = common::dht_node::loopback_node();
    let evil = sender([127, 0, 0, 41]);
    let mut junk: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"not bencode".to_vec(),
        vec![b'x'; 4000], // longer than any datagram it reads
        format!("d1:t2:aa1:y1:q1:a{}", "l".repeat(50)).into_bytes(), // nested too deep
        b"d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:zz1:y1:re".to_vec(), // never asked
        b"d1:eli201e3:bade1:t2:zz1:y1:ee".to_vec(), // never asked
    ];
    // A response naming many nodes, to a query never sent.
    let flood = Response {
        sender: NodeId([7; 20]),
        nodes: (0..16)
            .map(|i| bitsy::dht::contact::Contact {
                id: NodeId([i; 20]),
                addr: SocketAddrV4::new(Ipv4Addr::new(127, 0, 3, i), 6881),
            })
            .collect(),
        values: Vec::new(),
        token: None,
    };
    junk.push(
        Message {
            tid: b"qq".to_vec(),
            body: Body::Response(flood),
        }
        .encode(),
    );
    for _ in 0..200 {
        for j in &junk {
            let _ = evil.send_to(j, addr);
        }
    }
    assert!(drain(&evil).is_empty(), "junk got an answer");

    // A ping flood from one address: answered only up to the burst.
    let flooder = sender([127, 0, 0, 42]);
    for i in 0..1000u16 {
        let _ = flooder.send_to(&ping(&i.to_be_bytes(), NodeId([0x42; 20])), addr);
    }
    let answers = drain(&flooder).len();
    assert!(
        (1..=40).contains(&answers),
        "{answers} answers to 1,000 pings"
    );

    // An honest node still gets its answer, with the node's id.
    let honest = sender([127, 0, 0, 43]);
    honest
        .send_to(&ping(b"ok", NodeId([0x43; 20])), addr)
        .expect("send");
    let got = drain(&honest);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].tid, b"ok");
    let Body::Response(r) = &got[0].body else {
        panic!("not a response: {:?}", got[0]);
    };
    // Its own id echoed back to it: no answer.
    let echo = sender([127, 0, 0, 44]);
    echo.send_to(&ping(b"me", r.sender), addr).expect("send");
    assert!(drain(&echo).is_empty(), "answered a query from its own id");
}
