//! An iterative lookup (BEP 5, "Overview"; Kademlia's node lookup): ask
//! the nodes closest to a target for closer ones, until no closer node
//! answers.
//!
//! The lookup is a state machine with no socket: the DHT thread asks it
//! whom to query ([`Lookup::next_queries`]), and tells it what came back
//! ([`Lookup::answered`], [`Lookup::failed`]). It keeps the candidates
//! sorted by distance to the target, at most [`MAX_CANDIDATES`] of them,
//! with [`ALPHA`] queries in flight. It is done when the [`K`] closest
//! candidates that did not fail have all answered, or after
//! [`MAX_QUERIES`] queries or [`MAX_TIME`], whichever comes first.
//!
//! ```text
//!  target 0110 1100 ...
//!  asked  0100 ...  (2 bits in common) -> names 0110 0..., 0111 1...
//!  asked  0110 0... (4 bits)           -> names 0110 1101 ...
//!  asked  0110 1101 (7 bits)           -> values: 3 peers, a token
//!  ... until the 8 closest have all answered
//! ```
//!
//! A `get_peers` lookup also collects the peers in `values` (at most
//! [`MAX_PEERS`], no duplicates) and each answering node's token, for the
//! `announce_peer` that follows ([`Lookup::announce_to`]).
//!
//! What it deliberately does not do: send, time out single queries (the
//! transactions table does, and calls `failed`), or trust a response to
//! be honest: a node naming a thousand nodes adds at most
//! [`MAX_CANDIDATES`], and our own id is never a candidate.

use super::contact::Contact;
use super::krpc::Response;
use super::node_id::NodeId;
use super::routing::K;
use std::net::SocketAddrV4;
use std::time::{Duration, Instant};

/// Queries in flight at once (Kademlia's alpha).
pub const ALPHA: usize = 3;
/// Most queries one lookup sends.
pub const MAX_QUERIES: usize = 64;
/// Longest a lookup runs.
pub const MAX_TIME: Duration = Duration::from_secs(15);
/// Most candidates kept (the closest).
pub const MAX_CANDIDATES: usize = 64;
/// Most peers collected.
pub const MAX_PEERS: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Fresh,
    Asked,
    Answered { token: Option<Vec<u8>> },
    Failed,
}

#[derive(Debug, Clone)]
struct Candidate {
    contact: Contact,
    state: State,
}

/// One answer, as `bitsy dht get-peers` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    pub from: Contact,
    /// Leading bits the node's id shares with the target.
    pub common_bits: usize,
    /// Nodes it named that were new to this lookup.
    pub new_nodes: usize,
    /// Peers it gave that were new to this lookup.
    pub new_peers: usize,
}

#[derive(Debug)]
pub struct Lookup {
    target: NodeId,
    own: NodeId,
    candidates: Vec<Candidate>,
    in_flight: usize,
    queries: usize,
    peers: Vec<SocketAddrV4>,
    started: Instant,
}

impl Lookup {
    /// A lookup for `target`, starting from `seeds` (the routing table's
    /// closest, or the bootstrap nodes). `own` is never queried.
    pub fn new(target: NodeId, own: NodeId, seeds: &[Contact], now: Instant) -> Lookup {
        let mut l = Lookup {
            target,
            own,
            candidates: Vec::new(),
            in_flight: 0,
            queries: 0,
            peers: Vec::new(),
            started: now,
        };
        l.add(seeds);
        l
    }

    pub fn target(&self) -> NodeId {
        self.target
    }

    /// More starting points (nodes met while bootstrapping); those known
    /// already are skipped.
    pub fn add_seeds(&mut self, seeds: &[Contact]) {
        self.add(seeds);
    }

    /// Peers known without asking (those announced to our own node);
    /// reported like the ones answers bring.
    pub fn add_peers(&mut self, peers: &[SocketAddrV4]) {
        for p in peers {
            if self.peers.len() < MAX_PEERS && !self.peers.contains(p) {
                self.peers.push(*p);
            }
        }
    }

    /// The next nodes to query (closest fresh ones), marked as asked;
    /// empty while [`ALPHA`] are in flight or when done.
    pub fn next_queries(&mut self, now: Instant) -> Vec<Contact> {
        let mut out = Vec::new();
        if self.is_done(now) {
            return out;
        }
        for c in self.candidates.iter_mut() {
            if self.in_flight >= ALPHA || self.queries >= MAX_QUERIES {
                break;
            }
            if c.state == State::Fresh {
                c.state = State::Asked;
                self.in_flight += 1;
                self.queries += 1;
                out.push(c.contact);
            }
        }
        out
    }

    /// `from` answered: its nodes become candidates, its peers are kept.
    /// `None` if we were not waiting for it.
    pub fn answered(&mut self, from: &NodeId, r: &Response) -> Option<Hop> {
        let c = self.candidates.iter_mut().find(|c| c.contact.id == *from)?;
        if c.state != State::Asked {
            return None;
        }
        c.state = State::Answered {
            token: r.token.clone(),
        };
        let contact = c.contact;
        self.in_flight -= 1;
        let new_nodes = self.add(&r.nodes);
        let before = self.peers.len();
        self.add_peers(&r.values);
        Some(Hop {
            from: contact,
            common_bits: contact.id.common_prefix(&self.target),
            new_nodes,
            new_peers: self.peers.len() - before,
        })
    }

    /// A query to `from` timed out or was answered with an error.
    pub fn failed(&mut self, from: &NodeId) {
        if let Some(c) = self.candidates.iter_mut().find(|c| c.contact.id == *from)
            && c.state == State::Asked
        {
            c.state = State::Failed;
            self.in_flight -= 1;
        }
    }

    /// True when the [`K`] closest live candidates have all answered, or
    /// nothing is left to ask and nothing is in flight, or the query or
    /// time budget is spent. A lookup that never had a candidate (the
    /// table is empty, bootstrap answers may still bring some) ends only
    /// by time.
    pub fn is_done(&self, now: Instant) -> bool {
        if now.saturating_duration_since(self.started) >= MAX_TIME {
            return true;
        }
        if self.candidates.is_empty() {
            return false;
        }
        let settled = self
            .candidates
            .iter()
            .filter(|c| c.state != State::Failed)
            .take(K)
            .all(|c| matches!(c.state, State::Answered { .. }));
        let spent = self.queries >= MAX_QUERIES && self.in_flight == 0;
        let idle = self.in_flight == 0 && !self.candidates.iter().any(|c| c.state == State::Fresh);
        settled || spent || idle
    }

    /// The peers found so far.
    pub fn peers(&self) -> &[SocketAddrV4] {
        &self.peers
    }

    /// The [`K`] closest nodes that answered with a token, for
    /// `announce_peer`.
    pub fn announce_to(&self) -> Vec<(Contact, Vec<u8>)> {
        self.candidates
            .iter()
            .filter_map(|c| match &c.state {
                State::Answered { token: Some(t) } => Some((c.contact, t.clone())),
                _ => None,
            })
            .take(K)
            .collect()
    }

    /// The [`K`] closest nodes that answered (a `find_node` lookup's
    /// result).
    pub fn closest_answered(&self) -> Vec<Contact> {
        self.candidates
            .iter()
            .filter(|c| matches!(c.state, State::Answered { .. }))
            .take(K)
            .map(|c| c.contact)
            .collect()
    }

    /// Adds contacts not seen yet, keeping the closest
    /// [`MAX_CANDIDATES`]; returns how many were new.
    fn add(&mut self, contacts: &[Contact]) -> usize {
        let mut new = 0;
        for c in contacts {
            let known = self
                .candidates
                .iter()
                .any(|k| k.contact.id == c.id || k.contact.addr == c.addr);
            if c.id == self.own || known {
                continue;
            }
            self.candidates.push(Candidate {
                contact: *c,
                state: State::Fresh,
            });
            new += 1;
        }
        let target = self.target;
        self.candidates
            .sort_by_key(|c| c.contact.id.distance(&target));
        // Drop the farthest beyond the cap, but never one in flight
        // (its answer or time-out must still find it).
        while self.candidates.len() > MAX_CANDIDATES {
            match self
                .candidates
                .iter()
                .rposition(|c| c.state != State::Asked)
            {
                Some(i) => {
                    self.candidates.remove(i);
                }
                None => break,
            }
        }
        new
    }
}

#[cfg(test)]
mod tests;
