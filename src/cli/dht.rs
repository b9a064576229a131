//! `bitsy dht get-peers INFOHASH`: one DHT lookup, printed hop by hop,
//! for learning how BEP 5 finds a swarm and for checking a DHT by hand.
//!
//! It starts a DHT node with a fresh id and no saved table (it writes
//! nothing), bootstraps from the `--dht-bootstrap` addresses, runs one
//! `get_peers` lookup, prints each answer as it comes and every peer
//! found, and ends when the lookup does (bounded by
//! `dht::lookup::MAX_TIME`) or on Ctrl-C.

use crate::dht::node_id::NodeId;
use crate::dht::thread::{Command as DhtCommand, Config, Dht, Finding};
use crate::error::{Error, Result};
use crate::ids::InfoHash;
use crate::trace::Trace;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Longest the command runs: the lookup's own bound and a margin for
/// bootstrapping.
const RUN_AT_MOST: Duration = Duration::from_secs(30);

pub fn get_peers(
    info_hash: InfoHash,
    bootstrap: &[String],
    port: u16,
    trace: Trace,
    stop: &AtomicBool,
) -> Result<()> {
    let mut nodes = Vec::new();
    for host in bootstrap {
        nodes.push(resolve(host)?);
    }
    let cfg = Config {
        bind: SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port),
        bootstrap: nodes,
        routers: Vec::new(),
        state: None,
        trace,
    };
    let (dht, _) = Dht::spawn(cfg).map_err(|e| Error::Other {
        context: "cannot start the DHT node".into(),
        source: e,
    })?;
    let target = NodeId(info_hash);
    println!("dht: node on UDP port {}, looking up {target}", dht.port);
    let ask = DhtCommand::GetPeers {
        info_hash: target,
        announce: None,
    };
    let _ = dht.commands.send(ask);
    let deadline = Instant::now() + RUN_AT_MOST;
    let (mut hops, mut peers) = (0, Vec::new());
    while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
        let Ok(finding) = dht.findings.recv_timeout(Duration::from_millis(200)) else {
            continue;
        };
        match finding {
            Finding::Hop(t, hop) if t == target => {
                hops += 1;
                println!(
                    "hop {hops:>2}: {:<21} id {}…  {:>3} bits in common  -> {} new nodes, {} new peers",
                    hop.from.addr.to_string(),
                    &hop.from.id.to_string()[..8],
                    hop.common_bits,
                    hop.new_nodes,
                    hop.new_peers,
                );
            }
            Finding::Peers(t, found) if t == target => {
                for p in found {
                    println!("peer {p}");
                    peers.push(p);
                }
            }
            Finding::Done { target: t, .. } if t == target => break,
            _ => {}
        }
    }
    println!("done: {} peers after {hops} answers", peers.len());
    match peers.is_empty() {
        true => Err(Error::NoPeers(format!("the DHT knows no peer of {target}"))),
        false => Ok(()),
    }
}

/// HOST:PORT to its first IPv4 address.
fn resolve(host: &str) -> Result<SocketAddrV4> {
    let usage = |why: String| Error::Usage(format!("--dht-bootstrap {host}: {why}"));
    let addrs = host.to_socket_addrs().map_err(|e| usage(e.to_string()))?;
    addrs
        .filter_map(|a| match a {
            SocketAddr::V4(v4) => Some(v4),
            SocketAddr::V6(_) => None,
        })
        .next()
        .ok_or_else(|| usage("no IPv4 address (bitsy's DHT is IPv4 only)".into()))
}
