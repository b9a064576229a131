//! The main thread's reaction to peer events: pieces completing, peers
//! coming and going, bad data and who sent it.
//!
//! Part of `Session` (see `session/mod.rs`); split out so each file reads
//! as one concern.

use super::peers::{Origin, Peer};
use super::{DEPARTED, Session};
use crate::channels::{PeerCommand, PeerEvent, PeerEventKind};
use crate::error::Result;
use crate::event_stream::{Direction::*, Event};
use crate::geometry::BlockRef;
use crate::hash::SHA1_LEN;
use crate::ids::ConnId;
use crate::listener::Incoming;
use crate::picker::Received;
use crossbeam_channel::unbounded;
use std::net::SocketAddr;
use std::time::Instant;

impl Session<'_> {
    pub(super) fn on_event(&mut self, ev: PeerEvent) -> Result<()> {
        let conn = ev.conn;
        if let PeerEventKind::Closed { reason, misbehaved } = ev.kind {
            self.on_closed(conn, &reason, misbehaved);
            return Ok(());
        }
        let Some(peer) = self.peers.get_mut(&conn) else {
            return Ok(());
        };
        match ev.kind {
            PeerEventKind::Ready { addr, fast, .. } => {
                peer.ready = true;
                peer.addr = addr;
                peer.fast.negotiated = fast;
                self.had_peer = true;
                let (direction, source) = match peer.incoming {
                    true => (In, Some("incoming")),
                    false => (Out, self.candidates.origin(&addr).map(Origin::name)),
                };
                let connected = Event::PeerConnected {
                    addr,
                    direction,
                    source,
                };
                self.progress.emit(&connected);
                if self.cfg.verbose {
                    let how = if fast { ", fast extension (BEP 6)" } else { "" };
                    self.progress
                        .message(&format!("peer {addr}: connected{how}"));
                }
            }
            PeerEventKind::Bitfield(bf) => {
                if self.cfg.verbose && bf.is_full() && !peer.pieces.is_full() {
                    let how = if peer.fast.negotiated {
                        " (have all)"
                    } else {
                        ""
                    };
                    let addr = peer.addr;
                    self.progress
                        .message(&format!("peer {addr}: has every piece{how}"));
                }
                self.picker.remove_availability(&peer.pieces);
                self.picker.add_availability(&bf);
                peer.useful = bf
                    .iter_raw()
                    .filter_map(|i| self.meta.geometry.piece(i))
                    .filter(|p| self.picker.wants(*p))
                    .count() as u32;
                peer.pieces = bf;
                self.update_interest(conn);
                self.fill(conn);
            }
            PeerEventKind::Have(piece) => {
                if peer.pieces.set(piece) {
                    self.picker.add_one(piece);
                    if self.picker.wants(piece) {
                        peer.useful += 1;
                    }
                    self.update_interest(conn);
                    self.fill(conn);
                }
            }
            PeerEventKind::Choke => {
                peer.peer_choking = true;
                self.take_back_requests(conn, false);
                self.fill_all();
            }
            PeerEventKind::Unchoke => {
                peer.peer_choking = false;
                peer.fast.forgive();
                peer.last_block = Instant::now();
                self.fill(conn);
            }
            PeerEventKind::Interested => {
                peer.peer_interested = true;
                if self.unchoked_count() < crate::choker::UPLOAD_SLOTS {
                    self.rechoke(Instant::now()); // a free slot: decide now
                }
            }
            PeerEventKind::NotInterested => peer.peer_interested = false,
            // Copied into its piece; dropping `data` returns its buffer.
            PeerEventKind::Block {
                block,
                data,
                digest,
            } => self.on_block(conn, block, &data, digest)?,
            PeerEventKind::Reject(block) => self.on_reject(conn, block),
            PeerEventKind::AllowedFast(piece) => {
                if peer.fast.allow(piece) && peer.peer_choking {
                    self.fill(conn);
                }
            }
            PeerEventKind::Uploaded { bytes } => {
                peer.up.add(u64::from(bytes));
                self.up.add(u64::from(bytes));
                self.uploaded += u64::from(bytes);
                self.limits.uploaded(conn, u64::from(bytes));
            }
            PeerEventKind::Extended {
                client,
                listen_port,
                reqq,
                pex,
            } => {
                peer.pex.on_extended(pex, Instant::now());
                if let Some(n) = reqq {
                    peer.reqq = usize::from(n).max(1);
                }
                peer.listen_port = listen_port.or(peer.listen_port);
                if let Some(name) = client {
                    if self.cfg.verbose && peer.client.as_ref() != Some(&name) {
                        let addr = peer.addr;
                        self.progress
                            .message(&format!("peer {addr}: client {name}"));
                    }
                    peer.client = Some(name);
                }
                self.fill(conn); // a larger reqq makes room at once
            }
            PeerEventKind::Pex(msg) => self.on_pex(conn, msg),
            PeerEventKind::DhtPort(port) => {
                let addr = peer.addr;
                self.on_dht_port(addr, port);
            }
            PeerEventKind::Closed { .. } => {}
        }
        Ok(())
    }

    pub(super) fn on_block(
        &mut self,
        conn: ConnId,
        block: BlockRef,
        data: &[u8],
        digest: Option<[u8; SHA1_LEN]>,
    ) -> Result<()> {
        let len = data.len() as u64;
        let cap = self.pipeline_cap;
        if let Some(peer) = self.peers.get_mut(&conn) {
            peer.last_block = Instant::now();
            peer.snubbed = false;
            peer.fast.on_block();
            peer.pipeline = (peer.pipeline + 1).min(cap);
            peer.down.add(len);
        }
        self.down.add(len);
        match self.picker.block_received(conn, block, data) {
            Received::Unneeded => {}
            Received::Stored { cancel } => self.cancel(block, &cancel),
            Received::Complete { cancel } => {
                self.cancel(block, &cancel);
                self.downloaded += u64::from(self.meta.geometry.piece_len(block.piece));
                self.finish_piece(block.piece, digest.map(|d| (conn, d)))?;
            }
        }
        self.fill(conn);
        Ok(())
    }

    /// Drops every connection to `addr` and never connects to it again.
    pub(super) fn ban(&mut self, addr: SocketAddr) {
        self.candidates.ban(addr);
        self.progress
            .message(&format!("peer {addr}: banned for sending bad data"));
        for p in self.peers.values().filter(|p| p.addr == addr) {
            p.send(PeerCommand::Close);
        }
    }

    pub(super) fn addr_of(&self, conn: ConnId) -> Option<SocketAddr> {
        self.peers.get(&conn).map(|p| p.addr).or_else(|| {
            self.departed
                .iter()
                .find(|(c, _)| *c == conn)
                .map(|(_, a)| *a)
        })
    }

    pub(super) fn on_closed(&mut self, conn: ConnId, reason: &str, misbehaved: bool) {
        self.take_back_requests(conn, false);
        let Some(peer) = self.peers.remove(&conn) else {
            return;
        };
        self.picker.remove_availability(&peer.pieces);
        if !peer.incoming {
            self.candidates
                .disconnected(peer.addr, peer.ready, misbehaved, Instant::now());
        } else if misbehaved {
            self.candidates.ban(peer.addr);
        }
        if self.departed.len() >= DEPARTED {
            self.departed.pop_front();
        }
        self.departed.push_back((conn, peer.addr));
        self.progress.emit(&Event::PeerClosed {
            addr: peer.addr,
            reason: reason.to_string(),
            connected: peer.ready,
            misbehaved,
        });
        if self.cfg.verbose || misbehaved {
            self.progress
                .message(&format!("peer {}: disconnected: {reason}", peer.addr));
        }
        self.fill_all();
    }

    pub(super) fn on_incoming(&mut self, inc: Incoming) {
        if self.peers.len() >= self.cfg.max_peers || !self.candidates.accepts(&inc.addr) {
            return; // dropping the stream closes it
        }
        let (tx, rx) = unbounded();
        let conn = self.new_conn();
        let have = self.offered();
        // If the thread cannot start, the stream is dropped (closed).
        if crate::peer::spawn_incoming(self.ctx.clone(), conn, inc.stream, have, rx).is_ok() {
            let n = self.meta.geometry.num_pieces();
            self.peers.insert(conn, Peer::new(tx, inc.addr, true, n));
            self.start_upload_budget(conn);
        }
    }
}
