//! An in-process BEP 15 UDP tracker for tests, scripted by the test: it
//! answers each datagram it receives with the datagrams a closure returns
//! (any bytes: wrong transaction ids, short packets, errors...), and
//! records every request.
//!
//! Written from BEP 15 independently of bitsy's own packet code, so a
//! shared misreading would show. Loopback only; the thread polls its stop
//! flag every [`POLL`] and lives at most [`MAX_LIFE`]; dropping the
//! tracker stops and joins it.
//!
//! ```ignore
//! let t = FakeUdpTracker::start("127.0.0.1:0", |req| match action(req) {
//!     0 => vec![connect_answer(tid(req), 7)],
//!     _ => vec![announce_answer(tid(req), 1800, 0, 1, &[])],
//! });
//! ```

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

const POLL: Duration = Duration::from_millis(20);
const MAX_LIFE: Duration = Duration::from_secs(120);

type Script = Box<dyn FnMut(&[u8]) -> Vec<Vec<u8>> + Send>;

pub struct FakeUdpTracker {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Vec<u8>>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FakeUdpTracker {
    /// Binds `bind` (e.g. "127.0.0.1:0" or "[::1]:0") and serves `script`.
    pub fn start(
        bind: &str,
        script: impl FnMut(&[u8]) -> Vec<Vec<u8>> + Send + 'static,
    ) -> FakeUdpTracker {
        let socket = UdpSocket::bind(bind).unwrap();
        socket.set_read_timeout(Some(POLL)).unwrap();
        let addr = socket.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (log, flag) = (requests.clone(), stop.clone());
        let mut script: Script = Box::new(script);
        let thread = thread::spawn(move || {
            let born = Instant::now();
            let mut buf = vec![0u8; 2048];
            while !flag.load(Ordering::Relaxed) && born.elapsed() < MAX_LIFE {
                let Ok((n, from)) = socket.recv_from(&mut buf) else {
                    continue;
                };
                let req = buf[..n].to_vec();
                log.lock().unwrap().push(req.clone());
                for answer in script(&req) {
                    let _ = socket.send_to(&answer, from);
                }
            }
        });
        FakeUdpTracker {
            addr,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    /// `udp://ADDR` followed by `path` (e.g. "/announce?k=v").
    pub fn url(&self, path: &str) -> String {
        format!("udp://{}{path}", self.addr)
    }

    /// Every datagram received so far, in order.
    pub fn requests(&self) -> Vec<Vec<u8>> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for FakeUdpTracker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

// ----- BEP 15 bytes, big-endian ---------------------------------------

/// A request's `action` (bytes 8..12), or `u32::MAX` if too short.
pub fn action(req: &[u8]) -> u32 {
    req.get(8..12)
        .map_or(u32::MAX, |b| u32::from_be_bytes(b.try_into().unwrap()))
}

/// A request's `transaction_id` (bytes 12..16), or 0 if too short.
pub fn tid(req: &[u8]) -> u32 {
    req.get(12..16)
        .map_or(0, |b| u32::from_be_bytes(b.try_into().unwrap()))
}

/// A request's `connection_id` (bytes 0..8).
pub fn connection_id(req: &[u8]) -> u64 {
    u64::from_be_bytes(req[..8].try_into().unwrap())
}

/// action 0 | transaction id | connection id
pub fn connect_answer(tid: u32, connection_id: u64) -> Vec<u8> {
    let mut out = [0u32.to_be_bytes(), tid.to_be_bytes()].concat();
    out.extend_from_slice(&connection_id.to_be_bytes());
    out
}

/// action 1 | transaction id | interval | leechers | seeders | peers
pub fn announce_answer(
    tid: u32,
    interval: u32,
    leechers: u32,
    seeders: u32,
    peers: &[u8],
) -> Vec<u8> {
    let mut out: Vec<u8> = [1, tid, interval, leechers, seeders]
        .iter()
        .flat_map(|n: &u32| n.to_be_bytes())
        .collect();
    out.extend_from_slice(peers);
    out
}

/// action 3 | transaction id | message
pub fn error_answer(tid: u32, message: &str) -> Vec<u8> {
    let mut out = [3u32.to_be_bytes(), tid.to_be_bytes()].concat();
    out.extend_from_slice(message.as_bytes());
    out
}

/// `n` distinct IPv4 peers, 6 bytes each: 10.x.y.z:6881.
pub fn v4_peers(n: u32) -> Vec<u8> {
    (0..n)
        .flat_map(|i| {
            let mut e = (0x0a00_0001 + i).to_be_bytes().to_vec();
            e.extend_from_slice(&6881u16.to_be_bytes());
            e
        })
        .collect()
}
