//! One HTTP Range request to a web seed, checked before a byte is used.
//!
//! ```text
//!   GET /dl/file.iso              Range: bytes=START-END        (inclusive)
//!   206 Partial Content           Content-Range: bytes START-END/FILE_LEN
//!                                 exactly END - START + 1 body bytes
//! ```
//!
//! Anything else is a [`FetchError`], in plain words:
//! - `404`/`410` (and `416`: the file is shorter than the torrent says):
//!   the file is gone, the web seed is dropped;
//! - `5xx`/`429`: the server is busy, back off;
//! - `200` with the whole file: the server ignores `Range`. It is a
//!   fault, and the body is never read: for every run of pieces it would
//!   send the whole file (a 4 GiB image for 1 MiB of pieces). Reading
//!   only the wanted slice of a small file would save little and make a
//!   second code path; we do not;
//! - a `Content-Range` other than the one asked (or for a file of another
//!   length), a body shorter than asked, or longer (read with a bound:
//!   never more than asked + 1 bytes);
//! - more than [`MAX_REDIRECTS`] redirects (a loop), no answer within the
//!   timeouts, or a slow drip under [`MIN_RATE`] once [`RATE_GRACE`] has
//!   passed.
//!
//! The body is handed on chunk by chunk (at most [`CHUNK`] bytes each) as
//! it arrives, so the request holds no buffer of its own.
//!
//! What it deliberately does not do: retry, back off or judge the server
//! (the web seed's thread does), or send several ranges in one request
//! (multipart answers are one more parser for no gain on a keep-alive
//! connection).

use crate::tracker::announce::{USER_AGENT, describe, tls_problem, with_tls};
use std::fmt;
use std::io::Read;
use std::time::{Duration, Instant};

/// Time to open the TCP connection (the same reasoning as for trackers:
/// covers two SYN retransmissions, and a dead server is noticed soon).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Time any single read may wait: a server silent this long mid-body has
/// stalled (the per-read twin of [`MIN_RATE`], which catches a drip).
pub const READ_TIMEOUT: Duration = Duration::from_secs(15);

/// Time one request may take in all: a whole run (at most
/// `MAX_RUN_BYTES`, 4 MiB) at [`MIN_RATE`], plus the grace.
pub const OVERALL_TIMEOUT: Duration = Duration::from_secs(270);

/// The slowest a body may arrive, on average since the request started,
/// once [`RATE_GRACE`] has passed. A web seed slower than 16 KiB/s holds
/// pieces that peers would fetch faster; it is better backed off.
pub const MIN_RATE: u64 = 16 * 1024;

/// How long a request may run before [`MIN_RATE`] applies (connection
/// set-up, TLS, a server warming up its disk).
pub const RATE_GRACE: Duration = Duration::from_secs(5);

/// Redirects followed. A mirror network redirects once, perhaps twice;
/// more is a loop.
pub const MAX_REDIRECTS: u32 = 3;

/// The most bytes handed on at once.
pub const CHUNK: usize = 64 * 1024;

/// Why a request gave no usable data.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchError {
    /// `404`, `410` or `416`: the file is not (or no longer) there.
    Gone { status: u16 },
    /// `5xx` or `429`: the server is overloaded or failing.
    Busy { status: u16 },
    /// `200`: the server ignores `Range` and would send the whole file.
    NoRange,
    /// Another status we cannot use (`403`, a `3xx` without location, ...).
    Status { status: u16 },
    /// The `Content-Range` is missing or not the range asked for.
    WrongRange { got: String },
    /// The body ended after `got` of `want` bytes.
    Short { got: u64, want: u64 },
    /// The body went on past the `want` bytes asked for.
    Long { want: u64 },
    /// The body came slower than [`MIN_RATE`].
    Slow { rate: u64 },
    /// More than [`MAX_REDIRECTS`] redirects.
    Redirects,
    /// No connection, a TLS failure, a timeout, a broken response.
    Network(String),
    /// The receiver of the data stopped wanting it (not the server's fault).
    Stopped,
}

impl FetchError {
    /// True when the file will not come back by waiting: drop the seed.
    pub fn is_gone(&self) -> bool {
        matches!(self, FetchError::Gone { .. })
    }
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::Gone { status } => write!(f, "the file is not there (HTTP {status})"),
            FetchError::Busy { status } => {
                write!(f, "the server is busy or failing (HTTP {status})")
            }
            FetchError::NoRange => write!(f, "the server ignores range requests (HTTP 200)"),
            FetchError::Status { status } => write!(f, "unexpected answer (HTTP {status})"),
            FetchError::WrongRange { got } => {
                write!(f, "the server sent another range than asked ({got:?})")
            }
            FetchError::Short { got, want } => {
                write!(f, "the body ended after {got} of {want} bytes")
            }
            FetchError::Long { want } => {
                write!(f, "the body is longer than the {want} bytes asked")
            }
            FetchError::Slow { rate } => write!(
                f,
                "too slow ({rate} bytes/s, under {MIN_RATE} after {} s)",
                RATE_GRACE.as_secs()
            ),
            FetchError::Redirects => write!(f, "more than {MAX_REDIRECTS} redirects"),
            FetchError::Network(why) => write!(f, "{why}"),
            FetchError::Stopped => write!(f, "stopped"),
        }
    }
}

impl std::error::Error for FetchError {}

/// The HTTP agent of one web seed connection: every limit set on purpose
/// (see the constants), no proxy, the TLS roots trackers use.
pub fn agent() -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_per_read(Some(READ_TIMEOUT))
        .timeout_global(Some(OVERALL_TIMEOUT))
        .max_redirects(MAX_REDIRECTS)
        .http_status_as_error(false)
        .proxy(None)
        .user_agent(USER_AGENT);
    ureq::Agent::new_with_config(with_tls(config).build())
}

/// One range of one file: `len` (at least 1) bytes from `offset` of the
/// file at `url`, which is `file_len` bytes long.
#[derive(Debug, Clone, Copy)]
pub struct Range<'a> {
    pub url: &'a str,
    pub offset: u64,
    pub len: u64,
    pub file_len: u64,
}

impl Range<'_> {
    /// The last byte asked for (HTTP ranges are inclusive).
    fn last(&self) -> u64 {
        self.offset + self.len.max(1) - 1
    }
}

/// Fetches `r`, handing its bytes in order to `sink`, which returns false
/// to stop ([`FetchError::Stopped`]). On success `sink` saw exactly
/// `r.len` bytes; on an error, a prefix of them (or none).
pub fn fetch(
    agent: &ureq::Agent,
    r: Range<'_>,
    sink: &mut dyn FnMut(&[u8]) -> bool,
) -> Result<(), FetchError> {
    if let Some(problem) = tls_problem(r.url) {
        return Err(FetchError::Network(problem));
    }
    let started = Instant::now();
    let mut response = agent
        .get(r.url)
        .header("Range", &format!("bytes={}-{}", r.offset, r.last()))
        .call()
        .map_err(|e| match e {
            ureq::Error::TooManyRedirects => FetchError::Redirects,
            other => FetchError::Network(describe(other)),
        })?;
    let status = response.status().as_u16();
    match status {
        206 => {}
        200 => return Err(FetchError::NoRange),
        404 | 410 | 416 => return Err(FetchError::Gone { status }),
        429 | 500..=599 => return Err(FetchError::Busy { status }),
        _ => return Err(FetchError::Status { status }),
    }
    let got = response
        .headers()
        .get("content-range")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    let asked = |(first, last, total): (u64, u64, Option<u64>)| {
        first == r.offset && last == r.last() && total.is_none_or(|t| t == r.file_len)
    };
    if !parse_content_range(&got).is_some_and(asked) {
        return Err(FetchError::WrongRange { got });
    }
    let mut body = response.body_mut().with_config().limit(r.len + 1).reader();
    read_exactly(&mut body, r.len, started, sink)
}

/// Reads `want` bytes into `sink`, then makes sure nothing follows.
fn read_exactly(
    body: &mut dyn Read,
    want: u64,
    started: Instant,
    sink: &mut dyn FnMut(&[u8]) -> bool,
) -> Result<(), FetchError> {
    let mut buf = vec![0u8; CHUNK];
    let mut got: u64 = 0;
    while got < want {
        let room = (want - got).min(CHUNK as u64) as usize;
        let n = match body.read(&mut buf[..room]) {
            Ok(0) => return Err(FetchError::Short { got, want }),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                return Err(FetchError::Short { got, want });
            }
            Err(e) => return Err(FetchError::Network(format!("reading the body: {e}"))),
        };
        got += n as u64;
        if !sink(&buf[..n]) {
            return Err(FetchError::Stopped);
        }
        let elapsed = started.elapsed();
        if elapsed > RATE_GRACE && got < want {
            let rate = (got as f64 / elapsed.as_secs_f64()) as u64;
            if rate < MIN_RATE {
                return Err(FetchError::Slow { rate });
            }
        }
    }
    // One more byte would be one too many (the reader's limit is want + 1).
    match body.read(&mut buf[..1]) {
        Ok(0) => Ok(()),
        Ok(_) => Err(FetchError::Long { want }),
        Err(_) => Err(FetchError::Long { want }),
    }
}

/// `bytes FIRST-LAST/TOTAL` (TOTAL may be `*`) as numbers, or `None`.
pub fn parse_content_range(value: &str) -> Option<(u64, u64, Option<u64>)> {
    let rest = value.trim().strip_prefix("bytes ")?;
    let (range, total) = rest.split_once('/')?;
    let (first, last) = range.split_once('-')?;
    let num = |s: &str| -> Option<u64> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    let total = if total == "*" {
        None
    } else {
        Some(num(total)?)
    };
    let (first, last) = (num(first)?, num(last)?);
    (first <= last).then_some((first, last, total))
}

#[cfg(test)]
mod tests;
