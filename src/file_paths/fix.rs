//! What bitsy changed in a torrent's paths, in words a user can read.
//!
//! A [`Fix`] is one kind of change; a [`PathFix`] is one entry (the name or
//! a file) with its path before and after and every fix applied to it.
//! `bitsy info` lists them; a download prints them when it starts.

use std::fmt;

/// One kind of change made to a path so it could be written safely.
/// Ordered as the rules run (see `file_paths`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Fix {
    /// Bytes that are not UTF-8 were replaced by U+FFFD.
    NotUtf8,
    /// Empty or `.` components were dropped.
    EmptyDropped,
    /// A `..` that stays inside the torrent's folder was resolved.
    ParentResolved,
    /// `/` or `\` inside a component became `_`.
    Separator,
    /// A control character became `_`.
    Control,
    /// A component longer than 255 bytes was shortened, keeping its
    /// extension.
    Shortened,
    /// Another file has the same path: this one was renamed.
    Duplicate,
    /// The path is also a folder of another file: the file was renamed.
    FileIsFolder,
    /// The name was empty or `.`: the infohash in hex is used instead.
    NameFallback,
}

impl Fix {
    /// What was wrong, as a phrase ("contains a control character").
    pub fn problem(self) -> &'static str {
        match self {
            Fix::NotUtf8 => "is not valid UTF-8",
            Fix::EmptyDropped => "has an empty or \".\" component",
            Fix::ParentResolved => "has a \"..\" component",
            Fix::Separator => "contains a path separator",
            Fix::Control => "contains a control character",
            Fix::Shortened => "is longer than 255 bytes",
            Fix::Duplicate => "is the path of an earlier file",
            Fix::FileIsFolder => "is also a folder of another file",
            Fix::NameFallback => "is empty",
        }
    }

    /// What bitsy did about it ("replaced by _").
    pub fn remedy(self) -> &'static str {
        match self {
            Fix::NotUtf8 => "invalid bytes shown as \u{fffd}",
            Fix::EmptyDropped => "dropped",
            Fix::ParentResolved => "resolved",
            Fix::Separator | Fix::Control => "replaced by _",
            Fix::Shortened => "shortened, extension kept",
            Fix::Duplicate | Fix::FileIsFolder => "renamed",
            Fix::NameFallback => "the infohash is used",
        }
    }
}

/// One entry whose path was changed: the torrent's name or one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathFix {
    /// `None` for the torrent's name, else the file's index in the
    /// torrent (from 0, pad files counted).
    pub file: Option<usize>,
    /// As written in the torrent: components joined by `/`, bytes that
    /// are not UTF-8 shown as `<e9>`, shortened if huge.
    pub was: String,
    /// What bitsy uses: relative to the torrent's folder for a file.
    pub now: String,
    /// Every change, in the order the rules run; never empty.
    pub fixes: Vec<Fix>,
}

impl fmt::Display for PathFix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.file {
            None => write!(f, "name")?,
            Some(i) => write!(f, "file {i}")?,
        }
        write!(f, ": {:?} is now {:?}", self.was, self.now)?;
        for (i, fix) in self.fixes.iter().enumerate() {
            let lead = if i == 0 { " (it" } else { "; it" };
            write!(f, "{lead} {}: {}", fix.problem(), fix.remedy())?;
        }
        if !self.fixes.is_empty() {
            write!(f, ")")?;
        }
        Ok(())
    }
}
