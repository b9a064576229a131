//! The frame reader's tests: frames across timeouts and any chunking,
//! blocks read straight in, and the length limit.

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

    /// As a socket's `readv`: one chunk, spread over the buffers in order.
    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        let chunk = match self.0.pop_front() {
            None => return Ok(0),
            Some(None) => return Err(io::ErrorKind::WouldBlock.into()),
            Some(Some(chunk)) => chunk,
        };
        let mut rest = &chunk[..];
        for buf in bufs.iter_mut() {
            let n = rest.len().min(buf.len());
            buf[..n].copy_from_slice(&rest[..n]);
            rest = &rest[n..];
        }
        let n = chunk.len() - rest.len();
        if !rest.is_empty() {
            self.0.push_front(Some(rest.to_vec()));
        }
        Ok(n)
    }
}

/// A `piece` frame with its length prefix: block `fill` repeated `len` times.
fn piece(index: u8, fill: u8, len: usize) -> Vec<u8> {
    let mut f = (9 + len as u32).to_be_bytes().to_vec();
    f.extend_from_slice(&[7, 0, 0, 0, index, 0, 0, 0x40, 0x00]); // id 7, index, begin 16384
    f.extend(std::iter::repeat_n(fill, len));
    f
}

/// Every frame `reader` hands out until `src` ends, a `piece` read
/// straight in given back as its whole frame (head + block).
fn collect(reader: &mut FrameReader, src: &mut impl Read) -> Vec<Vec<u8>> {
    let mut frames = Vec::new();
    for _ in 0..100_000 {
        while let Some(f) = reader.next_frame(Vec::new).unwrap() {
            frames.push(match f {
                Frame::Bytes(bytes) => bytes.to_vec(),
                Frame::Piece { head, block } => [&head[..], &block].concat(),
            });
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
fn pieces_come_out_whole_in_any_chunking() {
    let mut stream = piece(1, 0xaa, 40);
    stream.extend_from_slice(&[0, 0, 0, 5, 4, 0, 0, 0, 9]); // have 9
    stream.extend(piece(2, 0xbb, 30));
    stream.extend_from_slice(&[0, 0, 0, 0]); // keep-alive
    stream.extend(piece(3, 0xcc, 1));
    stream.extend(piece(4, 0xdd, 51)); // exactly max_frame: 9 + 51
    let frames: Vec<Vec<u8>> = {
        let mut all = Vec::new();
        let mut rest = &stream[..];
        while let Some((prefix, after)) = rest.split_first_chunk::<4>() {
            let (frame, tail) = after.split_at(u32::from_be_bytes(*prefix) as usize);
            all.push(frame.to_vec());
            rest = tail;
        }
        all
    };
    assert_eq!(frames.len(), 6);
    for size in 1..=stream.len() {
        for timeouts in [false, true] {
            let chunks = stream
                .chunks(size)
                .flat_map(|c| [Some(c.to_vec()), timeouts.then_some(None).flatten()])
                .filter(|c| c.is_some() || timeouts)
                .collect();
            let mut reader = FrameReader::new(60);
            let got = collect(&mut reader, &mut Trickle(chunks));
            assert_eq!(got, frames, "chunks of {size}, timeouts {timeouts}");
            assert_eq!(reader.buffered(), 0);
        }
    }
}

#[test]
fn streaming_blocks_are_read_straight_into_their_buffers() {
    // Ten 1000-byte blocks, the socket always full: the first block
    // completes in the frame buffer, the second starts there and ends
    // in its buffer, and from the third on each block goes straight in
    // (the read before it took its header, and nothing of it).
    let stream: Vec<u8> = (0..10).flat_map(|i| piece(i, i, 1000)).collect();
    let mut src = Trickle(VecDeque::from([Some(stream)]));
    let mut reader = FrameReader::new(1100);
    let (mut whole, mut straight, mut buffers) = (0, 0, 0);
    for _ in 0..100 {
        while let Some(f) = reader
            .next_frame(|| {
                buffers += 1;
                vec![0xee; 1200] // a used buffer, longer than the block
            })
            .unwrap()
        {
            match f {
                Frame::Bytes(b) => {
                    assert_eq!(b.len(), 1009);
                    whole += 1;
                }
                Frame::Piece { head, block } => {
                    assert_eq!(block, vec![head[4]; 1000], "block {}", head[4]);
                    straight += 1;
                }
            }
        }
        if reader.read_from(&mut src).unwrap() == 0 {
            break;
        }
    }
    assert_eq!((whole, straight, buffers), (1, 9, 9));
    assert_eq!(reader.buffered(), 0);
}

#[test]
fn a_piece_frame_too_short_for_its_header_stays_a_frame() {
    // id 7 with 4 payload bytes: no block to read in; `message` rejects it.
    let stream = vec![0, 0, 0, 5, 7, 0, 0, 0, 1];
    let chunks = stream.chunks(1).map(|c| Some(c.to_vec())).collect();
    let mut reader = FrameReader::new(60);
    let frames = collect(&mut reader, &mut Trickle(chunks));
    assert_eq!(frames, vec![vec![7, 0, 0, 0, 1]]);
}

#[test]
fn oversize_prefix_fails_without_growing() {
    let mut reader = FrameReader::new(100);
    let mut src = Trickle(VecDeque::from([Some(vec![0xff, 0xff, 0xff, 0xff, 0x07])]));
    reader.read_from(&mut src).unwrap();
    assert_eq!(
        reader.next_frame(Vec::new),
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
    assert_eq!(
        reader.next_frame(Vec::new),
        Ok(Some(Frame::Bytes(&[1, 2, 3])))
    );
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
