//! Nodes wired together in memory: bootstrap, announce, find.

use super::*;
use crate::dht::krpc::Message;
use std::collections::VecDeque;
use std::net::Ipv4Addr;

fn addr(i: usize) -> SocketAddrV4 {
    SocketAddrV4::new(Ipv4Addr::new(127, 0, 0, 10 + i as u8), 6881)
}

struct Net {
    nodes: Vec<Node>,
    now: Instant,
    /// Findings of each node, in order.
    found: Vec<Vec<Out>>,
}

impl Net {
    /// `n` nodes, all bootstrapping from node 0.
    fn new(n: usize) -> Net {
        let now = Instant::now();
        let mut rng = Rng::from_seed(11);
        let nodes = (0..n)
            .map(|i| {
                let mut id = [0; 20];
                rng.fill(&mut id);
                let boot = if i == 0 { Vec::new() } else { vec![addr(0)] };
                Node::new(NodeId(id), &[], boot, now)
            })
            .collect();
        Net {
            nodes,
            now,
            found: vec![Vec::new(); n],
        }
    }

    /// Delivers `outs` of node `from` and everything they cause, at most
    /// 100,000 datagrams.
    fn run(&mut self, from: usize, outs: Vec<Out>) {
        let mut queue: VecDeque<(usize, Out)> = outs.into_iter().map(|o| (from, o)).collect();
        for _ in 0..100_000 {
            let Some((src, out)) = queue.pop_front() else {
                return;
            };
            match out {
                Out::Send(to, bytes) => {
                    let Some(dst) = (0..self.nodes.len()).find(|i| addr(*i) == to) else {
                        continue;
                    };
                    let more = self.nodes[dst].on_datagram(&bytes, addr(src), self.now);
                    queue.extend(more.into_iter().map(|o| (dst, o)));
                }
                other => self.found[src].push(other),
            }
        }
        panic!("the network never went quiet");
    }

    fn tick_all(&mut self) {
        for i in 0..self.nodes.len() {
            let outs = self.nodes[i].on_tick(self.now);
            self.run(i, outs);
        }
    }
}

#[test]
fn nodes_bootstrap_announce_and_find_each_other() {
    let mut net = Net::new(12);
    for _ in 0..5 {
        net.tick_all();
    }
    for (i, n) in net.nodes.iter().enumerate() {
        assert!(
            n.table().len() >= 3,
            "node {i} knows {} nodes",
            n.table().len()
        );
    }
    let ih = NodeId([0xab; 20]);
    // Node 5 looks up the torrent and announces port 7000.
    assert!(net.nodes[5].get_peers(ih, Some(7000), net.now));
    net.tick_all();
    assert!(net.found[5].contains(&Out::Done {
        target: ih,
        peers: 0
    }));
    // Node 9 finds node 5's address with that port.
    assert!(net.nodes[9].get_peers(ih, None, net.now));
    net.tick_all();
    let want = SocketAddrV4::new(*addr(5).ip(), 7000);
    let peers: Vec<SocketAddrV4> = net.found[9]
        .iter()
        .filter_map(|o| match o {
            Out::Peers(h, p) if *h == ih => Some(p.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(peers, [want]);
    assert!(net.found[9].iter().any(|o| matches!(o, Out::Hop(..))));
}

#[test]
fn peers_announced_to_the_node_itself_are_reported_by_its_own_lookup() {
    let now = Instant::now();
    let mut n = Node::new(NodeId([0x42; 20]), &[], Vec::new(), now);
    let ih = NodeId([0xab; 20]);
    let peer = SocketAddrV4::new(Ipv4Addr::new(127, 0, 0, 7), 7000);
    assert!(n.store.announce(ih, peer, now));
    assert!(n.get_peers(ih, None, now));
    let outs = n.on_tick(now);
    assert!(outs.contains(&Out::Peers(ih, vec![peer])), "{outs:?}");
    // Reported once.
    assert!(!n.on_tick(now).iter().any(|o| matches!(o, Out::Peers(..))));
}

#[test]
fn answers_to_queries_never_sent_and_our_own_id_are_ignored() {
    let now = Instant::now();
    let own = NodeId([0x42; 20]);
    let mut n = Node::new(own, &[], Vec::new(), now);
    let from = addr(1);
    let unsolicited = Message {
        tid: b"zz".to_vec(),
        body: Body::Response(Response {
            sender: NodeId([0x11; 20]),
            nodes: vec![Contact {
                id: NodeId([0x12; 20]),
                addr: addr(2),
            }],
            values: Vec::new(),
            token: None,
        }),
    };
    assert!(n.on_datagram(&unsolicited.encode(), from, now).is_empty());
    assert!(n.table().is_empty());
    let echo = Message {
        tid: b"aa".to_vec(),
        body: Body::Query(Query {
            sender: own,
            method: Method::Ping,
            read_only: false,
        }),
    };
    assert!(n.on_datagram(&echo.encode(), from, now).is_empty());
    assert!(n.on_datagram(b"garbage", from, now).is_empty());
    assert!(n.table().is_empty());
}

#[test]
fn a_query_flood_from_one_address_gets_a_bounded_number_of_answers() {
    let now = Instant::now();
    let mut n = Node::new(NodeId([0x42; 20]), &[], Vec::new(), now);
    let ping = Message {
        tid: b"aa".to_vec(),
        body: Body::Query(Query {
            sender: NodeId([1; 20]),
            method: Method::Ping,
            read_only: false,
        }),
    }
    .encode();
    let sent: usize = (0..1000)
        .map(|_| n.on_datagram(&ping, addr(1), now).len())
        .sum();
    assert_eq!(sent, server::BURST as usize);
}

/// A lookup asked for before the first bootstrap answer (the session asks
/// at once) still reaches the bootstrap node and announces to it.
#[test]
fn a_lookup_started_before_bootstrapping_announces_to_the_bootstrap_node() {
    let mut net = Net::new(2);
    let ih = NodeId([0xcd; 20]);
    assert!(net.nodes[1].get_peers(ih, Some(7000), net.now));
    for _ in 0..3 {
        net.tick_all();
    }
    assert!(net.found[1].iter().any(|o| matches!(o, Out::Done { .. })));
    assert_eq!(net.nodes[0].store.len(), 1, "node 0 holds the announce");
}
