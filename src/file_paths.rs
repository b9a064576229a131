//! File paths from a .torrent: untrusted names that become paths on disk.
//!
//! A torrent names its files with a list of path components (BEP 3
//! `path`) under the torrent's `name`. Real torrents get this wrong in
//! honest ways (an empty component, a `/` inside a name, a name longer
//! than the file system allows, two files with one path), and hostile
//! ones try to write outside the download directory. Like libtorrent and
//! Transmission, bitsy makes the honest mistakes safe and records what it
//! changed ([`Fix`], [`PathFix`]); it refuses only what is plainly an
//! attack or has no safe reading ([`PathError`]):
//! - a `..` that climbs above the torrent's folder (a `..` that stays
//!   inside, as in `a/../b`, is resolved to `b`);
//! - a component that starts with `/` or `\` (an absolute path);
//! - a file whose path is empty once empty components are dropped
//!   (`metainfo` names such a pad file `.pad/<length>`, as libtorrent does).
//!
//! The rules for one component, in order ([`clean_component`]):
//! 1. bytes that are not UTF-8 become U+FFFD (see below);
//! 2. empty and `.` components are dropped;
//! 3. `/`, `\` and control characters (C0, DEL, C1; NUL included)
//!    become `_`;
//! 4. more than [`MAX_COMPONENT_LEN`] bytes: shortened on a character
//!    boundary, keeping an extension of up to [`MAX_KEPT_EXTENSION`] bytes.
//!
//! Then the whole list ([`clash::resolve_clashes`]): a file whose path is
//! another file's, or a folder of another file, is renamed `stem.N.ext`
//! with the smallest `N` that clashes with nothing. Pad files (BEP 47) are
//! never written, so they neither get renamed nor cause a rename.
//!
//! Invariant after this module: every component is one normal path part
//! (not empty, not `.` or `..`, no separator, no control character, at
//! most 255 bytes), so joining the components under the download
//! directory cannot leave it, and no two real files fight over a path.
//!
//! Names that are not UTF-8: invalid bytes are replaced by U+FFFD, the
//! replacement character, one per invalid sequence (Rust's
//! `String::from_utf8_lossy`, Transmission's choice; libtorrent writes
//! `_`). The name stays readable, and the mark shows a character was lost
//! rather than posing as a real `_`. Guessing a legacy code page (CP1251,
//! Shift-JIS...) is not attempted: without encoding tables a guess is
//! silently wrong, and creators that use them add `name.utf-8` /
//! `path.utf-8`, which `metainfo` prefers when present.
//!
//! Not done here: case-insensitive clashes (`A` vs `a`) and Windows
//! reserved names (`CON`, `a:b`); bitsy targets Linux file systems,
//! where these are ordinary distinct names.

use std::fmt;
use std::path::{Component, Path};

pub mod clash;
mod fix;
pub use fix::{Fix, PathFix};

/// The longest file-name component Linux file systems accept (NAME_MAX).
pub const MAX_COMPONENT_LEN: usize = 255;

/// The longest extension (with its dot) kept when a name is shortened or
/// renamed: enough for `.torrent`, `.tar.gz`'s `.gz`, `.flac`; a "dot"
/// further from the end is part of the name, not an extension.
pub const MAX_KEPT_EXTENSION: usize = 16;

/// What replaces a separator or control character.
const REPLACEMENT: char = '_';

/// Why a path cannot be used at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// `..` above the torrent's folder.
    ParentDir,
    /// Starts with a path separator: an absolute path.
    Absolute,
    /// Would be changed on loading ([`component`] only, for `bitsy create`).
    WouldChange(Fix),
}

/// Why a torrent's file paths were refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathError {
    /// One component is bad; `text` is its lossy, shortened rendering.
    Component { text: String, problem: Problem },
    /// A file entry whose path is empty (or only empty components).
    NoComponents,
    /// Renaming clashing files did not finish within its bound (only a
    /// torrent built to defeat the renaming can get here).
    TooManyClashes,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathError::Component { text, problem } => {
                write!(f, "path component {text:?} ")?;
                match problem {
                    Problem::ParentDir => {
                        write!(f, "is \"..\" (leads out of the download directory)")
                    }
                    Problem::Absolute => write!(f, "starts with a path separator (absolute path)"),
                    Problem::WouldChange(fix) => write!(f, "{}", fix.problem()),
                }
            }
            PathError::NoComponents => write!(f, "empty path"),
            PathError::TooManyClashes => write!(f, "too many files with clashing paths"),
        }
    }
}

impl std::error::Error for PathError {}

/// One component after [`clean_component`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cleaned {
    /// Empty or `.`: left out.
    Dropped,
    /// `..`: the caller knows whether it leads out.
    Parent,
    /// One normal path part.
    Part(String),
}

/// Makes one component safe (rules 1-4 of the module docs), adding to
/// `fixes` what was changed. Refuses only an absolute component.
pub fn clean_component(raw: &[u8], fixes: &mut Vec<Fix>) -> Result<Cleaned, PathError> {
    let lossy = String::from_utf8_lossy(raw);
    if matches!(raw.first(), Some(b'/' | b'\\')) {
        return Err(refused(&lossy, Problem::Absolute));
    }
    if std::str::from_utf8(raw).is_err() {
        fixes.push(Fix::NotUtf8);
    }
    match &*lossy {
        "" | "." => {
            fixes.push(Fix::EmptyDropped);
            return Ok(Cleaned::Dropped);
        }
        ".." => return Ok(Cleaned::Parent),
        _ => {}
    }
    let mut text = String::with_capacity(lossy.len());
    for c in lossy.chars() {
        let fix = match c {
            '/' | '\\' => Fix::Separator,
            c if c.is_control() => Fix::Control,
            c => {
                text.push(c);
                continue;
            }
        };
        if !fixes.contains(&fix) {
            fixes.push(fix);
        }
        text.push(REPLACEMENT);
    }
    if text.len() > MAX_COMPONENT_LEN {
        fixes.push(Fix::Shortened);
        let (stem, ext) = split_extension(&text);
        text = fit(stem, ext);
    }
    fixes.sort_unstable();
    fixes.dedup();
    // The OS's own view must agree: one normal part, nothing absolute.
    let mut parts = Path::new(&text).components();
    match (parts.next(), parts.next()) {
        (Some(Component::Normal(_)), None) => Ok(Cleaned::Part(text)),
        _ => Err(refused(&text, Problem::Absolute)),
    }
}

/// Makes a file's `path` list safe: components relative to the torrent's
/// folder, and what was changed. `..` pops the previous component; one
/// with nothing to pop leads out and is refused.
pub fn clean_path(raw: &[&[u8]]) -> Result<(Vec<String>, Vec<Fix>), PathError> {
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    let mut fixes = Vec::new();
    for part in raw {
        match clean_component(part, &mut fixes)? {
            Cleaned::Dropped => {}
            Cleaned::Part(text) => out.push(text),
            Cleaned::Parent => {
                if out.pop().is_none() {
                    return Err(refused("..", Problem::ParentDir));
                }
                fixes.push(Fix::ParentResolved);
            }
        }
    }
    if out.is_empty() {
        return Err(PathError::NoComponents);
    }
    fixes.sort_unstable();
    fixes.dedup();
    Ok((out, fixes))
}

/// Makes the torrent's `name` safe. `None` if nothing usable is left
/// (empty or `.`): the caller falls back to the infohash in hex.
pub fn clean_name(raw: &[u8]) -> Result<(Option<String>, Vec<Fix>), PathError> {
    let mut fixes = Vec::new();
    match clean_component(raw, &mut fixes)? {
        Cleaned::Part(text) => Ok((Some(text), fixes)),
        Cleaned::Dropped => Ok((None, vec![Fix::NameFallback])),
        Cleaned::Parent => Err(refused("..", Problem::ParentDir)),
    }
}

/// Checks that `raw` is a component loading keeps exactly as it is, and
/// returns it as text. For `bitsy create`, so the torrents it writes load
/// unchanged, here and in other clients.
pub fn component(raw: &[u8]) -> Result<&str, PathError> {
    let mut fixes = Vec::new();
    let problem = match clean_component(raw, &mut fixes)? {
        Cleaned::Parent => Problem::ParentDir,
        Cleaned::Dropped => Problem::WouldChange(Fix::EmptyDropped),
        Cleaned::Part(_) => match (fixes.first(), std::str::from_utf8(raw)) {
            (None, Ok(text)) => return Ok(text),
            (Some(fix), _) => Problem::WouldChange(*fix),
            (None, Err(_)) => Problem::WouldChange(Fix::NotUtf8),
        },
    };
    Err(refused(&String::from_utf8_lossy(raw), problem))
}

/// `name` split before its extension: `("movie", ".mkv")`. No extension
/// for dot files (`.bashrc`) or a last dot more than
/// [`MAX_KEPT_EXTENSION`] bytes from the end.
pub fn split_extension(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(dot) if dot > 0 && name.len() - dot <= MAX_KEPT_EXTENSION => name.split_at(dot),
        _ => (name, ""),
    }
}

/// `stem` + `tail`, with `stem` cut on a character boundary so that the
/// result is at most [`MAX_COMPONENT_LEN`] bytes.
pub fn fit(stem: &str, tail: &str) -> String {
    let room = MAX_COMPONENT_LEN.saturating_sub(tail.len());
    let mut cut = stem.len().min(room);
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{tail}", &stem[..cut])
}

/// A refusal naming the component, kept short when a hostile name is huge.
fn refused(text: &str, problem: Problem) -> PathError {
    PathError::Component {
        text: shorten(text),
        problem,
    }
}

/// Raw name bytes for messages: UTF-8 as is, each invalid byte as `<e9>`,
/// kept short.
pub fn escaped(raw: &[u8]) -> String {
    let mut out = String::new();
    for chunk in raw.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("<{b:02x}>"));
        }
        if out.len() > 4 * MAX_COMPONENT_LEN {
            break;
        }
    }
    shorten(&out)
}

/// Keeps messages short when a hostile name is huge.
pub fn shorten(text: &str) -> String {
    match text.char_indices().nth(64) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests;
