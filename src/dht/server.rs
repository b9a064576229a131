//! Answering other nodes (BEP 5, "DHT Queries"): what a good citizen of
//! the DHT replies, and how often it is willing to.
//!
//! ```text
//!  query          answer
//!  ping           id
//!  find_node      id, nodes: the 8 closest to `target` we know
//!  get_peers      id, token, values: peers announced for `info_hash`
//!                 (or, with none, nodes: the 8 closest to it)
//!  announce_peer  id, after checking the token against the sender's IP;
//!                 stores IP and `port` (the UDP source port if
//!                 `implied_port` is 1); a bad token is error 203
//!  anything else  error 204
//! ```
//!
//! [`RateLimit`] keeps a token bucket per IP address: [`BURST`] queries at
//! once, [`PER_SECOND`] after that; queries beyond it get no answer at
//! all, so a flood costs us a hash-map lookup per datagram and never
//! makes bitsy send one. It tracks at most [`MAX_TRACKED`] addresses.
//!
//! What it deliberately does not do: touch the socket, or the routing
//! table (the thread adds the querying node, unless it is read-only).

use super::krpc::{Body, ERROR_METHOD_UNKNOWN, ERROR_PROTOCOL, Method, Query, Response};
use super::routing::{K, RoutingTable};
use super::store::PeerStore;
use super::token::Tokens;
use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Instant;

/// Queries answered at once from one address.
pub const BURST: f64 = 20.0;
/// Queries per second answered from one address after the burst.
pub const PER_SECOND: f64 = 10.0;
/// Most addresses tracked.
pub const MAX_TRACKED: usize = 4096;

/// The answer to `q` from `from`. Changes only `store` (an announce).
pub fn answer(
    q: &Query,
    from: SocketAddrV4,
    table: &RoutingTable,
    tokens: &Tokens,
    store: &mut PeerStore,
    now: Instant,
) -> Body {
    let own = table.own_id();
    let reply = |nodes, values, token| {
        Body::Response(Response {
            sender: own,
            nodes,
            values,
            token,
        })
    };
    match &q.method {
        Method::Ping => reply(Vec::new(), Vec::new(), None),
        Method::FindNode { target } => reply(table.closest(target, K, now), Vec::new(), None),
        Method::GetPeers { info_hash } => {
            let token = Some(tokens.issue(*from.ip()));
            let values = store.peers(info_hash, now);
            if values.is_empty() {
                reply(table.closest(info_hash, K, now), values, token)
            } else {
                reply(Vec::new(), values, token)
            }
        }
        Method::AnnouncePeer {
            info_hash,
            port,
            implied_port,
            token,
        } => {
            if !tokens.check(*from.ip(), token) {
                return error(ERROR_PROTOCOL, "bad token");
            }
            let port = if *implied_port { from.port() } else { *port };
            if !store.announce(*info_hash, SocketAddrV4::new(*from.ip(), port), now) {
                return error(ERROR_PROTOCOL, "store full");
            }
            reply(Vec::new(), Vec::new(), None)
        }
        Method::Unknown => error(ERROR_METHOD_UNKNOWN, "method unknown"),
    }
}

fn error(code: i64, message: &str) -> Body {
    Body::Error {
        code,
        message: message.into(),
    }
}

/// A token bucket per IP address.
#[derive(Debug, Default)]
pub struct RateLimit {
    buckets: HashMap<Ipv4Addr, (f64, Instant)>,
}

impl RateLimit {
    /// True if a query from `ip` may be answered now (and counts it).
    pub fn allow(&mut self, ip: Ipv4Addr, now: Instant) -> bool {
        if !self.buckets.contains_key(&ip) && self.buckets.len() >= MAX_TRACKED {
            // Forget addresses whose bucket has refilled: they are idle.
            self.buckets
                .retain(|_, (tokens, at)| refill(*tokens, *at, now) < BURST);
            if self.buckets.len() >= MAX_TRACKED {
                return false;
            }
        }
        let (tokens, at) = self.buckets.entry(ip).or_insert((BURST, now));
        let available = refill(*tokens, *at, now);
        *at = now;
        if available >= 1.0 {
            *tokens = available - 1.0;
            true
        } else {
            *tokens = available;
            false
        }
    }
}

fn refill(tokens: f64, at: Instant, now: Instant) -> f64 {
    (tokens + now.saturating_duration_since(at).as_secs_f64() * PER_SECOND).min(BURST)
}

#[cfg(test)]
mod tests;
