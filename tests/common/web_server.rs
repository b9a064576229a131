//! A tiny HTTP/1.1 file server on loopback, for `bitsy download URL`.
//!
//! It serves a fixed table of paths (anything else is 404), one request
//! per connection (`Connection: close`), with a `Content-Length`. The
//! accept loop polls a stop flag every 10 ms and ends on drop or after
//! [`LIFETIME`]; a client that hangs up mid-body is not an error.
//! Written with std alone, independently of bitsy's own HTTP code.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// The longest a server lives, whatever the test does.
const LIFETIME: Duration = Duration::from_secs(120);

/// Longest request head line read.
const MAX_LINE: usize = 8192;

/// A running server; stopped (thread joined) on drop.
pub struct WebServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    requests: Arc<AtomicU32>,
    thread: Option<JoinHandle<()>>,
}

impl WebServer {
    /// Serves `files` (path such as `/x.torrent` to body) with status 200.
    pub fn start(files: &[(&str, Vec<u8>)]) -> WebServer {
        let files: HashMap<String, Vec<u8>> = files
            .iter()
            .map(|(p, b)| (p.to_string(), b.clone()))
            .collect();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind web server");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("address");
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(AtomicU32::new(0));
        let thread = {
            let (stop, requests) = (stop.clone(), requests.clone());
            thread::spawn(move || {
                let end = Instant::now() + LIFETIME;
                while !stop.load(Ordering::Relaxed) && Instant::now() < end {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            requests.fetch_add(1, Ordering::Relaxed);
                            let _ = serve(stream, &files);
                        }
                        Err(_) => thread::sleep(Duration::from_millis(10)),
                    }
                }
            })
        };
        WebServer {
            addr,
            stop,
            requests,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Requests answered so far.
    pub fn requests(&self) -> u32 {
        self.requests.load(Ordering::Relaxed)
    }
}

impl Drop for WebServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Reads the request head and answers it.
fn serve(stream: TcpStream, files: &HashMap<String, Vec<u8>>) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.set_write_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut first = String::new();
    reader
        .by_ref()
        .take(MAX_LINE as u64)
        .read_line(&mut first)?;
    // Skip the headers, up to the empty line (bounded in count).
    for _ in 0..100 {
        let mut line = String::new();
        if reader.by_ref().take(MAX_LINE as u64).read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
    }
    // "GET /path HTTP/1.1"
    let path = first.split_whitespace().nth(1).unwrap_or("");
    let (status, body): (&str, &[u8]) = match files.get(path) {
        Some(body) => ("200 OK", body),
        None => ("404 Not Found", b"no such file\n"),
    };
    let mut out = stream;
    write!(
        out,
        "HTTP/1.1 {status}\r\nContent-Type: application/x-bittorrent\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    out.write_all(body)?;
    out.flush()
}
