//! The writer thread: the one blocking `write` to stdout, off the main
//! thread.
//!
//! ```text
//!   main thread ── Chunk { piece's buffer, the stream's bytes of it } ──▶ writer
//!        ▲                                                                  │
//!        └──────── Done::Written(the buffer) / Closed / Failed ◀────────────┘
//! ```
//!
//! Why a thread: stdout is whoever reads the pipe, and a slow reader (a
//! video player paused, `pv -L`) makes `write` block for as long as it
//! likes. On the main thread that would stop every peer's events, keep-
//! alives and chokes with it; here it only stops the window from moving
//! (`window.rs`), so no new piece is fetched while peers stay served.
//!
//! Invariants: chunks are written whole and in the order sent; each gives
//! exactly one `Done`, in the same order, so the main thread counts pieces
//! out by counting `Written`. Both channels hold the window's width, the
//! most chunks ever out at once, so neither side ever waits on a full
//! channel. After `Closed` or `Failed` the thread ends and writes nothing
//! more.
//!
//! What it deliberately does not do: decide order, or keep a buffer: it
//! sends each back for the picker to reuse.

use crossbeam_channel::{Receiver, Sender, bounded};
use std::io::{self, ErrorKind, Write};
use std::ops::Range;
use std::thread::{self, JoinHandle};

/// One piece's buffer and the bytes of it that belong to the stream.
#[derive(Debug)]
pub struct Chunk {
    pub data: Vec<u8>,
    pub range: Range<usize>,
}

/// What became of a chunk.
#[derive(Debug)]
pub enum Done {
    /// Written and flushed; the buffer is back.
    Written(Vec<u8>),
    /// The reader went away (`EPIPE`): a normal end for a stream
    /// (`bitsy ... -o - | head -c 100`).
    Closed,
    /// Any other write error.
    Failed(io::Error),
}

/// The thread and its two channels.
pub struct Writer {
    /// `None` once closed: the thread ends after the chunks already sent.
    chunks: Option<Sender<Chunk>>,
    done: Receiver<Done>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    /// Starts the thread writing to `out`, with room for `width` chunks
    /// (at least one) in each channel.
    pub fn start<W: Write + Send + 'static>(out: W, width: usize) -> io::Result<Writer> {
        let (chunks_tx, chunks_rx) = bounded::<Chunk>(width.max(1));
        let (done_tx, done_rx) = bounded::<Done>(width.max(1));
        let thread = thread::Builder::new()
            .name("stdout".into())
            .spawn(move || run(out, &chunks_rx, &done_tx))?;
        Ok(Writer {
            chunks: Some(chunks_tx),
            done: done_rx,
            thread: Some(thread),
        })
    }

    /// Hands a chunk over. Never waits while the caller keeps at most
    /// `width` chunks out. After the thread has ended (it met an error,
    /// which its `Done` says), the chunk is dropped.
    pub fn send(&self, chunk: Chunk) {
        if let Some(tx) = &self.chunks {
            let _ = tx.send(chunk);
        }
    }

    /// Where `Done`s arrive, one per chunk, in order.
    pub fn done(&self) -> &Receiver<Done> {
        &self.done
    }

    /// Sends nothing more: the thread ends once it has written what it
    /// has, or at its first error.
    pub fn close(&mut self) {
        self.chunks = None;
    }

    /// Closes, then waits for the thread to end (it ends once the chunks
    /// sent are written, or at the first error).
    pub fn join(&mut self) {
        self.close();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The thread: write each chunk whole and flush, until the channel closes
/// or a write fails.
fn run<W: Write>(mut out: W, chunks: &Receiver<Chunk>, done: &Sender<Done>) {
    for chunk in chunks {
        let result = match chunk.data.get(chunk.range.clone()) {
            Some(bytes) => out.write_all(bytes).and_then(|()| out.flush()),
            None => Err(io::Error::other(format!(
                "a chunk's range {:?} is outside its {} bytes",
                chunk.range,
                chunk.data.len()
            ))),
        };
        let (report, end) = match result {
            Ok(()) => (Done::Written(chunk.data), false),
            Err(e) if e.kind() == ErrorKind::BrokenPipe => (Done::Closed, true),
            Err(e) => (Done::Failed(e), true),
        };
        if done.send(report).is_err() || end {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A sink that keeps what it is given, and fails with `fail` after
    /// `ok_writes` writes.
    #[derive(Clone)]
    struct Sink {
        got: Arc<Mutex<Vec<u8>>>,
        ok_writes: usize,
        fail: ErrorKind,
    }

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.ok_writes == 0 {
                return Err(io::Error::from(self.fail));
            }
            self.ok_writes -= 1;
            self.got
                .lock()
                .map_err(|_| io::Error::other("poisoned"))?
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn chunk(bytes: &[u8], range: Range<usize>) -> Chunk {
        Chunk {
            data: bytes.to_vec(),
            range,
        }
    }

    #[test]
    fn writes_in_order_and_reports_each_chunk() {
        // (ok writes before the error, the error, chunks, what is written,
        //  the Dones: W written, C closed, F failed)
        type Chunks<'a> = &'a [(&'a [u8], Range<usize>)];
        let cases: &[(usize, ErrorKind, Chunks, &[u8], &str)] = &[
            (
                9,
                ErrorKind::BrokenPipe,
                &[(b"abc", 0..3), (b"xdefx", 1..4)],
                b"abcdef",
                "WW",
            ),
            (
                9,
                ErrorKind::BrokenPipe,
                &[(b"abc", 1..1), (b"de", 0..2)],
                b"de",
                "WW",
            ),
            (
                1,
                ErrorKind::BrokenPipe,
                &[(b"abc", 0..3), (b"de", 0..2), (b"f", 0..1)],
                b"abc",
                "WC",
            ),
            (
                0,
                ErrorKind::PermissionDenied,
                &[(b"abc", 0..3), (b"de", 0..2)],
                b"",
                "F",
            ),
            (9, ErrorKind::BrokenPipe, &[(b"abc", 2..9)], b"", "F"),
        ];
        for (ok_writes, fail, chunks, want, dones) in cases {
            let sink = Sink {
                got: Arc::default(),
                ok_writes: *ok_writes,
                fail: *fail,
            };
            let mut w = Writer::start(sink.clone(), 4).unwrap();
            for (bytes, range) in chunks.iter() {
                w.send(chunk(bytes, range.clone()));
            }
            w.join();
            let got: String = w
                .done()
                .try_iter()
                .map(|d| match d {
                    Done::Written(_) => 'W',
                    Done::Closed => 'C',
                    Done::Failed(_) => 'F',
                })
                .collect();
            assert_eq!(&got, dones, "{chunks:?}");
            assert_eq!(&*sink.got.lock().unwrap(), want, "{chunks:?}");
        }
    }

    #[test]
    fn the_buffer_comes_back() {
        let sink = Sink {
            got: Arc::default(),
            ok_writes: 9,
            fail: ErrorKind::BrokenPipe,
        };
        let mut w = Writer::start(sink, 1).unwrap();
        w.send(chunk(b"piece", 0..5));
        w.join();
        match w.done().try_recv() {
            Ok(Done::Written(buf)) => assert_eq!(buf, b"piece"),
            other => panic!("{other:?}"),
        }
    }
}
