//! From raw names to the [`FileEntry`] list: every path made safe by
//! `file_paths`, clashes renamed, offsets computed in `u64`, and a
//! [`PathFix`] for every entry that was changed.
//!
//! Order matters: components are cleaned first, clashes are looked for
//! after (two names may only clash once cleaned, e.g. `a/b` and `a_b`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::files::RawFile;
use super::{FileEntry, MetainfoError, to_hex};
use crate::file_paths::{self, Fix, PathError, PathFix, clash};
use crate::geometry::{GeometryError, MAX_TOTAL_LEN};

/// The torrent's name and files, ready for the disk.
pub(super) struct Layout {
    pub name: String,
    pub files: Vec<FileEntry>,
    pub fixes: Vec<PathFix>,
}

/// Cleans `name` (falling back to the infohash in hex) and every file's
/// path; `multi` says whether files live under a folder named `name`.
pub(super) fn layout(
    name: &[u8],
    raw: &[RawFile<'_>],
    multi: bool,
    info_hash: &[u8; 20],
) -> Result<Layout, MetainfoError> {
    let mut fixes = Vec::new();
    let (clean, name_fixes) = file_paths::clean_name(name).map_err(MetainfoError::Name)?;
    let name_text = clean.unwrap_or_else(|| to_hex(info_hash));
    if !name_fixes.is_empty() {
        fixes.push(PathFix {
            file: None,
            was: file_paths::escaped(name),
            now: name_text.clone(),
            fixes: name_fixes,
        });
    }
    if !multi {
        let length = raw.first().map_or(0, |f| f.length);
        let file = FileEntry {
            path: PathBuf::from(&name_text),
            length,
            offset: 0,
            pad: false,
        };
        return Ok(Layout {
            name: name_text,
            files: vec![file],
            fixes,
        });
    }
    let (paths, file_fixes) = clean_files(raw)?;
    fixes.extend(file_fixes);
    let files = entries(&name_text, paths, raw)?;
    Ok(Layout {
        name: name_text,
        files,
        fixes,
    })
}

/// Every file's cleaned components, clashes renamed, and what changed.
fn clean_files(raw: &[RawFile<'_>]) -> Result<(Vec<Vec<String>>, Vec<PathFix>), MetainfoError> {
    let mut paths = Vec::with_capacity(raw.len());
    let mut notes: BTreeMap<usize, PathFix> = BTreeMap::new();
    for (index, file) in raw.iter().enumerate() {
        let (path, fixes) = match file_paths::clean_path(&file.shown) {
            Ok(cleaned) => cleaned,
            // A pad file needs no name (libtorrent's `.pad/<length>`).
            Err(PathError::NoComponents) if file.pad => (pad_path(file.length), Vec::new()),
            Err(error) => {
                return Err(MetainfoError::File {
                    index,
                    path: shown(&file.shown),
                    error,
                });
            }
        };
        if !fixes.is_empty() {
            notes.insert(index, note(index, file, &path, fixes));
        }
        paths.push(path);
    }
    let pads: Vec<bool> = raw.iter().map(|f| f.pad).collect();
    let renamed = clash::resolve_clashes(&mut paths, &pads).map_err(MetainfoError::Tree)?;
    for (index, why) in renamed {
        let (Some(file), Some(path)) = (raw.get(index), paths.get(index)) else {
            continue;
        };
        let entry = notes
            .entry(index)
            .or_insert_with(|| note(index, file, path, Vec::new()));
        entry.now = path.join("/");
        entry.fixes.push(why);
    }
    Ok((paths, notes.into_values().collect()))
}

/// The path of a pad file that has none: never written, only shown.
fn pad_path(length: u64) -> Vec<String> {
    vec![".pad".to_string(), length.to_string()]
}

/// A note for file `index`: as written, and as bitsy names it now.
fn note(index: usize, file: &RawFile<'_>, path: &[String], fixes: Vec<Fix>) -> PathFix {
    PathFix {
        file: Some(index),
        was: shown(&file.shown),
        now: path.join("/"),
        fixes,
    }
}

/// A raw path for messages: joined by `/`, invalid UTF-8 escaped, short.
fn shown(parts: &[&[u8]]) -> String {
    let joined = parts.join(&b'/');
    file_paths::escaped(&joined)
}

/// The file entries under `name`, with offsets in `u64` on every target.
fn entries(
    name: &str,
    paths: Vec<Vec<String>>,
    raw: &[RawFile<'_>],
) -> Result<Vec<FileEntry>, MetainfoError> {
    let mut offset = 0u64;
    let mut files = Vec::with_capacity(raw.len());
    for (parts, r) in paths.into_iter().zip(raw) {
        let mut path = PathBuf::from(name);
        path.extend(parts);
        files.push(FileEntry {
            path,
            length: r.length,
            offset,
            pad: r.pad,
        });
        offset = offset
            .checked_add(r.length)
            .filter(|&end| end <= MAX_TOTAL_LEN)
            .ok_or(MetainfoError::Geometry(GeometryError::TooLarge(
                offset.saturating_add(r.length),
            )))?;
    }
    Ok(files)
}
