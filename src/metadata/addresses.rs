//! The addresses the metadata fetch may dial: from the magnet's `x.pe`
//! and from trackers, each dialled again only after [`RETRY_GAP`], never
//! again once banned (it broke the protocol or sent metadata that did not
//! hash). Bounded by [`MAX_KNOWN`]: trackers send at most a few hundred.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// How long before an address that closed (refused, timed out, had no
/// metadata) is dialled again. Long enough not to hammer a peer, short
/// enough that a seeder that starts a moment after us is found.
pub const RETRY_GAP: Duration = Duration::from_secs(10);

/// The most addresses remembered; more are ignored.
pub const MAX_KNOWN: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Known {
    /// In the queue.
    Queued,
    /// Handed out at this time (dialled, maybe connected still).
    Dialled(Instant),
    Banned,
}

/// Addresses to dial, in the order they came.
#[derive(Debug, Default)]
pub struct Addresses {
    queue: VecDeque<SocketAddr>,
    known: BTreeMap<SocketAddr, Known>,
}

impl Addresses {
    /// Queues `addr` unless it is queued, banned, or was dialled less
    /// than `RETRY_GAP` before `now`.
    pub fn add(&mut self, addr: SocketAddr, now: Instant) {
        let fresh = match self.known.get(&addr) {
            None => self.known.len() < MAX_KNOWN,
            Some(Known::Dialled(at)) => now.saturating_duration_since(*at) >= RETRY_GAP,
            Some(Known::Queued | Known::Banned) => false,
        };
        if fresh {
            self.known.insert(addr, Known::Queued);
            self.queue.push_back(addr);
        }
    }

    /// The next address to dial.
    pub fn next(&mut self, now: Instant) -> Option<SocketAddr> {
        let addr = self.queue.pop_front()?;
        self.known.insert(addr, Known::Dialled(now));
        Some(addr)
    }

    /// Never dial `addr` again.
    pub fn ban(&mut self, addr: SocketAddr) {
        self.queue.retain(|a| *a != addr);
        self.known.insert(addr, Known::Banned);
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[test]
    fn dedup_retry_and_ban() {
        let t0 = Instant::now();
        let mut q = Addresses::default();
        for port in [1, 2, 1, 3] {
            q.add(a(port), t0);
        }
        q.ban(a(3));
        assert_eq!(
            (q.next(t0), q.next(t0), q.next(t0)),
            (Some(a(1)), Some(a(2)), None)
        );
        // Dialled: not again before the gap, then again.
        q.add(a(1), t0 + RETRY_GAP / 2);
        assert!(q.is_empty());
        q.add(a(1), t0 + RETRY_GAP);
        q.add(a(3), t0 + RETRY_GAP);
        assert_eq!(q.next(t0 + RETRY_GAP), Some(a(1)));
        assert_eq!(q.next(t0 + RETRY_GAP), None, "banned stays banned");
    }

    #[test]
    fn memory_is_bounded() {
        let t0 = Instant::now();
        let mut q = Addresses::default();
        for i in 0..(MAX_KNOWN as u32 + 100) {
            q.add(SocketAddr::from((i.to_be_bytes(), 1)), t0);
        }
        assert_eq!(q.queue.len(), MAX_KNOWN);
    }
}
