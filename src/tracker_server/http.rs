//! The HTTP front-end: `GET /announce` (BEP 3) and `GET /scrape` (BEP 48)
//! over TCP.
//!
//! ```text
//!   accept thread ──TcpStream──▶ bounded queue ──▶ HTTP_WORKERS worker threads
//! ```
//!
//! Concurrency is bounded by a fixed pool rather than a thread per
//! connection: [`HTTP_WORKERS`] threads serve at most that many requests at
//! once, and at most [`QUEUE_LEN`] more wait. When the queue is full the
//! accept thread closes the new connection at once; the client retries at
//! its next announce. The pool keeps the thread count constant however many
//! clients connect, and each request is short: read one head (bounded in
//! size, and by [`REQUEST_DEADLINE`] counted from the accept), take the
//! swarm lock for microseconds, write one small answer. Stalled clients
//! can therefore block new ones for one deadline at most.
//!
//! Every answer closes the connection (`Connection: close`); trackers are
//! contacted once per interval, so keep-alive buys nothing. Refused
//! announces get HTTP 200 with a bencoded `failure reason`, as clients
//! expect; requests that are not tracker requests get a plain 4xx.

use super::Shared;
use super::announce_params::{parse_http_announce, parse_http_scrape};
use super::http_answer;
use super::http_request::{HeadError, ReadError, parse_request_line, read_head};
use super::query::Query;
use crossbeam_channel::{Receiver, TrySendError, bounded};
use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Worker threads. Eight serve hundreds of announces a second on a LAN, and
/// still leave room when a few slow clients each hold one for the deadline.
pub const HTTP_WORKERS: usize = 8;

/// Connections accepted but not yet picked up by a worker.
const QUEUE_LEN: usize = 64;

/// Time a client gets to send its whole request head. A LAN client sends it
/// in one packet; 5 s tolerates a loaded CI box without letting a stalled
/// client hold a worker for long.
const REQUEST_DEADLINE: Duration = Duration::from_secs(5);

/// Time allowed to write the answer (a few hundred bytes).
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// How long the accept thread sleeps when no connection is waiting. It
/// polls so that shutdown needs no wake-up connection; 20 ms is well below
/// anything a client would notice.
const ACCEPT_POLL: Duration = Duration::from_millis(20);

/// Starts the accept thread and the workers. Returns their handles.
pub fn spawn(listener: TcpListener, shared: Arc<Shared>) -> io::Result<Vec<JoinHandle<()>>> {
    listener.set_nonblocking(true)?;
    let (tx, rx) = bounded::<Accepted>(QUEUE_LEN);
    let mut handles = Vec::with_capacity(HTTP_WORKERS + 1);
    for i in 0..HTTP_WORKERS {
        let rx: Receiver<Accepted> = rx.clone();
        let shared = Arc::clone(&shared);
        handles.push(
            thread::Builder::new()
                .name(format!("tracker-http-{i}"))
                .spawn(move || {
                    // Ends when the accept thread drops the sender.
                    for conn in rx.iter() {
                        serve(conn, &shared);
                    }
                })?,
        );
    }
    handles.push(
        thread::Builder::new()
            .name("tracker-accept".into())
            .spawn(move || {
                while !shared.stop.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((stream, from)) => match tx.try_send(Accepted {
                            stream,
                            from,
                            deadline: Instant::now() + REQUEST_DEADLINE,
                        }) {
                            Ok(()) => {}
                            // Dropping the stream closes it: the pool is busy.
                            Err(TrySendError::Full(_)) => {}
                            Err(TrySendError::Disconnected(_)) => break,
                        },
                        // WouldBlock, or a transient error such as running
                        // out of file descriptors: wait and try again.
                        Err(_) => thread::sleep(ACCEPT_POLL),
                    }
                }
            })?,
    );
    Ok(handles)
}

/// A connection on its way from the accept thread to a worker.
struct Accepted {
    stream: TcpStream,
    from: SocketAddr,
    /// Set at accept time, so a connection that waited in the queue does
    /// not get a fresh allowance: stalled clients cannot hold the pool for
    /// longer than one deadline however many of them queue up.
    deadline: Instant,
}

/// Serves one connection. Errors end the connection quietly: a client that
/// cannot send a request cannot read an answer either.
fn serve(conn: Accepted, shared: &Shared) {
    let Accepted {
        mut stream,
        from,
        deadline,
    } = conn;
    // An accepted socket may inherit the listener's non-blocking mode.
    if stream.set_nonblocking(false).is_err()
        || stream.set_write_timeout(Some(WRITE_TIMEOUT)).is_err()
    {
        return;
    }
    let (status, body) = match read_head(&mut stream, deadline) {
        Ok(head) => answer(&head, from, shared),
        Err(ReadError::Io) => return,
        Err(ReadError::Head(e)) => head_error(&e),
    };
    let _ = write_response(&mut stream, status, &body);
    let _ = stream.shutdown(std::net::Shutdown::Write);
}

/// Status line and body for a well-formed head.
fn answer(head: &[u8], from: SocketAddr, shared: &Shared) -> (&'static str, Vec<u8>) {
    let target = match parse_request_line(head) {
        Ok(t) => t,
        Err(e) => return head_error(&e),
    };
    let scrape = match target.path {
        b"/announce" => false,
        b"/scrape" => true,
        _ => {
            let body = b"not a tracker path: use /announce or /scrape\n".to_vec();
            return ("404 Not Found", body);
        }
    };
    let query = match Query::parse(target.query) {
        Ok(q) => q,
        Err(e) => return ("200 OK", http_answer::failure(&e.to_string())),
    };
    let body = if scrape {
        match parse_http_scrape(&query) {
            Ok(hashes) => http_answer::scrape(shared.scrape(&hashes)),
            Err(reason) => http_answer::failure(&reason),
        }
    } else {
        match parse_http_announce(&query, from.ip()) {
            Ok(req) => match shared.announce(&req.announce) {
                Ok(out) => {
                    http_answer::announce(&out, shared.intervals, req.compact, req.no_peer_id)
                }
                Err(refusal) => http_answer::failure(&refusal.to_string()),
            },
            Err(reason) => http_answer::failure(&reason),
        }
    };
    ("200 OK", body)
}

fn head_error(e: &HeadError) -> (&'static str, Vec<u8>) {
    match e {
        HeadError::Malformed => ("400 Bad Request", b"malformed request\n".to_vec()),
        HeadError::TooLarge => (
            "431 Request Header Fields Too Large",
            b"request too large\n".to_vec(),
        ),
        HeadError::NotGet => ("405 Method Not Allowed", b"only GET is served\n".to_vec()),
    }
}

fn write_response(stream: &mut TcpStream, status: &str, body: &[u8]) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    stream.write_all(&out)?;
    stream.flush()
}
