//! `slow_swarm`: a loopback swarm of many slow fake seeders and a tracker
//! that lists all of them, for `tests/bench/run`'s scale part (issue 8 §4).
//!
//! ```text
//! cargo build --release --example slow_swarm
//! target/release/examples/slow_swarm FILE.torrent DATA --peers 200 --rate 500k \
//!     --tracker-port 7000 [--addrs-file F] [--secs 3600]
//! ```
//!
//! Serves the single-file torrent FILE.torrent, whose content is the file
//! DATA, from `--peers` seeders on distinct addresses 127.1.X.Y, each
//! connection at most `--rate` bytes per second (a bare number, or with a
//! decimal `k` or `M` suffix: `500k` is 500,000). The seeders are
//! `tests/common/slow_swarm.rs`, shared with `tests/scale.rs`.
//!
//! The tracker is a few lines here, on 127.0.0.1:`--tracker-port` (make the
//! torrent announce to `http://127.0.0.1:PORT/announce`): every GET gets
//! the compact list of all the seeders, whatever the info hash or
//! `numwant`. `bitsy tracker` would not do: it answers at most 50 peers
//! (its `MAX_NUMWANT`), and a bitsy with 50 peers does not re-announce
//! early, so the other 150 would never be dialled.
//!
//! When every socket is bound it writes the seeders' addresses, one per
//! line, to `--addrs-file` (through a rename, so a reader never sees half
//! of it): that is the sign it is ready. It stops after `--secs` (default
//! an hour), or at SIGTERM / Ctrl-C (the default action: the kernel closes
//! the sockets; there is nothing to flush). It does not check the data
//! against the piece hashes, serve multi-file torrents, or upload to the
//! swarm's clients anything but requested blocks.

use bitsy::metainfo::Metainfo;
use std::fs::File;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[path = "../tests/common/slow_swarm.rs"]
mod slow_swarm;

use slow_swarm::{MAX_SEEDERS, SlowSwarm, SwarmSpec};

/// Largest announce request head read; a real one is under 1 KiB.
const MAX_HEAD: usize = 8 * 1024;
/// An announcing client has this long to send its request.
const HEAD_TIMEOUT: Duration = Duration::from_secs(5);
/// The announce interval given out: longer than any bench run, so each
/// download announces once (and `stopped` at the end).
const INTERVAL_SECS: u32 = 1800;
/// The default `--secs`.
const DEFAULT_SECS: u64 = 3600;

struct Args {
    torrent: PathBuf,
    data: PathBuf,
    peers: usize,
    rate: u64,
    tracker_port: u16,
    addrs_file: Option<PathBuf>,
    secs: u64,
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("slow_swarm: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let meta = Metainfo::load(&args.torrent).map_err(|e| e.to_string())?;
    let data = File::open(&args.data).map_err(|e| format!("{}: {e}", args.data.display()))?;
    let len = data.metadata().map_err(|e| e.to_string())?.len();
    let total_len = meta.geometry.total_len();
    if len != total_len {
        return Err(format!(
            "{} is {len} bytes, the torrent {total_len} (single-file torrents only)",
            args.data.display()
        ));
    }
    let piece_len = u32::try_from(meta.geometry.nominal_piece_len())
        .map_err(|_| "piece length over 4 GiB".to_string())?;
    let spec = SwarmSpec {
        info_hash: meta.info_hash,
        piece_len,
        total_len,
        rate: args.rate,
        gate: 0, // unchoke at once
        gate_timeout: Duration::ZERO,
    };
    let swarm = SlowSwarm::start(args.peers, spec, Arc::new(data)).map_err(|e| e.to_string())?;
    let tracker = TcpListener::bind((Ipv4Addr::LOCALHOST, args.tracker_port))
        .map_err(|e| format!("tracker port {}: {e}", args.tracker_port))?;
    let body = Arc::new(compact_body(swarm.addrs()));
    std::thread::spawn(move || serve_tracker(&tracker, &body));
    if let Some(path) = &args.addrs_file {
        write_addrs(path, swarm.addrs()).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    eprintln!(
        "slow_swarm: {} seeders at {} B/s each, tracker http://127.0.0.1:{}/announce",
        args.peers, args.rate, args.tracker_port
    );
    std::thread::sleep(Duration::from_secs(args.secs));
    let blocks = swarm
        .stats()
        .blocks_sent
        .load(std::sync::atomic::Ordering::SeqCst);
    eprintln!(
        "slow_swarm: {} handshakes, {blocks} blocks sent",
        swarm.handshakes()
    );
    Ok(()) // dropping the swarm stops and joins its threads
}

fn parse_args() -> Result<Args, String> {
    let mut p = pico_args::Arguments::from_env();
    let e = |e: pico_args::Error| e.to_string();
    let peers: usize = p.value_from_str("--peers").map_err(e)?;
    let rate = p.value_from_fn("--rate", parse_rate).map_err(e)?;
    let tracker_port = p.value_from_str("--tracker-port").map_err(e)?;
    let addrs_file = p.opt_value_from_str("--addrs-file").map_err(e)?;
    let secs = p
        .opt_value_from_str("--secs")
        .map_err(e)?
        .unwrap_or(DEFAULT_SECS);
    let torrent = p.free_from_str().map_err(e)?;
    let data = p.free_from_str().map_err(e)?;
    let rest = p.finish();
    if !rest.is_empty() {
        return Err(format!("unexpected arguments: {rest:?}"));
    }
    if !(1..=MAX_SEEDERS).contains(&peers) {
        return Err(format!("--peers must be 1 to {MAX_SEEDERS}"));
    }
    Ok(Args {
        torrent,
        data,
        peers,
        rate,
        tracker_port,
        addrs_file,
        secs,
    })
}

/// `500000`, `500k` or `0.5M`: bytes per second (decimal units).
fn parse_rate(s: &str) -> Result<u64, String> {
    let (num, unit) = match s.strip_suffix(['k', 'K']) {
        Some(n) => (n, 1e3),
        None => match s.strip_suffix('M') {
            Some(n) => (n, 1e6),
            None => (s, 1.0),
        },
    };
    let x: f64 = num.parse().map_err(|_| format!("bad rate {s:?}"))?;
    let bytes = x * unit;
    if !(0.0..=1e12).contains(&bytes) {
        return Err(format!("rate {s:?} out of range"));
    }
    Ok(bytes as u64)
}

/// The tracker's one answer (BEP 23 compact peers), keys sorted.
fn compact_body(addrs: &[SocketAddr]) -> Vec<u8> {
    let mut peers = Vec::with_capacity(addrs.len() * 6);
    for a in addrs {
        if let SocketAddr::V4(v4) = a {
            peers.extend_from_slice(&v4.ip().octets());
            peers.extend_from_slice(&v4.port().to_be_bytes());
        }
    }
    let head = format!(
        "d8:completei{}e10:incompletei0e8:intervali{INTERVAL_SECS}e5:peers{}:",
        addrs.len(),
        peers.len()
    );
    [head.as_bytes(), &peers, b"e"].concat()
}

/// Answers every request with `body`, one connection at a time.
fn serve_tracker(listener: &TcpListener, body: &[u8]) {
    for stream in listener.incoming().flatten() {
        let _ = answer(stream, body);
    }
}

fn answer(mut stream: TcpStream, body: &[u8]) -> std::io::Result<()> {
    stream.set_read_timeout(Some(HEAD_TIMEOUT))?;
    stream.set_write_timeout(Some(HEAD_TIMEOUT))?;
    let mut head = Vec::new();
    let mut chunk = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_HEAD {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&chunk[..n]);
    }
    let status = format!(
        "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(status.as_bytes())?;
    stream.write_all(body)
}

fn write_addrs(path: &PathBuf, addrs: &[SocketAddr]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let text: String = addrs.iter().map(|a| format!("{a}\n")).collect();
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}
