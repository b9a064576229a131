//! A bitsy DHT node on a loopback socket, started inside a test: the
//! target of hostile datagrams, or the bootstrap node of a swarm of bitsy
//! processes. It has no bootstrap of its own and saves nothing; dropping
//! it stops its thread.

use bitsy::dht::thread::{Config, Dht};
use std::net::{Ipv4Addr, SocketAddrV4};

/// The node and its address.
pub fn loopback_node() -> (Dht, SocketAddrV4) {
    let cfg = Config {
        bind: SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0),
        bootstrap: Vec::new(),
        routers: Vec::new(),
        state: None,
        trace: bitsy::trace::Trace::OFF,
    };
    let (dht, _) = Dht::spawn(cfg).expect("a DHT node on loopback");
    let addr = SocketAddrV4::new(Ipv4Addr::LOCALHOST, dht.port);
    (dht, addr)
}
