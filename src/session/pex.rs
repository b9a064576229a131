//! Peer exchange (BEP 11) in the session: which addresses each peer is
//! told, and what becomes of the addresses peers tell us.
//!
//! Sending. What we can tell is the listen address of every peer whose
//! handshake completed: for a connection we made, the address we dialled
//! (flag `REACHABLE`, we reached it); for one made to us, its IP with the
//! `p` port of its extended handshake, or nothing if it gave none (its
//! own address is an ephemeral port nobody listens on). `SEED` is set
//! when its pieces are all there. Each peer that takes `ut_pex` gets its
//! first message [`PEX_FIRST_DELAY`] after its extended handshake, then
//! one every [`PEX_INTERVAL`]: `added` what it was not told yet, `dropped`
//! what it was told and is gone (BEP 11: every added is later dropped),
//! at most `SEND_MAX` of each, and nothing at all when both are empty
//! (some clients take an empty message for an invalid one). A peer is
//! never told about itself.
//!
//! Receiving. `added` addresses become connection candidates through
//! `Candidates::add_pex`, which keeps them to a share of the candidate
//! table and tries each unreachable one only once, so a flood can neither
//! crowd out the tracker's addresses nor keep us dialling. Our own
//! address and peers we are connected to are skipped. `dropped` forgets
//! an address that came from PEX alone and that we have not tried yet.
//!
//! Private torrents (BEP 27) do neither: the peer threads already let no
//! `ut_pex` through, and the session checks again here.

use super::Session;
use crate::channels::PeerCommand;
use crate::ids::ConnId;
use crate::wire::ut_pex::{PexFlags, PexMessage, SEND_MAX};
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// How often each peer gets a `ut_pex` message: BEP 11 peers send at
/// most one a minute, and drop peers that send more often.
pub const PEX_INTERVAL: Duration = Duration::from_secs(60);

/// The wait before a peer's first message: long enough for the peers we
/// are connecting to at the start to finish their handshakes, short
/// enough that a peer joining us learns the swarm at once.
pub const PEX_FIRST_DELAY: Duration = Duration::from_secs(5);

/// Most addresses one peer is told at a time (sent in `added` and not yet
/// in `dropped`): more than a full peer table, so it only matters when
/// peers come and go faster than `dropped` can report.
pub const MAX_TOLD: usize = 200;

/// What one peer has been told, and when it is told more. Kept in its
/// `Peer` record.
#[derive(Debug, Default)]
pub struct PexOut {
    /// The peer takes `ut_pex` messages (its extended handshake said so).
    takes: bool,
    /// Addresses sent in `added` and not since in `dropped`.
    told: BTreeSet<SocketAddr>,
    /// When the next message is due; `None` before the first handshake.
    due: Option<Instant>,
}

impl PexOut {
    /// The peer's extended handshake said whether it takes `ut_pex`.
    pub fn on_extended(&mut self, takes: bool, now: Instant) {
        self.takes = takes;
        if takes && self.due.is_none() {
            self.due = Some(now + PEX_FIRST_DELAY);
        }
    }

    /// True when a message may be due at `now`.
    pub fn is_due(&self, now: Instant) -> bool {
        self.takes && self.due.is_some_and(|t| now >= t)
    }

    /// The message due at `now`, given what may be told now (`current`),
    /// and records it as told; `None` when not due or nothing changed.
    pub fn next(&mut self, now: Instant, current: &[(SocketAddr, PexFlags)]) -> Option<PexMessage> {
        if !self.is_due(now) {
            return None;
        }
        self.due = Some(now + PEX_INTERVAL);
        let still: BTreeSet<SocketAddr> = current.iter().map(|(a, _)| *a).collect();
        let dropped: Vec<SocketAddr> = self
            .told
            .iter()
            .filter(|a| !still.contains(a))
            .take(SEND_MAX)
            .copied()
            .collect();
        for a in &dropped {
            self.told.remove(a);
        }
        let mut added = Vec::new();
        for (addr, flags) in current {
            if added.len() >= SEND_MAX || self.told.len() >= MAX_TOLD {
                break;
            }
            if self.told.insert(*addr) {
                added.push((*addr, *flags));
            }
        }
        (!added.is_empty() || !dropped.is_empty()).then_some(PexMessage { added, dropped })
    }
}

impl Session<'_> {
    /// What may be told now: each ready peer's listen address, with the
    /// connection it belongs to (so that peer is not told of itself).
    fn pex_current(&self) -> Vec<(ConnId, SocketAddr, PexFlags)> {
        let pieces = self.meta.geometry.num_pieces();
        self.peers
            .iter()
            .filter(|(_, p)| p.ready)
            .filter_map(|(c, p)| {
                let (addr, mut flags) = if p.incoming {
                    (SocketAddr::new(p.addr.ip(), p.listen_port?), PexFlags(0))
                } else {
                    (p.addr, PexFlags::REACHABLE)
                };
                if p.pieces.count() == pieces {
                    flags = flags | PexFlags::SEED;
                }
                Some((*c, addr, flags))
            })
            .collect()
    }

    /// Sends every peer whose message is due what changed for it.
    pub(super) fn send_pex_due(&mut self, now: Instant) {
        if self.meta.private || !self.peers.values().any(|p| p.pex.is_due(now)) {
            return;
        }
        let current = self.pex_current();
        for (conn, peer) in self.peers.iter_mut() {
            let others: Vec<(SocketAddr, PexFlags)> = current
                .iter()
                .filter(|(c, a, _)| c != conn && *a != peer.addr)
                .map(|(_, a, f)| (*a, *f))
                .collect();
            if let Some(msg) = peer.pex.next(now, &others) {
                peer.send(PeerCommand::Pex(msg));
            }
        }
    }

    /// A peer told us of others.
    pub(super) fn on_pex(&mut self, conn: ConnId, msg: PexMessage) {
        if self.meta.private {
            return; // BEP 27: only the tracker's peers
        }
        let mut new = 0usize;
        for (addr, _flags) in msg.added {
            if !self.is_self(addr) && !self.is_connected(addr) && self.candidates.add_pex(addr) {
                new += 1;
            }
        }
        for addr in msg.dropped {
            self.candidates.forget_untried(addr);
        }
        if self.cfg.verbose
            && new > 0
            && let Some(from) = self.addr_of(conn)
        {
            self.progress.message(&format!(
                "peer {from}: peer exchange gave {new} new addresses"
            ));
        }
        if new > 0 {
            self.connect_more(Instant::now());
        }
    }

    /// True if some live connection is to `addr`: dialled there, or made
    /// to us from its IP by a peer that listens on its port.
    fn is_connected(&self, addr: SocketAddr) -> bool {
        self.peers.values().any(|p| {
            p.addr == addr
                || (p.incoming && p.addr.ip() == addr.ip() && p.listen_port == Some(addr.port()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(port: u16) -> SocketAddr {
        SocketAddr::from(([10, 0, 0, 1], port))
    }

    fn set(addrs: &[u16]) -> Vec<(SocketAddr, PexFlags)> {
        addrs.iter().map(|p| (a(*p), PexFlags::REACHABLE)).collect()
    }

    fn ports(msg: &PexMessage) -> (Vec<u16>, Vec<u16>) {
        (
            msg.added.iter().map(|(a, _)| a.port()).collect(),
            msg.dropped.iter().map(|a| a.port()).collect(),
        )
    }

    #[test]
    fn added_then_dropped_once_a_minute() {
        let t0 = Instant::now();
        let mut out = PexOut::default();
        assert_eq!(out.next(t0, &set(&[1])), None, "no handshake yet");
        out.on_extended(true, t0);
        assert_eq!(out.next(t0, &set(&[1])), None, "not before the first delay");
        let t1 = t0 + PEX_FIRST_DELAY;
        /// (seconds after t1, what may be told, want (added, dropped) or None)
        type Row = (u64, Vec<u16>, Option<(Vec<u16>, Vec<u16>)>);
        let table: Vec<Row> = vec![
            (0, vec![1, 2], Some((vec![1, 2], vec![]))),
            (1, vec![1, 2, 3], None), // not due for a minute
            (60, vec![1, 2, 3], Some((vec![3], vec![]))), // only what is new
            (120, vec![1, 2, 3], None), // nothing changed: nothing sent
            (180, vec![2, 4], Some((vec![4], vec![1, 3]))),
            (240, vec![], Some((vec![], vec![2, 4]))),
            (300, vec![], None),
        ];
        for (at, now, want) in table {
            let got = out.next(t1 + Duration::from_secs(at), &set(&now));
            assert_eq!(got.as_ref().map(ports), want, "at {at} s");
        }
        // A handshake that takes ut_pex back stops the messages.
        out.on_extended(false, t1);
        assert_eq!(out.next(t1 + Duration::from_secs(999), &set(&[9])), None);
    }

    #[test]
    fn at_most_send_max_each_and_max_told_in_all() {
        let t0 = Instant::now();
        let mut out = PexOut::default();
        out.on_extended(true, t0);
        let many: Vec<u16> = (1..=500).collect();
        let mut at = t0 + PEX_FIRST_DELAY;
        let mut told = 0;
        for _ in 0..10 {
            if let Some(m) = out.next(at, &set(&many)) {
                assert!(m.added.len() <= SEND_MAX && m.dropped.is_empty());
                told += m.added.len();
            }
            at += PEX_INTERVAL;
        }
        assert_eq!(told, MAX_TOLD);
        // All gone: dropped 50 a minute until none is left.
        let mut dropped = 0;
        for _ in 0..10 {
            if let Some(m) = out.next(at, &[]) {
                assert!(m.dropped.len() <= SEND_MAX && m.added.is_empty());
                dropped += m.dropped.len();
            }
            at += PEX_INTERVAL;
        }
        assert_eq!(dropped, MAX_TOLD);
        // Duplicates in what may be told are told once.
        let mut out = PexOut::default();
        out.on_extended(true, t0);
        let m = out.next(at, &set(&[7, 7, 7])).unwrap();
        assert_eq!(ports(&m), (vec![7], vec![]));
    }
}
