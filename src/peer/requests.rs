//! The blocks we asked this peer for and have not received.
//!
//! A `piece` message is forwarded to the main thread only if its block is
//! in this set, and is taken out of it on arrival, so each requested block
//! is delivered at most once. The set is emptied when the peer chokes us
//! (BEP 3: a choke voids every request); the main thread does the same on
//! the `Choke` event, so both views agree.
//!
//! Blocks that arrive unasked are normal in small numbers (a `cancel` or a
//! choke crossed the block on the wire), so each one is a strike and each
//! wanted block takes a strike away; a peer that reaches
//! [`MAX_UNREQUESTED_STRIKES`] is sending mostly junk and is dropped.
//!
//! This module does not decide what to request; the main thread does.

use super::Close;
use crate::geometry::BlockRef;
use std::collections::HashSet;

/// Net unrequested blocks tolerated. Well above the requests a single
/// cancel-all or choke can leave in flight (our pipeline is far shorter).
pub const MAX_UNREQUESTED_STRIKES: u32 = 128;

#[derive(Default)]
pub(super) struct Requests {
    outstanding: HashSet<BlockRef>,
    strikes: u32,
}

impl Requests {
    /// Records a request; false if it was already outstanding.
    pub(super) fn insert(&mut self, block: BlockRef) -> bool {
        self.outstanding.insert(block)
    }

    /// Forgets a request; false if it was not outstanding.
    pub(super) fn remove(&mut self, block: BlockRef) -> bool {
        self.outstanding.remove(&block)
    }

    /// The peer choked us: every request is void.
    pub(super) fn clear(&mut self) {
        self.outstanding.clear();
    }

    /// A `piece` arrived; `block` is what `Geometry::exact_block` made of
    /// it. Returns the block if we wanted it, `None` if it is to be ignored,
    /// or an error once the peer has sent too much we did not ask for.
    pub(super) fn arrived(&mut self, block: Option<BlockRef>) -> Result<Option<BlockRef>, Close> {
        match block {
            Some(b) if self.outstanding.remove(&b) => {
                self.strikes = self.strikes.saturating_sub(1);
                Ok(Some(b))
            }
            _ => {
                self.strikes += 1;
                if self.strikes >= MAX_UNREQUESTED_STRIKES {
                    return Err(Close::misbehaved("too many blocks we did not request"));
                }
                Ok(None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Geometry;

    #[test]
    fn only_requested_blocks_pass_once() {
        let g = Geometry::new(64 * 1024, 32 * 1024, 2).unwrap();
        let a = g.exact_block(0, 0, 16384);
        let b = g.exact_block(1, 16384, 16384);
        let mut r = Requests::default();
        assert!(r.insert(a.unwrap()));
        assert!(!r.insert(a.unwrap()));
        assert_eq!(r.arrived(a).unwrap(), a);
        assert_eq!(r.arrived(a).unwrap(), None); // a duplicate
        assert_eq!(r.arrived(b).unwrap(), None); // never asked
        assert_eq!(r.arrived(None).unwrap(), None); // not a block at all
        r.insert(b.unwrap());
        r.clear();
        assert_eq!(r.arrived(b).unwrap(), None);
    }

    #[test]
    fn junk_senders_are_dropped() {
        let mut r = Requests::default();
        for _ in 1..MAX_UNREQUESTED_STRIKES {
            assert!(r.arrived(None).is_ok());
        }
        assert!(r.arrived(None).unwrap_err().misbehaved);
    }
}
