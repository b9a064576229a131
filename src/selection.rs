//! File selection (`--select 1,3-5`): which of a torrent's files a
//! download fetches, and so which pieces it needs.
//!
//! Files are numbered from 1 in torrent order, pad files (BEP 47) not
//! counted: the numbers `bitsy info` prints ([`numbered`]). The user's
//! text is parsed once, at the command line, into a [`Select`] (numbers
//! and ranges, checked for form only). Once the file list is known (a
//! .torrent at once, a magnet link after its metadata), [`Select::resolve`]
//! checks the numbers against it and gives a [`Selection`]: one flag per
//! file of the torrent.
//!
//! The pieces a selection needs ([`Selection::pieces`]) are those holding
//! at least one byte of a selected file. A needed piece that also holds
//! bytes of an unselected file is a *boundary piece*
//! ([`Selection::is_boundary`]): it is downloaded and verified whole (the
//! SHA-1 covers the piece), but the bytes of unselected files are not
//! written into the output tree; storage keeps the piece in the part file
//! (`storage/partfile.rs`; DESIGN.md, "File selection"). Zero-length files
//! need no piece. Pad files are never selected, and never make a piece a
//! boundary piece: they are zeros that are not on disk.
//!
//! What it deliberately does not do: I/O, or priorities (a file is in or
//! out).

use crate::geometry::{Geometry, PieceIndex};
use crate::metainfo::FileEntry;
use crate::wire::bitfield::Bitfield;
use std::fmt;

/// The most numbers and ranges one `--select` may list: far more than a
/// person types, few enough that a hostile argument costs nothing.
pub const MAX_ITEMS: usize = 10_000;

/// The user's list of file numbers and ranges, checked for form only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Select {
    /// Inclusive ranges of 1-based file numbers, as typed (`7` is `7..=7`).
    ranges: Vec<(u32, u32)>,
}

/// Why a `--select` list was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectError {
    /// Nothing was given.
    Empty,
    /// An item that is neither a number nor a range (the item as typed).
    NotANumber(String),
    /// File 0: the numbers start at 1.
    Zero,
    /// A range whose end is before its start.
    Backwards { from: u32, to: u32 },
    /// More than [`MAX_ITEMS`] items.
    TooMany,
    /// A number past the torrent's last file.
    OutOfRange { number: u32, count: usize },
}

impl fmt::Display for SelectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SelectError::Empty => write!(f, "no file numbers given (such as 1,3-5)"),
            SelectError::NotANumber(item) if item.is_empty() => {
                write!(f, "an empty item in the list (two commas in a row?)")
            }
            SelectError::NotANumber(item) => {
                write!(f, "{item:?} is not a file number or a range such as 3-5")
            }
            SelectError::Zero => write!(f, "files are numbered from 1"),
            SelectError::Backwards { from, to } => {
                write!(f, "the range {from}-{to} is backwards (write {to}-{from})")
            }
            SelectError::TooMany => write!(f, "more than {MAX_ITEMS} numbers and ranges"),
            SelectError::OutOfRange { number, count } => write!(
                f,
                "there is no file {number}: the torrent has {count} file{} \
                 (`bitsy info` numbers them)",
                if *count == 1 { "" } else { "s" }
            ),
        }
    }
}

impl std::error::Error for SelectError {}

impl Select {
    /// Parses `1,3-5`: comma-separated numbers and `FROM-TO` ranges
    /// (inclusive), spaces around items allowed, repeats and overlaps
    /// harmless.
    pub fn parse(text: &str) -> Result<Select, SelectError> {
        if text.trim().is_empty() {
            return Err(SelectError::Empty);
        }
        let mut ranges = Vec::new();
        for item in text.split(',') {
            if ranges.len() == MAX_ITEMS {
                return Err(SelectError::TooMany);
            }
            let item = item.trim();
            let bad = || SelectError::NotANumber(item.to_string());
            let (from, to) = match item.split_once('-') {
                Some((a, b)) => (number(a).ok_or_else(bad)?, number(b).ok_or_else(bad)?),
                None => {
                    let n = number(item).ok_or_else(bad)?;
                    (n, n)
                }
            };
            if from == 0 || to == 0 {
                return Err(SelectError::Zero);
            }
            if to < from {
                return Err(SelectError::Backwards { from, to });
            }
            ranges.push((from, to));
        }
        Ok(Select { ranges })
    }

    /// Checks the numbers against the torrent's files (pad files not
    /// numbered) and gives one flag per file of `files`.
    pub fn resolve(&self, files: &[FileEntry]) -> Result<Selection, SelectError> {
        let real: Vec<usize> = numbered(files).map(|(_, i, _)| i).collect();
        let mut chosen = vec![false; files.len()];
        // Sorted, each number is visited once however the ranges overlap.
        let mut ranges = self.ranges.clone();
        ranges.sort_unstable();
        let mut next = 1u32; // the first number not visited yet
        for (from, to) in ranges {
            if to as usize > real.len() {
                let number = if from as usize > real.len() { from } else { to };
                return Err(SelectError::OutOfRange {
                    number,
                    count: real.len(),
                });
            }
            for n in from.max(next)..=to {
                if let Some(&i) = real.get(n as usize - 1)
                    && let Some(c) = chosen.get_mut(i)
                {
                    *c = true;
                }
            }
            next = next.max(to.saturating_add(1));
        }
        Ok(Selection { chosen })
    }
}

/// A decimal number: ASCII digits only (no sign, no spaces inside). One
/// too large for a `u32` becomes `u32::MAX`, so it is refused as out of
/// range rather than as malformed.
fn number(s: &str) -> Option<u32> {
    let s = s.trim();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.parse::<u32>().unwrap_or(u32::MAX))
}

/// The files a user can pick, in torrent order: `(number, index in
/// files, entry)`, numbered from 1, pad files skipped.
pub fn numbered(files: &[FileEntry]) -> impl Iterator<Item = (u32, usize, &FileEntry)> {
    files
        .iter()
        .enumerate()
        .filter(|(_, f)| !f.pad)
        .zip(1u32..)
        .map(|((i, f), n)| (n, i, f))
}

/// Which files of one torrent are downloaded: a flag per file, in the
/// torrent's order (pad files never chosen).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    chosen: Vec<bool>,
}

impl Selection {
    /// Whether file `index` (an index into the torrent's files) is selected.
    pub fn is_chosen(&self, index: usize) -> bool {
        self.chosen.get(index).copied().unwrap_or(false)
    }

    /// How many files are selected.
    pub fn count(&self) -> usize {
        self.chosen.iter().filter(|c| **c).count()
    }

    /// True if every file that is not a pad file is selected: the
    /// selection changes nothing.
    pub fn is_everything(&self, files: &[FileEntry]) -> bool {
        files
            .iter()
            .enumerate()
            .all(|(i, f)| f.pad || self.is_chosen(i))
    }

    /// Bytes of the selected files.
    pub fn bytes(&self, files: &[FileEntry]) -> u64 {
        files
            .iter()
            .enumerate()
            .filter(|(i, _)| self.is_chosen(*i))
            .map(|(_, f)| f.length)
            .sum()
    }

    /// The pieces the selection needs: those holding a byte of a selected
    /// file.
    pub fn pieces(&self, files: &[FileEntry], g: Geometry) -> Bitfield {
        let mut out = Bitfield::new(g.num_pieces());
        for (i, f) in files.iter().enumerate() {
            if f.pad || !self.is_chosen(i) {
                continue;
            }
            for p in g.pieces_in(f.offset, f.length).filter_map(|p| g.piece(p)) {
                out.set(p);
            }
        }
        out
    }

    /// True if `piece` holds bytes of both a selected file and an
    /// unselected one (pad files count as neither).
    pub fn is_boundary(&self, files: &[FileEntry], g: Geometry, piece: PieceIndex) -> bool {
        let start = g.piece_offset(piece);
        let end = start + u64::from(g.piece_len(piece));
        // Offsets are sums of lengths bounded by the total: no overflow.
        let first = files.partition_point(|f| f.offset + f.length <= start);
        let (mut chosen, mut other) = (false, false);
        for (i, f) in files.iter().enumerate().skip(first) {
            if f.offset >= end {
                break;
            }
            if f.pad || f.length == 0 {
                continue;
            }
            match self.is_chosen(i) {
                true => chosen = true,
                false => other = true,
            }
        }
        chosen && other
    }
}

#[cfg(test)]
mod tests;
