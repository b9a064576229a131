//! The tracker's answer to an announce (BEP 3, BEP 23, BEP 7), parsed once.
//!
//! A response body is a bencoded dictionary:
//!
//! ```text
//!   failure reason   string: the tracker refused; nothing else matters
//!   warning message  string: shown to the user, the answer is still good
//!   interval         int: seconds until the next regular announce
//!   min interval     int: seconds we must at least wait (optional)
//!   complete         int: seeders (optional)
//!   incomplete       int: leechers (optional)
//!   peers            string: 6 bytes per peer, IPv4 + port (BEP 23), or
//!                    list of dicts { ip: string, port: int } (BEP 3)
//!   peers6           string: 18 bytes per peer, IPv6 + port (BEP 7)
//! ```
//!
//! Everything here comes from a stranger: strings shown to the user are
//! cleaned of control characters and cut to a bounded length; intervals
//! are clamped; a compact peer string whose length is not a whole number
//! of entries is an error (the tracker is broken, not short of peers).
//! Peers with port 0 and repeated addresses are dropped, order kept.
//! Bytes after the dictionary (a stray newline) are ignored.
//! Dictionary peers whose `ip` is a host name are skipped: resolving names
//! here would block the announce thread on DNS for a peer we may not need.

use super::AnnounceResponse;
use crate::bencode::{self, BencodeError, Limits, Value};
use std::collections::HashSet;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

// BEP 3 keys.
const FAILURE_REASON: &[u8] = b"failure reason";
const WARNING_MESSAGE: &[u8] = b"warning message";
const INTERVAL: &[u8] = b"interval";
const MIN_INTERVAL: &[u8] = b"min interval";
const COMPLETE: &[u8] = b"complete";
const INCOMPLETE: &[u8] = b"incomplete";
const PEERS: &[u8] = b"peers";
const PEER_IP: &[u8] = b"ip";
const PEER_PORT: &[u8] = b"port";
// BEP 7 key.
const PEERS6: &[u8] = b"peers6";

/// BEP 23: IPv4 address (4 bytes) then port (2 bytes), big-endian.
pub const COMPACT_V4_LEN: usize = 6;
/// BEP 7: IPv6 address (16 bytes) then port (2 bytes), big-endian.
pub const COMPACT_V6_LEN: usize = 18;

/// Shortest interval we accept. A tracker asking for less (or for 0, as
/// broken ones do) would have us announce in a tight loop; a minute is
/// the floor common clients use and keeps a busy tracker's load sane.
pub const MIN_ANNOUNCE_INTERVAL: Duration = Duration::from_secs(60);

/// Longest interval we accept. Peers come and go; after an hour most of
/// a small swarm's list may be stale, and we want fresh addresses.
pub const MAX_ANNOUNCE_INTERVAL: Duration = Duration::from_secs(60 * 60);

/// Interval used when the tracker sends none or a non-number: the value
/// most trackers send (30 minutes).
pub const DEFAULT_ANNOUNCE_INTERVAL: Duration = Duration::from_secs(30 * 60);

/// Longest tracker message we keep, in characters: enough for any real
/// sentence, short enough for one terminal line or two.
pub const MAX_MESSAGE_CHARS: usize = 300;

/// Why an answer gave us no peers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseError {
    /// The tracker refused, in its own words (`failure reason`).
    Failure(String),
    /// The body is not a valid announce response.
    Malformed(String),
}

impl fmt::Display for ResponseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResponseError::Failure(reason) => write!(f, "tracker says: {reason}"),
            ResponseError::Malformed(what) => write!(f, "invalid tracker response: {what}"),
        }
    }
}

impl std::error::Error for ResponseError {}

fn malformed(what: impl Into<String>) -> ResponseError {
    ResponseError::Malformed(what.into())
}

/// Parses a response body.
pub fn parse(body: &[u8]) -> Result<AnnounceResponse, ResponseError> {
    let root = match bencode::decode(body, Limits::TRACKER) {
        // Some trackers end the body with a newline or padding after the
        // dictionary: the answer itself is complete, so use it.
        Err(BencodeError::TrailingBytes { offset }) => {
            bencode::decode(body.get(..offset).unwrap_or(body), Limits::TRACKER)
        }
        other => other,
    }
    .map_err(|e| malformed(format!("not bencode ({e})")))?;
    if root.as_dict().is_none() {
        return Err(malformed("not a dictionary"));
    }
    if let Some(reason) = root.get(FAILURE_REASON) {
        let text = reason.as_bytes().map(clean_message).unwrap_or_default();
        return Err(ResponseError::Failure(if text.is_empty() {
            "(no reason given)".to_string()
        } else {
            text
        }));
    }

    let interval = clamp_interval(root.get(INTERVAL).and_then(Value::as_int))
        .unwrap_or(DEFAULT_ANNOUNCE_INTERVAL);
    let min_interval = clamp_interval(root.get(MIN_INTERVAL).and_then(Value::as_int));

    let mut peers = Vec::new();
    match root.get(PEERS) {
        None => {}
        Some(Value::Bytes(compact)) => compact_v4(compact, &mut peers)?,
        Some(Value::List(list)) => dict_peers(list, &mut peers),
        Some(_) => return Err(malformed("`peers` is neither a string nor a list")),
    }
    match root.get(PEERS6) {
        None => {}
        Some(Value::Bytes(compact)) => compact_v6(compact, &mut peers)?,
        Some(_) => return Err(malformed("`peers6` is not a string")),
    }

    Ok(AnnounceResponse {
        peers: without_duplicates(peers),
        interval,
        min_interval,
        warning: root
            .get(WARNING_MESSAGE)
            .and_then(Value::as_bytes)
            .map(clean_message)
            .filter(|w| !w.is_empty()),
        seeders: count(root.get(COMPLETE)),
        leechers: count(root.get(INCOMPLETE)),
    })
}

/// Seconds from the tracker, clamped to our bounds; `None` if absent or
/// not an integer.
pub(super) fn clamp_interval(seconds: Option<i64>) -> Option<Duration> {
    let secs = u64::try_from(seconds?.max(0)).unwrap_or(0);
    Some(Duration::from_secs(secs).clamp(MIN_ANNOUNCE_INTERVAL, MAX_ANNOUNCE_INTERVAL))
}

/// A swarm count, if present and in range.
fn count(value: Option<&Value<'_>>) -> Option<u32> {
    value
        .and_then(Value::as_int)
        .and_then(|n| u32::try_from(n).ok())
}

/// BEP 23 compact IPv4 peers.
pub(super) fn compact_v4(bytes: &[u8], out: &mut Vec<SocketAddr>) -> Result<(), ResponseError> {
    if !bytes.len().is_multiple_of(COMPACT_V4_LEN) {
        return Err(malformed(format!(
            "`peers` is {} bytes, not a multiple of {COMPACT_V4_LEN}",
            bytes.len()
        )));
    }
    for entry in bytes.chunks_exact(COMPACT_V4_LEN) {
        if let [a, b, c, d, p0, p1] = *entry {
            let ip = Ipv4Addr::new(a, b, c, d);
            push_peer(out, IpAddr::V4(ip), u16::from_be_bytes([p0, p1]));
        }
    }
    Ok(())
}

/// BEP 7 compact IPv6 peers.
pub(super) fn compact_v6(bytes: &[u8], out: &mut Vec<SocketAddr>) -> Result<(), ResponseError> {
    if !bytes.len().is_multiple_of(COMPACT_V6_LEN) {
        return Err(malformed(format!(
            "`peers6` is {} bytes, not a multiple of {COMPACT_V6_LEN}",
            bytes.len()
        )));
    }
    for entry in bytes.chunks_exact(COMPACT_V6_LEN) {
        // 16 address bytes, then the port.
        if let Ok(entry) = <[u8; COMPACT_V6_LEN]>::try_from(entry) {
            let [addr @ .., p0, p1] = entry;
            push_peer(
                out,
                IpAddr::V6(Ipv6Addr::from(addr)),
                u16::from_be_bytes([p0, p1]),
            );
        }
    }
    Ok(())
}

/// BEP 3 dictionary peers. An entry we cannot use (host name, bad port,
/// not a dictionary) is skipped, not an error: the rest may be fine.
fn dict_peers(list: &[Value<'_>], out: &mut Vec<SocketAddr>) {
    for entry in list {
        let ip = entry
            .get(PEER_IP)
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<IpAddr>().ok());
        let port = entry
            .get(PEER_PORT)
            .and_then(Value::as_int)
            .and_then(|p| u16::try_from(p).ok());
        if let (Some(ip), Some(port)) = (ip, port) {
            push_peer(out, ip, port);
        }
    }
}

/// Adds a peer unless its port is 0 (nobody listens there).
fn push_peer(out: &mut Vec<SocketAddr>, ip: IpAddr, port: u16) {
    if port != 0 {
        out.push(SocketAddr::new(ip, port));
    }
}

/// Drops repeated addresses, keeping the first of each.
pub(super) fn without_duplicates(peers: Vec<SocketAddr>) -> Vec<SocketAddr> {
    let mut seen = HashSet::with_capacity(peers.len());
    peers.into_iter().filter(|p| seen.insert(*p)).collect()
}

/// A tracker's text made safe to print: lossy UTF-8, control characters
/// replaced, trimmed, at most [`MAX_MESSAGE_CHARS`] characters.
pub(super) fn clean_message(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out: String = text
        .trim()
        .chars()
        .take(MAX_MESSAGE_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.trim().chars().count() > MAX_MESSAGE_CHARS {
        out.push_str("...");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(a: [u8; 4], port: u16) -> SocketAddr {
        SocketAddr::from((a, port))
    }

    #[test]
    fn good_responses() {
        type Case = (&'static str, &'static [u8], Vec<SocketAddr>, u64);
        let cases: Vec<Case> = vec![
            (
                "compact peers",
                b"d8:intervali900e5:peers12:\
                  \x7f\x00\x00\x01\x1a\xe1\
                  \x0a\x00\x00\x02\x00\x50e",
                //  127.0.0.1:6881      10.0.0.2:80
                vec![v4([127, 0, 0, 1], 6881), v4([10, 0, 0, 2], 80)],
                900,
            ),
            (
                "trailing newline",
                b"d8:intervali1800e5:peers0:e\r\n",
                vec![],
                1800,
            ),
            (
                "empty peers0:",
                b"d8:intervali1800e5:peers0:e",
                vec![],
                1800,
            ),
            ("no peers key", b"d8:intervali1800ee", vec![], 1800),
            (
                "dictionary peers, host name and bad port skipped",
                b"d8:intervali60e5:peersl\
                  d2:ip9:127.0.0.24:porti7000ee\
                  d2:ip11:example.org4:porti7000ee\
                  d2:ip9:127.0.0.34:porti70000ee\
                  d2:ip3:::14:porti9ee\
                  ee",
                vec![
                    v4([127, 0, 0, 2], 7000),
                    SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 9),
                ],
                60,
            ),
            (
                "port 0 and duplicates dropped, order kept",
                b"d8:intervali60e5:peers24:\
                  \x01\x02\x03\x04\x00\x01\
                  \x01\x02\x03\x04\x00\x00\
                  \x05\x06\x07\x08\x00\x02\
                  \x01\x02\x03\x04\x00\x01e",
                //  1.2.3.4:1, 1.2.3.4:0 (dropped), 5.6.7.8:2, 1.2.3.4:1 (repeat)
                vec![v4([1, 2, 3, 4], 1), v4([5, 6, 7, 8], 2)],
                60,
            ),
            (
                "peers6",
                b"d8:intervali60e5:peers0:6:peers618:\
                  \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\
                  \x1a\xe1e",
                //  ::1                                                  port 6881
                vec![SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 6881)],
                60,
            ),
        ];
        for (name, body, peers, interval) in cases {
            let r = parse(body).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(r.peers, peers, "{name}");
            assert_eq!(r.interval, Duration::from_secs(interval), "{name}");
        }
    }

    #[test]
    fn intervals_are_clamped() {
        let cases: &[(&[u8], u64, Option<u64>)] = &[
            (b"d8:intervali0e5:peers0:e", 60, None),
            (b"d8:intervali-5e5:peers0:e", 60, None),
            (b"d8:intervali99999999e5:peers0:e", 3600, None),
            (b"d5:peers0:e", 1800, None), // missing: default
            (b"d8:intervali120e12:min intervali30ee", 120, Some(60)),
            (b"d8:intervali120e12:min intervali90ee", 120, Some(90)),
        ];
        for (body, interval, min) in cases {
            let r = parse(body).unwrap();
            assert_eq!(r.interval.as_secs(), *interval);
            assert_eq!(r.min_interval.map(|d| d.as_secs()), *min);
        }
    }

    #[test]
    fn counts_and_warning() {
        let r = parse(
            b"d8:completei5e10:incompletei7e8:intervali60e5:peers0:\
              15:warning message10:be nice\x07!!e",
        )
        .unwrap();
        assert_eq!(r.seeders, Some(5));
        assert_eq!(r.leechers, Some(7));
        assert_eq!(r.warning.as_deref(), Some("be nice !!"));
        let r = parse(b"d8:completei-1e8:intervali60ee").unwrap();
        assert_eq!(r.seeders, None);
    }

    #[test]
    fn failures_and_malformed_bodies() {
        let failure = |s: &str| ResponseError::Failure(s.to_string());
        let cases: &[(&str, &[u8], Option<ResponseError>)] = &[
            (
                "failure reason wins over peers",
                b"d14:failure reason12:unregistered5:peers0:e",
                Some(failure("unregistered")),
            ),
            ("empty failure reason", b"d14:failure reason0:e", Some(failure("(no reason given)"))),
            ("truncated compact", b"d8:intervali60e5:peers5:\x01\x02\x03\x04\x05e", None),
            ("truncated peers6", b"d8:intervali60e6:peers617:\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01e", None),
            ("peers is an int", b"d8:intervali60e5:peersi3ee", None),
            ("not a dict", b"li1ee", None),
            ("HTML error page", b"<html>502 Bad Gateway</html>", None),
            ("empty body", b"", None),
        ];
        for (name, body, want) in cases {
            let err = parse(body).expect_err(name);
            match want {
                Some(want) => assert_eq!(&err, want, "{name}"),
                None => assert!(matches!(err, ResponseError::Malformed(_)), "{name}: {err}"),
            }
        }
    }

    #[test]
    fn long_messages_are_cut() {
        let mut body = b"d14:failure reason1000:".to_vec();
        body.extend(std::iter::repeat_n(b'x', 1000));
        body.push(b'e');
        let ResponseError::Failure(text) = parse(&body).unwrap_err() else {
            panic!("expected a failure");
        };
        assert_eq!(text.chars().count(), MAX_MESSAGE_CHARS + 3);
    }
}
