//! `--trace` end to end: the real binary downloads from a fake seeder on
//! loopback, found through a fake HTTP or UDP tracker, and its stderr must
//! hold one annotated line per message: the announce and its answer, both
//! handshakes, the seeder's bitfield, our interest, its unchoke, each
//! request and each block (summarised, never dumped).
//!
//! Every run is bounded by `common::bitsy::LIMIT` times the slow factor
//! (`common::slow::scaled`), and the child is stopped by PID.

mod common;

use common::fake_udp_tracker::{FakeUdpTracker, action, announce_answer, connect_answer, tid};
use common::{Behaviour, Bitsy, FakeSeeder, FakeTracker, TempDir, TestTorrent, ok, text};
use std::net::SocketAddr;

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
        ("->", "[extension protocol (BEP 10), fast (BEP 6)] (BEP 3:", 1),
        ("<-", "bitfield 7 of 7 pieces [1 bytes] (BEP 3:", 1),
        ("->", "interested (BEP 3: the sender wants pieces", 1),
        ("<-", "unchoke (BEP 3: the sender will answer requests now)", 1),
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
    assert!(requests >= blocks, "{requests} request lines for {blocks} blocks");
    assert_eq!(pieces, blocks, "one piece line per block");
    assert_eq!(
        count(lines, "<-", &s, "piece index=0 begin=16384 [16384 bytes] (BEP 3:"),
        1
    );
    assert_eq!(
        count(lines, "<-", &s, "piece index=6 begin=0 [3392 bytes] (BEP 3:"),
        1,
        "the short last block"
    );
    assert!(
        count(lines, "->", &s, "request index=6 begin=0 length=3392 (BEP 3:") >= 1,
        "the short last request"
    );
}

/// No line is long, so no payload was dumped: a block would be 16 KiB
/// of bytes (or twice that in hex).
fn check_bounded(stderr: &str) {
    for line in stderr.lines() {
        assert!(line.len() <= MAX_LINE, "a {}-byte line: {line:.200}", line.len());
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
    port_tx.send(seeder.addr()).expect("the tracker thread runs");
    let stderr = traced_download("trace-udp", &t, &content);
    let lines = trace_lines(&stderr);
    let tracker = udp.url("").trim_start_matches("udp://").to_string();
    let expect = [
        ("->", "connect transaction_id="),
        ("<-", "connect answer connection_id=0000000000000077 (BEP 15:"),
        ("->", "announce connection_id=0000000000000077 transaction_id="),
        ("->", "event=started key="),
        ("->", "url_data=\"/announce\" (BEP 15:"),
    ];
    for (dir, what) in expect {
        assert!(
            count(&lines, dir, &tracker, what) >= 1,
            "no `{dir} {tracker} ... {what}` line in:\n{stderr}"
        );
    }
    let peer = format!("interval=1800s seeders=1 leechers=0 peers=1 [{}]", seeder.addr());
    assert!(count(&lines, "<-", &tracker, &peer) >= 1, "{stderr}");
    check_peer_lines(&lines, seeder.addr(), content.len());
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
