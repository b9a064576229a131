//! The DHT (BEP 5): a node of the distributed table that maps infohashes
//! to peers, so a torrent without a tracker still finds its swarm.
//!
//! Work in progress (issue 9): the wire format and the ids, each with its
//! tests, come first; the node's thread, routing table and lookups
//! follow.

pub mod node_id;
pub mod contact;
pub mod krpc;
pub mod routing;
