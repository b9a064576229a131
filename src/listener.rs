//! The listening socket: accepts incoming peer connections.
//!
//! One thread blocks in `accept` and hands each new socket to the main
//! thread, which decides (it alone knows how many peers we have) whether
//! to keep it; the handshake happens on the peer's own thread. The thread
//! ends when the main thread drops the receiving end of the channel (it
//! notices at the next connection) or the process exits.
//!
//! Binding: the requested port on the requested address (`--bind`, every
//! IPv4 address by default); if it is taken the next ports are tried
//! ([`PORT_TRIES`]) and the caller learns which one was used. With the
//! default address, IPv6 gets its own socket on the same port when the
//! system has IPv6; failing that is not an error. With a given address,
//! only that one is bound (`::` is dual-stack on Linux).
//!
//! Outgoing connections do not go through here and are not bound to the
//! address: the system picks the source address by its routes.

use crossbeam_channel::Sender;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};

/// How many ports after the requested one we try when it is taken.
pub const PORT_TRIES: u16 = 16;

/// How long the accept thread rests after a failed `accept` (EMFILE and
/// friends), so a lasting error costs ten wake-ups a second, not a core.
pub const ACCEPT_ERROR_PAUSE: std::time::Duration = std::time::Duration::from_millis(100);

/// A connection that arrived, for the main thread.
pub struct Incoming {
    pub stream: TcpStream,
    pub addr: SocketAddr,
}

/// Binds the listening sockets on `bind` and starts their accept
/// threads. Returns the port actually bound.
pub fn start(bind: IpAddr, port: u16, tx: Sender<Incoming>) -> io::Result<u16> {
    let mut last_err = None;
    for k in 0..PORT_TRIES {
        let Some(p) = port.checked_add(k) else { break };
        match TcpListener::bind((bind, p)) {
            Ok(first) => {
                let bound = first.local_addr()?.port();
                spawn_accept(first, tx.clone())?;
                if bind == IpAddr::V4(Ipv4Addr::UNSPECIFIED)
                    && let Ok(v6) = TcpListener::bind((Ipv6Addr::UNSPECIFIED, bound))
                {
                    spawn_accept(v6, tx)?;
                }
                return Ok(bound);
            }
            Err(e) => last_err = Some(e),
        }
        if port == 0 {
            break;
        }
    }
    Err(last_err.unwrap_or_else(|| io::Error::other("no port to bind")))
}

fn spawn_accept(listener: TcpListener, tx: Sender<Incoming>) -> io::Result<()> {
    std::thread::Builder::new()
        .name("listener".into())
        .spawn(move || {
            for conn in listener.incoming() {
                let Ok(stream) = conn else {
                    // Out of file descriptors, say: the error repeats at
                    // once, so wait rather than spin until one is freed.
                    std::thread::sleep(ACCEPT_ERROR_PAUSE);
                    continue;
                };
                let Ok(addr) = stream.peer_addr() else {
                    continue;
                };
                if tx.send(Incoming { stream, addr }).is_err() {
                    return;
                }
            }
        })
        .map(|_| ())
}
