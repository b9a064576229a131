//! The metadata fetch of a magnet link (BEP 9), through
//! `bitsy::metadata::fetch`, against fake metadata peers and a fake
//! tracker on loopback. Every fetch runs on a thread bounded by `LIMIT`.

mod common;

use bitsy::error::{Error, exit};
use bitsy::ids::InfoHash;
use bitsy::metadata::{FetchRequest, UNKNOWN_LEFT, fetch};
use bitsy::metainfo::Metainfo;
use bitsy::progress::Progress;
use common::fake_metadata_peer::{FakeMetadataPeer, MetaBehaviour};
use common::{FakeTracker, TestTorrent};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The longest one fetch may take in these tests.
const LIMIT: Duration = Duration::from_secs(30);

/// A port nothing listens on, as our own.
const OUR_PORT: u16 = 9;

/// A multi-file torrent whose info dictionary is about 40 KB: three
/// metadata pieces (two of 16 KiB and a shorter last one).
fn big_torrent() -> TestTorrent {
    let names: Vec<String> = (0..150)
        .map(|i| format!("{i:03}-{}", "n".repeat(250)))
        .collect();
    let files: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"x"[..])).collect();
    let t = TestTorrent::multi_file("many", &files, 16 * 1024, "http://127.0.0.1:1/announce");
    assert!((32_769..49_152).contains(&t.info.len()), "{}", t.info.len());
    t
}

fn request(info_hash: InfoHash, peers: &[SocketAddr]) -> FetchRequest {
    FetchRequest {
        info_hash,
        trackers: Vec::new(),
        peers: peers.to_vec(),
        our_id: *b"-BS0100-metadatatest",
        listen_port: OUR_PORT,
        max_peers: 8,
        stall_timeout: Some(Duration::from_secs(10)),
        bind: std::net::Ipv4Addr::LOCALHOST.into(),
        dht: None,
        trace: bitsy::trace::Trace::OFF,
    }
}

/// Runs `fetch` on a thread; fails the test if it takes over `LIMIT`.
fn run(req: FetchRequest) -> (Result<Metainfo, Error>, Duration) {
    run_with_stop(req, Arc::new(AtomicBool::new(false)))
}

fn run_with_stop(req: FetchRequest, stop: Arc<AtomicBool>) -> (Result<Metainfo, Error>, Duration) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let started = Instant::now();
        let got = fetch(&req, &stop, &mut Progress::new(true));
        let _ = tx.send((got, started.elapsed()));
    });
    rx.recv_timeout(LIMIT)
        .expect("fetch ended within the limit")
}

fn assert_is(t: &TestTorrent, got: Result<Metainfo, Error>) -> Metainfo {
    let meta = got.unwrap_or_else(|e| panic!("fetch failed: {e}"));
    assert_eq!(meta.info_hash, t.info_hash);
    assert_eq!(meta.info_bytes, t.info);
    assert_eq!(meta.name, t.name);
    meta
}

#[test]
fn two_peers_each_serving_part() {
    let t = big_torrent();
    let a = FakeMetadataPeer::start(MetaBehaviour::serving(t.info_hash, &t.info).only(&[0]));
    let b = FakeMetadataPeer::start(MetaBehaviour::serving(t.info_hash, &t.info).only(&[1, 2]));
    let mut req = request(t.info_hash, &[a.addr(), b.addr()]);
    req.trackers = vec![
        vec!["http://127.0.0.1:1/a".into()],
        vec!["udp://127.0.0.1:1".into()],
    ];
    let (got, _) = run(req.clone());
    let meta = assert_is(&t, got);
    assert_eq!(meta.trackers, req.trackers, "the magnet's tiers");
    assert_eq!(meta.files.len(), 150);
    assert!(
        a.served() >= 1 && b.served() >= 2,
        "{} {}",
        a.served(),
        b.served()
    );
}

#[test]
fn a_peer_that_rejects_everything_and_one_that_serves() {
    let t = big_torrent();
    let refuser = FakeMetadataPeer::start(MetaBehaviour::serving(t.info_hash, &t.info).only(&[]));
    // The server answers its handshake late, so the refuser is asked first.
    let late = MetaBehaviour::serving(t.info_hash, &t.info).delay(Duration::from_millis(500));
    let server = FakeMetadataPeer::start(late);
    let (got, _) = run(request(t.info_hash, &[refuser.addr(), server.addr()]));
    assert_is(&t, got);
    assert!(refuser.rejected() >= 1, "the refuser was asked");
    assert_eq!(refuser.served(), 0);
    assert!(server.served() >= 3);
}

#[test]
fn metadata_that_does_not_hash_is_dropped_and_an_honest_peer_finishes() {
    let t = big_torrent();
    let mut forged = t.info.clone();
    forged[100] ^= 0xff;
    let liar = FakeMetadataPeer::start(MetaBehaviour::serving(t.info_hash, &forged));
    let honest_late = MetaBehaviour::serving(t.info_hash, &t.info).delay(Duration::from_secs(1));
    let honest = FakeMetadataPeer::start(honest_late);
    let (got, _) = run(request(t.info_hash, &[liar.addr(), honest.addr()]));
    assert_is(&t, got);
    assert_eq!(liar.served(), 3, "the liar sent it all first");
    assert_eq!(liar.connections(), 1, "and was not dialled again");
    assert!(honest.served() >= 3);
}

#[test]
fn hostile_extended_handshakes_drop_only_that_peer() {
    let t = big_torrent();
    let size = |n: &str| format!("d1:md11:ut_metadatai7ee13:metadata_size{n}e").into_bytes();
    let deep = [&b"d1:m"[..], &[b'l'; 10_000], &[b'e'; 10_000], b"e"].concat();
    let big = [&b"d1:v1048576:"[..], &vec![b'x'; 1 << 20], b"e"].concat();
    let table: Vec<(&str, Vec<u8>)> = vec![
        ("metadata_size 0", size("i0e")),
        ("metadata_size 2^40", size("i1099511627776e")),
        ("metadata_size over 10 MiB", size("i10485761e")),
        ("no metadata_size", b"d1:md11:ut_metadatai7eee".to_vec()),
        (
            "no ut_metadata",
            format!("d1:mde13:metadata_sizei{}ee", t.info.len()).into_bytes(),
        ),
        ("10,000 deep", deep),
        ("1 MiB", big),
    ];
    for (what, payload) in table {
        let bad = FakeMetadataPeer::start(
            MetaBehaviour::serving(t.info_hash, &t.info).ext_handshake(payload),
        );
        let good = MetaBehaviour::serving(t.info_hash, &t.info).delay(Duration::from_millis(200));
        let good = FakeMetadataPeer::start(good);
        let (got, _) = run(request(t.info_hash, &[bad.addr(), good.addr()]));
        assert_is(&t, got);
        assert_eq!((bad.connections(), bad.served()), (1, 0), "{what}");
        assert!(good.served() >= 3, "{what}");
    }
}

#[test]
fn a_dictionary_that_hashes_right_but_escapes_is_a_bad_torrent() {
    // The attacker's own torrent: its infohash is what the magnet names.
    let evil = TestTorrent::multi_file(
        "evil",
        &[("../../outside", b"owned"), ("ok", b"fine")],
        16 * 1024,
        "http://127.0.0.1:1/announce",
    );
    let peer = FakeMetadataPeer::start(MetaBehaviour::serving(evil.info_hash, &evil.info));
    let (got, _) = run(request(evil.info_hash, &[peer.addr()]));
    let err = got.expect_err("an escaping path is refused");
    assert!(matches!(err, Error::Torrent(_)), "{err:?}");
    assert_eq!(err.exit_code(), exit::BAD_TORRENT);
    let text = err.to_string();
    assert!(
        text.contains("metadata from peers") && text.contains(".."),
        "{text}"
    );
}

#[test]
fn peers_come_from_the_tracker() {
    let t = big_torrent();
    let peer = FakeMetadataPeer::start(MetaBehaviour::serving(t.info_hash, &t.info));
    let tracker = FakeTracker::start();
    tracker.set_peers(vec![
        peer.addr(),
        SocketAddr::from(([127, 0, 0, 1], OUR_PORT)),
    ]);
    let mut req = request(t.info_hash, &[]);
    req.trackers = vec![vec![tracker.url()]];
    let (got, _) = run(req);
    assert_is(&t, got);
    let first = &tracker.announces()[0];
    assert_eq!(first.event.as_deref(), Some("started"));
    assert_eq!(first.info_hash, t.info_hash);
    assert_eq!(
        (first.left, first.port),
        (Some(UNKNOWN_LEFT), Some(OUR_PORT))
    );
}

#[test]
fn without_progress_the_fetch_gives_up_like_the_session() {
    let t = big_torrent();
    let stall = Duration::from_secs(1);
    // Nobody listens at this address: not even a connection.
    let nobody = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let quiet = FakeTracker::start(); // answers, with no peers
    let failing = FakeTracker::start();
    failing.fail_with("no such torrent");
    let refuser = FakeMetadataPeer::start(MetaBehaviour::serving(t.info_hash, &t.info).only(&[]));
    // (trackers, peers, error kind, exit code)
    type Tiers = Vec<Vec<String>>;
    let table: Vec<(Tiers, Vec<SocketAddr>, &str, u8)> = vec![
        (vec![], vec![nobody], "no peers", exit::NO_PEERS),
        (vec![vec![quiet.url()]], vec![], "no peers", exit::NO_PEERS),
        (
            vec![vec![failing.url()]],
            vec![],
            "no such torrent",
            exit::TRACKER,
        ),
        // A peer that only rejects is no progress either.
        (vec![], vec![refuser.addr()], "no peers", exit::NO_PEERS),
    ];
    for (trackers, peers, want, code) in table {
        let mut req = request(t.info_hash, &peers);
        req.trackers = trackers;
        req.stall_timeout = Some(stall);
        let (got, took) = run(req);
        let err = got.expect_err("no metadata");
        assert_eq!(err.exit_code(), code, "{err}");
        assert!(err.to_string().contains(want), "{err}");
        assert!(took >= stall && took < stall * 5, "{took:?}");
    }
}

#[test]
fn no_tracker_and_no_peer_fails_at_once_and_ctrl_c_stops() {
    let t = big_torrent();
    let (got, took) = run(request(t.info_hash, &[]));
    assert!(matches!(got, Err(Error::Tracker(_))), "{got:?}");
    assert!(took < Duration::from_secs(1));
    // A peer that never answers; the stop flag is already set.
    let refuser = FakeMetadataPeer::start(MetaBehaviour::serving(t.info_hash, &t.info).only(&[]));
    let mut req = request(t.info_hash, &[refuser.addr()]);
    req.stall_timeout = None;
    let (got, took) = run_with_stop(req, Arc::new(AtomicBool::new(true)));
    assert!(matches!(got, Err(Error::Interrupted)), "{got:?}");
    assert!(took < Duration::from_secs(2), "{took:?}");
}

#[test]
fn a_bitsy_seed_serves_its_metadata_to_the_fetch() {
    use common::{Bitsy, TempDir, pseudo_random_bytes, wait_until};
    let dir = TempDir::new("metadata-seed");
    let tracker = FakeTracker::start();
    let content = pseudo_random_bytes(100_000, 9);
    let t = TestTorrent::single_file("one.bin", &content, 16 * 1024, &tracker.url())
        .with_tiers(&[&[&tracker.url()]]);
    let torrent = t.write_to(&dir.0);
    std::fs::write(dir.0.join("one.bin"), &content).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let seeder = Bitsy::start(&[
        "seed",
        torrent.to_str().unwrap(),
        dir.0.join("one.bin").to_str().unwrap(),
        "--port",
        &port.to_string(),
        "-q",
    ]);
    assert!(
        wait_until(Duration::from_secs(20), || !tracker.announces().is_empty()),
        "the seeder started (pid {})",
        seeder.pid()
    );
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let (got, _) = run(request(t.info_hash, &[addr]));
    assert_is(&t, got);
    seeder.interrupt();
}
