//! The five messages of the Fast extension (BEP 6), ids 0x0D to 0x11.
//!
//! ```text
//!  suggest piece   <len=5>  <0x0D> <index: u32 BE>
//!  have all        <len=1>  <0x0E>
//!  have none       <len=1>  <0x0F>
//!  reject request  <len=13> <0x10> <index: u32 BE> <begin: u32 BE> <length: u32 BE>
//!  allowed fast    <len=5>  <0x11> <index: u32 BE>
//! ```
//!
//! They are valid only on a connection where both handshakes set the
//! Fast bit (`reserved[7] & 0x04`, see `handshake`). Whether they were
//! negotiated is not this module's business: [`FastMessage`] is decoded
//! whatever the connection, and the peer thread drops a peer that sends
//! one without having negotiated it (BEP 6: "MUST close the connection").
//!
//! Like every message, indices are raw wire numbers here, checked against
//! the torrent by the peer thread. This module does no I/O and allocates
//! nothing.

use super::message::{MessageError, header_into, id, three_u32};

/// One BEP 6 message. Indices and ranges are raw (unchecked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FastMessage {
    /// "You might like to download this piece": advice, nothing more.
    SuggestPiece(u32),
    /// The sender has every piece (replaces a bitfield).
    HaveAll,
    /// The sender has no piece (replaces a bitfield).
    HaveNone,
    /// The sender will not answer our `request` with these fields.
    RejectRequest { index: u32, begin: u32, length: u32 },
    /// The sender will serve this piece even while it chokes us.
    AllowedFast(u32),
}

impl FastMessage {
    /// Decodes the payload of a frame whose id is one of BEP 6's; `None`
    /// for any other id.
    pub fn decode(msg_id: u8, payload: &[u8]) -> Option<Result<FastMessage, MessageError>> {
        let wrong = || MessageError::WrongLength {
            id: msg_id,
            len: payload.len(),
        };
        let index = || {
            let b: &[u8; 4] = payload.try_into().map_err(|_| wrong())?;
            Ok(u32::from_be_bytes(*b))
        };
        let empty = |m: FastMessage| {
            if payload.is_empty() {
                Ok(m)
            } else {
                Err(wrong())
            }
        };
        Some(match msg_id {
            id::SUGGEST_PIECE => index().map(FastMessage::SuggestPiece),
            id::HAVE_ALL => empty(FastMessage::HaveAll),
            id::HAVE_NONE => empty(FastMessage::HaveNone),
            id::REJECT_REQUEST => three_u32(msg_id, payload).map(|(index, begin, length)| {
                FastMessage::RejectRequest {
                    index,
                    begin,
                    length,
                }
            }),
            id::ALLOWED_FAST => index().map(FastMessage::AllowedFast),
            _ => return None,
        })
    }

    /// Appends the message, length prefix included, to `buf`.
    pub fn encode_into(&self, buf: &mut Vec<u8>) {
        match *self {
            FastMessage::SuggestPiece(index) => {
                header_into(buf, id::SUGGEST_PIECE, 4);
                buf.extend_from_slice(&index.to_be_bytes());
            }
            FastMessage::HaveAll => header_into(buf, id::HAVE_ALL, 0),
            FastMessage::HaveNone => header_into(buf, id::HAVE_NONE, 0),
            FastMessage::RejectRequest {
                index,
                begin,
                length,
            } => {
                header_into(buf, id::REJECT_REQUEST, 12);
                for word in [index, begin, length] {
                    buf.extend_from_slice(&word.to_be_bytes());
                }
            }
            FastMessage::AllowedFast(index) => {
                header_into(buf, id::ALLOWED_FAST, 4);
                buf.extend_from_slice(&index.to_be_bytes());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::message::{LEN_PREFIX, Message};

    #[test]
    fn every_fast_message_round_trips() {
        #[rustfmt::skip]
        let table: Vec<(FastMessage, Vec<u8>)> = vec![
            (FastMessage::SuggestPiece(0x0102_0304), vec![
                0x00, 0x00, 0x00, 0x05, // length 5
                0x0d,                   // id suggest piece
                0x01, 0x02, 0x03, 0x04, // piece index
            ]),
            (FastMessage::HaveAll, vec![
                0x00, 0x00, 0x00, 0x01, // length 1
                0x0e,                   // id have all
            ]),
            (FastMessage::HaveNone, vec![
                0x00, 0x00, 0x00, 0x01, // length 1
                0x0f,                   // id have none
            ]),
            (FastMessage::RejectRequest { index: 7, begin: 0x4000, length: 0x4000 }, vec![
                0x00, 0x00, 0x00, 0x0d, // length 13
                0x10,                   // id reject request
                0x00, 0x00, 0x00, 0x07, // index
                0x00, 0x00, 0x40, 0x00, // begin 16384
                0x00, 0x00, 0x40, 0x00, // length 16384
            ]),
            (FastMessage::AllowedFast(1313), vec![
                0x00, 0x00, 0x00, 0x05, // length 5
                0x11,                   // id allowed fast
                0x00, 0x00, 0x05, 0x21, // piece index 1313
            ]),
        ];
        for (msg, bytes) in &table {
            let mut buf = Vec::new();
            msg.encode_into(&mut buf);
            assert_eq!(&buf, bytes, "encode {msg:?}");
            // And through the one entry point the peer thread uses.
            let mut via_message = Vec::new();
            Message::Fast(*msg).encode_into(&mut via_message);
            assert_eq!(&via_message, bytes);
            assert_eq!(
                Message::decode(&bytes[LEN_PREFIX..]),
                Ok(Message::Fast(*msg)),
                "decode {bytes:02x?}"
            );
        }
    }

    #[test]
    fn wrong_payload_lengths_are_errors() {
        #[rustfmt::skip]
        let table: &[&[u8]] = &[
            &[0x0d, 0x00, 0x00, 0x07],             // suggest, 3-byte index
            &[0x0e, 0x00],                         // have all with a payload
            &[0x0f, 0x00, 0x00, 0x00, 0x00],       // have none with a payload
            &[0x10, 0, 0, 0, 1, 0, 0, 0, 0],       // reject, 8 bytes
            &[0x10, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], // reject, 13 bytes
            &[0x11],                               // allowed fast, no index
        ];
        for frame in table {
            assert_eq!(
                Message::decode(frame),
                Err(MessageError::WrongLength {
                    id: frame[0],
                    len: frame.len() - 1
                }),
                "{frame:02x?}"
            );
        }
    }

    #[test]
    fn other_ids_are_not_fast_messages() {
        for other in [0u8, 7, 12, 18, 20, 0xff] {
            assert_eq!(FastMessage::decode(other, &[]), None, "id {other}");
        }
    }
}
