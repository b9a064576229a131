//! bitsy's UDP tracker client (BEP 15): against `bitsy tracker` (the real
//! binary, which serves UDP on its HTTP port), against a scripted hostile
//! fake, and end to end (a download whose only tracker is `udp://`).
//! Loopback only; every wait is bounded.

mod common;

use bitsy::tracker::udp_packet::MAX_PEERS_PER_REPLY;
use bitsy::tracker::{AnnounceEvent, AnnounceOutcome, AnnounceRequest, AnnounceResponse, Trackers};
use common::fake_udp_tracker::{
    FakeUdpTracker, action, announce_answer, connect_answer, connection_id, error_answer, tid,
    v4_peers,
};
use common::{Bitsy, FakeTracker, TempDir, TestTorrent, ok, pseudo_random_bytes, text, wait_until};
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::time::{Duration, Instant};

const INFO_HASH: [u8; 20] = [0x5a; 20];

fn request(event: AnnounceEvent) -> AnnounceRequest {
    AnnounceRequest {
        event,
        uploaded: 1,
        downloaded: 2,
        left: 3,
        numwant: 50,
    }
}

/// Trackers for `tiers`, announcing port `port`, each URL bounded to 3 s.
fn trackers(tiers: &[&[&str]], peer: u8, port: u16) -> Trackers {
    let tiers = tiers
        .iter()
        .map(|t| t.iter().map(|u| u.to_string()).collect())
        .collect();
    Trackers::new(tiers, INFO_HASH, [peer; 20], port)
        .with_timeouts(Duration::from_secs(1), Duration::from_secs(3))
}

fn expect_ok(outcome: AnnounceOutcome) -> AnnounceResponse {
    match outcome {
        AnnounceOutcome::Ok { response, .. } => response,
        AnnounceOutcome::Failed { message } => panic!("announce failed: {message}"),
    }
}

fn expect_failed(outcome: AnnounceOutcome) -> String {
    match outcome {
        AnnounceOutcome::Failed { message } => message,
        AnnounceOutcome::Ok { url, .. } => panic!("expected a failure, {url} answered"),
    }
}

/// A port free for TCP and UDP a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

/// Starts `bitsy tracker` on `bind` and waits until it answers over UDP.
fn bitsy_tracker(bind: &str, host: &str) -> (Bitsy, String) {
    let port = free_port();
    let tracker = Bitsy::start(&["tracker", "--bind", bind, "--port", &port.to_string()]);
    let url = format!("udp://{host}:{port}/announce");
    let up = wait_until(Duration::from_secs(10), || {
        let mut probe = trackers(&[&[&url]], 0xee, 1);
        matches!(
            probe.announce(&request(AnnounceEvent::Stopped)),
            AnnounceOutcome::Ok { .. }
        )
    });
    assert!(up, "bitsy tracker (pid {}) answers over UDP", tracker.pid());
    (tracker, url)
}

/// Two peers announce to `bitsy tracker`; the second gets the first.
fn two_peers_meet(bind: &str, host: &str, first: SocketAddr) {
    let (tracker, url) = bitsy_tracker(bind, host);
    let mut a = trackers(&[&[&url]], 1, first.port());
    let mut b = trackers(&[&[&url]], 2, 7002);
    let ra = expect_ok(a.announce(&request(AnnounceEvent::Started)));
    assert!(ra.peers.is_empty(), "{:?}", ra.peers);
    let rb = expect_ok(b.announce(&request(AnnounceEvent::Started)));
    assert_eq!(rb.peers, vec![first]);
    assert_eq!((rb.leechers, rb.seeders), (Some(2), Some(0)));
    assert!(rb.interval >= Duration::from_secs(60));
    let t = tracker.interrupt();
    assert!(t.status.success(), "tracker: {}", text(&t.stderr));
}

#[test]
fn bitsy_tracker_over_udp_v4() {
    two_peers_meet("127.0.0.1", "127.0.0.1", "127.0.0.1:7001".parse().unwrap());
}

#[test]
fn bitsy_tracker_over_udp_v6() {
    // Over IPv6 the tracker answers 18-byte peers.
    two_peers_meet("::1", "[::1]", "[::1]:7001".parse().unwrap());
}

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
fn an_error_action_reaches_the_user_of_bitsy_download() {
    let fake = FakeUdpTracker::start("127.0.0.1:0", |req| {
        vec![error_answer(tid(req), "torrent not registered")]
    });
    let dir = TempDir::new("udp-error");
    let content = pseudo_random_bytes(40_000, 61);
    let t = TestTorrent::single_file("e.bin", &content, 16 * 1024, &fake.url("/announce"));
    let torrent = t.write_to(&dir.0);
    let out = dir.0.join("out");
    let run = Bitsy::run(&[
        "download",
        torrent.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--port",
        "0",
    ]);
    assert_eq!(run.status.code(), Some(4), "{}", text(&run.stderr));
    assert!(
        text(&run.stderr).contains("torrent not registered"),
        "{}",
        text(&run.stderr)
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

/// `bitsy tracker` + `bitsy seed` + `bitsy download`, the torrent's only
/// tracker being `udp://`.
#[test]
fn download_through_a_udp_only_tracker() {
    let dir = TempDir::new("udp-e2e");
    let content = pseudo_random_bytes(300_001, 62);
    let data = dir.0.join("u.bin");
    std::fs::write(&data, &content).unwrap();
    let (tracker, url) = bitsy_tracker("127.0.0.1", "127.0.0.1");
    let torrent = dir.0.join("u.torrent");
    let s = |p: &std::path::Path| p.to_str().unwrap().to_string();
    ok(&Bitsy::run(&[
        "create",
        &s(&data),
        "--tracker",
        &url,
        "--piece-length",
        "32768",
        "-o",
        &s(&torrent),
    ]));

    let seed_port = free_port().to_string();
    let seeder = Bitsy::start(&["seed", &s(&torrent), &s(&data), "--port", &seed_port, "-q"]);
    // The seeder is in the swarm once the tracker counts a seeder.
    let hash = info_hash_of(&torrent);
    let mut probe = Trackers::new(vec![vec![url.clone()]], hash, [0xee; 20], 1)
        .with_timeouts(Duration::from_secs(1), Duration::from_secs(2));
    let seen = wait_until(Duration::from_secs(20), || {
        matches!(probe.announce(&request(AnnounceEvent::Stopped)),
            AnnounceOutcome::Ok { response, .. } if response.seeders == Some(1))
    });
    assert!(seen, "the seeder (pid {}) announced over UDP", seeder.pid());

    let got = dir.0.join("got");
    let dl = Bitsy::run(&["download", &s(&torrent), "-o", &s(&got), "--port", "0"]);
    ok(&dl);
    assert_eq!(std::fs::read(got.join("u.bin")).unwrap(), content);
    let seeded = seeder.interrupt();
    assert!(seeded.status.success(), "seed: {}", text(&seeded.stderr));
    let t = tracker.interrupt();
    assert!(t.status.success(), "tracker: {}", text(&t.stderr));
}

/// The infohash `bitsy info` prints for `torrent`.
fn info_hash_of(torrent: &std::path::Path) -> [u8; 20] {
    let info = Bitsy::run(&["info", torrent.to_str().unwrap()]);
    ok(&info);
    let out = text(&info.stdout);
    let hex = out
        .lines()
        .find_map(|l| {
            l.split_whitespace()
                .find(|w| w.len() == 40 && w.bytes().all(|b| b.is_ascii_hexdigit()))
        })
        .expect("info prints the infohash");
    let mut hash = [0u8; 20];
    for (i, b) in hash.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
    }
    hash
}
