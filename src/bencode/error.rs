//! Why bencode input was refused.

use std::fmt;

/// Why input was refused. Every variant carries the byte offset where the
/// problem was found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BencodeError {
    /// The input ended inside a value (or was empty).
    UnexpectedEnd { offset: usize },
    /// A byte that cannot start or continue a value here.
    UnexpectedByte { offset: usize, byte: u8 },
    /// An integer that is empty, non-canonical or outside `i64`.
    BadInteger { offset: usize },
    /// A byte-string length with a leading zero, no digits, or no `:`.
    BadLength { offset: usize },
    /// A byte-string length running past the end of the input.
    LengthTooLong { offset: usize, len: u64 },
    /// More lists/dictionaries open at once than `max_depth`.
    TooDeep { offset: usize, max: usize },
    /// More tokens than `max_tokens`.
    TooManyTokens { offset: usize, max: usize },
    /// A dictionary key that is not a byte string.
    KeyNotBytes { offset: usize },
    /// A dictionary closed after a key but before its value.
    MissingValue { offset: usize },
    /// A key appears twice in the dictionary that starts at `offset`.
    DuplicateKey { offset: usize, key: String },
    /// Bytes after the single top-level value.
    TrailingBytes { offset: usize },
    /// `info_span`: the top level is not a dictionary with an `info` key.
    NoInfo,
    /// `info_span`: the `info` value at `offset` is not a dictionary.
    InfoNotDict { offset: usize },
}

impl fmt::Display for BencodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BencodeError::UnexpectedEnd { offset } => {
                write!(f, "input ends too early at byte {offset}")
            }
            BencodeError::UnexpectedByte { offset, byte } => {
                write!(f, "unexpected byte 0x{byte:02x} at byte {offset}")
            }
            BencodeError::BadInteger { offset } => {
                write!(f, "invalid integer at byte {offset}")
            }
            BencodeError::BadLength { offset } => {
                write!(f, "invalid string length at byte {offset}")
            }
            BencodeError::LengthTooLong { offset, len } => write!(
                f,
                "string length {len} at byte {offset} runs past the end of the input"
            ),
            BencodeError::TooDeep { offset, max } => {
                write!(f, "nesting deeper than {max} levels at byte {offset}")
            }
            BencodeError::TooManyTokens { offset, max } => {
                write!(f, "more than {max} values at byte {offset}")
            }
            BencodeError::KeyNotBytes { offset } => {
                write!(f, "dictionary key is not a string at byte {offset}")
            }
            BencodeError::MissingValue { offset } => {
                write!(f, "dictionary key without a value at byte {offset}")
            }
            BencodeError::DuplicateKey { offset, key } => write!(
                f,
                "duplicate key {key:?} in the dictionary at byte {offset}"
            ),
            BencodeError::TrailingBytes { offset } => {
                write!(f, "extra bytes after the value at byte {offset}")
            }
            BencodeError::NoInfo => write!(f, "no info dictionary"),
            BencodeError::InfoNotDict { offset } => {
                write!(f, "the info value at byte {offset} is not a dictionary")
            }
        }
    }
}

impl std::error::Error for BencodeError {}
