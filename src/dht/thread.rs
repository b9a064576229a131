//! The DHT thread: one blocking UDP socket, its read timeout as the tick.
//!
//! ```text
//!   main thread ── Command (get peers, add node, stop) ──▶ dht thread
//!   main thread ◀── Finding (peers, hops, done) ───────── dht thread
//!                                                         │ UDP socket
//!                                                         ▼ other nodes
//! ```
//!
//! The thread owns the socket and the [`Node`]; it only moves bytes: a
//! datagram in goes to `Node::on_datagram`, every [`TICK`] to
//! `Node::on_tick`, and what they return goes out on the socket or to
//! the findings channel. Datagrams longer than `krpc::MAX_PACKET` are
//! read one byte too long and so refused whole. Send errors (a node
//! that went away) are ignored: the query simply times out.
//!
//! Invariants: the findings channel is bounded; when it is full a finding
//! is dropped (the session asks again at its next announce), never
//! waited for, so a slow main thread cannot stall the node. The thread
//! ends on `Stop` or when the main thread drops its sender, and then
//! saves the routing table if it was given a path (`state.rs`), as it
//! does every [`SAVE_EVERY`].
//!
//! Host names of the well-known routers (`Config::routers`) are resolved
//! by a short-lived thread of their own, only when the saved table is
//! empty, and arrive as `Command::Bootstrap`: a slow or absent resolver
//! never holds up the node, its queries, or the end of the program.
//!
//! What it deliberately does not do: IPv6 (BEP 32; see DESIGN.md).

use super::contact::Contact;
use super::krpc::MAX_PACKET;
use super::lookup::Hop;
use super::node::{MAX_BOOTSTRAP, Node, Out};
use super::node_id::NodeId;
use super::state::{self, Saved};
use crate::trace::dht as describe;
use crate::trace::{Dir, Trace};
use crossbeam_channel::{Receiver, Sender, TryRecvError, bounded};
use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, ToSocketAddrs, UdpSocket};
use std::path::PathBuf;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How often the node's timers run; also the socket's read timeout.
pub const TICK: Duration = Duration::from_millis(100);
/// How often the routing table is saved while running.
pub const SAVE_EVERY: Duration = Duration::from_secs(5 * 60);
/// Findings waiting for the main thread.
pub const FINDINGS_QUEUE: usize = 256;

/// Ports tried by [`bind_near`] before taking any free one.
pub const PORT_TRIES: u16 = 10;

/// The well-known DHT routers BEP 5 clients bootstrap from when they know
/// no node (used unless `--dht-bootstrap` names others).
pub const ROUTERS: &[&str] = &[
    "router.bittorrent.com:6881",
    "router.utorrent.com:6881",
    "dht.transmissionbt.com:6881",
    "dht.libtorrent.org:25401",
];

const STACK_SIZE: usize = 256 * 1024;

/// What the main thread asks of the DHT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Find peers of `info_hash`; announce `announce` (our TCP port) to
    /// the closest nodes at the end.
    GetPeers {
        info_hash: NodeId,
        announce: Option<u16>,
    },
    /// Ping a node (a peer's `port` message).
    AddNode(SocketAddrV4),
    /// Bootstrap addresses resolved after the start (the routers).
    Bootstrap(Vec<SocketAddrV4>),
    Stop,
}

/// What the DHT tells the main thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    Peers(NodeId, Vec<SocketAddrV4>),
    Hop(NodeId, Hop),
    Done { target: NodeId, peers: usize },
}

/// How to start a node.
#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddrV4,
    /// Addresses asked while the routing table is empty.
    pub bootstrap: Vec<SocketAddrV4>,
    /// HOST:PORT names resolved in the background and added to
    /// `bootstrap` when the saved table is empty (the well-known routers).
    pub routers: Vec<String>,
    /// Where the routing table is read from and saved to.
    pub state: Option<PathBuf>,
    /// `--trace`: each datagram in and out, one line on stderr.
    pub trace: Trace,
}

/// The main thread's end of a running DHT node.
pub struct Dht {
    pub commands: Sender<Command>,
    pub findings: Receiver<Finding>,
    /// The UDP port bound (for the `port` message).
    pub port: u16,
    handle: Option<JoinHandle<()>>,
}

impl Dht {
    /// Binds the socket, reads the saved table, and starts the thread.
    /// Returns also the message to show if the saved table was unusable.
    pub fn spawn(cfg: Config) -> io::Result<(Dht, Option<String>)> {
        let socket = UdpSocket::bind(cfg.bind)?;
        socket.set_read_timeout(Some(TICK))?;
        let port = socket.local_addr()?.port();
        let (saved, warning) = match cfg.state.as_deref().map(state::load) {
            Some(Ok(Some(s))) => (Some(s), None),
            Some(Err(why)) => (None, Some(format!("DHT state ignored: {why}"))),
            _ => (None, None),
        };
        // A fresh id at every start, the saved one is not reused: bitsy
        // processes running at once share one state file, and a node
        // ignores queries that carry its own id, so two with one id could
        // not talk. The saved nodes are what makes a start quick.
        let id = NodeId::random();
        let known = saved.map(|s| s.nodes).unwrap_or_default();
        let (cmd_tx, cmd_rx) = bounded(64);
        let (find_tx, find_rx) = bounded(FINDINGS_QUEUE);
        let state_path = cfg.state.clone();
        if known.is_empty() && !cfg.routers.is_empty() {
            resolve_in_background(cfg.routers.clone(), cmd_tx.clone());
        }
        let node = Node::new(id, &known, cfg.bootstrap, Instant::now());
        let handle = thread::Builder::new()
            .name("dht".into())
            .stack_size(STACK_SIZE)
            .spawn(move || run(socket, node, &cmd_rx, &find_tx, state_path, cfg.trace))?;
        let dht = Dht {
            commands: cmd_tx,
            findings: find_rx,
            port,
            handle: Some(handle),
        };
        Ok((dht, warning))
    }
}

impl Drop for Dht {
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Stop);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn run(
    socket: UdpSocket,
    mut node: Node,
    commands: &Receiver<Command>,
    findings: &Sender<Finding>,
    state_path: Option<PathBuf>,
    trace: Trace,
) {
    let mut buf = vec![0u8; MAX_PACKET + 1];
    let mut last_tick = Instant::now();
    let mut last_save = Instant::now();
    loop {
        let now = Instant::now();
        let mut outs = Vec::new();
        loop {
            match commands.try_recv() {
                Ok(Command::GetPeers {
                    info_hash,
                    announce,
                }) => {
                    node.get_peers(info_hash, announce, now);
                }
                Ok(Command::AddNode(addr)) => outs.extend(node.add_node(addr, now)),
                Ok(Command::Bootstrap(addrs)) => node.add_bootstrap(&addrs),
                Ok(Command::Stop) | Err(TryRecvError::Disconnected) => {
                    save(&node, state_path.as_ref());
                    return;
                }
                Err(TryRecvError::Empty) => break,
            }
        }
        match socket.recv_from(&mut buf) {
            Ok((n, SocketAddr::V4(from))) if n <= MAX_PACKET => {
                let bytes = buf.get(..n).unwrap_or_default();
                trace.line(Dir::In, from, || describe::datagram(bytes));
                outs.extend(node.on_datagram(bytes, from, Instant::now()));
            }
            // Too long, IPv6, or nothing within the tick.
            _ => {}
        }
        let now = Instant::now();
        if now.saturating_duration_since(last_tick) >= TICK {
            last_tick = now;
            outs.extend(node.on_tick(now));
        }
        for out in outs {
            let finding = match out {
                Out::Send(to, bytes) => {
                    trace.line(Dir::Out, to, || describe::datagram(&bytes));
                    let _ = socket.send_to(&bytes, to);
                    continue;
                }
                Out::Peers(h, p) => Finding::Peers(h, p),
                Out::Hop(t, hop) => Finding::Hop(t, hop),
                Out::Done { target, peers } => Finding::Done { target, peers },
            };
            let _ = findings.try_send(finding);
        }
        if now.saturating_duration_since(last_save) >= SAVE_EVERY {
            last_save = now;
            save(&node, state_path.as_ref());
        }
    }
}

/// Binds a UDP socket on `ip` at `port` or one of the next
/// [`PORT_TRIES`] ports, else any free port.
pub fn bind_near(ip: Ipv4Addr, port: u16) -> io::Result<SocketAddrV4> {
    let free = |p: u16| UdpSocket::bind((ip, p)).and_then(|s| s.local_addr());
    for p in (0..PORT_TRIES).filter_map(|i| port.checked_add(i)) {
        if p != 0
            && let Ok(SocketAddr::V4(a)) = free(p)
        {
            return Ok(a);
        }
    }
    match free(0)? {
        SocketAddr::V4(a) => Ok(a),
        SocketAddr::V6(_) => Err(io::ErrorKind::AddrNotAvailable.into()),
    }
}

/// Resolves `names` to IPv4 addresses on a thread of its own and hands
/// them to the node; a name that does not resolve is skipped.
fn resolve_in_background(names: Vec<String>, node: Sender<Command>) {
    let spawned = thread::Builder::new()
        .name("dht-resolve".into())
        .stack_size(STACK_SIZE)
        .spawn(move || {
            let mut addrs = Vec::new();
            for name in names.iter().take(MAX_BOOTSTRAP) {
                if let Ok(found) = name.to_socket_addrs() {
                    addrs.extend(found.filter_map(|a| match a {
                        SocketAddr::V4(v4) => Some(v4),
                        SocketAddr::V6(_) => None,
                    }));
                }
            }
            addrs.truncate(MAX_BOOTSTRAP);
            let _ = node.send(Command::Bootstrap(addrs));
        });
    // No thread, no routers: the node still answers and uses the others.
    drop(spawned);
}

fn save(node: &Node, path: Option<&PathBuf>) {
    let Some(path) = path else {
        return;
    };
    let table = node.table();
    let nodes: Vec<Contact> = table.contacts();
    // A failed save costs only a slower start next time.
    let _ = state::save(
        path,
        &Saved {
            id: table.own_id(),
            nodes,
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::testutil::TempDir;
    fn start(bootstrap: Vec<SocketAddrV4>, state: Option<PathBuf>) -> Dht {
        let cfg = Config {
            bind: SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0),
            bootstrap,
            routers: Vec::new(),
            state,
            trace: Trace::OFF,
        };
        Dht::spawn(cfg).unwrap().0
    }

    fn local(port: u16) -> SocketAddrV4 {
        SocketAddrV4::new(Ipv4Addr::LOCALHOST, port)
    }

    /// Waits (at most 20 s) for `dht` to report peers of `ih`.
    fn peers_of(dht: &Dht, ih: NodeId) -> Vec<SocketAddrV4> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while let Ok(f) = dht.findings.recv_deadline(deadline) {
            if let Finding::Peers(h, p) = f
                && h == ih
            {
                return p;
            }
        }
        Vec::new()
    }

    /// Four nodes on loopback sockets: one announces, another finds it;
    /// the routing table is saved on stop and read back at the next start.
    #[test]
    fn nodes_on_loopback_find_an_announced_peer() {
        let dir = TempDir::new("dht-thread");
        let first = start(Vec::new(), None);
        let boot = vec![local(first.port)];
        let others: Vec<Dht> = (0..3)
            .map(|i| start(boot.clone(), Some(dir.path().join(format!("n{i}.dat")))))
            .collect();
        // Let them bootstrap (a few ticks).
        thread::sleep(TICK * 10);
        let ih = NodeId([0xab; 20]);
        let announce = Command::GetPeers {
            info_hash: ih,
            announce: Some(7000),
        };
        others[0].commands.send(announce).unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match others[0].findings.recv_deadline(deadline) {
                Ok(Finding::Done { target, .. }) if target == ih => break,
                Ok(_) => {}
                Err(e) => panic!("the announcing lookup never ended: {e}"),
            }
        }
        let ask = Command::GetPeers {
            info_hash: ih,
            announce: None,
        };
        others[2].commands.send(ask).unwrap();
        assert_eq!(peers_of(&others[2], ih), [local(7000)]);
        drop(others);
        let saved = state::load(&dir.path().join("n2.dat")).unwrap().unwrap();
        assert!(!saved.nodes.is_empty(), "the table was saved");
        drop(first);
    }
}
