//! Where each byte of the content lives: the piece → file-span mapping.
//!
//! The content of a torrent is its files concatenated in order (BEP 3). A
//! [`Layout`] gives each file its offset in that byte string and cuts any
//! range of it (a piece, a block) into [`Span`]s: one per file the range
//! touches, in order, together covering the range exactly.
//!
//! Invariants, established once by [`Layout::new`]:
//! - each file's offset is the sum of the lengths before it, and the last
//!   file ends exactly at `geometry.total_len()` (checked arithmetic);
//! - every path is relative, made of plain names only (no root, no `.`,
//!   no `..`); no two files share a path, and no file's path is the
//!   directory of another.
//!
//! Zero-length files own no bytes, so they never appear in a span. Pad
//! files (BEP 47) do appear, marked `pad`, so callers can produce zeros
//! instead of touching the disk.
//!
//! This module does no I/O.

use crate::geometry::{Geometry, PieceIndex};
use std::collections::BTreeSet;
use std::fmt;
use std::ops::Range;
use std::path::{Component, PathBuf};

/// One file of the torrent, as storage needs it. The coordinator builds
/// these from the metainfo's file list, in the torrent's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSpec {
    /// Path relative to the output directory: `name` or `name/dir/file`.
    pub path: PathBuf,
    /// Length in bytes (may be zero).
    pub length: u64,
    /// A BEP 47 pad file: its bytes are zeros and it never exists on disk.
    pub pad: bool,
}

/// Why a file list does not fit its torrent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayoutError {
    /// The file lengths do not add up to the torrent's total length.
    Length { files: u64, total: u64 },
    /// The file lengths overflow a `u64`.
    Overflow,
    /// A path is empty, absolute, or has a `.` or `..` component.
    Path(PathBuf),
    /// Two files have the same path.
    Duplicate(PathBuf),
    /// A file's path is also a directory of another file's path.
    Conflict(PathBuf),
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayoutError::Length { files, total } => write!(
                f,
                "the files add up to {files} bytes but the torrent holds {total}"
            ),
            LayoutError::Overflow => write!(f, "the file lengths overflow"),
            LayoutError::Path(p) => write!(f, "unsafe file path {:?}", p.display()),
            LayoutError::Duplicate(p) => write!(f, "file path {:?} appears twice", p.display()),
            LayoutError::Conflict(p) => write!(
                f,
                "file path {:?} is also the directory of another file",
                p.display()
            ),
        }
    }
}

impl std::error::Error for LayoutError {}

/// A file placed in the content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Slot {
    pub path: PathBuf,
    pub length: u64,
    /// Where the file starts in the content.
    pub offset: u64,
    pub pad: bool,
}

/// The part of one file that a content range covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Span {
    /// Index of the file in the layout.
    pub file: usize,
    /// Where the span starts inside the file.
    pub file_offset: u64,
    /// Which bytes of the caller's buffer (the range, from 0) it covers.
    pub buf: Range<usize>,
    /// The file is a pad file: read zeros, write nothing.
    pub pad: bool,
}

/// The files of one torrent, placed in its content.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    files: Vec<Slot>,
    geometry: Geometry,
}

impl Layout {
    /// Places `files` in order and checks them against `geometry`.
    pub fn new(files: Vec<FileSpec>, geometry: Geometry) -> Result<Layout, LayoutError> {
        let mut seen = BTreeSet::new();
        let mut offset: u64 = 0;
        let mut slots = Vec::with_capacity(files.len());
        for spec in files {
            let plain = spec.path.components().next().is_some()
                && spec
                    .path
                    .components()
                    .all(|c| matches!(c, Component::Normal(_)));
            if !plain {
                return Err(LayoutError::Path(spec.path));
            }
            if !seen.insert(spec.path.clone()) {
                return Err(LayoutError::Duplicate(spec.path));
            }
            let start = offset;
            offset = offset
                .checked_add(spec.length)
                .ok_or(LayoutError::Overflow)?;
            slots.push(Slot {
                path: spec.path,
                length: spec.length,
                offset: start,
                pad: spec.pad,
            });
        }
        // A file named like another file's directory could not be created.
        for path in &seen {
            if let Some(dir) = path.ancestors().skip(1).find(|a| seen.contains(*a)) {
                return Err(LayoutError::Conflict(dir.to_path_buf()));
            }
        }
        if offset != geometry.total_len() {
            return Err(LayoutError::Length {
                files: offset,
                total: geometry.total_len(),
            });
        }
        Ok(Layout {
            files: slots,
            geometry,
        })
    }

    pub fn geometry(&self) -> Geometry {
        self.geometry
    }

    pub fn files(&self) -> &[Slot] {
        &self.files
    }

    /// The spans covering `len` bytes of content from `start`, in order.
    /// `len` is at most one piece (≤ `MAX_PIECE_LEN`, so buffer offsets fit
    /// a `usize` on every target); bytes past the end of the content are
    /// in no span.
    pub fn spans(&self, start: u64, len: u64) -> impl Iterator<Item = Span> + '_ {
        let end = start.saturating_add(len);
        // Offsets are sums of lengths bounded by the total (≤ 2^48): no overflow.
        let first = self.files.partition_point(|f| f.offset + f.length <= start);
        self.files
            .get(first..)
            .unwrap_or(&[])
            .iter()
            .enumerate()
            .take_while(move |(_, f)| f.offset < end)
            .filter(|(_, f)| f.length > 0)
            .map(move |(i, f)| {
                let lo = f.offset.max(start);
                let hi = (f.offset + f.length).min(end);
                Span {
                    file: first + i,
                    file_offset: lo - f.offset,
                    buf: (lo - start) as usize..(hi - start) as usize,
                    pad: f.pad,
                }
            })
    }

    /// The spans of one whole piece.
    pub fn piece_spans(&self, piece: PieceIndex) -> impl Iterator<Item = Span> + '_ {
        let g = self.geometry;
        self.spans(g.piece_offset(piece), u64::from(g.piece_len(piece)))
    }

    /// The pieces that hold at least one byte of file `file` (none for a
    /// zero-length file or an index out of range).
    pub fn pieces_of(&self, file: usize) -> impl Iterator<Item = PieceIndex> + use<> {
        let g = self.geometry;
        let range = match self.files.get(file) {
            Some(f) if f.length > 0 => {
                let first = f.offset / g.nominal_piece_len();
                let last = (f.offset + f.length - 1) / g.nominal_piece_len();
                // Both are below num_pieces, a u32.
                first as u32..last as u32 + 1
            }
            _ => 0..0,
        };
        range.filter_map(move |i| g.piece(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(path: &str, length: u64, pad: bool) -> FileSpec {
        FileSpec {
            path: PathBuf::from(path),
            length,
            pad,
        }
    }

    /// (file index, offset in file, buffer range, pad) of each span.
    type Want = &'static [(usize, u64, Range<usize>, bool)];

    fn spans_of(layout: &Layout, piece: u32) -> Vec<(usize, u64, Range<usize>, bool)> {
        let p = layout.geometry().piece(piece).unwrap();
        layout
            .piece_spans(p)
            .map(|s| (s.file, s.file_offset, s.buf, s.pad))
            .collect()
    }

    #[test]
    fn piece_spans_at_the_edges() {
        // Files (offset..end) at 1 KiB pieces, 5,000 bytes in 5 pieces:
        //   0 a      0..1000    (smaller than a block)
        //   1 empty  1000..1000 (zero length: in no span)
        //   2 b      1000..1001 (one byte)
        //   3 c      1001..1500
        //   4 pad    1500..2048 (BEP 47 pad up to the piece boundary)
        //   5 d      2048..3500
        //   6 e      3500..5000 (the last piece is 5000 - 4096 = 904 bytes)
        let files = vec![
            spec("t/a", 1000, false),
            spec("t/empty", 0, false),
            spec("t/b", 1, false),
            spec("t/c", 499, false),
            spec("t/.pad/548", 548, true),
            spec("t/d", 1452, false),
            spec("t/e", 1500, false),
        ];
        let layout = Layout::new(files, Geometry::new(5000, 1024, 5).unwrap()).unwrap();
        let table: &[(u32, Want)] = &[
            // Piece 0 spans 3 files: a, the one-byte b, and the start of c.
            (
                0,
                &[
                    (0, 0, 0..1000, false),
                    (2, 0, 1000..1001, false),
                    (3, 0, 1001..1024, false),
                ],
            ),
            // Piece 1: the rest of c, then the pad file up to the boundary.
            (1, &[(3, 23, 0..476, false), (4, 0, 476..1024, true)]),
            // Piece 2 lies inside d.
            (2, &[(5, 0, 0..1024, false)]),
            (3, &[(5, 1024, 0..428, false), (6, 0, 428..1024, false)]),
            // The last, short piece.
            (4, &[(6, 596, 0..904, false)]),
        ];
        for (piece, want) in table {
            assert_eq!(&spans_of(&layout, *piece), want, "piece {piece}");
        }
    }

    #[test]
    fn zero_length_files_at_a_boundary_and_at_the_end() {
        let files = vec![
            spec("x/empty0", 0, false),
            spec("x/a", 1024, false),
            spec("x/empty1", 0, false),
            spec("x/b", 1024, false),
            spec("x/empty2", 0, false),
        ];
        let layout = Layout::new(files, Geometry::new(2048, 1024, 2).unwrap()).unwrap();
        assert_eq!(spans_of(&layout, 0), vec![(1, 0, 0..1024, false)]);
        assert_eq!(spans_of(&layout, 1), vec![(3, 0, 0..1024, false)]);
        let pieces = |f| layout.pieces_of(f).map(|p| p.get()).collect::<Vec<_>>();
        assert_eq!(pieces(0), Vec::<u32>::new());
        assert_eq!(pieces(1), vec![0]);
        assert_eq!(pieces(3), vec![1]);
        assert_eq!(pieces(4), Vec::<u32>::new());
        assert_eq!(pieces(9), Vec::<u32>::new());
    }

    #[test]
    fn block_spans_inside_a_piece() {
        // A 16 KiB + 10 byte file then a 20 byte file, one 32 KiB piece.
        let files = vec![spec("f/a", 16394, false), spec("f/b", 20, false)];
        let layout = Layout::new(files, Geometry::new(16414, 32768, 1).unwrap()).unwrap();
        let got: Vec<_> = layout
            .spans(16384, 30)
            .map(|s| (s.file, s.file_offset, s.buf))
            .collect();
        assert_eq!(got, vec![(0, 16384, 0..10), (1, 0, 10..30)]);
    }

    #[test]
    fn pieces_of_a_file_across_pieces() {
        let files = vec![spec("p/a", 1500, false), spec("p/b", 2596, false)];
        let layout = Layout::new(files, Geometry::new(4096, 1024, 4).unwrap()).unwrap();
        let pieces = |f| layout.pieces_of(f).map(|p| p.get()).collect::<Vec<_>>();
        assert_eq!(pieces(0), vec![0, 1]);
        assert_eq!(pieces(1), vec![1, 2, 3]);
    }

    #[test]
    fn new_refuses_bad_lists() {
        let g = Geometry::new(100, 1024, 1).unwrap();
        let table: &[(Vec<FileSpec>, LayoutError)] = &[
            (
                vec![spec("a", 99, false)],
                LayoutError::Length {
                    files: 99,
                    total: 100,
                },
            ),
            (
                vec![spec("a", u64::MAX, false), spec("b", 1, false)],
                LayoutError::Overflow,
            ),
            (
                vec![spec("../a", 100, false)],
                LayoutError::Path("../a".into()),
            ),
            (
                vec![spec("/etc/a", 100, false)],
                LayoutError::Path("/etc/a".into()),
            ),
            (vec![spec("", 100, false)], LayoutError::Path("".into())),
            (
                vec![spec("a", 50, false), spec("a", 50, false)],
                LayoutError::Duplicate("a".into()),
            ),
            (
                vec![spec("a/b", 50, false), spec("a/b/c", 50, false)],
                LayoutError::Conflict("a/b".into()),
            ),
            (
                vec![spec("a/b/c", 50, false), spec("a", 50, false)],
                LayoutError::Conflict("a".into()),
            ),
        ];
        for (files, want) in table {
            let got = Layout::new(files.clone(), g).err();
            assert_eq!(got.as_ref(), Some(want), "{files:?}");
        }
        assert!(Layout::new(vec![spec("a/b", 100, false)], g).is_ok());
        // Siblings whose names share a prefix do not conflict.
        let siblings = vec![spec("a/b", 50, false), spec("a/bc", 50, false)];
        assert!(Layout::new(siblings, g).is_ok());
    }
}
