//! A fake web seed (BEP 19): an HTTP/1.1 file server on loopback that
//! answers `Range` requests, or commits one fault on every request.
//!
//! One thread per connection (at most [`MAX_CONNECTIONS`] at once), one
//! request per connection (`Connection: close`). The accept loop polls a
//! stop flag every 10 ms and ends on drop or after [`LIFETIME`]; a slow
//! drip ends with it. Written with std alone, independently of bitsy's
//! HTTP code, so a shared misreading of `Content-Range` cannot pass.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// The longest a server lives, whatever the test does.
const LIFETIME: Duration = Duration::from_secs(120);

/// Connections served at once; more wait in the kernel's backlog.
const MAX_CONNECTIONS: usize = 16;

/// Longest request line or header read.
const MAX_LINE: u64 = 8192;

/// What the server does to every request for a file it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// `206` with the asked range: an honest web seed.
    None,
    /// Honest, but paced: 64 KiB every 20 ms (about 3 MB/s a
    /// connection), so a peer beside it has time to take part.
    Paced,
    /// `404 Not Found`.
    NotFound,
    /// `500 Internal Server Error`.
    ServerError,
    /// `206`, the right `Content-Range`, half the bytes (and a
    /// `Content-Length` that says so).
    ShortBody,
    /// `200` with the whole file (ignores `Range`).
    WholeFile,
    /// `206` with the range one byte further than asked.
    WrongRange,
    /// `302` to itself, forever.
    RedirectLoop,
    /// `206`, the right headers, then one byte every 50 ms.
    SlowDrip,
    /// `206`, the right headers, every byte inverted (the hash fails).
    BadData,
}

/// A running fake web seed; stopped (accept thread joined) on drop.
pub struct FakeWebSeed {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    requests: Arc<AtomicU32>,
    body_bytes: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

struct Shared {
    files: HashMap<String, Vec<u8>>,
    fault: Fault,
    stop: Arc<AtomicBool>,
    requests: Arc<AtomicU32>,
    body_bytes: Arc<AtomicU64>,
    live: AtomicUsize,
}

impl FakeWebSeed {
    /// Serves `files` (path such as `/dl/a.bin` to bytes) with `fault`.
    pub fn start(files: &[(&str, &[u8])], fault: Fault) -> FakeWebSeed {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind fake web seed");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("address");
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(AtomicU32::new(0));
        let body_bytes = Arc::new(AtomicU64::new(0));
        let shared = Arc::new(Shared {
            files: files
                .iter()
                .map(|(p, b)| (p.to_string(), b.to_vec()))
                .collect(),
            fault,
            stop: stop.clone(),
            requests: requests.clone(),
            body_bytes: body_bytes.clone(),
            live: AtomicUsize::new(0),
        });
        let thread = thread::spawn(move || {
            let end = Instant::now() + super::slow::scaled(LIFETIME);
            while !shared.stop.load(Ordering::Relaxed) && Instant::now() < end {
                if shared.live.load(Ordering::Relaxed) >= MAX_CONNECTIONS {
                    thread::sleep(Duration::from_millis(10));
                    continue;
                }
                match listener.accept() {
                    Ok((stream, _)) => {
                        shared.live.fetch_add(1, Ordering::Relaxed);
                        let shared = shared.clone();
                        thread::spawn(move || {
                            let _ = serve(stream, &shared);
                            shared.live.fetch_sub(1, Ordering::Relaxed);
                        });
                    }
                    Err(_) => thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        FakeWebSeed {
            addr,
            stop,
            requests,
            body_bytes,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Requests received so far.
    pub fn requests(&self) -> u32 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Body bytes sent so far.
    pub fn body_bytes(&self) -> u64 {
        self.body_bytes.load(Ordering::Relaxed)
    }
}

impl Drop for FakeWebSeed {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Reads one request head and answers it as the fault says.
fn serve(stream: TcpStream, s: &Shared) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.set_write_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut first = String::new();
    reader.by_ref().take(MAX_LINE).read_line(&mut first)?;
    let mut range = None;
    for _ in 0..100 {
        let mut line = String::new();
        if reader.by_ref().take(MAX_LINE).read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("range: bytes=") {
            let (a, b) = v.trim().split_once('-').unwrap_or(("", ""));
            range = a.parse::<u64>().ok().zip(b.parse::<u64>().ok());
        }
    }
    s.requests.fetch_add(1, Ordering::Relaxed);
    let path = first.split_whitespace().nth(1).unwrap_or("").to_string();
    let mut out = stream;
    let Some(file) = s.files.get(&path) else {
        return head(&mut out, "404 Not Found", 0, "");
    };
    let len = file.len() as u64;
    let (a, b) = match range {
        Some((a, b)) if a <= b && a < len => (a, b.min(len - 1)),
        _ => return head(&mut out, "416 Range Not Satisfiable", 0, ""),
    };
    let slice = &file[a as usize..=b as usize];
    let cr = format!("Content-Range: bytes {a}-{b}/{len}\r\n");
    match s.fault {
        Fault::None => body(&mut out, s, "206 Partial Content", &cr, slice),
        Fault::Paced => {
            head(&mut out, "206 Partial Content", slice.len(), &cr)?;
            for chunk in slice.chunks(64 * 1024) {
                if s.stop.load(Ordering::Relaxed) {
                    break;
                }
                out.write_all(chunk)?;
                s.body_bytes
                    .fetch_add(chunk.len() as u64, Ordering::Relaxed);
                thread::sleep(Duration::from_millis(20));
            }
            out.flush()
        }
        Fault::NotFound => head(&mut out, "404 Not Found", 0, ""),
        Fault::ServerError => head(&mut out, "500 Internal Server Error", 0, ""),
        Fault::ShortBody => body(
            &mut out,
            s,
            "206 Partial Content",
            &cr,
            &slice[..slice.len() / 2],
        ),
        Fault::WholeFile => body(&mut out, s, "200 OK", "", file),
        Fault::WrongRange => {
            let cr = format!("Content-Range: bytes {}-{}/{len}\r\n", a + 1, b + 1);
            body(&mut out, s, "206 Partial Content", &cr, slice)
        }
        Fault::RedirectLoop => {
            let to = format!("Location: {path}\r\n");
            head(&mut out, "302 Found", 0, &to)
        }
        Fault::SlowDrip => {
            head(&mut out, "206 Partial Content", slice.len(), &cr)?;
            for byte in slice.iter().take(600) {
                if s.stop.load(Ordering::Relaxed) {
                    break;
                }
                out.write_all(&[*byte])?;
                out.flush()?;
                s.body_bytes.fetch_add(1, Ordering::Relaxed);
                thread::sleep(Duration::from_millis(50));
            }
            Ok(())
        }
        Fault::BadData => {
            let bad: Vec<u8> = slice.iter().map(|b| !b).collect();
            body(&mut out, s, "206 Partial Content", &cr, &bad)
        }
    }
}

fn head(out: &mut TcpStream, status: &str, len: usize, headers: &str) -> std::io::Result<()> {
    write!(
        out,
        "HTTP/1.1 {status}\r\nContent-Length: {len}\r\nConnection: close\r\n{headers}\r\n"
    )
}

fn body(
    out: &mut TcpStream,
    s: &Shared,
    status: &str,
    headers: &str,
    b: &[u8],
) -> std::io::Result<()> {
    head(out, status, b.len(), headers)?;
    out.write_all(b)?;
    s.body_bytes.fetch_add(b.len() as u64, Ordering::Relaxed);
    out.flush()
}
