//! Trace lines for the peer wire protocol: the handshake (BEP 3, its
//! reserved bits from BEPs 5, 6 and 10), BEP 3's messages, BEP 5's
//! `port`, BEP 6's fast messages, and BEP 10's extended messages with
//! the extensions on top (BEP 9's `ut_metadata`, BEP 11's `ut_pex`).
//!
//! Each function takes a parsed message and returns the text after the
//! arrow and address: the message's name, its fields as `name=value`,
//! then `(BEP n: what it means)`. Pure: no I/O, no clock.
//!
//! Payloads are summarised, never dumped: a `piece` shows its length, a
//! `bitfield` how many pieces it holds, a `ut_pex` its address counts and
//! the first [`PEX_SHOWN`] addresses. An extended payload is parsed again
//! here (only when tracing): the peer thread parses it once for use, and
//! the trace must not change what it does.
//!
//! What it deliberately does not do: decide which extension an extended
//! id means (ids we receive are ours, ids we send are the peer's: the
//! caller, who knows the direction, says; see `wire::extended`).

use super::{Bytes, Hex, printable};
use crate::wire::ext_handshake::ExtHandshake;
use crate::wire::extended::{Extension, HANDSHAKE_ID};
use crate::wire::fast::FastMessage;
use crate::wire::handshake::Handshake;
use crate::wire::message::Message;
use crate::wire::ut_metadata::MetadataMsg;
use crate::wire::ut_pex::{PexFlags, PexMessage};
use std::fmt::Write;

/// Addresses of a `ut_pex` message shown by name; the rest are counted.
pub const PEX_SHOWN: usize = 3;

/// The 68-byte handshake: infohash, peer id, and the reserved bits it
/// sets, by name.
pub fn handshake(h: &Handshake) -> String {
    let mut bits = Vec::new();
    if h.supports_extensions() {
        bits.push("extension protocol (BEP 10)");
    }
    if h.supports_fast() {
        bits.push("fast (BEP 6)");
    }
    if h.supports_dht() {
        bits.push("DHT (BEP 5)");
    }
    let bits = if bits.is_empty() {
        "none".to_string()
    } else {
        bits.join(", ")
    };
    format!(
        "handshake info_hash={} peer_id={} reserved={} [{bits}] \
         (BEP 3: this connection is for this torrent; reserved bits say which extensions the sender speaks)",
        Hex(&h.info_hash),
        Bytes(&h.peer_id),
        Hex(&h.reserved),
    )
}

/// One message after the handshake. `num_pieces` is the torrent's piece
/// count (`None` before the metadata is known); `ext` is the extension
/// an `extended` message's id stands for on this connection in this
/// direction (ignored for id 0, the extended handshake).
pub fn message(msg: &Message, num_pieces: Option<u32>, ext: Option<Extension>) -> String {
    match msg {
        Message::KeepAlive => {
            "keep-alive (BEP 3: an empty frame, so the connection is not dropped as silent)".into()
        }
        Message::Choke => "choke (BEP 3: the sender will not answer requests now)".into(),
        Message::Unchoke => "unchoke (BEP 3: the sender will answer requests now)".into(),
        Message::Interested => {
            "interested (BEP 3: the sender wants pieces the receiver has)".into()
        }
        Message::NotInterested => {
            "not interested (BEP 3: the sender wants nothing the receiver has)".into()
        }
        Message::Have(index) => {
            format!("have index={index} (BEP 3: the sender has verified this piece)")
        }
        Message::Bitfield(bytes) => bitfield(bytes, num_pieces),
        Message::Request {
            index,
            begin,
            length,
        } => format!(
            "request index={index} begin={begin} length={length} (BEP 3: ask for one block)"
        ),
        Message::Piece { index, begin, data } => piece(*index, *begin, data.len()),
        Message::Cancel {
            index,
            begin,
            length,
        } => format!(
            "cancel index={index} begin={begin} length={length} (BEP 3: withdraw a request)"
        ),
        Message::Port(port) => {
            format!("port {port} (BEP 5: the sender's DHT node listens on this UDP port)")
        }
        Message::Fast(fast) => fast_message(fast),
        Message::Extended { id, payload } if *id == HANDSHAKE_ID => ext_handshake(payload),
        Message::Extended { id, payload } => match ext {
            Some(Extension::UtMetadata) => ut_metadata(*id, payload),
            Some(Extension::UtPex) => ut_pex(*id, payload),
            None => format!(
                "extended id={id} [{} bytes] (BEP 10: an extension message the receiver did not offer; skipped)",
                payload.len()
            ),
        },
        Message::Unknown { id } => {
            format!("unknown id={id} (a message id bitsy does not speak; skipped)")
        }
    }
}

/// A `piece` header: where the block goes and how long it is.
pub fn piece(index: u32, begin: u32, len: usize) -> String {
    format!("piece index={index} begin={begin} [{len} bytes] (BEP 3: one block of data)")
}

fn bitfield(bytes: &[u8], num_pieces: Option<u32>) -> String {
    let set: u32 = bytes.iter().map(|b| b.count_ones()).sum();
    let of = match num_pieces {
        Some(n) => n.to_string(),
        None => format!("at most {}", bytes.len().saturating_mul(8)),
    };
    format!(
        "bitfield {set} of {of} pieces [{} bytes] (BEP 3: one bit per piece, set for each the sender has)",
        bytes.len()
    )
}

fn fast_message(m: &FastMessage) -> String {
    match m {
        FastMessage::SuggestPiece(index) => format!(
            "suggest piece index={index} (BEP 6: the sender would find this piece cheap to serve)"
        ),
        FastMessage::HaveAll => {
            "have all (BEP 6: the sender has every piece; replaces a bitfield)".into()
        }
        FastMessage::HaveNone => {
            "have none (BEP 6: the sender has no piece; replaces a bitfield)".into()
        }
        FastMessage::RejectRequest {
            index,
            begin,
            length,
        } => format!(
            "reject request index={index} begin={begin} length={length} (BEP 6: this request will not be answered)"
        ),
        FastMessage::AllowedFast(index) => format!(
            "allowed fast index={index} (BEP 6: the receiver may request this piece even while choked)"
        ),
    }
}

fn ext_handshake(payload: &[u8]) -> String {
    const MEANS: &str = "(BEP 10: the extensions the sender speaks, and the ids to send them with)";
    let h = match ExtHandshake::parse(payload) {
        Ok(h) => h,
        Err(e) => return format!("extended handshake, malformed: {e} {MEANS}"),
    };
    let mut s = String::from("extended handshake m={");
    for (i, (ext, id)) in h.m.iter().enumerate() {
        let sep = if i == 0 { "" } else { ", " };
        let _ = write!(s, "{sep}{}: {id}", ext.name());
    }
    s.push('}');
    if let Some(v) = &h.client {
        let _ = write!(s, " v=\"{}\"", printable(v.as_str()));
    }
    if let Some(p) = h.listen_port {
        let _ = write!(s, " p={p}");
    }
    if let Some(n) = h.reqq {
        let _ = write!(s, " reqq={n}");
    }
    if let Some(n) = h.metadata_size {
        let _ = write!(s, " metadata_size={n}");
    }
    if let Some(ip) = h.yourip {
        let _ = write!(s, " yourip={ip}");
    }
    let _ = write!(s, " {MEANS}");
    s
}

fn ut_metadata(id: u8, payload: &[u8]) -> String {
    match MetadataMsg::parse(payload) {
        Ok(MetadataMsg::Request { piece }) => format!(
            "ut_metadata request piece={piece} (BEP 9: ask for one 16 KiB piece of the info dictionary)"
        ),
        Ok(MetadataMsg::Data {
            piece,
            total_size,
            data,
        }) => format!(
            "ut_metadata data piece={piece} total_size={total_size} [{} bytes] (BEP 9: one piece of the info dictionary)",
            data.len()
        ),
        Ok(MetadataMsg::Reject { piece }) => {
            format!("ut_metadata reject piece={piece} (BEP 9: the sender will not send this piece)")
        }
        Ok(MetadataMsg::Unknown { msg_type }) => format!(
            "ut_metadata msg_type={msg_type} (BEP 9: a message type bitsy does not know; ignored)"
        ),
        Err(e) => format!("ut_metadata (extended id {id}), malformed: {e} (BEP 9)"),
    }
}

fn ut_pex(id: u8, payload: &[u8]) -> String {
    let m = match PexMessage::decode(payload) {
        Ok(m) => m,
        Err(e) => return format!("ut_pex (extended id {id}), malformed: {e} (BEP 11)"),
    };
    let mut s = format!("ut_pex added={} dropped={}", m.added.len(), m.dropped.len());
    let shown: Vec<String> = m
        .added
        .iter()
        .take(PEX_SHOWN)
        .map(|(addr, flags)| match flags.contains(PexFlags::SEED) {
            true => format!("{addr} (seed)"),
            false => addr.to_string(),
        })
        .collect();
    if !shown.is_empty() {
        let more = m.added.len() - shown.len();
        let _ = write!(s, " [{}", shown.join(", "));
        if more > 0 {
            let _ = write!(s, ", {more} more");
        }
        s.push(']');
    }
    s.push_str(" (BEP 11: peers the sender connected to or dropped since its last ut_pex)");
    s
}

#[cfg(test)]
mod tests;
