//! Peer exchange (BEP 11) end to end: the real binary against fake peers
//! on loopback that speak `ut_pex`, and BEP 27's private torrents.
//!
//! The tracker lists only some of the fakes; the others are reachable
//! only through what a fake tells bitsy in a `ut_pex` message. Every run
//! is bounded by `common::bitsy::LIMIT`; fakes stop when dropped.

mod common;

use common::{Behaviour, Bitsy, FakeSeeder, FakeTracker, TempDir, TestTorrent, ok};
use common::{pseudo_random_bytes, text};
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::process::Output;

fn download(torrent: &Path, out: &Path, extra: &[&str]) -> Output {
    Bitsy::download(torrent, out, extra)
}

/// One IPv4 contact, compact: <ip 4><port u16 BE>.
fn compact(addr: SocketAddr) -> Vec<u8> {
    let IpAddr::V4(ip) = addr.ip() else {
        panic!("IPv4 only here")
    };
    [&ip.octets()[..], &addr.port().to_be_bytes()].concat()
}

/// A `ut_pex` payload adding `peers` with their flags, written by hand:
/// `d 5:added <n*6>:<contacts> 7:added.f <n>:<flags> e`.
fn pex_added(peers: &[(SocketAddr, u8)]) -> Vec<u8> {
    let contacts: Vec<u8> = peers.iter().flat_map(|(a, _)| compact(*a)).collect();
    let flags: Vec<u8> = peers.iter().map(|(_, f)| *f).collect();
    [
        format!("d5:added{}:", contacts.len()).as_bytes(),
        &contacts,
        format!("7:added.f{}:", flags.len()).as_bytes(),
        &flags,
        b"e",
    ]
    .concat()
}

/// `n` addresses on `ip` (ports 1..=n) where nothing answers a BitTorrent
/// handshake.
fn junk(ip: [u8; 4], n: u16) -> Vec<(SocketAddr, u8)> {
    (1..=n).map(|p| (SocketAddr::from((ip, p)), 0x10)).collect()
}

fn torrent(tracker: &FakeTracker, seed: u64) -> TestTorrent {
    let content = pseudo_random_bytes(300_001, seed);
    TestTorrent::single_file("pex.bin", &content, 32 * 1024, &tracker.url())
}

fn assert_file(t: &TestTorrent, out: &Path) {
    let got = std::fs::read(out.join(&t.name)).unwrap();
    assert!(got == t.content, "the downloaded file differs");
}

#[test]
fn a_seeder_known_only_through_pex_serves_the_whole_download() {
    let tracker = FakeTracker::start();
    let t = torrent(&tracker, 21);
    let b = FakeSeeder::start(&t, Behaviour::normal());
    // A has nothing, and tells of B (reachable, a seed).
    let a = FakeSeeder::start(
        &t,
        Behaviour::normal()
            .only_pieces(&[])
            .pex(vec![pex_added(&[(b.addr(), 0x12)])]),
    );
    tracker.set_peers(vec![a.addr()]);
    let dir = TempDir::new("pex-only");
    let out = dir.0.join("out");
    let run = download(&t.write_to(&dir.0), &out, &[]);
    ok(&run);
    assert_file(&t, &out);
    assert!(b.blocks_sent() > 0 && a.blocks_sent() == 0);
    let log = text(&run.stderr) + &text(&run.stdout);
    assert!(
        log.contains(&format!(
            "peer {}: peer exchange gave 1 new addresses",
            a.addr()
        )),
        "{log}"
    );
    // We offered ut_pex to A.
    assert!(a.ext_handshakes()[0].windows(9).any(|w| w == b"6:ut_pexi"));
}

#[test]
fn a_pex_flood_is_refused_and_tries_each_address_once_at_most() {
    let tracker = FakeTracker::start();
    let t = torrent(&tracker, 22);
    let seeder = FakeSeeder::start(&t, Behaviour::normal());
    // Eight messages of 100 addresses back to back: the first is taken,
    // five are ignored, the sixth early one drops the peer.
    let many = FakeSeeder::start(
        &t,
        Behaviour::normal()
            .only_pieces(&[])
            .pex(vec![pex_added(&junk([127, 0, 0, 2], 100)); 8]),
    );
    // 10,000 addresses in one message: more than a frame may hold.
    let huge = pex_added(&junk([127, 0, 0, 3], 10_000));
    let frame = 1 + 1 + huge.len(); // <20: extended><ut_pex id><payload>
    let big = FakeSeeder::start(&t, Behaviour::normal().only_pieces(&[]).pex(vec![huge]));
    tracker.set_peers(vec![seeder.addr(), many.addr(), big.addr()]);
    let dir = TempDir::new("pex-flood");
    let out = dir.0.join("out");
    // Seeding 11 s after the download: past the 10 s a second attempt at
    // an unanswered tracker address would wait.
    let run = download(&t.write_to(&dir.0), &out, &["--seed-time", "11s"]);
    ok(&run);
    assert_file(&t, &out);
    let log = text(&run.stderr) + &text(&run.stdout);
    assert!(
        log.contains("more than 5 ut_pex messages less than 50 s apart"),
        "{log}"
    );
    assert!(log.contains(&format!("message of {frame} bytes")), "{log}");
    // The big message added nothing; of the first, each address was
    // tried at most once.
    assert!(!log.contains("127.0.0.3:"), "{log}");
    // "peer 127.0.0.2:<port>: disconnected: <reason>": the ports tried.
    let mut tried: Vec<&str> = log
        .lines()
        .filter_map(|l| l.strip_prefix("peer 127.0.0.2:"))
        .filter(|rest| rest.contains(": disconnected"))
        .filter_map(|rest| rest.split(':').next())
        .collect();
    let attempts = tried.len();
    tried.sort_unstable();
    tried.dedup();
    assert_eq!(tried.len(), attempts, "an address was retried:\n{log}");
    // All 100 were tried (bitsy ran long enough), none twice.
    assert_eq!(attempts, 100, "{log}");
    assert_eq!(
        many.connections(),
        1,
        "a flooding peer is not dialled again"
    );
}

#[test]
fn a_private_torrent_offers_no_pex_and_ignores_what_it_is_told() {
    let tracker = FakeTracker::start();
    let t = torrent(&tracker, 23).into_private(&tracker.url());
    let b = FakeSeeder::start(&t, Behaviour::normal());
    // A seeds, tells of B anyway (under bitsy's local id, unasked), and
    // would take our ut_pex messages.
    let a = FakeSeeder::start(
        &t,
        Behaviour::normal().pex(vec![pex_added(&[(b.addr(), 0x12)])]),
    );
    tracker.set_peers(vec![a.addr()]);
    let dir = TempDir::new("pex-private");
    let out = dir.0.join("out");
    // Seeding 7 s more: time enough to dial B, and for our first message
    // to A (5 s after its handshake), were either allowed.
    let run = download(&t.write_to(&dir.0), &out, &["--seed-time", "7s"]);
    ok(&run);
    assert_file(&t, &out);
    assert_eq!(b.connections(), 0, "B was learned only through PEX");
    let ours = a.ext_handshakes();
    assert!(!ours.is_empty());
    assert!(ours.iter().all(|h| !h.windows(6).any(|w| w == b"ut_pex")));
    assert!(a.pex_received().is_empty());
}

#[test]
fn bitsy_tells_each_peer_of_the_others() {
    let tracker = FakeTracker::start();
    let t = torrent(&tracker, 24);
    // A speaks ut_pex (and tells nothing); B does not speak BEP 10.
    let a = FakeSeeder::start(&t, Behaviour::normal().pex(vec![]));
    let b = FakeSeeder::start(&t, Behaviour::normal());
    tracker.set_peers(vec![a.addr(), b.addr()]);
    let dir = TempDir::new("pex-send");
    let out = dir.0.join("out");
    // Our first message to A goes 5 s after its extended handshake.
    let run = download(&t.write_to(&dir.0), &out, &["--seed-time", "8s"]);
    ok(&run);
    assert_file(&t, &out);
    let got = a.pex_received();
    assert_eq!(got.len(), 1, "one message in the first minute");
    // B, which we dialled (reachable) and which has everything (seed).
    let want = pex_added(&[(b.addr(), 0x12)]);
    let added = &want[..want.len() - 1]; // our message has more keys after
    assert!(
        got[0].starts_with(added),
        "{}",
        String::from_utf8_lossy(&got[0])
    );
    // Never A itself.
    assert!(!got[0].windows(6).any(|w| w == compact(a.addr())));
}
