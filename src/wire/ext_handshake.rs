//! The extended handshake (BEP 10, extended id 0): a bencoded dictionary
//! each side sends right after the BEP 3 handshake, and may send again.
//!
//! ```text
//!  key            value                          bitsy sends   bitsy keeps
//!  m              dict: name -> id (0 = off)     ADVERTISED    names it knows, ids 0..=255
//!  metadata_size  int: bytes of the info dict    if it has it  1..=MAX_METADATA_SIZE
//!  p              int: TCP listen port           always        1..=65535
//!  reqq           int: requests it queues        MAX_UPLOAD_Q  clamped to 1..=MAX_REQQ
//!  v              string: client name, UTF-8     "bitsy x.y.z" first MAX_CLIENT_NAME bytes
//!  yourip         string: receiver's IP, 4|16 B  always        4 or 16 bytes
//! ```
//!
//! Every key is optional (BEP 10). [`ExtHandshake::parse`] refuses the
//! whole message, which drops the peer, only when it is not a bencoded
//! dictionary within [`MAX_LEN`] and `Limits::PEER_MESSAGE`. A value of
//! the wrong type or out of range is dropped alone and named in
//! [`ExtHandshake::ignored`]: the peer keeps its connection, minus that
//! field (a `metadata_size` over the limit refuses its metadata offer).
//! Unknown keys and unknown names in `m` are skipped, as BEP 10 asks.
//!
//! [`ExtHandshake::encode`] writes keys in sorted order (BEP 3). This
//! module does not decide what to do with the fields; `peer` does.

use crate::bencode::{self, BencodeError, Encoder, Limits, Value};
use crate::metainfo::MAX_TORRENT_FILE_LEN;
use crate::wire::extended::Extension;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Longest extended handshake accepted. Real ones are a few hundred bytes
/// (libtorrent's, with a dozen extensions, is under 400).
pub const MAX_LEN: usize = 16 * 1024;

/// Largest `reqq` kept: more than any real client queues (libtorrent says
/// 250 or 500), and equal to the queue we allow peers ourselves.
pub const MAX_REQQ: u16 = 2048;

/// Longest client name kept, in bytes ("qBittorrent/4.6.7" is 17).
pub const MAX_CLIENT_NAME: usize = 64;

/// Largest `metadata_size` believed: the info dictionary is part of a
/// .torrent file, which bitsy refuses above 10 MiB.
pub const MAX_METADATA_SIZE: u32 = MAX_TORRENT_FILE_LEN as u32;

/// The checked contents of one extended handshake.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtHandshake {
    /// `m`: the extensions listed, with the id to send each under; 0
    /// turns one off. Only names bitsy knows; sorted by name.
    pub m: Vec<(Extension, u8)>,
    /// `v`: the sender's client name and version.
    pub client: Option<ClientName>,
    /// `p`: the port the sender listens on (0 is treated as absent).
    pub listen_port: Option<u16>,
    /// `reqq`: how many requests the sender queues without dropping any.
    pub reqq: Option<u16>,
    /// `yourip`: the receiver's address, as the sender sees it.
    pub yourip: Option<IpAddr>,
    /// `metadata_size`: the length of the raw info dictionary.
    pub metadata_size: Option<u32>,
    /// Keys present with an unusable value, dropped (parsing only).
    pub ignored: Vec<&'static str>,
}

/// Why an extended handshake was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExtHandshakeError {
    /// Longer than [`MAX_LEN`].
    TooLong { len: usize },
    /// Not valid bencode, or beyond `Limits::PEER_MESSAGE`.
    Bencode(BencodeError),
    /// Valid bencode, but not a dictionary.
    NotDict,
}

impl fmt::Display for ExtHandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExtHandshakeError::TooLong { len } => {
                write!(f, "extended handshake of {len} bytes, limit {MAX_LEN}")
            }
            ExtHandshakeError::Bencode(e) => write!(f, "extended handshake: {e}"),
            ExtHandshakeError::NotDict => write!(f, "extended handshake is not a dictionary"),
        }
    }
}

impl std::error::Error for ExtHandshakeError {}

/// A client name from a peer: at most [`MAX_CLIENT_NAME`] bytes, invalid
/// UTF-8 replaced; control characters escaped when shown, so a name
/// cannot move the cursor or clear the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientName(String);

impl ClientName {
    /// Bounds and decodes `raw`.
    pub fn new(raw: &[u8]) -> ClientName {
        let kept = raw.get(..MAX_CLIENT_NAME).unwrap_or(raw);
        ClientName(String::from_utf8_lossy(kept).into_owned())
    }

    /// Ours: `"bitsy <version>"`.
    pub fn ours() -> ClientName {
        ClientName(concat!("bitsy ", env!("CARGO_PKG_VERSION")).to_owned())
    }

    /// The name as received (not escaped).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            if c.is_control() {
                write!(f, "{}", c.escape_default())?;
            } else {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

impl ExtHandshake {
    /// The bencoded dictionary, keys sorted, absent fields left out.
    pub fn encode(&self) -> Vec<u8> {
        let mut e = Encoder::new();
        e.dict().str("m").dict();
        let mut m = self.m.clone();
        m.sort_by_key(|(ext, _)| ext.name());
        for (ext, id) in m {
            e.str(ext.name()).int(i64::from(id));
        }
        e.end();
        if let Some(n) = self.metadata_size {
            e.str("metadata_size").int(i64::from(n));
        }
        if let Some(p) = self.listen_port {
            e.str("p").int(i64::from(p));
        }
        if let Some(n) = self.reqq {
            e.str("reqq").int(i64::from(n));
        }
        if let Some(v) = &self.client {
            e.str("v").str(v.as_str());
        }
        if let Some(ip) = self.yourip {
            // An IPv4 peer reached through an IPv6 socket is ::ffff:a.b.c.d;
            // it knows itself by the 4-byte form.
            match ip.to_canonical() {
                IpAddr::V4(v4) => e.str("yourip").bytes(&v4.octets()),
                IpAddr::V6(v6) => e.str("yourip").bytes(&v6.octets()),
            };
        }
        e.end();
        e.finish()
    }

    /// Checks a received handshake payload (after the extended id).
    pub fn parse(payload: &[u8]) -> Result<ExtHandshake, ExtHandshakeError> {
        if payload.len() > MAX_LEN {
            return Err(ExtHandshakeError::TooLong { len: payload.len() });
        }
        let root =
            bencode::decode(payload, Limits::PEER_MESSAGE).map_err(ExtHandshakeError::Bencode)?;
        let dict = root.as_dict().ok_or(ExtHandshakeError::NotDict)?;
        let mut h = ExtHandshake::default();
        for (key, value) in dict {
            let ok = match *key {
                b"m" => parse_m(value).map(|m| h.m = m),
                b"v" => value
                    .as_bytes()
                    .map(|v| h.client = Some(ClientName::new(v))),
                b"p" => int_in(value, 0..=u16::MAX.into())
                    .map(|p| h.listen_port = u16::try_from(p).ok().filter(|p| *p != 0)),
                b"reqq" => int_in(value, 1..=i64::MAX).map(|n| {
                    h.reqq = Some(u16::try_from(n).unwrap_or(MAX_REQQ).min(MAX_REQQ));
                }),
                b"yourip" => value
                    .as_bytes()
                    .and_then(ip_from)
                    .map(|ip| h.yourip = Some(ip)),
                b"metadata_size" => int_in(value, 1..=MAX_METADATA_SIZE.into())
                    .map(|n| h.metadata_size = u32::try_from(n).ok()),
                _ => continue,
            };
            if ok.is_none() {
                // `dict` keys are unique, so each name is pushed at most once.
                h.ignored.push(known_key(key));
            }
        }
        Ok(h)
    }
}

/// `m`'s entries for names we know; `None` if `m` is not a dictionary or
/// one of our names has an id outside 0..=255 (then the whole `m` is
/// dropped: the peer's ids cannot be trusted).
fn parse_m(value: &Value<'_>) -> Option<Vec<(Extension, u8)>> {
    let mut m = Vec::new();
    for (name, id) in value.as_dict()? {
        if let Some(ext) = Extension::from_name(name) {
            let id = int_in(id, 0..=u8::MAX.into())?;
            m.push((ext, u8::try_from(id).ok()?));
        }
    }
    m.sort_by_key(|(ext, _)| ext.name());
    Some(m)
}

fn int_in(value: &Value<'_>, range: std::ops::RangeInclusive<i64>) -> Option<i64> {
    value.as_int().filter(|n| range.contains(n))
}

fn ip_from(bytes: &[u8]) -> Option<IpAddr> {
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        Some(IpAddr::V4(Ipv4Addr::from(v4)))
    } else {
        <[u8; 16]>::try_from(bytes)
            .ok()
            .map(|v6| IpAddr::V6(Ipv6Addr::from(v6)))
    }
}

/// The static name of a key `parse` reads (for [`ExtHandshake::ignored`]).
fn known_key(key: &[u8]) -> &'static str {
    ["m", "v", "p", "reqq", "yourip", "metadata_size"]
        .into_iter()
        .find(|k| k.as_bytes() == key)
        .unwrap_or("?")
}

#[cfg(test)]
mod tests;
