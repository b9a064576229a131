//! The stream's window: which pieces may be fetched now, and the reorder
//! buffer where verified pieces wait for the ones before them.
//!
//! The stream is the run of pieces `first..end` (all of a single-file
//! torrent, or those holding the one selected file). Three marks cut it,
//! and only move forward:
//!
//! ```text
//!   first ····· written ····· head ······················ limit ····· end
//!   │ on stdout  │ with the    │ verified and waiting, or   │ not yet
//!   │            │ writer      │ being fetched, or missing  │
//!                └───────────── at most `width` pieces ─────┘
//! ```
//!
//! - `written`: every piece before it is on stdout (its buffer is back).
//! - `head`: every piece before it went to the writer, in order. A
//!   verified piece at `head` goes at once; one past it waits here.
//! - `limit = min(written + width, end)`: [`Window::fetchable`] is
//!   `head..limit`, the pieces the picker may start.
//!
//! Invariant: every piece that holds a buffer (with the writer, waiting
//! here, being assembled or hashed) is in `written..limit`, so at most
//! `width` pieces are in memory whatever the stream's length. The window
//! moves when the writer gives a buffer back, not when a piece is
//! verified: a slow reader of stdout stops the fetching, not the memory
//! bound.
//!
//! What it deliberately does not do: I/O, hashing, or know which bytes
//! of a piece belong to the stream (`stream.rs` cuts them).

use std::collections::BTreeMap;
use std::ops::Range;

/// The marks and the waiting pieces (see the module docs).
#[derive(Debug)]
pub struct Window {
    end: u32,
    width: u32,
    written: u32,
    head: u32,
    /// Verified pieces in `head + 1..limit`, by index, with their bytes.
    waiting: BTreeMap<u32, Vec<u8>>,
}

impl Window {
    /// A window over the pieces `pieces`, holding at most `width` of
    /// them (at least one) at once.
    pub fn new(pieces: Range<u32>, width: u32) -> Window {
        Window {
            end: pieces.end.max(pieces.start),
            width: width.max(1),
            written: pieces.start,
            head: pieces.start,
            waiting: BTreeMap::new(),
        }
    }

    /// The pieces that may be fetched now: from the head to the limit.
    pub fn fetchable(&self) -> Range<u32> {
        let limit = self.written.saturating_add(self.width).min(self.end);
        self.head..limit.max(self.head)
    }

    /// A verified piece. Kept if it is fetchable and not kept already;
    /// otherwise its bytes are given back (a piece outside the window
    /// was never asked for: the caller's bug, not a reason to grow).
    pub fn insert(&mut self, piece: u32, data: Vec<u8>) -> Result<(), Vec<u8>> {
        if !self.fetchable().contains(&piece) || self.waiting.contains_key(&piece) {
            return Err(data);
        }
        self.waiting.insert(piece, data);
        Ok(())
    }

    /// The head piece, if it is verified: it leaves the window for the
    /// writer, and the head moves on. Call until `None`.
    pub fn next_ready(&mut self) -> Option<(u32, Vec<u8>)> {
        let data = self.waiting.remove(&self.head)?;
        let piece = self.head;
        self.head += 1;
        Some((piece, data))
    }

    /// The writer finished the oldest piece it had: the limit moves on.
    /// False (and nothing changes) if it had none.
    pub fn written(&mut self) -> bool {
        if self.written >= self.head {
            return false;
        }
        self.written += 1;
        true
    }

    /// Every piece is on stdout.
    pub fn is_done(&self) -> bool {
        self.written >= self.end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One step of a scenario and what it must give.
    #[derive(Debug)]
    enum Step {
        /// Insert this piece; true if it must be kept.
        Insert(u32, bool),
        /// Take every ready piece; these must come out, in this order.
        Ready(&'static [u32]),
        /// The writer finished one; true if it had one.
        Written(bool),
        /// `fetchable()` must be this.
        Fetch(Range<u32>),
        /// `is_done()` must be this.
        Done(bool),
    }
    use Step::*;

    #[test]
    fn scenarios() {
        // (what, pieces, width, steps)
        let cases: &[(&str, Range<u32>, u32, &[Step])] = &[
            (
                "in order: each piece goes at once",
                0..3,
                2,
                &[
                    Fetch(0..2),
                    Insert(0, true),
                    Ready(&[0]),
                    Fetch(1..2),
                    Written(true),
                    Fetch(1..3),
                    Insert(1, true),
                    Insert(2, true),
                    Ready(&[1, 2]),
                    Done(false),
                    Written(true),
                    Written(true),
                    Done(true),
                    Fetch(3..3),
                ],
            ),
            (
                "reversed: nothing leaves before the head arrives",
                10..14,
                4,
                &[
                    Fetch(10..14),
                    Insert(13, true),
                    Insert(12, true),
                    Insert(11, true),
                    Ready(&[]),
                    Insert(10, true),
                    Ready(&[10, 11, 12, 13]),
                    Fetch(14..14),
                    Done(false),
                ],
            ),
            (
                "outside the window or twice: given back",
                0..10,
                3,
                &[
                    Insert(3, false),
                    Insert(2, true),
                    Insert(2, false),
                    Insert(0, true),
                    Ready(&[0]),
                    Insert(0, false),
                    Fetch(1..3),
                    Insert(3, false),
                    Written(true),
                    Fetch(1..4),
                    Insert(3, true),
                ],
            ),
            (
                "a slow writer holds the limit, not the head",
                0..8,
                2,
                &[
                    Insert(0, true),
                    Insert(1, true),
                    Ready(&[0, 1]),
                    Fetch(2..2),
                    Insert(2, false),
                    Written(true),
                    Fetch(2..3),
                    Written(true),
                    Written(false),
                    Fetch(2..4),
                ],
            ),
            (
                "width 0 means one piece",
                5..7,
                0,
                &[Fetch(5..6), Insert(6, false), Insert(5, true), Ready(&[5])],
            ),
            (
                "an empty stream is done at once",
                4..4,
                8,
                &[Fetch(4..4), Done(true), Written(false)],
            ),
        ];
        for (what, pieces, width, steps) in cases {
            let mut w = Window::new(pieces.clone(), *width);
            for (i, step) in steps.iter().enumerate() {
                let at = format!("{what}: step {i} {step:?}");
                match step {
                    Insert(p, kept) => {
                        assert_eq!(w.insert(*p, vec![*p as u8]).is_ok(), *kept, "{at}")
                    }
                    Ready(want) => {
                        let got: Vec<u32> = std::iter::from_fn(|| w.next_ready())
                            .map(|(p, data)| {
                                assert_eq!(data, vec![p as u8], "{at}: its own bytes");
                                p
                            })
                            .collect();
                        assert_eq!(&got, want, "{at}");
                    }
                    Written(had) => assert_eq!(w.written(), *had, "{at}"),
                    Fetch(r) => assert_eq!(&w.fetchable(), r, "{at}"),
                    Done(done) => assert_eq!(w.is_done(), *done, "{at}"),
                }
            }
        }
    }

    #[test]
    fn memory_stays_within_the_width_whatever_the_order() {
        // 64 pieces, width 5, verified in a shuffled order within what is
        // fetchable; the writer finishes one piece every other step.
        let mut w = Window::new(0..64, 5);
        let mut rng = crate::rng::Rng::from_seed(7);
        let mut with_writer = 0u32;
        for step in 0..10_000 {
            if w.is_done() {
                break;
            }
            let f = w.fetchable();
            if !f.is_empty() {
                let p = f.start + rng.below(u64::from(f.end - f.start)) as u32;
                let _ = w.insert(p, Vec::new());
            }
            while w.next_ready().is_some() {
                with_writer += 1;
            }
            if step % 2 == 0 && w.written() {
                with_writer -= 1;
            }
            assert!(w.waiting.len() as u32 + with_writer <= 5, "step {step}");
        }
        assert!(w.is_done(), "the stream ends");
    }
}
