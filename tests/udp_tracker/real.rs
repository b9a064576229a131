//! The client against `bitsy tracker` (IPv4 and IPv6), and bitsy
//! downloads whose only tracker is `udp://`.

use super::*;
use common::fake_udp_tracker::{FakeUdpTracker, error_answer, tid};
use common::{Bitsy, TempDir, TestTorrent, ok, pseudo_random_bytes, text, wait_until};
use std::net::SocketAddr;

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
    // A refusal is retried; give up soon after the first retries.
    let run = Bitsy::start_download(&torrent, &out, &["--stall-timeout", "3s"]).finish();
    assert_eq!(run.status.code(), Some(4), "{}", text(&run.stderr));
    assert!(
        text(&run.stderr).contains("torrent not registered"),
        "{}",
        text(&run.stderr)
    );
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
