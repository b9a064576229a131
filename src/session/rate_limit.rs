//! `--max-download-rate` and `--max-upload-rate` on the main thread: one
//! token bucket per direction, owned here, and nowhere else.
//!
//! Part of `Session` (see `session/mod.rs`). Where each limit bites:
//! - **Download**: at the request. `fill` asks only for as many blocks as
//!   the bucket has tokens for (rounded up to a block) and pays for each
//!   block when it asks; a web seed run is sized to the tokens and paid
//!   for when it is handed out (see `pick_web_run` for how the two
//!   share). What was not asked
//!   for does not come, so no peer thread needs to know of the limit,
//!   and the limit covers piece data from peers and web seeds alike.
//! - **Upload**: at the serving peer thread, which alone sees its queue.
//!   Every tick, the bucket's tokens are split among the peers we unchoke
//!   that want data from us, in proportion to what each sent since its
//!   last budget (plus one block each, so a newcomer gets a start), and
//!   each gets its share as an `UploadBudget` that replaces the last. The bucket pays
//!   for what the `Uploaded` events say was sent: an unused share stays
//!   in the bucket for the next split. A new peer's first command is a
//!   budget of 0, so it serves nothing before its first share; a choked
//!   peer's requests for its allowed-fast pieces (BEP 6) wait until it
//!   is unchoked.
//!
//! What counts: piece payloads (the 16 KiB blocks), not message headers,
//! handshakes or metadata (BEP 9), a fraction of a percent of a transfer.
//!
//! What it deliberately does not do: sleep, or share a counter with the
//! peer threads (each budget is a message; nothing is locked).

use super::peers::Peer;
use super::{Config, Session};
use crate::channels::PeerCommand;
use crate::geometry::{BLOCK_LEN, PieceIndex};
use crate::ids::ConnId;
use crate::rate_limit::{TokenBucket, split};
use std::collections::BTreeMap;
#[cfg(test)]
use std::num::NonZeroU64;
use std::time::Instant;

/// The session's limits: a bucket per direction that has one.
#[derive(Debug)]
pub(super) struct Limits {
    down: Option<TokenBucket>,
    up: Option<TokenBucket>,
    /// Bytes each peer has sent since its last `UploadBudget`: its demand
    /// in the next split. Only peers that got a budget are here.
    sent: BTreeMap<ConnId, u64>,
}

impl Limits {
    pub(super) fn new(cfg: &Config, now: Instant) -> Self {
        Limits {
            down: cfg.max_download_rate.map(|r| TokenBucket::new(r, now)),
            up: cfg.max_upload_rate.map(|r| TokenBucket::new(r, now)),
            sent: BTreeMap::new(),
        }
    }

    /// How many more blocks `fill` may request now: all of them without
    /// a download limit; else enough to spend the tokens on hand (the
    /// last block may overdraw the bucket, see `rate_limit`).
    pub(super) fn blocks_allowed(&mut self, now: Instant) -> usize {
        match &mut self.down {
            None => usize::MAX,
            Some(b) => usize::try_from(b.available(now).div_ceil(u64::from(BLOCK_LEN)))
                .unwrap_or(usize::MAX),
        }
    }

    /// Pays for `bytes` asked of a peer or a web seed.
    pub(super) fn asked(&mut self, bytes: u64) {
        if let Some(b) = &mut self.down {
            b.take(bytes);
        }
    }

    /// A peer thread sent `bytes` of blocks.
    pub(super) fn uploaded(&mut self, conn: ConnId, bytes: u64) {
        if let Some(b) = &mut self.up {
            b.take(bytes);
            if let Some(n) = self.sent.get_mut(&conn) {
                *n = n.saturating_add(bytes);
            }
        }
    }

    pub(super) fn limits_download(&self) -> bool {
        self.down.is_some()
    }
}

impl Session<'_> {
    /// A new connection's first command: with an upload limit, no budget
    /// until its first share.
    pub(super) fn start_upload_budget(&mut self, conn: ConnId) {
        if self.limits.up.is_none() {
            return;
        }
        if let Some(p) = self.peers.get(&conn) {
            p.send(PeerCommand::UploadBudget(0));
            self.limits.sent.insert(conn, 0);
        }
    }

    /// A run of pieces for a web seed connection, of at most `max_bytes`
    /// and, with a download limit, the tokens on hand, paid for now.
    /// `None` until the bucket holds a piece's worth, or is full (a piece
    /// may be larger than the bucket): a run overdraws the bucket by less
    /// than a piece, and only when pieces are over half a second's worth.
    ///
    /// Peers come first: every tick `fill_all` runs before idle web seed
    /// connections are offered work, so a web seed gets the tokens the
    /// peers leave (all of them with no peer, none while the peers take
    /// the whole limit). A run is a piece or more and a block 16 KiB:
    /// were web seeds first, they would keep the bucket in debt and leave
    /// the peers nothing; the swarm, not the web server, is the source a
    /// limited download should lean on.
    pub(super) fn pick_web_run(
        &mut self,
        conn: ConnId,
        max_bytes: u64,
    ) -> Option<(PieceIndex, u32)> {
        let piece_len = self.meta.geometry.nominal_piece_len();
        let max_bytes = match &mut self.limits.down {
            None => max_bytes,
            Some(b) => match b.available(Instant::now()) {
                tokens if tokens < piece_len.min(b.depth()) => return None,
                tokens => tokens.min(max_bytes),
            },
        };
        let (first, count) = self.picker.pick_run(conn, max_bytes)?;
        self.limits
            .asked(piece_len.saturating_mul(u64::from(count)));
        Some((first, count))
    }

    /// Every tick: new upload budgets, and requests the download bucket
    /// now has tokens for.
    pub(super) fn rate_limit_tick(&mut self, now: Instant) {
        self.share_upload(now);
        if self.limits.limits_download() {
            self.fill_all();
        }
    }

    fn share_upload(&mut self, now: Instant) {
        let Limits { up, sent, .. } = &mut self.limits;
        let Some(bucket) = up else {
            return;
        };
        sent.retain(|c, _| self.peers.contains_key(c));
        let ready: Vec<(ConnId, &Peer)> = self
            .peers
            .iter()
            .filter(|(_, p)| p.ready)
            .map(|(c, p)| (*c, p))
            .collect();
        // Only peers we serve share the tokens (a choked one's floor would
        // be wasted); the others get 0, so a budget left from before
        // cannot be spent later all at once.
        let served = |p: &Peer| p.peer_interested && !p.am_choking;
        let demand: Vec<u64> = ready
            .iter()
            .filter(|(_, p)| served(p))
            .map(|(c, _)| sent.get(c).copied().unwrap_or(0))
            .collect();
        let mut shares = split(bucket.available(now), &demand, u64::from(BLOCK_LEN)).into_iter();
        for (conn, peer) in ready {
            let share = match served(peer) {
                true => shares.next().unwrap_or(0),
                false => 0,
            };
            peer.send(PeerCommand::UploadBudget(share));
            sent.insert(conn, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn limits(down: u64, up: u64, now: Instant) -> Limits {
        let cfg = Config {
            max_download_rate: NonZeroU64::new(down),
            max_upload_rate: NonZeroU64::new(up),
            ..Config::default()
        };
        Limits::new(&cfg, now)
    }

    #[test]
    fn requests_follow_the_download_tokens() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut l = limits(1 << 20, 0, t0);
        // (ms after start, bytes asked before it, blocks allowed)
        #[rustfmt::skip]
        let table = [
            (0, 0, 0),           // the bucket starts empty
            (10, 0, 1),          // 10,485 bytes: one block, overdrawing
            (10, 16_384, 0),     // in debt
            (250, 0, 15),        // 262,144 earned - 16,384 spent: 15 blocks
            (250, 15 * 16_384, 0),
            (5_000, 0, 32),      // capped at half a second: 524,288 bytes
        ];
        for (at, asked, want) in table {
            l.asked(asked);
            assert_eq!(l.blocks_allowed(ms(at)), want, "at {at} ms");
        }
        let mut free = limits(0, 0, t0);
        assert_eq!(free.blocks_allowed(ms(1)), usize::MAX);
        assert!(!free.limits_download());
    }

    #[test]
    fn uploads_are_paid_and_counted_per_peer() {
        let t0 = Instant::now();
        let mut l = limits(0, 1_000_000, t0);
        l.sent.insert(ConnId(1), 0);
        l.uploaded(ConnId(1), 16_384);
        l.uploaded(ConnId(2), 16_384); // no budget yet: not counted
        assert_eq!(l.sent.get(&ConnId(1)), Some(&16_384));
        assert_eq!(l.sent.get(&ConnId(2)), None);
        let up = l.up.as_mut().unwrap();
        // 100 ms earn 100,000 bytes; 32,768 were spent.
        assert_eq!(up.available(t0 + Duration::from_millis(100)), 67_232);
    }
}
