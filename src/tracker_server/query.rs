//! The query string of an HTTP tracker request, split and percent-decoded.
//!
//! `info_hash=%12%34...&port=6881` becomes a list of `(key, value)` pairs of
//! raw bytes, in request order, repeated keys kept (a BEP 48 scrape repeats
//! `info_hash`). Nothing here knows what a key means: that is
//! `announce_params`.
//!
//! Decisions, written down:
//! - `+` is kept as a literal `+`, not turned into a space. RFC 3986 gives
//!   `+` no special meaning in a query; only HTML forms do. A client that
//!   sends a raw `+` inside an `info_hash` means the byte 0x2B.
//! - A bad escape (`%4`, `%zz`) rejects the whole query: guessing would
//!   turn one peer's infohash into another torrent's.
//! - The number of pairs is bounded ([`MAX_PAIRS`]); the request size is
//!   already bounded by the HTTP reader, this bounds the work per request.

use std::fmt;

/// At most this many `key=value` pairs. An announce has about 12; a scrape
/// for [`super::announce_params::MAX_SCRAPE_HASHES`] torrents needs that
/// many plus a few.
pub const MAX_PAIRS: usize = 128;

/// Why a query string was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryError {
    /// A `%` not followed by two hex digits.
    BadEscape,
    /// More than [`MAX_PAIRS`] pairs.
    TooManyPairs,
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryError::BadEscape => write!(f, "bad percent-escape in query string"),
            QueryError::TooManyPairs => write!(f, "too many query parameters"),
        }
    }
}

/// Decoded `(key, value)` pairs in request order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Query {
    pairs: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Query {
    /// Splits `raw` (the part after `?`, without a `#fragment`) on `&`, each
    /// piece on its first `=`, and percent-decodes both halves. Empty pieces
    /// (`a=1&&b=2`) are skipped; a piece without `=` has an empty value.
    pub fn parse(raw: &[u8]) -> Result<Query, QueryError> {
        let mut pairs = Vec::new();
        for piece in raw.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
            if pairs.len() == MAX_PAIRS {
                return Err(QueryError::TooManyPairs);
            }
            let mut halves = piece.splitn(2, |&b| b == b'=');
            let key = halves.next().unwrap_or_default();
            let value = halves.next().unwrap_or_default();
            pairs.push((percent_decode(key)?, percent_decode(value)?));
        }
        Ok(Query { pairs })
    }

    /// The value of the first pair named `key`, if any.
    pub fn first(&self, key: &str) -> Option<&[u8]> {
        self.pairs
            .iter()
            .find(|(k, _)| k.as_slice() == key.as_bytes())
            .map(|(_, v)| v.as_slice())
    }

    /// The values of every pair named `key`, in request order.
    pub fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.pairs
            .iter()
            .filter(move |(k, _)| k.as_slice() == key.as_bytes())
            .map(|(_, v)| v.as_slice())
    }
}

/// Decodes `%XX` escapes to raw bytes; every other byte is kept as is.
pub fn percent_decode(input: &[u8]) -> Result<Vec<u8>, QueryError> {
    let mut out = Vec::with_capacity(input.len());
    let mut bytes = input.iter();
    while let Some(&b) = bytes.next() {
        if b == b'%' {
            let hi = bytes.next().and_then(|&h| hex_value(h));
            let lo = bytes.next().and_then(|&l| hex_value(l));
            match (hi, lo) {
                (Some(hi), Some(lo)) => out.push(hi << 4 | lo),
                _ => return Err(QueryError::BadEscape),
            }
        } else {
            out.push(b);
        }
    }
    Ok(out)
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decode_table() {
        type Case<'a> = (&'a [u8], Result<&'a [u8], QueryError>);
        let cases: &[Case<'_>] = &[
            (b"", Ok(b"")),
            (b"abc", Ok(b"abc")),
            (b"%00%ff%FF%7e", Ok(&[0x00, 0xff, 0xff, 0x7e])),
            (b"a%20b", Ok(b"a b")),
            (b"a+b", Ok(b"a+b")), // `+` stays a plus
            (b"%", Err(QueryError::BadEscape)),
            (b"%4", Err(QueryError::BadEscape)),
            (b"%zz", Err(QueryError::BadEscape)),
            (b"%g0", Err(QueryError::BadEscape)),
        ];
        for (input, want) in cases {
            let got = percent_decode(input);
            assert_eq!(got.as_deref(), want.as_deref(), "input {input:?}");
        }
    }

    #[test]
    fn splits_pairs_and_keeps_repeats() {
        let q = Query::parse(b"info_hash=%01&&port=6881&compact&info_hash=%02").unwrap();
        assert_eq!(q.first("port"), Some(&b"6881"[..]));
        assert_eq!(q.first("compact"), Some(&b""[..]));
        assert_eq!(q.first("missing"), None);
        let hashes: Vec<&[u8]> = q.all("info_hash").collect();
        assert_eq!(hashes, vec![&[0x01][..], &[0x02][..]]);
    }

    #[test]
    fn value_may_contain_equals() {
        let q = Query::parse(b"k=a=b").unwrap();
        assert_eq!(q.first("k"), Some(&b"a=b"[..]));
    }

    #[test]
    fn pair_count_is_bounded() {
        let many = "a=1&".repeat(MAX_PAIRS + 1);
        assert_eq!(Query::parse(many.as_bytes()), Err(QueryError::TooManyPairs));
        let just_enough = "a=1&".repeat(MAX_PAIRS);
        assert!(Query::parse(just_enough.as_bytes()).is_ok());
    }
}
