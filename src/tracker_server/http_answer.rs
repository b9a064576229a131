//! Bencoded bodies of HTTP tracker answers: announce, scrape, failure.
//!
//! ```text
//! announce (BEP 3, BEP 23, BEP 7), keys in sorted order:
//!   d 8:complete i<seeders>e  10:incomplete i<leechers>e
//!     8:interval i<secs>e  12:min interval i<secs>e
//!     5:peers <compact string | list of dicts>  [6:peers6 <compact string>] e
//! compact IPv4 peer (BEP 23): 4 bytes address, 2 bytes port, big-endian
//! compact IPv6 peer (BEP 7):  16 bytes address, 2 bytes port, big-endian
//! dictionary peer (BEP 3):    d 2:ip <text> 7:peer id <20 bytes> 4:port i<n>e e
//! scrape (BEP 48): d 5:files d <20-byte hash> d 8:complete i..e
//!                  10:downloaded i..e 10:incomplete i..e e ... e e
//! failure (BEP 3): d 14:failure reason <text> e
//! ```
//!
//! In compact form IPv4 peers go to `peers` and IPv6 peers to `peers6`
//! (present only when there is one). In dictionary form every peer goes to
//! `peers`, the address written as text. Bencode dictionaries need sorted
//! keys: each writer below emits them in order, and scrape sorts its hashes.

use super::swarm::{AnnounceOutcome, PeerInfo, SwarmCounts};
use crate::bencode::Encoder;
use crate::ids::InfoHash;
use std::net::IpAddr;
use std::time::Duration;

/// How often clients should announce, and at least how long to wait.
#[derive(Debug, Copy, Clone, PartialEq, Eq)]
pub struct Intervals {
    pub interval: Duration,
    pub min_interval: Duration,
}

/// The announce answer. `compact` picks BEP 23/BEP 7 strings over BEP 3
/// dictionaries; `no_peer_id` drops `peer id` from dictionaries.
pub fn announce(out: &AnnounceOutcome, iv: Intervals, compact: bool, no_peer_id: bool) -> Vec<u8> {
    let mut e = Encoder::new();
    e.dict();
    e.str("complete");
    e.int(i64::from(out.counts.complete));
    e.str("incomplete");
    e.int(i64::from(out.counts.incomplete));
    e.str("interval");
    e.int(whole_seconds(iv.interval));
    e.str("min interval");
    e.int(whole_seconds(iv.min_interval));
    e.str("peers");
    if compact {
        let (v4, v6) = compact_peers(&out.peers);
        e.bytes(&v4);
        if !v6.is_empty() {
            e.str("peers6");
            e.bytes(&v6);
        }
    } else {
        e.list();
        for p in &out.peers {
            e.dict();
            e.str("ip");
            e.str(&p.addr.ip().to_string());
            if !no_peer_id {
                e.str("peer id");
                e.bytes(&p.peer_id);
            }
            e.str("port");
            e.int(i64::from(p.addr.port()));
            e.end();
        }
        e.end();
    }
    e.end();
    e.finish()
}

/// The scrape answer for `(hash, counts)` pairs, in any order.
pub fn scrape(mut files: Vec<(InfoHash, SwarmCounts)>) -> Vec<u8> {
    files.sort_by_key(|f| f.0);
    files.dedup_by(|a, b| a.0 == b.0);
    let mut e = Encoder::new();
    e.dict();
    e.str("files");
    e.dict();
    for (hash, c) in &files {
        e.bytes(hash);
        e.dict();
        e.str("complete");
        e.int(i64::from(c.complete));
        e.str("downloaded");
        e.int(i64::from(c.downloaded));
        e.str("incomplete");
        e.int(i64::from(c.incomplete));
        e.end();
    }
    e.end();
    e.end();
    e.finish()
}

/// The answer to a request the tracker refuses.
pub fn failure(reason: &str) -> Vec<u8> {
    let mut e = Encoder::new();
    e.dict();
    e.str("failure reason");
    e.str(reason);
    e.end();
    e.finish()
}

/// IPv4 peers as 6-byte entries and IPv6 peers as 18-byte entries.
pub fn compact_peers(peers: &[PeerInfo]) -> (Vec<u8>, Vec<u8>) {
    let (mut v4, mut v6) = (Vec::new(), Vec::new());
    for p in peers {
        match p.addr.ip() {
            IpAddr::V4(ip) => {
                v4.extend_from_slice(&ip.octets());
                v4.extend_from_slice(&p.addr.port().to_be_bytes());
            }
            IpAddr::V6(ip) => {
                v6.extend_from_slice(&ip.octets());
                v6.extend_from_slice(&p.addr.port().to_be_bytes());
            }
        }
    }
    (v4, v6)
}

/// Whole seconds, at least 1 (a 0 interval would make clients spin).
pub fn whole_seconds(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const IV: Intervals = Intervals {
        interval: Duration::from_secs(120),
        min_interval: Duration::from_secs(30),
    };

    fn outcome(addrs: &[&str]) -> AnnounceOutcome {
        AnnounceOutcome {
            peers: addrs
                .iter()
                .map(|a| PeerInfo {
                    addr: a.parse().unwrap(),
                    peer_id: *b"-XX0001-aaaaaaaaaaaa",
                })
                .collect(),
            counts: SwarmCounts {
                complete: 1,
                incomplete: 2,
                downloaded: 3,
            },
        }
    }

    #[test]
    fn compact_announce() {
        let body = announce(&outcome(&["10.0.0.1:6881", "[::1]:80"]), IV, true, false);
        let mut want = b"d8:completei1e10:incompletei2e8:intervali120e12:min intervali30e".to_vec();
        want.extend_from_slice(b"5:peers6:");
        want.extend_from_slice(&[0x0a, 0x00, 0x00, 0x01, 0x1a, 0xe1]); // 10.0.0.1, port 6881
        want.extend_from_slice(b"6:peers618:");
        want.extend_from_slice(&[0; 15]); // ::1, first 15 bytes
        want.extend_from_slice(&[0x01, 0x00, 0x50]); // last byte of ::1, port 80
        want.push(b'e');
        assert_eq!(body, want);
    }

    #[test]
    fn compact_announce_without_peers() {
        let body = announce(&outcome(&[]), IV, true, false);
        assert!(
            body.ends_with(b"5:peers0:e"),
            "{}",
            String::from_utf8_lossy(&body)
        );
    }

    #[test]
    fn dictionary_announce() {
        let body = announce(&outcome(&["10.0.0.1:6881"]), IV, false, false);
        let peers = b"5:peersld2:ip8:10.0.0.17:peer id20:-XX0001-aaaaaaaaaaaa4:porti6881eeee";
        assert!(body.ends_with(peers), "{}", String::from_utf8_lossy(&body));
        let body = announce(&outcome(&["10.0.0.1:6881"]), IV, false, true);
        assert!(body.ends_with(b"5:peersld2:ip8:10.0.0.14:porti6881eeee"));
    }

    #[test]
    fn scrape_sorts_and_dedups() {
        let c = SwarmCounts {
            complete: 4,
            incomplete: 5,
            downloaded: 6,
        };
        let body = scrape(vec![([b'b'; 20], c), ([b'a'; 20], c), ([b'b'; 20], c)]);
        let entry = "d8:completei4e10:downloadedi6e10:incompletei5ee";
        let want = format!(
            "d5:filesd20:{}{entry}20:{}{entry}ee",
            "a".repeat(20),
            "b".repeat(20)
        );
        assert_eq!(body, want.as_bytes());
    }

    #[test]
    fn failure_body() {
        assert_eq!(
            failure("missing port"),
            b"d14:failure reason12:missing porte"
        );
    }

    #[test]
    fn seconds_are_at_least_one() {
        assert_eq!(whole_seconds(Duration::from_millis(200)), 1);
        assert_eq!(whole_seconds(Duration::from_secs(1800)), 1800);
    }
}
