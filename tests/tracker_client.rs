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

/// Every URL is named with its own words, in the order tried (tier by
/// tier), so the user sees each tracker's error.
#[test]
fn all_dead_names_every_url_in_order() {
    let (a, b) = (dead_url(), dead_url());
    let mut t = trackers(&[&[&a], &[&b]]);
    let message = expect_failed(t.announce(&request(AnnounceEvent::Started, 1)));
    assert!(message.starts_with(&format!("{a}: ")), "{message}");
    assert!(message.contains(&format!("; {b}: ")), "{message}");
}

#[test]
fn an_unsupported_scheme_is_skipped_once_with_a_message() {
    let tracker = FakeTracker::start();
    let mut t = trackers(&[&["wss://127.0.0.1:6969/announce"], &[&tracker.url()]]);
    assert!(!t.is_empty());
    assert_eq!(t.skipped().len(), 1);
    assert!(
        t.skipped()[0].contains("wss://127.0.0.1:6969"),
        "{:?}",
        t.skipped()
    );
    expect_ok(t.announce(&request(AnnounceEvent::Started, 1)));
    expect_ok(t.announce(&request(AnnounceEvent::Regular, 1)));
    assert_eq!(t.skipped().len(), 1, "not repeated per announce");

    let mut only_wss = trackers(&[&["wss://127.0.0.1:6969/announce"]]);
    assert!(only_wss.is_empty());
    expect_failed(only_wss.announce(&request(AnnounceEvent::Started, 1)));
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
fn one_redirect_is_followed_and_a_loop_is_cut() {
    let target = FakeTracker::start();
    target.set_peers(vec!["127.0.0.4:4000".parse().unwrap()]);
    let front = FakeTracker::start();
    front.set_reply(Reply::Redirect(format!("{}?via=redirect", target.url())));
    let mut t = trackers(&[&[&front.url()]]);
    let (url, response) = expect_ok(t.announce(&request(AnnounceEvent::Started, 1)));
    assert_eq!(
        url,
        front.url(),
        "the URL we announced to, not the redirect target"
    );
    assert_eq!(response.peers.len(), 1);
    assert_eq!(
        target.announces()[0].param("via").as_deref(),
        Some("redirect")
    );

    // A tracker redirecting to itself: given up after MAX_REDIRECTS.
    front.set_reply(Reply::Redirect(front.url()));
    let before = front.announces().len();
    let message = expect_failed(t.announce(&request(AnnounceEvent::Regular, 1)));
    let followed = front.announces().len() - before;
    assert_eq!(
        followed as u32,
        1 + tracker::announce::MAX_REDIRECTS,
        "{message}"
    );
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

/// Checks of the shared test support itself (tests/common), kept in this
/// binary so they run once rather than in every test that uses it.
mod support_self_test {
    use super::common::{
        Behaviour, FakeSeeder, RawPeer, TestTorrent, pseudo_random_bytes, wait_until,
    };
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::Duration;

    const PIECE_LEN: u32 = 32 * 1024;

    fn torrent() -> TestTorrent {
        // 2.5 pieces: the last piece is short.
        let content = pseudo_random_bytes(PIECE_LEN as usize * 5 / 2, 42);
        TestTorrent::single_file(
            "data.bin",
            &content,
            PIECE_LEN,
            "http://127.0.0.1:1/announce",
        )
    }

    #[test]
    fn test_torrents_parse_with_an_independent_parser() {
        let t = torrent();
        let parsed = lava_torrent::torrent::v1::Torrent::read_from_bytes(&t.torrent).unwrap();
        assert_eq!(parsed.info_hash_bytes(), t.info_hash);
        assert_eq!(parsed.length, t.content.len() as i64);
        assert_eq!(parsed.piece_length, i64::from(PIECE_LEN));
        assert_eq!(t.num_pieces(), 3);
        assert_eq!(t.piece(2).len(), PIECE_LEN as usize / 2);

        let a = pseudo_random_bytes(1000, 1);
        let b = pseudo_random_bytes(70_000, 2);
        let multi = TestTorrent::multi_file(
            "dir",
            &[("a.txt", &a), ("sub/b.bin", &b)],
            16384,
            "http://x/a",
        )
        .with_tiers(&[&["http://x/a"], &["http://y/a", "udp://z:1"]]);
        let parsed = lava_torrent::torrent::v1::Torrent::read_from_bytes(&multi.torrent).unwrap();
        assert_eq!(parsed.info_hash_bytes(), multi.info_hash);
        assert_eq!(parsed.files.as_ref().map(|f| f.len()), Some(2));
        assert_eq!(parsed.announce_list.as_ref().map(|l| l.len()), Some(2));
        assert_eq!(multi.content.len(), 71_000);
    }

    #[test]
    fn normal_seeder_sends_bitfield_unchokes_and_serves() {
        let t = torrent();
        let seeder = FakeSeeder::start(&t, Behaviour::normal());
        let mut c = RawPeer::connect(seeder.addr(), &t.info_hash);
        assert_eq!(c.recv(), Some((5, vec![0b1110_0000])));
        c.send(2, &[]); // interested
        assert_eq!(c.recv(), Some((1, vec![]))); // unchoke
        c.request(2, 0, 16384);
        let (id, payload) = c.recv().unwrap();
        assert_eq!(id, 7);
        assert_eq!(&payload[..8], &[0, 0, 0, 2, 0, 0, 0, 0]);
        assert_eq!(&payload[8..], t.piece(2));
        assert!(wait_until(Duration::from_secs(2), || seeder.blocks_sent() == 1));
    }

    #[test]
    fn wrong_info_hash_is_refused() {
        let t = torrent();
        let seeder = FakeSeeder::start(&t, Behaviour::normal());
        let mut stream = TcpStream::connect(seeder.addr()).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut hs = vec![19u8];
        hs.extend_from_slice(b"BitTorrent protocol");
        hs.extend_from_slice(&[0; 48]);
        stream.write_all(&hs).unwrap();
        let mut buf = [0u8; 1];
        assert!(matches!(stream.read(&mut buf), Ok(0) | Err(_)));
    }

    #[test]
    fn subset_haves_corrupt_and_disconnect_behaviours() {
        let t = torrent();
        let b = Behaviour::normal()
            .only_pieces(&[0, 2])
            .haves_instead_of_bitfield()
            .corrupt_piece(0)
            .disconnect_after_blocks(2);
        let seeder = FakeSeeder::start(&t, b);
        let mut c = RawPeer::connect(seeder.addr(), &t.info_hash);
        assert_eq!(c.recv(), Some((4, vec![0, 0, 0, 0])));
        assert_eq!(c.recv(), Some((4, vec![0, 0, 0, 2])));
        c.send(2, &[]);
        assert_eq!(c.recv(), Some((1, vec![])));
        c.request(0, 0, 16384);
        let (_, payload) = c.recv().unwrap();
        let expected: Vec<u8> = t.piece(0)[..16384].iter().map(|b| !b).collect();
        assert_eq!(&payload[8..], expected.as_slice(), "piece 0 is corrupt");
        c.request(0, 16384, 16384);
        assert_eq!(c.recv().map(|(id, _)| id), Some(7));
        c.request(2, 0, 16384);
        assert_eq!(c.recv(), None, "closed after two blocks");
    }

    #[test]
    fn never_unchoke_and_haves_later() {
        let t = torrent();
        let seeder = FakeSeeder::start(
            &t,
            Behaviour::normal()
                .never_unchoke()
                .haves_later(Duration::from_millis(200)),
        );
        let mut c = RawPeer::connect(seeder.addr(), &t.info_hash);
        // Nothing until the delay, then one have per piece.
        for piece in 0..3u32 {
            assert_eq!(c.recv(), Some((4, piece.to_be_bytes().to_vec())));
        }
        c.send(2, &[]);
        c.request(0, 0, 16384);
        c.set_read_timeout(Duration::from_millis(500));
        assert_eq!(c.recv(), None, "no unchoke, no piece");
        assert!(wait_until(Duration::from_secs(2), || seeder
            .stats()
            .requests
            .load(std::sync::atomic::Ordering::SeqCst)
            == 1));
        assert_eq!(seeder.blocks_sent(), 0);
    }

    /// A real client (aria2c, if installed) downloads from a fake seeder
    /// found through the fake tracker: both speak the protocol the way real
    /// clients expect. In CI (where `.ci/run` installs aria2) a missing
    /// aria2c fails the test; on a developer's machine without it the test
    /// says so and does nothing (`make test` needs only cargo).
    #[test]
    fn aria2c_downloads_from_the_fake_seeder() {
        use super::common::FakeTracker;
        use std::process::{Command, Stdio};
        use std::time::Instant;
        if Command::new("aria2c")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_err()
        {
            assert!(
                std::env::var_os("CI").is_none(),
                "aria2c is not installed, and CI must run this test"
            );
            eprintln!("aria2c not installed: not run (it is in CI)");
            return;
        }
        let tracker = FakeTracker::start();
        let content = pseudo_random_bytes(100_000, 9);
        let t = TestTorrent::single_file("fetched.bin", &content, 16384, &tracker.url());
        let seeder = FakeSeeder::start(&t, Behaviour::normal().haves_instead_of_bitfield());
        tracker.set_peers(vec![seeder.addr()]);
        let dir = std::env::temp_dir().join(format!("bitsy-aria2-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let torrent_path = t.write_to(&dir);
        let mut child = Command::new("aria2c")
            .arg(format!("--dir={}", dir.display()))
            .args([
                "--enable-dht=false",
                "--enable-dht6=false",
                "--bt-enable-lpd=false",
                "--enable-peer-exchange=false",
                "--bt-min-crypto-level=plain",
                "--seed-time=0",
                "--summary-interval=0",
                "--console-log-level=warn",
                "--listen-port=46881-46999",
            ])
            .arg(&torrent_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let got = std::fs::read(dir.join("fetched.bin")).unwrap_or_default();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(status.is_some_and(|s| s.success()), "aria2c: {status:?}");
        assert!(
            got == content,
            "aria2c got {} bytes, not the content",
            got.len()
        );
        assert_eq!(tracker.announces()[0].event.as_deref(), Some("started"));
    }
}
