//! Tracker back-off: how long to wait after announces that failed.
//!
//! One announce walks every tier in BEP 12 order (`tracker::tiers`): a URL
//! that fails falls through to the next URL and the next tier at once. Only
//! when *every* URL of every tier failed does the announce fail, and then
//! the whole list is retried after a delay that doubles with each failure
//! in a row: 2 s, 4 s, 8 s, … up to [`MAX_RETRY`] (5 minutes), reached
//! after nine failures (about 13 minutes of failing). An answer resets it.
//!
//! Why these numbers: a tracker that is down at start (restarting, a
//! network not yet up on a device that just booted) is often back within
//! seconds, so the first retries are quick (one small request each; with
//! the default `--stall-timeout` of 2 min bitsy asks 6 times before it
//! gives up: at 0, 2, 6, 14, 30 and 62 s); one that stays down should not
//! be hammered, so the delay grows. libtorrent starts at 5 s and doubles
//! up to an hour; bitsy caps at 5 minutes because its trackers are
//! usually its only source of peers (no DHT), and a long-running seed or
//! `--stall-timeout 0` download should notice a tracker's return soon.
//!
//! A refusal (`failure reason`) is backed off exactly like an unreachable
//! tracker. A refusal such as "unregistered torrent" can turn into an
//! answer moments later (a torrent just uploaded to a tracker, a private
//! tracker syncing its list), and the doubling already makes a refusing
//! tracker cost at most one request per 5 minutes after the first few.
//! (The tracker thread reports both the same way, as
//! `AnnounceOutcome::Failed`, so there is nothing to tell apart here.)
//!
//! What it does not do: decide when to give up. That is the stall rule in
//! `tick.rs` (no peer for `--stall-timeout`), which reads
//! [`Backoff::last_error`] to say why.

use std::time::Duration;

/// The wait after the first failed announce.
pub const FIRST_RETRY: Duration = Duration::from_secs(2);

/// The longest wait between two announces while every tracker fails.
pub const MAX_RETRY: Duration = Duration::from_secs(5 * 60);

/// Failed announces in a row and what the last one said.
#[derive(Debug, Default)]
pub(super) struct Backoff {
    /// Announces that failed since the last answer.
    failures: u32,
    /// The last failure's message, kept after an answer too (for the
    /// verbose "answered again" message); cleared by nothing.
    last_error: Option<String>,
}

/// What the session should say about a failure.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Say {
    /// The first failure in a row, or one with new words: always shown.
    Always,
    /// The same words again: only with `-v`.
    Verbose,
}

impl Backoff {
    /// Records a failed announce; returns how long to wait before the next
    /// one and whether the message is news.
    pub(super) fn failed(&mut self, message: &str) -> (Duration, Say) {
        let news = self.failures == 0 || self.last_error.as_deref() != Some(message);
        self.failures = self.failures.saturating_add(1);
        self.last_error = Some(message.to_string());
        let say = if news { Say::Always } else { Say::Verbose };
        (delay(self.failures), say)
    }

    /// Records an answer; returns the failures it ends (0 if none).
    pub(super) fn answered(&mut self) -> u32 {
        std::mem::take(&mut self.failures)
    }

    /// Failed announces since the last answer.
    pub(super) fn failures(&self) -> u32 {
        self.failures
    }

    /// What the last failed announce said, if one failed.
    pub(super) fn last_error(&self) -> Option<&str> {
        self.last_error.as_deref()
    }
}

/// The wait after `failures` failed announces in a row (`failures` ≥ 1):
/// [`FIRST_RETRY`] × 2^(failures − 1), at most [`MAX_RETRY`].
pub(super) fn delay(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(16); // 2 s × 2^16 ≫ cap
    FIRST_RETRY.saturating_mul(1u32 << doublings).min(MAX_RETRY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_doubles_up_to_the_cap() {
        let table: &[(u32, u64)] = &[
            (0, 2), // not called with 0, but harmless
            (1, 2),
            (2, 4),
            (3, 8),
            (4, 16),
            (5, 32),
            (6, 64),
            (7, 128),
            (8, 256),
            (9, 300), // 512 capped
            (40, 300),
            (u32::MAX, 300),
        ];
        for &(failures, secs) in table {
            assert_eq!(delay(failures), Duration::from_secs(secs), "{failures}");
        }
    }

    #[test]
    fn news_is_said_once_and_an_answer_resets() {
        let mut b = Backoff::default();
        // A failure's words and the wait and saying it gives; `None` is an
        // answer (which ends 4 failures in a row).
        let steps: &[Option<(&str, u64, Say)>] = &[
            Some(("refused", 2, Say::Always)),
            Some(("refused", 4, Say::Verbose)),
            Some(("HTTP 500", 8, Say::Always)),
            Some(("HTTP 500", 16, Say::Verbose)),
            None,
            Some(("HTTP 500", 2, Say::Always)),
        ];
        for (i, step) in steps.iter().enumerate() {
            match step {
                Some((message, secs, say)) => {
                    let (d, s) = b.failed(message);
                    assert_eq!((d, &s), (Duration::from_secs(*secs), say), "step {i}");
                }
                None => {
                    assert_eq!(b.answered(), 4, "step {i}");
                    assert_eq!(b.failures(), 0);
                }
            }
        }
        assert_eq!(b.last_error(), Some("HTTP 500"));
    }
}
