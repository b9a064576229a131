//! Metainfo (BEP 3): a .torrent file, loaded once into bitsy's own types.
//!
//! A .torrent is untrusted input. [`Metainfo::from_bytes`] checks it in
//! this order, and nothing past it sees unchecked data:
//! 1. size: at most [`MAX_TORRENT_FILE_LEN`] bytes;
//! 2. bitsy's bounded decoder (`bencode`, [`Limits::TORRENT`]): depth,
//!    token count, canonical integers, no duplicate keys; it also yields
//!    the raw bytes of the `info` dictionary, whose SHA-1 is the infohash
//!    (never a re-encoding, which would be wrong for unusual keys);
//! 3. `name` and every file path (`file_paths`), from the decoded value;
//! 4. lava_torrent parses the v1 fields;
//! 5. `Geometry::new`: total length, piece length, hash count.
//!
//! Which parser provides which field:
//! - lava_torrent: announce, announce-list, piece length, pieces, file
//!   lengths, `private`, comment, created by, creation date, url-list.
//! - bitsy's `Value`: the infohash span; the `path` components (lava_torrent
//!   joins them into a `PathBuf`, so it cannot tell `["a/b"]` from
//!   `["a", "b"]`, and lets `["/etc"]` make an absolute path); the BEP 47
//!   `attr` of pad files (kept in lava_torrent's untyped extra fields); and
//!   `meta version`, to say clearly that a v2-only torrent is unsupported.
//!
//! Hybrid v1+v2 torrents (libtorrent 2.x's default) are read through their
//! v1 view (`files` with pad files, `pieces`); `file tree` and `piece
//! layers` are ignored. Names that are not UTF-8 are refused (see
//! `file_paths`). Known limit: lava_torrent refuses dictionaries whose
//! keys are out of order, so such torrents are refused at step 4 even
//! though the bitsy decoder accepts them; so are torrents whose `pieces`
//! happen to be valid UTF-8 (about one in 100,000 one-piece torrents,
//! vanishingly rare with more pieces).
//! lava_torrent also refuses non-UTF-8 text in the fields it reads
//! (`announce`, `name`). Symlink entries (BEP 47 `attr` `l`) are treated
//! as ordinary files.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use lava_torrent::bencode::BencodeElem;
use lava_torrent::torrent::v1::Torrent;

use crate::bencode::{self, BencodeError, Limits, Value};
use crate::error::Error;
use crate::file_paths::{self, PathError};
use crate::geometry::{Geometry, GeometryError, PieceIndex};
use crate::ids::InfoHash;

// Keys bitsy reads from the decoded value itself (the rest come through
// lava_torrent). BEP 3:
const INFO: &[u8] = b"info";
const NAME: &[u8] = b"name";
const PIECES: &[u8] = b"pieces";
const FILES: &[u8] = b"files";
const PATH: &[u8] = b"path";
// BEP 47: `attr` is a string of flags in any order; `p` marks a pad file.
const ATTR: &[u8] = b"attr";
const ATTR_PAD: u8 = b'p';
// BEP 52: `meta version` 2 marks a v2 (or hybrid) torrent.
const META_VERSION: &[u8] = b"meta version";

/// The largest .torrent we read. A 10 MiB file holds ~500,000 piece hashes
/// (10 TiB at 16 MiB pieces) or ~100,000 files: more than any real torrent.
pub const MAX_TORRENT_FILE_LEN: u64 = 10 * 1024 * 1024;

/// A checked .torrent file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metainfo {
    /// SHA-1 of the raw `info` bytes as they appear in the file.
    pub info_hash: InfoHash,
    /// The torrent's name: one checked path component.
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
    /// BEP 27: only the torrent's trackers may be used.
    pub private: bool,
    pub comment: Option<String>,
    pub created_by: Option<String>,
    /// Seconds since the Unix epoch, as written by the creator.
    pub creation_date: Option<i64>,
    /// Whether the torrent has a `files` list (content under a directory).
    pub multi_file: bool,
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

/// A file entry as read from the decoded value: checked components, pad flag.
struct RawFile {
    components: Vec<String>,
    pad: bool,
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

    /// Checks the bytes of a .torrent file (see the module docs for the steps).
    pub fn from_bytes(bytes: &[u8]) -> Result<Metainfo, MetainfoError> {
        let len = bytes.len() as u64;
        if len > MAX_TORRENT_FILE_LEN {
            return Err(MetainfoError::TooLarge(len));
        }
        let (root, span) =
            bencode::decode_with_info(bytes, Limits::TORRENT).map_err(MetainfoError::Bencode)?;
        let info_bytes = bytes.get(span).unwrap_or_default();
        let info_hash = sha1_smol::Sha1::from(info_bytes).digest().bytes();
        let Some(info) = root.get(INFO) else {
            return Err(MetainfoError::Bencode(BencodeError::NoInfo));
        };
        if info.get(PIECES).is_none() && info.get(META_VERSION) == Some(&Value::Int(2)) {
            return Err(MetainfoError::V2Only);
        }
        let name = info
            .get(NAME)
            .and_then(Value::as_bytes)
            .ok_or_else(|| MetainfoError::Invalid("\"name\" is missing or not a string".into()))?;
        let name = file_paths::component(name).map_err(MetainfoError::Name)?;
        let raw_files = raw_files(info)?;

        let torrent = Torrent::read_from_bytes(bytes)
            .map_err(|e| MetainfoError::Invalid(format!("lava_torrent: {e}")))?;
        let files = file_entries(name, raw_files, &torrent)?;
        let total = files.last().map_or(0, |f| f.offset + f.length);
        let piece_len = u64::try_from(torrent.piece_length).unwrap_or(0);
        let piece_hashes = torrent
            .pieces
            .iter()
            .map(|p| <[u8; 20]>::try_from(p.as_slice()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| MetainfoError::Invalid("a piece hash is not 20 bytes".into()))?;
        let geometry = Geometry::new(total, piece_len, piece_hashes.len() as u64)
            .map_err(MetainfoError::Geometry)?;

        let extra = |key: &str| torrent.extra_fields.as_ref().and_then(|d| d.get(key));
        let text = |key: &str| match extra(key) {
            Some(BencodeElem::String(s)) => Some(s.clone()),
            _ => None,
        };
        Ok(Metainfo {
            info_hash,
            name: name.to_owned(),
            geometry,
            piece_hashes,
            multi_file: torrent.files.is_some(),
            files,
            trackers: tiers(&torrent),
            web_seeds: match extra("url-list") {
                Some(BencodeElem::String(s)) => vec![s.clone()],
                Some(BencodeElem::List(l)) => l
                    .iter()
                    .filter_map(|e| match e {
                        BencodeElem::String(s) => Some(s.clone()),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            }
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect(),
            private: torrent.is_private(),
            comment: text("comment"),
            created_by: text("created by"),
            creation_date: match extra("creation date") {
                Some(BencodeElem::Integer(n)) => Some(*n),
                _ => None,
            },
        })
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

/// Reads `files` from the decoded info dictionary, checking every path.
/// `None` for a single-file torrent.
fn raw_files(info: &Value<'_>) -> Result<Option<Vec<RawFile>>, MetainfoError> {
    let Some(list) = info.get(FILES) else {
        return Ok(None);
    };
    let list = list
        .as_list()
        .ok_or_else(|| MetainfoError::Invalid("\"files\" is not a list".into()))?;
    let mut files = Vec::with_capacity(list.len());
    for (index, entry) in list.iter().enumerate() {
        let parts = entry
            .get(PATH)
            .and_then(Value::as_list)
            .ok_or_else(|| MetainfoError::Invalid(format!("file {index} has no \"path\" list")))?;
        let shown = || {
            let texts: Vec<String> = parts
                .iter()
                .map(|p| String::from_utf8_lossy(p.as_bytes().unwrap_or(b"?")).into_owned())
                .collect();
            texts.join("/")
        };
        let bad = |error| MetainfoError::File {
            index,
            path: shown(),
            error,
        };
        if parts.is_empty() {
            return Err(bad(PathError::NoComponents));
        }
        let mut components = Vec::with_capacity(parts.len());
        for part in parts {
            let raw = part.as_bytes().ok_or_else(|| {
                MetainfoError::Invalid(format!("file {index}: a path part is not a string"))
            })?;
            components.push(file_paths::component(raw).map_err(bad)?.to_owned());
        }
        let pad = entry
            .get(ATTR)
            .and_then(Value::as_bytes)
            .is_some_and(|a| a.contains(&ATTR_PAD));
        files.push(RawFile { components, pad });
    }
    Ok(Some(files))
}

/// Joins the checked paths with lava_torrent's lengths, computing offsets.
fn file_entries(
    name: &str,
    raw: Option<Vec<RawFile>>,
    torrent: &Torrent,
) -> Result<Vec<FileEntry>, MetainfoError> {
    let length = |n: i64| {
        u64::try_from(n).map_err(|_| MetainfoError::Invalid(format!("negative length {n}")))
    };
    let (Some(raw), Some(lava)) = (raw, torrent.files.as_ref()) else {
        return Ok(vec![FileEntry {
            path: PathBuf::from(name),
            length: length(torrent.length)?,
            offset: 0,
            pad: false,
        }]);
    };
    if raw.len() != lava.len() {
        return Err(MetainfoError::Invalid(
            "the file list was read two ways".into(),
        ));
    }
    let real: Vec<&[String]> = raw
        .iter()
        .filter(|f| !f.pad)
        .map(|f| f.components.as_slice())
        .collect();
    // Pad files are never written, and libtorrent names them by size, so
    // two pads may share a path: only real files must not clash.
    file_paths::check_tree(&real).map_err(MetainfoError::Tree)?;
    let mut offset = 0u64;
    let mut files = Vec::with_capacity(raw.len());
    for (r, l) in raw.into_iter().zip(lava) {
        let len = length(l.length)?;
        let mut path = PathBuf::from(name);
        for c in &r.components {
            path.push(c);
        }
        files.push(FileEntry {
            path,
            length: len,
            offset,
            pad: r.pad,
        });
        offset = offset
            .checked_add(len)
            .ok_or(MetainfoError::Geometry(GeometryError::TooLarge(u64::MAX)))?;
    }
    Ok(files)
}

/// BEP 12: `announce-list` if it names any tracker, else `announce`.
fn tiers(torrent: &Torrent) -> Vec<Vec<String>> {
    let tiers: Vec<Vec<String>> = torrent
        .announce_list
        .iter()
        .flatten()
        .map(|tier| tier.iter().filter(|u| !u.is_empty()).cloned().collect())
        .filter(|tier: &Vec<String>| !tier.is_empty())
        .collect();
    if !tiers.is_empty() {
        return tiers;
    }
    match &torrent.announce {
        Some(url) if !url.is_empty() => vec![vec![url.clone()]],
        _ => Vec::new(),
    }
}

/// Lowercase hexadecimal, two digits per byte.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

mod error;
mod report;
pub use error::MetainfoError;

#[cfg(test)]
mod tests;
