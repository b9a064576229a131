//! Serving the info dictionary (BEP 9 `ut_metadata`) on one connection.
//!
//! A peer that came from a magnet link asks for the metadata in 16 KiB
//! pieces, each a `request` under our local id for `ut_metadata`. We
//! answer every request, in order, at once, from `PeerContext::metadata`:
//! - `data` with the piece's exact bytes, when we have the metadata and
//!   the piece exists, and the peer's budget allows;
//! - `reject` otherwise: no metadata, a piece out of range, or over the
//!   budget (BEP 9 allows rejecting as flood protection).
//!
//! The budget is a token bucket per connection ([`MetadataBudget`]): a
//! burst of [`METADATA_BURST`] pieces, refilled at [`METADATA_PER_SEC`].
//! So the most a peer can make this thread write is about 1 MiB/s of
//! metadata, and a `request` (about 30 bytes) costs one `reject` (about
//! 30 bytes) beyond that.
//!
//! A peer that never gave `ut_metadata` an id in its `m` cannot be
//! answered (we would not know the id to send with): its requests are
//! skipped. `data` and `reject` sent to us are skipped too: the session
//! never asks (fetching is `metadata`'s, on its own threads). A payload
//! that is not a valid message drops the peer as misbehaving.

use super::Connection;
use crate::peer::Close;
use crate::wire::extended::Extension;
use crate::wire::message::Message;
use crate::wire::ut_metadata::{MetadataMsg, MetadataSize};
use std::time::{Duration, Instant};

/// Pieces a peer may have at once: 2 MiB, enough for the info dictionary
/// of any torrent but a huge one in one go (a 2 GiB torrent of 256 KiB
/// pieces has a 164 KB dictionary: 11 pieces).
pub const METADATA_BURST: u32 = 128;

/// Pieces a second after the burst: 1 MiB/s, so even a 10 MiB dictionary
/// goes out in seconds, while a peer asking in a loop is held to a rate
/// no larger than what one block upload costs.
pub const METADATA_PER_SEC: u32 = 64;

/// A token bucket of metadata pieces.
#[derive(Debug)]
pub(crate) struct MetadataBudget {
    tokens: u32,
    /// When tokens were last added (fractions of a token carry over).
    refilled: Instant,
}

impl MetadataBudget {
    pub(crate) fn new(now: Instant) -> MetadataBudget {
        MetadataBudget {
            tokens: METADATA_BURST,
            refilled: now,
        }
    }

    /// Takes one piece's worth if there is one.
    pub(crate) fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.refilled);
        let earned = elapsed.as_millis() * u128::from(METADATA_PER_SEC) / 1000;
        if earned > 0 {
            let earned = u32::try_from(earned).unwrap_or(u32::MAX);
            self.tokens = self.tokens.saturating_add(earned).min(METADATA_BURST);
            // Keep the fraction: advance by exactly what the tokens cost.
            let cost =
                Duration::from_millis(u64::from(earned) * 1000 / u64::from(METADATA_PER_SEC));
            self.refilled = if self.tokens == METADATA_BURST {
                now
            } else {
                self.refilled + cost
            };
        }
        if self.tokens == 0 {
            return false;
        }
        self.tokens -= 1;
        true
    }
}

impl Connection<'_> {
    /// One `ut_metadata` message from the peer.
    pub(super) fn ut_metadata(&mut self, payload: &[u8]) -> Result<(), Close> {
        let msg = MetadataMsg::parse(payload).map_err(|e| Close::misbehaved(e.to_string()))?;
        let MetadataMsg::Request { piece } = msg else {
            return Ok(()); // data, reject or unknown: not asked for here
        };
        let Some(their_id) = self.ext_ids.get(Extension::UtMetadata) else {
            return Ok(()); // no id to answer with
        };
        let answer = self.metadata_answer(piece);
        self.send(&Message::Extended {
            id: their_id,
            payload: answer,
        })
    }

    /// The payload answering a request for `piece`: data or reject.
    fn metadata_answer(&mut self, piece: u32) -> Vec<u8> {
        let ctx = self.ctx;
        let found = ctx.metadata.as_deref().and_then(|all| {
            let size = MetadataSize::new(u32::try_from(all.len()).ok()?)?;
            let data = all.get(size.piece_range(piece)?)?;
            Some((size, data))
        });
        match found {
            Some((size, data)) if self.metadata_budget.take(Instant::now()) => MetadataMsg::Data {
                piece,
                total_size: size.get(),
                data,
            }
            .encode(),
            _ => MetadataMsg::Reject { piece }.encode(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_a_burst_then_a_rate() {
        let t0 = Instant::now();
        let mut b = MetadataBudget::new(t0);
        let granted = (0..METADATA_BURST + 10).filter(|_| b.take(t0)).count();
        assert_eq!(granted, METADATA_BURST as usize, "the burst, then nothing");
        // (time since start, pieces granted by then in all, asking a lot)
        let table = [(10, 0), (15, 0), (16, 1), (500, 32), (1000, 64), (1001, 64)];
        let mut total = 0;
        for (ms, want) in table {
            let now = t0 + Duration::from_millis(ms);
            total += (0..1000).filter(|_| b.take(now)).count();
            assert_eq!(total, want, "at {ms} ms");
        }
        // A long pause refills only up to the burst.
        let later = t0 + Duration::from_secs(3600);
        let granted = (0..1000).filter(|_| b.take(later)).count();
        assert_eq!(granted, METADATA_BURST as usize);
    }
}
