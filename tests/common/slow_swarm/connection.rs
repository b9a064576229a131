//! One connection of the slow swarm: handshake, bitfield, unchoke once the
//! gate is open, then requests served in order at the swarm's rate.
//!
//! Byte layouts (BEP 3, big-endian):
//!
//! ```text
//!   handshake  <19><"BitTorrent protocol"><8 reserved><info_hash 20><peer_id 20>
//!   message    <length u32><id u8><payload>      (length 0 = keep-alive)
//!     1 unchoke   5 bitfield <bits, piece 0 = high bit of byte 0>
//!     6 request <index u32><begin u32><length u32>
//!     7 piece <index u32><begin u32><block>   8 cancel <as request>
//! ```
//!
//! Pacing is a token bucket: tokens (bytes) accrue at `rate` per second up
//! to [`BUCKET`]'s worth, and a block goes out when there are tokens for
//! all of it. Between blocks the socket read waits at most until the next
//! one is due, so requests and cancels are read while the bucket fills.
//! Requests that arrive while the downloader is choked are dropped, as
//! BEP 3 says. It does not serve anything but whole, valid requests: a
//! request outside the content or over [`MAX_REQUEST`] closes it.

use super::{MAX_CONNECTION_LIFE, MAX_MESSAGE, MAX_QUEUE, MAX_REQUEST, POLL, Shared};
use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

const PROTOCOL: &[u8; 19] = b"BitTorrent protocol";
const HANDSHAKE_LEN: usize = 1 + 19 + 8 + 20 + 20;
/// Offset of the info hash in a handshake: after pstrlen, pstr, reserved.
const INFO_HASH_AT: usize = 1 + 19 + 8;
// BEP 3 message ids.
const UNCHOKE: u8 = 1;
const BITFIELD: u8 = 5;
const REQUEST: u8 = 6;
const PIECE: u8 = 7;
const CANCEL: u8 = 8;
/// `<length u32><id u8><index u32><begin u32>` before a piece's block.
const PIECE_HEADER: usize = 4 + 1 + 4 + 4;
/// The downloader has this long to send its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// A write that makes no progress for this long ends the connection.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Shortest read wait while a block is due soon (a zero timeout is an error).
const MIN_WAIT: Duration = Duration::from_millis(1);
/// The bucket holds a tenth of a second of the rate, and never less than
/// the largest block, so that every valid request can go out.
const BUCKET: f64 = 0.1;

type Done = Result<(), ()>;

/// Serves one accepted connection until it fails, the downloader leaves,
/// or the swarm stops.
pub(super) fn run(stream: TcpStream, shared: &Shared, seeder: usize) -> Done {
    stream.set_read_timeout(Some(POLL)).map_err(drop)?;
    stream
        .set_write_timeout(Some(WRITE_TIMEOUT))
        .map_err(drop)?;
    let _ = stream.set_nodelay(true);
    let mut c = Connection {
        stream,
        shared,
        buf: Vec::new(),
        queue: VecDeque::new(),
        tokens: 0.0,
        filled_at: Instant::now(),
        out: Vec::new(),
        unchoked: false,
        timeout: POLL,
    };
    c.handshake(seeder)?;
    c.serve()
}

struct Connection<'a> {
    stream: TcpStream,
    shared: &'a Shared,
    /// Bytes read and not yet parsed.
    buf: Vec<u8>,
    /// Requests to serve, oldest first: (index, begin, length).
    queue: VecDeque<(u32, u32, u32)>,
    tokens: f64,
    filled_at: Instant,
    /// The reused `piece` message buffer.
    out: Vec<u8>,
    unchoked: bool,
    /// The read timeout set on the socket now.
    timeout: Duration,
}

impl Connection<'_> {
    fn handshake(&mut self, seeder: usize) -> Done {
        let deadline = Instant::now() + HANDSHAKE_TIMEOUT;
        while self.buf.len() < HANDSHAKE_LEN {
            if Instant::now() > deadline || self.stopped() {
                return Err(());
            }
            self.read_some()?;
        }
        let theirs: Vec<u8> = self.buf.drain(..HANDSHAKE_LEN).collect();
        let spec = &self.shared.spec;
        if theirs[0] != 19
            || &theirs[1..20] != PROTOCOL
            || theirs[INFO_HASH_AT..INFO_HASH_AT + 20] != spec.info_hash
        {
            return Err(());
        }
        let mut ours = Vec::with_capacity(HANDSHAKE_LEN);
        ours.push(19);
        ours.extend_from_slice(PROTOCOL);
        ours.extend_from_slice(&[0; 8]); // no extensions
        ours.extend_from_slice(&spec.info_hash);
        ours.extend_from_slice(format!("-SS0001-{seeder:012}").as_bytes());
        self.stream.write_all(&ours).map_err(drop)?;
        let stats = &self.shared.stats;
        stats.handshakes.fetch_add(1, Ordering::SeqCst);
        let n = self.shared.num_pieces;
        let mut bits = vec![0xffu8; n.div_ceil(8) as usize];
        if let Some(last) = bits.last_mut()
            && !n.is_multiple_of(8)
        {
            *last = 0xff << (8 - n % 8); // spare bits stay clear
        }
        self.send(BITFIELD, &bits)
    }

    fn serve(&mut self) -> Done {
        let started = Instant::now();
        loop {
            if self.stopped() || started.elapsed() > MAX_CONNECTION_LIFE {
                return Err(());
            }
            if !self.unchoked && self.shared.gate_open() {
                self.unchoked = true;
                self.send(UNCHOKE, &[])?;
            }
            let wait = self.send_due()?;
            self.set_timeout(wait.clamp(MIN_WAIT, POLL))?;
            self.read_some()?;
            while let Some((id, payload)) = self.next_message()? {
                self.handle(id, &payload)?;
            }
        }
    }

    /// Sends the queued blocks the bucket allows; how long until the next
    /// one is due ([`POLL`] when none is queued).
    fn send_due(&mut self) -> Result<Duration, ()> {
        let rate = self.shared.spec.rate as f64;
        while let Some(&(index, begin, len)) = self.queue.front() {
            if rate > 0.0 {
                let now = Instant::now();
                let cap = (rate * BUCKET).max(f64::from(MAX_REQUEST));
                let earned = now.duration_since(self.filled_at).as_secs_f64() * rate;
                self.tokens = (self.tokens + earned).min(cap);
                self.filled_at = now;
                let missing = f64::from(len) - self.tokens;
                if missing > 0.0 {
                    return Ok(Duration::from_secs_f64(missing / rate));
                }
                self.tokens -= f64::from(len);
            }
            self.queue.pop_front();
            self.send_block(index, begin, len)?;
        }
        Ok(POLL)
    }

    fn send_block(&mut self, index: u32, begin: u32, len: u32) -> Done {
        let spec = &self.shared.spec;
        let offset = u64::from(index) * u64::from(spec.piece_len) + u64::from(begin);
        self.out.clear();
        self.out.extend_from_slice(&(9 + len).to_be_bytes());
        self.out.push(PIECE);
        self.out.extend_from_slice(&index.to_be_bytes());
        self.out.extend_from_slice(&begin.to_be_bytes());
        self.out.resize(PIECE_HEADER + len as usize, 0);
        let content = &self.shared.content;
        content
            .read_block(offset, &mut self.out[PIECE_HEADER..])
            .map_err(drop)?;
        self.stream.write_all(&self.out).map_err(drop)?;
        self.shared.stats.blocks_sent.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    fn handle(&mut self, id: u8, payload: &[u8]) -> Done {
        match id {
            REQUEST | CANCEL => {
                let [i0, i1, i2, i3, b0, b1, b2, b3, l0, l1, l2, l3] = *payload else {
                    return Err(()); // exactly 12 bytes
                };
                let index = u32::from_be_bytes([i0, i1, i2, i3]);
                let begin = u32::from_be_bytes([b0, b1, b2, b3]);
                let len = u32::from_be_bytes([l0, l1, l2, l3]);
                if id == CANCEL {
                    self.queue.retain(|r| *r != (index, begin, len));
                } else if self.unchoked {
                    self.check(index, begin, len)?;
                    if self.queue.len() >= MAX_QUEUE {
                        return Err(());
                    }
                    self.queue.push_back((index, begin, len));
                }
            }
            _ => {} // choke, interest, have, bitfield, extensions: nothing to do
        }
        Ok(())
    }

    /// A request must lie inside one piece of the content.
    fn check(&self, index: u32, begin: u32, len: u32) -> Done {
        let spec = &self.shared.spec;
        let piece_start = u64::from(index) * u64::from(spec.piece_len);
        let piece_len = spec
            .total_len
            .saturating_sub(piece_start)
            .min(u64::from(spec.piece_len));
        let end = u64::from(begin) + u64::from(len);
        let ok =
            index < self.shared.num_pieces && (1..=MAX_REQUEST).contains(&len) && end <= piece_len;
        if ok { Ok(()) } else { Err(()) }
    }

    /// The next whole message from `buf`; `None` if none is complete (or
    /// it was a keep-alive).
    fn next_message(&mut self) -> Result<Option<(u8, Vec<u8>)>, ()> {
        let Some(head) = self.buf.first_chunk::<4>() else {
            return Ok(None);
        };
        let len = u32::from_be_bytes(*head) as usize;
        if len > MAX_MESSAGE {
            return Err(());
        }
        if self.buf.len() < 4 + len {
            return Ok(None);
        }
        let msg: Vec<u8> = self.buf.drain(..4 + len).skip(4).collect();
        Ok(msg.split_first().map(|(&id, rest)| (id, rest.to_vec())))
    }

    /// One read, waiting at most the socket's timeout. Fails on EOF and
    /// errors; nothing read in time is not an error.
    fn read_some(&mut self) -> Done {
        let mut chunk = [0u8; 16 * 1024];
        match self.stream.read(&mut chunk) {
            Ok(0) => Err(()),
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                Ok(())
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Ok(()),
            Err(e) if e.kind() == ErrorKind::Interrupted => Ok(()),
            Err(_) => Err(()),
        }
    }

    fn set_timeout(&mut self, t: Duration) -> Done {
        if t != self.timeout {
            self.stream.set_read_timeout(Some(t)).map_err(drop)?;
            self.timeout = t;
        }
        Ok(())
    }

    fn send(&mut self, id: u8, payload: &[u8]) -> Done {
        let mut msg = Vec::with_capacity(5 + payload.len());
        msg.extend_from_slice(&(1 + payload.len() as u32).to_be_bytes());
        msg.push(id);
        msg.extend_from_slice(payload);
        self.stream.write_all(&msg).map_err(drop)
    }

    fn stopped(&self) -> bool {
        self.shared.stop.load(Ordering::SeqCst)
    }
}
