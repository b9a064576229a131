//! The DHT (BEP 5): a node of the distributed table that maps infohashes
//! to peers, so a torrent without a tracker still finds its swarm.
//!
//! Built so far (issue 9, in progress), in reading order: node ids and
//! the XOR distance, contact encoding, the KRPC messages, the routing
//! table, write tokens, the store of announced peers, the queries in
//! flight, the iterative lookup and the answers to other nodes (with a
//! rate limit), each a pure module (no socket) with its tests. The
//! node's thread (one UDP socket, its read timeout as the tick) and the
//! saved state come next, then the session and the command line.

pub mod node_id;
pub mod contact;
pub mod krpc;
pub mod routing;
pub mod token;
pub mod store;
pub mod transactions;
pub mod lookup;
pub mod server;
