//! Bencode (BEP 3): bitsy's own bounded decoder and a small encoder.
//!
//! Every .torrent file, tracker response and bencoded peer message passes
//! through [`decode`] before anything else looks at it. The decoder is iterative
//! (an explicit stack, no recursion), so hostile nesting cannot overflow
//! the thread's stack, and it enforces [`Limits`] on nesting depth and on
//! the number of tokens. It also refuses, with the byte offset:
//! - non-canonical integers: empty (`ie`), leading zeros (`i03e`), `i-0e`,
//!   values outside `i64`;
//! - byte-string length prefixes with leading zeros, or longer than the
//!   rest of the input (checked before anything is allocated or sliced);
//! - dictionary keys that are not byte strings, and duplicate keys;
//! - anything after the one top-level value ([`decode`]); [`decode_prefix`]
//!   instead stops after the first value and says where it ended, for
//!   .torrent files that carry junk after their dictionary (libtorrent
//!   reads those too).
//!
//! It deliberately does *not* enforce sorted dictionary keys: BEP 3 asks
//! for them, but real .torrent files sometimes break the order and every
//! client accepts them. Duplicates are refused because they make "the"
//! value of a key ambiguous (and the infohash with it).
//!
//! Decoded values borrow from the input ([`Value::Bytes`] is a slice), so
//! the only allocations are the `Vec`s of lists and dictionaries, bounded
//! by `max_tokens`.

use std::ops::Range;

/// Bounds on what [`decode`] will accept.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most lists/dictionaries open at once. The top-level value is depth 1.
    pub max_depth: usize,
    /// Most tokens (integers, byte strings, list and dictionary openings).
    pub max_tokens: usize,
}

impl Limits {
    /// For .torrent files (at most 10 MiB, see `metainfo`).
    ///
    /// Depth: a torrent needs 4 (root, info, files, path); v2 file trees
    /// add one level per directory, and 64 leaves room for deep trees.
    /// Tokens: the largest real torrents have ~100,000 files at ~8 tokens
    /// each. 2^21 (about 2 million) allows twice that, while a 10 MiB
    /// file of nothing but `0:` could hold 5 million; each token costs at
    /// most ~48 bytes of tree, so the tree stays under ~100 MiB.
    pub const TORRENT: Limits = Limits {
        max_depth: 64,
        max_tokens: 1 << 21,
    };

    /// For tracker responses. Compact peer lists are one string; a
    /// non-compact list costs ~7 tokens per peer, so 200,000 tokens allow
    /// far more peers than any tracker sends (they cap at a few hundred).
    pub const TRACKER: Limits = Limits {
        max_depth: 64,
        max_tokens: 200_000,
    };

    /// For bencoded peer messages (BEP 10 extended handshake, and the
    /// BEP 9 and BEP 11 messages after it). Each is one frame, so at most
    /// a block and a little more; real ones are a dictionary holding one
    /// more (`m`), so depth 2, and a few dozen tokens. Depth 8 and 2,048
    /// tokens leave room for clients that add their own keys, and keep
    /// the decoded tree under ~100 KiB whatever the frame holds.
    pub const PEER_MESSAGE: Limits = Limits {
        max_depth: 8,
        max_tokens: 2048,
    };
}

/// A decoded bencode value, borrowing its byte strings from the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value<'a> {
    Int(i64),
    Bytes(&'a [u8]),
    List(Vec<Value<'a>>),
    /// Entries in the order of the input (not re-sorted), keys unique.
    Dict(Vec<(&'a [u8], Value<'a>)>),
}

impl<'a> Value<'a> {
    /// The value of `key` if this is a dictionary holding it. A linear
    /// scan: bencode dictionaries are small.
    pub fn get(&self, key: &[u8]) -> Option<&Value<'a>> {
        self.as_dict()?
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(n) => Some(*n),
            _ => None,
        }
    }

    pub fn as_bytes(&self) -> Option<&'a [u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The byte string, if it is valid UTF-8.
    pub fn as_str(&self) -> Option<&'a str> {
        std::str::from_utf8(self.as_bytes()?).ok()
    }

    pub fn as_list(&self) -> Option<&[Value<'a>]> {
        match self {
            Value::List(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_dict(&self) -> Option<&[(&'a [u8], Value<'a>)]> {
        match self {
            Value::Dict(v) => Some(v),
            _ => None,
        }
    }
}

/// Decodes exactly one value from `input`; trailing bytes are an error.
pub fn decode(input: &[u8], limits: Limits) -> Result<Value<'_>, BencodeError> {
    parse(input, limits, Trailing::Refuse).map(|p| p.value)
}

/// The first value of an input that may continue after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefix<'a> {
    pub value: Value<'a>,
    /// The offset just after the value: `input[..end]` is its encoding.
    pub end: usize,
    /// The byte range of the top-level dictionary's `info` value, if any.
    pub info: Option<Range<usize>>,
}

/// Decodes the one value at the start of `input` with the same checks as
/// [`decode`], but ignores whatever follows it. Only for .torrent files
/// and BEP 9 `data` messages (raw bytes follow their dictionary): other
/// tracker responses and peer messages go through [`decode`].
pub fn decode_prefix(input: &[u8], limits: Limits) -> Result<Prefix<'_>, BencodeError> {
    parse(input, limits, Trailing::Ignore)
}

/// Checks `input` like [`decode`] and returns the byte range of the
/// top-level dictionary's `info` value, exactly as it appears in the
/// input: the infohash is the SHA-1 of these bytes.
pub fn info_span(input: &[u8], limits: Limits) -> Result<Range<usize>, BencodeError> {
    decode_with_info(input, limits).map(|(_, span)| span)
}

/// [`decode`] and [`info_span`] in one pass: the decoded top-level value
/// and the span of its `info` dictionary.
pub fn decode_with_info(
    input: &[u8],
    limits: Limits,
) -> Result<(Value<'_>, Range<usize>), BencodeError> {
    let Prefix { value, info, .. } = parse(input, limits, Trailing::Refuse)?;
    let span = info.ok_or(BencodeError::NoInfo)?;
    match value.get(b"info") {
        Some(Value::Dict(_)) => Ok((value, span)),
        _ => Err(BencodeError::InfoNotDict { offset: span.start }),
    }
}

/// A list or dictionary still open, with the offset of its `l`/`d`.
enum Frame<'a> {
    List {
        start: usize,
        items: Vec<Value<'a>>,
    },
    Dict {
        start: usize,
        entries: Vec<(&'a [u8], Value<'a>)>,
        /// A key read whose value has not been read yet.
        key: Option<&'a [u8]>,
    },
}

/// What to do with bytes after the top-level value.
#[derive(Copy, Clone, PartialEq, Eq)]
enum Trailing {
    Refuse,
    Ignore,
}

/// The decoder proper. Also returns the span of the top-level `info` value.
fn parse(input: &[u8], limits: Limits, trailing: Trailing) -> Result<Prefix<'_>, BencodeError> {
    let mut stack: Vec<Frame<'_>> = Vec::new();
    let mut pos = 0usize;
    let mut tokens = 0usize;
    let mut info = None;
    loop {
        let byte = *input
            .get(pos)
            .ok_or(BencodeError::UnexpectedEnd { offset: pos })?;
        let expecting_key = matches!(stack.last(), Some(Frame::Dict { key: None, .. }));
        if expecting_key && byte != b'e' && !byte.is_ascii_digit() {
            return Err(BencodeError::KeyNotBytes { offset: pos });
        }
        if byte != b'e' {
            tokens += 1;
            if tokens > limits.max_tokens {
                return Err(BencodeError::TooManyTokens {
                    offset: pos,
                    max: limits.max_tokens,
                });
            }
        }
        // Each arm yields a finished value and where it started.
        let (value, start) = match byte {
            b'l' | b'd' => {
                if stack.len() >= limits.max_depth {
                    return Err(BencodeError::TooDeep {
                        offset: pos,
                        max: limits.max_depth,
                    });
                }
                stack.push(if byte == b'l' {
                    Frame::List {
                        start: pos,
                        items: Vec::new(),
                    }
                } else {
                    Frame::Dict {
                        start: pos,
                        entries: Vec::new(),
                        key: None,
                    }
                });
                pos += 1;
                continue;
            }
            b'e' => {
                let frame = stack
                    .pop()
                    .ok_or(BencodeError::UnexpectedByte { offset: pos, byte })?;
                pos += 1;
                match frame {
                    Frame::List { start, items } => (Value::List(items), start),
                    Frame::Dict { key: Some(_), .. } => {
                        return Err(BencodeError::MissingValue { offset: pos - 1 });
                    }
                    Frame::Dict { start, entries, .. } => {
                        check_unique_keys(&entries, start)?;
                        (Value::Dict(entries), start)
                    }
                }
            }
            b'i' => {
                let (n, end) = parse_int(input, pos)?;
                let start = pos;
                pos = end;
                (Value::Int(n), start)
            }
            b'0'..=b'9' => {
                let (bytes, end) = parse_bytes(input, pos)?;
                let start = pos;
                pos = end;
                (Value::Bytes(bytes), start)
            }
            _ => return Err(BencodeError::UnexpectedByte { offset: pos, byte }),
        };
        let depth = stack.len();
        match stack.last_mut() {
            None if pos == input.len() || trailing == Trailing::Ignore => {
                return Ok(Prefix {
                    value,
                    end: pos,
                    info,
                });
            }
            None => return Err(BencodeError::TrailingBytes { offset: pos }),
            Some(Frame::List { items, .. }) => items.push(value),
            Some(Frame::Dict { entries, key, .. }) => match (key.take(), value) {
                (None, Value::Bytes(k)) => *key = Some(k),
                (None, _) => return Err(BencodeError::KeyNotBytes { offset: start }),
                (Some(k), v) => {
                    if depth == 1 && k == b"info" {
                        info = Some(start..pos);
                    }
                    entries.push((k, v));
                }
            },
        }
    }
}

/// Parses `i<digits>e` at `pos`; returns the value and the offset after `e`.
fn parse_int(input: &[u8], pos: usize) -> Result<(i64, usize), BencodeError> {
    let bad = BencodeError::BadInteger { offset: pos };
    let body = input.get(pos + 1..).unwrap_or_default();
    let end = body
        .iter()
        .position(|&b| b == b'e')
        .ok_or(BencodeError::UnexpectedEnd {
            offset: input.len(),
        })?;
    let text = body.get(..end).unwrap_or_default();
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let canonical = match digits {
        [] => false,
        [b'0'] => !negative,
        [b'0', ..] => false,
        _ => digits.iter().all(u8::is_ascii_digit),
    };
    if !canonical {
        return Err(bad);
    }
    // Accumulate towards the sign so that i64::MIN parses.
    let mut n: i64 = 0;
    for &d in digits {
        let d = i64::from(d - b'0');
        n = n
            .checked_mul(10)
            .and_then(|n| {
                if negative {
                    n.checked_sub(d)
                } else {
                    n.checked_add(d)
                }
            })
            .ok_or_else(|| bad.clone())?;
    }
    Ok((n, pos + 1 + end + 1))
}

/// Parses `<len>:<bytes>` at `pos`; returns the bytes and the offset after.
fn parse_bytes(input: &[u8], pos: usize) -> Result<(&[u8], usize), BencodeError> {
    let bad = BencodeError::BadLength { offset: pos };
    let rest = input.get(pos..).unwrap_or_default();
    let digits_len =
        rest.iter()
            .position(|b| !b.is_ascii_digit())
            .ok_or(BencodeError::UnexpectedEnd {
                offset: input.len(),
            })?;
    let digits = rest.get(..digits_len).unwrap_or_default();
    if rest.get(digits_len) != Some(&b':') || (digits.len() > 1 && digits.first() == Some(&b'0')) {
        return Err(bad);
    }
    let mut len: u64 = 0;
    for &d in digits {
        len = len
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(d - b'0')))
            .unwrap_or(u64::MAX);
    }
    let data_start = pos + digits_len + 1;
    let data_end = usize::try_from(len)
        .ok()
        .and_then(|n| data_start.checked_add(n));
    match data_end.and_then(|end| Some((input.get(data_start..end)?, end))) {
        Some(found) => Ok(found),
        None => Err(BencodeError::LengthTooLong { offset: pos, len }),
    }
}

/// Refuses a dictionary with a repeated key. Sorted dictionaries (nearly
/// all) are checked in one pass; unsorted ones are sorted by key first.
fn check_unique_keys(entries: &[(&[u8], Value<'_>)], start: usize) -> Result<(), BencodeError> {
    if entries.windows(2).all(|w| w[0].0 < w[1].0) {
        return Ok(());
    }
    let mut keys: Vec<&[u8]> = entries.iter().map(|(k, _)| *k).collect();
    keys.sort_unstable();
    match keys.windows(2).find(|w| w[0] == w[1]) {
        Some(w) => Err(BencodeError::DuplicateKey {
            offset: start,
            key: String::from_utf8_lossy(&w[0][..w[0].len().min(64)]).into_owned(),
        }),
        None => Ok(()),
    }
}

mod encode;
mod error;
pub use encode::Encoder;
pub use error::BencodeError;

#[cfg(test)]
mod tests;
