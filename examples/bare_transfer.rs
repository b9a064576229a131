//! A transfer with no BitTorrent around it: what this machine can do
//! before any client's own code costs anything.
//! `cargo run --release --example bare_transfer SOURCE OUT [PIECE_KIB]`
//!
//! It moves SOURCE to OUT through the same system calls as a bitsy seeder
//! and a bitsy downloader on loopback, and the same SHA-1, with nothing
//! else: no handshake, no requests, no picker, no choking, no second
//! process. Four threads:
//!
//! ```text
//!   seeder:   pread 16 KiB after a 13-byte `piece` header ─▶ send
//!                 │ TCP on 127.0.0.1
//!   receiver: recv the header, recv the payload straight into the piece,
//!             SHA-1 it ─▶ [channel of 4 pieces]
//!   main:     pwrite each piece at its offset ─▶ every 32 MiB, a nudge
//!   flusher:  fdatasync, as bitsy's does, so the writeback overlaps
//! ```
//!
//! `make bench` runs it on the bench's single file beside bitsy seeding to
//! bitsy (tests/bench/README.md, "The bare transfer"): the gap between the
//! two is what bitsy's own code costs; the bare transfer itself is the
//! machine (its cores, its loopback, its page cache).
//!
//! Prints the MB/s (10^6 bytes per second, from the connect to the end of
//! the last fsync) and an XOR of every piece's digest, which the caller may
//! ignore: it is there so that no hashing can be skipped. This is a
//! measurement, not a part of bitsy: it trusts SOURCE and stops at the
//! first error.

use bitsy::hash::Sha1Stream;
use crossbeam_channel::bounded;
use std::error::Error;
use std::fs::File;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::process::ExitCode;
use std::thread;
use std::time::Instant;

/// A block, as bitsy requests them (BEP 3 says 16 KiB).
const BLOCK: usize = 16 * 1024;
/// <len=0009+X><id=7><index><begin>: the header bitsy sends before a block.
const PIECE_HEADER: usize = 13;
/// Pieces between the receiver and the writer; bitsy's main thread keeps
/// a few more, and this is enough to keep both threads busy.
const QUEUE: usize = 4;

/// Bytes written between two syncs, as bitsy's flusher (`storage/flush.rs`).
const FLUSH_EVERY: u64 = 32 * 1024 * 1024;

type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bare_transfer: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let mut args = std::env::args_os().skip(1);
    let usage = "usage: bare_transfer SOURCE OUT [PIECE_KIB], PIECE_KIB a multiple of 16";
    let source = PathBuf::from(args.next().ok_or(usage)?);
    let out = PathBuf::from(args.next().ok_or(usage)?);
    let piece_kib: usize = match args.next() {
        Some(a) => a.to_str().and_then(|s| s.parse().ok()).ok_or(usage)?,
        None => 256,
    };
    let piece_len = piece_kib
        .checked_mul(1024)
        .filter(|&p| p >= BLOCK && p % BLOCK == 0)
        .ok_or(usage)?;
    let source = File::open(source)?;
    let len = source.metadata()?.len();
    let out = File::create(out)?;

    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let start = Instant::now();
    let seeder = thread::spawn(move || -> Result<()> {
        let (stream, _) = listener.accept()?;
        seed(&source, len, stream)
    });
    let stream = TcpStream::connect(addr)?;

    // Full pieces go to the writer (this thread); their buffers come back.
    let (full_tx, full_rx) = bounded::<(u64, Vec<u8>, [u8; 20])>(QUEUE);
    let (free_tx, free_rx) = bounded::<Vec<u8>>(QUEUE + 2);
    for _ in 0..QUEUE + 2 {
        free_tx.send(Vec::with_capacity(piece_len))?;
    }
    let receiver = thread::spawn(move || receive(stream, len, piece_len, &free_rx, &full_tx));

    // The flusher syncs what is written while the transfer goes on.
    let (nudge_tx, nudge_rx) = bounded::<()>(1);
    let synced = out.try_clone()?;
    let flusher = thread::spawn(move || -> Result<()> {
        for () in nudge_rx.iter() {
            synced.sync_data()?;
        }
        Ok(synced.sync_all()?)
    });

    let mut xor = [0u8; 20];
    let mut unsynced = 0u64;
    for (offset, piece, digest) in full_rx.iter() {
        out.write_all_at(&piece, offset)?;
        xor.iter_mut().zip(digest).for_each(|(x, d)| *x ^= d);
        unsynced += piece.len() as u64;
        if unsynced >= FLUSH_EVERY && nudge_tx.try_send(()).is_ok() {
            unsynced = 0; // else the flusher is busy: nudge it after the next piece
        }
        let _ = free_tx.send(piece); // the receiver may be done already
    }
    drop(nudge_tx);
    receiver.join().map_err(|_| "the receiver panicked")??;
    seeder.join().map_err(|_| "the seeder panicked")??;
    flusher.join().map_err(|_| "the flusher panicked")??;
    let secs = start.elapsed().as_secs_f64();
    let hex: String = xor.iter().map(|b| format!("{b:02x}")).collect();
    println!("{:.0} MB/s, digests {hex}", len as f64 / secs / 1e6);
    Ok(())
}

/// Sends the whole file as `piece` messages of one block each.
fn seed(source: &File, len: u64, mut stream: TcpStream) -> Result<()> {
    let mut frame = vec![0u8; PIECE_HEADER + BLOCK];
    let mut offset = 0u64;
    while offset < len {
        let n = usize::try_from((len - offset).min(BLOCK as u64))?;
        let header = (9 + n as u32).to_be_bytes();
        frame[..4].copy_from_slice(&header);
        frame[4] = 7;
        source.read_exact_at(&mut frame[PIECE_HEADER..PIECE_HEADER + n], offset)?;
        stream.write_all(&frame[..PIECE_HEADER + n])?;
        offset += n as u64;
    }
    Ok(())
}

/// Receives every block into its piece, hashing as it goes, and hands
/// each full piece to the writer.
fn receive(
    mut stream: TcpStream,
    len: u64,
    piece_len: usize,
    free: &crossbeam_channel::Receiver<Vec<u8>>,
    full: &crossbeam_channel::Sender<(u64, Vec<u8>, [u8; 20])>,
) -> Result<()> {
    let mut header = [0u8; PIECE_HEADER];
    let mut offset = 0u64;
    while offset < len {
        let this = usize::try_from((len - offset).min(piece_len as u64))?;
        let mut piece = free.recv()?;
        piece.resize(this, 0);
        let mut sha1 = Sha1Stream::default();
        for block in piece.chunks_mut(BLOCK) {
            stream.read_exact(&mut header)?;
            stream.read_exact(block)?;
            sha1.update(block);
        }
        full.send((offset, piece, sha1.finish()))?;
        offset += this as u64;
    }
    Ok(())
}
