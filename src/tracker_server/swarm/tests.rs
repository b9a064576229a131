//! Unit tests for `tracker_server::swarm`.

use super::*;
use crate::tracker_server::announce_params::MAX_NUMWANT;

const TTL: Duration = Duration::from_secs(10);

fn ann(hash: u8, port: u16, left: u64, event: Event) -> Announce {
    let mut peer_id = [b'p'; 20];
    peer_id[..2].copy_from_slice(&port.to_be_bytes());
    Announce {
        info_hash: [hash; 20],
        peer_id,
        peer: SocketAddr::from(([127, 0, 0, 1], port)),
        uploaded: 0,
        downloaded: 0,
        left,
        event,
        numwant: MAX_NUMWANT,
    }
}

fn ports(o: &AnnounceOutcome) -> Vec<u16> {
    let mut p: Vec<u16> = o.peers.iter().map(|p| p.addr.port()).collect();
    p.sort();
    p
}

#[test]
fn peers_see_each_other_not_themselves() {
    let t0 = Instant::now();
    let mut s = Swarms::new(10, 10, TTL, t0);
    let first = s.announce(&ann(1, 1001, 5, Event::Started), t0).unwrap();
    assert!(first.peers.is_empty());
    assert_eq!(
        first.counts,
        SwarmCounts {
            complete: 0,
            incomplete: 1,
            downloaded: 0
        }
    );
    let second = s.announce(&ann(1, 1002, 0, Event::Started), t0).unwrap();
    assert_eq!(ports(&second), [1001]);
    assert_eq!(second.counts.complete, 1);
    let again = s.announce(&ann(1, 1001, 5, Event::None), t0).unwrap();
    assert_eq!(ports(&again), [1002]);
    // Another torrent is another swarm.
    assert!(
        s.announce(&ann(2, 1003, 5, Event::None), t0)
            .unwrap()
            .peers
            .is_empty()
    );
}

#[test]
fn seeders_are_not_sent_seeders() {
    let t0 = Instant::now();
    let mut s = Swarms::new(10, 10, TTL, t0);
    s.announce(&ann(1, 1001, 0, Event::None), t0).unwrap();
    s.announce(&ann(1, 1002, 9, Event::None), t0).unwrap();
    assert_eq!(
        ports(&s.announce(&ann(1, 1003, 0, Event::None), t0).unwrap()),
        [1002]
    );
}

#[test]
fn stopped_removes_and_completed_counts() {
    let t0 = Instant::now();
    let mut s = Swarms::new(10, 10, TTL, t0);
    s.announce(&ann(1, 1001, 5, Event::Started), t0).unwrap();
    s.announce(&ann(1, 1002, 0, Event::Completed), t0).unwrap();
    let out = s.announce(&ann(1, 1001, 5, Event::Stopped), t0).unwrap();
    assert!(out.peers.is_empty());
    assert_eq!(
        s.scrape(&[1; 20], t0),
        SwarmCounts {
            complete: 1,
            incomplete: 0,
            downloaded: 1
        }
    );
    // Stopping an unknown torrent creates nothing.
    s.announce(&ann(9, 1001, 5, Event::Stopped), t0).unwrap();
    assert_eq!(s.torrent_count(), 1);
}

#[test]
fn peers_expire_and_torrents_are_purged() {
    let t0 = Instant::now();
    let mut s = Swarms::new(10, 10, TTL, t0);
    s.announce(&ann(1, 1001, 5, Event::None), t0).unwrap();
    let later = t0 + TTL;
    // Expired before the purge: not listed, not counted.
    assert_eq!(s.scrape(&[1; 20], later), SwarmCounts::default());
    assert!(
        s.announce(&ann(1, 1002, 5, Event::None), later)
            .unwrap()
            .peers
            .is_empty()
    );
    s.purge(later + TTL);
    assert_eq!(s.torrent_count(), 0);
}

#[test]
fn caps_refuse_newcomers_only() {
    let t0 = Instant::now();
    let mut s = Swarms::new(1, 2, TTL, t0);
    s.announce(&ann(1, 1001, 5, Event::None), t0).unwrap();
    s.announce(&ann(1, 1002, 5, Event::None), t0).unwrap();
    assert_eq!(
        s.announce(&ann(1, 1003, 5, Event::None), t0),
        Err(Refusal::TooManyPeers)
    );
    assert!(s.announce(&ann(1, 1001, 5, Event::None), t0).is_ok());
    assert_eq!(
        s.announce(&ann(2, 1001, 5, Event::None), t0),
        Err(Refusal::TooManyTorrents)
    );
    // Once the old peers expire, a newcomer fits.
    let later = t0 + TTL;
    assert!(s.announce(&ann(1, 1003, 5, Event::None), later).is_ok());
    // A torrent whose last peer stopped makes room for another.
    s.announce(&ann(1, 1003, 5, Event::Stopped), later).unwrap();
    let full = s.announce(&ann(2, 1001, 5, Event::None), later);
    assert_eq!(full, Err(Refusal::TooManyTorrents), "purged just now");
    let a_second_later = later + PURGE_WHEN_FULL_EVERY;
    assert!(
        s.announce(&ann(2, 1001, 5, Event::None), a_second_later)
            .is_ok()
    );
}

#[test]
fn numwant_is_respected_and_rotates() {
    let t0 = Instant::now();
    let mut s = Swarms::new(10, 100, TTL, t0);
    for port in 1001..1011 {
        s.announce(&ann(1, port, 5, Event::None), t0).unwrap();
    }
    let mut a = ann(1, 2000, 5, Event::None);
    a.numwant = 3;
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..10 {
        let out = s.announce(&a, t0).unwrap();
        assert_eq!(out.peers.len(), 3);
        seen.extend(ports(&out));
    }
    assert_eq!(seen.len(), 10, "rotation reaches every peer");
    a.numwant = 0;
    assert!(s.announce(&a, t0).unwrap().peers.is_empty());
}
