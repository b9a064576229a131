//! The fields of a .torrent other than file paths, read from bitsy's
//! decoded [`Value`]: outside `info` the trackers (BEP 12), web seeds
//! (BEP 19), DHT nodes (BEP 5) and descriptive text; inside it the piece
//! length and hashes.
//!
//! Outside `info` nothing is worth refusing a torrent for: a field of the
//! wrong type is ignored, as other clients do. Text that is not UTF-8 is
//! shown with U+FFFD (as names are, see `file_paths`); a URL that is not
//! UTF-8 cannot be one and is dropped.

use super::MetainfoError;
use crate::bencode::Value;

// BEP 3, BEP 12, BEP 19 keys outside `info`.
const ANNOUNCE: &[u8] = b"announce";
const ANNOUNCE_LIST: &[u8] = b"announce-list";
const URL_LIST: &[u8] = b"url-list";
// BEP 5: `nodes`, `[["<host>", <port>], ...]`, for trackerless torrents.
const NODES: &[u8] = b"nodes";
const COMMENT: &[u8] = b"comment";
const CREATED_BY: &[u8] = b"created by";
const CREATION_DATE: &[u8] = b"creation date";
// BEP 3 and BEP 27 keys inside `info`.
const PIECE_LENGTH: &[u8] = b"piece length";
const PIECES: &[u8] = b"pieces";
const PRIVATE: &[u8] = b"private";

/// Most `nodes` entries kept (BEP 5 suggests the creator's K closest).
pub const MAX_NODES: usize = 32;

/// A SHA-1 piece hash: `pieces` is a concatenation of these.
const HASH_LEN: usize = 20;

/// The fields outside `info` (all empty for a bare info dictionary).
#[derive(Debug, Default)]
pub(super) struct Outside {
    pub trackers: Vec<Vec<String>>,
    pub web_seeds: Vec<String>,
    pub dht_nodes: Vec<String>,
    pub comment: Option<String>,
    pub created_by: Option<String>,
    pub creation_date: Option<i64>,
}

/// Reads the fields of the top-level dictionary.
pub(super) fn outside(root: &Value<'_>) -> Outside {
    let text = |key| {
        root.get(key)
            .and_then(Value::as_bytes)
            .map(|b| String::from_utf8_lossy(b).into_owned())
    };
    Outside {
        trackers: tiers(root),
        web_seeds: web_seeds(root),
        dht_nodes: dht_nodes(root),
        comment: text(COMMENT),
        created_by: text(CREATED_BY),
        creation_date: root.get(CREATION_DATE).and_then(Value::as_int),
    }
}

/// A URL: a non-empty UTF-8 string.
fn url(v: &Value<'_>) -> Option<String> {
    v.as_str().filter(|s| !s.is_empty()).map(str::to_owned)
}

/// BEP 12: `announce-list` if it names any tracker, else `announce`.
fn tiers(root: &Value<'_>) -> Vec<Vec<String>> {
    let tiers: Vec<Vec<String>> = root
        .get(ANNOUNCE_LIST)
        .and_then(Value::as_list)
        .unwrap_or_default()
        .iter()
        .map(|tier| {
            tier.as_list()
                .unwrap_or_default()
                .iter()
                .filter_map(url)
                .collect()
        })
        .filter(|tier: &Vec<String>| !tier.is_empty())
        .collect();
    if !tiers.is_empty() {
        return tiers;
    }
    root.get(ANNOUNCE)
        .and_then(url)
        .map(|u| vec![vec![u]])
        .unwrap_or_default()
}

/// BEP 19: `url-list` is one URL or a list of them.
fn web_seeds(root: &Value<'_>) -> Vec<String> {
    match root.get(URL_LIST) {
        Some(Value::List(list)) => list.iter().filter_map(url).collect(),
        Some(one) => url(one).into_iter().collect(),
        None => Vec::new(),
    }
}

/// BEP 5: `nodes` as `HOST:PORT` strings (`[HOST]:PORT` for an IPv6
/// literal); an entry that is not a UTF-8 host and a port 1-65535 is
/// skipped, and at most [`MAX_NODES`] are kept.
fn dht_nodes(root: &Value<'_>) -> Vec<String> {
    let node = |v: &Value<'_>| -> Option<String> {
        let pair = v.as_list()?;
        let (host, port) = (pair.first()?.as_str()?, pair.get(1)?.as_int()?);
        let port = u16::try_from(port).ok().filter(|p| *p != 0)?;
        let ok = !host.is_empty() && !host.contains(['/', ' ']);
        match host.contains(':') {
            _ if !ok => None,
            true => Some(format!("[{host}]:{port}")),
            false => Some(format!("{host}:{port}")),
        }
    };
    root.get(NODES)
        .and_then(Value::as_list)
        .unwrap_or_default()
        .iter()
        .filter_map(node)
        .take(MAX_NODES)
        .collect()
}

/// `piece length`: a positive integer (its range is `Geometry`'s to check).
pub(super) fn piece_length(info: &Value<'_>) -> Result<u64, MetainfoError> {
    let n = info
        .get(PIECE_LENGTH)
        .and_then(Value::as_int)
        .ok_or_else(|| {
            MetainfoError::Invalid("\"piece length\" is missing or not an integer".into())
        })?;
    u64::try_from(n).map_err(|_| MetainfoError::Invalid(format!("negative piece length {n}")))
}

/// `pieces`: the SHA-1 of every piece, 20 bytes each.
pub(super) fn piece_hashes(info: &Value<'_>) -> Result<Vec<[u8; HASH_LEN]>, MetainfoError> {
    let pieces = info
        .get(PIECES)
        .and_then(Value::as_bytes)
        .ok_or_else(|| MetainfoError::Invalid("\"pieces\" is missing or not a string".into()))?;
    if pieces.len() % HASH_LEN != 0 {
        return Err(MetainfoError::Invalid(format!(
            "\"pieces\" is {} bytes, not a multiple of {HASH_LEN}",
            pieces.len()
        )));
    }
    Ok(pieces
        .chunks_exact(HASH_LEN)
        .filter_map(|c| <[u8; HASH_LEN]>::try_from(c).ok())
        .collect())
}

/// BEP 27: `private` is 1 for a private torrent; anything else is public.
pub(super) fn private(info: &Value<'_>) -> bool {
    info.get(PRIVATE).and_then(Value::as_int) == Some(1)
}

/// A file length: a non-negative integer. `what` names the file.
pub(super) fn length(v: Option<&Value<'_>>, what: &str) -> Result<u64, MetainfoError> {
    let n = v
        .and_then(Value::as_int)
        .ok_or_else(|| MetainfoError::Invalid(format!("{what} has no \"length\" integer")))?;
    u64::try_from(n).map_err(|_| MetainfoError::Invalid(format!("{what} has negative length {n}")))
}
