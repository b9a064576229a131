//! Shared test support: fake HTTP and UDP trackers, fake seeders, a raw BEP 3
//! peer, and test torrents.
//!
//! Use from an integration test with `mod common;` and then
//! `use common::{FakeTracker, FakeSeeder, Behaviour, RawPeer, TestTorrent, pseudo_random_bytes};`.
//! Everything binds to loopback only, bounds its loops in count and time,
//! and stops (threads joined) when dropped.
//!
//! The seeder, the raw peer, the message codec (`wire_msg`) and the torrent
//! builder are written independently of bitsy's own wire and bencode code
//! on purpose: a shared bug would otherwise pass.

// Each test binary uses a different part of this module.
#![allow(dead_code, unused_imports)]

pub mod bitsy;
pub mod dht_node;
pub mod fake_metadata_peer;
pub mod fake_seeder;
pub mod fake_tracker;
pub mod fake_udp_tracker;
pub mod fake_web_seed;
pub mod raw_peer;
pub mod seeder_behaviour;
pub mod slow;
pub mod slow_swarm;
pub mod test_ca;
pub mod test_torrent;
pub mod tls_proxy;
pub mod web_server;
pub mod wire_msg;

pub use bitsy::{Bitsy, TempDir, ok, text};
pub use fake_seeder::{Behaviour, FakeSeeder, PieceAnnounce, SeederStats};
pub use fake_tracker::{Announce, FakeTracker, Reply};
pub use raw_peer::RawPeer;
pub use test_ca::TestCa;
pub use test_torrent::{TestTorrent, pseudo_random_bytes};
pub use tls_proxy::TlsProxy;
pub use web_server::WebServer;

use std::time::{Duration, Instant};

/// Polls `cond` every 10 ms until it is true or `timeout` (times the
/// slow factor, see [`slow`]) passes.
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + slow::scaled(timeout);
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
