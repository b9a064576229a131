//! Unit tests for `metainfo`, by concern: the fixtures in data/
//! (`fixtures`), fields and sizes of built torrents (`fields`), path
//! cleaning (`paths`), and bare info dictionaries (`info_bytes`).
//!
//! Built torrents are written byte by byte with the helpers below, so a
//! test can put keys out of order, repeat them or add junk: things the
//! `Encoder` rightly cannot do.

use super::*;

mod fields;
mod fixtures;
mod info_bytes;
mod paths;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join(name)
}

/// `<len>:<bytes>`
fn s(b: &[u8]) -> Vec<u8> {
    let mut out = format!("{}:", b.len()).into_bytes();
    out.extend_from_slice(b);
    out
}

/// `i<n>e`
fn i(n: i64) -> Vec<u8> {
    format!("i{n}e").into_bytes()
}

/// `l...e` of already encoded items.
fn l(items: &[Vec<u8>]) -> Vec<u8> {
    let mut out = vec![b'l'];
    items.iter().for_each(|v| out.extend_from_slice(v));
    out.push(b'e');
    out
}

/// `d...e` of keys and encoded values, in the order given (not sorted).
fn d(entries: &[(&[u8], Vec<u8>)]) -> Vec<u8> {
    let mut out = vec![b'd'];
    for (k, v) in entries {
        out.extend(s(k));
        out.extend_from_slice(v);
    }
    out.push(b'e');
    out
}

/// A list of byte strings (a `path`).
fn path(parts: &[&[u8]]) -> Vec<u8> {
    l(&parts.iter().map(|p| s(p)).collect::<Vec<_>>())
}

/// One entry of `files`: `length`, `path`, and `attr` if given.
fn file(parts: &[&[u8]], len: i64, attr: Option<&[u8]>) -> Vec<u8> {
    let mut entries = Vec::new();
    if let Some(a) = attr {
        entries.push((&b"attr"[..], s(a)));
    }
    entries.push((b"length", i(len)));
    entries.push((b"path", path(parts)));
    d(&entries)
}

/// `pieces` for `count` pieces (every hash 0xff).
fn hashes(count: u64) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..count {
        out.extend_from_slice(&[0xff; 20]);
    }
    s(&out)
}

/// A multi-file info dictionary named `top`.
fn multi_info(files: &[Vec<u8>], piece_len: i64, pieces: u64) -> Vec<u8> {
    d(&[
        (b"files", l(files)),
        (b"name", s(b"top")),
        (b"piece length", i(piece_len)),
        (b"pieces", hashes(pieces)),
    ])
}

/// A single-file info dictionary.
fn single_info(name: &[u8], len: i64, piece_len: i64, pieces: u64) -> Vec<u8> {
    d(&[
        (b"length", i(len)),
        (b"name", s(name)),
        (b"piece length", i(piece_len)),
        (b"pieces", hashes(pieces)),
    ])
}

/// A .torrent around an info dictionary, with one tracker.
fn torrent(info: &[u8]) -> Vec<u8> {
    let mut out = b"d8:announce10:http://t/a4:info".to_vec();
    out.extend_from_slice(info);
    out.push(b'e');
    out
}

/// Loads a built torrent both ways and checks they agree.
fn load(info: &[u8]) -> Result<Metainfo, MetainfoError> {
    let m = Metainfo::from_bytes(&torrent(info));
    let bare = Metainfo::from_info_bytes(info);
    match (&m, &bare) {
        (Ok(a), Ok(b)) => assert_eq!(a, &with_outside(b.clone(), a)),
        (Err(a), Err(b)) => assert!(same_kind(a, b), "{a} vs {b}"),
        _ => panic!("the two entry points disagree: {m:?} vs {bare:?}"),
    }
    m
}

/// The same refusal, byte offsets aside (they count from a different start).
fn same_kind(a: &MetainfoError, b: &MetainfoError) -> bool {
    use std::mem::discriminant;
    match (a, b) {
        (MetainfoError::Bencode(x), MetainfoError::Bencode(y)) => {
            discriminant(x) == discriminant(y)
        }
        _ => a.to_string() == b.to_string(),
    }
}

/// `bare` with the fields from outside `info` taken from `full`.
fn with_outside(bare: Metainfo, full: &Metainfo) -> Metainfo {
    Metainfo {
        trackers: full.trackers.clone(),
        web_seeds: full.web_seeds.clone(),
        dht_nodes: full.dht_nodes.clone(),
        comment: full.comment.clone(),
        created_by: full.created_by.clone(),
        creation_date: full.creation_date,
        ..bare
    }
}

/// The error text of a built torrent that must be refused.
fn refused(info: &[u8]) -> String {
    match load(info) {
        Ok(m) => panic!("loaded: {m:?}"),
        Err(e) => e.to_string(),
    }
}

/// `(path, length, offset, pad)` of every file, paths as text.
fn layout(m: &Metainfo) -> Vec<(String, u64, u64, bool)> {
    m.files
        .iter()
        .map(|f| (f.path.display().to_string(), f.length, f.offset, f.pad))
        .collect()
}

/// Every note's text.
fn notes(m: &Metainfo) -> Vec<String> {
    m.path_fixes.iter().map(ToString::to_string).collect()
}
