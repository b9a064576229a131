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

mod connection;
use connection::Connection;
