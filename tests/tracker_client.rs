//! bitsy's HTTP tracker client against the in-process fake tracker.

mod common;

use bitsy::tracker::{self, AnnounceEvent, AnnounceOutcome, AnnounceRequest, Trackers};
use common::fake_tracker::failure_body;
use common::{FakeTracker, Reply};
use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

const INFO_HASH: [u8; 20] = [
    0x00, 0x01, 0x20, 0x25, 0x26, 0x2b, 0x3d, 0x3f, 0x41,
    0x7e, // binary, '%', '&', '+', '=', '?'
    0x80, 0xff, 0x2e, 0x2d, 0x5f, 0x0a, 0x0d, 0x23, 0x2f,
    0x3a, // high bytes, '.-_', CR LF, '#/:'
];
const PEER_ID: [u8; 20] = *b"-BS0100-\x00\xff&=?#%+ abc";

fn request(event: AnnounceEvent, left: u64) -> AnnounceRequest {
    AnnounceRequest {
        event,
        uploaded: 123,
        downloaded: 4567,
        left,
        numwant: 50,
    }
}

fn trackers(tiers: &[&[&str]]) -> Trackers {
    let tiers = tiers
        .iter()
        .map(|t| t.iter().map(|u| u.to_string()).collect())
        .collect();
    Trackers::new(tiers, INFO_HASH, PEER_ID, 6881)
        .with_timeouts(Duration::from_secs(2), Duration::from_secs(5))
}

fn expect_ok(outcome: AnnounceOutcome) -> (String, tracker::AnnounceResponse) {
    match outcome {
        AnnounceOutcome::Ok { url, response } => (url, response),
        AnnounceOutcome::Failed { message } => panic!("announce failed: {message}"),
    }
}

fn expect_failed(outcome: AnnounceOutcome) -> String {
    match outcome {
        AnnounceOutcome::Failed { message } => message,
        AnnounceOutcome::Ok { url, .. } => panic!("expected a failure, {url} answered"),
    }
}

/// A URL on a loopback port where nothing listens (connection refused).
fn dead_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}/announce")
}

#[test]
fn started_regular_stopped_carry_the_right_parameters() {
    let tracker = FakeTracker::start();
    let peers: Vec<SocketAddr> = vec![
        "127.0.0.2:6001".parse().unwrap(),
        "127.0.0.3:6002".parse().unwrap(),
        "[::1]:6003".parse().unwrap(),
    ];
    tracker.set_peers(peers.clone());
    tracker.set_interval(900);
    let url = tracker.url();
    let mut t = trackers(&[&[&url]]);

    let (answered, response) = expect_ok(t.announce(&request(AnnounceEvent::Started, 1000)));
    assert_eq!(answered, url);
    assert_eq!(response.peers, peers);
    assert_eq!(response.interval, Duration::from_secs(900));
    assert_eq!(response.seeders, Some(3));
    assert_eq!(response.leechers, Some(0));
    expect_ok(t.announce(&request(AnnounceEvent::Regular, 500)));
    expect_ok(t.announce(&request(AnnounceEvent::Completed, 0)));
    expect_ok(t.announce(&request(AnnounceEvent::Stopped, 0)));

    let got = tracker.announces();
    let events: Vec<Option<&str>> = got.iter().map(|a| a.event.as_deref()).collect();
    assert_eq!(
        events,
        [Some("started"), None, Some("completed"), Some("stopped")]
    );
    let lefts: Vec<Option<u64>> = got.iter().map(|a| a.left).collect();
    assert_eq!(lefts, [Some(1000), Some(500), Some(0), Some(0)]);
    for a in &got {
        assert_eq!(a.path, "/announce");
        assert_eq!(
            a.info_hash, INFO_HASH,
            "info_hash survives percent-encoding"
        );
        assert_eq!(a.peer_id, PEER_ID, "peer_id survives percent-encoding");
        assert_eq!(a.port, Some(6881));
        assert_eq!(a.uploaded, Some(123));
        assert_eq!(a.downloaded, Some(4567));
        assert_eq!(a.numwant, Some(50));
        assert_eq!(a.compact.as_deref(), Some("1"));
        let key = a.key.clone().expect("key sent");
        assert_eq!(key.len(), 8);
        assert_eq!(
            Some(&key),
            got[0].key.as_ref(),
            "same key on every announce"
        );
    }
}

#[test]
fn existing_query_string_is_kept() {
    let tracker = FakeTracker::start();
    let url = format!("{}?passkey=s3cret", tracker.url());
    let mut t = trackers(&[&[&url]]);
    expect_ok(t.announce(&request(AnnounceEvent::Started, 1)));
    let a = &tracker.announces()[0];
    assert_eq!(a.param("passkey").as_deref(), Some("s3cret"));
    assert_eq!(a.info_hash, INFO_HASH);
}

#[test]
fn failure_reason_is_surfaced_with_the_url() {
    let tracker = FakeTracker::start();
    tracker.fail_with("torrent not registered");
    let url = tracker.url();
    let mut t = trackers(&[&[&url]]);
    let message = expect_failed(t.announce(&request(AnnounceEvent::Started, 1)));
    assert!(message.contains("torrent not registered"), "{message}");
    assert!(message.contains(&url), "{message}");
}

#[test]
fn http_500_with_bencoded_failure_body_is_parsed() {
    let tracker = FakeTracker::start();
    tracker.set_reply(Reply::Raw {
        status: 500,
        body: failure_body("overloaded, retry later"),
    });
    let mut t = trackers(&[&[&tracker.url()]]);
    let message = expect_failed(t.announce(&request(AnnounceEvent::Started, 1)));
    assert!(message.contains("overloaded, retry later"), "{message}");

    // An error page that is not bencode: the status is reported.
    tracker.set_reply(Reply::Raw {
        status: 503,
        body: b"<html>Service Unavailable</html>".to_vec(),
    });
    let message = expect_failed(t.announce(&request(AnnounceEvent::Started, 1)));
    assert!(message.contains("HTTP 503"), "{message}");
}

#[test]
fn falls_back_from_a_dead_tier_to_a_live_one() {
    let tracker = FakeTracker::start();
    tracker.set_peers(vec!["127.0.0.9:7000".parse().unwrap()]);
    let live = tracker.url();
    let dead = dead_url();
    let mut t = trackers(&[&[&dead], &[&live]]);
    let (url, response) = expect_ok(t.announce(&request(AnnounceEvent::Started, 1)));
    assert_eq!(url, live);
    assert_eq!(response.peers.len(), 1);

    // Within one tier too, whatever order the shuffle chose.
    let mut t = trackers(&[&[&dead_url(), &live, &dead_url()]]);
    let (url, _) = expect_ok(t.announce(&request(AnnounceEvent::Regular, 1)));
    assert_eq!(url, live);
}

#[test]
fn all_dead_names_the_last_url() {
    let (a, b) = (dead_url(), dead_url());
    let mut t = trackers(&[&[&a], &[&b]]);
    let message = expect_failed(t.announce(&request(AnnounceEvent::Started, 1)));
    assert!(message.starts_with(&b), "{message}");
}

#[test]
fn udp_is_skipped_once_with_a_message() {
    let tracker = FakeTracker::start();
    let mut t = trackers(&[&["udp://127.0.0.1:6969/announce"], &[&tracker.url()]]);
    assert!(!t.is_empty());
    assert_eq!(t.skipped().len(), 1);
    assert!(
        t.skipped()[0].contains("udp://127.0.0.1:6969"),
        "{:?}",
        t.skipped()
    );
    expect_ok(t.announce(&request(AnnounceEvent::Started, 1)));
    expect_ok(t.announce(&request(AnnounceEvent::Regular, 1)));
    assert_eq!(t.skipped().len(), 1, "not repeated per announce");

    let mut only_udp = trackers(&[&["udp://127.0.0.1:6969/announce"]]);
    assert!(only_udp.is_empty());
    expect_failed(only_udp.announce(&request(AnnounceEvent::Started, 1)));
}

#[test]
fn a_body_over_one_mib_is_refused() {
    let tracker = FakeTracker::start();
    // A well-formed answer whose peer string alone is just over 1 MiB.
    let peers_len = 1024 * 1024 + 6;
    let mut body = format!("d8:intervali60e5:peers{peers_len}:").into_bytes();
    body.resize(body.len() + peers_len, 1);
    body.push(b'e');
    tracker.set_reply(Reply::Raw { status: 200, body });
    let mut t = trackers(&[&[&tracker.url()]]);
    let message = expect_failed(t.announce(&request(AnnounceEvent::Started, 1)));
    assert!(message.contains("larger than"), "{message}");
}

#[test]
fn a_silent_tracker_hits_the_timeout() {
    let tracker = FakeTracker::start();
    tracker.set_reply(Reply::Silence);
    let mut t = Trackers::new(vec![vec![tracker.url()]], INFO_HASH, PEER_ID, 6881)
        .with_timeouts(Duration::from_secs(1), Duration::from_millis(1500));
    let start = Instant::now();
    let message = expect_failed(t.announce(&request(AnnounceEvent::Started, 1)));
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(1400),
        "gave up too early: {took:?}"
    );
    assert!(
        took < Duration::from_secs(10),
        "timeout not applied: {took:?}"
    );
    assert!(message.contains("in time"), "{message}");
}

#[test]
fn spawned_thread_answers_in_order_and_ends_on_disconnect() {
    let tracker = FakeTracker::start();
    tracker.set_peers(vec!["127.0.0.5:5000".parse().unwrap()]);
    let (requests, outcomes) = tracker::spawn(trackers(&[&[&tracker.url()]]));
    requests.send(request(AnnounceEvent::Started, 10)).unwrap();
    requests.send(request(AnnounceEvent::Stopped, 0)).unwrap();
    for _ in 0..2 {
        let outcome = outcomes.recv_timeout(Duration::from_secs(10)).unwrap();
        expect_ok(outcome);
    }
    assert_eq!(
        tracker.events(),
        [Some("started".to_string()), Some("stopped".to_string())]
    );
    drop(requests);
    // The thread ends: its outcome sender is dropped.
    assert!(matches!(
        outcomes.recv_timeout(Duration::from_secs(10)),
        Err(crossbeam_channel::RecvTimeoutError::Disconnected)
    ));
}
