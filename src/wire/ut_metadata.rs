//! BEP 9 (`ut_metadata`): the messages peers use to send each other the
//! info dictionary ("the metadata"), so a magnet link needs no .torrent.
//!
//! Each is an extended message (BEP 10) under the id the receiver gave
//! `ut_metadata` in its `m`. The payload is a bencoded dictionary; a
//! `data` message carries the piece's raw bytes right after it:
//!
//! ```text
//!  msg_type  name     keys                        then
//!  0         request  msg_type, piece             -
//!  1         data     msg_type, piece, total_size the piece's bytes
//!  2         reject   msg_type, piece             -
//!
//!  d8:msg_typei1e5:piecei0e10:total_sizei31337ee<16384 bytes of metadata>
//! ```
//!
//! The metadata is cut into pieces of [`METADATA_PIECE_LEN`] (16 KiB),
//! numbered from 0; only the last may be shorter. `total_size` repeats
//! the `metadata_size` of the sender's extended handshake. Its cap is
//! that handshake's `MAX_METADATA_SIZE`: 10 MiB, the largest .torrent
//! bitsy reads (`metainfo::MAX_TORRENT_FILE_LEN`), since the dictionary
//! must pass `Metainfo::from_info_bytes` anyway; so at most 640 pieces.
//!
//! Parsing ([`MetadataMsg::parse`]) goes through bitsy's bounded decoder
//! with `Limits::PEER_MESSAGE` and checks what a message alone can tell:
//! a piece number that fits a `u32`, a `total_size` within
//! `MAX_METADATA_SIZE`, data no longer than a piece. An unknown
//! `msg_type` is not an error (BEP 9: ignore it, for forward
//! compatibility). What depends on the metadata's size (is the piece in
//! range, is the data exactly that piece's length, is `total_size` the
//! size we were told) is [`MetadataSize`]'s job, with checked arithmetic.
//!
//! This module does not keep state, assemble pieces or hash them (see
//! `metadata::assembly`), and does not decide whom to answer (see
//! `peer::connection::metadata`).

use crate::bencode::{self, BencodeError, Encoder, Limits, Value};
use crate::wire::ext_handshake::MAX_METADATA_SIZE;
use std::fmt;
use std::ops::Range;

/// BEP 9: every metadata piece is 16 KiB except the last.
pub const METADATA_PIECE_LEN: u32 = 16 * 1024;

// BEP 9 msg_type values.
const REQUEST: i64 = 0;
const DATA: i64 = 1;
const REJECT: i64 = 2;

// Keys, in sorted order as BEP 3 wants them written.
const MSG_TYPE: &str = "msg_type";
const PIECE: &str = "piece";
const TOTAL_SIZE: &str = "total_size";

/// One `ut_metadata` message. `data` borrows from the received payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetadataMsg<'a> {
    /// Please send metadata piece `piece`.
    Request { piece: u32 },
    /// Metadata piece `piece`; the whole metadata is `total_size` bytes.
    Data {
        piece: u32,
        total_size: u32,
        data: &'a [u8],
    },
    /// The sender will not send piece `piece` (it lacks the metadata, or
    /// is limiting how much it serves).
    Reject { piece: u32 },
    /// A `msg_type` this version does not know: to be ignored (BEP 9).
    Unknown { msg_type: i64 },
}

/// Why a `ut_metadata` payload was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UtMetadataError {
    /// Not valid bencode within `Limits::PEER_MESSAGE`, or not a dictionary.
    Bencode(BencodeError),
    NotDict,
    /// `key` is missing or not an integer in its range.
    BadField {
        key: &'static str,
    },
    /// Bytes after the dictionary of a message that carries none.
    Trailing {
        len: usize,
    },
    /// A `data` message carrying more than a piece.
    DataTooLong {
        len: usize,
    },
}

impl fmt::Display for UtMetadataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UtMetadataError::Bencode(e) => write!(f, "ut_metadata message: {e}"),
            UtMetadataError::NotDict => write!(f, "ut_metadata message is not a dictionary"),
            UtMetadataError::BadField { key } => {
                write!(f, "ut_metadata message: {key} missing or out of range")
            }
            UtMetadataError::Trailing { len } => {
                write!(f, "ut_metadata message: {len} bytes after the dictionary")
            }
            UtMetadataError::DataTooLong { len } => write!(
                f,
                "ut_metadata data of {len} bytes, a piece is at most {METADATA_PIECE_LEN}"
            ),
        }
    }
}

impl std::error::Error for UtMetadataError {}

impl<'a> MetadataMsg<'a> {
    /// Checks one payload (after the extended id).
    pub fn parse(payload: &'a [u8]) -> Result<MetadataMsg<'a>, UtMetadataError> {
        let prefix = bencode::decode_prefix(payload, Limits::PEER_MESSAGE)
            .map_err(UtMetadataError::Bencode)?;
        let dict = &prefix.value;
        if dict.as_dict().is_none() {
            return Err(UtMetadataError::NotDict);
        }
        let after = payload.get(prefix.end..).unwrap_or_default();
        let msg_type = dict
            .get(MSG_TYPE.as_bytes())
            .and_then(Value::as_int)
            .ok_or(UtMetadataError::BadField { key: MSG_TYPE })?;
        if !(REQUEST..=REJECT).contains(&msg_type) {
            return Ok(MetadataMsg::Unknown { msg_type });
        }
        let piece = int_field(dict, PIECE, u32::MAX)?;
        if msg_type == DATA {
            let total_size = int_field(dict, TOTAL_SIZE, MAX_METADATA_SIZE)?;
            if after.len() > METADATA_PIECE_LEN as usize {
                return Err(UtMetadataError::DataTooLong { len: after.len() });
            }
            return Ok(MetadataMsg::Data {
                piece,
                total_size,
                data: after,
            });
        }
        if !after.is_empty() {
            return Err(UtMetadataError::Trailing { len: after.len() });
        }
        Ok(if msg_type == REQUEST {
            MetadataMsg::Request { piece }
        } else {
            MetadataMsg::Reject { piece }
        })
    }

    /// The payload (without the extended id): the dictionary, keys
    /// sorted, then a data message's bytes. `Unknown` encodes only its
    /// `msg_type` (tests use it to play a newer client).
    pub fn encode(&self) -> Vec<u8> {
        let mut e = Encoder::new();
        e.dict();
        match self {
            MetadataMsg::Request { piece } => e
                .str(MSG_TYPE)
                .int(REQUEST)
                .str(PIECE)
                .int(i64::from(*piece)),
            MetadataMsg::Data {
                piece, total_size, ..
            } => e
                .str(MSG_TYPE)
                .int(DATA)
                .str(PIECE)
                .int(i64::from(*piece))
                .str(TOTAL_SIZE)
                .int(i64::from(*total_size)),
            MetadataMsg::Reject { piece } => e
                .str(MSG_TYPE)
                .int(REJECT)
                .str(PIECE)
                .int(i64::from(*piece)),
            MetadataMsg::Unknown { msg_type } => e.str(MSG_TYPE).int(*msg_type),
        };
        e.end();
        let mut out = e.finish();
        if let MetadataMsg::Data { data, .. } = self {
            out.extend_from_slice(data);
        }
        out
    }
}

/// `key` as an integer in `0..=max`.
fn int_field(dict: &Value<'_>, key: &'static str, max: u32) -> Result<u32, UtMetadataError> {
    dict.get(key.as_bytes())
        .and_then(Value::as_int)
        .and_then(|n| u32::try_from(n).ok())
        .filter(|n| *n <= max)
        .ok_or(UtMetadataError::BadField { key })
}

/// The length of one torrent's metadata, checked: `1..=MAX_METADATA_SIZE`
/// bytes. Every piece number and length past the edge comes from here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetadataSize(u32);

/// Why a piece of metadata does not fit the size we know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PieceMismatch {
    /// No such piece in metadata of this size.
    OutOfRange { piece: u32, pieces: u32 },
    /// `total_size` differs from the size the peer announced.
    TotalSize { said: u32, known: u32 },
    /// The data is not exactly the piece's length.
    Length { piece: u32, len: usize, want: usize },
}

impl fmt::Display for PieceMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PieceMismatch::OutOfRange { piece, pieces } => {
                write!(f, "metadata piece {piece} of {pieces}")
            }
            PieceMismatch::TotalSize { said, known } => {
                write!(f, "metadata total_size {said}, announced {known}")
            }
            PieceMismatch::Length { piece, len, want } => {
                write!(f, "metadata piece {piece} of {len} bytes, want {want}")
            }
        }
    }
}

impl MetadataSize {
    /// `None` for 0 or more than [`MAX_METADATA_SIZE`].
    pub fn new(len: u32) -> Option<MetadataSize> {
        (1..=MAX_METADATA_SIZE)
            .contains(&len)
            .then_some(MetadataSize(len))
    }

    /// The length in bytes.
    pub fn get(self) -> u32 {
        self.0
    }

    /// The number of pieces (at least 1, at most 640).
    pub fn pieces(self) -> u32 {
        self.0.div_ceil(METADATA_PIECE_LEN)
    }

    /// Where piece `piece` lies in the metadata; `None` out of range.
    pub fn piece_range(self, piece: u32) -> Option<Range<usize>> {
        let start = piece.checked_mul(METADATA_PIECE_LEN)?;
        if start >= self.0 {
            return None;
        }
        let end = start.saturating_add(METADATA_PIECE_LEN).min(self.0);
        Some(start as usize..end as usize)
    }

    /// Checks a received `data` message against this size; returns where
    /// its bytes go.
    pub fn check_data(
        self,
        piece: u32,
        total_size: u32,
        len: usize,
    ) -> Result<Range<usize>, PieceMismatch> {
        if total_size != self.0 {
            return Err(PieceMismatch::TotalSize {
                said: total_size,
                known: self.0,
            });
        }
        let range = self.piece_range(piece).ok_or(PieceMismatch::OutOfRange {
            piece,
            pieces: self.pieces(),
        })?;
        if len != range.len() {
            return Err(PieceMismatch::Length {
                piece,
                len,
                want: range.len(),
            });
        }
        Ok(range)
    }
}

#[cfg(test)]
mod tests;
