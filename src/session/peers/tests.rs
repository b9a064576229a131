//! Unit tests for `session::peers`: the candidate queue, its bounds,
//! and peer exchange's share of it.

use super::*;

fn a(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

#[test]
fn queue_dedup_and_retry() {
    let mut c = Candidates::default();
    let now = Instant::now();
    c.add(a(1));
    c.add(a(1));
    c.add(a(2));
    assert_eq!(c.next(now), Some(a(1)));
    assert_eq!(c.next(now), Some(a(2)));
    assert_eq!(c.next(now), None);
    // Connected addresses are not queued again by a tracker.
    c.add(a(1));
    assert_eq!(c.next(now), None);
    // A failed connect retries after a wait.
    c.disconnected(a(1), false, false, now);
    assert_eq!(c.next(now), None);
    assert_eq!(c.next(now + Duration::from_secs(3600)), Some(a(1)));
}

#[test]
fn retries_back_off_but_never_give_up() {
    let mut c = Candidates::default();
    let now = Instant::now();
    c.add(a(1));
    let mut waits = Vec::new();
    for _ in 0..8 {
        assert_eq!(c.next(now), Some(a(1)), "always tried again");
        c.disconnected(a(1), false, false, now);
        let at = c.known[&a(1)].next_try.unwrap();
        waits.push(at.duration_since(now).as_secs());
        c.known.get_mut(&a(1)).unwrap().next_try = Some(now);
    }
    assert_eq!(waits, vec![10, 20, 40, 80, 80, 80, 80, 80]);
    // A handshake that worked resets the back-off.
    assert_eq!(c.next(now), Some(a(1)));
    c.disconnected(a(1), true, false, now);
    assert_eq!(
        c.known[&a(1)]
            .next_try
            .unwrap()
            .duration_since(now)
            .as_secs(),
        5
    );
}

#[test]
fn memory_is_bounded_and_incoming_addresses_are_not_recorded() {
    let mut c = Candidates::default();
    for port in 1..=(MAX_KNOWN as u16 + 100) {
        c.add(a(port));
        assert!(c.accepts(&a(port)));
        c.strike(a(port));
    }
    assert_eq!(c.known.len(), MAX_KNOWN);
    assert!(c.accepts(&SocketAddr::from(([10, 0, 0, 1], 5))));
    assert_eq!(c.known.len(), MAX_KNOWN, "accepting records nothing");
}

#[test]
fn request_target_is_the_pipeline_within_reqq() {
    let (tx, _rx) = crossbeam_channel::unbounded();
    let mut p = Peer::new(tx, a(1), false, 8);
    assert_eq!(p.reqq, DEFAULT_REQQ);
    // (pipeline, reqq, snubbed) -> requests to keep in flight
    let table = [
        ((5, DEFAULT_REQQ, false), 5),
        ((256, DEFAULT_REQQ, false), 250),
        ((100, 3, false), 3),
        ((2, 3, false), 2),
        ((100, 3, true), 1),
        ((100, 1, false), 1),
    ];
    for ((pipeline, reqq, snubbed), want) in table {
        (p.pipeline, p.reqq, p.snubbed) = (pipeline, reqq, snubbed);
        assert_eq!(p.request_target(), want, "{pipeline} {reqq} {snubbed}");
    }
}

#[test]
fn strikes_and_misbehaviour_ban() {
    let mut c = Candidates::default();
    assert!(!c.strike(a(1)));
    assert!(c.strike(a(1)));
    c.add(a(1));
    assert_eq!(c.next(Instant::now()), None);
    assert!(!c.accepts(&a(1)));
    c.add(a(2));
    let now = Instant::now();
    assert_eq!(c.next(now), Some(a(2)));
    c.disconnected(a(2), true, true, now);
    assert!(!c.accepts(&a(2)));
}

#[test]
fn a_pex_flood_stays_within_its_share() {
    let mut c = Candidates::default();
    // 10,000 addresses from peer exchange: only MAX_PEX_ONLY are kept.
    let mut queued = 0;
    for i in 0..10_000u32 {
        let addr = SocketAddr::from(([10, (i >> 16) as u8, (i >> 8) as u8, i as u8], 6881));
        queued += usize::from(c.add_pex(addr));
    }
    assert_eq!(queued, MAX_PEX_ONLY);
    assert_eq!(
        (c.known.len(), c.pex_only, c.queue.len()),
        (MAX_PEX_ONLY, MAX_PEX_ONLY, MAX_PEX_ONLY)
    );
    // The tracker's addresses still have room, and are tried.
    for port in 1..=100 {
        c.add(a(port));
    }
    assert_eq!(c.known.len(), MAX_PEX_ONLY + 100);
    // A tracker listing a PEX address makes it a tracker address.
    c.add(SocketAddr::from(([10, 0, 0, 0], 6881)));
    assert_eq!(c.pex_only, MAX_PEX_ONLY - 1);
    assert!(
        c.add_pex(SocketAddr::from(([10, 9, 9, 9], 1))),
        "room again"
    );
}

#[test]
fn pex_addresses_are_tried_once_unless_they_answer() {
    let now = Instant::now();
    let mut c = Candidates::default();
    assert!(c.add_pex(a(1)));
    assert!(!c.add_pex(a(1)), "already queued");
    assert!(c.add_pex(a(2)));
    assert_eq!(c.next(now), Some(a(1)));
    assert!(!c.add_pex(a(1)), "connected");
    // Nobody answered at 1: forgotten, not retried.
    c.disconnected(a(1), false, false, now);
    assert!(!c.known.contains_key(&a(1)));
    assert_eq!(c.pex_only, 1);
    // 2 answered: a peer like any other, retried later.
    assert_eq!(c.next(now), Some(a(2)));
    c.disconnected(a(2), true, false, now);
    assert_eq!(c.next(now + RETRY_MAX), Some(a(2)));
    assert_eq!(c.next(now), None);
}

#[test]
fn dropped_forgets_only_untried_pex_addresses() {
    let now = Instant::now();
    let mut c = Candidates::default();
    c.add_pex(a(1)); // untried, from PEX: forgotten
    c.add(a(2)); // from the tracker: kept
    c.add_pex(a(3)); // tried and answered: kept
    assert_eq!(c.next(now), Some(a(1)));
    c.disconnected(a(1), true, false, now);
    // (a(1) is now tried; re-add a fresh untried one at 4.)
    c.add_pex(a(4));
    for port in [1, 2, 4] {
        c.forget_untried(a(port));
    }
    assert!(c.known.contains_key(&a(1)), "tried");
    assert!(c.known.contains_key(&a(2)), "a tracker's");
    assert!(!c.known.contains_key(&a(4)), "untried, forgotten");
    assert!(!c.queue.contains(&a(4)), "and out of the queue");
    assert_eq!(c.pex_only, 2);
}

/// Where an address came from is who told us first; unknown ones have
/// no origin.
#[test]
fn origin_is_the_first_source() {
    let mut c = Candidates::default();
    c.add(a(1));
    c.add_from(a(2), Origin::Dht);
    c.add_pex(a(3));
    c.add_from(a(4), Origin::Given);
    // Heard again from another source: the first one stays.
    c.add_from(a(1), Origin::Dht);
    c.add(a(3));
    let table = [
        (a(1), Some("tracker")),
        (a(2), Some("dht")),
        (a(3), Some("pex")),
        (a(4), Some("given")),
        (a(5), None),
    ];
    for (addr, want) in table {
        assert_eq!(c.origin(&addr).map(Origin::name), want, "{addr}");
    }
}
