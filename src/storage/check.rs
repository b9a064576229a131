//! The resume check: which pieces already on disk match their hashes.
//!
//! A piece is hashed only if at least one of its bytes was on disk before
//! [`Storage::open`] (see [`Storage::existing_bytes`]) and all of its bytes
//! are in files on disk: a piece lying wholly in the grown tail of a short
//! file (sparse zeros `open` made) is skipped, and so is one touching a
//! file that is not there yet; both are reported missing, without reading.
//! (A piece that really is all zeros is thus downloaded again; that is
//! rare and harmless.) The same check serves `bitsy seed` on read-only
//! storage, where a short file is not extended: a piece past its end is
//! skipped, and `bitsy verify` (`hash_pieces`).
//!
//! The calling thread reads the pieces in order, a bounded few ahead, and
//! a `hasher` pool hashes them in parallel; verdicts are applied by piece
//! index as they come. Memory is at most the caller's read-ahead bytes
//! ([`READ_AHEAD_BYTES`] by default, `--max-memory`'s piece share when
//! smaller) of piece buffers, or one piece if larger, reused from verdict
//! to read.
//!
//! With `--select`, only the pieces the selection needs are checked.
//! Pieces the resume state vouches for (`resume.rs`) are taken as good
//! without a read.
//!
//! This module does not decide what to do with the result; the session
//! marks the good pieces as had and downloads the rest.

use super::{PathError, Storage};
use crate::error::Error;
use crate::geometry::PieceIndex;
use crate::hasher::{self, Hasher, HasherError, Job, Verdict};
use crate::wire::bitfield::Bitfield;
use std::io;

/// How many progress calls a full check makes at most (plus the first and
/// last): one per percent is smooth enough for a progress line.
const PROGRESS_STEPS: u32 = 100;

/// Pieces read ahead per hashing thread: two keep a thread busy while the
/// reader fetches its next piece.
const READ_AHEAD_PER_THREAD: usize = 2;

/// The most bytes of pieces read and not yet judged, whatever the number
/// of threads: half the download's default partial-piece budget, so a
/// check never needs more memory than the download after it. With large
/// pieces (over 16 MiB) it is one piece instead. `--max-memory` passes
/// its piece share when that is smaller (`cli::run::read_ahead`).
pub const READ_AHEAD_BYTES: u64 = 16 * 1024 * 1024;

/// Why a check stopped: a piece could not be read, or no verdict came.
#[derive(Debug)]
pub(crate) enum CheckError {
    Read(PathError),
    Hasher(io::Error),
}

impl From<PathError> for CheckError {
    fn from(e: PathError) -> Self {
        CheckError::Read(e)
    }
}

impl From<HasherError> for CheckError {
    fn from(e: HasherError) -> Self {
        CheckError::Hasher(e.into())
    }
}

impl From<CheckError> for io::Error {
    fn from(e: CheckError) -> io::Error {
        match e {
            CheckError::Read(e) => e.into(),
            CheckError::Hasher(e) => e,
        }
    }
}

impl From<CheckError> for Error {
    fn from(e: CheckError) -> Error {
        match e {
            CheckError::Read(e) => e.into(),
            CheckError::Hasher(source) => Error::Other {
                context: "cannot hash the data".into(),
                source,
            },
        }
    }
}

/// Hashes the existing data piece by piece and returns the pieces that
/// match `hashes`. Pieces with no pre-existing byte, or with a byte not
/// on disk, are skipped (see the module docs). Calls `progress(done,
/// total)` at the start, about every percent, and at the end.
pub fn check_existing(
    storage: &Storage,
    hashes: &[[u8; 20]],
    progress: &mut dyn FnMut(u32, u32),
) -> io::Result<Bitfield> {
    let none = Bitfield::new(storage.geometry().num_pieces());
    check_existing_but(storage, hashes, &none, READ_AHEAD_BYTES, progress)
}

/// [`check_existing`], with the pieces in `trusted` taken as good
/// without reading them (the resume state's, see `resume.rs`).
pub(crate) fn check_existing_but(
    storage: &Storage,
    hashes: &[[u8; 20]],
    trusted: &Bitfield,
    read_ahead: u64,
    progress: &mut dyn FnMut(u32, u32),
) -> io::Result<Bitfield> {
    let total = storage.geometry().num_pieces();
    if hashes.len() != total as usize {
        let msg = format!("{} hashes for {total} pieces", hashes.len());
        return Err(io::Error::new(io::ErrorKind::InvalidInput, msg));
    }
    let wanted = |p| {
        !trusted.has(p) && storage.needs(p) && storage.has_prior_data(p) && storage.is_on_disk(p)
    };
    let mut good = hash_pieces(storage, hashes, &wanted, read_ahead, progress)?;
    for p in trusted
        .iter_raw()
        .filter_map(|i| storage.geometry().piece(i))
    {
        good.set(p);
    }
    Ok(good)
}

/// Hashes each piece for which `wanted` is true; the others count as not
/// good. `hashes` has one entry per piece (the callers check; a piece
/// without one is not good). `progress(done, total)` counts pieces whose
/// fate is known, skipped or hashed. At most `read_ahead` bytes of
/// pieces (at least one piece) are read ahead of their verdicts.
pub(crate) fn hash_pieces(
    storage: &Storage,
    hashes: &[[u8; 20]],
    wanted: &dyn Fn(PieceIndex) -> bool,
    read_ahead: u64,
    progress: &mut dyn FnMut(u32, u32),
) -> Result<Bitfield, CheckError> {
    let g = storage.geometry();
    let total = g.num_pieces();
    let by_bytes = (read_ahead / g.nominal_piece_len().max(1)) as usize;
    let threads = hasher::threads_for_this_machine();
    let ahead = by_bytes.clamp(1, threads * READ_AHEAD_PER_THREAD);
    let pool = Hasher::start(threads.min(ahead), ahead).map_err(CheckError::Hasher)?;
    let mut tally = Tally {
        good: Bitfield::new(total),
        done: 0,
        step: (total / PROGRESS_STEPS).max(1),
        spare: Vec::new(),
        progress,
    };
    (tally.progress)(0, total);
    let mut outstanding = 0;
    for piece in g.pieces() {
        let expected = hashes.get(piece.as_usize()).filter(|_| wanted(piece));
        let Some(&expected) = expected else {
            tally.settle(total);
            continue;
        };
        if outstanding == pool.capacity() {
            tally.apply(pool.recv()?, total);
            outstanding -= 1;
        }
        let mut data = tally.spare.pop().unwrap_or_default();
        storage.read_piece_at(piece, &mut data)?;
        pool.submit(Job {
            piece,
            data,
            expected,
        })?;
        outstanding += 1;
    }
    for _ in 0..outstanding {
        tally.apply(pool.recv()?, total);
    }
    (tally.progress)(total, total);
    Ok(tally.good)
}

/// What a check has found so far, and its progress line.
struct Tally<'a> {
    good: Bitfield,
    /// Pieces whose fate is known.
    done: u32,
    /// Report progress every `step` pieces.
    step: u32,
    /// A buffer back from a verdict, for the next read.
    spare: Vec<Vec<u8>>,
    progress: &'a mut dyn FnMut(u32, u32),
}

impl Tally<'_> {
    fn apply(&mut self, v: Verdict, total: u32) {
        if v.good {
            self.good.set(v.piece);
        }
        self.spare.push(v.data);
        self.settle(total);
    }

    fn settle(&mut self, total: u32) {
        self.done += 1;
        if self.done.is_multiple_of(self.step) && self.done != total {
            (self.progress)(self.done, total);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Geometry;
    use crate::storage::testutil::{TempDir, content, entries, hashes};

    #[test]
    fn finds_exactly_the_good_pieces_after_corruption() {
        let dir = TempDir::new("check");
        // 4 pieces of 1 KiB; piece 1 spans a, b and c.
        let files = entries(&[
            ("t/a", 1500, false),
            ("t/b", 10, false),
            ("t/c", 2586, false),
        ]);
        let data = content(&files);
        let sums = hashes(&data, 1024);
        let g = Geometry::new(4096, 1024, 4).unwrap();
        {
            let s = Storage::open(dir.path(), files.clone(), g).unwrap();
            for p in g.pieces() {
                let off = g.piece_offset(p) as usize;
                s.write_piece(p, &data[off..off + g.piece_len(p) as usize])
                    .unwrap();
            }
            s.sync().unwrap();
        }
        // Corrupt one byte of b, which lies in piece 1 only.
        let b = dir.path().join("t/b");
        let mut bytes = std::fs::read(&b).unwrap();
        bytes[3] ^= 1;
        std::fs::write(&b, bytes).unwrap();

        let s = Storage::open(dir.path(), files, g).unwrap();
        assert_eq!(s.existing_bytes(), 4096);
        let mut calls = Vec::new();
        let good = check_existing(&s, &sums, &mut |d, t| calls.push((d, t))).unwrap();
        assert_eq!(good.iter_raw().collect::<Vec<_>>(), vec![0, 2, 3]);
        assert_eq!(calls.first(), Some(&(0, 4)));
        assert_eq!(calls.last(), Some(&(4, 4)));
        assert!(calls.windows(2).all(|w| w[0].0 <= w[1].0));
        // A read-ahead smaller than a piece (`--max-memory`) reads one
        // piece at a time, with the same verdicts.
        let none = Bitfield::new(4);
        for read_ahead in [0, 1, 1024, 2048] {
            let good = check_existing_but(&s, &sums, &none, read_ahead, &mut |_, _| {}).unwrap();
            assert_eq!(good.iter_raw().collect::<Vec<_>>(), vec![0, 2, 3]);
        }
    }

    #[test]
    fn skips_pieces_with_no_prior_data() {
        let dir = TempDir::new("check-skip");
        // a (2 pieces) exists with its data; b (2 pieces) is new; c holds
        // only its first half piece on disk, so the grown tail is skipped.
        let files = entries(&[
            ("t/a", 2048, false),
            ("t/b", 2048, false),
            ("t/c", 2048, false),
        ]);
        let data = content(&files);
        let sums = hashes(&data, 1024);
        std::fs::create_dir_all(dir.path().join("t")).unwrap();
        std::fs::write(dir.path().join("t/a"), &data[..2048]).unwrap();
        std::fs::write(dir.path().join("t/c"), &data[4096..4096 + 512]).unwrap();
        let g = Geometry::new(6144, 1024, 6).unwrap();
        let s = Storage::open(dir.path(), files, g).unwrap();
        assert_eq!(s.existing_bytes(), 2048 + 512);
        let wanted: Vec<u32> = g
            .pieces()
            .filter(|&p| s.has_prior_data(p))
            .map(|p| p.get())
            .collect();
        assert_eq!(wanted, vec![0, 1, 4]);
        let good = check_existing(&s, &sums, &mut |_, _| {}).unwrap();
        // Piece 4 is half there: its hash fails.
        assert_eq!(good.iter_raw().collect::<Vec<_>>(), vec![0, 1]);
    }

    #[test]
    fn refuses_a_wrong_hash_count() {
        let dir = TempDir::new("check-count");
        let g = Geometry::new(100, 1024, 1).unwrap();
        let s = Storage::open(dir.path(), entries(&[("x", 100, false)]), g).unwrap();
        let err = check_existing(&s, &[], &mut |_, _| {}).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }
}
