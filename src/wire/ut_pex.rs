//! The peer exchange message (BEP 11, extension `ut_pex`): the addresses
//! of peers the sender connected to, and of those it lost, since its last
//! one.
//!
//! ```text
//!  <len: u32 BE> <20: extended> <ut_pex id: u8> <bencoded dictionary>
//!
//!  key       value (a byte string)                  one entry
//!  added     IPv4 contacts, compact                 <ip: 4><port: u16 BE>   6 bytes
//!  added.f   flags, one byte per `added` entry      <flags: u8>             1 byte
//!  added6    IPv6 contacts, compact                 <ip: 16><port: u16 BE> 18 bytes
//!  added6.f  flags, one byte per `added6` entry     <flags: u8>             1 byte
//!  dropped   IPv4 contacts, compact                 as `added`
//!  dropped6  IPv6 contacts, compact                 as `added6`
//! ```
//!
//! Every key is optional. [`PexMessage::decode`] refuses the whole message
//! (and the caller drops the peer) when it is longer than [`MAX_LEN`], not
//! a bounded bencoded dictionary, when one of these keys holds something
//! other than a byte string, when a contact list's length is not a whole
//! number of entries, or when a list holds more than [`MAX_ENTRIES`]
//! (BEP 11 peers send at most 50; twice that is a flood, not a client).
//! It tolerates a flags string shorter than its list (missing flags are
//! 0) or longer (the rest is ignored), unknown keys, and single entries
//! nobody can connect to (port 0, an unspecified, broadcast or multicast
//! IP): those are skipped. An IPv4-mapped IPv6 address becomes IPv4.
//!
//! [`PexMessage::encode`] writes the six keys in sorted order (BEP 3),
//! IPv4 and IPv6 entries in their own lists. It does not bound what it
//! is given: the session sends at most [`SEND_MAX`] of each.
//!
//! What it deliberately does not do: decide when a message may be sent
//! or received (`peer::connection::pex`), or what an address is worth
//! (`session::pex`).

use crate::bencode::{self, BencodeError, Encoder, Limits, Value};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// One compact IPv4 contact: 4 bytes of address, 2 of port.
pub const V4_ENTRY: usize = 4 + 2;
/// One compact IPv6 contact: 16 bytes of address, 2 of port.
pub const V6_ENTRY: usize = 16 + 2;

/// Most entries accepted in one list (`added`, `added6`, `dropped`,
/// `dropped6`): twice BEP 11's 50, so a client that rounds generously
/// is not punished, while a flood is refused before it is looked at.
pub const MAX_ENTRIES: usize = 100;

/// Most entries bitsy puts in its own `added`, and in its `dropped`, per
/// message (both families together), as BEP 11 asks.
pub const SEND_MAX: usize = 50;

/// Longest message accepted: every list full at [`MAX_ENTRIES`] with its
/// flags is 5,000 bytes, plus keys; anything longer is not a PEX message.
pub const MAX_LEN: usize = 6 * 1024;

/// The flags byte of an added peer (BEP 11). Unknown bits are kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct PexFlags(pub u8);

impl PexFlags {
    /// 0x01: prefers encryption (its extended handshake's `e`).
    pub const ENCRYPTION: PexFlags = PexFlags(0x01);
    /// 0x02: a seed, or upload only.
    pub const SEED: PexFlags = PexFlags(0x02);
    /// 0x04: supports uTP.
    pub const UTP: PexFlags = PexFlags(0x04);
    /// 0x08: supports `ut_holepunch`.
    pub const HOLEPUNCH: PexFlags = PexFlags(0x08);
    /// 0x10: the sender connected to it (so it is reachable).
    pub const REACHABLE: PexFlags = PexFlags(0x10);

    /// True if every bit of `other` is set.
    pub fn contains(self, other: PexFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for PexFlags {
    type Output = PexFlags;
    fn bitor(self, other: PexFlags) -> PexFlags {
        PexFlags(self.0 | other.0)
    }
}

/// The checked contents of one `ut_pex` message, both families together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PexMessage {
    /// Peers the sender connected to, with their flags.
    pub added: Vec<(SocketAddr, PexFlags)>,
    /// Peers the sender lost.
    pub dropped: Vec<SocketAddr>,
}

/// Why a `ut_pex` message was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PexError {
    /// Longer than [`MAX_LEN`].
    TooLong { len: usize },
    /// Not valid bencode, or beyond `Limits::PEER_MESSAGE`.
    Bencode(BencodeError),
    /// Valid bencode, but not a dictionary.
    NotDict,
    /// `key` holds something other than a byte string.
    NotBytes { key: &'static str },
    /// `key`'s length is not a whole number of `entry`-byte contacts.
    BadLength {
        key: &'static str,
        len: usize,
        entry: usize,
    },
    /// `key` holds more than [`MAX_ENTRIES`] contacts.
    TooMany { key: &'static str, count: usize },
}

impl fmt::Display for PexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PexError::TooLong { len } => {
                write!(f, "ut_pex message of {len} bytes, limit {MAX_LEN}")
            }
            PexError::Bencode(e) => write!(f, "ut_pex: {e}"),
            PexError::NotDict => write!(f, "ut_pex message is not a dictionary"),
            PexError::NotBytes { key } => write!(f, "ut_pex {key} is not a byte string"),
            PexError::BadLength { key, len, entry } => {
                write!(f, "ut_pex {key} of {len} bytes, not a multiple of {entry}")
            }
            PexError::TooMany { key, count } => {
                write!(f, "ut_pex {key} lists {count} peers, limit {MAX_ENTRIES}")
            }
        }
    }
}

impl std::error::Error for PexError {}

/// The contact lists: key, entry size, and the flags key that goes with it.
const ADDED: (&str, usize, Option<&str>) = ("added", V4_ENTRY, Some("added.f"));
const ADDED6: (&str, usize, Option<&str>) = ("added6", V6_ENTRY, Some("added6.f"));
const DROPPED: (&str, usize, Option<&str>) = ("dropped", V4_ENTRY, None);
const DROPPED6: (&str, usize, Option<&str>) = ("dropped6", V6_ENTRY, None);

impl PexMessage {
    /// Checks a received payload (after the extended id).
    pub fn decode(payload: &[u8]) -> Result<PexMessage, PexError> {
        if payload.len() > MAX_LEN {
            return Err(PexError::TooLong { len: payload.len() });
        }
        let root = bencode::decode(payload, Limits::PEER_MESSAGE).map_err(PexError::Bencode)?;
        if root.as_dict().is_none() {
            return Err(PexError::NotDict);
        }
        let mut msg = PexMessage::default();
        for list in [ADDED, ADDED6] {
            let flags = match list.2 {
                Some(key) => bytes_of(&root, key)?,
                None => &[],
            };
            for (i, addr) in contacts(&root, list)?.enumerate() {
                let f = flags.get(i).copied().unwrap_or(0);
                if let Some(addr) = addr {
                    msg.added.push((addr, PexFlags(f)));
                }
            }
        }
        for list in [DROPPED, DROPPED6] {
            msg.dropped.extend(contacts(&root, list)?.flatten());
        }
        Ok(msg)
    }

    /// The bencoded dictionary: all six keys, sorted, each family in its
    /// own list (IPv4-mapped IPv6 addresses as IPv4).
    pub fn encode(&self) -> Vec<u8> {
        let (mut a4, mut f4, mut a6, mut f6) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (addr, flags) in &self.added {
            if compact_into(addr, &mut a4, &mut a6) {
                f4.push(flags.0);
            } else {
                f6.push(flags.0);
            }
        }
        let (mut d4, mut d6) = (Vec::new(), Vec::new());
        for addr in &self.dropped {
            compact_into(addr, &mut d4, &mut d6);
        }
        let mut e = Encoder::new();
        e.dict();
        e.str("added").bytes(&a4).str("added.f").bytes(&f4);
        e.str("added6").bytes(&a6).str("added6.f").bytes(&f6);
        e.str("dropped").bytes(&d4).str("dropped6").bytes(&d6);
        e.end();
        e.finish()
    }
}

/// Appends `addr` in compact form to `v4` or `v6`; true if it went to `v4`.
fn compact_into(addr: &SocketAddr, v4: &mut Vec<u8>, v6: &mut Vec<u8>) -> bool {
    let port = addr.port().to_be_bytes();
    match addr.ip().to_canonical() {
        IpAddr::V4(ip) => {
            v4.extend_from_slice(&ip.octets());
            v4.extend_from_slice(&port);
            true
        }
        IpAddr::V6(ip) => {
            v6.extend_from_slice(&ip.octets());
            v6.extend_from_slice(&port);
            false
        }
    }
}

/// The byte string under `key`; empty when absent.
fn bytes_of<'a>(root: &Value<'a>, key: &'static str) -> Result<&'a [u8], PexError> {
    match root.get(key.as_bytes()) {
        None => Ok(&[]),
        Some(v) => v.as_bytes().ok_or(PexError::NotBytes { key }),
    }
}

/// The contacts of one list, in order; `None` for an entry nobody can
/// connect to (kept in place so flags still line up).
fn contacts<'a>(
    root: &Value<'a>,
    (key, entry, _): (&'static str, usize, Option<&str>),
) -> Result<impl Iterator<Item = Option<SocketAddr>> + 'a, PexError> {
    let bytes = bytes_of(root, key)?;
    if bytes.len() % entry != 0 {
        return Err(PexError::BadLength {
            key,
            len: bytes.len(),
            entry,
        });
    }
    let count = bytes.len() / entry;
    if count > MAX_ENTRIES {
        return Err(PexError::TooMany { key, count });
    }
    Ok(bytes.chunks_exact(entry).map(contact))
}

/// One compact entry (`chunks_exact` gives 6 or 18 bytes), if usable.
fn contact(entry: &[u8]) -> Option<SocketAddr> {
    let (ip, port) = entry.split_at(entry.len().checked_sub(2)?);
    let port = u16::from_be_bytes(<[u8; 2]>::try_from(port).ok()?);
    let ip = if let Ok(v4) = <[u8; 4]>::try_from(ip) {
        IpAddr::V4(Ipv4Addr::from(v4))
    } else {
        IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(ip).ok()?)).to_canonical()
    };
    let unusable = port == 0
        || ip.is_unspecified()
        || ip.is_multicast()
        || matches!(ip, IpAddr::V4(v4) if v4.is_broadcast());
    (!unusable).then_some(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests;
