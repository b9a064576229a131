//! File paths from a .torrent: untrusted names that become paths on disk.
//!
//! A torrent names its files with a list of path components (BEP 3
//! `path`) under the torrent's `name`. A hostile torrent can try to
//! write outside the download directory (`..`, `/etc/passwd`, a component
//! holding a separator), to make two entries fight over one file, or to
//! make one entry a file and a directory at once (`a` and `a/b`).
//!
//! Invariants after the checks here:
//! - every component (and the torrent's `name`) is exactly one normal
//!   path part: valid UTF-8, not empty, not `.` or `..`, no `/`, `\`,
//!   NUL or other control characters, at most [`MAX_COMPONENT_LEN`] bytes;
//! - [`check_tree`]: no two files have the same path, and no file's
//!   path is a directory of another file.
//!
//! Names that are not UTF-8 are refused with a message saying so: on
//! Linux they could be written as raw bytes, but they could not be shown
//! or typed, and BEP 3 says names are UTF-8.
//!
//! Not done here: case-insensitive clashes (`A` vs `a`) and Windows
//! reserved names (`CON`, `a:b`); bitsy targets Linux file systems,
//! where these are ordinary distinct names.

use std::collections::HashSet;
use std::fmt;
use std::path::{Component, Path};

/// The longest file-name component Linux file systems accept (NAME_MAX).
pub const MAX_COMPONENT_LEN: usize = 255;

/// What is wrong with one path component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    Empty,
    NotUtf8,
    CurrentDir,
    ParentDir,
    Separator,
    Nul,
    Control,
    TooLong,
    /// Not a single normal path part for some other reason of the OS.
    NotNormal,
}

impl Problem {
    fn words(self) -> &'static str {
        match self {
            Problem::Empty => "is empty",
            Problem::NotUtf8 => "is not valid UTF-8",
            Problem::CurrentDir => "is \".\"",
            Problem::ParentDir => "is \"..\" (leads out of the download directory)",
            Problem::Separator => "contains a path separator",
            Problem::Nul => "contains a NUL byte",
            Problem::Control => "contains a control character",
            Problem::TooLong => "is longer than 255 bytes",
            Problem::NotNormal => "is not a plain file name",
        }
    }
}

/// Why a torrent's file paths were refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathError {
    /// One component is bad; `text` is its lossy, escaped rendering.
    Component { text: String, problem: Problem },
    /// A file entry with an empty `path` list.
    NoComponents,
    /// Two files share this path (relative to the torrent's name).
    Duplicate(String),
    /// This path is a file and also a directory of another file.
    FileIsDirectory(String),
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathError::Component { text, problem } => {
                write!(f, "path component {text:?} {}", problem.words())
            }
            PathError::NoComponents => write!(f, "empty path"),
            PathError::Duplicate(p) => write!(f, "two files have the path {p:?}"),
            PathError::FileIsDirectory(p) => {
                write!(f, "{p:?} is both a file and a directory")
            }
        }
    }
}

impl std::error::Error for PathError {}

/// Checks one path component (or the torrent's name) and returns it as text.
pub fn component(raw: &[u8]) -> Result<&str, PathError> {
    let fail = |problem| PathError::Component {
        text: shorten(&String::from_utf8_lossy(raw)),
        problem,
    };
    let text = std::str::from_utf8(raw).map_err(|_| fail(Problem::NotUtf8))?;
    let problem = match text {
        "" => Some(Problem::Empty),
        "." => Some(Problem::CurrentDir),
        ".." => Some(Problem::ParentDir),
        _ if text.contains(['/', '\\']) => Some(Problem::Separator),
        _ if text.contains('\0') => Some(Problem::Nul),
        _ if text.chars().any(char::is_control) => Some(Problem::Control),
        _ if text.len() > MAX_COMPONENT_LEN => Some(Problem::TooLong),
        _ => None,
    };
    if let Some(problem) = problem {
        return Err(fail(problem));
    }
    // The OS's own view must agree: one normal part, nothing absolute.
    let mut parts = Path::new(text).components();
    match (parts.next(), parts.next()) {
        (Some(Component::Normal(_)), None) => Ok(text),
        _ => Err(fail(Problem::NotNormal)),
    }
}

/// Checks that the files (each a list of checked components) can all be
/// created side by side: no duplicates, no file that is also a directory.
pub fn check_tree(files: &[&[String]]) -> Result<(), PathError> {
    let mut seen: HashSet<&[String]> = HashSet::with_capacity(files.len());
    let mut dirs: HashSet<&[String]> = HashSet::new();
    for &path in files {
        if path.is_empty() {
            return Err(PathError::NoComponents);
        }
        if !seen.insert(path) {
            return Err(PathError::Duplicate(path.join("/")));
        }
        for end in 1..path.len() {
            if let Some(dir) = path.get(..end) {
                dirs.insert(dir);
            }
        }
    }
    match files.iter().find(|path| dirs.contains(**path)) {
        Some(path) => Err(PathError::FileIsDirectory(path.join("/"))),
        None => Ok(()),
    }
}

/// Keeps error messages short when a hostile name is huge.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(64) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_bad_component_is_refused() {
        let long = "x".repeat(256);
        let table: &[(&[u8], Problem)] = &[
            (b"", Problem::Empty),
            (b".", Problem::CurrentDir),
            (b"..", Problem::ParentDir),
            (b"/", Problem::Separator),
            (b"/etc", Problem::Separator), // absolute
            (b"a/b", Problem::Separator),
            (b"../x", Problem::Separator),
            (b"a\\b", Problem::Separator),
            (b"C:\\x", Problem::Separator),
            (b"a\0b", Problem::Nul),
            (b"a\nb", Problem::Control),
            (b"\x1b[31m", Problem::Control),
            (b"a\x7fb", Problem::Control),
            ("a\u{85}b".as_bytes(), Problem::Control), // C1 control (NEL)
            (b"\xff\xfe", Problem::NotUtf8),
            (b"a\xc0\xafb", Problem::NotUtf8), // overlong '/'
            (long.as_bytes(), Problem::TooLong),
        ];
        for (raw, want) in table {
            match component(raw) {
                Err(PathError::Component { problem, .. }) => {
                    assert_eq!(problem, *want, "{raw:?}")
                }
                other => panic!("{raw:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn good_components_pass() {
        let max = "y".repeat(255);
        let table: &[&str] = &[
            "a.txt",
            ".hidden",
            "...",
            "..a",
            "with space",
            "Movie: Part 2",
            "Ünïcödé ファイル",
            &max,
        ];
        for text in table {
            assert_eq!(component(text.as_bytes()), Ok(*text));
        }
    }

    fn paths(list: &[&[&str]]) -> Vec<Vec<String>> {
        list.iter()
            .map(|p| p.iter().map(|c| c.to_string()).collect())
            .collect()
    }

    #[test]
    fn tree_clashes_are_refused() {
        let table: &[(&[&[&str]], Option<PathError>)] = &[
            (&[&["a"], &["b"], &["d", "a"]], None),
            (&[&["a", "b"], &["a", "c"]], None),
            (&[&["a"], &["a"]], Some(PathError::Duplicate("a".into()))),
            (
                &[&["d", "x"], &["e"], &["d", "x"]],
                Some(PathError::Duplicate("d/x".into())),
            ),
            (
                &[&["a"], &["a", "b"]],
                Some(PathError::FileIsDirectory("a".into())),
            ),
            (
                &[&["a", "b", "c"], &["a", "b"]],
                Some(PathError::FileIsDirectory("a/b".into())),
            ),
            (&[&[]], Some(PathError::NoComponents)),
        ];
        for (list, want) in table {
            let owned = paths(list);
            let refs: Vec<&[String]> = owned.iter().map(Vec::as_slice).collect();
            assert_eq!(check_tree(&refs).err(), *want, "{list:?}");
        }
    }

    #[test]
    fn messages_name_the_component() {
        let e = component(b"..").unwrap_err();
        assert_eq!(
            e.to_string(),
            "path component \"..\" is \"..\" (leads out of the download directory)"
        );
        let e = component(&[b'z'; 1000]).unwrap_err();
        assert!(e.to_string().len() < 150, "{e}");
    }
}
