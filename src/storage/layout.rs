//! Where each byte of the content lives: the piece → file-span mapping.
//!
//! The content of a torrent is its files concatenated in order (BEP 3). A
//! [`Layout`] holds the metainfo's [`FileEntry`]s (the one record of each
//! file: path, length, offset, pad flag) and cuts any range of the content
//! (a piece, a block) into [`Span`]s: one per file the range touches, in
//! order, together covering the range exactly.
//!
//! Invariant, checked once by [`Layout::new`]: each file's offset is the
//! sum of the lengths before it, and the last file ends exactly at
//! `geometry.total_len()` (checked arithmetic). That is a fact about the
//! numbers, which the span arithmetic below relies on.
//!
//! What it deliberately does not check: the paths. `metainfo` (with
//! `file_paths`) owns path safety: every component is one plain name, no
//! two real files share a path, no file is another's directory. Pad files
//! may share a path (libtorrent names them by size); they are never on
//! disk. `session::layout` only drops or replaces whole components of
//! those checked paths, so they stay safe under any root.
//!
//! Zero-length files own no bytes, so they never appear in a span. Pad
//! files (BEP 47) do appear, marked `pad`, so callers can produce zeros
//! instead of touching the disk.
//!
//! This module does no I/O.

use crate::geometry::{Geometry, PieceIndex};
use crate::metainfo::FileEntry;
use std::fmt;
use std::ops::Range;
use std::path::PathBuf;

/// Why a file list does not fit its torrent's geometry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayoutError {
    /// The file lengths do not add up to the torrent's total length.
    Length { files: u64, total: u64 },
    /// The file lengths overflow a `u64`.
    Overflow,
    /// A file's offset is not the sum of the lengths before it.
    Offset {
        path: PathBuf,
        offset: u64,
        want: u64,
    },
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayoutError::Length { files, total } => write!(
                f,
                "the files add up to {files} bytes but the torrent holds {total}"
            ),
            LayoutError::Overflow => write!(f, "the file lengths overflow"),
            LayoutError::Offset { path, offset, want } => write!(
                f,
                "file {:?} starts at {offset}, not at {want} where the file before it ends",
                path.display()
            ),
        }
    }
}

impl std::error::Error for LayoutError {}

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
    files: Vec<FileEntry>,
    geometry: Geometry,
}

impl Layout {
    /// Checks that `files` (in the torrent's order) tile the content of
    /// `geometry` exactly: no gap, no overlap, nothing past the end.
    pub fn new(files: Vec<FileEntry>, geometry: Geometry) -> Result<Layout, LayoutError> {
        let mut end: u64 = 0;
        for f in &files {
            if f.offset != end {
                return Err(LayoutError::Offset {
                    path: f.path.clone(),
                    offset: f.offset,
                    want: end,
                });
            }
            end = end.checked_add(f.length).ok_or(LayoutError::Overflow)?;
        }
        if end != geometry.total_len() {
            return Err(LayoutError::Length {
                files: end,
                total: geometry.total_len(),
            });
        }
        Ok(Layout { files, geometry })
    }

    pub fn geometry(&self) -> Geometry {
        self.geometry
    }

    pub fn files(&self) -> &[FileEntry] {
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
            Some(f) => g.pieces_in(f.offset, f.length),
            None => 0..0,
        };
        range.filter_map(move |i| g.piece(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::testutil::entries;

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
        let files = entries(&[
            ("t/a", 1000, false),
            ("t/empty", 0, false),
            ("t/b", 1, false),
            ("t/c", 499, false),
            ("t/.pad/548", 548, true),
            ("t/d", 1452, false),
            ("t/e", 1500, false),
        ]);
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
        let files = entries(&[
            ("x/empty0", 0, false),
            ("x/a", 1024, false),
            ("x/empty1", 0, false),
            ("x/b", 1024, false),
            ("x/empty2", 0, false),
        ]);
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
        let files = entries(&[("f/a", 16394, false), ("f/b", 20, false)]);
        let layout = Layout::new(files, Geometry::new(16414, 32768, 1).unwrap()).unwrap();
        let got: Vec<_> = layout
            .spans(16384, 30)
            .map(|s| (s.file, s.file_offset, s.buf))
            .collect();
        assert_eq!(got, vec![(0, 16384, 0..10), (1, 0, 10..30)]);
    }

    #[test]
    fn pieces_of_a_file_across_pieces() {
        let files = entries(&[("p/a", 1500, false), ("p/b", 2596, false)]);
        let layout = Layout::new(files, Geometry::new(4096, 1024, 4).unwrap()).unwrap();
        let pieces = |f| layout.pieces_of(f).map(|p| p.get()).collect::<Vec<_>>();
        assert_eq!(pieces(0), vec![0, 1]);
        assert_eq!(pieces(1), vec![1, 2, 3]);
    }

    /// `entries` with the offset of file `index` replaced.
    fn moved(list: &[(&str, u64, bool)], index: usize, offset: u64) -> Vec<FileEntry> {
        let mut files = entries(list);
        files[index].offset = offset;
        files
    }

    #[test]
    fn new_refuses_lists_that_do_not_tile_the_content() {
        let g = Geometry::new(100, 1024, 1).unwrap();
        let two = &[("a", 50, false), ("b", 50, false)];
        let offset = |offset, want| LayoutError::Offset {
            path: "b".into(),
            offset,
            want,
        };
        let table: &[(Vec<FileEntry>, LayoutError)] = &[
            (
                entries(&[("a", 99, false)]),
                LayoutError::Length {
                    files: 99,
                    total: 100,
                },
            ),
            (
                entries(&[("a", u64::MAX, false), ("b", 1, false)]),
                LayoutError::Overflow,
            ),
            // A gap, and an overlap.
            (moved(two, 1, 51), offset(51, 50)),
            (moved(two, 1, 49), offset(49, 50)),
        ];
        for (files, want) in table {
            let got = Layout::new(files.clone(), g).err();
            assert_eq!(got.as_ref(), Some(want), "{files:?}");
        }
        assert!(Layout::new(entries(two), g).is_ok());
        // Paths are metainfo's to check: two pad files may share one.
        let pads = entries(&[
            ("t/a", 10, false),
            ("t/.pad/20", 20, true),
            ("t/b", 50, false),
            ("t/.pad/20", 20, true),
        ]);
        assert!(Layout::new(pads, g).is_ok());
    }
}
