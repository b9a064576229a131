//! BEP 15 packets as a UDP tracker client sees them: requests written,
//! answers parsed. Pure bytes, no socket (that is `udp`).
//!
//! All integers are big-endian. Connect request (16 bytes) and answer
//! (16 bytes):
//!
//! ```text
//! request  0 8 connection_id = PROTOCOL_ID  8 4 action = 0  12 4 transaction_id
//! answer   0 4 action = 0   4 4 transaction_id   8 8 connection_id
//! ```
//!
//! Announce request (98 bytes, then BEP 41 options):
//!
//! ```text
//!  0  8 connection_id   8 4 action = 1     12 4 transaction_id
//! 16 20 info_hash      36 20 peer_id       56 8 downloaded   64 8 left
//! 72  8 uploaded       80 4 event          84 4 ip = 0 (use the source)
//! 88  4 key            92 4 num_want       96 2 port
//! 98  options: type (1) length (1) data; type 2 = URLData, the URL's path
//!     and query, split over several options when longer than 255 bytes
//! ```
//!
//! Announce answer (20 bytes, then peers) and error answer:
//!
//! ```text
//! announce  0 4 action = 1  4 4 transaction_id  8 4 interval
//!          12 4 leechers   16 4 seeders        20 .. peers, 6 bytes each
//!          (IPv4 + port) over an IPv4 socket, 18 (IPv6 + port) over IPv6
//! error     0 4 action = 3  4 4 transaction_id  8 .. message text
//! ```
//!
//! An answer that is too short, carries another transaction id, or an
//! action we did not ask for is [`Bad::Ignore`]d: it may be a late or
//! stray datagram, and the right one may still come. An answer of the
//! right kind that is broken (a peer list that is not a whole number of
//! entries) is [`Bad::Malformed`]: the tracker is broken, stop asking it.
//! At most [`MAX_PEERS_PER_REPLY`] peers are kept from one answer.

use super::AnnounceResponse;
use super::response::{
    COMPACT_V4_LEN, COMPACT_V6_LEN, clamp_interval, clean_message, compact_v4, compact_v6,
    without_duplicates,
};
use super::udp_wire::{ACTION_ANNOUNCE, ACTION_CONNECT, ACTION_ERROR, PROTOCOL_ID};
use std::time::Duration;

/// Connect request length.
pub const CONNECT_LEN: usize = 16;
/// Announce request length before the BEP 41 options.
pub const ANNOUNCE_LEN: usize = 98;
/// Answer header: action and transaction id.
const ANSWER_HEADER_LEN: usize = 8;
/// Announce answer header: action, transaction id, interval, leechers,
/// seeders.
const ANNOUNCE_ANSWER_LEN: usize = 20;

/// BEP 41 option types.
const OPTION_URL_DATA: u8 = 2;
/// One option's data is at most this long (its length is one byte).
const OPTION_MAX_DATA: usize = 255;
/// Longest URL path and query we send. A tracker URL with more than this
/// is not one anyone types; the cap keeps the datagram small.
pub const MAX_URL_DATA: usize = 1024;

/// Peers kept from one answer. A 64 KiB datagram holds up to ~10,900 IPv4
/// peers; we connect to a few dozen, so a few thousand candidates is
/// plenty and bounds what one answer costs us.
pub const MAX_PEERS_PER_REPLY: usize = 2000;

/// What goes into an announce request. `event` is a BEP 15 number
/// (`udp_wire::EVENT_*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnounceFields<'a> {
    pub connection_id: u64,
    pub transaction_id: u32,
    pub info_hash: &'a [u8; 20],
    pub peer_id: &'a [u8; 20],
    pub downloaded: u64,
    pub left: u64,
    pub uploaded: u64,
    pub event: u32,
    pub key: u32,
    pub num_want: i32,
    pub port: u16,
    /// BEP 41 URLData: the URL's path and query (may be empty).
    pub url_data: &'a [u8],
}

/// A useful answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The connection id to use for the next minute.
    Connected(u64),
    /// Peers and interval, in the shape the HTTP path gives.
    Announced(AnnounceResponse),
    /// The tracker refused, with its message (cleaned for printing).
    Error(String),
}

/// An answer we cannot use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bad {
    /// Not (or not yet) our answer: keep waiting.
    Ignore(&'static str),
    /// Our answer, but broken.
    Malformed(String),
}

/// The connect request.
pub fn connect_request(transaction_id: u32) -> [u8; CONNECT_LEN] {
    let mut out = [0u8; CONNECT_LEN];
    out[..8].copy_from_slice(&PROTOCOL_ID.to_be_bytes());
    out[8..12].copy_from_slice(&ACTION_CONNECT.to_be_bytes());
    out[12..].copy_from_slice(&transaction_id.to_be_bytes());
    out
}

/// The announce request, with the URLData option when `url_data` is not
/// empty. `url_data` longer than [`MAX_URL_DATA`] is an error.
pub fn announce_request(f: &AnnounceFields<'_>) -> Result<Vec<u8>, String> {
    if f.url_data.len() > MAX_URL_DATA {
        return Err(format!(
            "URL path and query are {} bytes, more than the {MAX_URL_DATA} sent over UDP",
            f.url_data.len()
        ));
    }
    let options = f.url_data.len().div_ceil(OPTION_MAX_DATA) * 2 + f.url_data.len();
    let mut out = Vec::with_capacity(ANNOUNCE_LEN + options);
    out.extend_from_slice(&f.connection_id.to_be_bytes());
    out.extend_from_slice(&ACTION_ANNOUNCE.to_be_bytes());
    out.extend_from_slice(&f.transaction_id.to_be_bytes());
    out.extend_from_slice(f.info_hash);
    out.extend_from_slice(f.peer_id);
    out.extend_from_slice(&f.downloaded.to_be_bytes());
    out.extend_from_slice(&f.left.to_be_bytes());
    out.extend_from_slice(&f.uploaded.to_be_bytes());
    out.extend_from_slice(&f.event.to_be_bytes());
    out.extend_from_slice(&0u32.to_be_bytes()); // ip: the tracker uses the source
    out.extend_from_slice(&f.key.to_be_bytes());
    out.extend_from_slice(&f.num_want.to_be_bytes());
    out.extend_from_slice(&f.port.to_be_bytes());
    for chunk in f.url_data.chunks(OPTION_MAX_DATA) {
        out.push(OPTION_URL_DATA);
        out.push(chunk.len() as u8); // chunks() keeps it <= 255
        out.extend_from_slice(chunk);
    }
    Ok(out)
}

/// Which answer a request waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Connect,
    /// `ipv6`: the socket talks IPv6, so peers are 18 bytes each.
    Announce {
        ipv6: bool,
    },
}

/// Parses an answer to the request with `transaction_id`.
pub fn parse_answer(p: &[u8], transaction_id: u32, expect: Expect) -> Result<Answer, Bad> {
    let (Some(action), Some(tid)) = (be32(p, 0), be32(p, 4)) else {
        return Err(Bad::Ignore("shorter than an answer header"));
    };
    if tid != transaction_id {
        return Err(Bad::Ignore("another transaction id"));
    }
    match (action, expect) {
        (ACTION_ERROR, _) => {
            let text = p.get(ANSWER_HEADER_LEN..).unwrap_or_default();
            Ok(Answer::Error(clean_message(text)))
        }
        (ACTION_CONNECT, Expect::Connect) => match be64(p, 8) {
            Some(id) => Ok(Answer::Connected(id)),
            None => Err(Bad::Ignore("connect answer shorter than 16 bytes")),
        },
        (ACTION_ANNOUNCE, Expect::Announce { ipv6 }) => announced(p, ipv6),
        _ => Err(Bad::Ignore("an action we did not ask for")),
    }
}

/// The announce answer after its action and transaction id were checked.
fn announced(p: &[u8], ipv6: bool) -> Result<Answer, Bad> {
    let (Some(interval), Some(leechers), Some(seeders)) = (be32(p, 8), be32(p, 12), be32(p, 16))
    else {
        return Err(Bad::Ignore("announce answer shorter than 20 bytes"));
    };
    let list = p.get(ANNOUNCE_ANSWER_LEN..).unwrap_or_default();
    let entry = if ipv6 { COMPACT_V6_LEN } else { COMPACT_V4_LEN };
    if !list.len().is_multiple_of(entry) {
        return Err(Bad::Malformed(format!(
            "peer list of {} bytes is not a whole number of {entry}-byte entries",
            list.len()
        )));
    }
    let kept = list.get(..MAX_PEERS_PER_REPLY * entry).unwrap_or(list);
    let mut peers = Vec::with_capacity(kept.len() / entry);
    let parsed = if ipv6 {
        compact_v6(kept, &mut peers)
    } else {
        compact_v4(kept, &mut peers)
    };
    parsed.map_err(|e| Bad::Malformed(e.to_string()))?;
    let secs = i64::from(interval);
    Ok(Answer::Announced(AnnounceResponse {
        peers: without_duplicates(peers),
        interval: clamp_interval(Some(secs)).unwrap_or(Duration::ZERO),
        min_interval: None,
        warning: None,
        seeders: Some(seeders),
        leechers: Some(leechers),
    }))
}

fn be32(p: &[u8], at: usize) -> Option<u32> {
    let b = p.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes(b.try_into().ok()?))
}

fn be64(p: &[u8], at: usize) -> Option<u64> {
    let b = p.get(at..at.checked_add(8)?)?;
    Some(u64::from_be_bytes(b.try_into().ok()?))
}

#[cfg(test)]
mod tests;
