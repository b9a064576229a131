//! The resume file's bytes: one bencoded dictionary, written by bitsy and
//! read back as untrusted input.
//!
//! ```text
//! d
//!   5:files        l                      one entry per file of the torrent,
//!                    l i<size>e i<secs>e i<nanos>e e   on disk: size, mtime
//!                    le                                not on disk (or pad)
//!                  e
//!   9:info hash    20:<infohash>          the torrent's SHA-1 of its info
//!   12:piece length i<bytes>e             the nominal piece length
//!   6:pieces       i<count>e              the number of pieces
//!   8:verified     <ceil(count/8) bytes>  durable verified pieces, BEP 3
//!                                         bitfield order, spare bits zero
//!   7:version      i1e                    [`VERSION`] of this layout
//! e
//! ```
//! Keys are written in sorted order, as BEP 3 asks.
//!
//! [`parse`] checks everything against the torrent it is asked about and
//! returns `None` for anything it does not expect: another version,
//! another torrent, another piece count or length, another file count, a
//! bitfield of the wrong length or with spare bits set, a negative size,
//! nanoseconds past a second, trailing bytes, or bencode it cannot read
//! within its bounds. A resume file is an optimisation: "no state" costs a
//! full check, never an error.
//!
//! This module does not read or write files (see `resume.rs`).

use crate::bencode::{self, Encoder, Limits, Value};
use crate::geometry::Geometry;
use crate::ids::InfoHash;
use crate::wire::bitfield::Bitfield;

/// The layout version written, and the only one read.
pub const VERSION: i64 = 1;

/// Nanoseconds in a second: a file time's nanoseconds are below this.
const NANOS_PER_SEC: i64 = 1_000_000_000;

/// A file's size and modification time on disk, as `stat` gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub size: u64,
    /// Seconds since the Unix epoch (negative before it).
    pub secs: i64,
    /// Below [`NANOS_PER_SEC`].
    pub nanos: u32,
}

/// What a resume file says about one torrent.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub info_hash: InfoHash,
    /// Pieces whose bytes were durably on disk when it was written.
    pub verified: Bitfield,
    /// One per file of the torrent (pad files included, as `None`).
    pub files: Vec<Option<Stamp>>,
}

/// The bytes of `state` for a torrent of geometry `g`.
pub fn encode(state: &State, g: Geometry) -> Vec<u8> {
    let mut e = Encoder::new();
    e.dict();
    e.str("files").list();
    for f in &state.files {
        e.list();
        if let Some(s) = f {
            // A size past i64 cannot occur (file systems stop at 2^63).
            let size = i64::try_from(s.size).unwrap_or(i64::MAX);
            e.int(size).int(s.secs).int(i64::from(s.nanos));
        }
        e.end();
    }
    e.end();
    e.str("info hash").bytes(&state.info_hash);
    e.str("piece length")
        .int(i64::try_from(g.nominal_piece_len()).unwrap_or(i64::MAX));
    e.str("pieces").int(i64::from(g.num_pieces()));
    e.str("verified").bytes(state.verified.as_bytes());
    e.str("version").int(VERSION);
    e.end();
    e.finish()
}

/// The state in `bytes` if it is a resume file for the torrent with
/// `info_hash`, geometry `g` and `num_files` files; `None` otherwise.
pub fn parse(bytes: &[u8], info_hash: &InfoHash, g: Geometry, num_files: usize) -> Option<State> {
    // Depth: the dictionary, the file list, one file. Tokens: 4 per file
    // and a few for the rest.
    let limits = Limits {
        max_depth: 3,
        max_tokens: num_files.checked_mul(4)?.checked_add(32)?,
    };
    let top = bencode::decode(bytes, limits).ok()?;
    let int = |key: &[u8]| top.get(key).and_then(Value::as_int);
    if int(b"version")? != VERSION
        || top.get(b"info hash")?.as_bytes()? != info_hash.as_slice()
        || int(b"pieces")? != i64::from(g.num_pieces())
        || u64::try_from(int(b"piece length")?).ok()? != g.nominal_piece_len()
    {
        return None;
    }
    let raw = top.get(b"verified")?.as_bytes()?;
    let verified = Bitfield::from_payload(raw, g.num_pieces()).ok()?;
    let list = top.get(b"files")?.as_list()?;
    if list.len() != num_files {
        return None;
    }
    let files = list.iter().map(stamp).collect::<Option<Vec<_>>>()?;
    Some(State {
        info_hash: *info_hash,
        verified,
        files,
    })
}

/// One file's entry: `Some(None)` for `le`, `Some(Some(..))` for a valid
/// stamp, `None` for anything else.
fn stamp(v: &Value<'_>) -> Option<Option<Stamp>> {
    match v.as_list()? {
        [] => Some(None),
        [size, secs, nanos] => {
            let nanos = nanos.as_int().filter(|n| (0..NANOS_PER_SEC).contains(n))?;
            Some(Some(Stamp {
                size: u64::try_from(size.as_int()?).ok()?,
                secs: secs.as_int()?,
                nanos: u32::try_from(nanos).ok()?,
            }))
        }
        _ => None,
    }
}

#[cfg(test)]
#[path = "format_tests.rs"]
mod tests;
