//! Splits a byte stream into length-prefixed frames, across read timeouts,
//! and reads each block of a `piece` straight into a block buffer.
//!
//! A peer thread reads with a short timeout so it can act on commands
//! between reads; a frame may arrive in pieces over many reads. The
//! [`FrameReader`] keeps whatever has arrived in one fixed buffer and hands
//! out a frame only once all of it is there, so a timeout in the middle of
//! a message loses nothing (unlike `read_exact`, which drops the partial
//! bytes it read when it returns a timeout error).
//!
//! Blocks straight in: a `piece` frame is nearly all block, and a block
//! ends in a buffer of its own (`block_pool`) that goes to the main thread.
//! Once a `piece` frame's 13-byte header is in and the rest is still to
//! come, the reader moves what has arrived of the block into such a
//! buffer, and reads the rest of it there directly, with one `readv` that
//! also takes the next frame's header:
//!
//! ```text
//!   readv ─▶ [ rest of this block → block buffer ][ next 13 bytes → frame buffer ]
//! ```
//!
//! While blocks stream in, every block goes from the socket to its buffer
//! with no copy on our side, at one read per block. (Copying each block
//! out of the frame buffer was 3-4 % of a downloader's CPU.)
//!
//! Invariants:
//! - the frame buffer is allocated once, `LEN_PREFIX + max_frame` bytes, and
//!   never grows: a peer cannot make us allocate by announcing a huge length;
//! - `start <= end <= buf.len()`; bytes `start..end` are received and not
//!   yet handed out;
//! - a length prefix above `max_frame` is an error as soon as its four
//!   bytes are in, before any of the frame is read; a block buffer is never
//!   larger than `max_frame`;
//! - while a block is read straight in, the frame buffer is empty until the
//!   block is whole, and only then receives the next bytes; a block is
//!   handed out only when every byte of its buffer came from the stream.
//!
//! The limit itself, [`max_frame_len`], is computed once per torrent from
//! the largest legitimate message. This module does not decode messages
//! (see `message`), nor check that a block was asked for (`peer/requests`).

use crate::geometry::BLOCK_LEN;
use crate::wire::message::{LEN_PREFIX, PIECE_HEADER_LEN, id};
use std::fmt;
use std::io::{self, IoSliceMut, Read};

/// Room for an `extended` message (BEP 10) a little larger than a block.
/// A BEP 9 metadata piece is 16 KiB of the info dictionary behind two ids
/// and a bencoded header of about 50 bytes
/// (`d8:msg_typei1e5:piecei0e10:total_sizei31337ee`), so it must fit
/// whatever the torrent's bitfield; peers also send extension messages we
/// never advertised, and skipping one is cheaper than dropping a good peer.
pub const UNKNOWN_SLACK: usize = 1024;

/// The largest frame (length prefix excluded) a peer of this torrent may
/// send: a `piece` carrying a full block, or the `bitfield`, whichever is
/// larger, plus [`UNKNOWN_SLACK`]. A larger length prefix ends the
/// connection before anything is allocated for it.
pub fn max_frame_len(bitfield_len: usize) -> usize {
    let piece = PIECE_HEADER_LEN + BLOCK_LEN as usize;
    let bitfield = bitfield_len.saturating_add(1);
    piece.max(bitfield).saturating_add(UNKNOWN_SLACK)
}

/// A peer announced a frame longer than this torrent allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameTooLong {
    pub len: u32,
    pub max: usize,
}

impl fmt::Display for FrameTooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "message of {} bytes, limit {}", self.len, self.max)
    }
}

impl std::error::Error for FrameTooLong {}

/// What [`FrameReader::next_frame`] hands out.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A whole frame (length prefix removed), in the reader's buffer.
    Bytes(&'a [u8]),
    /// A `piece` frame whose block was read straight into its own buffer:
    /// the frame's first bytes (id, index, begin) and the block.
    Piece {
        head: [u8; PIECE_HEADER_LEN],
        block: Vec<u8>,
    },
}

/// A `piece` frame's block being read straight into its buffer.
struct BlockIn {
    head: [u8; PIECE_HEADER_LEN],
    /// As long as the block; `data[..filled]` came from the stream.
    data: Vec<u8>,
    filled: usize,
}

/// Accumulates bytes and yields complete frames (length prefix removed).
pub struct FrameReader {
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    max_frame: usize,
    /// The block being read straight in, if any.
    block: Option<BlockIn>,
}

impl FrameReader {
    /// A reader for frames of at most `max_frame` bytes (see
    /// [`max_frame_len`]).
    pub fn new(max_frame: usize) -> Self {
        FrameReader {
            buf: vec![0; LEN_PREFIX.saturating_add(max_frame)].into_boxed_slice(),
            start: 0,
            end: 0,
            max_frame,
            block: None,
        }
    }

    /// Bytes received and not yet handed out as a frame.
    pub fn buffered(&self) -> usize {
        let block = self.block.as_ref().map_or(0, |b| b.filled);
        self.end - self.start + block
    }

    /// The fixed size of the frame buffer.
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// One `read` call: into the free part of the frame buffer, or, while a
    /// block is read straight in, into the rest of the block and then the
    /// next frame's header. Returns what `read` returns: `Ok(0)` is end of
    /// stream, and a timeout comes back as an error with nothing lost. Call
    /// [`next_frame`](Self::next_frame) until it returns `None` before
    /// reading again.
    pub fn read_from(&mut self, src: &mut impl Read) -> io::Result<usize> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.end == self.buf.len() {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if let Some(block) = &mut self.block {
            // The frame buffer is empty here (see the invariants).
            let rest = block.data.get_mut(block.filled..).unwrap_or_default();
            let want = rest.len();
            let next = LEN_PREFIX + PIECE_HEADER_LEN;
            let header = self.buf.get_mut(..next).unwrap_or_default();
            let n = src.read_vectored(&mut [IoSliceMut::new(rest), IoSliceMut::new(header)])?;
            block.filled += n.min(want);
            self.end = n.saturating_sub(want);
            return Ok(n);
        }
        let room = self.buf.get_mut(self.end..).unwrap_or_default();
        if room.is_empty() {
            // Unreachable while callers drain frames first: a full buffer
            // starting at 0 always holds a whole frame of <= max_frame.
            return Err(io::Error::other("frame buffer full"));
        }
        let n = src.read(room)?;
        self.end += n;
        Ok(n)
    }

    /// The next complete frame, if one has arrived. When a `piece` frame's
    /// header is in and its block is not, the block's bytes move into
    /// `block_buf()` (called at most once, then) and the rest of the block
    /// will be read there.
    pub fn next_frame(
        &mut self,
        block_buf: impl FnOnce() -> Vec<u8>,
    ) -> Result<Option<Frame<'_>>, FrameTooLong> {
        if let Some(block) = self.block.take_if(|b| b.filled == b.data.len()) {
            return Ok(Some(Frame::Piece {
                head: block.head,
                block: block.data,
            }));
        }
        if self.block.is_some() {
            return Ok(None);
        }
        let avail = self.buf.get(self.start..self.end).unwrap_or_default();
        let Some(prefix) = avail.first_chunk::<LEN_PREFIX>() else {
            return Ok(None);
        };
        let len = u32::from_be_bytes(*prefix);
        let frame_len = usize::try_from(len).unwrap_or(usize::MAX);
        if frame_len > self.max_frame {
            return Err(FrameTooLong {
                len,
                max: self.max_frame,
            });
        }
        let frame_start = self.start + LEN_PREFIX;
        let frame_end = frame_start + frame_len;
        if frame_end > self.end {
            self.start_block(frame_start, frame_len, block_buf);
            return Ok(None);
        }
        self.start = frame_end;
        Ok(self.buf.get(frame_start..frame_end).map(Frame::Bytes))
    }

    /// The buffer of a block being read straight in, taken back (the
    /// reader forgets that block): for a caller whose buffers must go home
    /// when the connection ends mid-block.
    pub fn take_block_buf(&mut self) -> Option<Vec<u8>> {
        self.block.take().map(|b| b.data)
    }

    /// If the incomplete frame at `frame_start` is a `piece` whose header is
    /// in, moves what has arrived of its block into a block buffer, to be
    /// read straight in from now on.
    fn start_block(
        &mut self,
        frame_start: usize,
        frame_len: usize,
        block_buf: impl FnOnce() -> Vec<u8>,
    ) {
        let arrived = self.buf.get(frame_start..self.end).unwrap_or_default();
        let Some((head, part)) = arrived.split_first_chunk::<PIECE_HEADER_LEN>() else {
            return;
        };
        if head[0] != id::PIECE {
            return;
        }
        // frame_len > arrived.len() >= PIECE_HEADER_LEN: the block is not empty.
        let mut data = block_buf();
        // A reused buffer keeps its length: resizing to the same length
        // writes nothing, and every byte is overwritten before it is seen.
        data.resize(frame_len - PIECE_HEADER_LEN, 0);
        let Some(into) = data.get_mut(..part.len()) else {
            return;
        };
        into.copy_from_slice(part);
        self.block = Some(BlockIn {
            head: *head,
            filled: part.len(),
            data,
        });
        self.start = self.end;
    }
}

#[cfg(test)]
mod tests;
