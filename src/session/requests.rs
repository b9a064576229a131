//! Requests: keeping each peer's pipeline full, taking requests back
//! from peers that choke us or go silent, and interest.
//!
//! Part of `Session` (see `session/mod.rs`). The picker decides *which*
//! blocks; this decides *how many*, and to whom they go back.

use super::{MAX_IN_FLIGHT, SNUB_TIMEOUT, Session};
use crate::channels::PeerCommand;
use crate::geometry::BlockRef;
use crate::ids::ConnId;
use std::time::Instant;

impl Session<'_> {
    /// Sends a peer as many requests as its pipeline has room for.
    pub(super) fn fill(&mut self, conn: ConnId) {
        let room = MAX_IN_FLIGHT.saturating_sub(self.picker.in_flight());
        let held = self.picker.in_flight_of(conn);
        let allowed = self.limits.blocks_allowed(Instant::now());
        let Some(peer) = self.peers.get_mut(&conn) else {
            return;
        };
        if !peer.ready || !peer.am_interested || room == 0 {
            return;
        }
        let want = peer.request_target().saturating_sub(held).min(room);
        let want = want.min(allowed); // `--max-download-rate`
        if want == 0 {
            return;
        }
        if held == 0 {
            peer.last_block = Instant::now();
        }
        // While it chokes us, only its allowed-fast pieces (BEP 6).
        let Some(theirs) = peer
            .fast
            .askable(&peer.pieces, peer.peer_choking, &self.meta.geometry)
        else {
            return;
        };
        let picks = self.picker.pick(conn, &theirs, want);
        drop(theirs);
        for block in picks {
            self.limits.asked(u64::from(block.len));
            peer.send(PeerCommand::Request(block));
        }
    }

    pub(super) fn fill_all(&mut self) {
        let conns: Vec<ConnId> = self.peers.keys().copied().collect();
        for c in conns {
            self.fill(c);
        }
    }

    /// Gives a peer's requests back to the picker; with `cancel`, also
    /// tells the peer (it is alive but too slow).
    pub(super) fn take_back_requests(&mut self, conn: ConnId, cancel: bool) {
        let blocks = self.picker.release_all(conn);
        if let Some(peer) = self.peers.get(&conn)
            && cancel
        {
            for block in blocks {
                peer.send(PeerCommand::Cancel(block));
            }
        }
    }

    /// Another copy of `block` arrived: cancel it at the other peers (the
    /// picker has already voided their requests).
    pub(super) fn cancel(&mut self, block: BlockRef, conns: &[ConnId]) {
        for c in conns {
            if let Some(p) = self.peers.get(c) {
                p.send(PeerCommand::Cancel(block));
            }
        }
    }

    pub(super) fn update_interest(&mut self, conn: ConnId) {
        if let Some(p) = self.peers.get_mut(&conn) {
            let want = p.useful > 0;
            if want != p.am_interested && p.ready {
                p.am_interested = want;
                p.send(PeerCommand::Interested(want));
            }
        }
    }

    pub(super) fn snub_silent_peers(&mut self, now: Instant) {
        let picker = &self.picker;
        let silent: Vec<ConnId> = self
            .peers
            .iter()
            .filter(|(c, p)| {
                picker.in_flight_of(**c) > 0 && now.duration_since(p.last_block) >= SNUB_TIMEOUT
            })
            .map(|(c, _)| *c)
            .collect();
        for c in &silent {
            if let Some(p) = self.peers.get_mut(c) {
                p.snubbed = true;
                if self.cfg.verbose {
                    self.progress.message(&format!("peer {}: snubbed", p.addr));
                }
            }
            self.take_back_requests(*c, true);
        }
        if !silent.is_empty() {
            self.fill_all();
        }
    }
}
