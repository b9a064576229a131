//! `bitsy download MAGNET`: from a link to a torrent the session can run.
//!
//! ```text
//!  link ─▶ a .torrent for this infohash already in DIR? ─yes─▶ use it (no swarm needed)
//!                        │ no
//!                        ▼
//!          metadata::fetch (BEP 9, from the link's tr= trackers and x.pe= peers)
//!                        ▼
//!          keep DIR/NAME.torrent (as for a URL) ─▶ the session, with x.pe peers
//! ```
//!
//! The fetched info dictionary has already passed every check a .torrent
//! file gets (`Metainfo::from_info_bytes`: paths, geometry) before this
//! module sees it, so nothing is created for a torrent that would escape
//! DIR. The saved copy carries the link's trackers and web seeds, so a
//! rerun with the same link (or with the .torrent) starts at once.
//!
//! It does not merge trackers: a saved .torrent found in DIR is used as it
//! is (it was written from a link; the user may have edited it).

use super::source::keep_copy;
use crate::error::Result;
use crate::ids;
use crate::magnet::Magnet;
use crate::metadata::{self, FetchRequest};
use crate::metainfo::{MAX_TORRENT_FILE_LEN, Metainfo};
use crate::progress::Progress;
use crate::session::Config;
use std::fs;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::Path;
use std::sync::atomic::AtomicBool;

/// How many directory entries are looked at for a saved .torrent. DIR is
/// usually small; a huge one is not scanned to the end.
const MAX_SCANNED: usize = 1000;

/// How many bytes of .torrent files the search reads in all, so a folder
/// full of large torrents costs a bounded time before the fetch.
const MAX_READ: u64 = 64 * 1024 * 1024;

/// The torrent for `link`, from a saved copy in `out` or from peers; the
/// sentence for the user about the copy; and the link's peers, resolved.
/// Without `out` (a stream, `-o -`), nothing is looked for nor kept.
pub fn load(
    link: &Magnet,
    out: Option<&Path>,
    config: &Config,
    stop: &AtomicBool,
    progress: &mut Progress,
) -> Result<(Metainfo, Option<String>, Vec<SocketAddr>)> {
    let peers = resolve(link, progress);
    let saved = out.and_then(|o| Some((find_saved(link, o)?, o)));
    if let Some(((meta, name), out)) = saved {
        let note = format!("using the metadata saved in {}", out.join(name).display());
        return Ok((meta, Some(note), peers));
    }
    let req = FetchRequest {
        info_hash: link.info_hash,
        trackers: link.tiers(),
        peers: peers.clone(),
        our_id: ids::new_peer_id(),
        listen_port: config.port,
        max_peers: config.max_peers,
        stall_timeout: config.stall_timeout,
        bind: config.bind,
        dht: config.dht.clone(),
        trace: config.trace,
    };
    let mut meta = metadata::fetch(&req, stop, progress)?;
    // A --select past the last file is refused before the copy is kept:
    // a refused job leaves nothing behind.
    super::select::resolve(&meta, config.select.as_ref(), super::Topic::Download)?;
    meta.trackers = link.tiers();
    meta.web_seeds = link.web_seeds.clone();
    let note = match out {
        Some(out) => Some(keep_copy(&meta, &meta.to_torrent_file(), out)?),
        None => None,
    };
    Ok((meta, note, peers))
}

/// The link's `x.pe` addresses; a name that does not resolve is said and
/// skipped (the other sources may still find peers).
fn resolve(link: &Magnet, progress: &mut Progress) -> Vec<SocketAddr> {
    let mut out = Vec::new();
    for peer in &link.peers {
        match (peer.host.as_str(), peer.port).to_socket_addrs() {
            Ok(addrs) => out.extend(addrs.take(4)),
            Err(e) => progress.message(&format!("skipping peer {peer} from the link: {e}")),
        }
    }
    out.dedup();
    out
}

/// A .torrent in `out` whose infohash is the link's: the one a previous
/// run saved (NAME.torrent), or any other the user put there.
fn find_saved(link: &Magnet, out: &Path) -> Option<(Metainfo, String)> {
    let mut budget = MAX_READ;
    let mut read = |name: &str| -> Option<Metainfo> {
        let path = out.join(name);
        let len = fs::metadata(&path).ok()?.len();
        if len > MAX_TORRENT_FILE_LEN {
            return None;
        }
        budget = budget.checked_sub(len)?;
        let meta = Metainfo::from_bytes(&fs::read(&path).ok()?).ok()?;
        (meta.info_hash == link.info_hash).then_some(meta)
    };
    let entries = fs::read_dir(out).ok()?;
    entries
        .take(MAX_SCANNED)
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.to_ascii_lowercase().ends_with(".torrent"))
        .find_map(|name| read(&name).map(|meta| (meta, name)))
}
