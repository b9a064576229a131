//! The requests a peer has queued with us, waiting to be served.
//!
//! A `request` is queued only if we unchoke the peer (or, with BEP 6, the
//! piece is in the peer's allowed-fast set: the caller decides), the piece
//! is one we have, and `Geometry::request` accepts the range (inside the
//! piece, 1..=16 KiB). Otherwise it is refused ([`Answer::Refused`]; the
//! caller sends a `reject` to a Fast peer) and counted:
//! - while we choke the peer, requests are refused without blame: requests
//!   the peer sent before our `choke` reached it are still on the wire;
//! - a range outside the torrent or a piece we lack is the peer's fault;
//!   after [`MAX_BAD_REQUESTS`] of them the peer is dropped;
//! - past [`MAX_UPLOAD_QUEUE`] queued requests, more are refused.
//!
//! Invariant: the queue holds at most `MAX_UPLOAD_QUEUE` valid blocks of
//! pieces we have (a repeated request is served twice, as asked). Choking
//! the peer empties it (BEP 3), except, with BEP 6, requests for its
//! allowed-fast pieces ([`Uploads::choke`] keeps those).

use super::{Close, MAX_BAD_REQUESTS, MAX_UPLOAD_QUEUE};
use crate::geometry::{BlockRef, Geometry};
use crate::wire::bitfield::Bitfield;
use std::collections::VecDeque;

#[derive(Default)]
pub(super) struct Uploads {
    queue: VecDeque<BlockRef>,
    /// Requests that broke the rules (counted against the peer).
    bad: u32,
    /// Requests ignored without blame (choked, queue full).
    ignored: u64,
}

/// What became of one incoming `request`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Answer {
    /// Queued: it will be served.
    Queued,
    /// Not queued: it will never be served (a Fast peer is told so).
    Refused,
}

/// The raw fields of a `request` or `cancel`.
#[derive(Clone, Copy)]
pub(super) struct Wanted {
    pub index: u32,
    pub begin: u32,
    pub length: u32,
}

impl Uploads {
    /// Handles one incoming `request`; `choking` says we choke the peer
    /// and the piece is not one it may fetch anyway (allowed fast).
    pub(super) fn request(
        &mut self,
        w: Wanted,
        geometry: &Geometry,
        ours: &Bitfield,
        choking: bool,
    ) -> Result<Answer, Close> {
        if choking {
            self.ignored += 1;
            return Ok(Answer::Refused);
        }
        let valid = geometry
            .request(w.index, w.begin, w.length)
            .filter(|b| ours.has(b.piece));
        let Some(block) = valid else {
            self.bad += 1;
            if self.bad > MAX_BAD_REQUESTS {
                return Err(Close::misbehaved(format!(
                    "{} requests for data we do not have",
                    self.bad
                )));
            }
            return Ok(Answer::Refused);
        };
        if self.queue.len() >= MAX_UPLOAD_QUEUE {
            self.ignored += 1;
            return Ok(Answer::Refused);
        }
        self.queue.push_back(block);
        Ok(Answer::Queued)
    }

    /// Handles an incoming `cancel`: forgets the matching queued requests
    /// and returns how many there were.
    pub(super) fn cancel(&mut self, w: Wanted) -> usize {
        let before = self.queue.len();
        self.queue
            .retain(|b| (b.piece.get(), b.offset, b.len) != (w.index, w.begin, w.length));
        before - self.queue.len()
    }

    /// We choked the peer: its requests are void, except those for pieces
    /// `keep` accepts (its allowed-fast set). Returns the voided ones, in
    /// the order they were queued.
    pub(super) fn choke(&mut self, keep: impl Fn(u32) -> bool) -> Vec<BlockRef> {
        let mut voided = Vec::new();
        self.queue.retain(|b| {
            let kept = keep(b.piece.get());
            if !kept {
                voided.push(*b);
            }
            kept
        });
        voided
    }

    /// The next block to serve.
    pub(super) fn pop(&mut self) -> Option<BlockRef> {
        self.queue.pop_front()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Requests ignored without blame, for the log.
    pub(super) fn ignored(&self) -> u64 {
        self.ignored
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(index: u32, begin: u32, length: u32) -> Wanted {
        Wanted {
            index,
            begin,
            length,
        }
    }

    #[test]
    fn queue_rules() {
        // Two pieces of 32 KiB; we have only piece 0.
        let g = Geometry::new(64 * 1024, 32 * 1024, 2).unwrap();
        let mut ours = Bitfield::new(2);
        ours.set(g.piece(0).unwrap());
        let mut u = Uploads::default();
        // (request, choking) -> answer
        #[rustfmt::skip]
        let table = [
            ((0, 0, 16384), true, Answer::Refused),      // choked: no blame
            ((1, 0, 16384), false, Answer::Refused),     // piece we lack
            ((2, 0, 16384), false, Answer::Refused),     // no such piece
            ((0, 0, 16385), false, Answer::Refused),     // too long
            ((0, 100, 1000), false, Answer::Queued),     // any range is fine
            ((0, 16384, 16384), false, Answer::Queued),
        ];
        for ((i, b, l), choking, want) in table {
            let got = u.request(w(i, b, l), &g, &ours, choking).unwrap();
            assert_eq!(got, want, "{i} {b} {l} choking={choking}");
        }
        assert_eq!(u.bad, 3);
        assert_eq!(u.ignored(), 1);
        assert_eq!(u.cancel(w(0, 100, 1000)), 1);
        assert_eq!(u.cancel(w(0, 100, 1000)), 0);
        let b = u.pop().unwrap();
        assert_eq!((b.offset, b.len), (16384, 16384));
        assert!(u.pop().is_none());
    }

    #[test]
    fn choking_keeps_only_allowed_fast_pieces() {
        let g = Geometry::new(1 << 20, 1 << 16, 16).unwrap();
        let ours = Bitfield::full(16);
        let mut u = Uploads::default();
        for piece in [3, 5, 3, 9] {
            u.request(w(piece, 0, 16384), &g, &ours, false).unwrap();
        }
        let voided: Vec<u32> = u
            .choke(|piece| piece == 3)
            .iter()
            .map(|b| b.piece.get())
            .collect();
        assert_eq!(voided, [5, 9]);
        assert_eq!(u.pop().map(|b| b.piece.get()), Some(3));
        assert_eq!(u.pop().map(|b| b.piece.get()), Some(3));
        assert!(u.pop().is_none());
    }

    #[test]
    fn bounded_queue_and_bad_requests() {
        let g = Geometry::new(1 << 30, 1 << 20, 1024).unwrap();
        let ours = Bitfield::full(1024);
        let mut u = Uploads::default();
        for _ in 0..MAX_UPLOAD_QUEUE + 10 {
            u.request(w(7, 0, 16384), &g, &ours, false).unwrap();
        }
        assert_eq!(u.queue.len(), MAX_UPLOAD_QUEUE);
        assert_eq!(u.ignored(), 10);
        assert_eq!(u.choke(|_| false).len(), MAX_UPLOAD_QUEUE);
        assert!(u.is_empty());
        for _ in 0..MAX_BAD_REQUESTS {
            u.request(w(5000, 0, 1), &g, &ours, false).unwrap();
        }
        assert!(
            u.request(w(5000, 0, 1), &g, &ours, false)
                .unwrap_err()
                .misbehaved
        );
    }
}
