//! Trackerless torrents over a loopback DHT: a `bitsy seed` announces
//! itself to a DHT node (BEP 5's announce_peer), and `bitsy download`
//! finds it there, from a .torrent without any tracker and from a magnet
//! link with nothing but the infohash. A private torrent never uses the
//! DHT (BEP 27).
//!
//! The DHT is one bitsy node started in the test (the bootstrap every
//! process is given); everything is on 127.0.0.1.

mod common;

use bitsy::dht::node_id::NodeId;
use bitsy::dht::thread::{Command, Dht, Finding};
use common::test_torrent::{TestTorrent, pseudo_random_bytes};
use common::{Bitsy, TempDir, ok, text};
use std::net::SocketAddrV4;
use std::time::{Duration, Instant};

/// The bootstrap node, and its address as `--dht-bootstrap` takes it.
fn bootstrap_node() -> (Dht, String) {
    let (dht, addr) = common::dht_node::loopback_node();
    (dht, addr.to_string())
}

/// Asks `dht` for peers of `info_hash` until it knows some (at most 30 s,
/// scaled for emulators).
fn announced_peers(dht: &Dht, info_hash: [u8; 20]) -> Vec<SocketAddrV4> {
    let target = NodeId(info_hash);
    let deadline = Instant::now() + common::slow::scaled(Duration::from_secs(30));
    while Instant::now() < deadline {
        let ask = Command::GetPeers {
            info_hash: target,
            announce: None,
        };
        dht.commands.send(ask).expect("the node runs");
        let lookup_ends = Instant::now() + common::slow::scaled(Duration::from_secs(12));
        while let Ok(f) = dht.findings.recv_deadline(lookup_ends) {
            match f {
                Finding::Peers(h, p) if h == target && !p.is_empty() => return p,
                Finding::Done { target: t, .. } if t == target => break,
                _ => {}
            }
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    Vec::new()
}

fn start_seed(torrent: &std::path::Path, data: &std::path::Path, boot: &str) -> Bitsy {
    Bitsy::start(&[
        "seed",
        torrent.to_str().unwrap(),
        data.to_str().unwrap(),
        "--port",
        "0",
        "--bind",
        "127.0.0.1",
        "--dht-bootstrap",
        boot,
    ])
}

#[test]
fn trackerless_torrent_and_magnet_download_through_the_dht() {
    let dir = TempDir::new("dht-swarm");
    let content = pseudo_random_bytes(3 * 1024 * 1024 + 777, 91);
    let t = TestTorrent::single_file("dht.bin", &content, 256 * 1024, "unused").with_tiers(&[]);
    let torrent = t.write_to(&dir.0);
    let seed_dir = dir.0.join("seed");
    std::fs::create_dir_all(&seed_dir).unwrap();
    std::fs::write(seed_dir.join("dht.bin"), &content).unwrap();
    let (node, boot) = bootstrap_node();
    let _seed = start_seed(&torrent, &seed_dir.join("dht.bin"), &boot);

    // The seeder announced its TCP port to the DHT (announce_peer).
    let peers = announced_peers(&node, t.info_hash);
    assert!(!peers.is_empty(), "the seeder never announced to the DHT");

    // The torrent's own `nodes` (BEP 5) as the only live bootstrap (the
    // one given on the command line is a dead port, and keeps the
    // well-known routers out of a test). First, before any run has saved a
    // routing table that would know the way.
    let (host, port) = boot.split_once(':').unwrap();
    let mut with_nodes = b"d4:info".to_vec();
    with_nodes.extend_from_slice(&t.info);
    // 5:nodes l l <host> i<port>e e e, then the dictionary's end.
    let nodes = format!("5:nodesll{}:{host}i{port}eeee", host.len());
    with_nodes.extend_from_slice(nodes.as_bytes());
    let nodes_torrent = dir.0.join("nodes.torrent");
    std::fs::write(&nodes_torrent, &with_nodes).unwrap();
    let out3 = dir.0.join("out3");
    let args = ["--dht-bootstrap", "127.0.0.1:9", "--bind", "127.0.0.1"];
    ok(&Bitsy::download(&nodes_torrent, &out3, &args));
    assert_eq!(std::fs::read(out3.join("dht.bin")).unwrap(), content);

    // A .torrent without any tracker: peers come from the DHT alone.
    let out = dir.0.join("out");
    let args = ["--dht-bootstrap", boot.as_str(), "--bind", "127.0.0.1"];
    let run = Bitsy::download(&torrent, &out, &args);
    ok(&run);
    assert_eq!(std::fs::read(out.join("dht.bin")).unwrap(), content);

    // A magnet link with nothing but the infohash: metadata and data both
    // from the peer the DHT found.
    let link = format!("magnet:?xt=urn:btih:{}", t.info_hash_hex());
    let out2 = dir.0.join("out2");
    let run = Bitsy::run(&[
        "download",
        &link,
        "-o",
        out2.to_str().unwrap(),
        "--port",
        "0",
        "--dht-bootstrap",
        &boot,
        "--bind",
        "127.0.0.1",
    ]);
    ok(&run);
    assert_eq!(std::fs::read(out2.join("dht.bin")).unwrap(), content);
}

#[test]
fn a_private_trackerless_torrent_does_not_use_the_dht() {
    let dir = TempDir::new("dht-private");
    let content = pseudo_random_bytes(64 * 1024, 92);
    let t = TestTorrent::single_file("p.bin", &content, 16 * 1024, "unused")
        .into_private("unused")
        .with_tiers(&[]);
    let torrent = t.write_to(&dir.0);
    let (_node, boot) = bootstrap_node();
    let out = dir.0.join("out");
    let run = Bitsy::download(&torrent, &out, &["--dht-bootstrap", &boot]);
    assert_eq!(run.status.code(), Some(4), "{}", text(&run.stderr));
    let err = text(&run.stderr);
    assert!(
        err.contains("the DHT is off (the torrent is private)"),
        "{err}"
    );
    assert!(!out.join("p.bin").exists(), "nothing was created");
}
