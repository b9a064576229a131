//! The allowed-fast set (BEP 6): the pieces a peer may fetch from us
//! while we choke it, computed by the BEP's canonical algorithm.
//!
//! ```text
//!  x = (ip & 0xFFFFFF00) as 4 bytes BE ++ info_hash (20 bytes)
//!  while |a| < k:
//!      x = SHA1(x)                         20 bytes
//!      for each of its five 4-byte words y (BE), while |a| < k:
//!          index = y % num_pieces; add it to a unless already there
//! ```
//!
//! The set depends only on the peer's /24 network, the torrent and `k`,
//! so two addresses in one /24 get the same set, and the set for `k + 1`
//! is the set for `k` plus one piece. IPv4 only: BEP 6 has no provision
//! for IPv6, so an IPv6 peer (other than an IPv4-mapped address) gets no
//! set.
//!
//! Invariant: the result has distinct indices, each below `num_pieces`,
//! and no more than `min(k, num_pieces)` of them (the BEP's loop never
//! ends when `k > num_pieces`; here `k` is capped first, and the rounds
//! of SHA-1 are bounded too, at 64 per wanted index, which in practice
//! always yields all `min(k, num_pieces)`). What the set is used for
//! (which pieces to announce, which requests to serve) is the peer
//! thread's business.

use crate::ids::InfoHash;
use std::net::{IpAddr, Ipv4Addr};

/// BEP 6 step (1): only the three most significant octets count, so one
/// user with several addresses in a /24 gets one set.
const NETWORK_MASK: u32 = 0xFFFF_FF00;

/// Bytes hashed in the first round: the masked address, then the info-hash.
const SEED_LEN: usize = 4 + 20;

/// The canonical allowed-fast set of `min(k, num_pieces)` piece indices,
/// in the order the algorithm finds them.
pub fn allowed_fast_set(info_hash: &InfoHash, ip: Ipv4Addr, num_pieces: u32, k: usize) -> Vec<u32> {
    let k = k.min(num_pieces as usize);
    let mut set = Vec::with_capacity(k);
    let mut x = [0u8; SEED_LEN];
    x[..4].copy_from_slice(&(u32::from(ip) & NETWORK_MASK).to_be_bytes());
    x[4..].copy_from_slice(info_hash);
    let mut digest = crate::hash::sha1(&x);
    // Each round adds at least one new index with overwhelming likelihood;
    // the bound only keeps a pathological run finite.
    for _ in 0..k.saturating_mul(64).max(1) {
        for word in digest.chunks_exact(4) {
            if set.len() >= k {
                return set;
            }
            let y = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
            let index = y % num_pieces; // num_pieces > 0 whenever k > 0
            if !set.contains(&index) {
                set.push(index);
            }
        }
        if set.len() >= k {
            break;
        }
        digest = crate::hash::sha1(&digest);
    }
    set
}

/// The IPv4 address the set is computed for, if the peer has one
/// (an IPv4-mapped IPv6 address counts as its IPv4 address).
pub fn ipv4_of(ip: IpAddr) -> Option<Ipv4Addr> {
    match ip {
        IpAddr::V4(v4) => Some(v4),
        IpAddr::V6(v6) => v6.to_ipv4_mapped(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// BEP 6's example: 1313 pieces, info-hash 0xAA * 20, 80.4.4.200.
    const BEP_IP: Ipv4Addr = Ipv4Addr::new(80, 4, 4, 200);

    #[test]
    fn bep_6_test_vectors() {
        let table: &[(usize, &[u32])] = &[
            (7, &[1059, 431, 808, 1217, 287, 376, 1188]),
            (9, &[1059, 431, 808, 1217, 287, 376, 1188, 353, 508]),
        ];
        for (k, want) in table {
            assert_eq!(
                allowed_fast_set(&[0xaa; 20], BEP_IP, 1313, *k),
                *want,
                "k = {k}"
            );
        }
    }

    #[test]
    fn only_the_slash_24_counts() {
        let base = allowed_fast_set(&[0xaa; 20], BEP_IP, 1313, 10);
        assert_eq!(base.len(), 10);
        let same_net = allowed_fast_set(&[0xaa; 20], Ipv4Addr::new(80, 4, 4, 1), 1313, 10);
        assert_eq!(same_net, base);
        let other_net = allowed_fast_set(&[0xaa; 20], Ipv4Addr::new(80, 4, 5, 200), 1313, 10);
        assert_ne!(other_net, base);
        let other_torrent = allowed_fast_set(&[0xab; 20], BEP_IP, 1313, 10);
        assert_ne!(other_torrent, base);
    }

    #[test]
    fn k_is_capped_by_the_piece_count() {
        // (num_pieces, k) -> set size; every index distinct and in range.
        let table: &[(u32, usize, usize)] = &[
            (0, 10, 0),
            (1, 10, 1),
            (3, 10, 3),
            (10, 10, 10),
            (11, 10, 10),
            (1313, 0, 0),
        ];
        for &(n, k, want) in table {
            let set = allowed_fast_set(&[0x11; 20], Ipv4Addr::new(10, 0, 0, 1), n, k);
            assert_eq!(set.len(), want, "{n} pieces, k = {k}");
            let mut sorted = set.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), set.len(), "distinct: {set:?}");
            assert!(set.iter().all(|i| *i < n), "in range: {set:?}");
        }
    }

    #[test]
    fn ipv4_only() {
        let v4: IpAddr = "80.4.4.200".parse().unwrap();
        let mapped: IpAddr = "::ffff:80.4.4.200".parse().unwrap();
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        assert_eq!(ipv4_of(v4), Some(BEP_IP));
        assert_eq!(ipv4_of(mapped), Some(BEP_IP));
        assert_eq!(ipv4_of(v6), None);
    }
}
