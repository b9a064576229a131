//! `--trace` end to end: the real binary downloads from a fake seeder on
//! loopback, found through a fake HTTP or UDP tracker, and its stderr must
//! hold one annotated line per message: the announce and its answer, both
//! handshakes, the seeder's bitfield, our interest, its unchoke, each
//! request and each block (summarised, never dumped). Also traced: a
//! magnet link's metadata phase (BEP 9), an incoming peer of `bitsy
//! seed`, a `dht get-peers` lookup (BEP 5) and web seed ranges (BEP 19);
//! and without `--trace` there is no trace line at all.
//!
//! Every run is bounded by `common::bitsy::LIMIT` times the slow factor
//! (`common::slow::scaled`), and the child is stopped by PID.

mod common;

use common::fake_metadata_peer::{FakeMetadataPeer, MetaBehaviour};
use common::fake_udp_tracker::{FakeUdpTracker, action, announce_answer, connect_answer, tid};
use common::fake_web_seed::{FakeWebSeed, Fault};
use common::raw_peer::{self, RawPeer};
use common::{Behaviour, Bitsy, FakeSeeder, FakeTracker, TempDir, TestTorrent, ok, text};
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

/// Blocks are 16 KiB (BEP 3's usual request size, and bitsy's).
const BLOCK: usize = 16 * 1024;

/// Longest trace line allowed: the longest kinds (an announce with its
/// infohash and peer id, a handshake) stay under 400 characters; a
/// dumped block would be thousands.
const MAX_LINE: usize = 500;

/// 200,000 bytes at 32 KiB a piece: 7 pieces, 13 blocks (the last one
/// 3,392 bytes long).
fn content() -> Vec<u8> {
    common::pseudo_random_bytes(200_000, 7)
}

/// The trace lines of a run: those whose second word is an arrow (the
/// status line and messages are interleaved as plain lines).
fn trace_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| {
            let mut words = l.split_whitespace();
            let stamp = words.next().unwrap_or("");
            let arrow = words.next().unwrap_or("");
            stamp.parse::<f64>().is_ok() && matches!(arrow, "->" | "<-" | "--")
        })
        .collect()
}

/// Lines going `dir` ("->" or "<-") to or from `who` that contain `what`.
fn count(lines: &[&str], dir: &str, who: &str, what: &str) -> usize {
    let head = format!("{dir} {who} ");
    lines
        .iter()
        .filter(|l| l.contains(&head) && l.contains(what))
        .count()
}

/// Runs `bitsy download --trace` of `t` to the end; checks the file and
/// returns stderr.
fn traced_download(tag: &str, t: &TestTorrent, content: &[u8]) -> String {
    let dir = TempDir::new(tag);
    let torrent = t.write_to(&dir.0);
    let out = dir.0.join("out");
    let run = Bitsy::download(&torrent, &out, &["--trace"]);
    ok(&run);
    let got = std::fs::read(out.join(&t.name)).expect("the downloaded file");
    assert!(got == content, "the download differs from the original");
    text(&run.stderr)
}

/// The peer wire part of a trace of a download from one `normal` seeder.
fn check_peer_lines(lines: &[&str], seeder: SocketAddr, content_len: usize) {
    let s = seeder.to_string();
    let blocks = content_len.div_ceil(BLOCK);
    let expect = [
        ("->", "handshake info_hash=", 1),
        ("<-", "handshake info_hash=", 1),
        (
            "->",
            "[extension protocol (BEP 10), fast (BEP 6)] (BEP 3:",
            1,
        ),
        ("<-", "bitfield 7 of 7 pieces [1 bytes] (BEP 3:", 1),
        ("->", "interested (BEP 3: the sender wants pieces", 1),
        (
            "<-",
            "unchoke (BEP 3: the sender will answer requests now)",
            1,
        ),
    ];
    for (dir, what, n) in expect {
        assert!(
            count(lines, dir, &s, what) >= n,
            "no `{dir} {s} ... {what}` line in:\n{}",
            lines.join("\n")
        );
    }
    // One line per block each way: every request, every piece.
    let requests = count(lines, "->", &s, "(BEP 3: ask for one block)");
    let pieces = count(lines, "<-", &s, "(BEP 3: one block of data)");
    assert!(
        requests >= blocks,
        "{requests} request lines for {blocks} blocks"
    );
    assert_eq!(pieces, blocks, "one piece line per block");
    assert_eq!(
        count(
            lines,
            "<-",
            &s,
            "piece index=0 begin=16384 [16384 bytes] (BEP 3:"
        ),
        1
    );
    assert_eq!(
        count(
            lines,
            "<-",
            &s,
            "piece index=6 begin=0 [3392 bytes] (BEP 3:"
        ),
        1,
        "the short last block"
    );
    assert!(
        count(
            lines,
            "->",
            &s,
            "request index=6 begin=0 length=3392 (BEP 3:"
        ) >= 1,
        "the short last request"
    );
}

/// No line is long, so no payload was dumped: a block would be 16 KiB
/// of bytes (or twice that in hex).
fn check_bounded(stderr: &str) {
    for line in stderr.lines() {
        assert!(
            line.len() <= MAX_LINE,
            "a {}-byte line: {line:.200}",
            line.len()
        );
    }
}

#[test]
fn http_download_is_traced_message_by_message() {
    let tracker = FakeTracker::start();
    let content = content();
    let t = TestTorrent::single_file("traced.bin", &content, 32 * 1024, &tracker.url());
    let seeder = FakeSeeder::start(&t, Behaviour::normal());
    tracker.set_peers(vec![seeder.addr()]);
    let stderr = traced_download("trace-http", &t, &content);
    let lines = trace_lines(&stderr);
    let url = tracker.url();
    assert_eq!(
        count(&lines, "->", &url, "announce GET info_hash="),
        count(&lines, "<-", &url, "announce answer interval="),
        "each announce has its answer:\n{stderr}"
    );
    assert_eq!(count(&lines, "->", &url, "event=started (BEP 3:"), 1);
    assert_eq!(count(&lines, "->", &url, "event=completed (BEP 3:"), 1);
    let peer = format!("peers=1 [{}] (BEP 3: peers to try", seeder.addr());
    assert!(count(&lines, "<-", &url, &peer) >= 1, "{stderr}");
    check_peer_lines(&lines, seeder.addr(), content.len());
    check_bounded(&stderr);
    // The status line is not drawn in place between trace lines.
    assert!(!stderr.contains('\r'), "a carriage return in a trace");
}

#[test]
fn udp_tracker_exchange_is_traced_field_by_field() {
    let content = content();
    // The tracker must exist before the torrent names it, and must know
    // the seeder, which needs the torrent: the seeder's port is sent
    // through a channel once it is known.
    let (port_tx, port_rx) = std::sync::mpsc::channel::<SocketAddr>();
    let mut seeder_addr = None;
    let udp = FakeUdpTracker::start("127.0.0.1:0", move |req| {
        if let Ok(addr) = port_rx.try_recv() {
            seeder_addr = Some(addr);
        }
        match action(req) {
            0 => vec![connect_answer(tid(req), 0x77)],
            1 => {
                let mut peers = Vec::new();
                if let Some(SocketAddr::V4(a)) = seeder_addr {
                    peers.extend_from_slice(&a.ip().octets());
                    peers.extend_from_slice(&a.port().to_be_bytes());
                }
                vec![announce_answer(tid(req), 1800, 0, 1, &peers)]
            }
            _ => Vec::new(),
        }
    });
    let url = udp.url("/announce");
    let t = TestTorrent::single_file("traced.bin", &content, 32 * 1024, &url);
    let seeder = FakeSeeder::start(&t, Behaviour::normal());
    port_tx
        .send(seeder.addr())
        .expect("the tracker thread runs");
    let stderr = traced_download("trace-udp", &t, &content);
    let lines = trace_lines(&stderr);
    let tracker = udp.url("").trim_start_matches("udp://").to_string();
    let expect = [
        ("->", "connect transaction_id="),
        (
            "<-",
            "connect answer connection_id=0000000000000077 (BEP 15:",
        ),
        (
            "->",
            "announce connection_id=0000000000000077 transaction_id=",
        ),
        ("->", "event=started key="),
        ("->", "url_data=\"/announce\" (BEP 15:"),
    ];
    for (dir, what) in expect {
        assert!(
            count(&lines, dir, &tracker, what) >= 1,
            "no `{dir} {tracker} ... {what}` line in:\n{stderr}"
        );
    }
    let peer = format!(
        "interval=1800s seeders=1 leechers=0 peers=1 [{}]",
        seeder.addr()
    );
    assert!(count(&lines, "<-", &tracker, &peer) >= 1, "{stderr}");
    check_peer_lines(&lines, seeder.addr(), content.len());
    check_bounded(&stderr);
}

/// A magnet link: the metadata phase's peer thread traces its extended
/// handshake and the BEP 9 exchange; then the download goes on as usual.
#[test]
fn magnet_metadata_exchange_is_traced() {
    let tracker = FakeTracker::start();
    let content = content();
    let t = TestTorrent::single_file("magnet.bin", &content, 32 * 1024, &tracker.url());
    let seeder = FakeSeeder::start(&t, Behaviour::normal());
    tracker.set_peers(vec![seeder.addr()]);
    let meta = FakeMetadataPeer::start(MetaBehaviour::serving(t.info_hash, &t.info));
    let magnet = format!(
        "magnet:?xt=urn:btih:{}&x.pe={}&tr={}",
        t.info_hash_hex(),
        meta.addr(),
        tracker.url().replace(':', "%3A").replace('/', "%2F")
    );
    let dir = TempDir::new("trace-magnet");
    let out = dir.0.join("out");
    let out_text = out.to_str().expect("a UTF-8 temp path");
    let run = Bitsy::run(&[
        "download", &magnet, "-o", out_text, "--port", "0", "--trace",
    ]);
    ok(&run);
    let stderr = text(&run.stderr);
    let lines = trace_lines(&stderr);
    let m = meta.addr().to_string();
    let size = t.info.len();
    let expect = [
        ("->", "handshake info_hash=".to_string()),
        ("->", "extended handshake m={ut_metadata: 1} ".to_string()),
        ("<-", format!(" metadata_size={size} ")),
        ("->", "ut_metadata request piece=0 (BEP 9:".to_string()),
        (
            "<-",
            format!("ut_metadata data piece=0 total_size={size} [{size} bytes] (BEP 9:"),
        ),
    ];
    for (dir, what) in expect {
        assert!(
            count(&lines, dir, &m, &what) >= 1,
            "no `{dir} {m} ... {what}` line in:\n{stderr}"
        );
    }
    check_peer_lines(&lines, seeder.addr(), content.len());
    check_bounded(&stderr);
}

/// `bitsy seed --trace`: a raw peer dials in, asks for one block; the
/// seed's trace shows the incoming handshake with no reserved bits, and
/// what it sent back.
#[test]
fn seed_traces_an_incoming_peer() {
    let tracker = FakeTracker::start();
    let content = content();
    let t = TestTorrent::single_file("seeded.bin", &content, 32 * 1024, &tracker.url());
    let dir = TempDir::new("trace-seed");
    let torrent = t.write_to(&dir.0);
    let data = dir.0.join("seeded.bin");
    std::fs::write(&data, &content).expect("write the data");
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let seed = Bitsy::start(&[
        "seed",
        torrent.to_str().expect("a UTF-8 temp path"),
        data.to_str().expect("a UTF-8 temp path"),
        "--port",
        &port.to_string(),
        "--bind",
        "127.0.0.1",
        "--trace",
    ]);
    assert!(tracker.wait_for_event("started", Duration::from_secs(20)));
    let mut peer = RawPeer::connect(SocketAddr::from(([127, 0, 0, 1], port)), &t.info_hash);
    let me = peer
        .stream
        .local_addr()
        .expect("a connected socket")
        .to_string();
    assert_eq!(peer.recv().map(|m| m.0), Some(raw_peer::BITFIELD));
    peer.send(raw_peer::INTERESTED, &[]);
    assert_eq!(peer.recv().map(|m| m.0), Some(raw_peer::UNCHOKE));
    peer.request(1, 16384, 16384);
    assert_eq!(peer.recv().map(|m| m.0), Some(raw_peer::PIECE));
    let run = seed.interrupt();
    let stderr = text(&run.stderr);
    let lines = trace_lines(&stderr);
    let expect = [
        (
            "<-",
            "peer_id=-XX0000-testclient01 reserved=0000000000000000 [none] (BEP 3:",
        ),
        ("->", "handshake info_hash="),
        ("->", "bitfield 7 of 7 pieces [1 bytes] (BEP 3:"),
        ("<-", "interested (BEP 3:"),
        ("->", "unchoke (BEP 3:"),
        (
            "<-",
            "request index=1 begin=16384 length=16384 (BEP 3: ask for one block)",
        ),
        (
            "->",
            "piece index=1 begin=16384 [16384 bytes] (BEP 3: one block of data)",
        ),
    ];
    for (dir, what) in expect {
        assert!(
            count(&lines, dir, &me, what) == 1,
            "not one `{dir} {me} ... {what}` line in:\n{stderr}"
        );
    }
    check_bounded(&stderr);
}

/// `bitsy dht get-peers --trace` against one loopback node: each KRPC
/// query and its response (BEP 5), paired by transaction id.
#[test]
fn dht_lookup_is_traced_datagram_by_datagram() {
    let (_node, addr) = common::dht_node::loopback_node();
    let hash = "ab".repeat(20);
    let boot = addr.to_string();
    let run = Bitsy::run(&[
        "dht",
        "get-peers",
        &hash,
        "--dht-bootstrap",
        &boot,
        "--trace",
    ]);
    let stderr = text(&run.stderr);
    assert_eq!(run.status.code(), Some(5), "no peers to find: {stderr}");
    let lines = trace_lines(&stderr);
    let query = "query get_peers t=";
    let asked: Vec<&&str> = lines
        .iter()
        .filter(|l| l.contains(&format!("-> {boot} {query}")))
        .collect();
    assert!(!asked.is_empty(), "no get_peers query traced:\n{stderr}");
    assert!(asked[0].contains(&format!(" info_hash={hash} (BEP 5: who has this torrent?")));
    // The node's answer carries the same `t`.
    let t = asked[0]
        .split(" t=")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .expect("a transaction id");
    let answer = format!("response t={t} id=");
    assert!(
        count(&lines, "<-", &boot, &answer) >= 1,
        "no `<- {boot} {answer}` line in:\n{stderr}"
    );
    check_bounded(&stderr);
}

/// A torrent whose only source is a web seed (BEP 19): each range
/// request and its answer, the body counted.
#[test]
fn web_seed_ranges_are_traced() {
    let content = content();
    let t0 = TestTorrent::single_file("ws.bin", &content, 32 * 1024, "");
    let web = FakeWebSeed::start(&[("/dl/ws.bin", &content)], Fault::None);
    let url = web.url("/dl/ws.bin");
    let t = t0.with_url_list("", &[&url]);
    let stderr = traced_download("trace-webseed", &t, &content);
    let lines = trace_lines(&stderr);
    let asked: Vec<&&str> = lines
        .iter()
        .filter(|l| l.contains(&format!("-> {url} GET Range: bytes=")))
        .collect();
    assert!(!asked.is_empty(), "no range request traced:\n{stderr}");
    assert!(asked.iter().all(|l| l.contains("-byte file] (BEP 19:")));
    let answers = count(&lines, "<-", &url, "206 Partial Content [");
    assert_eq!(answers, asked.len(), "each range has its answer:\n{stderr}");
    check_bounded(&stderr);
}

#[test]
fn without_trace_there_are_no_trace_lines() {
    let tracker = FakeTracker::start();
    let content = content();
    let t = TestTorrent::single_file("quiet.bin", &content, 32 * 1024, &tracker.url());
    let seeder = FakeSeeder::start(&t, Behaviour::normal());
    tracker.set_peers(vec![seeder.addr()]);
    let dir = TempDir::new("trace-off");
    let torrent = t.write_to(&dir.0);
    let run = Bitsy::download(&torrent, &dir.0.join("out"), &[]);
    ok(&run);
    let stderr = text(&run.stderr);
    assert_eq!(trace_lines(&stderr), Vec::<&str>::new(), "{stderr}");
}
