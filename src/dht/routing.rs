//! The routing table (BEP 5, "Routing Table"): the nodes this node knows,
//! many near its own id and few far away.
//!
//! BEP 5 describes buckets as ranges of the id space, starting with one
//! bucket for all of it, where only the bucket holding our own id may
//! split. Since only that bucket ever splits, the ranges are exactly
//! "ids sharing `i` leading bits with ours and differing at bit `i`",
//! one per depth `i`, plus the last bucket holding everything at least
//! as deep. That is how they are stored: `buckets[i]` for depth `i`, the
//! last one splitting by pushing a new last one.
//!
//! ```text
//!  own id  0110 1...
//!  bucket 0    1... ...   (differ at bit 0: half the space)
//!  bucket 1    00.. ...   (share 1 bit)
//!  bucket 2    010. ...   (share 2 bits)
//!  bucket 3    0111 ...   and deeper, until it is full and splits
//! ```
//!
//! Each bucket holds at most [`K`] nodes. A node is good if it answered
//! one of our queries in the last 15 minutes, or ever answered and has
//! queried us in the last 15 minutes, and has not missed our last query;
//! questionable otherwise; bad after [`MAX_FAILS`] unanswered queries in
//! a row. A full
//! bucket that cannot split takes a newcomer only in place of a bad
//! node; if it holds a questionable one, [`RoutingTable::insert`] names
//! the least recently seen for the caller to ping, and the newcomer is
//! dropped (it will be met again). A bucket unchanged for 15 minutes is
//! due for a refresh: a `find_node` for a random id in its range.
//!
//! Invariants: at most `K` nodes per bucket and [`MAX_BUCKETS`] buckets,
//! so at most 1,280 nodes; our own id is never in the table; one node
//! per address (a second id claiming a known address is ignored, so one
//! host cannot fill the table).
//!
//! What it deliberately does not do: send anything (the caller pings and
//! refreshes), or persist itself (`state.rs` reads [`RoutingTable::contacts`]).

use super::contact::Contact;
use super::node_id::{ID_BITS, NodeId};
use crate::rng::Rng;
use std::net::SocketAddrV4;
use std::time::{Duration, Instant};

/// Nodes per bucket (BEP 5: "currently eight").
pub const K: usize = 8;

/// Most buckets: one per bit of depth.
pub const MAX_BUCKETS: usize = ID_BITS;

/// How long a node stays good after it last answered us, and how long a
/// bucket may stay unchanged before it is refreshed.
pub const GOOD_FOR: Duration = Duration::from_secs(15 * 60);

/// Unanswered queries in a row that make a node bad (BEP 5 suggests
/// trying once more before discarding a node).
pub const MAX_FAILS: u32 = 2;

/// What BEP 5 calls a node's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Good,
    Questionable,
    Bad,
}

#[derive(Debug, Clone)]
struct Node {
    contact: Contact,
    /// When it last answered one of our queries.
    answered: Option<Instant>,
    /// When it last queried us.
    queried: Option<Instant>,
    /// Unanswered queries in a row.
    fails: u32,
}

impl Node {
    fn status(&self, now: Instant) -> Status {
        let recent =
            |t: Option<Instant>| t.is_some_and(|t| now.saturating_duration_since(t) < GOOD_FOR);
        if self.fails >= MAX_FAILS {
            Status::Bad
        } else if self.fails == 0
            && (recent(self.answered) || (self.answered.is_some() && recent(self.queried)))
        {
            Status::Good
        } else {
            Status::Questionable
        }
    }

    /// When we last heard from it at all.
    fn seen(&self) -> Option<Instant> {
        self.answered.max(self.queried)
    }
}

#[derive(Debug, Clone)]
struct Bucket {
    nodes: Vec<Node>,
    changed: Instant,
}

/// What [`RoutingTable::insert`] did with a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inserted {
    /// New in the table.
    Added,
    /// Already there: its times were updated.
    Updated,
    /// Not added: the bucket is full of good nodes, or the id or address
    /// cannot be taken (our own id, an address another id holds).
    Dropped,
    /// Not added; the bucket holds this questionable node, least recently
    /// seen: ping it, and the slot frees once it fails [`MAX_FAILS`] times.
    PingFirst(Contact),
}

/// How a node came to our notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard {
    /// It answered a query of ours.
    Answered,
    /// It queried us (BEP 43 read-only nodes are never inserted).
    Queried,
    /// Another node named it (`nodes`), or the user or a peer did
    /// (bootstrap, the `port` message): unknown until it answers.
    Named,
}

#[derive(Debug)]
pub struct RoutingTable {
    own: NodeId,
    buckets: Vec<Bucket>,
}

impl RoutingTable {
    pub fn new(own: NodeId, now: Instant) -> RoutingTable {
        RoutingTable {
            own,
            buckets: vec![Bucket {
                nodes: Vec::new(),
                changed: now,
            }],
        }
    }

    pub fn own_id(&self) -> NodeId {
        self.own
    }

    /// Nodes in the table.
    pub fn len(&self) -> usize {
        self.buckets.iter().map(|b| b.nodes.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Buckets (1 to [`MAX_BUCKETS`]).
    pub fn buckets(&self) -> usize {
        self.buckets.len()
    }

    /// Records that we heard of `contact` (`how`), adding it if there is
    /// room by BEP 5's rules.
    pub fn insert(&mut self, contact: Contact, how: Heard, now: Instant) -> Inserted {
        if contact.id == self.own {
            return Inserted::Dropped;
        }
        if let Some(node) = self.node_mut(&contact.id) {
            if node.contact.addr != contact.addr {
                // A known id from another address: keep what we know.
                return Inserted::Dropped;
            }
            match how {
                Heard::Answered => {
                    node.answered = Some(now);
                    node.fails = 0;
                }
                Heard::Queried => node.queried = Some(now),
                Heard::Named => {}
            }
            if how == Heard::Answered {
                let i = self.index(&contact.id);
                self.buckets[i].changed = now;
            }
            return Inserted::Updated;
        }
        if self.holds_addr(&contact.addr) {
            return Inserted::Dropped;
        }
        let node = Node {
            contact,
            answered: (how == Heard::Answered).then_some(now),
            queried: (how == Heard::Queried).then_some(now),
            fails: 0,
        };
        loop {
            let i = self.index(&contact.id);
            let count = self.buckets.len();
            let bucket = &mut self.buckets[i];
            if bucket.nodes.len() < K {
                bucket.nodes.push(node);
                bucket.changed = now;
                return Inserted::Added;
            }
            if let Some(bad) = bucket
                .nodes
                .iter()
                .position(|n| n.status(now) == Status::Bad)
            {
                bucket.nodes[bad] = node;
                bucket.changed = now;
                return Inserted::Added;
            }
            if i == count - 1 && count < MAX_BUCKETS {
                self.split(now);
                continue;
            }
            let oldest = bucket
                .nodes
                .iter()
                .filter(|n| n.status(now) == Status::Questionable)
                .min_by_key(|n| n.seen());
            return match oldest {
                Some(n) => Inserted::PingFirst(n.contact),
                None => Inserted::Dropped,
            };
        }
    }

    /// A query to `id` went unanswered.
    pub fn failed(&mut self, id: &NodeId) {
        if let Some(node) = self.node_mut(id) {
            node.fails = node.fails.saturating_add(1);
        }
    }

    pub fn status(&self, id: &NodeId, now: Instant) -> Option<Status> {
        let i = self.index(id);
        self.buckets[i]
            .nodes
            .iter()
            .find(|n| n.contact.id == *id)
            .map(|n| n.status(now))
    }

    /// Up to `n` nodes closest to `target`, nearest first; good nodes
    /// before questionable ones at the same rank, bad ones never (what a
    /// `find_node` or `get_peers` answer carries, and where a lookup
    /// starts).
    pub fn closest(&self, target: &NodeId, n: usize, now: Instant) -> Vec<Contact> {
        let mut all: Vec<(Status, &Node)> = self
            .buckets
            .iter()
            .flat_map(|b| &b.nodes)
            .map(|node| (node.status(now), node))
            .filter(|(s, _)| *s != Status::Bad)
            .collect();
        all.sort_by_key(|(s, node)| (node.contact.id.distance(target), *s != Status::Good));
        all.into_iter()
            .take(n)
            .map(|(_, node)| node.contact)
            .collect()
    }

    /// A random target in each bucket unchanged for [`GOOD_FOR`], for a
    /// `find_node` refresh; each such bucket counts as changed from now
    /// (one refresh per quiet period).
    pub fn due_refreshes(&mut self, now: Instant, rng: &mut Rng) -> Vec<NodeId> {
        let own = self.own;
        let mut out = Vec::new();
        for (depth, b) in self.buckets.iter_mut().enumerate() {
            if now.saturating_duration_since(b.changed) >= GOOD_FOR {
                b.changed = now;
                out.push(own.random_at(depth, rng));
            }
        }
        out
    }

    /// Every node, for saving the table.
    pub fn contacts(&self) -> Vec<Contact> {
        self.buckets
            .iter()
            .flat_map(|b| &b.nodes)
            .map(|n| n.contact)
            .collect()
    }

    /// The bucket for `id`: its depth, or the last bucket's if deeper.
    fn index(&self, id: &NodeId) -> usize {
        self.own.common_prefix(id).min(self.buckets.len() - 1)
    }

    fn node_mut(&mut self, id: &NodeId) -> Option<&mut Node> {
        let i = self.index(id);
        self.buckets[i]
            .nodes
            .iter_mut()
            .find(|n| n.contact.id == *id)
    }

    fn holds_addr(&self, addr: &SocketAddrV4) -> bool {
        self.buckets
            .iter()
            .flat_map(|b| &b.nodes)
            .any(|n| n.contact.addr == *addr)
    }

    /// Splits the last bucket: nodes deeper than its depth move to a new
    /// last bucket.
    fn split(&mut self, now: Instant) {
        let depth = self.buckets.len() - 1;
        let own = self.own;
        let Some(last) = self.buckets.last_mut() else {
            return;
        };
        let (deeper, stay): (Vec<Node>, Vec<Node>) = std::mem::take(&mut last.nodes)
            .into_iter()
            .partition(|n| own.common_prefix(&n.contact.id) > depth);
        last.nodes = stay;
        self.buckets.push(Bucket {
            nodes: deeper,
            changed: now,
        });
    }
}

#[cfg(test)]
mod tests;
