//! The handshake that opens every peer connection (BEP 3).
//!
//! ```text
//!  offset  size  field
//!       0     1  pstrlen   = 19
//!       1    19  pstr      = "BitTorrent protocol"
//!      20     8  reserved  (extension bits; we set BEP 10's and BEP 6's)
//!      28    20  info_hash (SHA-1 of the raw info dictionary)
//!      48    20  peer_id
//!      68        end
//! ```
//!
//! [`check_first_byte`] looks at `pstrlen` alone, as soon as it arrives:
//! anything but 19 is not a plaintext handshake. In practice it is the
//! start of an encrypted one (MSE, "Message Stream Encryption", which
//! aria2, libtorrent and others try first): that opens with a random
//! 96-byte Diffie-Hellman key, and only by chance (1 in 256) with 19.
//! bitsy speaks plaintext only, so it says so and hangs up; such a peer
//! usually retries in plaintext.
//!
//! [`Handshake::parse`] checks `pstrlen` and `pstr` only. Whether the
//! info-hash is ours, and whether the peer id is our own (we dialled
//! ourselves), are connection decisions made in `peer`.
//!
//! Of the reserved bits (BEP 4 lists who uses which), bitsy sets and reads
//! three: BEP 10's extension protocol, byte 5, bit 0x10 ("bit 20 from the
//! right"), BEP 6's Fast extension, byte 7, bit 0x04 ("the third least
//! significant bit of the last reserved byte"), and BEP 5's DHT, byte 7,
//! bit 0x01 ("the last bit"), set only while our DHT node runs. What
//! follows when both sides set one is `extended`'s, `fast`'s or the
//! `port` message's business. This module does no I/O.

use crate::ids::{InfoHash, PeerId};
use std::fmt;

/// The protocol string every BEP 3 peer sends.
pub const PSTR: &[u8; 19] = b"BitTorrent protocol";

/// Length of the reserved (extension bits) field.
pub const RESERVED_LEN: usize = 8;

/// BEP 10: the extension protocol is bit 20 from the right of the reserved
/// field, i.e. `reserved[5] & 0x10`.
const EXTENSION_PROTOCOL_BYTE: usize = 5;
const EXTENSION_PROTOCOL_BIT: u8 = 0x10;

/// BEP 6: the Fast extension is `reserved[7] & 0x04`.
const FAST_BYTE: usize = 7;
const FAST_BIT: u8 = 0x04;

/// BEP 5: "the last bit in the reserved flags": `reserved[7] & 0x01`.
const DHT_BYTE: usize = 7;
const DHT_BIT: u8 = 0x01;

/// Offsets of each field, as in the layout above.
const PSTRLEN_AT: usize = 0;
const PSTR_AT: usize = 1;
const RESERVED_AT: usize = PSTR_AT + PSTR.len(); // 20
const INFO_HASH_AT: usize = RESERVED_AT + RESERVED_LEN; // 28
const PEER_ID_AT: usize = INFO_HASH_AT + 20; // 48

/// The whole handshake is always 68 bytes.
pub const HANDSHAKE_LEN: usize = PEER_ID_AT + 20;

/// Why a received handshake was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandshakeError {
    /// The first byte is not 19: not a plaintext BitTorrent handshake,
    /// most likely an encrypted (MSE) one. Not the peer's fault: it may
    /// retry in plaintext.
    NotPlaintext,
    /// The first byte is 19 but the next 19 are not `"BitTorrent
    /// protocol"` (another protocol, or MSE starting with 19 by chance).
    Protocol,
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HandshakeError::NotPlaintext => write!(
                f,
                "peer tried an encrypted handshake (MSE); bitsy speaks plaintext"
            ),
            HandshakeError::Protocol => write!(f, "not a BitTorrent handshake"),
        }
    }
}

/// Checks `pstrlen`, the first byte a peer sends, before waiting for the
/// other 67.
pub fn check_first_byte(first: u8) -> Result<(), HandshakeError> {
    if usize::from(first) == PSTR.len() {
        Ok(())
    } else {
        Err(HandshakeError::NotPlaintext)
    }
}

impl std::error::Error for HandshakeError {}

/// One side's handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    /// Extension bits (BEP 4 lists them). Ours: BEP 10's and BEP 6's.
    pub reserved: [u8; RESERVED_LEN],
    /// The torrent this connection is for.
    pub info_hash: InfoHash,
    /// The sender's peer id.
    pub peer_id: PeerId,
}

impl Handshake {
    /// Our handshake: the extension protocol bit (BEP 10) and the Fast
    /// bit (BEP 6), no other.
    pub fn new(info_hash: InfoHash, peer_id: PeerId) -> Self {
        let mut reserved = [0; RESERVED_LEN];
        reserved[EXTENSION_PROTOCOL_BYTE] = EXTENSION_PROTOCOL_BIT;
        reserved[FAST_BYTE] = FAST_BIT;
        Handshake {
            reserved,
            info_hash,
            peer_id,
        }
    }

    /// The sender speaks the extension protocol (BEP 10): we may send it
    /// our extended handshake.
    pub fn supports_extensions(&self) -> bool {
        self.reserved[EXTENSION_PROTOCOL_BYTE] & EXTENSION_PROTOCOL_BIT != 0
    }

    /// Ours, saying we run a DHT node (BEP 5): the peer may send us a
    /// `port` message.
    pub fn with_dht(mut self) -> Self {
        self.reserved[DHT_BYTE] |= DHT_BIT;
        self
    }

    /// The sender runs a DHT node (BEP 5): it takes our `port` message.
    pub fn supports_dht(&self) -> bool {
        self.reserved[DHT_BYTE] & DHT_BIT != 0
    }

    /// The sender speaks the Fast extension (BEP 6). Since ours always
    /// sets the bit, this alone says whether a connection negotiated it.
    pub fn supports_fast(&self) -> bool {
        self.reserved[FAST_BYTE] & FAST_BIT != 0
    }

    /// The 68 bytes to send.
    pub fn encode(&self) -> [u8; HANDSHAKE_LEN] {
        let mut out = [0u8; HANDSHAKE_LEN];
        out[PSTRLEN_AT] = PSTR.len() as u8;
        out[PSTR_AT..RESERVED_AT].copy_from_slice(PSTR);
        out[RESERVED_AT..INFO_HASH_AT].copy_from_slice(&self.reserved);
        out[INFO_HASH_AT..PEER_ID_AT].copy_from_slice(&self.info_hash);
        out[PEER_ID_AT..HANDSHAKE_LEN].copy_from_slice(&self.peer_id);
        out
    }

    /// Checks 68 received bytes. Fixed-size input, so no length can be wrong.
    pub fn parse(bytes: &[u8; HANDSHAKE_LEN]) -> Result<Self, HandshakeError> {
        check_first_byte(bytes[PSTRLEN_AT])?;
        if &bytes[PSTR_AT..RESERVED_AT] != PSTR {
            return Err(HandshakeError::Protocol);
        }
        let mut h = Handshake::new([0; 20], [0; 20]);
        h.reserved
            .copy_from_slice(&bytes[RESERVED_AT..INFO_HASH_AT]);
        h.info_hash
            .copy_from_slice(&bytes[INFO_HASH_AT..PEER_ID_AT]);
        h.peer_id.copy_from_slice(&bytes[PEER_ID_AT..HANDSHAKE_LEN]);
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector() -> Vec<u8> {
        let mut v = vec![0x13]; // pstrlen = 19
        v.extend_from_slice(b"BitTorrent protocol"); // pstr
        v.extend_from_slice(&[0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x05]); // reserved (BEP 10 + DHT/fast bits)
        v.extend_from_slice(&[0xaa; 20]); // info_hash
        v.extend_from_slice(b"-BY0001-123456789012"); // peer_id
        v
    }

    #[test]
    fn parse_and_encode_round_trip() {
        let v = vector();
        let bytes: [u8; HANDSHAKE_LEN] = v.as_slice().try_into().unwrap();
        let h = Handshake::parse(&bytes).unwrap();
        assert_eq!(h.reserved, [0, 0, 0, 0, 0, 0x10, 0, 5]);
        assert_eq!(h.info_hash, [0xaa; 20]);
        assert_eq!(&h.peer_id, b"-BY0001-123456789012");
        assert_eq!(h.encode().as_slice(), v.as_slice());
    }

    #[test]
    fn ours_sets_the_extension_protocol_and_fast_bits() {
        let h = Handshake::new([1; 20], [2; 20]).encode();
        assert_eq!(h[0], 19);
        assert_eq!(&h[1..20], PSTR);
        #[rustfmt::skip]
        assert_eq!(&h[20..28], &[
            0x00, 0x00, 0x00, 0x00, 0x00,
            0x10,                         // byte 5: BEP 10 extension protocol
            0x00,
            0x04,                         // byte 7: BEP 6 fast extension
        ]);
        assert_eq!(&h[28..48], &[1; 20]);
        assert_eq!(&h[48..68], &[2; 20]);
    }

    #[test]
    fn extension_bit_is_read_from_byte_5_alone() {
        #[rustfmt::skip]
        let table: &[([u8; 8], bool)] = &[
            ([0, 0, 0, 0, 0, 0x10, 0, 0x05], true),  // libtorrent: BEP 10, DHT, fast
            ([0, 0, 0, 0, 0, 0x10, 0, 0x00], true),  // BEP 10 alone
            ([0, 0, 0, 0, 0, 0x00, 0, 0x05], false), // DHT and fast, no BEP 10
            ([0, 0, 0, 0, 0, 0xef, 0, 0x00], false), // every other bit of byte 5
            ([0, 0, 0, 0, 0x10, 0, 0x10, 0], false), // 0x10 in the wrong bytes
            ([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], true),
        ];
        for (reserved, want) in table {
            let h = Handshake {
                reserved: *reserved,
                ..Handshake::new([0; 20], [0; 20])
            };
            assert_eq!(h.supports_extensions(), *want, "{reserved:02x?}");
        }
        assert!(Handshake::new([0; 20], [0; 20]).supports_extensions());
    }

    #[test]
    fn fast_bit_is_read_from_byte_7_alone() {
        #[rustfmt::skip]
        let table: &[([u8; 8], bool)] = &[
            ([0, 0, 0, 0, 0, 0x10, 0, 0x05], true),  // libtorrent: BEP 10, DHT, fast
            ([0, 0, 0, 0, 0, 0, 0, 0x04], true),     // fast alone
            ([0, 0, 0, 0, 0, 0x10, 0, 0x01], false), // DHT, no fast
            ([0, 0, 0, 0, 0, 0, 0, 0xfb], false),    // every other bit of byte 7
            ([0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0], false), // 0x04 elsewhere
        ];
        for (reserved, want) in table {
            let h = Handshake {
                reserved: *reserved,
                ..Handshake::new([0; 20], [0; 20])
            };
            assert_eq!(h.supports_fast(), *want, "{reserved:02x?}");
        }
        assert!(Handshake::new([0; 20], [0; 20]).supports_fast());
    }

    #[test]
    fn dht_bit_is_byte_7_bit_0x01_and_ours_only_with_a_node() {
        #[rustfmt::skip]
        let table: &[([u8; 8], bool)] = &[
            ([0, 0, 0, 0, 0, 0x10, 0, 0x05], true),  // libtorrent: BEP 10, DHT, fast
            ([0, 0, 0, 0, 0, 0, 0, 0x01], true),     // DHT alone
            ([0, 0, 0, 0, 0, 0x10, 0, 0x04], false), // fast, no DHT
            ([0, 0, 0, 0, 0, 0, 0, 0xfe], false),    // every other bit of byte 7
            ([0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0], false), // 0x01 elsewhere
        ];
        for (reserved, want) in table {
            let h = Handshake {
                reserved: *reserved,
                ..Handshake::new([0; 20], [0; 20])
            };
            assert_eq!(h.supports_dht(), *want, "{reserved:02x?}");
        }
        assert!(!Handshake::new([0; 20], [0; 20]).supports_dht());
        let ours = Handshake::new([0; 20], [0; 20]).with_dht();
        // byte 7: BEP 6 fast (0x04) | BEP 5 DHT (0x01)
        assert_eq!(ours.reserved, [0, 0, 0, 0, 0, 0x10, 0, 0x05]);
    }

    #[test]
    fn wrong_protocol_is_refused() {
        use HandshakeError::{NotPlaintext, Protocol};
        let cases: &[(usize, u8, HandshakeError)] = &[
            (0, 18, NotPlaintext),   // pstrlen off by one
            (0, 0, NotPlaintext),    // pstrlen zero
            (0, 0xc7, NotPlaintext), // a random first byte of an MSE key
            (1, b'b', Protocol),     // lower-case "bitTorrent"
            (19, b'L', Protocol),    // last byte of pstr
        ];
        for (at, byte, want) in cases {
            let mut v: [u8; HANDSHAKE_LEN] = vector().as_slice().try_into().unwrap();
            v[*at] = *byte;
            assert_eq!(Handshake::parse(&v).as_ref(), Err(want), "{at}={byte}");
        }
    }

    #[test]
    fn first_byte_alone_tells_plaintext() {
        assert_eq!(check_first_byte(0x13), Ok(()));
        for b in [0u8, 18, 20, 0x80, 0xff] {
            assert_eq!(check_first_byte(b), Err(HandshakeError::NotPlaintext));
        }
        let msg = HandshakeError::NotPlaintext.to_string();
        assert!(msg.contains("encrypted handshake (MSE)"), "{msg}");
    }
}
