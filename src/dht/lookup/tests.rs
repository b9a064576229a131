//! Lookups against a simulated DHT: 500 nodes that each answer with the
//! 8 nodes closest to the target among all of them (a perfect routing
//! table), some of them liars.

use super::*;
use crate::rng::Rng;
use std::net::Ipv4Addr;

const OWN: NodeId = NodeId([0x33; 20]);

fn network(n: usize, seed: u64) -> Vec<Contact> {
    let mut rng = Rng::from_seed(seed);
    (0..n)
        .map(|i| {
            let mut id = [0; 20];
            rng.fill(&mut id);
            Contact {
                id: NodeId(id),
                addr: SocketAddrV4::new(Ipv4Addr::from(0x7f00_0100 + i as u32), 6881),
            }
        })
        .collect()
}

fn closest(all: &[Contact], target: &NodeId, n: usize) -> Vec<Contact> {
    let mut v = all.to_vec();
    v.sort_by_key(|c| c.id.distance(target));
    v.truncate(n);
    v
}

/// What node `c` answers: the 8 closest it knows; the 3 closest to the
/// target also hold a peer and give a token.
fn answer(all: &[Contact], c: &Contact, target: &NodeId) -> Response {
    let holders = closest(all, target, 3);
    let holds = holders.contains(c);
    Response {
        sender: c.id,
        nodes: if holds {
            Vec::new()
        } else {
            closest(all, target, K)
        },
        values: if holds {
            vec![SocketAddrV4::new(Ipv4Addr::new(127, 9, 9, 9), 7000)]
        } else {
            Vec::new()
        },
        token: Some(vec![c.id.0[0]; 4]),
    }
}

/// Runs `l` to the end; `liar` decides which nodes never answer.
/// Returns the number of rounds.
fn run(l: &mut Lookup, all: &[Contact], liar: impl Fn(&Contact) -> bool, now: Instant) -> usize {
    let target = l.target();
    for round in 0..1000 {
        let asked = l.next_queries(now);
        if asked.is_empty() && l.is_done(now) {
            return round;
        }
        for c in asked {
            if liar(&c) {
                l.failed(&c.id);
            } else {
                l.answered(&c.id, &answer(all, &c, &target));
            }
        }
    }
    panic!("the lookup never ended");
}

#[test]
fn a_lookup_finds_the_closest_nodes_and_the_peers() {
    let now = Instant::now();
    let all = network(500, 1);
    let target = NodeId([0xa5; 20]);
    // Start from three far nodes.
    let seeds: Vec<Contact> = closest(&all, &NodeId([0x5a; 20]), 3);
    let mut l = Lookup::new(target, OWN, &seeds, now);
    let rounds = run(&mut l, &all, |_| false, now);
    assert!(rounds < 40, "{rounds} rounds");
    assert_eq!(l.closest_answered(), closest(&all, &target, K));
    assert_eq!(
        l.peers(),
        [SocketAddrV4::new(Ipv4Addr::new(127, 9, 9, 9), 7000)]
    );
    assert_eq!(l.announce_to().len(), K);
    assert!(l.queries <= MAX_QUERIES);
}

#[test]
fn nodes_that_never_answer_do_not_stop_it() {
    let now = Instant::now();
    let all = network(500, 2);
    let target = NodeId([0x17; 20]);
    let seeds = closest(&all, &NodeId([0xe8; 20]), 4);
    let mut l = Lookup::new(target, OWN, &seeds, now);
    // Every node whose id starts with an odd byte is silent.
    let liar = |c: &Contact| c.id.0[0] % 2 == 1;
    run(&mut l, &all, liar, now);
    let honest: Vec<Contact> = all.iter().filter(|c| !liar(c)).copied().collect();
    let found = l.closest_answered();
    assert!(found.iter().all(|c| !liar(c)));
    // The closest honest nodes were reached (liars only hid themselves).
    assert_eq!(found.first(), closest(&honest, &target, 1).first());
}

#[test]
fn a_flood_of_nodes_and_our_own_id_are_contained() {
    let now = Instant::now();
    let seed = Contact {
        id: NodeId([0x01; 20]),
        addr: "127.0.0.2:6881".parse().unwrap(),
    };
    let target = NodeId([0x00; 20]);
    let mut l = Lookup::new(target, OWN, &[seed], now);
    assert_eq!(l.next_queries(now), [seed]);
    // It names us, itself again, and 200 others.
    let mut nodes = vec![
        Contact {
            id: OWN,
            addr: "127.0.0.3:1".parse().unwrap(),
        },
        seed,
    ];
    for i in 0..200u32 {
        let mut id = [0xf0; 20];
        id[16..].copy_from_slice(&i.to_be_bytes());
        nodes.push(Contact {
            id: NodeId(id),
            addr: SocketAddrV4::new(Ipv4Addr::from(0x7f01_0000 + i), 1),
        });
    }
    let r = Response {
        sender: seed.id,
        nodes,
        values: Vec::new(),
        token: None,
    };
    let hop = l.answered(&seed.id, &r).unwrap();
    assert_eq!(hop.new_nodes, 200, "neither our id nor a known node counts");
    assert!(l.candidates.len() <= MAX_CANDIDATES);
    assert!(l.candidates.iter().all(|c| c.contact.id != OWN));
    // An answer nobody asked for is ignored.
    assert_eq!(
        l.answered(
            &seed.id,
            &Response {
                sender: seed.id,
                ..r.clone()
            }
        ),
        None
    );
    assert_eq!(l.answered(&NodeId([0x77; 20]), &r), None);
    // All of them are silent: the budget ends it.
    let mut sent = 1;
    for _ in 0..1000 {
        let asked = l.next_queries(now);
        if asked.is_empty() {
            break;
        }
        sent += asked.len();
        for c in asked {
            l.failed(&c.id);
        }
    }
    assert!(l.is_done(now));
    assert!(sent <= MAX_QUERIES, "{sent} queries");
}

#[test]
fn a_lookup_without_seeds_waits_for_some_until_its_time_is_up() {
    let now = Instant::now();
    let mut l = Lookup::new(NodeId([9; 20]), OWN, &[], now);
    assert!(l.next_queries(now).is_empty());
    assert!(!l.is_done(now + MAX_TIME / 2));
    let all = network(5, 4);
    l.add_seeds(&all);
    assert_eq!(l.next_queries(now + MAX_TIME / 2).len(), ALPHA);
    let empty = Lookup::new(NodeId([9; 20]), OWN, &[], now);
    assert!(empty.is_done(now + MAX_TIME));
}

#[test]
fn time_runs_out() {
    let now = Instant::now();
    let all = network(20, 3);
    let mut l = Lookup::new(NodeId([9; 20]), OWN, &all, now);
    assert!(!l.next_queries(now).is_empty());
    assert!(!l.is_done(now + MAX_TIME / 2));
    assert!(l.is_done(now + MAX_TIME));
    assert!(l.next_queries(now + MAX_TIME).is_empty());
}
