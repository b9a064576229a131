//! What happens before the main loop: the resume check of data already on
//! disk, the listener for incoming peers, and the sources of peers (the
//! tracker thread, the DHT node) with the check that there is at least one.
//!
//! None of them writes to disk: the check only reads
//! (`storage::check_resuming`; pieces the resume state vouches for are
//! not even read).

use super::Config;
use super::webseed;
use crate::dht::thread::Dht;
use crate::error::{Error, Result};
use crate::ids::PeerId;
use crate::listener::{self, Incoming};
use crate::metainfo::Metainfo;
use crate::progress::{Progress, format_bytes};
use crate::storage::{self, Storage};
use crate::tracker::{self, AnnounceOutcome, AnnounceRequest, Trackers};
use crate::wire::bitfield::Bitfield;
use crossbeam_channel::{Receiver, Sender};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Checks whatever data `storage` found on disk (the resume check; for
/// `bitsy seed`, the full check). Returns the pieces that are already good
/// and their bytes. At most `read_ahead` bytes of pieces are held at
/// once (`storage::check`). Opening is the caller's: [`Storage::open`] to
/// download, [`Storage::open_existing`] to seed.
pub fn check_storage(
    meta: &Metainfo,
    storage: &Storage,
    read_ahead: u64,
    progress: &mut Progress,
) -> Result<(Bitfield, u64)> {
    let have = if storage.existing_bytes() > 0 {
        let mut last = Instant::now();
        let resumed = storage::check_resuming(
            storage,
            &meta.piece_hashes,
            read_ahead,
            &mut |done, total| {
                if last.elapsed() >= Duration::from_millis(500) {
                    last = Instant::now();
                    progress.update_text(&format!("checking existing data: {done}/{total} pieces"));
                }
            },
        )
        .map_err(|e| Error::Other {
            context: "cannot check the existing data".into(),
            source: e,
        })?;
        if resumed.used_state {
            progress.message(&format!(
                "resume state: trusted {} pieces without reading them",
                resumed.trusted
            ));
        }
        resumed.good
    } else {
        Bitfield::new(meta.geometry.num_pieces())
    };
    // Bytes of chosen files that only the part file held (a selection
    // wider than the last one's) go into their files now.
    storage.restore_kept(&have).map_err(|e| Error::Other {
        context: "cannot copy verified pieces out of the part file".into(),
        source: e,
    })?;
    let reused = have.bytes(&meta.geometry);
    if storage.existing_bytes() > 0 {
        progress.message(&format!(
            "resume: {} of {} pieces ({}) already on disk and verified",
            have.count(),
            storage.needed().count(),
            format_bytes(reused)
        ));
    }
    Ok((have, reused))
}

/// Starts the listener on `cfg.bind` and `cfg.port` (or the next free
/// port, which is then said, unless quiet) and returns the port used.
pub(super) fn listen(
    cfg: &Config,
    incoming: Sender<Incoming>,
    progress: &mut Progress,
) -> Result<u16> {
    let port = listener::start(cfg.bind, cfg.port, incoming).map_err(|e| Error::Other {
        context: format!(
            "cannot listen on {} port {} (or the next ones)",
            cfg.bind, cfg.port
        ),
        source: e,
    })?;
    if port != cfg.port && cfg.port != 0 {
        progress.message(&format!(
            "port {} is taken; listening for peers on port {port}",
            cfg.port
        ));
    } else if cfg.verbose {
        let addr = SocketAddr::new(cfg.bind, port);
        progress.message(&format!("listening for peers on {addr}"));
    }
    Ok(port)
}

/// Where peers come from besides incoming connections and `x.pe`.
pub(super) struct Sources {
    /// Announces for the tracker thread; `None` without a usable tracker.
    pub tracker_tx: Option<Sender<AnnounceRequest>>,
    /// Its outcomes (`never` without one).
    pub tracker: Receiver<AnnounceOutcome>,
    pub dht: Option<Dht>,
}

/// The tracker thread (none when the torrent names no usable tracker) and
/// the DHT node (none when off, or for a private torrent); an error when
/// the torrent would have no source of peers or data at all.
pub(super) fn sources(
    meta: &Metainfo,
    cfg: &Config,
    our_id: PeerId,
    port: u16,
    progress: &mut Progress,
) -> Result<Sources> {
    let trackers =
        Trackers::new(meta.trackers.clone(), meta.info_hash, our_id, port).with_trace(cfg.trace);
    for m in trackers.skipped() {
        progress.message(m);
    }
    let dht = crate::dht::start(
        cfg.dht.as_ref(),
        &meta.dht_nodes,
        meta.private,
        cfg.bind,
        port,
        progress,
    );
    if let (Some(d), true) = (&dht, cfg.verbose) {
        progress.message(&format!("dht: node on UDP port {}", d.port));
    }
    // Peers given up front, a web seed or the DHT will do without a tracker.
    let web_only = !webseed::usable(&meta.web_seeds).0.is_empty();
    if trackers.is_empty() && cfg.peers.is_empty() && dht.is_none() && !web_only {
        return Err(Error::Tracker(format!(
            "the torrent names no tracker nor web seed bitsy can use (bitsy can announce \
             to {}), and the DHT is off{}",
            tracker::scheme::can_announce_to(),
            if meta.private {
                " (the torrent is private)"
            } else {
                ""
            },
        )));
    }
    if trackers.is_empty() {
        let tracker = crossbeam_channel::never();
        return Ok(Sources {
            tracker_tx: None,
            tracker,
            dht,
        });
    }
    let (tx, rx) = tracker::spawn(trackers);
    Ok(Sources {
        tracker_tx: Some(tx),
        tracker: rx,
        dht,
    })
}
