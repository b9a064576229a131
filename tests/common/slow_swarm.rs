//! A swarm of many slow seeders on distinct loopback addresses, for scale tests.
//!
//! Each seeder listens on its own address (127.1.X.Y, see [`loopback_ip`];
//! Linux answers on all of 127/8 without configuration), so a downloader
//! that keys peers by address sees that many distinct peers. Every
//! accepted connection runs on its own thread (`slow_swarm/connection.rs`):
//! the BEP 3 handshake, a full `bitfield`, an `unchoke`, then it serves
//! `request`s from the [`Content`] at most [`SwarmSpec::rate`] bytes per
//! second, from a token bucket.
//!
//! The *gate* holds every unchoke until [`SwarmSpec::gate`] handshakes
//! have been made across the swarm (or [`SwarmSpec::gate_timeout`] after
//! the start): a test can then count connections without racing the end
//! of the download.
//!
//! Used by `tests/scale.rs` and, through `#[path]`, by
//! `examples/slow_swarm.rs` (the bench's fake swarm), so it depends on std
//! alone. Written from BEP 3, independently of bitsy's `wire` module.
//!
//! Bounded: at most [`MAX_CONNECTIONS`] connections alive at once,
//! [`MAX_MESSAGE`] bytes per message, [`MAX_QUEUE`] queued requests and
//! [`MAX_CONNECTION_LIFE`] per connection. Dropping the swarm stops and
//! joins its threads. It does not: speak any extension (BEP 6, 10, 11),
//! accept pieces, announce to a tracker, or connect out.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

#[path = "slow_swarm/connection.rs"]
mod connection;

/// Largest block served: BEP 3 clients ask for 16 KiB; real clients close
/// connections that ask for more than 128 KiB.
pub const MAX_REQUEST: u32 = 128 * 1024;
/// Largest message accepted from the downloader.
pub const MAX_MESSAGE: usize = 1024 * 1024;
/// Requests queued per connection; more close it. Without BEP 10's `reqq`
/// a downloader assumes 250 at most.
pub const MAX_QUEUE: usize = 1024;
/// Connections alive at once over the whole swarm; more are closed at once.
pub const MAX_CONNECTIONS: usize = 2048;
/// No connection lives longer than this.
pub const MAX_CONNECTION_LIFE: Duration = Duration::from_secs(30 * 60);
/// How often a connection looks at the stop flag and the gate.
const POLL: Duration = Duration::from_millis(100);
/// How long `stop` waits for the connection that wakes a blocked `accept`.
const WAKE_TIMEOUT: Duration = Duration::from_secs(2);
/// Stack of each swarm thread: a connection needs its 16 KiB read chunk and
/// little else; 2 MiB each (std's default) would reserve 800 MiB of
/// address space for 200 seeders, too much for a 32-bit test under qemu.
const STACK: usize = 256 * 1024;
/// Most seeders: 250 addresses per 127.1.X block, X in 0..=255.
pub const MAX_SEEDERS: usize = 250 * 256;

/// What the swarm serves and how.
#[derive(Clone, Debug)]
pub struct SwarmSpec {
    /// The torrent's info hash; handshakes for anything else are closed.
    pub info_hash: [u8; 20],
    /// Nominal piece length (the last piece may be shorter).
    pub piece_len: u32,
    /// Total length of the content.
    pub total_len: u64,
    /// Bytes per second each connection sends at most; 0 is no limit.
    pub rate: u64,
    /// Handshakes, over the whole swarm, before any connection unchokes.
    pub gate: u64,
    /// The gate opens anyway this long after the start.
    pub gate_timeout: Duration,
}

/// Where the served bytes come from: `offset` is from the start of the
/// torrent's content.
pub trait Content: Send + Sync {
    fn read_block(&self, offset: u64, buf: &mut [u8]) -> io::Result<()>;
}

impl Content for Vec<u8> {
    fn read_block(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let start = usize::try_from(offset).map_err(|_| io::ErrorKind::InvalidInput)?;
        let end = start.checked_add(buf.len());
        let src = end.and_then(|end| self.get(start..end));
        buf.copy_from_slice(src.ok_or(io::ErrorKind::UnexpectedEof)?);
        Ok(())
    }
}

impl Content for std::fs::File {
    fn read_block(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(self, buf, offset)
    }
}

/// Counters, readable while the swarm runs.
#[derive(Debug, Default)]
pub struct SwarmStats {
    /// TCP connections accepted.
    pub connections: AtomicU64,
    /// Handshakes with the right info hash.
    pub handshakes: AtomicU64,
    /// `piece` messages sent.
    pub blocks_sent: AtomicU64,
}

/// What every thread of the swarm shares.
struct Shared {
    spec: SwarmSpec,
    content: Arc<dyn Content>,
    num_pieces: u32,
    stats: SwarmStats,
    stop: AtomicBool,
    started: Instant,
    live: AtomicUsize,
}

impl Shared {
    fn gate_open(&self) -> bool {
        self.stats.handshakes.load(Ordering::SeqCst) >= self.spec.gate
            || self.started.elapsed() >= self.spec.gate_timeout
    }
}

/// The running swarm; stops on drop.
pub struct SlowSwarm {
    addrs: Vec<SocketAddr>,
    shared: Arc<Shared>,
    acceptors: Vec<JoinHandle<()>>,
}

/// The address of seeder `i`: 127.1.X.Y with X = i / 250, Y = 1 + i % 250
/// (no .0 or .255 host byte), or `None` past [`MAX_SEEDERS`].
pub fn loopback_ip(i: usize) -> Option<Ipv4Addr> {
    let x = u8::try_from(i / 250).ok()?;
    let y = u8::try_from(1 + i % 250).ok()?;
    Some(Ipv4Addr::new(127, 1, x, y))
}

impl SlowSwarm {
    /// Starts `n` seeders, one per [`loopback_ip`], each on a free port.
    pub fn start(n: usize, spec: SwarmSpec, content: Arc<dyn Content>) -> io::Result<SlowSwarm> {
        let invalid = |what: &str| io::Error::new(io::ErrorKind::InvalidInput, what.to_string());
        if spec.piece_len == 0 || spec.total_len == 0 {
            return Err(invalid("empty piece length or content"));
        }
        let pieces = spec.total_len.div_ceil(u64::from(spec.piece_len));
        let num_pieces = u32::try_from(pieces).map_err(|_| invalid("too many pieces"))?;
        let shared = Arc::new(Shared {
            spec,
            content,
            num_pieces,
            stats: SwarmStats::default(),
            stop: AtomicBool::new(false),
            started: Instant::now(),
            live: AtomicUsize::new(0),
        });
        let mut swarm = SlowSwarm {
            addrs: Vec::with_capacity(n),
            shared,
            acceptors: Vec::with_capacity(n),
        };
        for i in 0..n {
            let ip = loopback_ip(i).ok_or_else(|| invalid("too many seeders"))?;
            let listener = TcpListener::bind((ip, 0))?;
            swarm.addrs.push(listener.local_addr()?);
            let shared = swarm.shared.clone();
            let acceptor = thread::Builder::new()
                .name(format!("swarm-accept-{i}"))
                .stack_size(STACK)
                .spawn(move || accept_loop(&listener, &shared, i))?;
            swarm.acceptors.push(acceptor);
        }
        Ok(swarm)
    }

    /// Where the seeders listen, in seeder order.
    pub fn addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// The counters.
    pub fn stats(&self) -> &SwarmStats {
        &self.shared.stats
    }

    /// Handshakes made so far.
    pub fn handshakes(&self) -> u64 {
        self.shared.stats.handshakes.load(Ordering::SeqCst)
    }
}

impl Drop for SlowSwarm {
    /// Sets the stop flag, wakes each blocked `accept` with a connection of
    /// its own, and joins the acceptors (each joins its connections, which
    /// see the flag within [`POLL`]). An acceptor that could not be woken
    /// is left to end with the process rather than hang the drop.
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        for (addr, acceptor) in self.addrs.iter().zip(self.acceptors.drain(..)) {
            if TcpStream::connect_timeout(addr, WAKE_TIMEOUT).is_ok() {
                let _ = acceptor.join();
            }
        }
    }
}

/// Accepts until the stop flag is set, one thread per connection.
fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>, seeder: usize) {
    let mut connections: Vec<JoinHandle<()>> = Vec::new();
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        connections.retain(|c| !c.is_finished());
        let Ok(stream) = stream else {
            thread::sleep(POLL); // e.g. out of file descriptors: do not spin
            continue;
        };
        shared.stats.connections.fetch_add(1, Ordering::SeqCst);
        if shared.live.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            shared.live.fetch_sub(1, Ordering::SeqCst);
            continue; // dropped: closed at once
        }
        let mine = shared.clone();
        let spawned = thread::Builder::new()
            .name(format!("swarm-conn-{seeder}"))
            .stack_size(STACK)
            .spawn(move || {
                let _ = connection::run(stream, &mine, seeder);
                mine.live.fetch_sub(1, Ordering::SeqCst);
            });
        match spawned {
            Ok(c) => connections.push(c),
            Err(_) => {
                shared.live.fetch_sub(1, Ordering::SeqCst);
                thread::sleep(POLL); // out of threads: do not spin
            }
        }
    }
    for c in connections {
        let _ = c.join();
    }
}
