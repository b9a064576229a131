//! Where verified pieces go: the files on disk (`storage`), or stdout
//! (`stream`, for `-o -`).
//!
//! Part of `Session` (see `session/mod.rs`). The rest of the session
//! asks here instead of looking at the storage: which pieces are wanted,
//! what to tell peers we have, whether to serve. A stream keeps no copy
//! of what it has written, so it offers peers nothing: an empty bitfield
//! at the handshake and no `have` later (see `stream.rs`, "Uploading").
//!
//! The stream's writer thread reports each piece written; the window
//! then moves, and the picker is told ([`Session::on_written`]). A stream
//! is complete when its last byte is written, not when its last piece
//! is verified, so the main loop never waits on stdout: a reader that
//! reads nothing leaves bitsy answering peers, and Ctrl-C, as usual.

use super::{Ended, Session};
use crate::channels::PieceReader;
use crate::error::{Error, Result};
use crate::geometry::BlockRef;
use crate::storage::{Flusher, Storage};
use crate::stream::{Done, Stream};
use crate::wire::bitfield::Bitfield;
use std::io;
use std::ops::Range;
use std::sync::Arc;
use std::time::Instant;

/// What `session::run` is given to keep verified pieces in.
pub enum Output {
    /// The torrent's files (or the selected ones) on disk.
    Files(Storage),
    /// One file's bytes, `offset..offset + length` of the content, to
    /// stdout (`-o -`).
    Stdout(Range<u64>),
}

/// Where verified pieces go, for the session's life.
pub(super) enum Sink {
    Files {
        storage: Storage,
        /// Pushes written pieces to the disk as the download goes on.
        flusher: Flusher,
    },
    Stream(Stream),
}

impl Sink {
    /// The files' flusher, or a stream to stdout holding at most `width`
    /// pieces.
    /// `have`: the pieces found good at the start (the flusher lists them
    /// in the resume state once their files are synced).
    pub(super) fn new(
        out: Output,
        meta: &crate::metainfo::Metainfo,
        width: u32,
        have: &Bitfield,
    ) -> Result<Sink> {
        Ok(match out {
            Output::Files(storage) => Sink::Files {
                flusher: storage.flusher(have),
                storage,
            },
            Output::Stdout(span) => {
                let stream = Stream::start(meta.geometry, span, width, io::stdout());
                Sink::Stream(stream.map_err(|e| Error::Other {
                    context: "cannot start the thread that writes to stdout".into(),
                    source: e,
                })?)
            }
        })
    }

    /// What peer threads read blocks to upload from.
    pub(super) fn reader(&self) -> Arc<dyn PieceReader> {
        match self {
            Sink::Files { storage, .. } => storage.reader(),
            Sink::Stream(_) => Arc::new(NothingKept),
        }
    }

    /// The pieces to download.
    pub(super) fn wanted(&self) -> Bitfield {
        match self {
            Sink::Files { storage, .. } => storage.needed(),
            Sink::Stream(s) => s.pieces(),
        }
    }

    pub(super) fn stream(&mut self) -> Option<&mut Stream> {
        match self {
            Sink::Stream(s) => Some(s),
            Sink::Files { .. } => None,
        }
    }
}

/// A stream's reader: no piece is kept to serve. Never called, since a
/// stream tells peers it has nothing and peer threads refuse requests
/// for pieces we lack; an error if it were.
struct NothingKept;

impl PieceReader for NothingKept {
    fn read_block(&self, block: BlockRef, _out: &mut [u8]) -> io::Result<()> {
        Err(io::Error::other(format!(
            "piece {} is not kept: a stream to stdout serves nothing",
            block.piece
        )))
    }
}

impl Session<'_> {
    /// True if we serve pieces (not when streaming: see the module docs).
    pub(super) fn serves(&self) -> bool {
        matches!(self.sink, Sink::Files { .. })
    }

    /// What we tell a new peer we have.
    pub(super) fn offered(&self) -> Bitfield {
        match self.serves() {
            true => self.picker.have().clone(),
            false => Bitfield::new(self.meta.geometry.num_pieces()),
        }
    }

    /// Hands a verified piece's bytes to the stream, if there is one;
    /// gives back the buffer to reuse when the stream did not keep it.
    pub(super) fn stream_verified(&mut self, v: crate::hasher::Verdict) -> Option<Vec<u8>> {
        match (v.good, self.sink.stream()) {
            (true, Some(s)) => s.verified(v.piece, v.data),
            _ => Some(v.data),
        }
    }

    /// The writer's report on a piece: written (its buffer goes back to
    /// the picker, the window moves on and peers and web seeds may start
    /// the piece it opens), or the end of the stream.
    pub(super) fn on_written(&mut self, done: Done) -> Result<Option<Ended>> {
        let Some(stream) = self.sink.stream() else {
            return Ok(None);
        };
        match done {
            Done::Written(buf) => {
                stream.written();
                let window = stream.fetchable();
                let done = stream.is_done();
                self.picker.set_window(window);
                self.picker.recycle(buf);
                if done {
                    // The last byte is out: the download is complete.
                    let end = self.on_complete(Instant::now())?;
                    return Ok(end.then_some(Ended::Done));
                }
                self.fill_all();
                self.offer_web_work();
                Ok(None)
            }
            Done::Closed => Ok(Some(Ended::StdoutClosed)),
            Done::Failed(e) => Err(stdout_error(e)),
        }
    }

    /// True while a stream has bytes not yet on stdout: it is complete
    /// only when the writer has written the last piece, not when the
    /// last piece is verified.
    pub(super) fn stream_pending(&self) -> bool {
        matches!(&self.sink, Sink::Stream(s) if !s.is_done())
    }

    /// Lets the stream's writer go: it ends at once when everything is
    /// written, and is not waited for otherwise (Ctrl-C, an error).
    pub(super) fn finish_stream(&mut self) {
        if let Some(stream) = self.sink.stream() {
            stream.finish();
        }
    }
}

/// A write to stdout failed (other than a closed pipe).
fn stdout_error(e: io::Error) -> Error {
    Error::Other {
        context: "cannot write to stdout".into(),
        source: e,
    }
}
