//! One web seed connection's thread: runs of pieces in, pieces out.
//!
//! The loop: say `Idle`, wait for a run, fetch it file range by file range
//! (a piece may span files: the storage's `Layout` cuts the run into
//! spans, one range request each, and pad files (BEP 47) are zeros that
//! are never asked for), hand each piece on as soon as its last byte
//! arrived, then `Idle` again. After a fault it says `Failed`, waits
//! [`backoff`] (doubling from [`BACKOFF_FIRST`] up to [`BACKOFF_MAX`]),
//! and asks again; the main thread decides when a web seed is dropped.
//! The wait doubles with faults in a row *without a piece between them*,
//! as the main thread counts them: a run that failed after handing on a
//! piece starts the count again, so a server that cuts every body short
//! is used at its pace, not waited on for ever longer.
//!
//! Invariant: each piece's bytes are sent once, whole, in order; a piece
//! cut short by a fault is thrown away, never sent.
//!
//! What it deliberately does not do: verify (the hasher does), pick
//! pieces, or write (the main thread does both).

use super::fetch::{self, FetchError, Range};
use super::url::file_url;
use super::{WebSeedCommand, WebSeedEvent, WebSeedEventKind};
use crate::geometry::{Geometry, PieceIndex};
use crate::ids::ConnId;
use crate::metainfo::FileEntry;
use crate::storage::Layout;
use crate::trace::webseed as describe;
use crate::trace::{Dir, Trace};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use std::cell::Cell;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

/// The first wait after a fault: long enough not to hammer a server that
/// just failed, short enough that one dropped connection costs little.
pub const BACKOFF_FIRST: Duration = Duration::from_millis(500);

/// The longest wait between faults (the main thread drops a web seed that
/// keeps failing long before a wait grows past this).
pub const BACKOFF_MAX: Duration = Duration::from_secs(30);

/// The wait after `faults` (at least 1) faults in a row.
pub fn backoff(faults: u32) -> Duration {
    let doublings = faults.saturating_sub(1).min(16);
    BACKOFF_FIRST
        .saturating_mul(1 << doublings)
        .min(BACKOFF_MAX)
}

/// What every web seed thread of one torrent shares, read-only.
pub(crate) struct SeedContext {
    /// The torrent's name (the single-file URL form may append it).
    pub name: String,
    pub multi_file: bool,
    /// Where each byte of the content lives.
    pub(crate) layout: Layout,
    pub events: Sender<WebSeedEvent>,
    /// Set when the session ends: fetches stop between reads.
    pub stop: Arc<AtomicBool>,
    /// `--trace`: each range request and its outcome, one line on stderr.
    pub trace: Trace,
}

/// Starts the thread of connection `conn` to the web seed `base`.
pub(crate) fn spawn(
    ctx: Arc<SeedContext>,
    conn: ConnId,
    base: String,
    commands: Receiver<WebSeedCommand>,
) -> io::Result<()> {
    thread::Builder::new()
        .name(format!("webseed-{conn}"))
        .spawn(move || {
            let closer = Closer { ctx: &ctx, conn };
            closer.run(&base, &commands);
        })
        .map(|_| ())
}

/// Sends `Closed` when the thread ends, however it ends.
struct Closer<'a> {
    ctx: &'a SeedContext,
    conn: ConnId,
}

impl Drop for Closer<'_> {
    fn drop(&mut self) {
        self.send(WebSeedEventKind::Closed);
    }
}

impl Closer<'_> {
    fn send(&self, kind: WebSeedEventKind) -> bool {
        let ev = WebSeedEvent {
            conn: self.conn,
            kind,
        };
        self.ctx.events.send(ev).is_ok()
    }

    fn run(&self, base: &str, commands: &Receiver<WebSeedCommand>) {
        let agent = fetch::agent();
        let mut faults = 0u32;
        while self.send(WebSeedEventKind::Idle) {
            let Ok(WebSeedCommand::Fetch { first, count }) = commands.recv() else {
                return;
            };
            let delivered = Cell::new(false);
            match self.fetch_run(&agent, base, first, count, commands, &delivered) {
                Ok(()) => faults = 0,
                Err(FetchError::Stopped) => return,
                Err(e) => {
                    faults = if delivered.get() {
                        1
                    } else {
                        faults.saturating_add(1)
                    };
                    if !self.send(WebSeedEventKind::Failed(e)) {
                        return;
                    }
                    match commands.recv_timeout(backoff(faults)) {
                        Err(RecvTimeoutError::Timeout) => {}
                        _ => return, // Stop, or the session is gone
                    }
                }
            }
        }
    }

    /// Fetches pieces `first..first + count` and sends each; `delivered`
    /// is set once one was sent.
    fn fetch_run(
        &self,
        agent: &ureq::Agent,
        base: &str,
        first: PieceIndex,
        count: u32,
        commands: &Receiver<WebSeedCommand>,
        delivered: &Cell<bool>,
    ) -> Result<(), FetchError> {
        let layout = &self.ctx.layout;
        let g = layout.geometry();
        let last = first.get().saturating_add(count.max(1) - 1);
        let Some(last) = g.piece(last) else {
            return Err(FetchError::Stopped); // a bug upstream: do nothing
        };
        let start = g.piece_offset(first);
        let len = g.piece_offset(last) + u64::from(g.piece_len(last)) - start;
        // Between pieces: has the session ended, or dropped this seed?
        let mut pieces = Pieces::new(g, first, |piece, data| {
            let sent = !self.ctx.stop.load(Ordering::Relaxed)
                && commands.try_recv() != Ok(WebSeedCommand::Stop)
                && self.send(WebSeedEventKind::Piece { piece, data });
            delivered.set(delivered.get() || sent);
            sent
        });
        for span in layout.spans(start, len) {
            let span_len = span.buf.len() as u64;
            if span.pad {
                let zeros = vec![0u8; span.buf.len().min(fetch::CHUNK)];
                let mut left = span_len;
                while left > 0 {
                    let n = left.min(zeros.len() as u64) as usize;
                    if !pieces.push(&zeros[..n]) {
                        return Err(FetchError::Stopped);
                    }
                    left -= n as u64;
                }
                continue;
            }
            let Some(file) = layout.files().get(span.file) else {
                return Err(FetchError::Stopped);
            };
            let url = self.url_of(base, file);
            let range = Range {
                url: &url,
                offset: span.file_offset,
                len: span_len,
                file_len: file.length,
            };
            let trace = self.ctx.trace;
            trace.line(Dir::Out, &url, || describe::range_request(&range));
            let fetched = fetch::fetch(agent, range, &mut |bytes| pieces.push(bytes));
            match &fetched {
                Ok(()) => trace.line(Dir::In, &url, || describe::range_answer(&range)),
                Err(FetchError::Stopped) => {}
                Err(e) => trace.line(Dir::Note, &url, || describe::range_failed(&e.to_string())),
            }
            fetched?;
        }
        Ok(())
    }

    fn url_of(&self, base: &str, file: &FileEntry) -> String {
        file_url(base, &self.ctx.name, self.ctx.multi_file, file)
    }
}

/// Cuts a run's bytes, arriving in any chunks, into whole pieces.
struct Pieces<F: FnMut(PieceIndex, Vec<u8>) -> bool> {
    geometry: Geometry,
    piece: Option<PieceIndex>,
    buf: Vec<u8>,
    deliver: F,
}

impl<F: FnMut(PieceIndex, Vec<u8>) -> bool> Pieces<F> {
    fn new(geometry: Geometry, first: PieceIndex, deliver: F) -> Self {
        Pieces {
            geometry,
            piece: Some(first),
            buf: Vec::new(),
            deliver,
        }
    }

    /// Takes the next bytes of the run; false to stop (the receiver is
    /// gone, or bytes came past the run's last piece).
    fn push(&mut self, mut bytes: &[u8]) -> bool {
        while !bytes.is_empty() {
            let Some(piece) = self.piece else {
                return false;
            };
            let piece_len = self.geometry.piece_len(piece) as usize;
            if self.buf.capacity() == 0 {
                self.buf.reserve_exact(piece_len);
            }
            let n = (piece_len - self.buf.len()).min(bytes.len());
            self.buf.extend_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
            if self.buf.len() == piece_len {
                let data = std::mem::take(&mut self.buf);
                self.piece = self.geometry.piece(piece.get() + 1);
                if !(self.deliver)(piece, data) {
                    return false;
                }
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_bounded() {
        let cases = [
            (0, 500),
            (1, 500),
            (2, 1000),
            (3, 2000),
            (7, 30_000),
            (99, 30_000),
        ];
        for (faults, ms) in cases {
            assert_eq!(backoff(faults), Duration::from_millis(ms), "{faults}");
        }
    }

    #[test]
    fn chunks_become_whole_pieces_in_order() {
        // 3 pieces of 16 KiB and a last one of 2 bytes; the run is 1..=3.
        const P: usize = 16384;
        let g = Geometry::new(3 * P as u64 + 2, P as u64, 4).expect("geometry");
        let content: Vec<u8> = (0..2 * P + 2).map(|i| (i % 251) as u8).collect();
        let mut got = Vec::new();
        let first = g.piece(1).expect("piece 1");
        let mut pieces = Pieces::new(g, first, |p, d| {
            got.push((p.get(), d));
            true
        });
        // Chunks that cross piece boundaries, and an empty one.
        for chunk in [
            &content[..100],
            &content[100..P + 7],
            &[],
            &content[P + 7..],
        ] {
            assert!(pieces.push(chunk));
        }
        // Nothing past the last piece is taken.
        assert!(!pieces.push(b"k"));
        drop(pieces);
        let want = vec![
            (1, content[..P].to_vec()),
            (2, content[P..2 * P].to_vec()),
            (3, content[2 * P..].to_vec()),
        ];
        assert_eq!(got, want);
    }
}
