//! Serving the peer's queued requests from storage, a batch per turn of
//! the connection's loop.
//!
//! Part of `Connection` (see `connection.rs`). Each block is read from
//! storage straight into the outgoing buffer behind its `piece` header and
//! written at once; commands are looked at between blocks, so our `choke`
//! (which empties the queue) takes effect at once. The main thread hears
//! of the bytes once per batch.
//!
//! With `--max-upload-rate`, a block is served only while the main
//! thread's latest `UploadBudget` has bytes left (see
//! `session/rate_limit.rs`).
//!
//! What it deliberately does not do: decide what to serve (the queue in
//! `upload.rs` and the choke state do) or write several blocks at once
//! (a 16 KiB write is already large, and one buffer per peer stays small).

use super::super::SERVE_BATCH;
use super::Connection;
use crate::channels::PeerEventKind;
use crate::peer::Close;
use crate::wire::message::piece_header_into;

impl Connection<'_> {
    /// Serves up to `SERVE_BATCH` queued requests from storage, looking at
    /// commands between blocks so that a `Choke` (which empties the queue)
    /// takes effect at once, not after the batch.
    pub(super) fn serve(&mut self) -> Result<(), Close> {
        let mut sent = 0u32;
        let served = self.serve_batch(&mut sent);
        if sent > 0 {
            // One event per batch, not per block: the main thread only
            // adds it to the rates.
            self.emit(PeerEventKind::Uploaded { bytes: sent })?;
        }
        served
    }

    fn serve_batch(&mut self, sent: &mut u32) -> Result<(), Close> {
        for i in 0..SERVE_BATCH {
            if i > 0 {
                self.drain_commands()?;
            }
            if !self.may_serve() {
                return Ok(());
            }
            let Some(block) = self.uploads.pop() else {
                return Ok(());
            };
            let len = block.len as usize;
            self.out.clear();
            piece_header_into(&mut self.out, block.piece.get(), block.offset, len);
            let data_at = self.out.len();
            self.out.resize(data_at + len, 0);
            let data = self.out.get_mut(data_at..).unwrap_or_default();
            self.ctx.reader.read_block(block, data).map_err(|e| {
                Close::quiet(format!("reading piece {} to upload: {e}", block.piece))
            })?;
            self.trace_piece(block.piece.get(), block.offset, len);
            self.flush()?;
            *sent = sent.saturating_add(block.len);
            if let Some(budget) = &mut self.upload_budget {
                *budget = budget.saturating_sub(u64::from(block.len));
            }
        }
        Ok(())
    }

    /// Requests are queued and the upload limit (if any) leaves budget
    /// for one more block. Without budget the thread waits in its read
    /// as when idle, until the main thread's next `UploadBudget`.
    pub(super) fn may_serve(&self) -> bool {
        !self.uploads.is_empty() && self.upload_budget != Some(0)
    }
}
