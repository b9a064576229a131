//! Streaming to stdout (`bitsy download X.torrent -o -`): the content of
//! one file, verified and in order, while it downloads.
//!
//! ```text
//!   hasher ─ verdict ─▶ main thread: picker.verified, Stream::verified
//!                         │ window.rs: wait for the pieces before it
//!                         ▼ (the reorder buffer), then in order
//!                       writer.rs thread ── the file's bytes ──▶ stdout
//!                         │
//!   picker ◀─ the window ─┘ when the writer gives a buffer back
//! ```
//!
//! The stream is one file: the only file of a single-file torrent, or the
//! one `--select N` names. Its pieces are the run that holds its bytes;
//! of a piece shared with other files only the file's own bytes are
//! written (`slice`). Nothing touches the disk: no file, no part file, no
//! resume state. Verified pieces go here instead of to `storage`.
//!
//! Memory: the picker starts only pieces in the window's fetchable range,
//! nearest the head first (`picker/in_order.rs`), and the window is
//! `width` pieces wide from the oldest piece the writer still holds, so
//! pieces being fetched, hashed, waiting and being written are together
//! at most `width`. The session makes `width` its partial-piece budget in
//! pieces (`Config::partial_budget`, 32 MiB by default; see `session::run`
//! and DESIGN.md, "Streaming to stdout").
//!
//! Uploading: bitsy keeps no copy of what it has streamed, so a stream
//! serves nothing. It tells peers it has no piece (an empty bitfield, no
//! `have`), so they never ask; it still announces to trackers and the DHT
//! to find peers. What it deliberately does not do: seed (`--seed` is
//! refused with `-o -`), resume (a stream starts at the first byte), or
//! stream several files.

mod window;
mod writer;

pub use writer::Done;

use crate::geometry::{Geometry, PieceIndex};
use crate::wire::bitfield::Bitfield;
use crossbeam_channel::Receiver;
use std::io::{self, Write};
use std::ops::Range;
use window::Window;
use writer::{Chunk, Writer};

/// One file's bytes on their way to stdout (see the module docs).
pub struct Stream {
    geometry: Geometry,
    /// The file's bytes in the torrent's content: `offset..offset + length`.
    span: Range<u64>,
    window: Window,
    writer: Writer,
}

impl Stream {
    /// Streams the content bytes `span` of a torrent cut by `geometry` to
    /// `out`, holding at most `width` pieces (at least one) in memory.
    pub fn start<W: Write + Send + 'static>(
        geometry: Geometry,
        span: Range<u64>,
        width: u32,
        out: W,
    ) -> io::Result<Stream> {
        let end = span.end.min(geometry.total_len());
        let span = span.start.min(end)..end;
        let pieces = geometry.pieces_in(span.start, span.end - span.start);
        let width = width.max(1);
        Ok(Stream {
            geometry,
            span,
            window: Window::new(pieces, width),
            writer: Writer::start(out, width as usize)?,
        })
    }

    /// The pieces the stream needs (what the picker wants).
    pub fn pieces(&self) -> Bitfield {
        let mut b = Bitfield::new(self.geometry.num_pieces());
        let span = &self.span;
        let run = self.geometry.pieces_in(span.start, span.end - span.start);
        for p in run.filter_map(|i| self.geometry.piece(i)) {
            b.set(p);
        }
        b
    }

    /// The pieces the picker may start now, nearest the head first.
    pub fn fetchable(&self) -> Range<u32> {
        self.window.fetchable()
    }

    /// A piece passed its hash check: it waits for the pieces before it,
    /// then goes to the writer with those after it that are here. Gives
    /// the bytes back when the window does not take them (a piece it
    /// never let the picker start).
    pub fn verified(&mut self, piece: PieceIndex, data: Vec<u8>) -> Option<Vec<u8>> {
        if let Err(data) = self.window.insert(piece.get(), data) {
            return Some(data);
        }
        while let Some((p, data)) = self.window.next_ready() {
            let range = self.geometry.piece(p).map_or(0..0, |p| self.slice(p));
            self.writer.send(Chunk { data, range });
        }
        None
    }

    /// Where the writer's reports arrive; hand each to [`Stream::on_done`].
    pub fn done(&self) -> &Receiver<Done> {
        self.writer.done()
    }

    /// The writer finished a chunk (its buffer is back, to reuse): the
    /// window moves on one piece.
    pub fn written(&mut self) {
        self.window.written();
    }

    /// Ends the writer: joined when every piece is written (it has
    /// nothing left to do), else only told to stop, not waited for (it
    /// may be blocked on a reader that reads no more; the process ends
    /// without it).
    pub fn finish(&mut self) {
        if self.window.is_done() {
            self.writer.join();
        } else {
            self.writer.close();
        }
    }

    /// Every byte of the file is on stdout.
    pub fn is_done(&self) -> bool {
        self.window.is_done()
    }

    /// The bytes of `piece` (as offsets in it) that belong to the file.
    fn slice(&self, piece: PieceIndex) -> Range<usize> {
        slice(&self.geometry, &self.span, piece)
    }
}

/// The bytes of `piece` that are in `span`, as offsets in the piece
/// (empty if none).
fn slice(g: &Geometry, span: &Range<u64>, piece: PieceIndex) -> Range<usize> {
    let start = g.piece_offset(piece);
    let end = start + u64::from(g.piece_len(piece));
    let from = span.start.clamp(start, end) - start;
    let to = span.end.clamp(start, end) - start;
    match to > from {
        true => from as usize..to as usize,
        false => 0..0,
    }
}

#[cfg(test)]
mod tests;
