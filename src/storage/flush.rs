//! The flusher: a thread that pushes verified pieces from the page cache
//! to the disk while the download goes on.
//!
//! A piece write (`pwrite`) only copies the piece into the kernel's page
//! cache; the kernel writes it to the disk when its dirty-page limits say
//! so. On a machine with a lot of RAM that can be never, until the final
//! `fsync` at the end of the download has to wait for all of it: 0.48 s
//! of a 2 s, 1 GiB download between two bitsy on loopback (DESIGN.md,
//! "Speed and memory"). Asking for the writeback each time
//! [`FLUSH_EVERY`] bytes have been written overlaps it with the download,
//! keeps the dirty pages few on a small machine, and means a power cut
//! loses at most the last few MiB of verified data.
//!
//! Invariants:
//! - The main thread never waits for the disk here. It collects the files
//!   written since the last flush and hands them over only when the
//!   thread can take them (a queue of one); while the thread is busy it
//!   keeps collecting.
//! - An error from the disk (an I/O error, or a full disk found only at
//!   writeback time because ext4 allocates late) comes back to the main
//!   thread, which stops as it does for a failed write. Linux reports such
//!   an error once per open file, so it must not be lost here.
//! - [`Flusher::finish`], and dropping the flusher, end and join its
//!   thread.
//!
//! - With a resume file (a download), each batch handed over carries the
//!   pieces written before it (and those found good at the start); once
//!   every file of the batch is synced, the thread saves them as the
//!   resume state (`resume.rs`). Batches are synced in order, so a piece
//!   is listed only after an `fsync` that covers it has completed; after
//!   a failed sync nothing more is saved. [`Flusher::save`] saves the
//!   whole set after the final sync.
//!
//! What it deliberately does not do: order writes (an `fsync` is not a
//! barrier between pieces), or run for read-only storage (nothing is
//! written there). The final flush when the download completes stays
//! [`super::Storage::sync`].

use super::{Inner, PathError};
use crate::geometry::PieceIndex;
use crate::wire::bitfield::Bitfield;
use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};
use std::collections::BTreeSet;
use std::io;
use std::sync::Arc;
use std::thread::{self, JoinHandle};

/// How many bytes of verified pieces are written before their files are
/// flushed. Small enough that the last flush is quick and a small
/// machine never holds many dirty pages; large enough that the `fsync`
/// calls cost nothing next to the copies.
pub const FLUSH_EVERY: u64 = 32 * 1024 * 1024;

/// Overrides [`FLUSH_EVERY`] (bytes, from [`MIN_FLUSH_EVERY`] to
/// [`MAX_FLUSH_EVERY`]; anything else is ignored). For tests: the kill -9
/// test of the resume state (tests/resume.rs) needs many flushes, and
/// thus many saved states, in a download of a few MiB.
pub const FLUSH_EVERY_VAR: &str = "BITSY_FLUSH_EVERY";

/// The least [`FLUSH_EVERY_VAR`] may ask for: one block.
const MIN_FLUSH_EVERY: u64 = 16 * 1024;

/// The most [`FLUSH_EVERY_VAR`] may ask for: past this, dirty pages pile
/// up on a small machine.
const MAX_FLUSH_EVERY: u64 = 1024 * 1024 * 1024;

/// [`FLUSH_EVERY`], or what [`FLUSH_EVERY_VAR`] says when it is valid.
fn flush_every() -> u64 {
    std::env::var(FLUSH_EVERY_VAR)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|n| (MIN_FLUSH_EVERY..=MAX_FLUSH_EVERY).contains(n))
        .unwrap_or(FLUSH_EVERY)
}

/// The thread needs no more than the hasher's: it only calls `fsync`.
const STACK_SIZE: usize = 64 * 1024;

/// Flushes one file (by its index in the layout): `Storage`'s files in
/// bitsy, a recording fake in the tests.
type SyncFn = dyn Fn(usize) -> Result<(), PathError> + Send + Sync;

/// Saves the resume state listing the given pieces, after their files
/// were synced (errors are dropped: the old state stays true).
type SaveFn = dyn Fn(&Bitfield) + Send + Sync;

/// One hand-over to the thread: files to sync, then the pieces to save
/// as durable once they are (`None`: no resume file).
struct Batch {
    files: Vec<usize>,
    durable: Option<Bitfield>,
}

/// The main thread's end: what was written since the last flush, and the
/// thread (started at the first flush).
pub(crate) struct Flusher {
    storage: Arc<Inner>,
    sync: Arc<SyncFn>,
    save: Arc<SaveFn>,
    pub(super) every: u64,
    /// Pieces written (or found good at the start), boundary pieces left
    /// out; `None` when the storage has no resume file.
    written: Option<Bitfield>,
    /// Bytes written since the files in `dirty` were last handed over.
    unflushed: u64,
    pub(super) dirty: BTreeSet<usize>,
    thread: Option<Running>,
}

struct Running {
    files: Sender<Batch>,
    errors: Receiver<PathError>,
    handle: JoinHandle<()>,
}

impl Flusher {
    pub(super) fn new(storage: Arc<Inner>, have: &Bitfield) -> Flusher {
        let inner = storage.clone();
        let sync = Arc::new(move |file: usize| {
            let disk = inner.disk(file)?;
            if !disk.exists() {
                return Ok(());
            }
            // A file system that cannot sync (EINVAL) has nothing to flush.
            disk.with_file(true, |f| match f.sync_data() {
                Err(e) if e.kind() == io::ErrorKind::InvalidInput => Ok(()),
                other => other,
            })
        });
        let inner = storage.clone();
        let save = Arc::new(move |durable: &Bitfield| {
            let _ = inner.save_resume(durable);
        });
        let mut f = Flusher::with(storage, sync, flush_every());
        f.save = save;
        f.found_at_start(have);
        f
    }

    fn with(storage: Arc<Inner>, sync: Arc<SyncFn>, every: u64) -> Flusher {
        let written = (storage.writable && storage.resume.is_some())
            .then(|| Bitfield::new(storage.layout.geometry().num_pieces()));
        Flusher {
            storage,
            sync,
            save: Arc::new(|_: &Bitfield| {}),
            every,
            written,
            unflushed: 0,
            dirty: BTreeSet::new(),
            thread: None,
        }
    }

    /// The pieces found good at the start: written, not known to be
    /// flushed (a crash may have left them in the page cache only), so
    /// their files join the next batch.
    fn found_at_start(&mut self, have: &Bitfield) {
        if self.written.is_none() {
            return;
        }
        let g = self.storage.layout.geometry();
        for piece in have.iter_raw().filter_map(|i| g.piece(i)) {
            self.note(piece);
        }
    }

    /// Marks `piece`'s files dirty and the piece written; returns its
    /// bytes in files this storage writes.
    fn note(&mut self, piece: PieceIndex) -> u64 {
        let mut bytes = 0;
        for span in self.storage.layout.piece_spans(piece) {
            if !span.pad && self.storage.chosen(span.file) {
                self.dirty.insert(span.file);
                bytes += span.buf.len() as u64;
            }
        }
        if let Some(w) = &mut self.written
            && !self.storage.is_boundary(piece)
        {
            w.set(piece);
        }
        bytes
    }

    /// Saves every piece written as the resume state: call after the final
    /// sync ([`super::Storage::sync`]) and [`Flusher::finish`]. With none,
    /// an old state is removed and nothing is created (a download that
    /// got nothing leaves the disk as it was). A no-op without a resume
    /// file.
    pub(crate) fn save(&self) -> io::Result<()> {
        match &self.written {
            Some(w) if w.is_empty() => self.storage.forget_resume(),
            Some(w) => self.storage.save_resume(w),
            None => Ok(()),
        }
    }

    /// Notes that `piece` was written, and hands the files written since
    /// the last flush to the thread once [`FLUSH_EVERY`] bytes wait and it
    /// is free. Returns an error the thread met on an earlier flush.
    pub(crate) fn wrote(&mut self, piece: PieceIndex) -> Result<(), PathError> {
        self.check()?;
        if !self.storage.writable {
            return Ok(());
        }
        self.unflushed += self.note(piece);
        if self.unflushed < self.every {
            return Ok(());
        }
        let batch = Batch {
            files: self.dirty.iter().copied().collect(),
            durable: self.written.clone(),
        };
        match self.running() {
            // A thread cannot start (the process is at its limit): the
            // kernel's own writeback and the final sync still happen.
            None => self.unflushed = 0,
            Some(running) => match running.files.try_send(batch) {
                Ok(()) => {
                    self.dirty.clear();
                    self.unflushed = 0;
                }
                // Busy with the previous flush: hand these over later.
                Err(TrySendError::Full(_)) => {}
                Err(TrySendError::Disconnected(_)) => self.thread = None,
            },
        }
        Ok(())
    }

    /// The first error the thread met, if it has not been returned yet.
    pub(crate) fn check(&self) -> Result<(), PathError> {
        match self.thread.as_ref().map(|r| r.errors.try_recv()) {
            Some(Ok(e)) => Err(e),
            _ => Ok(()),
        }
    }

    /// Waits for the flush under way, if any, and returns the error the
    /// thread met, if it has not been returned yet. Called before the
    /// final sync, which would not see an error the thread already had.
    pub(crate) fn finish(&mut self) -> Result<(), PathError> {
        let Some(Running {
            files,
            errors,
            handle,
        }) = self.thread.take()
        else {
            return Ok(());
        };
        drop(files);
        let _ = handle.join();
        match errors.try_recv() {
            Ok(e) => Err(e),
            Err(_) => Ok(()),
        }
    }

    fn running(&mut self) -> Option<&Running> {
        if self.thread.is_none() {
            let (files_tx, files_rx) = bounded::<Batch>(1);
            let (errors_tx, errors_rx) = bounded(1);
            let sync = self.sync.clone();
            let save = self.save.clone();
            let spawned = thread::Builder::new()
                .name("flusher".into())
                .stack_size(STACK_SIZE)
                .spawn(move || {
                    let mut failed = false;
                    for batch in files_rx {
                        for file in batch.files {
                            if let Err(e) = sync(file) {
                                // One error is enough to stop the download.
                                let _ = errors_tx.try_send(e);
                                failed = true;
                            }
                        }
                        match batch.durable {
                            Some(durable) if !failed => save(&durable),
                            _ => {}
                        }
                    }
                });
            self.thread = spawned.ok().map(|handle| Running {
                files: files_tx,
                errors: errors_rx,
                handle,
            });
        }
        self.thread.as_ref()
    }
}

impl Drop for Flusher {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

#[cfg(test)]
mod tests;
