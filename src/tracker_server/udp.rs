//! The UDP front-end (BEP 15): one thread, one socket, one packet at a time.
//!
//! Each packet is handled start to finish in microseconds (parse, check the
//! connection id, take the swarm lock, answer), so one thread keeps up with
//! anything a LAN produces and needs no pool. The thread owns the
//! [`ConnectionIds`] keys; nothing else touches them.
//!
//! Wrong or expired connection ids get an error packet (so the client
//! reconnects at once instead of timing out); packets with no transaction
//! id, or connects without the protocol id, are dropped unanswered.

use super::Shared;
use super::connection_id::{ConnectionIds, ROTATION};
use super::udp_answer;
use super::udp_request::{self, Refused, Request};
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Receive buffer. The largest request we serve is a scrape of 64 hashes
/// (16 + 64 × 20 = 1296 bytes); anything longer is cut to this size and
/// then refused as a scrape with a partial infohash, or, for an announce,
/// has its BEP 41 options ignored.
const MAX_PACKET: usize = 1500;

/// How long a receive waits before checking for shutdown.
const RECV_POLL: Duration = Duration::from_millis(100);

/// Starts the UDP thread.
pub fn spawn(socket: UdpSocket, shared: Arc<Shared>) -> io::Result<JoinHandle<()>> {
    socket.set_read_timeout(Some(RECV_POLL))?;
    let mut ids = ConnectionIds::new(ROTATION, Instant::now());
    thread::Builder::new()
        .name("tracker-udp".into())
        .spawn(move || {
            let mut buf = [0u8; MAX_PACKET];
            while !shared.stop.load(Ordering::Relaxed) {
                let Ok((n, from)) = socket.recv_from(&mut buf) else {
                    continue; // timeout, or an ICMP error from an earlier send
                };
                let packet = buf.get(..n).unwrap_or_default();
                if let Some(answer) = handle(packet, from, &mut ids, &shared, Instant::now()) {
                    // A lost answer is a lost UDP packet: the client retries.
                    let _ = socket.send_to(&answer, from);
                }
            }
        })
}

/// The answer to one packet from `from`, if it deserves one.
pub fn handle(
    packet: &[u8],
    from: SocketAddr,
    ids: &mut ConnectionIds,
    shared: &Shared,
    now: Instant,
) -> Option<Vec<u8>> {
    match udp_request::parse(packet) {
        Err(Refused::Drop) => None,
        Err(Refused::Error {
            transaction_id,
            message,
        }) => Some(udp_answer::error_answer(transaction_id, message)),
        Ok(Request::Connect { transaction_id }) => {
            Some(udp_answer::connect_answer(transaction_id, ids.issue(now)))
        }
        Ok(
            Request::Announce {
                connection_id,
                transaction_id,
                ..
            }
            | Request::Scrape {
                connection_id,
                transaction_id,
                ..
            },
        ) if !ids.check(connection_id, now) => Some(udp_answer::error_answer(
            transaction_id,
            "unknown or expired connection id",
        )),
        Ok(Request::Announce {
            transaction_id,
            body,
            ..
        }) => {
            let announce = match body.check(from) {
                Ok(a) => a,
                Err(message) => return Some(udp_answer::error_answer(transaction_id, message)),
            };
            Some(match shared.announce(&announce) {
                Ok(out) => udp_answer::announce_answer(
                    transaction_id,
                    shared.interval_secs(),
                    out.counts,
                    &out.peers,
                    !announce.peer.is_ipv4(),
                ),
                Err(refusal) => udp_answer::error_answer(transaction_id, &refusal.to_string()),
            })
        }
        Ok(Request::Scrape {
            transaction_id,
            hashes,
            ..
        }) => {
            let counts: Vec<_> = shared.scrape(&hashes).into_iter().map(|(_, c)| c).collect();
            Some(udp_answer::scrape_answer(transaction_id, &counts))
        }
    }
}
