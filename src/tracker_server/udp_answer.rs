//! BEP 15 UDP tracker answers, written byte by byte.
//!
//! Every answer starts with `action` (4 bytes) and the request's
//! `transaction_id` (4 bytes), big-endian, then:
//!
//! ```text
//! connect  (action 0)  connection_id (8)
//! announce (action 1)  interval (4), leechers (4), seeders (4), then per peer
//!                      IPv4 address (4) + port (2) when the request came over
//!                      IPv4, or IPv6 address (16) + port (2) over IPv6
//! scrape   (action 2)  per requested infohash, in request order:
//!                      seeders (4), completed (4), leechers (4)
//! error    (action 3)  a plain-text message, no terminator
//! ```

use super::swarm::{PeerInfo, SwarmCounts};
use crate::tracker::udp_wire::{ACTION_ANNOUNCE, ACTION_CONNECT, ACTION_ERROR, ACTION_SCRAPE};
use std::net::IpAddr;

/// Room for the header plus 50 IPv6 peers: one allocation per answer.
const TYPICAL_LEN: usize = 20 + 50 * 18;

/// Connect answer: action, transaction id, connection id (16 bytes).
pub fn connect_answer(transaction_id: u32, connection_id: u64) -> Vec<u8> {
    let mut out = header(ACTION_CONNECT, transaction_id);
    out.extend_from_slice(&connection_id.to_be_bytes());
    out
}

/// Announce answer. Only peers of the request's address family fit the
/// layout (`ipv6` selects 18-byte entries); others are left out.
pub fn announce_answer(
    transaction_id: u32,
    interval_secs: u32,
    counts: SwarmCounts,
    peers: &[PeerInfo],
    ipv6: bool,
) -> Vec<u8> {
    let mut out = header(ACTION_ANNOUNCE, transaction_id);
    out.extend_from_slice(&interval_secs.to_be_bytes());
    out.extend_from_slice(&counts.incomplete.to_be_bytes()); // leechers
    out.extend_from_slice(&counts.complete.to_be_bytes()); // seeders
    for p in peers {
        match (p.addr.ip(), ipv6) {
            (IpAddr::V4(ip), false) => out.extend_from_slice(&ip.octets()),
            (IpAddr::V6(ip), true) => out.extend_from_slice(&ip.octets()),
            _ => continue,
        }
        out.extend_from_slice(&p.addr.port().to_be_bytes());
    }
    out
}

/// Scrape answer: seeders, completed, leechers per infohash, in request order.
pub fn scrape_answer(transaction_id: u32, counts: &[SwarmCounts]) -> Vec<u8> {
    let mut out = header(ACTION_SCRAPE, transaction_id);
    for c in counts {
        out.extend_from_slice(&c.complete.to_be_bytes());
        out.extend_from_slice(&c.downloaded.to_be_bytes());
        out.extend_from_slice(&c.incomplete.to_be_bytes());
    }
    out
}

/// Error answer: action 3, transaction id, message.
pub fn error_answer(transaction_id: u32, message: &str) -> Vec<u8> {
    let mut out = header(ACTION_ERROR, transaction_id);
    out.extend_from_slice(message.as_bytes());
    out
}

fn header(action: u32, transaction_id: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(TYPICAL_LEN);
    out.extend_from_slice(&action.to_be_bytes());
    out.extend_from_slice(&transaction_id.to_be_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracker_server::udp_request::hex;

    #[test]
    fn connect_answer_layout() {
        let want = hex(concat!(
            "00000000",          // action: connect
            "cafebabe",          // transaction_id
            "01234567 89abcdef", // connection_id
        ));
        assert_eq!(connect_answer(0xcafe_babe, 0x0123_4567_89ab_cdef), want);
    }

    #[test]
    fn announce_answers() {
        let counts = SwarmCounts {
            complete: 2,
            incomplete: 1,
            downloaded: 0,
        };
        let peers = [
            PeerInfo {
                addr: "10.0.0.1:6881".parse().unwrap(),
                peer_id: [0; 20],
            },
            PeerInfo {
                addr: "[fd00::1]:80".parse().unwrap(),
                peer_id: [0; 20],
            },
        ];
        let v4 = hex(concat!(
            "00000001",      // action: announce
            "0000abcd",      // transaction_id
            "00000078",      // interval: 120
            "00000001",      // leechers
            "00000002",      // seeders
            "0a000001 1ae1", // 10.0.0.1:6881 (the IPv6 peer is left out)
        ));
        assert_eq!(announce_answer(0xabcd, 120, counts, &peers, false), v4);
        let v6 = hex(concat!(
            "00000001 0000abcd 00000078 00000001 00000002", // as above
            "fd000000000000000000000000000001 0050",        // [fd00::1]:80
        ));
        assert_eq!(announce_answer(0xabcd, 120, counts, &peers, true), v6);
    }

    #[test]
    fn scrape_answer_layout() {
        let counts = [SwarmCounts {
            complete: 3,
            incomplete: 4,
            downloaded: 5,
        }];
        let answer = hex(concat!(
            "00000002", // action: scrape
            "00000005", // transaction_id
            "00000003", // seeders
            "00000005", // completed
            "00000004", // leechers
        ));
        assert_eq!(scrape_answer(5, &counts), answer);
    }

    #[test]
    fn error_answer_layout() {
        let answer = hex(concat!(
            "00000003", // action: error
            "00000007", // transaction_id
            "6f6f7073", // "oops"
        ));
        assert_eq!(error_answer(7, "oops"), answer);
    }
}
