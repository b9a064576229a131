//! SHA-1 throughput of the two implementations bitsy could use, on this
//! machine: `cargo run --release --example sha1_speed [MiB]`.
//!
//! Hashes `MiB` (default 256) of pseudo-random bytes in 256 KiB pieces, a
//! common piece length, three rounds per implementation, and prints the
//! best round in MB/s (10^6 bytes per second). Both digests of every piece
//! must agree, so a wrong build cannot look fast. The table in DESIGN.md
//! ("Hashing") comes from this.
//!
//! This is a measurement, not a test: run it on a quiet machine, one at a
//! time. Under qemu-user the figures only say which is faster, not how fast
//! the real CPU is.

use sha1::Digest;
use std::time::{Duration, Instant};

/// The piece length hashed at a time.
const PIECE: usize = 256 * 1024;
/// Rounds per implementation; the best one is reported (the others pay
/// for page faults, frequency ramp-up and the other implementation).
const ROUNDS: usize = 3;

fn main() {
    let mib: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(256);
    let data = bytes(mib * 1024 * 1024);
    let smol = |p: &[u8]| sha1_smol::Sha1::from(p).digest().bytes();
    let rust = |p: &[u8]| -> [u8; 20] { sha1::Sha1::digest(p).into() };
    for piece in data.chunks(PIECE).take(16) {
        assert_eq!(smol(piece), rust(piece), "the implementations disagree");
    }
    println!(
        "{} MiB in {} KiB pieces, best of {ROUNDS} ({})",
        mib,
        PIECE / 1024,
        std::env::consts::ARCH
    );
    println!("{:<12} {:>8}", "sha1_smol", mb_per_s(&data, &smol));
    println!("{:<12} {:>8}", "sha1 0.10", mb_per_s(&data, &rust));
    println!(
        "{:<12} {:>8}",
        "bitsy::hash",
        mb_per_s(&data, &bitsy::hash::sha1)
    );
}

/// The best of `ROUNDS` passes over `data`, in MB/s.
fn mb_per_s(data: &[u8], hash: &dyn Fn(&[u8]) -> [u8; 20]) -> String {
    let mut best = Duration::MAX;
    let mut sink = 0u8;
    for _ in 0..ROUNDS {
        let t = Instant::now();
        for piece in data.chunks(PIECE) {
            sink ^= hash(piece)[0];
        }
        best = best.min(t.elapsed());
    }
    std::hint::black_box(sink);
    format!("{:.0}", data.len() as f64 / best.as_secs_f64() / 1e6)
}

/// Pseudo-random bytes (xorshift64), so nothing is compressible or zero.
fn bytes(n: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}
