//! The trust decision: which pieces a resume state lets the start skip.
//!
//! A piece is *trusted* (taken as verified without reading it) when the
//! state lists it and every file it has bytes in
//! - is one this download writes (selected; pad files hold no bytes and
//!   do not count),
//! - is on disk now, and
//! - has now exactly the size and modification time the state recorded.
//!
//! Anything else is checked as without a state. So a piece touching a
//! file that is not selected (a boundary piece, whose other bytes live in
//! the part file) is always checked: there are at most two per selected
//! file. A piece with no bytes in any file (all padding) is checked too.
//!
//! This module is pure: stamps in, pieces out (see `resume.rs` for where
//! the stamps come from).

use super::format::Stamp;
use crate::geometry::{Geometry, PieceIndex};
use crate::wire::bitfield::Bitfield;

/// What is known of one file at the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileNow {
    /// What the state recorded (`None`: not on disk then).
    pub recorded: Option<Stamp>,
    /// What `stat` says now (`None`: not on disk, or a pad file).
    pub now: Option<Stamp>,
    /// This download writes it (selected, and not a pad file).
    pub written: bool,
}

impl FileNow {
    /// The file is one of ours, on disk, unchanged since the state.
    pub fn unchanged(&self) -> bool {
        self.written && self.now.is_some() && self.now == self.recorded
    }
}

/// The pieces of `listed` whose files are all unchanged; `files_of(p)`
/// gives the files piece `p` has bytes in (pad files left out).
pub fn trusted(
    listed: &Bitfield,
    files: &[FileNow],
    g: Geometry,
    files_of: &dyn Fn(PieceIndex) -> Vec<usize>,
) -> Bitfield {
    let mut out = Bitfield::new(g.num_pieces());
    for piece in g.pieces().filter(|&p| listed.has(p)) {
        let touched = files_of(piece);
        let all = touched
            .iter()
            .all(|&f| files.get(f).is_some_and(FileNow::unchanged));
        if all && !touched.is_empty() {
            out.set(piece);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(size: u64, secs: i64, nanos: u32) -> Option<Stamp> {
        Some(Stamp { size, secs, nanos })
    }

    #[test]
    fn a_file_is_unchanged_only_when_ours_there_and_equal() {
        let s = stamp(10, 100, 5);
        // (recorded, now, written, unchanged)
        let table = [
            (s, s, true, true),
            (s, stamp(11, 100, 5), true, false), // grew
            (s, stamp(10, 101, 5), true, false), // touched
            (s, stamp(10, 100, 6), true, false), // touched in the same second
            (s, None, true, false),              // deleted
            (None, s, true, false),              // appeared
            (None, None, true, false),           // never there
            (s, s, false, false),                // not selected now
        ];
        for (i, (recorded, now, written, want)) in table.into_iter().enumerate() {
            let f = FileNow {
                recorded,
                now,
                written,
            };
            assert_eq!(f.unchanged(), want, "row {i}: {f:?}");
        }
    }

    #[test]
    fn a_piece_is_trusted_only_if_listed_and_all_its_files_are_unchanged() {
        // 5 pieces; files: 0 = pieces 0-1, 1 = pieces 1-3 (piece 1 spans
        // files 0 and 1), 2 = piece 4; piece 3 is listed but all padding.
        let g = Geometry::new(5 * 1024, 1024, 5).unwrap();
        let files_of = |p: PieceIndex| match p.get() {
            0 => vec![0],
            1 => vec![0, 1],
            2 => vec![1],
            3 => vec![],
            _ => vec![2],
        };
        let same = FileNow {
            recorded: stamp(1, 1, 1),
            now: stamp(1, 1, 1),
            written: true,
        };
        let changed = FileNow {
            now: stamp(1, 2, 1),
            ..same
        };
        let listed_all = Bitfield::full(5);
        let mut listed_some = Bitfield::new(5);
        listed_some.set(g.piece(1).unwrap());
        listed_some.set(g.piece(4).unwrap());
        // (files, listed, trusted pieces)
        let table: [(&[FileNow], &Bitfield, &[u32]); 6] = [
            (&[same, same, same], &listed_all, &[0, 1, 2, 4]),
            (&[same, same, same], &listed_some, &[1, 4]),
            (&[changed, same, same], &listed_all, &[2, 4]),
            (&[same, changed, same], &listed_all, &[0, 4]),
            (&[same, same, changed], &listed_all, &[0, 1, 2]),
            // The state names fewer files than the piece touches.
            (&[same], &listed_all, &[0]),
        ];
        for (i, (files, listed, want)) in table.into_iter().enumerate() {
            let got = trusted(listed, files, g, &files_of);
            assert_eq!(got.iter_raw().collect::<Vec<_>>(), want, "row {i}");
        }
    }
}
