//! Queries in flight: the transaction ids (`t`, BEP 5) this node sent,
//! so each response or error is matched to the query it answers.
//!
//! A response names nothing but the `t` we chose, so that id, and the
//! address we sent to, are all that ties it to a query. A datagram whose
//! `t` we never sent, or that comes from another address than the one
//! we asked, is not an answer and is dropped: responses to queries never
//! sent cannot feed the routing table or a lookup.
//!
//! Ids are two bytes (BEP 5: "2 characters ... cover 2^16 outstanding
//! queries"), counting up from a random start so they are not guessable
//! from outside at first sight. A query unanswered for [`TIMEOUT`]
//! expires; at most [`MAX_IN_FLIGHT`] are outstanding, and a new one
//! beyond that is refused (the caller waits for the next tick), so the
//! node never sends a flood.
//!
//! What it deliberately does not do: send or retry (BEP 5: "There is no
//! retry"), or decide what an answer means (the caller keeps the
//! [`Purpose`]).

use super::node_id::NodeId;
use std::collections::HashMap;
use std::net::SocketAddrV4;
use std::time::{Duration, Instant};

/// How long a query may go unanswered.
pub const TIMEOUT: Duration = Duration::from_secs(4);
/// Most queries outstanding at once.
pub const MAX_IN_FLIGHT: usize = 256;

/// Why a query was sent: what its answer is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A ping: checking a questionable node, or one a peer named.
    Ping,
    /// A step of lookup number `n`.
    Lookup(u64),
    /// A `find_node` to a bootstrap address, while the table is empty.
    Bootstrap,
    /// An `announce_peer` after a lookup.
    Announce,
}

/// One query in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pending {
    pub to: SocketAddrV4,
    /// The id we believe the node has (None for a bootstrap address).
    pub node: Option<NodeId>,
    pub purpose: Purpose,
    pub sent: Instant,
}

#[derive(Debug)]
pub struct Transactions {
    next: u16,
    pending: HashMap<u16, Pending>,
}

impl Transactions {
    pub fn new() -> Transactions {
        Transactions {
            next: crate::rng::random_u64() as u16,
            pending: HashMap::new(),
        }
    }

    /// Records a query about to be sent; its `t`, or `None` if
    /// [`MAX_IN_FLIGHT`] are outstanding.
    pub fn open(&mut self, p: Pending) -> Option<[u8; 2]> {
        if self.pending.len() >= MAX_IN_FLIGHT {
            return None;
        }
        // With fewer than 2^16 outstanding a free id is always found.
        loop {
            let t = self.next;
            self.next = self.next.wrapping_add(1);
            if let std::collections::hash_map::Entry::Vacant(e) = self.pending.entry(t) {
                e.insert(p);
                return Some(t.to_be_bytes());
            }
        }
    }

    /// The query a datagram with `tid` from `from` answers, removed; or
    /// `None` if we sent no such query to that address.
    pub fn close(&mut self, tid: &[u8], from: SocketAddrV4) -> Option<Pending> {
        let t = u16::from_be_bytes(<[u8; 2]>::try_from(tid).ok()?);
        match self.pending.get(&t) {
            Some(p) if p.to == from => self.pending.remove(&t),
            _ => None,
        }
    }

    /// Removes and returns the queries unanswered for [`TIMEOUT`].
    pub fn expire(&mut self, now: Instant) -> Vec<Pending> {
        let mut out = Vec::new();
        self.pending.retain(|_, p| {
            let live = now.saturating_duration_since(p.sent) < TIMEOUT;
            if !live {
                out.push(*p);
            }
            live
        });
        out
    }

    pub fn len(&self) -> usize {
        self.pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}

impl Default for Transactions {
    fn default() -> Self {
        Transactions::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(port: u16, sent: Instant) -> Pending {
        Pending {
            to: SocketAddrV4::new([127, 0, 0, 2].into(), port),
            node: None,
            purpose: Purpose::Ping,
            sent,
        }
    }

    #[test]
    fn an_answer_matches_its_query_once_and_only_from_its_address() {
        let now = Instant::now();
        let mut t = Transactions::new();
        let p = pending(6881, now);
        let tid = t.open(p).unwrap();
        let elsewhere = SocketAddrV4::new([127, 0, 0, 3].into(), 6881);
        assert_eq!(t.close(&tid, elsewhere), None, "another address");
        assert_eq!(t.close(&[tid[0]], p.to), None, "a 1-byte t");
        assert_eq!(t.close(&[tid[0], tid[1], 0], p.to), None, "a 3-byte t");
        assert_eq!(t.close(&tid, p.to), Some(p));
        assert_eq!(t.close(&tid, p.to), None, "only once");
        assert!(t.is_empty());
    }

    #[test]
    fn ids_are_distinct_and_the_table_is_bounded() {
        let now = Instant::now();
        let mut t = Transactions::new();
        let mut seen = std::collections::HashSet::new();
        for i in 0..MAX_IN_FLIGHT {
            let tid = t.open(pending(i as u16 + 1, now)).unwrap();
            assert!(seen.insert(tid), "duplicate t");
        }
        assert_eq!(t.open(pending(1, now)), None, "full");
        assert_eq!(t.len(), MAX_IN_FLIGHT);
    }

    #[test]
    fn unanswered_queries_expire() {
        let now = Instant::now();
        let mut t = Transactions::new();
        t.open(pending(1, now)).unwrap();
        let young = t.open(pending(2, now + TIMEOUT / 2)).unwrap();
        let gone = t.expire(now + TIMEOUT);
        assert_eq!(gone.len(), 1);
        assert_eq!(gone[0].to.port(), 1);
        assert!(t.close(&young, pending(2, now).to).is_some());
    }
}
