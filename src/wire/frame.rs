//! Splits a byte stream into length-prefixed frames, across read timeouts.
//!
//! A peer thread reads with a short timeout so it can act on commands
//! between reads; a frame may arrive in pieces over many reads. The
//! [`FrameReader`] keeps whatever has arrived in one fixed buffer and hands
//! out a frame only once all of it is there, so a timeout in the middle of
//! a message loses nothing (unlike `read_exact`, which drops the partial
//! bytes it read when it returns a timeout error).
//!
//! Invariants:
//! - the buffer is allocated once, `LEN_PREFIX + max_frame` bytes, and never
//!   grows: a peer cannot make us allocate by announcing a huge length;
//! - `start <= end <= buf.len()`; bytes `start..end` are received and not
//!   yet handed out;
//! - a length prefix above `max_frame` is an error as soon as its four
//!   bytes are in, before any of the frame is read.
//!
//! The limit itself, [`max_frame_len`], is computed once per torrent from
//! the largest legitimate message. This module does not decode messages
//! (see `message`).

use crate::geometry::BLOCK_LEN;
use crate::wire::message::{LEN_PREFIX, PIECE_HEADER_LEN};
use std::fmt;
use std::io::{self, Read};

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

/// Accumulates bytes and yields complete frames (length prefix removed).
pub struct FrameReader {
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    max_frame: usize,
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
        }
    }

    /// Bytes received and not yet handed out as a frame.
    pub fn buffered(&self) -> usize {
        self.end - self.start
    }

    /// The fixed size of the buffer.
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// One `read` call into the free part of the buffer. Returns what
    /// `read` returns: `Ok(0)` is end of stream, and a timeout comes back
    /// as an error with nothing lost. Call [`next_frame`](Self::next_frame)
    /// until it returns `None` before reading again.
    pub fn read_from(&mut self, src: &mut impl Read) -> io::Result<usize> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.end == self.buf.len() {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
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

    /// The next complete frame, if one has arrived.
    pub fn next_frame(&mut self) -> Result<Option<&[u8]>, FrameTooLong> {
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
            return Ok(None);
        }
        self.start = frame_end;
        Ok(self.buf.get(frame_start..frame_end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// A source that hands out scripted chunks, with a timeout between each.
    struct Trickle(VecDeque<Option<Vec<u8>>>);

    impl Read for Trickle {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            match self.0.pop_front() {
                None => Ok(0),
                Some(None) => Err(io::ErrorKind::WouldBlock.into()),
                Some(Some(mut chunk)) => {
                    let n = chunk.len().min(out.len());
                    out[..n].copy_from_slice(&chunk[..n]);
                    if n < chunk.len() {
                        self.0.push_front(Some(chunk.split_off(n)));
                    }
                    Ok(n)
                }
            }
        }
    }

    fn collect(reader: &mut FrameReader, src: &mut Trickle) -> Vec<Vec<u8>> {
        let mut frames = Vec::new();
        for _ in 0..10_000 {
            while let Some(f) = reader.next_frame().unwrap() {
                frames.push(f.to_vec());
            }
            match reader.read_from(src) {
                Ok(0) => return frames,
                Ok(_) => {}
                Err(e) => assert_eq!(e.kind(), io::ErrorKind::WouldBlock),
            }
        }
        panic!("source never ended");
    }

    #[test]
    fn frames_survive_timeouts_mid_message() {
        let mut stream = vec![
            0x00, 0x00, 0x00, 0x00, // keep-alive
            0x00, 0x00, 0x00, 0x05, // length 5
            0x04, 0x00, 0x00, 0x00, 0x07, // have 7
        ];
        stream.extend_from_slice(&[0x00, 0x00, 0x00, 0x28]); // length 40
        stream.extend_from_slice(&[0x07; 40]); // a 40-byte frame, fills the buffer
        // One byte per read, a timeout after each.
        let chunks = stream.iter().flat_map(|b| [Some(vec![*b]), None]).collect();
        let mut reader = FrameReader::new(40);
        let frames = collect(&mut reader, &mut Trickle(chunks));
        assert_eq!(frames.len(), 3);
        assert_eq!(frames[0], Vec::<u8>::new());
        assert_eq!(frames[1], [4, 0, 0, 0, 7]);
        assert_eq!(frames[2], vec![7; 40]);
        assert_eq!(reader.buffered(), 0);
    }

    #[test]
    fn big_reads_wrap_around_the_buffer() {
        // 50 frames of 30 bytes in 7-byte reads through a 34-byte buffer.
        let mut stream = Vec::new();
        for i in 0..50u8 {
            stream.extend_from_slice(&[0, 0, 0, 30]);
            stream.extend_from_slice(&[i; 30]);
        }
        let chunks = stream.chunks(7).map(|c| Some(c.to_vec())).collect();
        let mut reader = FrameReader::new(30);
        let frames = collect(&mut reader, &mut Trickle(chunks));
        assert_eq!(frames.len(), 50);
        assert!(
            frames
                .iter()
                .enumerate()
                .all(|(i, f)| *f == vec![i as u8; 30])
        );
    }

    #[test]
    fn oversize_prefix_fails_without_growing() {
        let mut reader = FrameReader::new(100);
        let mut src = Trickle(VecDeque::from([Some(vec![0xff, 0xff, 0xff, 0xff, 0x07])]));
        reader.read_from(&mut src).unwrap();
        assert_eq!(
            reader.next_frame(),
            Err(FrameTooLong {
                len: u32::MAX,
                max: 100
            })
        );
        assert_eq!(reader.capacity(), 104);
        // Exactly the limit is fine.
        let mut reader = FrameReader::new(3);
        let mut src = Trickle(VecDeque::from([Some(vec![0, 0, 0, 3, 1, 2, 3])]));
        reader.read_from(&mut src).unwrap();
        assert_eq!(reader.next_frame(), Ok(Some(&[1u8, 2, 3][..])));
    }

    #[test]
    fn max_frame_len_is_block_or_bitfield() {
        // A small torrent: a full piece message wins.
        assert_eq!(max_frame_len(1), 9 + 16_384 + UNKNOWN_SLACK);
        // 1,000,000 pieces: a 125,000-byte bitfield wins.
        assert_eq!(max_frame_len(125_000), 125_001 + UNKNOWN_SLACK);
        assert_eq!(max_frame_len(usize::MAX), usize::MAX);
    }

    #[test]
    fn a_metadata_piece_fits_the_smallest_limit() {
        // <20><ut_metadata id> + the BEP 9 header of a piece of a 10 MiB
        // info dictionary, with room to spare for longer keys + 16 KiB.
        let header = b"d8:msg_typei1e5:piecei639e10:total_sizei10485760ee";
        let extended = 2 + header.len() + BLOCK_LEN as usize;
        assert!(extended + 256 <= max_frame_len(0), "{extended}");
    }
}
