//! What bitsy answers to each query, and the rate limit.

use super::*;
use crate::dht::contact::Contact;
use crate::dht::node_id::NodeId;
use crate::dht::routing::Heard;
use std::time::Duration;

const OWN: NodeId = NodeId([0x60; 20]);
const FROM: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(127, 0, 0, 2), 6881);

struct Node {
    table: RoutingTable,
    tokens: Tokens,
    store: PeerStore,
    now: Instant,
}

impl Node {
    /// A node that knows 20 others at 127.0.1.x.
    fn new() -> Node {
        let now = Instant::now();
        let mut table = RoutingTable::new(OWN, now);
        for i in 0..20u8 {
            let c = Contact {
                id: NodeId([i * 12; 20]),
                addr: SocketAddrV4::new(Ipv4Addr::new(127, 0, 1, i), 6881),
            };
            table.insert(c, Heard::Answered, now);
        }
        Node {
            table,
            tokens: Tokens::new(now),
            store: PeerStore::default(),
            now,
        }
    }

    fn ask(&mut self, method: Method, from: SocketAddrV4) -> Body {
        let q = Query {
            sender: NodeId([0x99; 20]),
            method,
            read_only: false,
        };
        answer(
            &q,
            from,
            &self.table,
            &self.tokens,
            &mut self.store,
            self.now,
        )
    }
}

fn response(b: Body) -> Response {
    match b {
        Body::Response(r) => r,
        other => panic!("not a response: {other:?}"),
    }
}

#[test]
fn ping_and_find_node() {
    let mut n = Node::new();
    let r = response(n.ask(Method::Ping, FROM));
    assert_eq!((r.sender, r.nodes.len(), r.token), (OWN, 0, None));
    let target = NodeId([0x30; 20]);
    let r = response(n.ask(Method::FindNode { target }, FROM));
    assert_eq!(r.nodes, n.table.closest(&target, K, n.now));
    assert_eq!(r.nodes.len(), K);
}

#[test]
fn get_peers_then_announce_then_get_peers() {
    let mut n = Node::new();
    let ih = NodeId([0xaa; 20]);
    // Nobody announced: the closest nodes, and a token.
    let r = response(n.ask(Method::GetPeers { info_hash: ih }, FROM));
    assert_eq!(r.nodes.len(), K);
    assert!(r.values.is_empty());
    let token = r.token.unwrap();
    // Announce with it, port given explicitly.
    let announce = |port, implied_port, token: &Vec<u8>| Method::AnnouncePeer {
        info_hash: ih,
        port,
        implied_port,
        token: token.clone(),
    };
    response(n.ask(announce(7000, false, &token), FROM));
    // And with implied_port: the UDP source port is stored instead.
    let other = SocketAddrV4::new(*FROM.ip(), 6999);
    response(n.ask(announce(1, true, &token), other));
    let r = response(n.ask(Method::GetPeers { info_hash: ih }, FROM));
    let mut values = r.values.clone();
    values.sort();
    assert_eq!(
        values,
        [
            SocketAddrV4::new(*FROM.ip(), 6999),
            SocketAddrV4::new(*FROM.ip(), 7000)
        ]
    );
    assert!(r.nodes.is_empty(), "values instead of nodes");
}

#[test]
fn announces_with_forged_or_foreign_tokens_are_refused() {
    let mut n = Node::new();
    let ih = NodeId([0xaa; 20]);
    let token = response(n.ask(Method::GetPeers { info_hash: ih }, FROM))
        .token
        .unwrap();
    let elsewhere = SocketAddrV4::new(Ipv4Addr::new(127, 0, 0, 3), 6881);
    for (what, token, from) in [
        ("another IP's token", token.clone(), elsewhere),
        ("made up", b"12345678".to_vec(), FROM),
        ("empty", Vec::new(), FROM),
    ] {
        let got = n.ask(
            Method::AnnouncePeer {
                info_hash: ih,
                port: 7000,
                implied_port: false,
                token,
            },
            from,
        );
        assert!(
            matches!(
                got,
                Body::Error {
                    code: ERROR_PROTOCOL,
                    ..
                }
            ),
            "{what}: {got:?}"
        );
    }
    assert!(n.store.is_empty());
}

#[test]
fn unknown_methods_get_error_204() {
    let mut n = Node::new();
    let got = n.ask(Method::Unknown, FROM);
    assert!(matches!(
        got,
        Body::Error {
            code: ERROR_METHOD_UNKNOWN,
            ..
        }
    ));
}

#[test]
fn the_rate_limit_allows_a_burst_then_a_steady_rate() {
    let now = Instant::now();
    let mut r = RateLimit::default();
    let ip = Ipv4Addr::new(127, 0, 0, 2);
    let allowed = (0..100).filter(|_| r.allow(ip, now)).count();
    assert_eq!(allowed, BURST as usize);
    // One second later, PER_SECOND more.
    let later = now + Duration::from_secs(1);
    let allowed = (0..100).filter(|_| r.allow(ip, later)).count();
    assert_eq!(allowed, PER_SECOND as usize);
    // Another address is not affected.
    assert!(r.allow(Ipv4Addr::new(127, 0, 0, 3), later));
}

#[test]
fn the_rate_limit_tracks_a_bounded_number_of_addresses() {
    let now = Instant::now();
    let mut r = RateLimit::default();
    for i in 0..MAX_TRACKED as u32 {
        assert!(r.allow(Ipv4Addr::from(0x0a00_0000 + i), now));
    }
    // All busy (each used one token just now): a new address waits.
    assert!(!r.allow(Ipv4Addr::new(127, 0, 0, 9), now));
    assert_eq!(r.buckets.len(), MAX_TRACKED);
    // Once they have refilled they are forgotten, and it gets in.
    assert!(r.allow(Ipv4Addr::new(127, 0, 0, 9), now + Duration::from_secs(1)));
    assert!(r.buckets.len() <= MAX_TRACKED);
}
