//! One turn's read: how long it may wait, whether it may read at all,
//! and the messages it completes.
//!
//! Part of `Connection` (see `connection.rs`). The wait is the thread's
//! tick: `TICK` when idle, `ANSWER_TICK` right after messages went to the
//! main thread (its answer is due), none at all while the peer's requests
//! are queued with us and the upload budget (if any) has bytes left (a
//! socket timeout is rounded up to the kernel's tick, 4 ms at 250 Hz,
//! which would idle the upload). A thread that
//! expects blocks reads only while the block pool has a free buffer: the
//! pool is the budget of blocks in transit (see `block_pool`).
//!
//! What it deliberately does not do: act on messages (`message`, in
//! `connection.rs`) or write.

use super::super::{ANSWER_TICK, ANSWER_WAIT_LIMIT, TICK};
use super::Connection;
use crate::peer::Close;
use crate::trace::Dir;
use std::time::{Duration, Instant};

impl Connection<'_> {
    fn set_nonblocking(&self, on: bool) -> Result<(), Close> {
        self.stream
            .set_nonblocking(on)
            .map_err(|e| Close::io("setting the socket's blocking mode", &e))
    }

    /// One bounded read, then every complete frame it completed.
    pub(super) fn read(&mut self) -> Result<(), Close> {
        if self
            .answer_due
            .is_some_and(|t| t.elapsed() >= ANSWER_WAIT_LIMIT)
        {
            self.answer_due = None; // the main thread has nothing more to ask
        }
        let serving = self.may_serve();
        let timeout = if self.answer_due.is_some() {
            ANSWER_TICK
        } else {
            TICK
        };
        if !serving && timeout != self.read_timeout {
            self.stream
                .set_read_timeout(Some(timeout))
                .map_err(|e| Close::io("setting read timeout", &e))?;
            self.read_timeout = timeout;
        }
        if self.requests.is_empty() {
            // Nothing is coming (choked, or all answered): a held buffer
            // goes back, so idle peers never sit on the budget.
            if let Some(buf) = self.spare.take() {
                drop(self.ctx.blocks.wrap(buf));
            }
        } else if self.spare.is_none() && self.ctx.blocks.free() == 0 {
            // Every block buffer is on its way to the main thread: let it
            // catch up before reading more (the socket holds the rest, and
            // TCP slows the sender). See `block_pool`.
            self.spare = self.ctx.blocks.take(timeout);
            if self.spare.is_none() {
                return Ok(());
            }
        }
        let got = if serving {
            // Writes stay blocking (a full send buffer is the peer's
            // backpressure), so only this read is non-blocking.
            self.set_nonblocking(true)?;
            let got = super::super::read_some(&mut self.frames, &mut self.stream);
            self.set_nonblocking(false)?;
            got?
        } else {
            super::super::read_some(&mut self.frames, &mut self.stream)?
        };
        if !got {
            return Ok(());
        }
        self.last_read = Instant::now();
        let mut any = false;
        loop {
            let (pool, spare) = (&self.ctx.blocks, &mut self.spare);
            // The held buffer, else a free one, else (only if the peer
            // sends a block we did not wait for) a fresh one.
            let piece_buf = || {
                spare
                    .take()
                    .or_else(|| pool.take(Duration::ZERO))
                    .unwrap_or_default()
            };
            let Some(msg) = super::super::next_message(&mut self.frames, piece_buf)? else {
                break;
            };
            any = true;
            self.trace_message(Dir::In, &msg);
            self.message(msg)?;
        }
        if any {
            // What arrived (a block, a bitfield, an unchoke) usually has
            // the main thread answer at once: look for it soon.
            self.answer_due = Some(Instant::now());
        }
        Ok(())
    }
}
