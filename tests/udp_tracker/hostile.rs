//! The client against a fake UDP tracker that answers what each test
//! scripts: wrong transaction ids, short packets, huge or broken peer
//! lists, errors, silence.

use super::*;
use bitsy::tracker::udp::STOPPED_BUDGET;
use bitsy::tracker::udp_packet::MAX_PEERS_PER_REPLY;
use common::FakeTracker;
use common::fake_udp_tracker::{
    FakeUdpTracker, action, announce_answer, connect_answer, connection_id, error_answer, tid,
    v4_peers,
};
use std::net::{SocketAddr, UdpSocket};
use std::time::Instant;

/// A fake that answers connects with id 77 and announces with `peers`.
fn fake_with_peers(peers: Vec<u8>) -> FakeUdpTracker {
    FakeUdpTracker::start("127.0.0.1:0", move |req| match action(req) {
        0 => vec![connect_answer(tid(req), 77)],
        1 => vec![announce_answer(tid(req), 900, 4, 5, &peers)],
        _ => vec![],
    })
}

#[test]
fn wrong_transaction_ids_and_short_answers_are_skipped() {
    let fake = FakeUdpTracker::start("127.0.0.1:0", |req| {
        let t = tid(req);
        match action(req) {
            0 => vec![
                connect_answer(t ^ 1, 66),            // another transaction
                vec![0, 0, 0, 0, 0, 0],               // 6 bytes
                connect_answer(t, 77)[..12].to_vec(), // cut short
                announce_answer(t, 900, 0, 0, &[]),   // an action not asked for
                connect_answer(t, 77),
            ],
            1 => vec![
                announce_answer(t.wrapping_add(1), 900, 0, 0, &v4_peers(1)),
                announce_answer(t, 900, 4, 5, &v4_peers(2))[..18].to_vec(),
                announce_answer(t, 900, 4, 5, &v4_peers(2)),
            ],
            _ => vec![],
        }
    });
    let mut t = trackers(&[&[&fake.url("/announce")]], 1, 6881);
    let r = expect_ok(t.announce(&request(AnnounceEvent::Started)));
    let want: Vec<SocketAddr> = vec![
        "10.0.0.1:6881".parse().unwrap(),
        "10.0.0.2:6881".parse().unwrap(),
    ];
    assert_eq!(r.peers, want);
    assert_eq!((r.leechers, r.seeders), (Some(4), Some(5)));
    assert_eq!(r.interval, Duration::from_secs(900));
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 2, "one connect, one announce: nothing resent");
    assert_eq!(connection_id(&reqs[1]), 77, "the announce carries the id");
}

#[test]
fn ten_thousand_peers_are_capped() {
    let fake = fake_with_peers(v4_peers(10_000));
    let mut t = trackers(&[&[&fake.url("")]], 1, 6881);
    let r = expect_ok(t.announce(&request(AnnounceEvent::Started)));
    assert_eq!(r.peers.len(), MAX_PEERS_PER_REPLY);
    assert_eq!(r.peers[0], "10.0.0.1:6881".parse().unwrap());
}

#[test]
fn a_peer_list_not_a_multiple_of_six_is_refused_at_once() {
    let fake = fake_with_peers(vec![10, 0, 0, 1, 0x1a, 0xe1, 7]);
    let mut t = trackers(&[&[&fake.url("")]], 1, 6881);
    let start = Instant::now();
    let message = expect_failed(t.announce(&request(AnnounceEvent::Started)));
    assert!(
        message.contains("not a whole number of 6-byte"),
        "{message}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "no wait for a timeout"
    );
}

#[test]
fn over_ipv6_peers_are_18_bytes_and_6_byte_entries_are_refused() {
    let v6_peer = [
        [0x20, 0x01, 0x0d, 0xb8].as_slice(),
        &[0; 11],
        &[1, 0x1a, 0xe1],
    ]
    .concat();
    for (peers, ok) in [(v6_peer, true), (v4_peers(2), false)] {
        let fake = FakeUdpTracker::start("[::1]:0", move |req| match action(req) {
            0 => vec![connect_answer(tid(req), 77)],
            _ => vec![announce_answer(tid(req), 900, 0, 1, &peers)],
        });
        let mut t = trackers(&[&[&fake.url("/a")]], 1, 6881);
        let outcome = t.announce(&request(AnnounceEvent::Started));
        if ok {
            let want: SocketAddr = "[2001:db8::1]:6881".parse().unwrap();
            assert_eq!(expect_ok(outcome).peers, vec![want]);
        } else {
            let message = expect_failed(outcome);
            assert!(message.contains("18-byte"), "{message}");
        }
    }
}

#[test]
fn a_stopped_announce_to_a_silent_tracker_gives_up_in_seconds() {
    let fake = FakeUdpTracker::start("127.0.0.1:0", |_| vec![]);
    // Default budgets: 45 s for an announce, STOPPED_BUDGET at exit.
    let mut t = Trackers::new(vec![vec![fake.url("")]], INFO_HASH, [1; 20], 6881);
    let start = Instant::now();
    expect_failed(t.announce(&request(AnnounceEvent::Stopped)));
    let took = start.elapsed();
    assert!(
        took >= STOPPED_BUDGET - Duration::from_millis(100),
        "{took:?}"
    );
    assert!(took < STOPPED_BUDGET + Duration::from_secs(2), "{took:?}");
    assert_eq!(fake.requests().len(), 1, "one connect, never resent in 4 s");
}

#[test]
fn an_error_action_names_the_tracker_and_its_message() {
    let fake = FakeUdpTracker::start("127.0.0.1:0", |req| {
        vec![error_answer(tid(req), "torrent not registered")]
    });
    let url = fake.url("/announce");
    let mut t = trackers(&[&[&url]], 1, 6881);
    let message = expect_failed(t.announce(&request(AnnounceEvent::Started)));
    assert!(message.starts_with(&url), "{message}");
    assert!(
        message.contains("tracker says: torrent not registered"),
        "{message}"
    );
}

#[test]
fn the_connection_id_is_reused_and_url_data_sent() {
    let fake = fake_with_peers(v4_peers(1));
    let mut t = trackers(&[&[&fake.url("/announce?passkey=abc")]], 1, 6881);
    expect_ok(t.announce(&request(AnnounceEvent::Started)));
    expect_ok(t.announce(&request(AnnounceEvent::Regular)));
    let actions: Vec<u32> = fake.requests().iter().map(|r| action(r)).collect();
    assert_eq!(actions, [0, 1, 1], "one connect for both announces");
    for announce in &fake.requests()[1..] {
        assert_eq!(connection_id(announce), 77);
        // BEP 41: option 2 (URLData), length, path and query.
        let path = b"/announce?passkey=abc";
        assert_eq!(announce[98], 2);
        assert_eq!(usize::from(announce[99]), path.len());
        assert_eq!(&announce[100..], path);
    }
}

#[test]
fn a_refused_announce_forgets_the_connection_id() {
    let mut announces = 0u32;
    let fake = FakeUdpTracker::start("127.0.0.1:0", move |req| match action(req) {
        0 => vec![connect_answer(tid(req), 77)],
        _ => {
            announces += 1;
            match announces {
                1 => vec![error_answer(tid(req), "connection id expired")],
                _ => vec![announce_answer(tid(req), 900, 0, 1, &v4_peers(1))],
            }
        }
    });
    let mut t = trackers(&[&[&fake.url("")]], 1, 6881);
    let message = expect_failed(t.announce(&request(AnnounceEvent::Started)));
    assert!(message.contains("connection id expired"), "{message}");
    expect_ok(t.announce(&request(AnnounceEvent::Started)));
    let actions: Vec<u32> = fake.requests().iter().map(|r| action(r)).collect();
    assert_eq!(actions, [0, 1, 0, 1], "connects again after the refusal");
}

#[test]
fn a_silent_tracker_costs_the_budget_and_no_more() {
    let fake = FakeUdpTracker::start("127.0.0.1:0", |_| vec![]);
    let mut t = Trackers::new(vec![vec![fake.url("")]], INFO_HASH, [1; 20], 6881)
        .with_timeouts(Duration::from_secs(1), Duration::from_millis(1500));
    let start = Instant::now();
    let message = expect_failed(t.announce(&request(AnnounceEvent::Started)));
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(1400),
        "gave up early: {took:?}"
    );
    assert!(
        took < Duration::from_secs(5),
        "budget not applied: {took:?}"
    );
    assert!(message.contains("no answer"), "{message}");
}

#[test]
fn a_closed_udp_port_fails_fast_and_the_next_tier_is_tried() {
    let closed = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let dead = format!("udp://{closed}/announce");
    let http = FakeTracker::start();
    let mut t = trackers(&[&[&dead], &[&http.url()]], 1, 6881);
    assert!(
        t.skipped().is_empty(),
        "udp and http mix: {:?}",
        t.skipped()
    );
    let start = Instant::now();
    expect_ok(t.announce(&request(AnnounceEvent::Started)));
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    let mut only_dead = trackers(&[&[&dead]], 1, 6881);
    let message = expect_failed(only_dead.announce(&request(AnnounceEvent::Started)));
    assert!(message.contains("refused"), "{message}");
}
