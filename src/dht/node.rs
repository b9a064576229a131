//! One DHT node, without its socket: datagrams and ticks in, datagrams
//! and findings out.
//!
//! [`Node`] ties the parts together. A datagram from the socket goes to
//! [`Node::on_datagram`]: a query is rate-limited and answered
//! (`server.rs`), and its sender, unless read-only, is offered to the
//! routing table; a response or error is matched to our query
//! (`transactions.rs`) or dropped, its sender is offered to the table,
//! and a lookup waiting for it moves on (`lookup.rs`). [`Node::on_tick`]
//! expires queries, rotates the token secret, bootstraps (once at the
//! start, then whenever the table is empty),
//! refreshes quiet buckets and finishes lookups (announcing, for a
//! `get_peers` that asked to). Everything to send comes back as
//! [`Out::Send`], so a test can wire nodes together in memory, and the
//! thread (`thread.rs`) only moves bytes.
//!
//! Invariants: every query sent holds a transaction slot (so at most
//! `transactions::MAX_IN_FLIGHT` are outstanding); a datagram produces at
//! most one answer plus one ping; at most [`MAX_LOOKUPS`] lookups run.
//!
//! What it deliberately does not do: resolve host names (the caller
//! passes addresses), or know about torrents beyond their infohash.

use super::contact::Contact;
use super::krpc::{Body, Message, Method, Query, Response};
use super::lookup::{Hop, Lookup};
use super::node_id::NodeId;
use super::routing::{Heard, Inserted, K, RoutingTable};
use super::server::{self, RateLimit};
use super::store::PeerStore;
use super::token::Tokens;
use super::transactions::{Pending, Purpose, Transactions};
use crate::rng::Rng;
use std::collections::BTreeMap;
use std::net::SocketAddrV4;
use std::time::{Duration, Instant};

/// Most lookups at once (the session's, the command line's, refreshes).
pub const MAX_LOOKUPS: usize = 16;
/// Most bootstrap addresses kept (the command line's and the routers').
pub const MAX_BOOTSTRAP: usize = 32;
/// How often an empty table asks the bootstrap nodes again.
pub const BOOTSTRAP_EVERY: Duration = Duration::from_secs(10);

/// What the node wants done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Out {
    /// Send these bytes to this address.
    Send(SocketAddrV4, Vec<u8>),
    /// A `get_peers` lookup for `info_hash` found these (new) peers.
    Peers(NodeId, Vec<SocketAddrV4>),
    /// A lookup for `target` heard an answer (for `bitsy dht get-peers`).
    Hop(NodeId, Hop),
    /// The lookup for `target` ended, having found `peers` peers.
    Done { target: NodeId, peers: usize },
}

struct Search {
    lookup: Lookup,
    /// `get_peers` (and then maybe `announce_peer` with this port) or,
    /// with `None`, `find_node`.
    get_peers: Option<Option<u16>>,
    reported: usize,
}

pub struct Node {
    table: RoutingTable,
    tokens: Tokens,
    store: PeerStore,
    tx: Transactions,
    rate: RateLimit,
    searches: BTreeMap<u64, Search>,
    next_search: u64,
    bootstrap: Vec<SocketAddrV4>,
    last_bootstrap: Option<Instant>,
    rng: Rng,
}

impl Node {
    pub fn new(id: NodeId, known: &[Contact], bootstrap: Vec<SocketAddrV4>, now: Instant) -> Node {
        let mut table = RoutingTable::new(id, now);
        for c in known {
            table.insert(*c, Heard::Named, now);
        }
        Node {
            table,
            tokens: Tokens::new(now),
            store: PeerStore::default(),
            tx: Transactions::new(),
            rate: RateLimit::default(),
            searches: BTreeMap::new(),
            next_search: 0,
            bootstrap: bootstrap.into_iter().take(MAX_BOOTSTRAP).collect(),
            last_bootstrap: None,
            rng: Rng::from_os(),
        }
    }

    pub fn table(&self) -> &RoutingTable {
        &self.table
    }

    /// Starts a `get_peers` lookup for `info_hash`, to announce `port`
    /// at the end if given. Refused (false) past [`MAX_LOOKUPS`]. Peers
    /// announced to this node itself are among those it reports.
    pub fn get_peers(&mut self, info_hash: NodeId, announce: Option<u16>, now: Instant) -> bool {
        if !self.start(info_hash, Some(announce), now) {
            return false;
        }
        let known = self.store.peers(&info_hash, now);
        if let Some(s) = self.searches.get_mut(&self.next_search) {
            s.lookup.add_peers(&known);
        }
        true
    }

    /// More bootstrap addresses (the well-known routers, once resolved):
    /// an empty table asks them at the next tick.
    pub fn add_bootstrap(&mut self, addrs: &[SocketAddrV4]) {
        for a in addrs {
            if !self.bootstrap.contains(a) && self.bootstrap.len() < MAX_BOOTSTRAP {
                self.bootstrap.push(*a);
            }
        }
        self.last_bootstrap = None;
    }

    /// A node a peer told us about (the `port` message): ping it.
    pub fn add_node(&mut self, addr: SocketAddrV4, now: Instant) -> Vec<Out> {
        self.send(addr, None, Method::Ping, Purpose::Ping, now)
            .into_iter()
            .collect()
    }

    pub fn on_datagram(&mut self, bytes: &[u8], from: SocketAddrV4, now: Instant) -> Vec<Out> {
        let Ok(msg) = Message::decode(bytes) else {
            return Vec::new();
        };
        let own = self.table.own_id();
        let mut out = Vec::new();
        match msg.body {
            Body::Query(q) => {
                if q.sender == own || !self.rate.allow(*from.ip(), now) {
                    return out;
                }
                if !q.read_only {
                    self.offer(
                        Contact {
                            id: q.sender,
                            addr: from,
                        },
                        Heard::Queried,
                        now,
                        &mut out,
                    );
                }
                let body =
                    server::answer(&q, from, &self.table, &self.tokens, &mut self.store, now);
                out.push(Out::Send(from, Message { tid: msg.tid, body }.encode()));
            }
            Body::Response(r) => {
                let Some(p) = self.tx.close(&msg.tid, from) else {
                    return out;
                };
                if r.sender == own {
                    return out;
                }
                self.offer(
                    Contact {
                        id: r.sender,
                        addr: from,
                    },
                    Heard::Answered,
                    now,
                    &mut out,
                );
                match p.purpose {
                    Purpose::Lookup(n) => self.step(n, Some((&r.sender, &r)), now, &mut out),
                    Purpose::Bootstrap => {
                        let mut seeds = r.nodes.clone();
                        seeds.push(Contact {
                            id: r.sender,
                            addr: from,
                        });
                        for s in self.searches.values_mut() {
                            s.lookup.add_seeds(&seeds);
                        }
                    }
                    Purpose::Ping | Purpose::Announce => {}
                }
            }
            Body::Error { .. } => {
                if let Some(p) = self.tx.close(&msg.tid, from) {
                    self.fail(&p);
                }
            }
        }
        self.pump(now, &mut out);
        out
    }

    pub fn on_tick(&mut self, now: Instant) -> Vec<Out> {
        let mut out = Vec::new();
        for p in self.tx.expire(now) {
            self.fail(&p);
        }
        self.tokens.rotate_if_due(now);
        self.store.expire(now);
        let quiet = self
            .last_bootstrap
            .is_none_or(|t| now.saturating_duration_since(t) >= BOOTSTRAP_EVERY);
        // At the start (a saved table may be stale), and whenever the
        // table has emptied.
        let first = self.last_bootstrap.is_none();
        if (first || self.table.is_empty()) && quiet && !self.bootstrap.is_empty() {
            self.last_bootstrap = Some(now);
            let own = self.table.own_id();
            if self.searches.is_empty() {
                self.start(own, None, now);
            }
            for addr in self.bootstrap.clone() {
                let m = Method::FindNode { target: own };
                out.extend(self.send(addr, None, m, Purpose::Bootstrap, now));
            }
        }
        for target in self.table.due_refreshes(now, &mut self.rng) {
            self.start(target, None, now);
        }
        self.pump(now, &mut out);
        out
    }

    fn start(&mut self, target: NodeId, get_peers: Option<Option<u16>>, now: Instant) -> bool {
        if self.searches.len() >= MAX_LOOKUPS {
            return false;
        }
        let seeds = self.table.closest(&target, K, now);
        let lookup = Lookup::new(target, self.table.own_id(), &seeds, now);
        self.next_search += 1;
        let search = Search {
            lookup,
            get_peers,
            reported: 0,
        };
        self.searches.insert(self.next_search, search);
        true
    }

    /// Sends what every lookup may send now, and ends the finished ones.
    fn pump(&mut self, now: Instant, out: &mut Vec<Out>) {
        let ids: Vec<u64> = self.searches.keys().copied().collect();
        for n in ids {
            self.step(n, None, now, out);
        }
    }

    /// Feeds lookup `n` an answer (if any), sends its next queries, and
    /// ends it when it is done.
    fn step(
        &mut self,
        n: u64,
        answer: Option<(&NodeId, &Response)>,
        now: Instant,
        out: &mut Vec<Out>,
    ) {
        let Some(s) = self.searches.get_mut(&n) else {
            return;
        };
        let target = s.lookup.target();
        if let Some((from, r)) = answer
            && let Some(hop) = s.lookup.answered(from, r)
        {
            out.push(Out::Hop(target, hop));
        }
        let peers = s.lookup.peers();
        if peers.len() > s.reported && s.get_peers.is_some() {
            out.push(Out::Peers(target, peers[s.reported..].to_vec()));
            s.reported = peers.len();
        }
        let get_peers = s.get_peers.is_some();
        let method = |target| match get_peers {
            true => Method::GetPeers { info_hash: target },
            false => Method::FindNode { target },
        };
        let asks: Vec<(Contact, Method)> = s
            .lookup
            .next_queries(now)
            .into_iter()
            .map(|c| (c, method(target)))
            .collect();
        let done = s.lookup.is_done(now);
        for (c, m) in asks {
            match self.send(c.addr, Some(c.id), m, Purpose::Lookup(n), now) {
                Some(o) => out.push(o),
                None => {
                    if let Some(s) = self.searches.get_mut(&n) {
                        s.lookup.failed(&c.id);
                    }
                }
            }
        }
        if !done {
            return;
        }
        let Some(s) = self.searches.remove(&n) else {
            return;
        };
        out.push(Out::Done {
            target,
            peers: s.lookup.peers().len(),
        });
        if let Some(Some(port)) = s.get_peers {
            for (c, token) in s.lookup.announce_to() {
                let m = Method::AnnouncePeer {
                    info_hash: target,
                    port,
                    implied_port: false,
                    token,
                };
                out.extend(self.send(c.addr, Some(c.id), m, Purpose::Announce, now));
            }
        }
    }

    /// A query of ours failed (time-out or error): the node and its
    /// lookup learn of it.
    fn fail(&mut self, p: &Pending) {
        if let Some(id) = p.node {
            self.table.failed(&id);
            if let Purpose::Lookup(n) = p.purpose
                && let Some(s) = self.searches.get_mut(&n)
            {
                s.lookup.failed(&id);
            }
        }
    }

    /// Offers a node to the table; pings the questionable one it names.
    fn offer(&mut self, c: Contact, how: Heard, now: Instant, out: &mut Vec<Out>) {
        if let Inserted::PingFirst(old) = self.table.insert(c, how, now) {
            out.extend(self.send(old.addr, Some(old.id), Method::Ping, Purpose::Ping, now));
        }
    }

    fn send(
        &mut self,
        to: SocketAddrV4,
        node: Option<NodeId>,
        method: Method,
        purpose: Purpose,
        now: Instant,
    ) -> Option<Out> {
        let tid = self.tx.open(Pending {
            to,
            node,
            purpose,
            sent: now,
        })?;
        let query = Query {
            sender: self.table.own_id(),
            method,
            read_only: false,
        };
        let msg = Message {
            tid: tid.to_vec(),
            body: Body::Query(query),
        };
        Some(Out::Send(to, msg.encode()))
    }
}

#[cfg(test)]
mod tests;
