//! Checked announce and scrape requests: the types both front-ends produce.
//!
//! The HTTP front-end parses a [`Query`] into an [`HttpAnnounce`] or a list
//! of scrape infohashes here; the UDP front-end fills an [`Announce`] from
//! its fixed layout (`udp_request`). Past this point every field is checked:
//! 20-byte infohash and peer id, a port in 1..=65535, a peer address that is
//! either the connection's source or an allowed override, `numwant` capped.
//!
//! Decisions, written down:
//! - `compact` defaults to **1** when absent (BEP 23 answers). Every client
//!   in use sends `compact=1`; `compact=0` asks for BEP 3 dictionaries.
//! - `uploaded` and `downloaded` default to 0 when absent (the tracker only
//!   logs them); `left` is required, because it decides seeder or leecher.
//!   Any numeric field that is present must be a plain decimal number.
//! - `ip=` (BEP 3) is honoured only when both it and the connection's
//!   source are loopback or private addresses of the same family. That
//!   serves the case the parameter exists for on a LAN or CI box (a client
//!   whose announce leaves from 127.0.0.1 while it listens on 127.0.0.5)
//!   without letting anyone point a swarm at a third party's address.
//! - BEP 7's `ipv4=`/`ipv6=` are ignored: each announce registers its
//!   source address, which is what BEP 7 asks clients to rely on.
//! - Unknown `event` values are refused, except BEP 21's `paused`, which is
//!   treated as a regular announce.

use super::query::Query;
use crate::ids::{InfoHash, PeerId};
use crate::tracker::udp_wire::{EVENT_COMPLETED, EVENT_NONE, EVENT_STARTED, EVENT_STOPPED};
use std::net::{IpAddr, SocketAddr};

/// Most peers one answer carries, and the default when `numwant` is absent.
/// 50 is what BEP 15 sizes its answers for and what clients ask for.
pub const MAX_NUMWANT: usize = 50;

/// Most infohashes one scrape may name. BEP 15 fits about 74 in a UDP
/// packet; 64 keeps HTTP and UDP scrapes alike and the answer small.
pub const MAX_SCRAPE_HASHES: usize = 64;

/// What an announce says about the peer's state (BEP 3 `event`; BEP 15
/// numbers them 0..=3 in the same order as [`Event::from_udp`]).
#[derive(Debug, Copy, Clone, PartialEq, Eq)]
pub enum Event {
    /// A regular re-announce.
    None,
    /// The first announce of a download.
    Started,
    /// The download finished (counted in scrape's `downloaded`).
    Completed,
    /// The peer is leaving: forget it.
    Stopped,
}

impl Event {
    /// BEP 15 event numbers: 0 none, 1 completed, 2 started, 3 stopped.
    pub fn from_udp(n: u32) -> Option<Event> {
        match n {
            EVENT_NONE => Some(Event::None),
            EVENT_COMPLETED => Some(Event::Completed),
            EVENT_STARTED => Some(Event::Started),
            EVENT_STOPPED => Some(Event::Stopped),
            _ => None,
        }
    }

    /// The BEP 3 word, for the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Event::None => "none",
            Event::Started => "started",
            Event::Completed => "completed",
            Event::Stopped => "stopped",
        }
    }
}

/// A checked announce, from either front-end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announce {
    pub info_hash: InfoHash,
    pub peer_id: PeerId,
    /// Where other peers should connect: source IP (or allowed override)
    /// and the announced port (never 0).
    pub peer: SocketAddr,
    pub uploaded: u64,
    pub downloaded: u64,
    /// Bytes still missing; 0 means a seeder.
    pub left: u64,
    pub event: Event,
    /// Peers wanted, already capped at [`MAX_NUMWANT`].
    pub numwant: usize,
}

/// An HTTP announce: the common fields plus how to write the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpAnnounce {
    pub announce: Announce,
    /// BEP 23 compact peer strings (the default) or BEP 3 dictionaries.
    pub compact: bool,
    /// Leave `peer id` out of dictionary-form peers.
    pub no_peer_id: bool,
}

/// Parses an HTTP announce query sent from `source`. The error is the
/// sentence that goes into `failure reason`.
pub fn parse_http_announce(q: &Query, source: IpAddr) -> Result<HttpAnnounce, String> {
    let info_hash = twenty_bytes(q, "info_hash")?;
    let peer_id = twenty_bytes(q, "peer_id")?;
    let port = match q.first("port") {
        Some(v) => parse_port(v)?,
        None => return Err("missing port".into()),
    };
    let left = match q.first("left") {
        Some(v) => number(v, "left")?,
        None => return Err("missing left".into()),
    };
    let uploaded = optional_number(q, "uploaded")?;
    let downloaded = optional_number(q, "downloaded")?;
    let numwant = match q.first("numwant") {
        Some(v) => cap_numwant(number(v, "numwant")?),
        None => MAX_NUMWANT,
    };
    let event = match q.first("event").unwrap_or(b"") {
        b"" | b"empty" | b"paused" => Event::None,
        b"started" => Event::Started,
        b"completed" => Event::Completed,
        b"stopped" => Event::Stopped,
        _ => return Err("unknown event".into()),
    };
    let compact = match q.first("compact") {
        None | Some(b"1") => true,
        Some(b"0") => false,
        Some(_) => return Err("compact must be 0 or 1".into()),
    };
    let no_peer_id = q.first("no_peer_id").is_some_and(|v| v != b"0");
    let claimed = match q.first("ip") {
        Some(v) => std::str::from_utf8(v).ok().and_then(|s| s.parse().ok()),
        None => None,
    };
    let ip = peer_ip(source, claimed);
    Ok(HttpAnnounce {
        announce: Announce {
            info_hash,
            peer_id,
            peer: SocketAddr::new(ip, port),
            uploaded,
            downloaded,
            left,
            event,
            numwant,
        },
        compact,
        no_peer_id,
    })
}

/// Parses the `info_hash` list of an HTTP scrape (BEP 48). An empty list
/// means "every torrent" (bounded by the caller).
pub fn parse_http_scrape(q: &Query) -> Result<Vec<InfoHash>, String> {
    let mut hashes = Vec::new();
    for value in q.all("info_hash") {
        if hashes.len() == MAX_SCRAPE_HASHES {
            return Err(format!("at most {MAX_SCRAPE_HASHES} info_hash per scrape"));
        }
        hashes.push(<InfoHash>::try_from(value).map_err(|_| "info_hash must be 20 bytes")?);
    }
    Ok(hashes)
}

/// The address to register: `claimed` when the rule in the module docs
/// allows it, else the source. IPv4-mapped IPv6 sources (a dual-stack
/// socket) count as IPv4.
pub fn peer_ip(source: IpAddr, claimed: Option<IpAddr>) -> IpAddr {
    let source = source.to_canonical();
    match claimed.map(|c| c.to_canonical()) {
        Some(c) if c.is_ipv4() == source.is_ipv4() && is_local(c) && is_local(source) => c,
        _ => source,
    }
}

/// Loopback or private: 127/8, 10/8, 172.16/12, 192.168/16, ::1, fc00::/7.
fn is_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_private(),
        IpAddr::V6(v6) => v6.is_loopback() || (v6.segments()[0] & 0xfe00) == 0xfc00,
    }
}

/// Caps a requested peer count at [`MAX_NUMWANT`].
pub fn cap_numwant(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX).min(MAX_NUMWANT)
}

fn twenty_bytes(q: &Query, key: &str) -> Result<[u8; 20], String> {
    match q.first(key) {
        Some(v) => <[u8; 20]>::try_from(v).map_err(|_| format!("{key} must be 20 bytes")),
        None => Err(format!("missing {key}")),
    }
}

fn parse_port(v: &[u8]) -> Result<u16, String> {
    match u16::try_from(number(v, "port")?) {
        Ok(p) if p != 0 => Ok(p),
        _ => Err("port must be 1..=65535".into()),
    }
}

fn optional_number(q: &Query, key: &str) -> Result<u64, String> {
    q.first(key).map_or(Ok(0), |v| number(v, key))
}

/// A plain decimal u64: ASCII digits only, no sign, at most 20 digits.
fn number(v: &[u8], key: &str) -> Result<u64, String> {
    let bad = || format!("{key} must be a non-negative integer");
    if v.is_empty() || v.len() > 20 || !v.iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    std::str::from_utf8(v)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const HASH_Q: &str = "info_hash=%01%02%03%04%05%06%07%08%09%0a%0b%0c%0d%0e%0f%10%11%12%13%14";
    const PEER_Q: &str = "peer_id=-BT0001-abcdefghijkl";
    const SRC: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 7));

    fn parse(extra: &str) -> Result<HttpAnnounce, String> {
        let raw = format!("{HASH_Q}&{PEER_Q}&{extra}");
        parse_http_announce(&Query::parse(raw.as_bytes()).unwrap(), SRC)
    }

    #[test]
    fn a_full_announce() {
        let a = parse("port=6881&uploaded=1&downloaded=2&left=3&event=started&numwant=7&compact=0")
            .unwrap();
        assert_eq!(a.announce.info_hash[0], 1);
        assert_eq!(a.announce.info_hash[19], 0x14);
        assert_eq!(&a.announce.peer_id, b"-BT0001-abcdefghijkl");
        assert_eq!(a.announce.peer, "192.168.1.7:6881".parse().unwrap());
        assert_eq!(
            (a.announce.uploaded, a.announce.downloaded, a.announce.left),
            (1, 2, 3)
        );
        assert_eq!(a.announce.event, Event::Started);
        assert_eq!(a.announce.numwant, 7);
        assert!(!a.compact);
    }

    #[test]
    fn defaults() {
        let a = parse("port=1&left=0").unwrap();
        assert!(a.compact);
        assert_eq!(a.announce.numwant, MAX_NUMWANT);
        assert_eq!(a.announce.event, Event::None);
        assert_eq!(
            parse("port=1&left=0&numwant=999").unwrap().announce.numwant,
            MAX_NUMWANT
        );
    }

    #[test]
    fn refusals() {
        let cases = [
            ("port=0&left=0", "port must be 1..=65535"),
            ("port=65536&left=0", "port must be 1..=65535"),
            ("port=-1&left=0", "port must be a non-negative integer"),
            ("left=0", "missing port"),
            ("port=1", "missing left"),
            ("port=1&left=1e3", "left must be a non-negative integer"),
            ("port=1&left=", "left must be a non-negative integer"),
            (
                "port=1&left=99999999999999999999",
                "left must be a non-negative integer",
            ),
            (
                "port=1&left=0&uploaded=+1",
                "uploaded must be a non-negative integer",
            ),
            ("port=1&left=0&event=bogus", "unknown event"),
            ("port=1&left=0&compact=2", "compact must be 0 or 1"),
        ];
        for (extra, want) in cases {
            assert_eq!(parse(extra).unwrap_err(), want, "query {extra}");
        }
        let short = Query::parse(b"info_hash=abc&peer_id=x&port=1&left=0").unwrap();
        assert_eq!(
            parse_http_announce(&short, SRC).unwrap_err(),
            "info_hash must be 20 bytes"
        );
        let no_hash = Query::parse(b"peer_id=x&port=1&left=0").unwrap();
        assert_eq!(
            parse_http_announce(&no_hash, SRC).unwrap_err(),
            "missing info_hash"
        );
    }

    #[test]
    fn ip_override_rule() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let cases = [
            // (source, claimed, registered)
            ("127.0.0.1", Some("127.0.0.5"), "127.0.0.5"),
            ("192.168.1.7", Some("10.0.0.2"), "10.0.0.2"),
            ("192.168.1.7", Some("8.8.8.8"), "192.168.1.7"), // public claim
            ("8.8.4.4", Some("10.0.0.2"), "8.8.4.4"),        // public source
            ("127.0.0.1", Some("::1"), "127.0.0.1"),         // other family
            ("::1", Some("fd00::2"), "fd00::2"),
            ("::ffff:127.0.0.1", None, "127.0.0.1"), // mapped source
            ("::ffff:127.0.0.1", Some("127.0.0.9"), "127.0.0.9"),
        ];
        for (source, claimed, want) in cases {
            assert_eq!(
                peer_ip(ip(source), claimed.map(ip)),
                ip(want),
                "{source} {claimed:?}"
            );
        }
        let a = parse("port=1&left=0&ip=192.168.1.99").unwrap();
        assert_eq!(a.announce.peer.ip(), ip("192.168.1.99"));
        let a = parse("port=1&left=0&ip=not-an-ip").unwrap();
        assert_eq!(a.announce.peer.ip(), SRC);
    }

    #[test]
    fn scrape_hashes() {
        let q = Query::parse(format!("{HASH_Q}&{HASH_Q}").as_bytes()).unwrap();
        assert_eq!(parse_http_scrape(&q).unwrap().len(), 2);
        assert!(parse_http_scrape(&Query::default()).unwrap().is_empty());
        let bad = Query::parse(b"info_hash=short").unwrap();
        assert_eq!(
            parse_http_scrape(&bad).unwrap_err(),
            "info_hash must be 20 bytes"
        );
        let many = format!("{HASH_Q}&").repeat(MAX_SCRAPE_HASHES + 1);
        assert!(parse_http_scrape(&Query::parse(many.as_bytes()).unwrap()).is_err());
    }

    #[test]
    fn udp_event_numbers() {
        let got: Vec<_> = (0..5).map(Event::from_udp).collect();
        use Event::*;
        assert_eq!(
            got,
            [
                Some(None),
                Some(Completed),
                Some(Started),
                Some(Stopped),
                Option::None
            ]
        );
    }
}
