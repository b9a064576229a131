//! In-process fake seeders on loopback, for tests of bitsy's download path.
//!
//! Written from BEP 3 directly and independently of bitsy's `wire` module:
//! if both sides shared one encoder, a bug in it would pass every test. The
//! byte layouts, all big-endian:
//!
//! ```text
//!   handshake  <19><"BitTorrent protocol"><8 reserved><info_hash 20><peer_id 20>
//!   message    <length u32><id u8><payload>      (length 0 = keep-alive)
//!     0 choke  1 unchoke  2 interested  3 not interested
//!     4 have <index u32>   5 bitfield <bits, piece 0 = high bit of byte 0>
//!     6 request <index u32><begin u32><length u32>
//!     7 piece <index u32><begin u32><block>   8 cancel <as request>
//!     20 extended <ext id u8><bencoded dict>  (BEP 10; reserved[5] & 0x10)
//!        ext id 0: handshake; ext id 1: ut_pex, our local id (BEP 11)
//!     14 have all   16 reject request <as request>  (BEP 6; reserved[7] & 0x04)
//! ```
//!
//! A seeder waits for the downloader's handshake, checks the info hash,
//! answers with its own, tells what it has (per [`Behaviour`]), unchokes
//! on `interested` and serves every valid `request`. Everything is bounded:
//! at most [`MAX_CONNECTIONS`] connections, [`MAX_MESSAGE`] bytes per
//! message, [`MAX_CONNECTION_LIFE`] per connection. Dropping a seeder stops
//! its threads and joins them.
//!
//! ```ignore
//! let seeder = FakeSeeder::start(&torrent, Behaviour::normal());
//! let lazy = FakeSeeder::start(&torrent, Behaviour::normal().haves_later(Duration::from_millis(300)));
//! tracker.set_peers(vec![seeder.addr(), lazy.addr()]);
//! ```

pub use super::seeder_behaviour::{Behaviour, PieceAnnounce};
use super::test_torrent::TestTorrent;
use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

// BEP 3 message ids.
const CHOKE: u8 = 0;
const UNCHOKE: u8 = 1;
const INTERESTED: u8 = 2;
const HAVE: u8 = 4;
const BITFIELD: u8 = 5;
const REQUEST: u8 = 6;
const PIECE: u8 = 7;
// BEP 6 (the ones a seeder sends).
const HAVE_ALL: u8 = 14;
const REJECT_REQUEST: u8 = 16;
// BEP 10.
const EXTENDED: u8 = 20;
/// The id we ask for `ut_pex` under (BEP 11), and bitsy's own local id,
/// used when bitsy does not offer one.
const OUR_PEX_ID: u8 = 1;
const BITSY_PEX_ID: u8 = 2;

const PROTOCOL: &[u8; 19] = b"BitTorrent protocol";
const HANDSHAKE_LEN: usize = 1 + 19 + 8 + 20 + 20;

/// Largest block we serve; BEP 3 clients ask for 16 KiB, some for 128 KiB
/// at most, and larger requests are closed as abuse by real clients.
pub const MAX_REQUEST: u32 = 128 * 1024;
/// Largest message we accept from the downloader (a bitfield for a huge
/// torrent would still fit).
pub const MAX_MESSAGE: usize = 1024 * 1024;
/// Connections served at once; more are closed at once.
pub const MAX_CONNECTIONS: usize = 16;
/// No test connection lives longer than this.
pub const MAX_CONNECTION_LIFE: Duration = Duration::from_secs(300);
/// How often blocked reads look at the stop flag.
const POLL: Duration = Duration::from_millis(20);

/// Counters a test can read while the seeder runs.
#[derive(Debug, Default)]
pub struct SeederStats {
    /// TCP connections accepted.
    pub connections: AtomicU64,
    /// Handshakes with the right info hash.
    pub handshakes: AtomicU64,
    /// `interested` messages received.
    pub interested: AtomicU64,
    /// `request` messages received (served or not).
    pub requests: AtomicU64,
    /// `piece` messages sent.
    pub blocks_sent: AtomicU64,
    /// Most requests held at once on one connection (`hold_requests`).
    pub max_held: AtomicU64,
    /// `reject request` messages sent (BEP 6).
    pub rejects: AtomicU64,
    /// Connections on which both sides set BEP 6's bit.
    pub fast_negotiated: AtomicU64,
    /// The downloader's extended handshakes (BEP 10), payloads.
    pub ext_handshakes: Mutex<Vec<Vec<u8>>>,
    /// `ut_pex` messages received (BEP 11), payloads.
    pub pex_received: Mutex<Vec<Vec<u8>>>,
}

/// A running fake seeder; stops on drop.
pub struct FakeSeeder {
    addr: SocketAddr,
    stats: Arc<SeederStats>,
    stop: Arc<AtomicBool>,
    accept_thread: Option<JoinHandle<()>>,
}

struct Shared {
    torrent: TestTorrent,
    behaviour: Behaviour,
    peer_id: [u8; 20],
    stats: Arc<SeederStats>,
    stop: Arc<AtomicBool>,
}

impl FakeSeeder {
    /// Starts a seeder for `torrent` on 127.0.0.1, on a free port.
    pub fn start(torrent: &TestTorrent, behaviour: Behaviour) -> FakeSeeder {
        Self::start_on(IpAddr::V4(Ipv4Addr::LOCALHOST), torrent, behaviour)
    }

    /// Starts a seeder on a chosen loopback address (e.g. 127.0.0.7), for
    /// tests that need peers at distinct IPs.
    pub fn start_on(ip: IpAddr, torrent: &TestTorrent, behaviour: Behaviour) -> FakeSeeder {
        let listener = TcpListener::bind((ip, 0)).expect("bind fake seeder");
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let addr = listener.local_addr().expect("fake seeder address");
        let stats = Arc::new(SeederStats::default());
        let stop = Arc::new(AtomicBool::new(false));
        let mut peer_id = *b"-FS0001-000000000000";
        let port = addr.port().to_string();
        for (dst, src) in peer_id[20 - port.len()..].iter_mut().zip(port.bytes()) {
            *dst = src;
        }
        let shared = Arc::new(Shared {
            torrent: torrent.clone(),
            behaviour,
            peer_id,
            stats: stats.clone(),
            stop: stop.clone(),
        });
        let accept_thread = thread::spawn(move || accept_loop(listener, shared));
        FakeSeeder {
            addr,
            stats,
            stop,
            accept_thread: Some(accept_thread),
        }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its counters.
    pub fn stats(&self) -> &SeederStats {
        &self.stats
    }

    /// Blocks sent so far, over all connections.
    pub fn blocks_sent(&self) -> u64 {
        self.stats.blocks_sent.load(Ordering::SeqCst)
    }

    /// Most requests held at once on one connection (`hold_requests`).
    pub fn max_held(&self) -> u64 {
        self.stats.max_held.load(Ordering::SeqCst)
    }

    /// `request` messages received so far, over all connections.
    pub fn requests(&self) -> u64 {
        self.stats.requests.load(Ordering::SeqCst)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.stats.connections.load(Ordering::SeqCst)
    }

    /// The `ut_pex` payloads received so far.
    pub fn pex_received(&self) -> Vec<Vec<u8>> {
        self.stats.pex_received.lock().unwrap().clone()
    }

    /// The downloader's extended handshakes so far.
    pub fn ext_handshakes(&self) -> Vec<Vec<u8>> {
        self.stats.ext_handshakes.lock().unwrap().clone()
    }
}

impl Drop for FakeSeeder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.accept_thread.take() {
            let _ = t.join();
        }
    }
}

/// The id an extended handshake's `m` gives `ut_pex`, found by its bytes
/// (`6:ut_pexi<digits>e`) rather than by a bencode decoder; 0 is none.
fn pex_id_in(handshake: &[u8]) -> Option<u8> {
    let key = b"6:ut_pexi";
    let at = handshake.windows(key.len()).position(|w| w == key)? + key.len();
    let digits: Vec<u8> = handshake[at..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .copied()
        .collect();
    let id: u8 = std::str::from_utf8(&digits).ok()?.parse().ok()?;
    (id != 0).then_some(id)
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections: Vec<JoinHandle<()>> = Vec::new();
    while !shared.stop.load(Ordering::SeqCst) {
        connections.retain(|c| !c.is_finished());
        match listener.accept() {
            Ok((stream, _)) => {
                shared.stats.connections.fetch_add(1, Ordering::SeqCst);
                if connections.len() < MAX_CONNECTIONS {
                    let shared = shared.clone();
                    connections.push(thread::spawn(move || {
                        let _ = Connection::new(stream, &shared).and_then(|mut c| c.run());
                    }));
                }
            }
            Err(_) => thread::sleep(POLL),
        }
    }
    for c in connections {
        let _ = c.join();
    }
}

/// Why a connection ended; the seeder does not care beyond closing.
type Done = Result<(), ()>;

struct Connection<'a> {
    stream: TcpStream,
    shared: &'a Shared,
    buf: Vec<u8>,
    started: Instant,
    unchoked: bool,
    blocks_sent: u32,
    /// When to send the delayed haves, if still pending.
    haves_at: Option<Instant>,
    /// Requests received and not served yet (`hold_requests`).
    held: Vec<(u32, u32, u32)>,
    /// Both handshakes set BEP 6's bit.
    fast: bool,
    /// Our `ut_pex` payloads went out on this connection.
    pex_sent: bool,
}

impl<'a> Connection<'a> {
    fn new(stream: TcpStream, shared: &'a Shared) -> Result<Self, ()> {
        stream.set_nonblocking(false).map_err(drop)?;
        stream.set_read_timeout(Some(POLL)).map_err(drop)?;
        stream
            .set_write_timeout(Some(Duration::from_secs(10)))
            .map_err(drop)?;
        let _ = stream.set_nodelay(true);
        Ok(Connection {
            stream,
            shared,
            buf: Vec::new(),
            started: Instant::now(),
            unchoked: false,
            blocks_sent: 0,
            haves_at: None,
            held: Vec::new(),
            fast: false,
            pex_sent: false,
        })
    }

    fn has(&self, piece: u32) -> bool {
        piece < self.shared.torrent.num_pieces()
            && match &self.shared.behaviour.pieces {
                None => true,
                Some(list) => list.contains(&piece),
            }
    }

    fn run(&mut self) -> Done {
        // Their handshake first; ours only if the info hash matches.
        let theirs = self.read_exact(HANDSHAKE_LEN)?;
        let info_hash_ok = theirs[0] == 19
            && &theirs[1..20] == PROTOCOL
            && theirs[28..48] == self.shared.torrent.info_hash;
        if !info_hash_ok {
            return Err(());
        }
        self.shared.stats.handshakes.fetch_add(1, Ordering::SeqCst);
        let mut ours = Vec::with_capacity(HANDSHAKE_LEN);
        ours.push(19);
        ours.extend_from_slice(PROTOCOL);
        let mut reserved = [0u8; 8];
        let behaviour = &self.shared.behaviour;
        let extended = behaviour.reqq.is_some() || behaviour.pex_send.is_some();
        if extended {
            reserved[5] = 0x10; // BEP 10: extension protocol
        }
        if self.shared.behaviour.fast {
            reserved[7] = 0x04; // BEP 6: fast extension
            self.fast = theirs[27] & 0x04 != 0;
            if self.fast {
                let stats = &self.shared.stats;
                stats.fast_negotiated.fetch_add(1, Ordering::SeqCst);
            }
        }
        ours.extend_from_slice(&reserved);
        ours.extend_from_slice(&self.shared.torrent.info_hash);
        ours.extend_from_slice(&self.shared.peer_id);
        self.write(&ours)?;
        if extended {
            // Extended id 0 (handshake):
            // d [1:m d 6:ut_pex i1e e] 4:reqq i<reqq>e 1:v 11:fake-seeder e
            let reqq = self.shared.behaviour.reqq.unwrap_or(250);
            let m = if self.shared.behaviour.pex_send.is_some() {
                format!("1:md6:ut_pexi{OUR_PEX_ID}ee")
            } else {
                String::new()
            };
            let dict = format!("d{m}4:reqqi{reqq}e1:v11:fake-seedere");
            self.send_message(EXTENDED, &[&[0u8][..], dict.as_bytes()].concat())?;
        }

        match self.shared.behaviour.announce.clone() {
            PieceAnnounce::Bitfield if self.fast && self.shared.behaviour.pieces.is_none() => {
                self.send_message(HAVE_ALL, &[])?
            }
            PieceAnnounce::Bitfield => self.send_bitfield()?,
            PieceAnnounce::Haves => self.send_haves()?,
            PieceAnnounce::HavesLater(delay) => self.haves_at = Some(Instant::now() + delay),
        }

        loop {
            if let Some(at) = self.haves_at
                && Instant::now() >= at
            {
                self.haves_at = None;
                self.send_haves()?;
            }
            let Some((id, payload)) = self.next_message()? else {
                self.serve_held()?; // the downloader paused
                continue;
            };
            self.handle(id, &payload)?;
        }
    }

    fn handle(&mut self, id: u8, payload: &[u8]) -> Done {
        match id {
            INTERESTED => {
                self.shared.stats.interested.fetch_add(1, Ordering::SeqCst);
                if self.haves_at.take().is_some() {
                    self.send_haves()?;
                }
                if !self.shared.behaviour.never_unchoke && !self.unchoked {
                    self.unchoked = true;
                    self.send_message(UNCHOKE, &[])?;
                }
            }
            REQUEST => {
                self.shared.stats.requests.fetch_add(1, Ordering::SeqCst);
                let [i0, i1, i2, i3, b0, b1, b2, b3, l0, l1, l2, l3] = *payload else {
                    return Err(()); // a request is exactly 12 bytes
                };
                let index = u32::from_be_bytes([i0, i1, i2, i3]);
                let begin = u32::from_be_bytes([b0, b1, b2, b3]);
                let len = u32::from_be_bytes([l0, l1, l2, l3]);
                if self.fast && self.shared.behaviour.reject_all {
                    self.shared.stats.rejects.fetch_add(1, Ordering::SeqCst);
                    self.send_message(REJECT_REQUEST, payload)?;
                } else if self.unchoked && self.shared.behaviour.hold_requests {
                    self.held.push((index, begin, len));
                    let held = self.held.len() as u64;
                    self.shared.stats.max_held.fetch_max(held, Ordering::SeqCst);
                } else if self.unchoked {
                    self.serve(index, begin, len)?;
                }
            }
            EXTENDED => self.extended(payload)?,
            CHOKE..=BITFIELD => {} // choke, unchoke, not interested, have, bitfield
            _ => {}                // cancel (we answer at once), extensions
        }
        Ok(())
    }

    /// BEP 10/11: records the downloader's extended handshake and its
    /// `ut_pex` messages; after its first handshake, sends ours.
    fn extended(&mut self, payload: &[u8]) -> Done {
        let Some((&id, body)) = payload.split_first() else {
            return Err(());
        };
        match id {
            0 => {
                let stats = &self.shared.stats;
                stats.ext_handshakes.lock().unwrap().push(body.to_vec());
                let first = !std::mem::replace(&mut self.pex_sent, true);
                if let (true, Some(payloads)) = (first, &self.shared.behaviour.pex_send) {
                    let their_id = pex_id_in(body).unwrap_or(BITSY_PEX_ID);
                    for p in payloads.clone() {
                        self.send_message(EXTENDED, &[&[their_id][..], &p].concat())?;
                    }
                }
            }
            OUR_PEX_ID => self
                .shared
                .stats
                .pex_received
                .lock()
                .unwrap()
                .push(body.to_vec()),
            _ => {}
        }
        Ok(())
    }

    fn serve(&mut self, index: u32, begin: u32, len: u32) -> Done {
        if !self.has(index) || len == 0 || len > MAX_REQUEST {
            return Err(()); // real clients close on such requests
        }
        let piece = self.shared.torrent.piece(index);
        let start = begin as usize;
        let Some(end) = start
            .checked_add(len as usize)
            .filter(|&e| e <= piece.len())
        else {
            return Err(());
        };
        let mut payload = Vec::with_capacity(8 + len as usize);
        payload.extend_from_slice(&index.to_be_bytes());
        payload.extend_from_slice(&begin.to_be_bytes());
        if self.shared.behaviour.corrupt.contains(&index) {
            payload.extend(piece[start..end].iter().map(|b| !b));
        } else {
            payload.extend_from_slice(&piece[start..end]);
        }
        self.send_message(PIECE, &payload)?;
        self.blocks_sent += 1;
        self.shared.stats.blocks_sent.fetch_add(1, Ordering::SeqCst);
        if let Some(limit) = self.shared.behaviour.disconnect_after_blocks
            && self.blocks_sent >= limit
        {
            return Err(()); // drop the connection, mid-piece if it has more blocks
        }
        Ok(())
    }

    fn serve_held(&mut self) -> Done {
        for (index, begin, len) in std::mem::take(&mut self.held) {
            self.serve(index, begin, len)?;
        }
        Ok(())
    }

    fn send_bitfield(&mut self) -> Done {
        let n = self.shared.torrent.num_pieces();
        let mut bits = vec![0u8; n.div_ceil(8) as usize];
        for piece in 0..n {
            if self.has(piece) {
                bits[(piece / 8) as usize] |= 0x80 >> (piece % 8);
            }
        }
        self.send_message(BITFIELD, &bits)
    }

    fn send_haves(&mut self) -> Done {
        for piece in 0..self.shared.torrent.num_pieces() {
            if self.has(piece) {
                self.send_message(HAVE, &piece.to_be_bytes())?;
            }
        }
        Ok(())
    }

    fn send_message(&mut self, id: u8, payload: &[u8]) -> Done {
        let mut msg = Vec::with_capacity(5 + payload.len());
        msg.extend_from_slice(&(1 + payload.len() as u32).to_be_bytes());
        msg.push(id);
        msg.extend_from_slice(payload);
        self.write(&msg)
    }

    fn write(&mut self, bytes: &[u8]) -> Done {
        self.stream.write_all(bytes).map_err(drop)
    }

    /// The next whole message, `None` if none is complete yet (or it was
    /// a keep-alive).
    fn next_message(&mut self) -> Result<Option<(u8, Vec<u8>)>, ()> {
        self.fill(4)?;
        if self.buf.len() < 4 {
            return Ok(None);
        }
        let len = u32::from_be_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]]) as usize;
        if len > MAX_MESSAGE {
            return Err(());
        }
        self.fill(4 + len)?;
        if self.buf.len() < 4 + len {
            return Ok(None);
        }
        let msg: Vec<u8> = self.buf.drain(..4 + len).skip(4).collect();
        match msg.split_first() {
            None => Ok(None), // keep-alive
            Some((&id, payload)) => Ok(Some((id, payload.to_vec()))),
        }
    }

    /// Reads until `buf` holds `want` bytes or one poll interval passes.
    /// Fails on EOF, on errors, on stop, and at the end of the connection's life.
    fn fill(&mut self, want: usize) -> Done {
        let mut chunk = [0u8; 16 * 1024];
        while self.buf.len() < want {
            if self.shared.stop.load(Ordering::SeqCst)
                || self.started.elapsed() > MAX_CONNECTION_LIFE
            {
                return Err(());
            }
            match self.stream.read(&mut chunk) {
                Ok(0) => return Err(()),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return Ok(());
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return Err(()),
            }
        }
        Ok(())
    }

    fn read_exact(&mut self, n: usize) -> Result<Vec<u8>, ()> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.buf.len() < n {
            if Instant::now() > deadline {
                return Err(());
            }
            self.fill(n)?;
        }
        Ok(self.buf.drain(..n).collect())
    }
}
