//! The hasher: a small pool of threads that check whole pieces against
//! their SHA-1, so the thread that owns the pieces never waits on it.
//!
//! ```text
//!            Job (piece, bytes, expected hash)
//!   owner ──▶ [bounded queue] ──▶ hasher thread 1 … N ──┐
//!     ▲                                                 │
//!     └──── [bounded queue] ◀── Verdict (piece, bytes, good)
//! ```
//!
//! The owner is the session's main thread during a download, or the one
//! thread that reads pieces for a resume check or `bitsy verify`.
//!
//! The contract:
//! - A job's bytes come back in its verdict, so the owner (the only
//!   writer) writes exactly the bytes that were checked. Nothing is copied.
//! - Verdicts arrive in the order the threads finish, not the order jobs
//!   went in; the piece index says which piece a verdict is about.
//! - [`Hasher::submit`] never blocks. The queue holds [`Hasher::capacity`]
//!   jobs; the owner keeps no more than that outstanding (the session by
//!   its partial-piece budget, the resume check by waiting for a verdict),
//!   and a submit past it is refused rather than waited on.
//! - Every job gets one answer: its verdict, or, if the thread hashing it
//!   panicked, [`HasherError::Panicked`] naming the piece (a guard sends
//!   it while the thread unwinds, like a peer thread's last `Closed`).
//!   When no thread is left, receiving says [`HasherError::Stopped`]. So
//!   an owner waiting for verdicts gets an error, never a hang.
//! - Dropping the `Hasher` closes the job queue, reads and drops verdicts
//!   nobody will read (a thread may be blocked handing one back), and
//!   joins every thread: no thread outlives it.
//!
//! What it deliberately does not do: decide anything about a bad piece
//! (the session blames and fetches it again), touch the disk, hash small
//! things (an info dictionary or a 16 KiB block is hashed where it is,
//! with [`crate::hash::sha1`]), or put verdicts back in piece order.

use crate::geometry::PieceIndex;
use crate::hash::{self, SHA1_LEN};
use crossbeam_channel::{Receiver, RecvError, Sender, TrySendError, bounded};
use std::fmt;
use std::io;
use std::sync::Arc;
use std::thread::{self, JoinHandle};

/// The most hashing threads. With SHA-NI one thread hashes about
/// 2 GB/s, more than any link bitsy downloads from; on the small ARM
/// boards bitsy targets (no SHA-1 instructions used, about 10× slower)
/// four cores are all there is, and peers and the main thread need some.
pub const MAX_THREADS: usize = 4;

/// Stack for a hashing thread: SHA-1 needs a few hundred bytes of it,
/// and 64 KiB leaves room for the panic machinery.
const STACK_SIZE: usize = 64 * 1024;

/// How many hashing threads this machine gets: one per core the process
/// may use, at least 1 and at most [`MAX_THREADS`].
pub fn threads_for_this_machine() -> usize {
    thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, MAX_THREADS)
}

/// A piece to check.
#[derive(Debug)]
pub struct Job {
    pub piece: PieceIndex,
    /// The whole piece.
    pub data: Vec<u8>,
    /// Its SHA-1 from the torrent.
    pub expected: [u8; SHA1_LEN],
}

/// What the check of one piece found.
#[derive(Debug, PartialEq, Eq)]
pub struct Verdict {
    pub piece: PieceIndex,
    /// The job's bytes, unchanged.
    pub data: Vec<u8>,
    /// The SHA-1 of `data` is the expected one.
    pub good: bool,
}

/// What a hashing thread hands back; open it with [`Hasher::open`].
/// (Opaque so that the only way to a [`Verdict`] goes past the panic check.)
#[derive(Debug)]
pub struct Report(Answer);

#[derive(Debug)]
enum Answer {
    Done(Verdict),
    /// The thread hashing this piece panicked; its bytes are gone.
    Lost(PieceIndex),
}

/// Why no verdict can be had. Both end the owner's job: a verdict is lost.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HasherError {
    /// A hashing thread panicked while hashing this piece.
    Panicked(PieceIndex),
    /// Every hashing thread has ended (each panicked, or the pool was shut).
    Stopped,
    /// A job was submitted while the queue held `capacity` jobs already:
    /// the owner did not keep its bound.
    Full { capacity: usize },
}

impl fmt::Display for HasherError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HasherError::Panicked(p) => {
                write!(f, "a hashing thread panicked while hashing piece {p}")
            }
            HasherError::Stopped => f.write_str("the hashing threads have stopped"),
            HasherError::Full { capacity } => write!(
                f,
                "the hash queue is full ({capacity} pieces): more pieces were \
                 sent to be hashed than the memory budget allows"
            ),
        }
    }
}

impl std::error::Error for HasherError {}

impl From<HasherError> for io::Error {
    fn from(e: HasherError) -> io::Error {
        io::Error::other(e)
    }
}

/// The function a hashing thread runs (a seam for tests: see `tests.rs`).
type HashFn = Arc<dyn Fn(&[u8]) -> [u8; SHA1_LEN] + Send + Sync>;

/// The pool. Owned by one thread; see the module docs for the contract.
pub struct Hasher {
    /// `None` once dropping has begun: the threads then end.
    jobs: Option<Sender<Job>>,
    verdicts: Receiver<Report>,
    threads: Vec<JoinHandle<()>>,
    capacity: usize,
}

impl Hasher {
    /// Starts `threads` hashing threads (at least 1) behind a queue of
    /// `capacity` jobs (at least 1).
    pub fn start(threads: usize, capacity: usize) -> io::Result<Hasher> {
        Hasher::with_fn(threads, capacity, Arc::new(hash::sha1))
    }

    pub(crate) fn with_fn(threads: usize, capacity: usize, hash: HashFn) -> io::Result<Hasher> {
        let capacity = capacity.max(1);
        let (jobs_tx, jobs_rx) = bounded::<Job>(capacity);
        let (reports_tx, reports_rx) = bounded::<Report>(capacity);
        let mut pool = Hasher {
            jobs: Some(jobs_tx),
            verdicts: reports_rx,
            threads: Vec::new(),
            capacity,
        };
        for i in 0..threads.max(1) {
            let (jobs, reports, hash) = (jobs_rx.clone(), reports_tx.clone(), hash.clone());
            // On failure `pool` is dropped, which ends the threads started.
            let t = thread::Builder::new()
                .name(format!("hasher-{i}"))
                .stack_size(STACK_SIZE)
                .spawn(move || work(&jobs, &reports, &*hash))?;
            pool.threads.push(t);
        }
        Ok(pool)
    }

    /// Queues a piece to be checked, without waiting. Refused with
    /// [`HasherError::Full`] if [`Hasher::capacity`] jobs are queued, or
    /// [`HasherError::Stopped`] if no thread is left.
    pub fn submit(&self, job: Job) -> Result<(), HasherError> {
        let Some(jobs) = &self.jobs else {
            return Err(HasherError::Stopped);
        };
        jobs.try_send(job).map_err(|e| match e {
            TrySendError::Full(_) => HasherError::Full {
                capacity: self.capacity,
            },
            TrySendError::Disconnected(_) => HasherError::Stopped,
        })
    }

    /// The channel verdicts arrive on, to `select!` on beside others.
    /// Pass what it gives to [`Hasher::open`].
    pub fn verdicts(&self) -> &Receiver<Report> {
        &self.verdicts
    }

    /// A report received from [`Hasher::verdicts`], as a verdict or as the
    /// error it stands for.
    pub fn open(&self, received: Result<Report, RecvError>) -> Result<Verdict, HasherError> {
        match received {
            Ok(Report(Answer::Done(v))) => Ok(v),
            Ok(Report(Answer::Lost(piece))) => Err(HasherError::Panicked(piece)),
            Err(RecvError) => Err(HasherError::Stopped),
        }
    }

    /// Waits for the next verdict.
    pub fn recv(&self) -> Result<Verdict, HasherError> {
        self.open(self.verdicts.recv())
    }

    /// How many jobs the queue holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many hashing threads there are.
    pub fn threads(&self) -> usize {
        self.threads.len()
    }
}

impl Drop for Hasher {
    fn drop(&mut self) {
        // Closing the queue ends each thread once the queue is empty.
        self.jobs = None;
        // A thread blocked handing back a verdict must get past it to see
        // that; this returns once every thread has dropped its sender.
        while self.verdicts.recv().is_ok() {}
        for t in self.threads.drain(..) {
            let _ = t.join(); // a panicked thread's payload: already reported
        }
    }
}

/// A hashing thread: jobs in, reports out, until the job queue closes or
/// nobody takes reports any more.
fn work(jobs: &Receiver<Job>, reports: &Sender<Report>, hash: &dyn Fn(&[u8]) -> [u8; SHA1_LEN]) {
    let mut watch = Watch {
        piece: None,
        reports,
    };
    for job in jobs {
        watch.piece = Some(job.piece);
        let good = hash(&job.data) == job.expected;
        watch.piece = None;
        let verdict = Verdict {
            piece: job.piece,
            data: job.data,
            good,
        };
        if reports.send(Report(Answer::Done(verdict))).is_err() {
            break;
        }
    }
}

/// Says which piece was lost if its thread unwinds while hashing it.
struct Watch<'a> {
    piece: Option<PieceIndex>,
    reports: &'a Sender<Report>,
}

impl Drop for Watch<'_> {
    fn drop(&mut self) {
        if let Some(piece) = self.piece.take() {
            let _ = self.reports.send(Report(Answer::Lost(piece)));
        }
    }
}

#[cfg(test)]
mod tests;
