//! What happens before the main loop: the resume check of data already on
//! disk, and the listener for incoming peers.
//!
//! Neither touches the network beyond binding the listening socket, and
//! neither writes to disk: the check only reads (`storage::check_existing`).

use super::Config;
use crate::error::{Error, Result};
use crate::listener::{self, Incoming};
use crate::metainfo::Metainfo;
use crate::progress::{Progress, format_bytes};
use crate::storage::{self, Storage};
use crate::wire::bitfield::Bitfield;
use crossbeam_channel::Sender;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Checks whatever data `storage` found on disk (the resume check; for
/// `bitsy seed`, the full check). Returns the pieces that are already good
/// and their bytes. Opening is the caller's: [`Storage::open`] to
/// download, [`Storage::open_existing`] to seed.
pub fn check_storage(
    meta: &Metainfo,
    storage: &Storage,
    progress: &mut Progress,
) -> Result<(Bitfield, u64)> {
    let have = if storage.existing_bytes() > 0 {
        let mut last = Instant::now();
        storage::check_existing(storage, &meta.piece_hashes, &mut |done, total| {
            if last.elapsed() >= Duration::from_millis(500) {
                last = Instant::now();
                progress.update_text(&format!("checking existing data: {done}/{total} pieces"));
            }
        })
        .map_err(|e| Error::Other {
            context: "cannot check the existing data".into(),
            source: e,
        })?
    } else {
        Bitfield::new(meta.geometry.num_pieces())
    };
    let reused = have.bytes(&meta.geometry);
    if storage.existing_bytes() > 0 {
        progress.message(&format!(
            "resume: {} of {} pieces ({}) already on disk and verified",
            have.count(),
            meta.geometry.num_pieces(),
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
