//! Scale (issue 8 §4): one bitsy against 200 slow seeders at once.
//!
//! 200 seeders (`common::slow_swarm`) listen on 200 distinct loopback
//! addresses, each connection paced to [`RATE`]; the fake tracker lists
//! them all. bitsy downloads a 4 MiB torrent with `--max-peers 200 -v`
//! while this test samples its thread count from `/proc/PID/status` every
//! [`SAMPLE_EVERY`]. The swarm's gate holds every unchoke until
//! [`MIN_CONNECTED`] handshakes are made, so the download cannot finish
//! before that many peers are connected, whatever the machine's speed: the
//! test makes no assertion on time or throughput.
//!
//! Checked: the data, that at least [`MIN_CONNECTED`] distinct peers
//! connected (bitsy's `peer ADDR: connected` lines), and that the peak
//! thread count lies between [`MIN_CONNECTED`] (one thread per connected
//! peer: also proof that the sampler saw the process) and
//! `--max-peers` + [`FIXED_THREADS`]. It does not measure memory or CPU:
//! `tests/bench/run --only scale` does, against 10 peers.

mod common;

use common::slow::scaled;
use common::slow_swarm::{SlowSwarm, SwarmSpec};
use common::{Bitsy, FakeTracker, TempDir, TestTorrent, ok, pseudo_random_bytes, text};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Seeders, and bitsy's `--max-peers`.
const SEEDERS: usize = 200;
/// Handshakes the swarm waits for before it unchokes anyone, and the
/// distinct peers bitsy must report connected: three quarters of them.
const MIN_CONNECTED: usize = 150;
/// bitsy's threads besides its peer threads: main, listener, tracker, a
/// hasher pool of up to 4, and under qemu-user the emulator's own one or
/// two. 16 leaves room without hiding a thread per peer too many.
const FIXED_THREADS: usize = 16;
/// 256 pieces of one block each: enough for most peers to serve one.
const CONTENT_LEN: usize = 4 << 20;
const PIECE_LEN: u32 = 16 * 1024;
/// Per connection: four blocks a second. 200 of them move 4 MiB in about
/// a second, so every peer thread lives well past one sample.
const RATE: u64 = 64 * 1024;
/// Past this the gate opens anyway (and the connection count then fails
/// the test rather than the test hanging).
const GATE_TIMEOUT: Duration = Duration::from_secs(20);
/// How often the thread count is sampled.
const SAMPLE_EVERY: Duration = Duration::from_millis(20);
/// The longest the download may take (as `common::bitsy::LIMIT`).
const LIMIT: Duration = Duration::from_secs(60);

/// `Threads:` from /proc/PID/status; `None` once the process is gone.
fn threads(pid: u32) -> Option<usize> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("Threads:"))?;
    line["Threads:".len()..].trim().parse().ok()
}

/// The address in a `peer ADDR: connected` line of bitsy's `-v` output.
fn connected_addr(line: &str) -> Option<&str> {
    let rest = &line[line.find("peer ")? + "peer ".len()..];
    let (addr, what) = rest.split_once(": ")?;
    what.starts_with("connected").then_some(addr)
}

#[test]
fn two_hundred_slow_seeders_at_once() {
    let tracker = FakeTracker::start();
    let content = pseudo_random_bytes(CONTENT_LEN, 84);
    let t = TestTorrent::single_file("scale.bin", &content, PIECE_LEN, &tracker.url());
    let spec = SwarmSpec {
        info_hash: t.info_hash,
        piece_len: PIECE_LEN,
        total_len: CONTENT_LEN as u64,
        rate: RATE,
        gate: MIN_CONNECTED as u64,
        gate_timeout: scaled(GATE_TIMEOUT),
    };
    let swarm = SlowSwarm::start(SEEDERS, spec, Arc::new(content.clone())).expect("start swarm");
    tracker.set_peers(swarm.addrs().to_vec());
    let dir = TempDir::new("scale");
    let out = dir.0.join("out");
    let max_peers = SEEDERS.to_string();
    let mut bitsy = Bitsy::start_download(
        &t.write_to(&dir.0),
        &out,
        &["-v", "--max-peers", &max_peers],
    );

    let pid = bitsy.pid();
    let mut peak = 0;
    let deadline = Instant::now() + scaled(LIMIT);
    while bitsy.is_running() && Instant::now() < deadline {
        peak = peak.max(threads(pid).unwrap_or(0));
        std::thread::sleep(SAMPLE_EVERY);
    }
    let run = bitsy.finish();
    ok(&run);
    let got = std::fs::read(out.join("scale.bin")).expect("the downloaded file");
    assert!(got == content, "the downloaded data differs");

    let log = text(&run.stderr);
    let connected: HashSet<&str> = log.lines().filter_map(connected_addr).collect();
    eprintln!("{} peers connected, peak {peak} threads", connected.len());
    assert!(
        connected.len() >= MIN_CONNECTED,
        "{} distinct peers connected, {} handshakes at the swarm:\n{log}",
        connected.len(),
        swarm.handshakes()
    );
    assert!(
        (MIN_CONNECTED..=SEEDERS + FIXED_THREADS).contains(&peak),
        "peak of {peak} threads, want {MIN_CONNECTED} to {}",
        SEEDERS + FIXED_THREADS
    );
}
