//! Peer exchange (BEP 11) on one connection: what gets through to the
//! session, and our messages out.
//!
//! Received `ut_pex` messages pass the [`PexGate`]: the first at once,
//! then one per [`PEX_MIN_GAP`] (BEP 11 peers send one a minute; the gap
//! is a little shorter so a peer whose timer runs early is not
//! punished). A message that comes sooner is ignored; more than
//! [`MAX_EARLY`] of them in a row is a flood, and the peer is dropped as
//! misbehaving. A message that breaks BEP 11's format (see `wire::ut_pex`)
//! drops the peer too, as a bad extended handshake does; one that arrives
//! too early is not even decoded.
//!
//! For a private torrent (BEP 27) nothing gets through and nothing goes
//! out: `ut_pex` is then not in our `m`, and a peer sending it anyway is
//! skipped like any extension we did not offer.
//!
//! What it deliberately does not do: decide which addresses to tell or
//! to try (the session does; this thread only encodes and checks).

use super::Connection;
use crate::channels::PeerEventKind;
use crate::peer::Close;
use crate::wire::extended::Extension;
use crate::wire::message::Message;
use crate::wire::ut_pex::PexMessage;
use std::time::{Duration, Instant};

/// The shortest gap between two `ut_pex` messages we act on. BEP 11
/// peers send one a minute; 50 s leaves room for timer jitter.
pub const PEX_MIN_GAP: Duration = Duration::from_secs(50);

/// Too-early messages tolerated in a row before the peer is dropped. An
/// honest peer sends none, or one after a reconnect race; a peer sending
/// a dozen is trying to fill our candidate list.
pub const MAX_EARLY: u32 = 5;

/// What to do with one received `ut_pex` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admit {
    /// Decode it and tell the session.
    Accept,
    /// Too soon after the last one: drop it unread.
    Ignore,
    /// Too many too soon: drop the peer.
    Flood,
}

/// The per-connection rate limit on received `ut_pex` messages.
#[derive(Debug, Default)]
pub(crate) struct PexGate {
    /// When the last accepted message arrived.
    last: Option<Instant>,
    /// Messages ignored since then.
    early: u32,
}

impl PexGate {
    /// Judges a message arriving at `now`.
    pub(crate) fn admit(&mut self, now: Instant) -> Admit {
        match self.last {
            Some(t) if now.saturating_duration_since(t) < PEX_MIN_GAP => {
                self.early += 1;
                if self.early > MAX_EARLY {
                    Admit::Flood
                } else {
                    Admit::Ignore
                }
            }
            _ => {
                self.last = Some(now);
                self.early = 0;
                Admit::Accept
            }
        }
    }
}

impl Connection<'_> {
    /// True when `ut_pex` may be used on this torrent at all.
    pub(super) fn pex_allowed(&self) -> bool {
        Extension::UtPex.allowed(self.ctx.private)
    }

    /// One `ut_pex` message from the peer (only called when allowed).
    pub(super) fn received_pex(&mut self, payload: &[u8]) -> Result<(), Close> {
        match self.pex_gate.admit(Instant::now()) {
            Admit::Ignore => Ok(()),
            Admit::Flood => Err(Close::misbehaved(format!(
                "more than {MAX_EARLY} ut_pex messages less than {} s apart",
                PEX_MIN_GAP.as_secs()
            ))),
            Admit::Accept => {
                let msg =
                    PexMessage::decode(payload).map_err(|e| Close::misbehaved(e.to_string()))?;
                self.emit(PeerEventKind::Pex(msg))
            }
        }
    }

    /// Sends our `ut_pex` message, if the peer takes them.
    pub(super) fn send_pex(&mut self, msg: &PexMessage) -> Result<(), Close> {
        match self.ext_ids.get(Extension::UtPex) {
            Some(id) if self.pex_allowed() => self.send(&Message::Extended {
                id,
                payload: msg.encode(),
            }),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_a_minute_and_floods_are_caught() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut gate = PexGate::default();
        // (seconds after t0, verdict)
        let table = [
            (0, Admit::Accept),
            (1, Admit::Ignore),
            (49, Admit::Ignore),
            (50, Admit::Accept), // the gap counts from the last accepted one
            (60, Admit::Ignore),
            (61, Admit::Ignore),
            (62, Admit::Ignore),
            (63, Admit::Ignore),
            (64, Admit::Ignore), // MAX_EARLY ignored in a row
            (65, Admit::Flood),
        ];
        for (at, want) in table {
            assert_eq!(gate.admit(t0 + s(at)), want, "at {at} s");
        }
        // Early ones do not add up across accepted ones.
        let mut gate = PexGate::default();
        for round in 0..10u64 {
            assert_eq!(gate.admit(t0 + s(round * 50)), Admit::Accept);
            for i in 0..MAX_EARLY {
                let at = t0 + s(round * 50 + 1 + u64::from(i));
                assert_eq!(gate.admit(at), Admit::Ignore);
            }
        }
    }
}
