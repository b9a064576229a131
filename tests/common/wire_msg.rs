//! BEP 3 handshake and messages (and BEP 10's `extended`), encoded and
//! decoded by hand for tests
//! that script the far end of a connection (tests/peer_thread.rs).
//!
//! Independent of bitsy's `wire` module on purpose: if both sides used
//! the same codec, a bug in it would pass every test. It panics on
//! anything malformed (it is test code).
//!
//! ```text
//!   handshake: <19><"BitTorrent protocol"><8 reserved><20 info_hash><20 peer_id>
//!   message:   <u32 length, big-endian><u8 id><payload>   (length 0: keep-alive)
//!   extended:  <u32 length><20><u8 extended id><payload>  (BEP 10; reserved[5] & 0x10)
//!   fast:      ids 13..=17 (BEP 6; reserved[7] & 0x04): suggest <index>,
//!              have all, have none, reject <index><begin><length>,
//!              allowed fast <index>
//! ```

/// A decoded handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hello {
    pub reserved: [u8; 8],
    pub info_hash: [u8; 20],
    pub peer_id: [u8; 20],
}

pub const HANDSHAKE_LEN: usize = 68;

/// The reserved bytes with only BEP 10's extension protocol bit set.
pub const EXTENSION_BIT: [u8; 8] = [0, 0, 0, 0, 0, 0x10, 0, 0];

/// The reserved bytes with only BEP 6's Fast bit set.
pub const FAST_BIT: [u8; 8] = [0, 0, 0, 0, 0, 0, 0, 0x04];

/// The reserved bytes bitsy sends: BEP 10's and BEP 6's bits.
pub const BITSY_BITS: [u8; 8] = [0, 0, 0, 0, 0, 0x10, 0, 0x04];

/// The 68 bytes of a plain handshake with no extension bits.
pub fn handshake(info_hash: [u8; 20], peer_id: [u8; 20]) -> Vec<u8> {
    handshake_with([0; 8], info_hash, peer_id)
}

/// The 68 bytes of a handshake with these reserved bytes.
pub fn handshake_with(reserved: [u8; 8], info_hash: [u8; 20], peer_id: [u8; 20]) -> Vec<u8> {
    let mut b = vec![19u8];
    b.extend_from_slice(b"BitTorrent protocol");
    b.extend_from_slice(&reserved);
    b.extend_from_slice(&info_hash);
    b.extend_from_slice(&peer_id);
    b
}

/// Reads the fields of a handshake, checking its protocol string.
pub fn parse_handshake(b: &[u8; HANDSHAKE_LEN]) -> Hello {
    assert_eq!(b[0], 19, "pstrlen");
    assert_eq!(&b[1..20], b"BitTorrent protocol", "pstr");
    Hello {
        reserved: b[20..28].try_into().unwrap(),
        info_hash: b[28..48].try_into().unwrap(),
        peer_id: b[48..68].try_into().unwrap(),
    }
}

/// One peer message, as the test sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    KeepAlive,
    Choke,
    Unchoke,
    Interested,
    NotInterested,
    Have(u32),
    Bitfield(Vec<u8>),
    Request {
        index: u32,
        begin: u32,
        length: u32,
    },
    Piece {
        index: u32,
        begin: u32,
        data: Vec<u8>,
    },
    Cancel {
        index: u32,
        begin: u32,
        length: u32,
    },
    /// BEP 10: extended id 0 is the handshake (a bencoded dictionary).
    Extended {
        id: u8,
        payload: Vec<u8>,
    },
    /// BEP 6, id 13.
    SuggestPiece(u32),
    /// BEP 6, id 14.
    HaveAll,
    /// BEP 6, id 15.
    HaveNone,
    /// BEP 6, id 16.
    Reject {
        index: u32,
        begin: u32,
        length: u32,
    },
    /// BEP 6, id 17.
    AllowedFast(u32),
}

impl Msg {
    /// Appends the framed message (length prefix included) to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        let (id, payload): (Option<u8>, Vec<u8>) = match self {
            Msg::KeepAlive => (None, vec![]),
            Msg::Choke => (Some(0), vec![]),
            Msg::Unchoke => (Some(1), vec![]),
            Msg::Interested => (Some(2), vec![]),
            Msg::NotInterested => (Some(3), vec![]),
            Msg::Have(i) => (Some(4), i.to_be_bytes().to_vec()),
            Msg::Bitfield(b) => (Some(5), b.clone()),
            Msg::Request {
                index,
                begin,
                length,
            } => (Some(6), words(&[*index, *begin, *length])),
            Msg::Piece { index, begin, data } => {
                let mut p = words(&[*index, *begin]);
                p.extend_from_slice(data);
                (Some(7), p)
            }
            Msg::Cancel {
                index,
                begin,
                length,
            } => (Some(8), words(&[*index, *begin, *length])),
            Msg::Extended { id, payload } => (Some(20), [&[*id][..], payload].concat()),
            Msg::SuggestPiece(i) => (Some(13), i.to_be_bytes().to_vec()),
            Msg::HaveAll => (Some(14), vec![]),
            Msg::HaveNone => (Some(15), vec![]),
            Msg::Reject {
                index,
                begin,
                length,
            } => (Some(16), words(&[*index, *begin, *length])),
            Msg::AllowedFast(i) => (Some(17), i.to_be_bytes().to_vec()),
        };
        let len = payload.len() + usize::from(id.is_some());
        out.extend_from_slice(&(len as u32).to_be_bytes());
        out.extend(id);
        out.extend_from_slice(&payload);
    }

    /// Decodes one frame body (`<id><payload>`, no length prefix; empty
    /// for a keep-alive).
    pub fn decode(frame: &[u8]) -> Msg {
        let Some((&id, p)) = frame.split_first() else {
            return Msg::KeepAlive;
        };
        let word = |i: usize| u32::from_be_bytes(p[4 * i..4 * i + 4].try_into().unwrap());
        let fixed = |n: usize| assert_eq!(p.len(), n, "message {id}: {} bytes of payload", p.len());
        match id {
            0..=3 | 14 | 15 => fixed(0),
            4 | 13 | 17 => fixed(4),
            6 | 8 | 16 => fixed(12),
            7 => assert!(p.len() >= 8, "piece message too short"),
            20 => assert!(!p.is_empty(), "extended message without its id"),
            _ => {}
        }
        match id {
            0 => Msg::Choke,
            1 => Msg::Unchoke,
            2 => Msg::Interested,
            3 => Msg::NotInterested,
            4 => Msg::Have(word(0)),
            5 => Msg::Bitfield(p.to_vec()),
            6 => Msg::Request {
                index: word(0),
                begin: word(1),
                length: word(2),
            },
            7 => Msg::Piece {
                index: word(0),
                begin: word(1),
                data: p[8..].to_vec(),
            },
            8 => Msg::Cancel {
                index: word(0),
                begin: word(1),
                length: word(2),
            },
            13 => Msg::SuggestPiece(word(0)),
            14 => Msg::HaveAll,
            15 => Msg::HaveNone,
            16 => Msg::Reject {
                index: word(0),
                begin: word(1),
                length: word(2),
            },
            17 => Msg::AllowedFast(word(0)),
            20 => Msg::Extended {
                id: p[0],
                payload: p[1..].to_vec(),
            },
            other => panic!("unexpected message id {other}"),
        }
    }
}

fn words(ws: &[u32]) -> Vec<u8> {
    ws.iter().flat_map(|w| w.to_be_bytes()).collect()
}
