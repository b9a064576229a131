//! Reading one HTTP request head, bounded in size and time, and splitting
//! its request line.
//!
//! A tracker request is a `GET` with no body, so the head (request line and
//! headers, up to the blank line) is all we read. Headers are not
//! interpreted: the peer's address comes from the socket, not from
//! `X-Forwarded-For`, and every answer closes the connection.
//!
//! Bounds: at most [`MAX_HEAD`] bytes, and the whole head must arrive
//! before a deadline (a per-read timeout alone would let a client that
//! trickles one byte every few seconds hold a worker forever).

use std::io::Read;
use std::net::TcpStream;
use std::time::Instant;

/// Largest request head accepted. A real announce is about 300-600 bytes;
/// 8 KiB is the usual web-server limit and leaves room for long
/// User-Agent and cookie headers some clients send.
pub const MAX_HEAD: usize = 8 * 1024;

/// Why a request was not served.
#[derive(Debug, PartialEq, Eq)]
pub enum HeadError {
    /// Not `METHOD SP /target SP HTTP/x`, or the head was cut short.
    Malformed,
    /// More than [`MAX_HEAD`] bytes before the blank line.
    TooLarge,
    /// A method other than GET.
    NotGet,
}

/// The parts of the request line a tracker uses.
#[derive(Debug, PartialEq, Eq)]
pub struct Target<'a> {
    /// The path, e.g. `/announce` (still percent-encoded).
    pub path: &'a [u8],
    /// The raw query string after `?`, without any `#fragment`.
    pub query: &'a [u8],
}

/// Reads until the blank line that ends the head, or fails. Returns the
/// head bytes (the blank line included).
pub fn read_head(stream: &mut TcpStream, deadline: Instant) -> Result<Vec<u8>, ReadError> {
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(ReadError::Io);
        }
        stream
            .set_read_timeout(Some(left))
            .map_err(|_| ReadError::Io)?;
        let n = stream.read(&mut chunk).map_err(|_| ReadError::Io)?;
        if n == 0 {
            return Err(ReadError::Head(HeadError::Malformed));
        }
        // Search from a little before the new bytes: the terminator may
        // straddle two reads.
        let from = head.len().saturating_sub(3);
        head.extend_from_slice(chunk.get(..n).unwrap_or_default());
        if let Some(end) = find_blank_line(head.get(from..).unwrap_or_default()) {
            head.truncate(from + end);
            return Ok(head);
        }
        if head.len() > MAX_HEAD {
            return Err(ReadError::Head(HeadError::TooLarge));
        }
    }
}

/// A request that could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// A socket error or the deadline passed: no answer is possible.
    Io,
    /// A bad head: answered with a 4xx status.
    Head(HeadError),
}

/// The length of `buf` up to and including the first `\r\n\r\n`.
fn find_blank_line(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

/// Splits `GET /path?query HTTP/1.1` (the first line of `head`).
pub fn parse_request_line(head: &[u8]) -> Result<Target<'_>, HeadError> {
    let line_end = head
        .windows(2)
        .position(|w| w == b"\r\n")
        .ok_or(HeadError::Malformed)?;
    let line = head.get(..line_end).ok_or(HeadError::Malformed)?;
    let mut parts = line.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HeadError::Malformed);
    };
    if !version.starts_with(b"HTTP/1.") || !target.starts_with(b"/") {
        return Err(HeadError::Malformed);
    }
    if method != b"GET" {
        return Err(HeadError::NotGet);
    }
    let target = match target.iter().position(|&b| b == b'#') {
        Some(hash) => target.get(..hash).unwrap_or_default(),
        None => target,
    };
    Ok(match target.iter().position(|&b| b == b'?') {
        Some(q) => Target {
            path: target.get(..q).unwrap_or_default(),
            query: target.get(q + 1..).unwrap_or_default(),
        },
        None => Target {
            path: target,
            query: b"",
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_lines() {
        let ok = |path: &'static [u8], query: &'static [u8]| Ok(Target { path, query });
        let cases: &[(&[u8], Result<Target<'_>, HeadError>)] = &[
            (
                b"GET /announce?a=1&b=2 HTTP/1.1\r\nHost: x\r\n\r\n",
                ok(b"/announce", b"a=1&b=2"),
            ),
            (b"GET /scrape HTTP/1.0\r\n\r\n", ok(b"/scrape", b"")),
            (
                b"GET /announce?a=1#frag HTTP/1.1\r\n\r\n",
                ok(b"/announce", b"a=1"),
            ),
            (b"GET /announce? HTTP/1.1\r\n\r\n", ok(b"/announce", b"")),
            (b"POST /announce HTTP/1.1\r\n\r\n", Err(HeadError::NotGet)),
            (b"GET /announce\r\n\r\n", Err(HeadError::Malformed)),
            (
                b"GET http://x/announce HTTP/1.1\r\n\r\n",
                Err(HeadError::Malformed),
            ),
            (b"GET /a b HTTP/1.1\r\n\r\n", Err(HeadError::Malformed)),
            (b"GET /announce HTTP/2\r\n\r\n", Err(HeadError::Malformed)),
            (b"GET /announce HTTP/1.1", Err(HeadError::Malformed)),
        ];
        for (head, want) in cases {
            assert_eq!(
                &parse_request_line(head),
                want,
                "{}",
                String::from_utf8_lossy(head)
            );
        }
    }

    #[test]
    fn blank_line() {
        assert_eq!(find_blank_line(b"GET / HTTP/1.1\r\n\r\nrest"), Some(18));
        assert_eq!(find_blank_line(b"GET / HTTP/1.1\r\n"), None);
    }
}
