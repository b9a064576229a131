//! Starting a node for one torrent: the command line's DHT options, the
//! rules for when a torrent gets a node, and which port it binds.
//!
//! A torrent gets a node unless it is private (BEP 27: "the client MUST
//! only use the tracker(s) listed in the torrent file") or the user said
//! `--no-dht` (`settings` is then `None`). The node binds UDP on the same
//! port number as the TCP listener when it is free (what peers expect),
//! else a nearby one. It bootstraps from `--dht-bootstrap` addresses, or
//! when there are none from the well-known routers (`thread::ROUTERS`),
//! and from the torrent's own `nodes` (BEP 5) in both cases.
//! A node that cannot start is a warning, not an error: the trackers may
//! be enough.
//!
//! Deliberately not here: deciding when to look up (the session's
//! `session/dht.rs`, the metadata phase's coordinator).

use super::state;
use super::thread::{Config, Dht, ROUTERS, bind_near};
use crate::progress::Progress;
use crate::trace::Trace;
use std::fs;
use std::net::{IpAddr, Ipv4Addr, SocketAddrV4};
use std::path::{Path, PathBuf};

/// How a torrent's DHT node starts (from the command line).
#[derive(Debug, Clone, Default)]
pub struct DhtSettings {
    /// Nodes to bootstrap from (`--dht-bootstrap HOST:PORT`); with none,
    /// the well-known routers. IPv4 literals are used at once, names are
    /// resolved in the background (`thread::Config::routers`).
    pub bootstrap: Vec<String>,
    /// Where the routing table is read from and saved to.
    pub state: Option<PathBuf>,
    /// `--trace`: each KRPC message in and out, one line on stderr.
    pub trace: Trace,
}

/// Starts the node for a session (or the metadata phase) listening for
/// peers on `tcp_port`, binding UDP on the same port number when free.
/// `None` when the torrent is private, the user turned the DHT off, or
/// no socket could be had (said on `progress`).
pub fn start(
    settings: Option<&DhtSettings>,
    torrent_nodes: &[String],
    private: bool,
    bind: IpAddr,
    tcp_port: u16,
    progress: &mut Progress,
) -> Option<Dht> {
    let settings = settings?;
    if private {
        return None;
    }
    let ip = match bind {
        IpAddr::V4(ip) => ip,
        IpAddr::V6(_) => Ipv4Addr::UNSPECIFIED,
    };
    let (literal, names): (Vec<_>, Vec<_>) = settings
        .bootstrap
        .iter()
        .chain(torrent_nodes)
        .partition(|b| b.parse::<SocketAddrV4>().is_ok());
    let bootstrap = literal.iter().filter_map(|b| b.parse().ok()).collect();
    let mut routers: Vec<String> = names.into_iter().cloned().collect();
    if settings.bootstrap.is_empty() {
        routers.extend(ROUTERS.iter().map(|r| r.to_string()));
    }
    let spawned = bind_near(ip, tcp_port).and_then(|addr| {
        Dht::spawn(Config {
            bind: addr,
            bootstrap,
            routers,
            state: settings.state.clone(),
            trace: settings.trace,
        })
    });
    match spawned {
        Ok((dht, warning)) => {
            if let Some(w) = warning {
                progress.message(&w);
            }
            Some(dht)
        }
        Err(e) => {
            progress.message(&format!("warning: cannot start the DHT node: {e}"));
            None
        }
    }
}

/// Where a torrent's node keeps its table: the state directory
/// (`state::default_path`: `$XDG_STATE_HOME/bitsy`, else
/// `~/.local/state/bitsy`) when it can be created, else a hidden file in
/// `beside` (the download's folder) if that folder exists already, else
/// nowhere (the table is not kept). `seed` passes no folder: it never
/// writes beside the data it serves.
pub fn state_path(beside: Option<&Path>) -> Option<PathBuf> {
    state_path_in(state::default_path(|k| std::env::var_os(k)), beside)
}

fn state_path_in(default: Option<PathBuf>, beside: Option<&Path>) -> Option<PathBuf> {
    let usable = |p: &PathBuf| p.parent().is_some_and(|d| fs::create_dir_all(d).is_ok());
    default
        .filter(usable)
        .or_else(|| beside.filter(|d| d.is_dir()).map(|d| d.join(BESIDE_NAME)))
}

/// The state file's name in the download's folder.
pub const BESIDE_NAME: &str = ".bitsy-dht.dat";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::testutil::TempDir;

    fn settings(bootstrap: &[&str]) -> DhtSettings {
        DhtSettings {
            bootstrap: bootstrap.iter().map(|s| s.to_string()).collect(),
            state: None,
            trace: Trace::OFF,
        }
    }

    #[test]
    fn private_torrents_and_no_dht_get_no_node() {
        let mut p = Progress::new(true);
        let lo = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let s = settings(&["127.0.0.1:9"]);
        assert!(start(None, &[], false, lo, 0, &mut p).is_none(), "--no-dht");
        assert!(
            start(Some(&s), &[], true, lo, 0, &mut p).is_none(),
            "BEP 27"
        );
        let dht = start(Some(&s), &[], false, lo, 0, &mut p).expect("a node");
        assert_ne!(dht.port, 0);
    }

    #[test]
    fn the_node_takes_the_tcp_port_number_when_free() {
        let mut p = Progress::new(true);
        let lo = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let free = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = free.local_addr().unwrap().port();
        drop(free);
        let s = settings(&["127.0.0.1:9"]);
        let dht = start(Some(&s), &[], false, lo, port, &mut p).expect("a node");
        assert_eq!(dht.port, port);
        // Taken now: the next node binds near it, not on it.
        let other = start(Some(&s), &[], false, lo, port, &mut p).expect("a node");
        assert_ne!(other.port, port);
    }

    #[test]
    fn the_state_falls_back_beside_an_existing_download_folder() {
        let dir = TempDir::new("dht-state");
        // A state directory that cannot be created (its parent is a file).
        let file = dir.path().join("f");
        fs::write(&file, b"").unwrap();
        let blocked = Some(file.join("bitsy").join("dht.dat"));
        let beside = Some(dir.path().join(BESIDE_NAME));
        assert_eq!(state_path_in(blocked.clone(), Some(dir.path())), beside);
        assert_eq!(state_path_in(None, Some(dir.path())), beside);
        let ok = dir.path().join("state").join("bitsy").join("dht.dat");
        assert_eq!(state_path_in(Some(ok.clone()), Some(dir.path())), Some(ok));
        // A download folder that does not exist yet is not made for it,
        // and `seed` never writes beside its data.
        let missing = dir.path().join("not-yet");
        assert_eq!(state_path_in(blocked.clone(), Some(&missing)), None);
        assert!(!missing.exists());
        assert_eq!(state_path_in(blocked, None), None);
    }
}
