//! The DHT (BEP 5): a node of the distributed table that maps infohashes
//! to peers, so a torrent without a tracker still finds its swarm.
//!
//! Built so far (issue 9, in progress), in reading order: node ids and
//! the XOR distance, contact encoding, the KRPC messages, the routing
//! table, write tokens, the store of announced peers, the queries in
//! flight, the iterative lookup and the answers to other nodes (with a
//! rate limit), the saved table, and the node that ties them together
//! (`node.rs`: datagrams and ticks in, datagrams and findings out, so
//! nodes can be wired together in memory in its tests). None has a
//! socket. The node's thread (one UDP socket, its read timeout as the
//! tick) comes next, then the session and the command line.

pub mod node_id;
pub mod contact;
pub mod krpc;
pub mod routing;
pub mod token;
pub mod store;
pub mod transactions;
pub mod lookup;
pub mod server;
pub mod state;
pub mod node;
pub mod thread;
pub mod settings;

pub use settings::{DhtSettings, start};
