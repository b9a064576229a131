//! Contact encoding (BEP 5, "Contact Encoding"): how KRPC writes a peer
//! and a node in a few bytes.
//!
//! ```text
//!  compact peer info   <ip: 4><port: u16 BE>                  6 bytes
//!  compact node info   <node id: 20><ip: 4><port: u16 BE>    26 bytes
//! ```
//!
//! Decoding skips contacts nobody can reach (port 0, an unspecified,
//! broadcast or multicast address) and reads at most [`MAX_NODES`] nodes
//! from one string. IPv6 contacts (BEP 32) are not read; see DESIGN.md.

use super::krpc::DecodeError;
use super::node_id::{ID_LEN, NodeId};
use std::net::{Ipv4Addr, SocketAddrV4};

/// Bytes of one compact node info.
pub const COMPACT_NODE_LEN: usize = ID_LEN + COMPACT_PEER_LEN;
/// Bytes of one compact peer info.
pub const COMPACT_PEER_LEN: usize = 4 + 2;

/// Most contacts read from `nodes`: BEP 5 answers with the K = 8
/// closest; twice that is tolerated, the rest is ignored.
pub const MAX_NODES: usize = 16;

/// A node: its id and where it listens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Contact {
    pub id: NodeId,
    pub addr: SocketAddrV4,
}

/// A compact peer (6 bytes), or `None` if it is not 6 bytes or nobody
/// can connect to it.
pub fn compact_peer(b: &[u8]) -> Option<SocketAddrV4> {
    let [a, b, c, d, p0, p1] = *b else {
        return None;
    };
    let addr = SocketAddrV4::new(Ipv4Addr::new(a, b, c, d), u16::from_be_bytes([p0, p1]));
    reachable(&addr).then_some(addr)
}

/// The contacts of a `nodes` string (a whole number of 26-byte entries),
/// at most `max`, unreachable ones skipped.
pub fn compact_nodes_up_to(b: &[u8], max: usize) -> Result<Vec<Contact>, DecodeError> {
    if !b.len().is_multiple_of(COMPACT_NODE_LEN) {
        return Err(DecodeError::Bad(
            "`nodes` is not a whole number of 26-byte entries",
        ));
    }
    Ok(b.chunks_exact(COMPACT_NODE_LEN)
        .filter_map(|entry| {
            let (id, peer) = entry.split_at(ID_LEN);
            Some(Contact {
                id: NodeId::from_slice(id)?,
                addr: compact_peer(peer)?,
            })
        })
        .take(max)
        .collect())
}

/// A response's `nodes`: at most [`MAX_NODES`].
pub fn compact_nodes(b: &[u8]) -> Result<Vec<Contact>, DecodeError> {
    compact_nodes_up_to(b, MAX_NODES)
}

/// The 26-byte form of each contact, one after another.
pub fn encode_nodes(contacts: &[Contact]) -> Vec<u8> {
    let mut out = Vec::with_capacity(contacts.len() * COMPACT_NODE_LEN);
    for c in contacts {
        out.extend_from_slice(&c.id.0);
        encode_peer(&mut out, &c.addr);
    }
    out
}

fn reachable(addr: &SocketAddrV4) -> bool {
    let ip = addr.ip();
    addr.port() != 0 && !(ip.is_unspecified() || ip.is_broadcast() || ip.is_multicast())
}

pub fn encode_peer(out: &mut Vec<u8>, addr: &SocketAddrV4) {
    out.extend_from_slice(&addr.ip().octets());
    out.extend_from_slice(&addr.port().to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_peers() {
        // (bytes, what they decode to)
        let table: &[(&[u8], Option<&str>)] = &[
            (&[0x7f, 0, 0, 1, 0x1a, 0xe1], Some("127.0.0.1:6881")),
            (&[0x0a, 1, 2, 3, 0xff, 0xff], Some("10.1.2.3:65535")),
            (&[0x7f, 0, 0, 1, 0, 0], None),                // port 0
            (&[0, 0, 0, 0, 0x1a, 0xe1], None),             // unspecified
            (&[0xff, 0xff, 0xff, 0xff, 0x1a, 0xe1], None), // broadcast
            (&[0xe0, 0, 0, 1, 0x1a, 0xe1], None),          // multicast
            (&[0x7f, 0, 0, 1, 0x1a], None),                // 5 bytes
            (&[0x7f, 0, 0, 1, 0x1a, 0xe1, 0], None),       // 7 bytes
        ];
        for (bytes, want) in table {
            let want = want.map(|s| s.parse::<SocketAddrV4>().unwrap());
            assert_eq!(compact_peer(bytes), want, "{bytes:02x?}");
        }
    }

    #[test]
    fn a_node_round_trips_through_26_bytes() {
        let addr: SocketAddrV4 = "127.0.0.2:6881".parse().unwrap();
        let mut b = vec![0xab; ID_LEN];
        encode_peer(&mut b, &addr);
        assert_eq!(b.len(), COMPACT_NODE_LEN);
        assert_eq!(b[20..], [0x7f, 0, 0, 2, 0x1a, 0xe1]);
        let got = compact_nodes(&b).unwrap();
        assert_eq!(
            got,
            [Contact {
                id: NodeId([0xab; 20]),
                addr
            }]
        );
        assert!(compact_nodes(&b[..25]).is_err());
        assert_eq!(compact_nodes(&[]).unwrap(), []);
    }
}
