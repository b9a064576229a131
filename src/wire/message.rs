//! Peer wire messages after the handshake (BEP 3, plus BEP 5's `port`,
//! BEP 6's fast extension and BEP 10's `extended`).
//!
//! Every message is a frame: a 4-byte big-endian length, then that many
//! bytes. A zero length is a keep-alive; otherwise the first byte is the
//! message id and the rest its payload:
//!
//! ```text
//!  <len: u32 BE> <id: u8> <payload: len - 1 bytes>
//! ```
//!
//! [`Message::decode`] takes one frame *without* its length prefix (the
//! frame reader in `frame` has already split it off and bounded it by
//! `frame::max_frame_len`). Each known id has a fixed payload length, or
//! a fixed minimum for `piece` and `extended`; any other length is an
//! error. An `extended` message is split into its extended id and the
//! rest, still undecoded (the extended id's meaning is per peer: see
//! `extended`). BEP 6's five messages are laid out in `fast` and carried
//! as [`Message::Fast`]. Ids we do not speak (anything newer) decode to
//! [`Message::Unknown`] with the payload discarded: a peer is allowed to
//! try an extension we did not advertise, and skipping it costs nothing.
//!
//! Decoding does not check indices against the torrent: a `have` index or
//! a `request` range is still a raw number here, checked by `Geometry` in
//! the peer thread. Decoding allocates only for `bitfield`, `piece` and
//! `extended`, and never more than the frame it was given.

use super::fast::FastMessage;
use std::fmt;

/// Message ids, grouped by the BEP that defines them.
pub mod id {
    // BEP 3: the base protocol.
    pub const CHOKE: u8 = 0;
    pub const UNCHOKE: u8 = 1;
    pub const INTERESTED: u8 = 2;
    pub const NOT_INTERESTED: u8 = 3;
    pub const HAVE: u8 = 4;
    pub const BITFIELD: u8 = 5;
    pub const REQUEST: u8 = 6;
    pub const PIECE: u8 = 7;
    pub const CANCEL: u8 = 8;
    // BEP 5: DHT port.
    pub const PORT: u8 = 9;
    // BEP 6: fast extension (layouts in `fast`).
    pub const SUGGEST_PIECE: u8 = 13;
    pub const HAVE_ALL: u8 = 14;
    pub const HAVE_NONE: u8 = 15;
    pub const REJECT_REQUEST: u8 = 16;
    pub const ALLOWED_FAST: u8 = 17;
    // BEP 10: extension protocol.
    pub const EXTENDED: u8 = 20;
}

/// Size of the length prefix in front of every frame.
pub const LEN_PREFIX: usize = 4;

/// Bytes of a `piece` frame before the block data: id, index, begin.
pub const PIECE_HEADER_LEN: usize = 1 + 4 + 4;

/// One message. Indices and ranges are raw wire numbers (unchecked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    KeepAlive,
    Choke,
    Unchoke,
    Interested,
    NotInterested,
    /// The sender has verified this piece.
    Have(u32),
    /// The sender's piece set (checked against the torrent by `Bitfield::from_payload`).
    Bitfield(Vec<u8>),
    /// Please send `length` bytes at `begin` in piece `index`.
    Request {
        index: u32,
        begin: u32,
        length: u32,
    },
    /// Block data: `data` starts at `begin` in piece `index`.
    Piece {
        index: u32,
        begin: u32,
        data: Vec<u8>,
    },
    /// Withdraws an earlier `Request` with the same fields.
    Cancel {
        index: u32,
        begin: u32,
        length: u32,
    },
    /// BEP 5: the sender's DHT port. We run no DHT and ignore it.
    Port(u16),
    /// BEP 6: suggest, have all/none, reject request, allowed fast.
    Fast(FastMessage),
    /// BEP 10: `<20><extended id><payload>`. Id 0 is the extended
    /// handshake; the others mean what the receiver's handshake said.
    Extended {
        id: u8,
        payload: Vec<u8>,
    },
    /// An id we do not speak; its payload was skipped.
    Unknown {
        id: u8,
    },
}

/// Why a frame could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageError {
    /// The payload length does not fit the message id.
    WrongLength { id: u8, len: usize },
}

impl fmt::Display for MessageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MessageError::WrongLength { id, len } => {
                write!(f, "message id {id} with a payload of {len} bytes")
            }
        }
    }
}

impl std::error::Error for MessageError {}

fn be32(b: &[u8; 4]) -> u32 {
    u32::from_be_bytes(*b)
}

/// Splits a payload that must be exactly three u32s (request, cancel).
pub(super) fn three_u32(id: u8, payload: &[u8]) -> Result<(u32, u32, u32), MessageError> {
    let wrong = MessageError::WrongLength {
        id,
        len: payload.len(),
    };
    let (a, rest) = payload.split_first_chunk::<4>().ok_or(wrong.clone())?;
    let (b, rest) = rest.split_first_chunk::<4>().ok_or(wrong.clone())?;
    let c: &[u8; 4] = rest.try_into().map_err(|_| wrong)?;
    Ok((be32(a), be32(b), be32(c)))
}

/// Appends a length prefix and id for a payload of `payload_len` bytes.
pub(super) fn header_into(buf: &mut Vec<u8>, id: u8, payload_len: usize) {
    // Our own payloads are at most a bitfield (< 2^29 bytes) or a block.
    let len = u32::try_from(payload_len.saturating_add(1)).unwrap_or(u32::MAX);
    buf.extend_from_slice(&len.to_be_bytes());
    buf.push(id);
}

/// Appends the header of a `piece` message carrying `data_len` bytes, so a
/// caller can read the block straight into the buffer after it.
pub fn piece_header_into(buf: &mut Vec<u8>, index: u32, begin: u32, data_len: usize) {
    header_into(buf, id::PIECE, 8 + data_len);
    buf.extend_from_slice(&index.to_be_bytes());
    buf.extend_from_slice(&begin.to_be_bytes());
}

impl Message {
    /// Decodes one frame (length prefix already removed).
    pub fn decode(frame: &[u8]) -> Result<Message, MessageError> {
        Message::decode_reusing(frame, Vec::new())
    }

    /// True if `frame` is a `piece` message long enough for its header,
    /// whose block [`Message::decode_reusing`] will put in a buffer of the
    /// caller's. A shorter one fails to decode, so a caller never takes a
    /// buffer (from a pool, say) only to have it dropped with the error.
    pub fn is_piece(frame: &[u8]) -> bool {
        frame.first() == Some(&id::PIECE) && frame.len() >= PIECE_HEADER_LEN
    }

    /// As [`Message::decode`], but a `piece` block is copied into `buf`
    /// (cleared first) rather than a new allocation; for other messages
    /// `buf` is dropped, so give it only for a frame that
    /// [`Message::is_piece`].
    pub fn decode_reusing(frame: &[u8], mut buf: Vec<u8>) -> Result<Message, MessageError> {
        let Some((&id, payload)) = frame.split_first() else {
            return Ok(Message::KeepAlive);
        };
        let wrong = || MessageError::WrongLength {
            id,
            len: payload.len(),
        };
        let empty = |m: Message| {
            if payload.is_empty() {
                Ok(m)
            } else {
                Err(wrong())
            }
        };
        match id {
            id::CHOKE => empty(Message::Choke),
            id::UNCHOKE => empty(Message::Unchoke),
            id::INTERESTED => empty(Message::Interested),
            id::NOT_INTERESTED => empty(Message::NotInterested),
            id::HAVE => {
                let b: &[u8; 4] = payload.try_into().map_err(|_| wrong())?;
                Ok(Message::Have(be32(b)))
            }
            id::BITFIELD => Ok(Message::Bitfield(payload.to_vec())),
            id::REQUEST => {
                let (index, begin, length) = three_u32(id, payload)?;
                Ok(Message::Request {
                    index,
                    begin,
                    length,
                })
            }
            id::PIECE => {
                let (index, rest) = payload.split_first_chunk::<4>().ok_or_else(wrong)?;
                let (begin, data) = rest.split_first_chunk::<4>().ok_or_else(wrong)?;
                buf.clear();
                buf.extend_from_slice(data);
                Ok(Message::Piece {
                    index: be32(index),
                    begin: be32(begin),
                    data: buf,
                })
            }
            id::CANCEL => {
                let (index, begin, length) = three_u32(id, payload)?;
                Ok(Message::Cancel {
                    index,
                    begin,
                    length,
                })
            }
            id::PORT => {
                let b: &[u8; 2] = payload.try_into().map_err(|_| wrong())?;
                Ok(Message::Port(u16::from_be_bytes(*b)))
            }
            id::EXTENDED => {
                let (&ext, rest) = payload.split_first().ok_or_else(wrong)?;
                Ok(Message::Extended {
                    id: ext,
                    payload: rest.to_vec(),
                })
            }
            _ => match FastMessage::decode(id, payload) {
                Some(fast) => fast.map(Message::Fast),
                None => Ok(Message::Unknown { id }),
            },
        }
    }

    /// Appends the message, length prefix included, to `buf`.
    pub fn encode_into(&self, buf: &mut Vec<u8>) {
        let triple = |buf: &mut Vec<u8>, id: u8, a: u32, b: u32, c: u32| {
            header_into(buf, id, 12);
            buf.extend_from_slice(&a.to_be_bytes());
            buf.extend_from_slice(&b.to_be_bytes());
            buf.extend_from_slice(&c.to_be_bytes());
        };
        match self {
            Message::KeepAlive => buf.extend_from_slice(&0u32.to_be_bytes()),
            Message::Choke => header_into(buf, id::CHOKE, 0),
            Message::Unchoke => header_into(buf, id::UNCHOKE, 0),
            Message::Interested => header_into(buf, id::INTERESTED, 0),
            Message::NotInterested => header_into(buf, id::NOT_INTERESTED, 0),
            Message::Have(index) => {
                header_into(buf, id::HAVE, 4);
                buf.extend_from_slice(&index.to_be_bytes());
            }
            Message::Bitfield(bits) => {
                header_into(buf, id::BITFIELD, bits.len());
                buf.extend_from_slice(bits);
            }
            Message::Request {
                index,
                begin,
                length,
            } => triple(buf, id::REQUEST, *index, *begin, *length),
            Message::Piece { index, begin, data } => {
                piece_header_into(buf, *index, *begin, data.len());
                buf.extend_from_slice(data);
            }
            Message::Cancel {
                index,
                begin,
                length,
            } => triple(buf, id::CANCEL, *index, *begin, *length),
            Message::Port(port) => {
                header_into(buf, id::PORT, 2);
                buf.extend_from_slice(&port.to_be_bytes());
            }
            Message::Extended { id, payload } => {
                header_into(buf, id::EXTENDED, 1 + payload.len());
                buf.push(*id);
                buf.extend_from_slice(payload);
            }
            Message::Fast(fast) => fast.encode_into(buf),
            Message::Unknown { id } => header_into(buf, *id, 0),
        }
    }
}

#[cfg(test)]
mod tests;
