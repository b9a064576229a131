//! Web seeds (BEP 19) seen from the main thread: starting their threads,
//! giving them runs of pieces, taking their pieces in, judging them.
//!
//! Part of `Session` (see `session/mod.rs`). A web seed connection is
//! known by a `ConnId` like a peer, but is not in the peers table: it is
//! never choked, has every piece, and needs no interest. Its pieces are
//! cut into blocks and handed to the picker as if a peer had sent them,
//! so assembly, the memory budget, the hash check and the write are the
//! very path of a peer's blocks (fewer special cases than a second path
//! straight to the hasher: a piece a peer has half-fetched in endgame,
//! or one a web seed gave back, needs nothing new).
//!
//! A web seed is dropped (its threads stopped, its pieces given back)
//! when its file is gone (`404`/`410`), after [`MAX_FAULTS_IN_ROW`] faults
//! without a good piece between them, or after [`MAX_BAD_PIECES`] pieces
//! that failed their hash check. When every web seed is dropped and no
//! tracker, peer or address is left, the download ends with an error at
//! once rather than at the stall timeout.
//!
//! What it deliberately does not do: talk HTTP (`webseed` does), or
//! judge peers (`blame` does; a piece a web seed had a hand in is not
//! held against the peers that sent the rest).

use super::Session;
use crate::error::{Error, Result};
use crate::geometry::PieceIndex;
use crate::ids::ConnId;
use crate::picker::Received;
use crate::storage::Layout;
use crate::webseed::{
    self, CONNECTIONS_PER_SEED, EVENT_QUEUE, MAX_RUN_BYTES, SeedContext, WebSeedCommand,
    WebSeedEvent, WebSeedEventKind,
};
use crossbeam_channel::{Receiver, Sender, bounded, unbounded};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Faults (of any kind but a gone file) in a row, on all connections of
/// one web seed, before it is dropped: with two connections backing off
/// from 0.5 s, about four seconds of a server that keeps failing.
pub const MAX_FAULTS_IN_ROW: u32 = 6;

/// Pieces from one web seed that fail their hash check before it is
/// dropped: one may be a file changed mid-download; three is the wrong
/// file.
pub const MAX_BAD_PIECES: u32 = 3;

/// One `url-list` entry.
#[derive(Debug)]
struct Seed {
    url: String,
    faults_in_row: u32,
    bad_pieces: u32,
    /// Why it was dropped, once it is.
    dropped: Option<String>,
}

/// One connection (thread) to a web seed.
#[derive(Debug)]
struct Conn {
    seed: usize,
    tx: Sender<WebSeedCommand>,
    /// Waiting for a run.
    idle: bool,
}

/// The session's web seeds.
#[derive(Debug)]
pub(super) struct WebSeeds {
    events: Receiver<WebSeedEvent>,
    seeds: Vec<Seed>,
    conns: BTreeMap<ConnId, Conn>,
    stop: Arc<AtomicBool>,
}

impl Default for WebSeeds {
    fn default() -> Self {
        WebSeeds {
            events: crossbeam_channel::never(),
            seeds: Vec::new(),
            conns: BTreeMap::new(),
            stop: Arc::new(AtomicBool::new(false)),
        }
    }
}

impl WebSeeds {
    /// The channel the main loop selects on.
    pub(super) fn events(&self) -> &Receiver<WebSeedEvent> {
        &self.events
    }

    /// Some web seed is still in use.
    pub(super) fn active(&self) -> bool {
        self.seeds.iter().any(|s| s.dropped.is_none())
    }

    fn seed_of(&self, conn: ConnId) -> Option<usize> {
        self.conns.get(&conn).map(|c| c.seed)
    }

    /// The URL of the web seed behind `conn`, if it is one.
    pub(super) fn url_of(&self, conn: ConnId) -> Option<&str> {
        let seed = self.seed_of(conn)?;
        self.seeds.get(seed).map(|s| s.url.as_str())
    }
}

/// The `url-list` entries bitsy can use; the others, each with a sentence.
pub(super) fn usable(urls: &[String]) -> (Vec<String>, Vec<String>) {
    let mut ok = Vec::new();
    let mut refused = Vec::new();
    for url in urls {
        match webseed::url::refusal(url) {
            None if !ok.contains(url) => ok.push(url.clone()),
            None => {}
            Some(why) => refused.push(why),
        }
    }
    (ok, refused)
}

impl Session<'_> {
    /// Starts [`CONNECTIONS_PER_SEED`] threads per usable web seed.
    pub(super) fn start_web_seeds(&mut self) {
        let (urls, refused) = usable(&self.meta.web_seeds);
        for why in refused {
            self.progress.message(&format!("{why}: ignored"));
        }
        if urls.is_empty() || self.picker.is_complete() {
            return;
        }
        let layout = match Layout::new(self.meta.files.clone(), self.meta.geometry) {
            Ok(l) => l,
            Err(e) => {
                self.progress.message(&format!("web seeds not used: {e}"));
                return;
            }
        };
        let (tx, rx) = bounded(EVENT_QUEUE);
        let ctx = Arc::new(SeedContext {
            name: self.meta.name.clone(),
            multi_file: self.meta.multi_file,
            layout,
            events: tx,
            stop: self.web.stop.clone(),
            trace: self.cfg.trace,
        });
        self.web.events = rx;
        for url in urls {
            let seed = self.web.seeds.len();
            let mut started = 0;
            for _ in 0..CONNECTIONS_PER_SEED {
                let conn = self.new_conn();
                let (cmd_tx, cmd_rx) = unbounded();
                if webseed::spawn(ctx.clone(), conn, url.clone(), cmd_rx).is_ok() {
                    let c = Conn {
                        seed,
                        tx: cmd_tx,
                        idle: false,
                    };
                    self.web.conns.insert(conn, c);
                    started += 1;
                }
            }
            if started == 0 {
                self.progress
                    .message(&format!("web seed {url}: cannot start a thread: not used"));
                continue;
            }
            if self.cfg.verbose {
                self.progress.message(&format!("web seed {url}: using it"));
            }
            self.web.seeds.push(Seed {
                url,
                faults_in_row: 0,
                bad_pieces: 0,
                dropped: None,
            });
        }
    }

    /// Stops every web seed thread (the session is ending).
    pub(super) fn stop_web_seeds(&mut self) {
        self.web.stop.store(true, Ordering::Relaxed);
        for c in self.web.conns.values() {
            let _ = c.tx.send(WebSeedCommand::Stop);
        }
    }

    pub(super) fn on_web_event(&mut self, ev: WebSeedEvent) -> Result<()> {
        let conn = ev.conn;
        let Some(seed) = self.web.seed_of(conn) else {
            return Ok(());
        };
        let dropped = self.web.seeds.get(seed).is_none_or(|s| s.dropped.is_some());
        match ev.kind {
            WebSeedEventKind::Idle => {
                if let Some(c) = self.web.conns.get_mut(&conn) {
                    c.idle = true;
                }
                self.offer_web_work();
            }
            WebSeedEventKind::Piece { piece, data } if !dropped => {
                if let Some(s) = self.web.seeds.get_mut(seed) {
                    s.faults_in_row = 0;
                }
                self.on_web_piece(conn, piece, &data)?;
            }
            WebSeedEventKind::Piece { .. } => {}
            WebSeedEventKind::Failed(why) => {
                self.picker.release_all(conn);
                if !dropped {
                    self.on_web_fault(seed, why);
                }
                self.fill_all();
            }
            WebSeedEventKind::Closed => {
                self.picker.release_all(conn);
                self.web.conns.remove(&conn);
                // Threads end only when told to; if the last one of a seed
                // ended on its own, the seed is no longer a source.
                if !dropped && !self.web.conns.values().any(|c| c.seed == seed) {
                    self.drop_web_seed(seed, "its connections ended".into());
                }
                self.fill_all();
            }
        }
        Ok(())
    }

    /// A whole piece from a web seed: its blocks go to the picker as a
    /// peer's would.
    fn on_web_piece(&mut self, conn: ConnId, piece: PieceIndex, data: &[u8]) -> Result<()> {
        let g = self.meta.geometry;
        if data.len() != g.piece_len(piece) as usize {
            return Ok(()); // the thread cuts whole pieces: cannot happen
        }
        self.down.add(data.len() as u64);
        let blocks: Vec<_> = g.blocks(piece).collect();
        for block in blocks {
            let start = block.offset as usize;
            let Some(bytes) = data.get(start..start + block.len as usize) else {
                continue;
            };
            match self.picker.block_received(conn, block, bytes) {
                Received::Unneeded => {}
                Received::Stored { cancel } => self.cancel(block, &cancel),
                Received::Complete { cancel } => {
                    self.cancel(block, &cancel);
                    self.downloaded += u64::from(g.piece_len(piece));
                    self.finish_piece(piece, None)?;
                }
            }
        }
        Ok(())
    }

    fn on_web_fault(&mut self, seed: usize, why: webseed::fetch::FetchError) {
        let Some(s) = self.web.seeds.get_mut(seed) else {
            return;
        };
        s.faults_in_row += 1;
        let url = s.url.clone();
        if why.is_gone() {
            self.drop_web_seed(seed, format!("{why}"));
        } else if s.faults_in_row >= MAX_FAULTS_IN_ROW {
            let n = s.faults_in_row;
            self.drop_web_seed(seed, format!("{n} faults in a row, the last: {why}"));
        } else {
            self.progress
                .message(&format!("web seed {url}: {why}; backing off"));
        }
    }

    /// Gives each idle web seed connection a run of pieces, if any is left.
    pub(super) fn offer_web_work(&mut self) {
        let idle: Vec<ConnId> = self
            .web
            .conns
            .iter()
            .filter(|(_, c)| {
                c.idle
                    && self
                        .web
                        .seeds
                        .get(c.seed)
                        .is_some_and(|s| s.dropped.is_none())
            })
            .map(|(k, _)| *k)
            .collect();
        // A fair share of what is left for each connection, so that on a
        // small torrent every connection (and every web seed) takes part.
        let left = self.picker.bytes_left();
        let share = left / (self.web.conns.len() as u64).max(1);
        let max_bytes = share.clamp(1, MAX_RUN_BYTES);
        for conn in idle {
            let Some((first, count)) = self.pick_web_run(conn, max_bytes) else {
                return;
            };
            if let Some(c) = self.web.conns.get_mut(&conn) {
                c.idle = false;
                let _ = c.tx.send(WebSeedCommand::Fetch { first, count });
            }
        }
    }

    /// A piece failed its hash check; `senders` sent its blocks. True if
    /// a web seed was among them (each gets a strike; the peers are
    /// then not judged by this piece).
    pub(super) fn blame_web_seeds(&mut self, senders: &[ConnId]) -> bool {
        let mut seeds: Vec<usize> = senders
            .iter()
            .filter_map(|c| self.web.seed_of(*c))
            .collect();
        seeds.sort_unstable();
        seeds.dedup();
        for &seed in &seeds {
            let Some(s) = self.web.seeds.get_mut(seed) else {
                continue;
            };
            s.bad_pieces += 1;
            if s.bad_pieces >= MAX_BAD_PIECES && s.dropped.is_none() {
                let n = s.bad_pieces;
                self.drop_web_seed(seed, format!("{n} pieces failed their hash check"));
            }
        }
        !seeds.is_empty()
    }

    fn drop_web_seed(&mut self, seed: usize, why: String) {
        let Some(s) = self.web.seeds.get_mut(seed) else {
            return;
        };
        if s.dropped.is_some() {
            return;
        }
        self.progress
            .message(&format!("web seed {}: dropped: {why}", s.url));
        s.dropped = Some(why);
        let conns: Vec<ConnId> = self
            .web
            .conns
            .iter()
            .filter(|(_, c)| c.seed == seed)
            .map(|(k, _)| *k)
            .collect();
        for conn in conns {
            self.picker.release_all(conn);
            if let Some(c) = self.web.conns.get(&conn) {
                let _ = c.tx.send(WebSeedCommand::Stop);
            }
        }
    }

    /// For the status line while downloading: `2 web seeds` in use.
    pub(super) fn web_note(&self) -> Option<String> {
        let n = self
            .web
            .seeds
            .iter()
            .filter(|s| s.dropped.is_none())
            .count();
        let plural = if n == 1 { "" } else { "s" };
        (n > 0 && !self.picker.is_complete()).then(|| format!("{n} web seed{plural}"))
    }

    /// An error when the web seeds were the last hope: all dropped, and no
    /// tracker, peer or address to try is left.
    pub(super) fn check_sources_left(&self) -> Result<()> {
        if self.web.seeds.is_empty()
            || self.web.active()
            || self.tracker_tx.is_some()
            || self.dht.is_some()
            || !self.peers.is_empty()
            || !self.candidates.is_empty()
        {
            return Ok(());
        }
        let why: Vec<String> = self
            .web
            .seeds
            .iter()
            .map(|s| format!("{}: {}", s.url, s.dropped.as_deref().unwrap_or("")))
            .collect();
        Err(Error::NoPeers(format!(
            "no source left: every web seed was dropped ({}; {} of {} pieces done)",
            why.join("; "),
            self.picker.have().count(),
            self.picker.pieces_wanted()
        )))
    }
}

#[cfg(test)]
mod tests;
