//! The requests a peer has queued with us, waiting to be served.
//!
//! A `request` is queued only if we unchoke the peer, the piece is one we
//! have, and `Geometry::request` accepts the range (inside the piece,
//! 1..=16 KiB). Otherwise it is ignored and counted:
//! - while we choke the peer, requests are dropped without blame: requests
//!   the peer sent before our `choke` reached it are still on the wire;
//! - a range outside the torrent or a piece we lack is the peer's fault;
//!   after [`MAX_BAD_REQUESTS`] of them the peer is dropped;
//! - past [`MAX_UPLOAD_QUEUE`] queued requests, more are ignored.
//!
//! Invariant: the queue holds at most `MAX_UPLOAD_QUEUE` valid blocks of
//! pieces we have (a repeated request is served twice, as asked). Choking the peer empties it (BEP 3).

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

/// The raw fields of a `request` or `cancel`.
#[derive(Clone, Copy)]
pub(super) struct Wanted {
    pub index: u32,
    pub begin: u32,
    pub length: u32,
}

impl Uploads {
    /// Handles one incoming `request`.
    pub(super) fn request(
        &mut self,
        w: Wanted,
        geometry: &Geometry,
        ours: &Bitfield,
        choking: bool,
    ) -> Result<(), Close> {
        if choking {
            self.ignored += 1;
            return Ok(());
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
            return Ok(());
        };
        if self.queue.len() >= MAX_UPLOAD_QUEUE {
            self.ignored += 1;
            return Ok(());
        }
        self.queue.push_back(block);
        Ok(())
    }

    /// Handles an incoming `cancel`: forgets the matching queued request.
    pub(super) fn cancel(&mut self, w: Wanted) {
        self.queue
            .retain(|b| (b.piece.get(), b.offset, b.len) != (w.index, w.begin, w.length));
    }

    /// We choked the peer: its requests are void.
    pub(super) fn clear(&mut self) {
        self.queue.clear();
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
        u.request(w(0, 0, 16384), &g, &ours, true).unwrap(); // choked: ignored
        assert!(u.is_empty());
        u.request(w(1, 0, 16384), &g, &ours, false).unwrap(); // piece we lack
        u.request(w(2, 0, 16384), &g, &ours, false).unwrap(); // no such piece
        u.request(w(0, 0, 16385), &g, &ours, false).unwrap(); // too long
        assert!(u.is_empty());
        assert_eq!(u.bad, 3);
        u.request(w(0, 100, 1000), &g, &ours, false).unwrap(); // any range is fine
        u.request(w(0, 16384, 16384), &g, &ours, false).unwrap();
        assert_eq!(u.ignored(), 1);
        u.cancel(w(0, 100, 1000));
        let b = u.pop().unwrap();
        assert_eq!((b.offset, b.len), (16384, 16384));
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
        u.clear();
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
