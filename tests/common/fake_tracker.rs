//! An in-process HTTP tracker on 127.0.0.1 for tests.
//!
//! It answers every `GET` with a compact peer list (BEP 23 `peers`, BEP 7
//! `peers6`) you choose, or with what you tell it to (a `failure reason`,
//! any status and body, or silence), and records every announce it got so
//! a test can assert `started` / `completed` / `stopped` and the totals.
//!
//! Written from the BEPs, independently of bitsy, and deliberately small:
//! one request per connection (`Connection: close`), request heads up to
//! [`MAX_HEAD`] bytes, at most [`MAX_CONNECTIONS`] connections in flight.
//! Dropping it stops the accept thread and joins every connection thread.
//!
//! ```ignore
//! let tracker = FakeTracker::start();
//! tracker.set_peers(vec![seeder.addr()]);
//! // ... run bitsy with tracker.url() ...
//! assert!(tracker.wait_for_event("completed", Duration::from_secs(10)));
//! ```

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Largest request head we read; a real announce is under 400 bytes.
pub const MAX_HEAD: usize = 16 * 1024;
/// Connections served at once; more are closed unanswered.
pub const MAX_CONNECTIONS: usize = 32;
/// How often idle loops look at the stop flag.
const POLL: Duration = Duration::from_millis(10);
/// Time a client gets to send its request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest a [`Reply::Silence`] connection is held open.
const MAX_SILENCE: Duration = Duration::from_secs(60);

/// One announce as the tracker received it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Announce {
    /// The request path, without the query (`/announce`).
    pub path: String,
    /// `event`, or `None` for a regular announce.
    pub event: Option<String>,
    /// `info_hash`, percent-decoded (20 bytes from a correct client).
    pub info_hash: Vec<u8>,
    /// `peer_id`, percent-decoded.
    pub peer_id: Vec<u8>,
    pub port: Option<u16>,
    pub uploaded: Option<u64>,
    pub downloaded: Option<u64>,
    pub left: Option<u64>,
    pub numwant: Option<u32>,
    pub compact: Option<String>,
    pub key: Option<String>,
    /// Every parameter in order, values percent-decoded.
    pub params: Vec<(String, Vec<u8>)>,
}

impl Announce {
    /// The first value of parameter `name`, as text.
    pub fn param(&self, name: &str) -> Option<String> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
    }
}

/// What the tracker answers.
#[derive(Clone, Debug)]
pub enum Reply {
    /// 200 with `interval`, counts, and the configured peers.
    Peers,
    /// 200 with `failure reason`.
    Failure(String),
    /// This status and body, as given.
    Raw { status: u16, body: Vec<u8> },
    /// 302 to this URL (to test redirect limits).
    Redirect(String),
    /// Read the request, never answer (until the tracker is dropped).
    Silence,
}

struct State {
    reply: Reply,
    peers: Vec<SocketAddr>,
    interval: u32,
    announces: Vec<Announce>,
}

/// The fake tracker. See the module docs.
pub struct FakeTracker {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    accept_thread: Option<JoinHandle<()>>,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panicking connection thread must not hide the test's real failure.
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl FakeTracker {
    /// Starts on 127.0.0.1 on a free port, answering [`Reply::Peers`] with
    /// no peers and an interval of 1800 s.
    pub fn start() -> FakeTracker {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind fake tracker");
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let addr = listener.local_addr().expect("fake tracker address");
        let state = Arc::new(Mutex::new(State {
            reply: Reply::Peers,
            peers: Vec::new(),
            interval: 1800,
            announces: Vec::new(),
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let accept_thread = {
            let (state, stop) = (state.clone(), stop.clone());
            thread::spawn(move || accept_loop(listener, state, stop))
        };
        FakeTracker {
            addr,
            state,
            stop,
            accept_thread: Some(accept_thread),
        }
    }

    /// The announce URL: `http://127.0.0.1:PORT/announce`.
    pub fn url(&self) -> String {
        format!("http://{}/announce", self.addr)
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Peers for [`Reply::Peers`] (IPv4 ones in `peers`, IPv6 in `peers6`).
    pub fn set_peers(&self, peers: Vec<SocketAddr>) {
        lock(&self.state).peers = peers;
    }

    /// The `interval` sent with [`Reply::Peers`].
    pub fn set_interval(&self, seconds: u32) {
        lock(&self.state).interval = seconds;
    }

    /// What to answer from now on.
    pub fn set_reply(&self, reply: Reply) {
        lock(&self.state).reply = reply;
    }

    /// Shorthand: answer `failure reason` with `reason`.
    pub fn fail_with(&self, reason: &str) {
        self.set_reply(Reply::Failure(reason.to_string()));
    }

    /// Every announce received so far, oldest first.
    pub fn announces(&self) -> Vec<Announce> {
        lock(&self.state).announces.clone()
    }

    /// The `event` of every announce so far (`None` = regular).
    pub fn events(&self) -> Vec<Option<String>> {
        lock(&self.state)
            .announces
            .iter()
            .map(|a| a.event.clone())
            .collect()
    }

    /// Waits until an announce with `event` has arrived; false on timeout.
    pub fn wait_for_event(&self, event: &str, timeout: Duration) -> bool {
        self.wait_for(timeout, |a| a.event.as_deref() == Some(event))
            .is_some()
    }

    /// Waits for an announce matching `pred`; returns it, or `None` after
    /// `timeout` times the slow factor (see [`super::slow`]).
    pub fn wait_for(
        &self,
        timeout: Duration,
        pred: impl Fn(&Announce) -> bool,
    ) -> Option<Announce> {
        let deadline = Instant::now() + super::slow::scaled(timeout);
        loop {
            if let Some(found) = lock(&self.state).announces.iter().find(|a| pred(a)) {
                return Some(found.clone());
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(POLL);
        }
    }
}

impl Drop for FakeTracker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.accept_thread.take() {
            let _ = t.join();
        }
    }
}

fn accept_loop(listener: TcpListener, state: Arc<Mutex<State>>, stop: Arc<AtomicBool>) {
    let mut connections: Vec<JoinHandle<()>> = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        connections.retain(|c| !c.is_finished());
        match listener.accept() {
            Ok((stream, _)) if connections.len() < MAX_CONNECTIONS => {
                let (state, stop) = (state.clone(), stop.clone());
                connections.push(thread::spawn(move || serve(stream, &state, &stop)));
            }
            Ok(_) => {} // over the limit: dropped, so closed
            Err(_) => thread::sleep(POLL),
        }
    }
    for c in connections {
        let _ = c.join();
    }
}

fn serve(mut stream: TcpStream, state: &Mutex<State>, stop: &AtomicBool) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(POLL));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    let Some(head) = read_head(&mut stream, stop) else {
        return;
    };
    let Some(announce) = parse_request(&head) else {
        let _ = respond(&mut stream, 400, b"bad request");
        return;
    };
    let (reply, body) = {
        let mut s = lock(state);
        s.announces.push(announce);
        let body = compact_body(s.interval, &s.peers);
        (s.reply.clone(), body)
    };
    match reply {
        Reply::Peers => {
            let _ = respond(&mut stream, 200, &body);
        }
        Reply::Failure(reason) => {
            let _ = respond(&mut stream, 200, &failure_body(&reason));
        }
        Reply::Raw { status, body } => {
            let _ = respond(&mut stream, status, &body);
        }
        Reply::Redirect(location) => {
            let head = format!(
                "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let _ = stream.write_all(head.as_bytes());
        }
        Reply::Silence => {
            let start = Instant::now();
            while !stop.load(Ordering::SeqCst) && start.elapsed() < MAX_SILENCE {
                thread::sleep(POLL);
            }
        }
    }
}

/// Reads up to the blank line ending the head, bounded in size and time.
fn read_head(stream: &mut TcpStream, stop: &AtomicBool) -> Option<Vec<u8>> {
    let start = Instant::now();
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() > MAX_HEAD || start.elapsed() > HEAD_TIMEOUT || stop.load(Ordering::SeqCst) {
            return None;
        }
        match stream.read(&mut buf) {
            Ok(0) => return None,
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return None,
        }
    }
    Some(head)
}

fn respond(stream: &mut TcpStream, status: u16, body: &[u8]) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()
}

/// `GET /path?query HTTP/1.x` into an [`Announce`].
fn parse_request(head: &[u8]) -> Option<Announce> {
    let line = head.split(|&b| b == b'\r').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split(' ');
    if parts.next()? != "GET" {
        return None;
    }
    let target = parts.next()?;
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let params: Vec<(String, Vec<u8>)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                String::from_utf8_lossy(&percent_decode(k)).into_owned(),
                percent_decode(v),
            )
        })
        .collect();
    let mut a = Announce {
        path: path.to_string(),
        params,
        ..Announce::default()
    };
    a.event = a.param("event");
    a.info_hash = raw_param(&a.params, "info_hash");
    a.peer_id = raw_param(&a.params, "peer_id");
    a.port = a.param("port").and_then(|v| v.parse().ok());
    a.uploaded = a.param("uploaded").and_then(|v| v.parse().ok());
    a.downloaded = a.param("downloaded").and_then(|v| v.parse().ok());
    a.left = a.param("left").and_then(|v| v.parse().ok());
    a.numwant = a.param("numwant").and_then(|v| v.parse().ok());
    a.compact = a.param("compact");
    a.key = a.param("key");
    Some(a)
}

fn raw_param(params: &[(String, Vec<u8>)], name: &str) -> Vec<u8> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// `%XX` to bytes; `+` stays `+` (bitsy never sends it for a space).
pub fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// A BEP 23/7 compact answer, keys in bencode's sorted order.
pub fn compact_body(interval: u32, peers: &[SocketAddr]) -> Vec<u8> {
    let mut v4 = Vec::new();
    let mut v6 = Vec::new();
    for p in peers {
        match p {
            SocketAddr::V4(a) => {
                v4.extend_from_slice(&a.ip().octets());
                v4.extend_from_slice(&a.port().to_be_bytes());
            }
            SocketAddr::V6(a) => {
                v6.extend_from_slice(&a.ip().octets());
                v6.extend_from_slice(&a.port().to_be_bytes());
            }
        }
    }
    let mut body = format!(
        "d8:completei{}e10:incompletei0e8:intervali{interval}e5:peers{}:",
        peers.len(),
        v4.len()
    )
    .into_bytes();
    body.extend_from_slice(&v4);
    if !v6.is_empty() {
        body.extend_from_slice(format!("6:peers6{}:", v6.len()).as_bytes());
        body.extend_from_slice(&v6);
    }
    body.push(b'e');
    body
}

/// `d14:failure reason<len>:<reason>e`.
pub fn failure_body(reason: &str) -> Vec<u8> {
    format!("d14:failure reason{}:{reason}e", reason.len()).into_bytes()
}
