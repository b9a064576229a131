//! Node ids and the XOR distance (BEP 5, "Overview").
//!
//! A DHT node is named by 160 random bits, from the same space as
//! infohashes, so a node id and an infohash can be compared: the distance
//! between two ids is their XOR read as an unsigned 160-bit integer, and
//! smaller is closer. Because XOR distance is a number, "closer" is a
//! total order for a fixed target, and the routing table's buckets are
//! ranges of that number's leading zero bits.
//!
//! ```text
//!   a        = 1011 0010 ...        distance(a, b) = a XOR b
//!   b        = 1001 0111 ...                       = 0010 0101 ...
//!   a XOR b  = 0010 0101 ...        leading zeros  = 2: a and b share
//!                                                    their first 2 bits
//! ```
//!
//! Invariants: an id is exactly 20 bytes (built from a slice only through
//! [`NodeId::from_slice`], which checks the length); distances compare as
//! big-endian byte strings, which is the same order as the integers.
//!
//! What it deliberately does not do: choose ids from the node's address
//! (BEP 42's secure ids; see `DESIGN.md`), or know about buckets
//! (`routing.rs`).

use crate::ids::InfoHash;
use std::fmt;

/// Bytes in a node id (and in an infohash).
pub const ID_LEN: usize = 20;

/// Bits in a node id: the depth of the deepest possible bucket.
pub const ID_BITS: usize = ID_LEN * 8;

/// A node's 160-bit id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub [u8; ID_LEN]);

/// The XOR of two ids. Ordered as the 160-bit unsigned integer it is.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct Distance([u8; ID_LEN]);

impl NodeId {
    /// A fresh id from the OS's random source.
    pub fn random() -> NodeId {
        let mut id = [0; ID_LEN];
        crate::rng::fill(&mut id);
        NodeId(id)
    }

    /// The id in `bytes`, if it is exactly [`ID_LEN`] long (a peer's
    /// `id`, `target` or `info_hash` argument).
    pub fn from_slice(bytes: &[u8]) -> Option<NodeId> {
        bytes.try_into().ok().map(NodeId)
    }

    /// An infohash as a point in the id space (`get_peers` looks it up).
    pub fn from_info_hash(h: &InfoHash) -> NodeId {
        NodeId(*h)
    }

    pub fn distance(&self, other: &NodeId) -> Distance {
        let mut d = [0; ID_LEN];
        for (i, out) in d.iter_mut().enumerate() {
            *out = self.0[i] ^ other.0[i];
        }
        Distance(d)
    }

    /// How many leading bits `self` and `other` share (160 if equal).
    pub fn common_prefix(&self, other: &NodeId) -> usize {
        self.distance(other).leading_zeros()
    }

    /// Bit `i` of the id, counting from the most significant (0..160).
    pub fn bit(&self, i: usize) -> bool {
        i < ID_BITS && self.0[i / 8] & (0x80 >> (i % 8)) != 0
    }

    /// A random id that shares exactly the first `prefix` bits with
    /// `self` (bit `prefix` differs, the rest are random): a target in
    /// the bucket of ids at that depth, for a bucket refresh. With
    /// `prefix >= 160` it is `self`.
    pub fn random_at(&self, prefix: usize, rng: &mut crate::rng::Rng) -> NodeId {
        if prefix >= ID_BITS {
            return *self;
        }
        let mut id = [0; ID_LEN];
        rng.fill(&mut id);
        for i in 0..=prefix {
            let (byte, mask) = (i / 8, 0x80u8 >> (i % 8));
            let want = if i < prefix {
                self.bit(i)
            } else {
                !self.bit(i)
            };
            if want {
                id[byte] |= mask;
            } else {
                id[byte] &= !mask;
            }
        }
        NodeId(id)
    }
}

impl Distance {
    /// Leading zero bits: 160 for a node's distance to itself.
    pub fn leading_zeros(&self) -> usize {
        let mut n = 0;
        for b in self.0 {
            if b != 0 {
                return n + b.leading_zeros() as usize;
            }
            n += 8;
        }
        n
    }
}

impl fmt::Debug for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodeId({self})")
    }
}

/// Hex, as clients print ids (and `bitsy dht get-peers` does).
impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// An id whose first bytes are `head` and the rest zero.
    fn id(head: &[u8]) -> NodeId {
        let mut b = [0; ID_LEN];
        b[..head.len()].copy_from_slice(head);
        NodeId(b)
    }

    #[test]
    fn distance_is_xor_ordered_as_an_integer() {
        // (a, b, leading zeros of a XOR b)
        let table: &[(&[u8], &[u8], usize)] = &[
            (&[0xb2], &[0x97], 2),    // 1011_0010 ^ 1001_0111 = 0010_0101
            (&[0x00], &[0x80], 0),    // differ in the first bit
            (&[0x00], &[0x01], 7),    // in the eighth
            (&[0, 0], &[0, 0x40], 9), // in the tenth
            (&[], &[], 160),          // equal
        ];
        for (a, b, zeros) in table {
            let (a, b) = (id(a), id(b));
            assert_eq!(a.distance(&b).leading_zeros(), *zeros, "{a} {b}");
            assert_eq!(a.common_prefix(&b), *zeros);
            assert_eq!(a.distance(&b), b.distance(&a), "symmetric");
        }
        // A high first byte outweighs every later byte.
        let t = id(&[0]);
        let near = id(&[0x01, 0xff, 0xff]);
        let far = id(&[0x02]);
        assert!(t.distance(&near) < t.distance(&far));
        // Last byte decides when the rest is equal.
        let mut x = [0; ID_LEN];
        x[19] = 1;
        assert!(t.distance(&t) < t.distance(&NodeId(x)));
    }

    #[test]
    fn from_slice_takes_exactly_twenty_bytes() {
        assert_eq!(NodeId::from_slice(&[7; 20]), Some(NodeId([7; 20])));
        assert_eq!(NodeId::from_slice(&[7; 19]), None);
        assert_eq!(NodeId::from_slice(&[7; 21]), None);
        assert_eq!(NodeId::from_slice(&[]), None);
    }

    #[test]
    fn random_at_lands_in_the_bucket_at_that_depth() {
        let mut rng = Rng::from_seed(5);
        let me = NodeId([0x5a; ID_LEN]);
        for prefix in [0, 1, 7, 8, 9, 100, 159] {
            for _ in 0..20 {
                let t = me.random_at(prefix, &mut rng);
                assert_eq!(me.common_prefix(&t), prefix, "prefix {prefix}: {t}");
            }
        }
        assert_eq!(me.random_at(160, &mut rng), me);
    }

    #[test]
    fn display_is_forty_hex_digits() {
        let s = id(&[0xab, 0x01]).to_string();
        assert_eq!(s.len(), 40);
        assert!(s.starts_with("ab01000000"));
    }
}
