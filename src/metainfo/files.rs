//! The file list of an info dictionary, as written: BEP 3 `length` or
//! `files`, BEP 47 `attr`, and for hybrid torrents the BEP 52 `file tree`
//! it must agree with.
//!
//! Paths stay raw bytes here; `file_paths` makes them safe afterwards
//! (see `paths`). `path.utf-8` (written by BitComet and others next to a
//! `path` in a legacy encoding) is preferred when it is a list of strings,
//! as libtorrent does; `path` is what a hybrid's `file tree` is compared
//! with, since both are the creator's own bytes.
//!
//! The `file tree` nests one dictionary per folder. It is walked with an
//! explicit stack, and the decoder's depth limit already bounds it.

use super::MetainfoError;
use super::fields::length;
use crate::bencode::Value;

// BEP 3 keys.
const LENGTH: &[u8] = b"length";
const FILES: &[u8] = b"files";
const PATH: &[u8] = b"path";
// Written by BitComet and others: the path in UTF-8 when `path` is not.
const PATH_UTF8: &[u8] = b"path.utf-8";
// BEP 47: `attr` is a string of flags in any order; `p` marks a pad file.
const ATTR: &[u8] = b"attr";
const ATTR_PAD: u8 = b'p';
// BEP 52: the v2 file list; a leaf is a dictionary under the empty key.
const FILE_TREE: &[u8] = b"file tree";
const LEAF: &[u8] = b"";

/// One file as written in the torrent.
#[derive(Debug)]
pub(super) struct RawFile<'a> {
    /// `path` as written (for a single-file torrent: `[name]`).
    pub path: Vec<&'a [u8]>,
    /// `path.utf-8` if given, else `path`: what the file is called.
    pub shown: Vec<&'a [u8]>,
    pub length: u64,
    /// A BEP 47 pad file.
    pub pad: bool,
}

/// Reads `files`; `None` if the torrent has none (one file, see [`single`]).
pub(super) fn multi<'a>(info: &Value<'a>) -> Result<Option<Vec<RawFile<'a>>>, MetainfoError> {
    let Some(list) = info.get(FILES) else {
        return Ok(None);
    };
    let list = list
        .as_list()
        .ok_or_else(|| MetainfoError::Invalid("\"files\" is not a list".into()))?;
    let mut files = Vec::with_capacity(list.len());
    for (index, entry) in list.iter().enumerate() {
        let what = || format!("file {index}");
        let path = strings(entry.get(PATH))
            .ok_or_else(|| MetainfoError::Invalid(format!("{} has no \"path\" list", what())))?;
        let shown = strings(entry.get(PATH_UTF8)).unwrap_or_else(|| path.clone());
        let pad = entry
            .get(ATTR)
            .and_then(Value::as_bytes)
            .is_some_and(|a| a.contains(&ATTR_PAD));
        files.push(RawFile {
            path,
            shown,
            length: length(entry.get(LENGTH), &what())?,
            pad,
        });
    }
    Ok(Some(files))
}

/// The one file of a single-file torrent: named by the torrent's `name`.
pub(super) fn single<'a>(
    info: &Value<'a>,
    name: &'a [u8],
    shown: &'a [u8],
) -> Result<RawFile<'a>, MetainfoError> {
    Ok(RawFile {
        path: vec![name],
        shown: vec![shown],
        length: length(info.get(LENGTH), "the torrent")?,
        pad: false,
    })
}

/// A list of byte strings, or `None` if `v` is anything else.
fn strings<'a>(v: Option<&Value<'a>>) -> Option<Vec<&'a [u8]>> {
    v?.as_list()?.iter().map(Value::as_bytes).collect()
}

/// For a hybrid torrent (one with a `file tree`): refuses it unless the
/// v1 files that are not pad files match the v2 tree, path and length,
/// in order. A v1 view that differs from the v2 one would download
/// content other clients see differently.
pub(super) fn check_hybrid(info: &Value<'_>, v1: &[RawFile<'_>]) -> Result<(), MetainfoError> {
    let Some(tree) = info.get(FILE_TREE) else {
        return Ok(());
    };
    let v2 = tree_files(tree)?;
    let v1 = v1.iter().filter(|f| !f.pad);
    let mismatch = |index: usize, path: &[&[u8]], len: u64| {
        let shown: Vec<_> = path.iter().map(|p| String::from_utf8_lossy(p)).collect();
        MetainfoError::HybridMismatch(format!(
            "file {index} is {:?} ({len} bytes) in \"files\"",
            shown.join("/")
        ))
    };
    for (index, (a, b)) in v1.clone().zip(&v2).enumerate() {
        if a.path != b.0 || a.length != b.1 {
            return Err(mismatch(index, &a.path, a.length));
        }
    }
    match v1.count().cmp(&v2.len()) {
        std::cmp::Ordering::Equal => Ok(()),
        _ => Err(MetainfoError::HybridMismatch(
            "the two lists have different numbers of files".into(),
        )),
    }
}

/// A v2 file: its path components and length.
type TreeFile<'a> = (Vec<&'a [u8]>, u64);

/// Every file of a BEP 52 `file tree`, in order: a folder is a
/// dictionary of names; a file is `{"": {"length": n, ...}}`.
fn tree_files<'a>(tree: &Value<'a>) -> Result<Vec<TreeFile<'a>>, MetainfoError> {
    let bad = |why: &str| MetainfoError::Invalid(format!("\"file tree\": {why}"));
    let root = tree.as_dict().ok_or_else(|| bad("not a dictionary"))?;
    let mut out = Vec::new();
    // One iterator per open folder; `prefix` holds the folders' names.
    let mut stack = vec![root.iter()];
    let mut prefix: Vec<&'a [u8]> = Vec::new();
    while let Some(folder) = stack.last_mut() {
        let Some((name, node)) = folder.next() else {
            stack.pop();
            prefix.pop();
            continue;
        };
        let entries = node
            .as_dict()
            .ok_or_else(|| bad("an entry is not a dictionary"))?;
        if name.is_empty() {
            return Err(bad("an empty name outside a file"));
        }
        let mut path = prefix.clone();
        path.push(name);
        match entries {
            [(key, leaf)] if *key == LEAF => {
                let what = format!("file tree entry {:?}", String::from_utf8_lossy(name));
                out.push((path, length(leaf.get(LENGTH), &what)?));
            }
            _ => {
                stack.push(entries.iter());
                prefix = path;
            }
        }
    }
    Ok(out)
}
