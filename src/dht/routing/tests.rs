//! Routing table: splits around our own id, evictions by status, the
//! closest nodes, refreshes.

use super::*;
use std::net::Ipv4Addr;

/// Our id in these tests: 0110 0000 ... (0x60, then zeros).
const OWN: NodeId = NodeId([0x60; 20]);

/// An id whose first byte is `first` and whose last byte is `tag`
/// (so ids with one first byte still differ), at 127.0.0.1:(1000 + n).
fn contact(first: u8, tag: u8, n: u16) -> Contact {
    let mut id = [0; 20];
    id[0] = first;
    id[19] = tag;
    Contact {
        id: NodeId(id),
        addr: SocketAddrV4::new(Ipv4Addr::LOCALHOST, 1000 + n),
    }
}

fn table(now: Instant) -> RoutingTable {
    RoutingTable::new(OWN, now)
}

#[test]
fn the_first_eight_fit_in_one_bucket() {
    let now = Instant::now();
    let mut t = table(now);
    for i in 0..K as u8 {
        assert_eq!(
            t.insert(contact(0xff, i, i.into()), Heard::Answered, now),
            Inserted::Added
        );
    }
    assert_eq!((t.len(), t.buckets()), (K, 1));
}

/// Far ids (first bit 1, unlike ours) fill bucket 0 once the table has
/// split; a ninth far node is then dropped, never splitting bucket 0,
/// while near ones keep splitting the last bucket.
#[test]
fn only_the_bucket_holding_our_id_splits() {
    let now = Instant::now();
    let mut t = table(now);
    // (first byte, how many, expected buckets after, nodes after)
    let table: &[(u8, u8, usize, usize)] = &[
        (0xff, 8, 1, 8),  // 1111: far, fills the one bucket
        (0x00, 1, 2, 9),  // 0000: shares bit 0 with 0110: split into 1... and 0...
        (0xff, 1, 2, 9),  // bucket 0 is full of good nodes: dropped
        (0x00, 7, 2, 16), // 00..: bucket 1 holds them (depth 1)
        (0x40, 8, 3, 24), // 0100: shares 2 bits: split again
        (0x70, 8, 4, 32), // 0111: shares 3 bits: and again
    ];
    let mut n = 0u16;
    for &(first, count, buckets, nodes) in table {
        for _ in 0..count {
            n += 1;
            t.insert(contact(first, n as u8, n), Heard::Answered, now);
        }
        assert_eq!(
            (t.buckets(), t.len()),
            (buckets, nodes),
            "after {count} x {first:#04x}"
        );
    }
}

#[test]
fn a_full_far_bucket_swaps_in_only_for_a_bad_node() {
    let now = Instant::now();
    let mut t = table(now);
    // Split once so bucket 0 (far ids) can no longer split.
    t.insert(contact(0x00, 0, 0), Heard::Answered, now);
    for i in 1..=K as u16 {
        t.insert(contact(0xff, i as u8, i), Heard::Answered, now);
    }
    t.insert(contact(0x00, 99, 99), Heard::Answered, now);
    let newcomer = contact(0xfe, 50, 50);
    assert_eq!(
        t.insert(newcomer, Heard::Answered, now),
        Inserted::Dropped,
        "all good"
    );

    // One node fails twice: bad, and replaced.
    let victim = contact(0xff, 3, 3).id;
    t.failed(&victim);
    assert_eq!(t.status(&victim, now), Some(Status::Questionable));
    t.failed(&victim);
    assert_eq!(t.status(&victim, now), Some(Status::Bad));
    assert_eq!(t.insert(newcomer, Heard::Answered, now), Inserted::Added);
    assert_eq!(t.status(&victim, now), None);
}

#[test]
fn quiet_nodes_turn_questionable_and_are_pinged_oldest_first() {
    let start = Instant::now();
    let mut t = table(start);
    t.insert(contact(0x00, 0, 0), Heard::Answered, start);
    for i in 1..=K as u16 {
        let at = start + Duration::from_secs(u64::from(i));
        t.insert(contact(0xff, i as u8, i), Heard::Answered, at);
    }
    let later = start + GOOD_FOR + Duration::from_secs(5);
    // Nodes 1..=5 have been quiet for 15 minutes or more; 6.. not yet.
    assert_eq!(
        t.status(&contact(0xff, 1, 1).id, later),
        Some(Status::Questionable)
    );
    assert_eq!(t.status(&contact(0xff, 6, 6).id, later), Some(Status::Good));
    let got = t.insert(contact(0xfe, 50, 50), Heard::Answered, later);
    assert_eq!(got, Inserted::PingFirst(contact(0xff, 1, 1)));
    // It answers the ping: good again, and the next oldest is named.
    t.insert(contact(0xff, 1, 1), Heard::Answered, later);
    let got = t.insert(contact(0xfe, 50, 50), Heard::Answered, later);
    assert_eq!(got, Inserted::PingFirst(contact(0xff, 2, 2)));
}

#[test]
fn a_node_that_answered_once_stays_good_while_it_queries_us() {
    let start = Instant::now();
    let mut t = table(start);
    let c = contact(0xff, 1, 1);
    t.insert(c, Heard::Answered, start);
    let later = start + GOOD_FOR * 2;
    assert_eq!(t.status(&c.id, later), Some(Status::Questionable));
    t.insert(c, Heard::Queried, later);
    assert_eq!(t.status(&c.id, later), Some(Status::Good));
    // One that only ever queried us is not good.
    let q = contact(0xfe, 2, 2);
    t.insert(q, Heard::Queried, later);
    assert_eq!(t.status(&q.id, later), Some(Status::Questionable));
}

#[test]
fn our_own_id_and_a_second_id_at_a_known_address_are_refused() {
    let now = Instant::now();
    let mut t = table(now);
    let me = Contact {
        id: OWN,
        addr: SocketAddrV4::new(Ipv4Addr::LOCALHOST, 7),
    };
    assert_eq!(t.insert(me, Heard::Answered, now), Inserted::Dropped);
    let a = contact(0xff, 1, 1);
    assert_eq!(t.insert(a, Heard::Answered, now), Inserted::Added);
    let same_addr = Contact {
        id: NodeId([0x11; 20]),
        ..a
    };
    assert_eq!(t.insert(same_addr, Heard::Answered, now), Inserted::Dropped);
    let moved = Contact {
        addr: SocketAddrV4::new(Ipv4Addr::LOCALHOST, 9),
        ..a
    };
    assert_eq!(t.insert(moved, Heard::Answered, now), Inserted::Dropped);
    assert_eq!(t.len(), 1);
}

#[test]
fn a_flood_of_near_ids_stays_bounded() {
    let now = Instant::now();
    let mut t = table(now);
    let mut rng = Rng::from_seed(9);
    for n in 0..5000u32 {
        let mut id = [0; 20];
        rng.fill(&mut id);
        // Every id as near to ours as possible: share the first 2 bytes.
        id[..2].copy_from_slice(&OWN.0[..2]);
        let addr = SocketAddrV4::new(Ipv4Addr::from(0x7f00_0000 + n), 6881);
        t.insert(
            Contact {
                id: NodeId(id),
                addr,
            },
            Heard::Answered,
            now,
        );
    }
    assert!(t.buckets() <= MAX_BUCKETS);
    assert!(t.len() <= t.buckets() * K);
    // Buckets 0..16 stay empty and each deeper one holds K at most: a
    // few dozen nodes kept out of 5,000.
    assert!(t.len() < 300, "{} nodes", t.len());
}

#[test]
fn closest_orders_by_distance_and_skips_bad_nodes() {
    let now = Instant::now();
    let mut t = table(now);
    for (i, first) in [0x61u8, 0x70, 0x00, 0xff, 0x62].iter().enumerate() {
        t.insert(contact(*first, i as u8, i as u16), Heard::Answered, now);
    }
    let firsts = |v: Vec<Contact>| v.iter().map(|c| c.id.0[0]).collect::<Vec<_>>();
    assert_eq!(firsts(t.closest(&OWN, 3, now)), [0x61, 0x62, 0x70]);
    let target = NodeId([0xf0; 20]);
    assert_eq!(
        firsts(t.closest(&target, 8, now)),
        [0xff, 0x70, 0x61, 0x62, 0x00]
    );
    let bad = contact(0x61, 0, 0).id;
    t.failed(&bad);
    t.failed(&bad);
    assert_eq!(firsts(t.closest(&OWN, 3, now)), [0x62, 0x70, 0x00]);
}

#[test]
fn quiet_buckets_are_refreshed_once_per_period() {
    let start = Instant::now();
    let mut t = table(start);
    let mut rng = Rng::from_seed(3);
    for i in 0..=K as u16 {
        let first = if i == 0 { 0x00 } else { 0xff };
        t.insert(contact(first, i as u8, i), Heard::Answered, start);
    }
    assert_eq!(t.buckets(), 2);
    assert!(
        t.due_refreshes(start + Duration::from_secs(60), &mut rng)
            .is_empty()
    );
    let later = start + GOOD_FOR;
    let targets = t.due_refreshes(later, &mut rng);
    // One target per bucket, each in its bucket's range.
    assert_eq!(targets.len(), 2);
    assert_eq!(OWN.common_prefix(&targets[0]), 0);
    assert!(OWN.common_prefix(&targets[1]) >= 1);
    assert!(
        t.due_refreshes(later, &mut rng).is_empty(),
        "not again at once"
    );
}
