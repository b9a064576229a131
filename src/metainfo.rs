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

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use lava_torrent::bencode::BencodeElem;
use lava_torrent::torrent::v1::Torrent;

use crate::bencode::{self, BencodeError, Limits, Value};
use crate::channels::InfoHash;
use crate::error::Error;
use crate::file_paths::{self, PathError};
use crate::geometry::{Geometry, GeometryError, PieceIndex};

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

/// Why a .torrent was refused.
#[derive(Debug)]
#[non_exhaustive]
pub enum MetainfoError {
    /// The file is larger than [`MAX_TORRENT_FILE_LEN`].
    TooLarge(u64),
    /// Not valid bencode, or beyond bitsy's limits.
    Bencode(BencodeError),
    /// A field is missing or has the wrong type; the text says which.
    Invalid(String),
    /// Only v2 hashes (BEP 52); bitsy speaks v1.
    V2Only,
    /// The torrent's `name` is not a safe file name.
    Name(PathError),
    /// File number `index` (from 0), shown as `path`, has a bad path.
    File {
        index: usize,
        path: String,
        error: PathError,
    },
    /// Two files clash.
    Tree(PathError),
    /// Sizes or hash count are wrong.
    Geometry(GeometryError),
}

impl fmt::Display for MetainfoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetainfoError::TooLarge(n) => write!(
                f,
                "the file is {n} bytes, more than the limit of {MAX_TORRENT_FILE_LEN}"
            ),
            MetainfoError::Bencode(e) => write!(f, "not valid bencode: {e}"),
            MetainfoError::Invalid(m) => write!(f, "{m}"),
            MetainfoError::V2Only => write!(
                f,
                "this is a v2-only torrent (BEP 52); bitsy needs v1 or hybrid torrents"
            ),
            MetainfoError::Name(e) => write!(f, "bad name: {e}"),
            MetainfoError::File { index, path, error } => {
                write!(f, "bad file {index} ({path:?}): {error}")
            }
            MetainfoError::Tree(e) => write!(f, "bad file list: {e}"),
            MetainfoError::Geometry(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for MetainfoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MetainfoError::Bencode(e) => Some(e),
            MetainfoError::Name(e) | MetainfoError::Tree(e) => Some(e),
            MetainfoError::File { error, .. } => Some(error),
            MetainfoError::Geometry(e) => Some(e),
            _ => None,
        }
    }
}

/// A file entry as read from the decoded value: checked components, pad flag.
struct RawFile {
    components: Vec<String>,
    pad: bool,
}

impl Metainfo {
    /// Reads and checks a .torrent file.
    pub fn load(path: &Path) -> Result<Metainfo, Error> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        if len > MAX_TORRENT_FILE_LEN {
            let e = MetainfoError::TooLarge(len);
            return Err(Error::Torrent(format!("{}: {e}", path.display())));
        }
        // `take` also bounds a file that grows while we read it.
        let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        file.take(MAX_TORRENT_FILE_LEN + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io(path, e))?;
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

    /// The text `bitsy info` prints.
    pub fn report(&self) -> String {
        let g = &self.geometry;
        let mut out = format!(
            "name:       {}\ninfohash:   {}\nsize:       {}\npieces:     {} x {}\n",
            self.name,
            to_hex(&self.info_hash),
            size(g.total_len()),
            g.num_pieces(),
            size(g.nominal_piece_len()),
        );
        let real = self.files.iter().filter(|f| !f.pad).count();
        out.push_str(&format!("files:      {real}\n"));
        for f in &self.files {
            let pad = if f.pad { "  (pad file)" } else { "" };
            out.push_str(&format!(
                "  {}  {}{pad}\n",
                f.path.display(),
                size(f.length)
            ));
        }
        out.push_str(if self.trackers.is_empty() {
            "trackers:   none\n"
        } else {
            "trackers:\n"
        });
        for (i, tier) in self.trackers.iter().enumerate() {
            out.push_str(&format!("  tier {}: {}\n", i + 1, tier.join(" ")));
        }
        if !self.web_seeds.is_empty() {
            out.push_str(&format!("web seeds:  {}\n", self.web_seeds.join(" ")));
        }
        let private = if self.private { "yes" } else { "no" };
        out.push_str(&format!("private:    {private}\n"));
        if let Some(c) = &self.comment {
            out.push_str(&format!("comment:    {c}\n"));
        }
        if let Some(c) = &self.created_by {
            out.push_str(&format!("created by: {c}\n"));
        }
        out.push_str(&format!("magnet:     {}\n", self.magnet_link()));
        out
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

/// "95000 bytes (92.8 KiB)".
fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes as f64;
    let mut unit = None;
    for u in UNITS {
        if value < 1024.0 {
            break;
        }
        value /= 1024.0;
        unit = Some(u);
    }
    match unit {
        Some(u) => format!("{bytes} bytes ({value:.1} {u})"),
        None => format!("{bytes} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bencode::Encoder;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("data")
            .join(name)
    }

    /// (file, infohash, name, multi-file, real files, pad files, tiers, private)
    type Expected = (
        &'static str,
        &'static str,
        &'static str,
        bool,
        usize,
        usize,
        usize,
        bool,
    );

    /// Expected infohashes from `transmission-show` and libtorrent (data/README.md).
    #[test]
    fn real_fixtures_load_with_their_infohash() {
        #[rustfmt::skip]
        let table: &[Expected] = &[
            ("mktorrent-single.torrent", "f60ec19362f65d29bf5f36d63d06c531a8b2e396", "single.bin", false, 1, 0, 1, false),
            ("mktorrent-multi.torrent", "453adcbcd025d845cea3c2239542e39af84cfa9e", "multi", true, 4, 0, 2, false),
            ("mktorrent-private-source.torrent", "285ee010e2669fb948ba80706231ee3a903fb68e", "multi", true, 4, 0, 1, true),
            // transmission-create leaves the empty file out.
            ("transmission-multi.torrent", "08e4657c480bf0d8d2f5a1df0e07d5ac787d383a", "multi", true, 3, 0, 2, false),
            ("libtorrent-v1.torrent", "e7ecd7cfbebd7f849c96f19e6dc744ad17ae7cbb", "multi", true, 4, 0, 1, false),
            ("libtorrent-hybrid.torrent", "6d0f9e163fbdcc813c0d450bc4cc7736fa036359", "multi", true, 4, 3, 1, false),
            ("libtorrent-hybrid-single.torrent", "0c09dfdb5a3fb73503882c3df8d03012614e31f1", "single.bin", false, 1, 0, 1, false),
        ];
        for &(file, hash, name, multi, real, pads, tiers, private) in table {
            let m = Metainfo::load(&fixture(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(to_hex(&m.info_hash), hash, "{file}");
            assert_eq!(m.name, name, "{file}");
            assert_eq!(m.multi_file, multi, "{file}");
            assert_eq!(m.files.iter().filter(|f| !f.pad).count(), real, "{file}");
            assert_eq!(m.files.iter().filter(|f| f.pad).count(), pads, "{file}");
            assert_eq!(m.trackers.len(), tiers, "{file}");
            assert_eq!(m.private, private, "{file}");
            assert_eq!(m.geometry.nominal_piece_len(), 32 * 1024, "{file}");
            assert_eq!(
                m.piece_hashes.len() as u64,
                u64::from(m.geometry.num_pieces())
            );
            // Offsets tile the content exactly.
            let mut next = 0;
            for f in &m.files {
                assert_eq!(f.offset, next, "{file}");
                assert!(f.path.is_relative() && f.path.starts_with(name), "{file}");
                next += f.length;
            }
            assert_eq!(next, m.geometry.total_len(), "{file}");
        }
    }

    #[test]
    fn hostile_fixtures_are_refused_by_name() {
        let table: &[(&str, &str)] = &[
            ("hostile-deep.torrent", "nesting deeper than 64 levels"),
            (
                "hostile-dotdot.torrent",
                "bad file 1 (\"../evil.txt\"): path component \"..\"",
            ),
            (
                "hostile-absolute.torrent",
                "bad file 1 (\"/etc/passwd\"): path component \"/etc\" contains a path separator",
            ),
            (
                "hostile-name-dotdot.torrent",
                "bad name: path component \"..\"",
            ),
            (
                "hostile-duplicate.torrent",
                "two files have the path \"dir/a.txt\"",
            ),
            (
                "hostile-file-dir-clash.torrent",
                "\"a\" is both a file and a directory",
            ),
        ];
        for (file, want) in table {
            let err = Metainfo::load(&fixture(file)).unwrap_err();
            assert!(matches!(err, Error::Torrent(_)), "{file}: {err:?}");
            assert!(err.to_string().contains(want), "{file}: {err}");
        }
    }

    /// data/make-fixtures.sh's content pattern, checked against the hashes
    /// mktorrent and libtorrent wrote: byte i of a file with seed s is
    /// (i * 7 + s) % 251, and pad files are zeros (BEP 47).
    #[test]
    fn content_pattern_matches_the_fixtures() {
        let pattern = |n: u64, seed: u64| (0..n).map(move |i| ((i * 7 + seed) % 251) as u8);
        // Content of each file in torrent order; pad files are zeros.
        let content = |m: &Metainfo| -> Vec<u8> {
            let seeds = [("a.txt", 2), ("b.bin", 3), ("c.bin", 4)];
            let mut out = Vec::new();
            for f in &m.files {
                let name = f.path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                let seed = seeds.iter().find(|s| s.0 == name).map_or(0, |s| s.1);
                if f.pad {
                    out.resize(out.len() + f.length as usize, 0);
                } else {
                    out.extend(pattern(f.length, seed));
                }
            }
            out
        };
        for file in ["mktorrent-multi.torrent", "libtorrent-hybrid.torrent"] {
            let m = Metainfo::load(&fixture(file)).unwrap();
            let content = content(&m);
            assert_eq!(content.len() as u64, m.geometry.total_len());
            for p in m.geometry.pieces() {
                let start = m.geometry.piece_offset(p) as usize;
                let end = start + m.geometry.piece_len(p) as usize;
                let got = sha1_smol::Sha1::from(&content[start..end]).digest().bytes();
                assert_eq!(&got, m.piece_hash(p), "{file} piece {p}");
            }
        }
    }

    #[test]
    fn hybrid_pad_files_are_flagged() {
        let m = Metainfo::load(&fixture("libtorrent-hybrid.torrent")).unwrap();
        let got: Vec<(String, u64, u64, bool)> = m
            .files
            .iter()
            .map(|f| (f.path.display().to_string(), f.length, f.offset, f.pad))
            .collect();
        let want = [
            ("multi/a.txt", 5_000, 0, false),
            ("multi/.pad/27768", 27_768, 5_000, true),
            ("multi/empty.txt", 0, 32_768, false),
            ("multi/sub/b.bin", 70_000, 32_768, false),
            ("multi/.pad/28304", 28_304, 102_768, true),
            ("multi/sub/deeper/c.bin", 20_000, 131_072, false),
            ("multi/.pad/12768", 12_768, 151_072, true),
        ];
        let want: Vec<(String, u64, u64, bool)> = want
            .iter()
            .map(|&(p, l, o, pad)| (p.to_string(), l, o, pad))
            .collect();
        assert_eq!(got, want);
    }

    /// A file of a test torrent: (path parts, length, attr).
    type TestFile<'a> = (&'a [&'a [u8]], i64, Option<&'a [u8]>);

    /// A multi-file torrent.
    fn multi(files: &[TestFile<'_>], piece_len: i64, hashes: usize) -> Vec<u8> {
        let mut e = Encoder::new();
        e.dict()
            .str("announce")
            .str("http://t/a")
            .str("info")
            .dict();
        e.str("files").list();
        for (path, len, attr) in files {
            e.dict();
            if let Some(a) = attr {
                e.str("attr").bytes(a);
            }
            e.str("length").int(*len).str("path").list();
            for part in *path {
                e.bytes(part);
            }
            e.end().end();
        }
        e.end();
        e.str("name").str("top").str("piece length").int(piece_len);
        e.str("pieces").bytes(&vec![0xff; 20 * hashes]).end().end();
        e.finish()
    }

    /// A single-file torrent.
    fn single(name: &[u8], len: i64, piece_len: i64, hashes: usize) -> Vec<u8> {
        let mut e = Encoder::new();
        e.dict()
            .str("info")
            .dict()
            .str("length")
            .int(len)
            .str("name")
            .bytes(name);
        e.str("piece length").int(piece_len);
        e.str("pieces").bytes(&vec![0xff; 20 * hashes]).end().end();
        e.finish()
    }

    #[test]
    fn built_torrents() {
        // Zero-length files anywhere are fine; attr without `p` is not a pad.
        let ok = multi(
            &[
                (&[b"e"], 0, None),
                (&[b"d", b"x"], 20_000, Some(b"x")),
                (&[b"z"], 0, None),
            ],
            16_384,
            2,
        );
        let m = Metainfo::from_bytes(&ok).unwrap();
        assert_eq!(m.files.len(), 3);
        assert_eq!(m.files[1].path, Path::new("top/d/x"));
        assert_eq!((m.files[2].offset, m.files[2].pad), (20_000, false));
        assert_eq!(m.trackers, vec![vec!["http://t/a".to_string()]]);
        assert_eq!(m.web_seeds, Vec::<String>::new());
        // Two pads with the same path (libtorrent names them by size) are fine.
        let pads = multi(
            &[
                (&[b"a"], 10, None),
                (&[b".pad", b"6"], 6, Some(b"p")),
                (&[b"b"], 10, None),
                (&[b".pad", b"6"], 6, Some(b"p")),
            ],
            16_384,
            1,
        );
        assert!(Metainfo::from_bytes(&pads).is_ok());
        assert!(Metainfo::from_bytes(&single(b"x", 1, 16_384, 1)).is_ok());

        let v2 = b"d4:infod12:meta versioni2e4:name1:x12:piece lengthi16384eee";
        let table: Vec<(Vec<u8>, &str)> = vec![
            (single(b"x", 40_000, 16_384, 4), "has 4 piece hashes but its size needs 3"),
            // Too few hashes: lava_torrent notices first.
            (single(b"x", 40_000, 16_384, 2), "lava_torrent"),
            // Beyond 2^48 bytes would need > 10 MiB of hashes even at the
            // largest piece length; with few hashes lava_torrent refuses it.
            (single(b"x", 1 << 49, 1 << 26, 1), "lava_torrent"),
            (single(b"x", 100, 1 << 27, 1), "piece length 134217728 is outside"),
            (single(b"\xffname", 1, 16_384, 1), "bad name: path component \"\u{fffd}name\" is not valid UTF-8"),
            (single(b"a/b", 1, 16_384, 1), "bad name: path component \"a/b\" contains a path separator"),
            (single(b"", 1, 16_384, 1), "bad name: path component \"\" is empty"),
            // No data at all (Geometry would say so too).
            (single(b"x", 0, 16_384, 1), "lava_torrent"),
            (multi(&[(&[b"a"], 0, None)], 16_384, 1), "lava_torrent"),
            (multi(&[(&[], 1, None)], 16_384, 1), "bad file 0 (\"\"): empty path"),
            (multi(&[(&[b"ok"], 1, None), (&[b"a\nb"], 1, None)], 16_384, 1), "bad file 1 (\"a\\nb\")"),
            (v2.to_vec(), "v2-only"),
            (vec![b'x'; 10 * 1024 * 1024 + 1], "more than the limit of 10485760"),
            // Keys out of order: bitsy's decoder accepts, lava_torrent refuses.
            (b"d4:infod4:name1:x6:lengthi1e12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee".to_vec(), "lava_torrent"),
        ];
        for (bytes, want) in table {
            let err = Metainfo::from_bytes(&bytes).unwrap_err().to_string();
            assert!(err.contains(want), "want {want:?}, got {err:?}");
        }
    }

    #[test]
    fn infohash_is_over_the_raw_bytes() {
        // An info dict with a key lava_torrent does not know, in the file.
        let mut e = Encoder::new();
        e.dict()
            .str("info")
            .dict()
            .str("length")
            .int(5)
            .str("name")
            .str("x");
        e.str("piece length")
            .int(16_384)
            .str("pieces")
            .bytes(&[0xfe; 20]);
        e.str("zzz").list().int(1).end().end().end();
        let bytes = e.finish();
        let span = bencode::info_span(&bytes, Limits::TORRENT).unwrap();
        let m = Metainfo::from_bytes(&bytes).unwrap();
        assert_eq!(
            m.info_hash,
            sha1_smol::Sha1::from(&bytes[span]).digest().bytes()
        );
    }

    #[test]
    fn magnet_and_report() {
        let m = Metainfo::load(&fixture("mktorrent-multi.torrent")).unwrap();
        assert_eq!(
            m.magnet_link(),
            "magnet:?xt=urn:btih:453adcbcd025d845cea3c2239542e39af84cfa9e&dn=multi\
             &tr=http%3A%2F%2F127.0.0.1%3A6969%2Fannounce\
             &tr=http%3A%2F%2F127.0.0.2%3A6969%2Fannounce"
        );
        assert_eq!(
            m.web_seeds,
            vec!["http://127.0.0.1:8080/files/".to_string()]
        );
        assert_eq!(m.comment.as_deref(), Some("bitsy fixture"));
        assert_eq!(m.created_by.as_deref(), Some("mktorrent 1.1"));
        assert!(m.creation_date.is_some());
        let report = m.report();
        for want in [
            "infohash:   453adcbcd025d845cea3c2239542e39af84cfa9e",
            "size:       95000 bytes (92.8 KiB)",
            "pieces:     3 x 32768 bytes (32.0 KiB)",
            "  multi/sub/deeper/c.bin  20000 bytes (19.5 KiB)",
            "  multi/empty.txt  0 bytes",
            "  tier 2: http://127.0.0.2:6969/announce",
            "private:    no",
        ] {
            assert!(report.contains(want), "{want:?} not in\n{report}");
        }
        let hybrid = Metainfo::load(&fixture("libtorrent-hybrid.torrent")).unwrap();
        assert!(
            hybrid
                .report()
                .contains("multi/.pad/27768  27768 bytes (27.1 KiB)  (pad file)")
        );
    }

    #[test]
    fn load_errors() {
        let missing = Metainfo::load(Path::new("/nonexistent/x.torrent")).unwrap_err();
        assert!(matches!(missing, Error::Io { .. }));
        let dir = std::env::temp_dir().join(format!("bitsy-metainfo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let big = dir.join("big.torrent");
        let f = File::create(&big).unwrap();
        f.set_len(MAX_TORRENT_FILE_LEN + 1).unwrap();
        let err = Metainfo::load(&big).unwrap_err();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(matches!(err, Error::Torrent(_)), "{err:?}");
        assert!(err.to_string().contains("more than the limit"), "{err}");
    }

    /// Damaged copies of every fixture are refused or loaded, never a panic.
    #[test]
    fn damaged_fixtures_never_panic() {
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            // xorshift64: deterministic, so a failure can be replayed.
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "torrent")
                || path.ends_with("hostile-deep.torrent")
            {
                continue;
            }
            let original = std::fs::read(&path).unwrap();
            for _ in 0..300 {
                let mut bytes = original.clone();
                for _ in 0..1 + next() % 4 {
                    let at = (next() % bytes.len() as u64) as usize;
                    match next() % 3 {
                        0 => bytes[at] = next() as u8,
                        1 => bytes.truncate(at),
                        _ => bytes.insert(at, b"eild0123456789:"[(next() % 15) as usize]),
                    }
                    if bytes.is_empty() {
                        break;
                    }
                }
                let _ = Metainfo::from_bytes(&bytes);
            }
        }
    }
}
