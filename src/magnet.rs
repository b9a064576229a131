//! Magnet links (BEP 9): a torrent named by its infohash alone. Read
//! here ([`Magnet::parse`]) and written here ([`Metainfo::magnet_link`]).
//!
//! ```text
//!  magnet:?xt=urn:btih:<40 hex | 32 base32>   the infohash (required)
//!         &dn=<display name>                  a name to show until the metadata comes
//!         &tr=<tracker URL>                   any number, each its own tier (BEP 12)
//!         &x.pe=<host:port | [v6]:port>       peers to try first (BEP 9)
//!         &ws=<web seed URL>                  web seeds (BEP 19; used by a later issue)
//! ```
//!
//! Every value is percent-encoded. A link is untrusted text from a web
//! page or a chat message, so [`Magnet::parse`] reads it once, with
//! bounds, into checked types; nothing after it looks at the text.
//!
//! Invariants: a parsed `Magnet` has exactly one v1 infohash; every
//! list holds at most [`MAX_VALUES`] entries; `dn` is valid UTF-8 (bytes
//! that are not become U+FFFD), and `x.pe` entries have a nonzero port.
//!
//! What it deliberately does not do: resolve host names in `x.pe` (the
//! caller does, when it connects), check tracker URLs (the tracker module
//! decides which schemes it speaks), or fetch anything. A v2-only link
//! (`xt=urn:btmh:` and no `btih`) is refused: bitsy speaks BitTorrent v1.
//! A hybrid link carrying both is read for its `btih`.

use crate::ids::InfoHash;
use crate::metainfo::{Metainfo, printable, to_hex};
use std::fmt;

/// The longest link read. Real links are a few hundred bytes; one with
/// a hundred trackers is a few KiB.
pub const MAX_LINK_LEN: usize = 64 * 1024;

/// The most values kept for each of `tr`, `x.pe` and `ws`; more is an
/// error, not a silent cut, so the user knows the link is odd.
pub const MAX_VALUES: usize = 200;

const SCHEME: &str = "magnet:?";
const BTIH: &str = "urn:btih:";
const BTMH: &str = "urn:btmh:";

/// A magnet link, read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Magnet {
    pub info_hash: InfoHash,
    /// `dn`: a name for display only; the real one comes with the metadata.
    pub name: Option<String>,
    /// `tr`: tracker URLs, in link order, duplicates removed.
    pub trackers: Vec<String>,
    /// `x.pe`: peer addresses as `host:port` (host names not resolved).
    pub peers: Vec<PeerAddr>,
    /// `ws`: web seed URLs.
    pub web_seeds: Vec<String>,
}

/// One `x.pe` value: a host (IP literal or name) and a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerAddr {
    pub host: String,
    pub port: u16,
}

/// Why a link was refused. Each says what is wrong in plain words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MagnetError {
    NotMagnet,
    TooLong,
    NoTopic,
    /// Only `urn:btmh:` (BitTorrent v2) topics.
    V2Only,
    /// Two `btih` topics that name different torrents.
    TwoTopics,
    BadHash(String),
    BadEscape(String),
    BadPeer(String),
    TooMany(&'static str),
}

impl fmt::Display for MagnetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MagnetError::NotMagnet => write!(f, "a magnet link starts with `magnet:?`"),
            MagnetError::TooLong => write!(f, "the link is over {MAX_LINK_LEN} bytes"),
            MagnetError::NoTopic => write!(f, "the link has no `xt=urn:btih:` infohash"),
            MagnetError::V2Only => write!(
                f,
                "the link names a BitTorrent v2 torrent only (`urn:btmh:`); \
                 bitsy speaks v1 and needs an `xt=urn:btih:` infohash"
            ),
            MagnetError::TwoTopics => {
                write!(f, "the link has two different `urn:btih:` infohashes")
            }
            MagnetError::BadHash(h) => write!(
                f,
                "`{h}` is not an infohash (40 hex digits or 32 base32 letters)"
            ),
            MagnetError::BadEscape(v) => write!(f, "`{v}` has a bad %-escape"),
            MagnetError::BadPeer(v) => write!(
                f,
                "`x.pe={v}` is not a peer address (host:port or [IPv6]:port)"
            ),
            MagnetError::TooMany(key) => {
                write!(f, "the link has more than {MAX_VALUES} `{key}` values")
            }
        }
    }
}

impl std::error::Error for MagnetError {}

impl Magnet {
    /// True if `arg` looks like a magnet link (any case of the scheme), so
    /// the command line can tell it from a file name.
    pub fn is_link(arg: &str) -> bool {
        arg.get(..SCHEME.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(SCHEME))
    }

    /// Reads a link. Unknown keys (`xl`, `so`, `kt`, ...) are ignored, as
    /// BEP 9 expects of keys a client does not use.
    pub fn parse(link: &str) -> Result<Magnet, MagnetError> {
        if link.len() > MAX_LINK_LEN {
            return Err(MagnetError::TooLong);
        }
        if !Self::is_link(link) {
            return Err(MagnetError::NotMagnet);
        }
        let mut info_hash = None;
        let mut saw_v2 = false;
        let mut magnet = Magnet {
            info_hash: [0; 20],
            name: None,
            trackers: Vec::new(),
            peers: Vec::new(),
            web_seeds: Vec::new(),
        };
        for pair in link[SCHEME.len()..].split('&').filter(|p| !p.is_empty()) {
            let (key, raw) = pair.split_once('=').unwrap_or((pair, ""));
            // `xt.1`, `tr.2`: numbered forms of the same keys.
            let key = key.split_once('.').map_or(key, |(k, n)| {
                if n.bytes().all(|b| b.is_ascii_digit()) {
                    k
                } else {
                    key
                }
            });
            match key {
                "xt" => {
                    let topic = decode(raw, false)?;
                    if let Some(hash) = strip_prefix_ci(&topic, BTIH) {
                        let hash = parse_hash(hash)?;
                        if info_hash.is_some_and(|h| h != hash) {
                            return Err(MagnetError::TwoTopics);
                        }
                        info_hash = Some(hash);
                    } else if strip_prefix_ci(&topic, BTMH).is_some() {
                        saw_v2 = true;
                    }
                }
                "dn" => magnet.name = Some(decode(raw, true)?),
                "tr" => push(&mut magnet.trackers, decode(raw, false)?, "tr")?,
                "ws" => push(&mut magnet.web_seeds, decode(raw, false)?, "ws")?,
                "x.pe" => {
                    let peer = parse_peer(&decode(raw, false)?)?;
                    if magnet.peers.len() >= MAX_VALUES {
                        return Err(MagnetError::TooMany("x.pe"));
                    }
                    if !magnet.peers.contains(&peer) {
                        magnet.peers.push(peer);
                    }
                }
                _ => {}
            }
        }
        magnet.info_hash = match (info_hash, saw_v2) {
            (Some(h), _) => h,
            (None, true) => return Err(MagnetError::V2Only),
            (None, false) => return Err(MagnetError::NoTopic),
        };
        Ok(magnet)
    }

    /// The announce tiers the link gives: one tier per `tr`, in order
    /// (BEP 12 tries tiers in turn; a magnet has no grouping to keep).
    pub fn tiers(&self) -> Vec<Vec<String>> {
        self.trackers.iter().map(|t| vec![t.clone()]).collect()
    }

    /// What `bitsy info` prints for a link, offline.
    pub fn report(&self) -> String {
        let mut out = format!(
            "name:       {}\ninfohash:   {}\n",
            self.name
                .as_deref()
                .map_or("(not in the link)".into(), printable),
            to_hex(&self.info_hash)
        );
        out.push_str(
            "metadata:   not in the link; `bitsy download` fetches it from peers (BEP 9)\n",
        );
        let list = |out: &mut String, title: &str, items: Vec<String>| {
            if items.is_empty() {
                out.push_str(&format!("{title:<11} none\n"));
            } else {
                out.push_str(&format!("{title}\n"));
                for item in items {
                    out.push_str(&format!("  {}\n", printable(&item)));
                }
            }
        };
        list(&mut out, "trackers:", self.trackers.clone());
        let peers = self.peers.iter().map(PeerAddr::to_string).collect();
        list(&mut out, "peers:", peers);
        list(&mut out, "web seeds:", self.web_seeds.clone());
        out
    }
}

impl fmt::Display for PeerAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

impl Metainfo {
    /// A BEP 9 magnet link: infohash, name and every tracker.
    pub fn magnet_link(&self) -> String {
        let mut link = format!(
            "magnet:?xt=urn:btih:{}&dn={}",
            to_hex(&self.info_hash),
            percent_encode(&self.name)
        );
        for url in self.trackers.iter().flatten() {
            link.push_str("&tr=");
            link.push_str(&percent_encode(url));
        }
        link
    }
}

/// RFC 3986 percent-encoding: everything but unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Adds `value` unless it is already there, within [`MAX_VALUES`].
fn push(list: &mut Vec<String>, value: String, key: &'static str) -> Result<(), MagnetError> {
    if list.contains(&value) {
        return Ok(());
    }
    if list.len() >= MAX_VALUES {
        return Err(MagnetError::TooMany(key));
    }
    list.push(value);
    Ok(())
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// RFC 3986 %-decoding; `+` is a space only in `dn` (form encoding, as
/// web pages write names), never in a URL, where it is a real `+`.
fn decode(raw: &str, plus_is_space: bool) -> Result<String, MagnetError> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3);
                let value = hex
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| MagnetError::BadEscape(shorten(raw)))?;
                out.push(value);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// 40 hex digits or 32 base32 letters (RFC 4648, any case) to 20 bytes.
fn parse_hash(text: &str) -> Result<InfoHash, MagnetError> {
    let bad = || MagnetError::BadHash(shorten(text));
    let mut hash = [0u8; 20];
    match text.len() {
        40 => {
            for (i, byte) in hash.iter_mut().enumerate() {
                let pair = text.get(2 * i..2 * i + 2).ok_or_else(bad)?;
                *byte = u8::from_str_radix(pair, 16).map_err(|_| bad())?;
            }
        }
        32 => {
            // 32 letters x 5 bits = 160 bits, taken 8 at a time.
            let mut bits: u64 = 0;
            let mut nbits = 0;
            let mut out = 0;
            for c in text.bytes() {
                let v = match c.to_ascii_uppercase() {
                    c @ b'A'..=b'Z' => c - b'A',
                    c @ b'2'..=b'7' => c - b'2' + 26,
                    _ => return Err(bad()),
                };
                bits = (bits << 5) | u64::from(v);
                nbits += 5;
                if nbits >= 8 {
                    nbits -= 8;
                    hash[out] = (bits >> nbits) as u8;
                    out += 1;
                }
            }
        }
        _ => return Err(bad()),
    }
    Ok(hash)
}

/// `host:port`, `1.2.3.4:port` or `[v6]:port`, port 1..=65535.
fn parse_peer(text: &str) -> Result<PeerAddr, MagnetError> {
    let bad = || MagnetError::BadPeer(shorten(text));
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (host, port) = rest.split_once("]:").ok_or_else(bad)?;
        host.parse::<std::net::Ipv6Addr>().map_err(|_| bad())?;
        (host, port)
    } else {
        let (host, port) = text.rsplit_once(':').ok_or_else(bad)?;
        let name_ok = host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
        if host.is_empty() || host.len() > 253 || !name_ok {
            return Err(bad());
        }
        (host, port)
    };
    let port: u16 = port.parse().map_err(|_| bad())?;
    if port == 0 {
        return Err(bad());
    }
    Ok(PeerAddr {
        host: host.to_string(),
        port,
    })
}

/// Keeps error messages short when a hostile value is huge.
fn shorten(text: &str) -> String {
    crate::file_paths::shorten(text)
}

#[cfg(test)]
mod tests;
