//! Metainfo (BEP 3): a .torrent file, or a bare info dictionary, loaded
//! once into bitsy's own types.
//!
//! Both are untrusted input, and both entry points run the same checks:
//! [`Metainfo::from_bytes`] for a .torrent file, [`Metainfo::from_info_bytes`]
//! for the `info` dictionary alone (as BEP 9 `ut_metadata` delivers it
//! from peers). In order, and nothing past them sees unchecked data:
//! 1. size: at most [`MAX_TORRENT_FILE_LEN`] bytes;
//! 2. bitsy's bounded decoder (`bencode`, [`Limits::TORRENT`]): depth,
//!    token count, canonical integers, no duplicate keys. Keys need not be
//!    sorted. A .torrent file is read with `decode_prefix`, so bytes after
//!    its dictionary are ignored (as libtorrent does); a bare info
//!    dictionary must be exactly one value;
//! 3. the infohash: the SHA-1 of the raw `info` bytes exactly as they
//!    appear (never a re-encoding, which would change unsorted or unknown
//!    keys);
//! 4. the fields (`fields`, `files`): every one bitsy uses is read from the
//!    decoded value, lengths as `u64` on every target, so a 32-bit build
//!    loads a torrent over 4 GiB like a 64-bit one;
//! 5. a hybrid (v1+v2, BEP 52) torrent: its v1 `files` must match its
//!    v2 `file tree` (`files::check_hybrid`);
//! 6. paths (`paths`, `file_paths`): `name.utf-8` / `path.utf-8` preferred
//!    when present; honest mistakes fixed and recorded in
//!    [`Metainfo::path_fixes`], attacks (`..` out of the folder, absolute
//!    paths) refused; an empty name becomes the infohash in hex;
//! 7. `Geometry::new`: total length, piece length, hash count.
//!
//! Hybrid torrents (libtorrent 2.x's default) are read through their v1
//! view (`files` with pad files, `pieces`); `piece layers` are ignored.
//! v2-only torrents are refused with a message saying so. Symlink entries
//! (BEP 47 `attr` `l`) are treated as ordinary files.
//!
//! lava_torrent is not used here (only by `bitsy create`): it computes
//! lengths in `usize` and refuses unsorted keys and non-UTF-8 names.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::bencode::{self, BencodeError, Limits, Prefix, Value};
use crate::error::Error;
use crate::file_paths::PathFix;
use crate::geometry::{Geometry, PieceIndex};
use crate::ids::InfoHash;

// BEP 3 keys read here; the rest are in `fields` and `files`.
const INFO: &[u8] = b"info";
const NAME: &[u8] = b"name";
const PIECES: &[u8] = b"pieces";
// Written by BitComet and others: the name in UTF-8 when `name` is not.
const NAME_UTF8: &[u8] = b"name.utf-8";
// BEP 52: `meta version` 2 marks a v2 (or hybrid) torrent.
const META_VERSION: &[u8] = b"meta version";

/// The largest .torrent (or info dictionary) we read. A 10 MiB file holds
/// ~500,000 piece hashes (10 TiB at 16 MiB pieces) or ~100,000 files:
/// more than any real torrent.
pub const MAX_TORRENT_FILE_LEN: u64 = 10 * 1024 * 1024;

/// A checked .torrent file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metainfo {
    /// SHA-1 of the raw `info` bytes as they appear in the file.
    pub info_hash: InfoHash,
    /// The torrent's name: one safe path component (see `file_paths`).
    pub name: String,
    pub geometry: Geometry,
    /// One hash per piece; `len() == geometry.num_pieces()`.
    pub piece_hashes: Vec<[u8; 20]>,
    /// Every file in torrent order, pad files included (`pad: true`).
    pub files: Vec<FileEntry>,
    /// BEP 12 tiers from `announce-list`, else `[[announce]]`, else empty.
    pub trackers: Vec<Vec<String>>,
    /// BEP 19 web seeds (`url-list`).
    pub web_seeds: Vec<String>,
    /// BEP 5 `nodes`: DHT nodes to bootstrap from, as `HOST:PORT`.
    pub dht_nodes: Vec<String>,
    /// BEP 27: only the torrent's trackers may be used.
    pub private: bool,
    pub comment: Option<String>,
    pub created_by: Option<String>,
    /// Seconds since the Unix epoch, as written by the creator.
    pub creation_date: Option<i64>,
    /// Whether the torrent has a `files` list (content under a directory).
    pub multi_file: bool,
    /// What was changed in the name and paths to make them safe, in
    /// order (name first, then by file); empty for most torrents.
    pub path_fixes: Vec<PathFix>,
    /// The raw `info` dictionary, whose SHA-1 is `info_hash` (what BEP 9
    /// `ut_metadata` serves to peers).
    pub info_bytes: Vec<u8>,
}

/// One file of the content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    /// Relative path: `name` for single-file torrents, `name/dir/file`
    /// for multi-file ones. Every component is checked by `file_paths`.
    pub path: PathBuf,
    pub length: u64,
    /// Where the file starts in the content (the concatenation of all files).
    pub offset: u64,
    /// A BEP 47 pad file: zeros that align the next file to a piece; not
    /// written to disk.
    pub pad: bool,
}

impl Metainfo {
    /// Reads and checks a .torrent file.
    /// A .torrent that cannot be read is a bad torrent (exit code 3), like
    /// one that cannot be parsed: the user gave us the wrong file either way.
    pub fn load(path: &Path) -> Result<Metainfo, Error> {
        let unreadable = |e: std::io::Error| Error::Torrent(format!("{}: {e}", path.display()));
        let file = File::open(path).map_err(unreadable)?;
        let len = file.metadata().map_err(unreadable)?.len();
        if !file.metadata().map_err(unreadable)?.is_file() {
            return Err(Error::Torrent(format!("{}: not a file", path.display())));
        }
        if len > MAX_TORRENT_FILE_LEN {
            let e = MetainfoError::TooLarge(len);
            return Err(Error::Torrent(format!("{}: {e}", path.display())));
        }
        // `take` also bounds a file that grows while we read it.
        let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        file.take(MAX_TORRENT_FILE_LEN + 1)
            .read_to_end(&mut bytes)
            .map_err(unreadable)?;
        Metainfo::from_bytes(&bytes).map_err(|e| Error::Torrent(format!("{}: {e}", path.display())))
    }

    /// Checks the bytes of a .torrent file (see the module docs for the
    /// steps). Bytes after the top-level dictionary are ignored.
    pub fn from_bytes(bytes: &[u8]) -> Result<Metainfo, MetainfoError> {
        check_size(bytes)?;
        let Prefix {
            value: root, info, ..
        } = bencode::decode_prefix(bytes, Limits::TORRENT).map_err(MetainfoError::Bencode)?;
        let span = info.ok_or(MetainfoError::Bencode(BencodeError::NoInfo))?;
        let info_bytes = bytes.get(span.clone()).unwrap_or_default();
        let info = match root.get(INFO) {
            Some(v @ Value::Dict(_)) => v,
            _ => {
                let offset = span.start;
                return Err(MetainfoError::Bencode(BencodeError::InfoNotDict { offset }));
            }
        };
        let outside = fields::outside(&root);
        Ok(Metainfo {
            trackers: outside.trackers,
            web_seeds: outside.web_seeds,
            dht_nodes: outside.dht_nodes,
            comment: outside.comment,
            created_by: outside.created_by,
            creation_date: outside.creation_date,
            ..from_info(info, info_bytes)?
        })
    }

    /// Checks the raw bytes of an `info` dictionary alone, exactly as a
    /// peer sends them (BEP 9): the same checks as [`Self::from_bytes`],
    /// and the infohash is the SHA-1 of exactly `bytes`. Trackers, web
    /// seeds and the descriptive fields live outside `info`: empty here.
    pub fn from_info_bytes(bytes: &[u8]) -> Result<Metainfo, MetainfoError> {
        check_size(bytes)?;
        let info = bencode::decode(bytes, Limits::TORRENT).map_err(MetainfoError::Bencode)?;
        if info.as_dict().is_none() {
            return Err(MetainfoError::Bencode(BencodeError::InfoNotDict {
                offset: 0,
            }));
        }
        from_info(&info, bytes)
    }

    /// The expected SHA-1 of a piece.
    ///
    /// # Panics
    /// If `p` was checked against another torrent's `Geometry`; an index
    /// from this torrent's `geometry` is always in range.
    pub fn piece_hash(&self, p: PieceIndex) -> &[u8; 20] {
        &self.piece_hashes[p.as_usize()]
    }
}

/// Refuses input over [`MAX_TORRENT_FILE_LEN`] before decoding it.
fn check_size(bytes: &[u8]) -> Result<(), MetainfoError> {
    let len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if len > MAX_TORRENT_FILE_LEN {
        return Err(MetainfoError::TooLarge(len));
    }
    Ok(())
}

/// Everything that comes from the info dictionary `info`, whose raw
/// bytes are `info_bytes`; the fields outside it are left empty.
fn from_info(info: &Value<'_>, info_bytes: &[u8]) -> Result<Metainfo, MetainfoError> {
    let info_hash = crate::hash::sha1(info_bytes);
    if info.get(PIECES).is_none() && info.get(META_VERSION) == Some(&Value::Int(2)) {
        return Err(MetainfoError::V2Only);
    }
    let name = match info.get(NAME) {
        None => &[][..],
        Some(v) => v
            .as_bytes()
            .ok_or_else(|| MetainfoError::Invalid("\"name\" is not a string".into()))?,
    };
    let shown_name = info
        .get(NAME_UTF8)
        .and_then(Value::as_bytes)
        .unwrap_or(name);
    let piece_len = fields::piece_length(info)?;
    let piece_hashes = fields::piece_hashes(info)?;
    let multi = files::multi(info)?;
    let multi_file = multi.is_some();
    let raw = match multi {
        Some(list) => list,
        None => vec![files::single(info, name, shown_name)?],
    };
    files::check_hybrid(info, &raw)?;
    let layout = paths::layout(shown_name, &raw, multi_file, &info_hash)?;
    let total = layout
        .files
        .last()
        .map_or(0, |f| f.offset.saturating_add(f.length));
    let geometry = Geometry::new(total, piece_len, piece_hashes.len() as u64)
        .map_err(MetainfoError::Geometry)?;
    Ok(Metainfo {
        info_hash,
        name: layout.name,
        geometry,
        piece_hashes,
        files: layout.files,
        trackers: Vec::new(),
        web_seeds: Vec::new(),
        dht_nodes: Vec::new(),
        private: fields::private(info),
        comment: None,
        created_by: None,
        creation_date: None,
        multi_file,
        path_fixes: layout.fixes,
        info_bytes: info_bytes.to_vec(),
    })
}

/// Lowercase hexadecimal, two digits per byte.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

mod error;
mod fields;
mod files;
mod paths;
mod report;
mod write;
pub use error::MetainfoError;
pub(crate) use report::printable;

#[cfg(test)]
mod tests;
