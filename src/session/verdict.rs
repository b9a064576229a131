//! The hash check of a complete piece, seen from the main thread: send it
//! to the hasher, then act on the verdict when it comes back.
//!
//! Part of `Session` (see `session/mod.rs`). Between the two halves the
//! piece is *hashing* in the picker: not picked again, and counted
//! against the partial-piece budget, so memory stays bounded while the
//! main thread goes on handling peers. The main thread never waits on
//! SHA-1; it selects on the verdicts beside peer events.
//!
//! A good piece is written (the main thread stays the only writer, and
//! writes the very bytes that were checked), then announced with `have`;
//! when streaming (`-o -`), it goes to the stream instead (`sink.rs`),
//! and is not announced.
//! A bad one is dropped and fetched again, and `blame` decides who lied.

use super::Session;
use super::blame::Verdict as Blamed;
use super::sink::Sink;
use crate::channels::PeerCommand;
use crate::error::{Error, Result};
use crate::event_stream::Event;
use crate::geometry::PieceIndex;
use crate::hash::SHA1_LEN;
use crate::hasher::{HasherError, Job, Report, Verdict};
use crate::ids::ConnId;
use crate::storage::PathError;
use crossbeam_channel::{Receiver, RecvError, RecvTimeoutError};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// How long a session that is stopping waits for the pieces still out
/// for their hash check, so what was downloaded and is good gets written.
/// At most the partial-piece budget is out (32 MiB by default): well
/// under a second even where SHA-1 runs at 100 MB/s.
pub const HASH_DRAIN_WAIT: Duration = Duration::from_secs(5);

/// Pieces per hasher thread that may wait for their hash check before
/// no new piece starts. Two keep each thread busy; more only holds memory:
/// on the 2-core test box, a 512 MiB bitsy-to-bitsy loopback download
/// with no such limit had up to 39 pieces (10 MiB) waiting, since the
/// hashers share the cores with the peers and the seeder, and peaked at
/// 20-26 MiB RSS (10 MiB before hashing left the main thread); with it,
/// and verdicts taken between the events of a burst, 12.6-13.6 MiB.
pub const HASH_BACKLOG_PER_THREAD: usize = 2;

/// The context of [`hasher_error`]: the one `Error::Other` of the main
/// loop that is not the disk's (`stall::diagnose_fatal` tells them apart).
pub(super) const HASH_STOPPED: &str = "the hash check stopped";

/// A hasher failure as the session's error: the download cannot go on
/// without verdicts.
pub(super) fn hasher_error(e: HasherError) -> Error {
    Error::Other {
        context: HASH_STOPPED.into(),
        source: e.into(),
    }
}

impl Session<'_> {
    /// The last block of `piece` arrived: send the piece to the hasher.
    pub(super) fn finish_piece(
        &mut self,
        piece: PieceIndex,
        streamed: Option<(ConnId, [u8; SHA1_LEN])>,
    ) -> Result<()> {
        let sole = self.picker.sole_sender(piece);
        let Some(data) = self.picker.take_complete(piece) else {
            return Ok(());
        };
        let expected = *self.meta.piece_hash(piece);
        // Hashed on the way in by the one connection that sent every
        // block, each once: the verdict is here already (see
        // `peer/running_hash.rs`).
        if let Some((conn, digest)) = streamed
            && sole == Some(conn)
        {
            let good = digest == expected;
            return self.on_verdict(Verdict { piece, data, good });
        }
        let job = Job {
            piece,
            data,
            expected,
        };
        // Never waits: the queue holds the whole budget (see `run`).
        self.hasher.submit(job).map_err(hasher_error)
    }

    /// The hasher's verdict on a piece: write and announce it, or throw
    /// it away and blame.
    pub(super) fn on_verdict(&mut self, v: Verdict) -> Result<()> {
        let was_full = !self.picker.has_room();
        if v.good {
            self.keep_verified(v.piece, &v.data)?;
            for liar in self.blame.verified(v.piece, &v.data) {
                self.ban(liar);
            }
            self.announce_piece(v.piece);
            self.offer_web_work();
            // Its room in the budget is free: peers may start a new piece.
            if was_full {
                self.fill_all();
            }
        } else {
            self.on_bad_piece(v.piece, &v.data);
        }
        if let Some(buf) = self.stream_verified(v) {
            self.picker.recycle(buf);
        }
        Ok(())
    }

    /// Acts on every verdict already waiting on `verdicts` (the
    /// hasher's channel), without blocking: each frees a piece's memory.
    pub(super) fn take_verdicts(&mut self, verdicts: &Receiver<Report>) -> Result<()> {
        for report in verdicts.try_iter() {
            let v = self.hasher.open(Ok(report)).map_err(hasher_error)?;
            self.on_verdict(v)?;
        }
        Ok(())
    }

    /// Writes a piece that passed (unless streaming) and marks it had.
    fn keep_verified(&mut self, piece: PieceIndex, data: &[u8]) -> Result<()> {
        if let Sink::Files { storage, flusher } = &mut self.sink {
            storage.write_piece(piece, data).map_err(|e| Error::Other {
                context: format!("cannot write piece {piece}"),
                source: e,
            })?;
            flusher.wrote(piece).map_err(disk_error)?;
        }
        self.picker.verified(piece);
        Ok(())
    }

    /// Waits for the flusher, then flushes every file: when the download
    /// completes and when bitsy stops. An error the flusher met earlier
    /// is returned here too (the final sync would not see it again).
    /// Then every piece written is durable: the resume state says so.
    /// A stream lets its writer go (see `Stream::finish`).
    pub(super) fn flush(&mut self) -> Result<()> {
        let Sink::Files { storage, flusher } = &mut self.sink else {
            self.finish_stream();
            return Ok(());
        };
        flusher.finish().map_err(disk_error)?;
        storage.sync().map_err(|e| Error::Other {
            context: "cannot flush the download to disk".into(),
            source: e,
        })?;
        if let Err(e) = flusher.save() {
            let msg = format!("warning: cannot save the resume state: {e}");
            self.progress.message(&msg);
        }
        Ok(())
    }

    /// Tells every peer we have `piece`, and updates our interest in each.
    fn announce_piece(&mut self, piece: PieceIndex) {
        let serves = self.serves();
        let conns: Vec<ConnId> = self.peers.keys().copied().collect();
        for c in conns {
            if let Some(p) = self.peers.get_mut(&c) {
                if p.ready && serves {
                    p.send(PeerCommand::Have(piece));
                }
                if p.pieces.has(piece) {
                    p.useful = p.useful.saturating_sub(1);
                }
            }
            self.update_interest(c);
        }
    }

    /// A piece failed its hash check: fetch it again, and strike or wait
    /// to judge the peers that sent it.
    fn on_bad_piece(&mut self, piece: PieceIndex, data: &[u8]) {
        let senders = self.drop_bad(piece);
        self.progress.message(&format!(
            "piece {piece} failed its hash check; fetching it again"
        ));
        if self.progress.has_events() {
            let mut from: Vec<String> = senders
                .iter()
                .filter_map(|c| self.sender_name(*c))
                .collect();
            from.sort();
            from.dedup();
            let ev = Event::HashFailed {
                piece: piece.get(),
                from,
            };
            self.progress.emit(&ev);
        }
        if self.blame_web_seeds(&senders) {
            self.fill_all();
            return;
        }
        let addrs: Vec<SocketAddr> = senders.iter().filter_map(|c| self.addr_of(*c)).collect();
        if let Blamed::Strike(addr) = self.blame.failed(piece, data, &addrs)
            && self.candidates.strike(addr)
        {
            self.ban(addr);
        }
        self.fill_all();
    }

    /// Who sent a block, in words: a peer's address or a web seed's URL.
    fn sender_name(&self, conn: ConnId) -> Option<String> {
        match self.web.url_of(conn) {
            Some(url) => Some(url.to_string()),
            None => self.addr_of(conn).map(|a| a.to_string()),
        }
    }

    /// Forgets a piece that failed: its bytes no longer count as
    /// downloaded, and the picker will start it over. Returns who sent it.
    fn drop_bad(&mut self, piece: PieceIndex) -> Vec<ConnId> {
        self.downloaded = self
            .downloaded
            .saturating_sub(u64::from(self.meta.geometry.piece_len(piece)));
        self.picker.failed(piece)
    }

    /// While stopping (peers already told to close): waits up to
    /// [`HASH_DRAIN_WAIT`] for the pieces still being hashed and writes
    /// the good ones, so the next start reuses them.
    pub(super) fn finish_hashing(&mut self) {
        if !self.serves() {
            return; // a stream that stops keeps nothing
        }
        let deadline = Instant::now() + HASH_DRAIN_WAIT;
        while self.picker.hashing_count() > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            let received = match self.hasher.verdicts().recv_timeout(left) {
                Ok(r) => Ok(r),
                Err(RecvTimeoutError::Timeout) => return,
                Err(RecvTimeoutError::Disconnected) => Err(RecvError),
            };
            let kept = match self.hasher.open(received) {
                Ok(v) if v.good => self.keep_verified(v.piece, &v.data),
                Ok(v) => {
                    self.drop_bad(v.piece);
                    Ok(())
                }
                Err(e) => Err(hasher_error(e)),
            };
            if let Err(e) = kept {
                self.progress.message(&format!("warning: {e}"));
                return;
            }
        }
    }
}

/// An error the disk reported while flushing written pieces.
fn disk_error(e: PathError) -> Error {
    Error::Other {
        context: "cannot flush the download to disk".into(),
        source: e.into(),
    }
}
