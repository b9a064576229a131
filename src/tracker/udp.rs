//! Announcing to a `udp://host:port/path?query` tracker (BEP 15, BEP 41):
//! the socket side of `udp_packet`.
//!
//! ```text
//! client                                   tracker
//!   connect (protocol id, tid1)      ──▶
//!                                    ◀──   connect answer (tid1, connection id)
//!   announce (connection id, tid2,   ──▶
//!             URLData "/path?query")
//!                                    ◀──   announce answer (tid2, peers) or error
//! ```
//!
//! One blocking `std::net::UdpSocket` per tracker address, `connect`ed so
//! only that address's datagrams arrive and a closed port shows up at once
//! as "connection refused" (ICMP) instead of a silent timeout. Each wait is
//! a read timeout on the tracker thread; no async. Time is bounded per URL
//! by the budget ([`ANNOUNCE_BUDGET`], 45 s, or less, see
//! [`UdpClient::with_budget`]; the `stopped` announce at most
//! [`STOPPED_BUDGET`]), shared by the host's addresses (at most
//! [`MAX_ADDRESSES`], each given an equal share of what is left) and, per
//! address, by the connect and the announce (`udp_timers::Retransmit`).
//!
//! Transaction ids are random and kept across resends of one request, so a
//! late answer to the first send still counts. Datagrams that are not our
//! answer are skipped while the wait lasts. The connection id is cached
//! per address for its minute and forgotten when an announce using it
//! fails, so the next announce reconnects.
//!
//! Deliberately not here: scrape, BEP 15's "ip" field (always 0: the
//! tracker uses our source address), authentication extensions.

use super::announce::AnnounceParams;
use super::udp_packet::{self, AnnounceFields, Answer, Bad, Expect};
use super::udp_timers::{ANNOUNCE_BUDGET, ConnectionIds, Retransmit};
use super::udp_url::UdpUrl;
use super::udp_wire::{EVENT_COMPLETED, EVENT_NONE, EVENT_STARTED, EVENT_STOPPED};
use super::{AnnounceEvent, AnnounceResponse};
use crate::rng;
use crate::trace::{self, Dir, Trace};
use std::io::ErrorKind;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs, UdpSocket};
use std::time::{Duration, Instant};

/// The largest datagram we read: the most UDP can carry. A tracker answer
/// longer than a datagram cannot exist, so nothing is ever cut.
pub const MAX_DATAGRAM: usize = 64 * 1024;

/// Addresses of one host we try. A name with more is unusual; trying them
/// all would multiply the time a dead tracker costs.
pub const MAX_ADDRESSES: usize = 4;

/// The budget of a `stopped` announce: we are exiting, and the session
/// waits no longer than this (its `STOP_ANNOUNCE_WAIT` is 5 s).
pub const STOPPED_BUDGET: Duration = Duration::from_secs(4);

/// The UDP side of the tracker thread: its connection ids and budget.
#[derive(Debug)]
pub struct UdpClient {
    ids: ConnectionIds,
    budget: Duration,
    /// `--trace`: each request and answer, one line on stderr.
    pub(super) trace: Trace,
}

impl Default for UdpClient {
    fn default() -> Self {
        UdpClient::with_budget(ANNOUNCE_BUDGET)
    }
}

impl UdpClient {
    /// A client spending at most `budget` on one announce URL.
    pub fn with_budget(budget: Duration) -> UdpClient {
        UdpClient {
            ids: ConnectionIds::default(),
            budget,
            trace: Trace::OFF,
        }
    }

    /// Announces to `url`, trying its host's addresses in order.
    pub fn announce(
        &mut self,
        url: &str,
        p: &AnnounceParams<'_>,
    ) -> Result<AnnounceResponse, String> {
        let target = UdpUrl::parse(url)?;
        let addrs: Vec<SocketAddr> = (target.host.as_str(), target.port)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {}: {e}", target.host))?
            .take(MAX_ADDRESSES)
            .collect();
        let budget = match p.request.event {
            AnnounceEvent::Stopped => self.budget.min(STOPPED_BUDGET),
            _ => self.budget,
        };
        let deadline = Instant::now() + budget;
        let mut last = format!("{} has no address", target.host);
        for (i, addr) in addrs.iter().enumerate() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            // An equal share of what is left for each address not yet tried.
            let share = left / u32::try_from(addrs.len() - i).unwrap_or(1);
            match self.announce_to(*addr, &target, p, share) {
                Ok(response) => return Ok(response),
                Err(e) if addrs.len() > 1 => last = format!("{addr}: {e}"),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// Connect (unless a connection id is cached) and announce to one
    /// address within `budget`.
    fn announce_to(
        &mut self,
        addr: SocketAddr,
        target: &UdpUrl,
        p: &AnnounceParams<'_>,
        budget: Duration,
    ) -> Result<AnnounceResponse, String> {
        let unspecified = match addr {
            SocketAddr::V4(_) => SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
            SocketAddr::V6(_) => SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0)),
        };
        let socket = UdpSocket::bind(unspecified).map_err(|e| format!("UDP socket: {e}"))?;
        socket
            .connect(addr)
            .map_err(|e| format!("UDP connect: {e}"))?;
        let mut clock = Retransmit::new(Instant::now(), budget);
        let connection_id = match self.ids.get(addr, Instant::now()) {
            Some(id) => id,
            None => {
                let tid = transaction_id();
                let request = udp_packet::connect_request(tid);
                self.trace
                    .line(Dir::Out, addr, || trace::tracker::udp_connect(tid));
                let answer = exchange(&socket, &request, tid, Expect::Connect, &mut clock);
                self.trace_answer(addr, &answer);
                match answer? {
                    Answer::Connected(id) => {
                        self.ids.insert(addr, id, Instant::now());
                        id
                    }
                    other => return Err(refusal(other)),
                }
            }
        };
        let tid = transaction_id();
        let fields = fields(p, connection_id, tid, target);
        let request = udp_packet::announce_request(&fields)?;
        self.trace
            .line(Dir::Out, addr, || trace::tracker::udp_announce(&fields));
        let expect = Expect::Announce {
            ipv6: addr.is_ipv6(),
        };
        let answer = exchange(&socket, &request, tid, expect, &mut clock);
        self.trace_answer(addr, &answer);
        match answer {
            Ok(Answer::Announced(response)) => Ok(response),
            other => {
                // Timed out or refused: the id may be what the tracker
                // objects to (BEP 15: rethink it after a timeout).
                self.ids.forget(addr);
                Err(other.map_or_else(|e| e, refusal))
            }
        }
    }
}

impl UdpClient {
    /// `--trace`: what came back from `addr`, or that nothing did.
    fn trace_answer(&self, addr: SocketAddr, answer: &Result<Answer, String>) {
        let dir = if answer.is_ok() { Dir::In } else { Dir::Note };
        self.trace.line(dir, addr, || match answer {
            Ok(Answer::Connected(id)) => trace::tracker::udp_connected(*id),
            Ok(Answer::Announced(r)) => trace::tracker::announced(r, 15),
            Ok(Answer::Error(message)) => trace::tracker::udp_error(message),
            Err(why) => trace::tracker::udp_failed(why),
        });
    }
}

/// The announce request's fields from the tracker thread's parameters.
fn fields<'a>(
    p: &'a AnnounceParams<'a>,
    connection_id: u64,
    transaction_id: u32,
    target: &'a UdpUrl,
) -> AnnounceFields<'a> {
    let r = p.request;
    AnnounceFields {
        connection_id,
        transaction_id,
        info_hash: p.info_hash,
        peer_id: p.peer_id,
        downloaded: r.downloaded,
        left: r.left,
        uploaded: r.uploaded,
        event: match r.event {
            AnnounceEvent::Regular => EVENT_NONE,
            AnnounceEvent::Completed => EVENT_COMPLETED,
            AnnounceEvent::Started => EVENT_STARTED,
            AnnounceEvent::Stopped => EVENT_STOPPED,
        },
        key: p.key,
        // -1 asks for the tracker's default; our numbers are small.
        num_want: i32::try_from(r.numwant).unwrap_or(-1),
        port: p.port,
        url_data: target.url_data.as_bytes(),
    }
}

/// What a non-answer means for the user.
fn refusal(answer: Answer) -> String {
    match answer {
        Answer::Error(message) => format!("tracker says: {message}"),
        Answer::Connected(_) | Answer::Announced(_) => "unexpected answer".into(),
    }
}

/// A fresh random transaction id.
fn transaction_id() -> u32 {
    rng::random_u64() as u32
}

/// Sends `request` and waits for its answer, resending on `clock`'s
/// schedule. Datagrams that are not the answer are skipped.
fn exchange(
    socket: &UdpSocket,
    request: &[u8],
    tid: u32,
    expect: Expect,
    clock: &mut Retransmit,
) -> Result<Answer, String> {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    let started = Instant::now();
    while let Some(wait) = clock.next_wait(Instant::now()) {
        socket.send(request).map_err(describe)?;
        let until = Instant::now() + wait;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            socket.set_read_timeout(Some(left)).map_err(describe)?;
            match socket.recv(&mut buf) {
                Ok(n) => match udp_packet::parse_answer(buf.get(..n).unwrap_or(&[]), tid, expect) {
                    Ok(answer) => return Ok(answer),
                    Err(Bad::Ignore(_)) => continue,
                    Err(Bad::Malformed(why)) => return Err(why),
                },
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(describe(e)),
            }
        }
    }
    Err(format!(
        "no answer in {:.0} s ({} sends)",
        started.elapsed().as_secs_f64(),
        clock.sent()
    ))
}

fn describe(e: std::io::Error) -> String {
    match e.kind() {
        ErrorKind::ConnectionRefused => "connection refused (nothing listens there)".into(),
        _ => e.to_string(),
    }
}
