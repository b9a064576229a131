//! Trace lines for trackers: the HTTP announce (BEP 3, compact peers of
//! BEP 23) and the UDP exchange (BEP 15: connect, announce, error).
//!
//! Each function takes what the tracker thread built or parsed and
//! returns the text after the arrow and the tracker's address: the
//! exchange's name, its fields as `name=value`, then `(BEP n: what it
//! means)`. Pure: no I/O, no clock. Peer lists are counted, with the
//! first [`PEERS_SHOWN`] shown; a tracker's text is cut and escaped.
//!
//! What it deliberately does not do: scrape (bitsy's client never
//! scrapes; its tracker server answers scrapes, untraced).

use super::{Bytes, Hex, printable};
use crate::tracker::AnnounceResponse;
use crate::tracker::announce::{AnnounceParams, event_param};
use crate::tracker::udp_packet::AnnounceFields;
use crate::tracker::udp_wire::{EVENT_COMPLETED, EVENT_NONE, EVENT_STARTED, EVENT_STOPPED};
use std::fmt::Write;

/// Peers of an answer shown by address; the rest are counted.
pub const PEERS_SHOWN: usize = 3;

/// The HTTP GET's query parameters, one by one.
pub fn http_announce(p: &AnnounceParams<'_>) -> String {
    let r = p.request;
    let mut s = format!(
        "announce GET info_hash={} peer_id={} port={} uploaded={} downloaded={} left={} \
         compact=1 numwant={} key={:08x}",
        Hex(p.info_hash),
        Bytes(p.peer_id),
        p.port,
        r.uploaded,
        r.downloaded,
        r.left,
        r.numwant,
        p.key
    );
    if let Some(event) = event_param(r.event) {
        let _ = write!(s, " event={event}");
    }
    s.push_str(" (BEP 3: who we are, what we still need, and peers wanted; compact=1 asks for 6-byte peers, BEP 23)");
    s
}

/// A useful answer, HTTP or UDP (`bep` says which wrote it).
pub fn announced(r: &AnnounceResponse, bep: u32) -> String {
    let mut s = format!("announce answer interval={}s", r.interval.as_secs());
    if let Some(min) = r.min_interval {
        let _ = write!(s, " min_interval={}s", min.as_secs());
    }
    if let Some(n) = r.seeders {
        let _ = write!(s, " seeders={n}");
    }
    if let Some(n) = r.leechers {
        let _ = write!(s, " leechers={n}");
    }
    let _ = write!(s, " peers={}", r.peers.len());
    if !r.peers.is_empty() {
        let shown: Vec<String> = r
            .peers
            .iter()
            .take(PEERS_SHOWN)
            .map(|a| a.to_string())
            .collect();
        let more = r.peers.len() - shown.len();
        let _ = write!(s, " [{}", shown.join(", "));
        if more > 0 {
            let _ = write!(s, ", {more} more");
        }
        s.push(']');
    }
    if let Some(w) = &r.warning {
        let _ = write!(s, " warning=\"{}\"", printable(w));
    }
    let _ = write!(
        s,
        " (BEP {bep}: peers to try, and how long to wait before announcing again)"
    );
    s
}

/// An HTTP announce that got no usable answer: a `failure reason`, a
/// body that is not one, or no answer at all (`why` says which).
pub fn http_failed(why: &str) -> String {
    format!(
        "announce failed: {} (BEP 3: no peers from this tracker this time)",
        printable(why)
    )
}

/// BEP 15's connect request.
pub fn udp_connect(transaction_id: u32) -> String {
    format!(
        "connect transaction_id={transaction_id:08x} (BEP 15: ask for a connection id, proof \
         that our address is not spoofed)"
    )
}

/// BEP 15's connect answer.
pub fn udp_connected(connection_id: u64) -> String {
    format!(
        "connect answer connection_id={connection_id:016x} (BEP 15: use it in announces for \
         the next minute)"
    )
}

/// BEP 15's announce request.
pub fn udp_announce(f: &AnnounceFields<'_>) -> String {
    let event = match f.event {
        EVENT_NONE => "none",
        EVENT_COMPLETED => "completed",
        EVENT_STARTED => "started",
        EVENT_STOPPED => "stopped",
        _ => "?",
    };
    let mut s = format!(
        "announce connection_id={:016x} transaction_id={:08x} info_hash={} peer_id={} \
         downloaded={} left={} uploaded={} event={event} key={:08x} num_want={} port={}",
        f.connection_id,
        f.transaction_id,
        Hex(f.info_hash),
        Bytes(f.peer_id),
        f.downloaded,
        f.left,
        f.uploaded,
        f.key,
        f.num_want,
        f.port
    );
    if !f.url_data.is_empty() {
        let path = printable(&String::from_utf8_lossy(f.url_data));
        let _ = write!(s, " url_data=\"{path}\"");
    }
    s.push_str(" (BEP 15: the HTTP announce's fields in a binary datagram)");
    s
}

/// BEP 15's error answer.
pub fn udp_error(message: &str) -> String {
    format!(
        "error message=\"{}\" (BEP 15: the tracker refused the request)",
        printable(message)
    )
}

/// A UDP exchange that ended without an answer we can use.
pub fn udp_failed(why: &str) -> String {
    format!(
        "failed: {} (BEP 15: no usable answer from this address this time; a request \
         unanswered is sent again after 15 s, then 30 s)",
        printable(why)
    )
}

#[cfg(test)]
mod tests;
