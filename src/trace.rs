//! `--trace`: every message in and out, one line each, annotated with the
//! BEP that defines it and what its fields mean. For learning the
//! protocols by watching them, not for machines (`--json` is that).
//!
//! ```text
//!    0.031 -> 127.0.0.1:6881 request index=3 begin=16384 length=16384 (BEP 3: ask for one block)
//!    ^secs  ^dir ^who         ^what, then (BEP n: what it means)
//! ```
//!
//! Two halves, kept apart:
//! - describing is pure: `wire` (the peer wire protocol, BEP 3 and its
//!   extensions), `tracker` (HTTP and UDP announces), `dht` (KRPC) and
//!   `webseed` (BEP 19 range requests) turn one parsed message into one
//!   line's text, and are tested line by
//!   line without a socket;
//! - writing is [`Trace::line`]: the threads that do the I/O call it where
//!   a message has just been parsed (in) or is about to be written (out).
//!
//! A [`Trace`] is a small `Copy` value handed to each of those threads
//! (in `PeerContext`, the tracker thread's `Trackers`, the DHT thread's
//! config, the metadata fetch's `Identity`, the web seeds'
//! `SeedContext`), not a global: a test or a second torrent in one
//! process can trace or not on its own, and what a thread may print is
//! visible in what it is given. Off, a call is one branch: the
//! describing closure is not run, nothing is formatted.
//!
//! Invariants: a line goes to stderr (stdout is for `--json` and `-o -`)
//! in one `write_all` on the locked stderr, so lines from different
//! threads never interleave mid-line; a line is bounded whatever a peer
//! sends (payloads are counted, never dumped; names and messages from the
//! network are cut and escaped, see [`printable`]).
//!
//! What it deliberately does not do: filter, buffer, or write to a file
//! (`2> trace.log` does that), or show the bytes of blocks and web seed
//! ranges (a line per block or range is the most a reader can follow).

pub mod dht;
pub mod tracker;
pub mod webseed;
pub mod wire;

use std::fmt::{self, Display};
use std::io::Write;
use std::time::{Duration, Instant};

/// Longest text taken from the network into one line (a client name, a
/// tracker's failure reason); more is cut with `...`.
pub const MAX_TEXT: usize = 80;

/// Which way a message went, as seen from bitsy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// Received and parsed: `<-`.
    In,
    /// About to be written: `->`.
    Out,
    /// Not a message, something that happened to an exchange (a
    /// timeout, a refused connection): `--`.
    Note,
}

impl Dir {
    /// The arrow that starts a line.
    pub fn arrow(self) -> &'static str {
        match self {
            Dir::In => "<-",
            Dir::Out => "->",
            Dir::Note => "--",
        }
    }
}

/// Whether to trace, and the clock lines are stamped against.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Trace {
    /// `None`: off. Otherwise when the program started (line stamps are
    /// seconds since then).
    start: Option<Instant>,
}

impl Trace {
    /// No tracing (the default).
    pub const OFF: Trace = Trace { start: None };

    /// Tracing on, seconds counted from now.
    pub fn starting_now() -> Trace {
        Trace {
            start: Some(Instant::now()),
        }
    }

    /// True when lines are written.
    pub fn is_on(self) -> bool {
        self.start.is_some()
    }

    /// Writes one line about a message to or from `who`; `what` is called
    /// only when tracing is on.
    #[inline]
    pub fn line<W: Display>(self, dir: Dir, who: W, what: impl FnOnce() -> String) {
        let Some(start) = self.start else {
            return;
        };
        let text = format_line(start.elapsed(), dir, &who, &what());
        // A closed stderr leaves nobody to tell.
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }
}

/// One whole line, newline included: `secs dir who what`.
pub fn format_line(elapsed: Duration, dir: Dir, who: &dyn Display, what: &str) -> String {
    let secs = elapsed.as_secs_f64();
    format!("{secs:8.3} {} {who} {what}\n", dir.arrow())
}

/// `text` from the network made safe for one line: at most [`MAX_TEXT`]
/// characters, control characters and quotes escaped.
pub fn printable(text: &str) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == MAX_TEXT {
            out.push_str("...");
            break;
        }
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push_str(&c.escape_default().to_string()),
            c => out.push(c),
        }
    }
    out
}

/// 20 raw bytes (an infohash) as 40 hex digits.
pub struct Hex<'a>(pub &'a [u8]);

impl Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// A peer id or KRPC transaction id: printable ASCII as is, other bytes
/// as `\xNN` (peer ids start with a readable client tag, `-BS0100-`).
pub struct Bytes<'a>(pub &'a [u8]);

impl Display for Bytes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &b in self.0 {
            if b.is_ascii_graphic() && b != b'\\' {
                write!(f, "{}", char::from(b))?;
            } else {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_have_time_arrow_who_and_what() {
        let table = [
            (Dir::Out, 31, "->"),
            (Dir::In, 12_345, "<-"),
            (Dir::Note, 0, "--"),
        ];
        for (dir, ms, arrow) in table {
            let line = format_line(
                Duration::from_millis(ms),
                dir,
                &"127.0.0.1:6881",
                "keep-alive",
            );
            let secs = format!("{:8.3}", ms as f64 / 1000.0);
            assert_eq!(line, format!("{secs} {arrow} 127.0.0.1:6881 keep-alive\n"));
        }
        assert_eq!(
            format_line(Duration::from_millis(1500), Dir::In, &"x", "y"),
            "   1.500 <- x y\n"
        );
    }

    #[test]
    fn off_never_describes() {
        assert!(!Trace::OFF.is_on());
        assert!(!Trace::default().is_on());
        Trace::OFF.line(Dir::In, "nobody", || panic!("described while off"));
        assert!(Trace::starting_now().is_on());
    }

    #[test]
    fn network_text_is_cut_and_escaped() {
        let table = [
            ("bitsy 0.1", "bitsy 0.1".to_string()),
            ("say \"hi\"\n", "say \\\"hi\\\"\\n".to_string()),
            (&"x".repeat(200), format!("{}...", "x".repeat(MAX_TEXT))),
        ];
        for (raw, want) in table {
            assert_eq!(printable(raw), want);
        }
        assert_eq!(Hex(&[0x00, 0xab, 0x10]).to_string(), "00ab10");
        assert_eq!(
            Bytes(b"-BS01-\x00\xff\\").to_string(),
            "-BS01-\\x00\\xff\\x5c"
        );
    }
}
