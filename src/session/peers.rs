//! What the main thread knows about each peer, and about addresses it
//! could connect to.
//!
//! [`Peer`] is the main thread's record of one live connection (the peer
//! thread has its own, socket-side view). [`Candidates`] remembers every
//! address a tracker or peer exchange gave us, or that connected to us:
//! when to try it again, how often it sent bad data, and whether it is
//! banned.
//!
//! Invariants:
//! - A `Peer` keeps no list of its requests: the picker is their one
//!   record (`Picker::in_flight_of`, `Picker::release_all`).
//! - `Peer::useful` is the number of pieces the peer has and we lack; we
//!   are interested in the peer exactly when it is above zero.
//! - `Peer::reqq` is at least 1: `fill` never keeps more requests in
//!   flight to the peer than it said it queues.
//! - An address is banned for the rest of the run once it sent data for
//!   [`MAX_STRIKES`] pieces that failed their hash check, or broke the
//!   protocol.
//! - Addresses known from peer exchange alone (BEP 11) are at most
//!   [`MAX_PEX_ONLY`] of the [`MAX_KNOWN`], and one that fails before its
//!   handshake is forgotten, not retried: peers cannot fill the table
//!   with addresses nobody answers at.

use super::fast::PeerFast;
use super::pex::PexOut;
use crate::channels::PeerCommand;
use crate::rate::Rate;
use crate::wire::bitfield::Bitfield;
use crate::wire::ext_handshake::ClientName;
use crossbeam_channel::Sender;
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Pieces that fail their hash check with data from one address before
/// that address is dropped and banned. One bad piece can be bad luck (a
/// block from another peer in the same piece was the bad one); two is a
/// pattern.
pub const MAX_STRIKES: u32 = 2;

/// Wait before retrying an address after a connection ends; doubled after
/// each attempt that fails before the handshake, up to [`RETRY_MAX`].
/// An address is never given up for good: a peer that refused us (many
/// clients accept one connection per IP and may not yet have noticed our
/// last one closed) or was briefly down is tried again, for as long as
/// the tracker lists it. Whether the *download* gives up is decided by
/// time without a working peer (`--stall-timeout`), not by these counts.
pub const RETRY_BASE: Duration = Duration::from_secs(5);

/// The longest wait between two attempts at one address.
pub const RETRY_MAX: Duration = Duration::from_secs(80);

/// Requests a peer is assumed to queue until its extended handshake
/// (BEP 10) says otherwise in `reqq`: BEP 10 gives 250 as libtorrent's
/// default, and clients without the extension are older and smaller.
pub const DEFAULT_REQQ: usize = 250;

/// The main thread's record of one connection.
pub struct Peer {
    pub tx: Sender<PeerCommand>,
    pub addr: SocketAddr,
    /// The peer connected to us (its address is not a listening one).
    pub incoming: bool,
    /// The handshake completed.
    pub ready: bool,
    /// The peer's pieces.
    pub pieces: Bitfield,
    /// Pieces the peer has that we lack.
    pub useful: u32,
    pub am_interested: bool,
    pub peer_choking: bool,
    pub peer_interested: bool,
    pub am_choking: bool,
    /// When the last block arrived (or when requests were first sent).
    pub last_block: Instant,
    /// How many requests to keep in flight (see `session/pipeline.rs`).
    pub pipeline: usize,
    /// The most requests the peer queues (`reqq`, BEP 10); `pipeline`
    /// is capped by it.
    pub reqq: usize,
    /// The peer's client name (`v`, BEP 10), for the log.
    pub client: Option<ClientName>,
    /// The port the peer listens on (`p`, BEP 10), what PEX tells others.
    pub listen_port: Option<u16>,
    /// What peer exchange has told this peer (BEP 11).
    pub pex: PexOut,
    /// The peer stopped sending while holding requests: it gets one
    /// request at a time until it delivers again.
    pub snubbed: bool,
    pub down: Rate,
    pub up: Rate,
    /// When we last unchoked it (for the optimistic slot and rotation).
    pub unchoked_at: Option<Instant>,
    /// BEP 6: its allowed-fast pieces and its rejects.
    pub fast: PeerFast,
}

impl Peer {
    pub fn new(tx: Sender<PeerCommand>, addr: SocketAddr, incoming: bool, pieces: u32) -> Self {
        Peer {
            tx,
            addr,
            incoming,
            ready: false,
            pieces: Bitfield::new(pieces),
            useful: 0,
            am_interested: false,
            peer_choking: true,
            peer_interested: false,
            am_choking: true,
            last_block: Instant::now(),
            snubbed: false,
            pipeline: super::MIN_PIPELINE,
            reqq: DEFAULT_REQQ,
            client: None,
            listen_port: None,
            pex: PexOut::default(),
            down: Rate::default(),
            up: Rate::default(),
            unchoked_at: None,
            fast: PeerFast::new(pieces),
        }
    }

    /// Requests to keep in flight now: the pipeline, within the peer's
    /// `reqq`, and one while it is snubbed.
    pub fn request_target(&self) -> usize {
        if self.snubbed {
            1
        } else {
            self.pipeline.min(self.reqq)
        }
    }

    /// Sends a command; a closed channel means the thread is ending and
    /// its `Closed` event is on the way, so the error is ignored.
    pub fn send(&self, cmd: PeerCommand) {
        let _ = self.tx.send(cmd);
    }
}

#[derive(Debug, Default)]
struct Known {
    failures: u32,
    strikes: u32,
    banned: bool,
    connected: bool,
    queued: bool,
    next_try: Option<Instant>,
    /// Known from peer exchange only (a tracker never listed it).
    pex_only: bool,
    /// Who told us of it first.
    origin: Origin,
}

/// Where an address came from first (`--json` says it when the peer
/// connects).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Origin {
    #[default]
    Tracker,
    Dht,
    /// Peer exchange (BEP 11).
    Pex,
    /// A magnet link's `x.pe`, given before any source answered.
    Given,
}

impl Origin {
    /// Its name in the event stream.
    pub fn name(self) -> &'static str {
        match self {
            Origin::Tracker => "tracker",
            Origin::Dht => "dht",
            Origin::Pex => "pex",
            Origin::Given => "given",
        }
    }
}

/// Addresses we may connect to.
#[derive(Debug, Default)]
pub struct Candidates {
    known: HashMap<SocketAddr, Known>,
    queue: VecDeque<SocketAddr>,
    /// How many of `known` are `pex_only`.
    pex_only: usize,
}

/// How many addresses we remember at most: neither a tracker's lists nor
/// a stream of incoming connections can make us grow without bound. When
/// full, new addresses are neither recorded nor connected to, so nothing
/// new needs recording either.
pub const MAX_KNOWN: usize = 4096;

/// How many addresses known from peer exchange alone we remember: an
/// eighth of [`MAX_KNOWN`] (512, ten full BEP 11 messages), so the
/// tracker's addresses always keep seven eighths of the table.
pub const MAX_PEX_ONLY: usize = MAX_KNOWN / 8;

impl Candidates {
    /// An address from a tracker. Ignored when banned, connected, already
    /// waiting, or when we know too many.
    pub fn add(&mut self, addr: SocketAddr) {
        self.add_from(addr, Origin::Tracker);
    }

    /// An address from `origin` (other than peer exchange): as
    /// [`Candidates::add`].
    pub fn add_from(&mut self, addr: SocketAddr, origin: Origin) {
        let new = !self.known.contains_key(&addr);
        let Some(k) = self.entry(addr) else {
            return;
        };
        if new {
            k.origin = origin;
        }
        if std::mem::take(&mut k.pex_only) {
            self.pex_only -= 1; // a tracker lists it now
        }
        self.enqueue(addr);
    }

    /// An address from peer exchange: like [`Candidates::add`], but a new
    /// one is recorded only while fewer than [`MAX_PEX_ONLY`] are. True
    /// if it was queued.
    pub fn add_pex(&mut self, addr: SocketAddr) -> bool {
        if !self.known.contains_key(&addr) {
            if self.pex_only >= MAX_PEX_ONLY || self.known.len() >= MAX_KNOWN {
                return false;
            }
            let k = Known {
                pex_only: true,
                origin: Origin::Pex,
                ..Known::default()
            };
            self.known.insert(addr, k);
            self.pex_only += 1;
        }
        self.enqueue(addr)
    }

    /// Queues a known address unless banned, connected or already queued.
    fn enqueue(&mut self, addr: SocketAddr) -> bool {
        let Some(k) = self.known.get_mut(&addr) else {
            return false;
        };
        if k.banned || k.connected || k.queued {
            return false;
        }
        k.queued = true;
        self.queue.push_back(addr);
        true
    }

    /// A peer exchange `dropped` entry: forgets `addr` if only peer
    /// exchange told us of it and we have not tried it yet.
    pub fn forget_untried(&mut self, addr: SocketAddr) {
        if self
            .known
            .get(&addr)
            .is_some_and(|k| k.pex_only && !k.connected && k.next_try.is_none() && !k.banned)
        {
            self.forget(addr);
        }
    }

    /// Removes an address entirely (only `pex_only` ones are ever removed).
    fn forget(&mut self, addr: SocketAddr) {
        if let Some(k) = self.known.remove(&addr) {
            self.pex_only -= usize::from(k.pex_only);
            self.queue.retain(|a| *a != addr);
        }
    }

    /// The next address whose retry time has come.
    pub fn next(&mut self, now: Instant) -> Option<SocketAddr> {
        for _ in 0..self.queue.len() {
            let addr = self.queue.pop_front()?;
            let Some(k) = self.known.get_mut(&addr) else {
                continue;
            };
            if k.banned || k.connected {
                k.queued = false;
                continue;
            }
            if k.next_try.is_some_and(|t| t > now) {
                self.queue.push_back(addr);
                continue;
            }
            k.queued = false;
            k.connected = true;
            return Some(addr);
        }
        None
    }

    /// Where `addr` came from, if it is known.
    pub fn origin(&self, addr: &SocketAddr) -> Option<Origin> {
        self.known.get(addr).map(|k| k.origin)
    }

    /// True if some address is waiting (now or later).
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// How many addresses are waiting (now or later).
    pub fn waiting(&self) -> usize {
        self.queue.len()
    }

    /// The record of `addr`, made if there is room.
    fn entry(&mut self, addr: SocketAddr) -> Option<&mut Known> {
        if !self.known.contains_key(&addr) && self.known.len() >= MAX_KNOWN {
            return None;
        }
        Some(self.known.entry(addr).or_default())
    }

    /// May we keep an incoming connection from `addr`? Its address (an
    /// ephemeral port) is not recorded: nobody listens there, so it is
    /// never a candidate to connect to.
    pub fn accepts(&self, addr: &SocketAddr) -> bool {
        !self.known.get(addr).is_some_and(|k| k.banned)
    }

    /// Never connect to (or accept) `addr` again.
    pub fn ban(&mut self, addr: SocketAddr) {
        if let Some(k) = self.entry(addr) {
            k.banned = true;
        }
    }

    /// A connection ended. Addresses that never completed a handshake are
    /// retried later with a growing wait; ones that did go back in the
    /// queue for a later retry too (the peer may come back).
    pub fn disconnected(
        &mut self,
        addr: SocketAddr,
        was_ready: bool,
        misbehaved: bool,
        now: Instant,
    ) {
        let Some(k) = self.known.get_mut(&addr) else {
            return;
        };
        k.connected = false;
        if misbehaved {
            k.banned = true;
            return;
        }
        if k.pex_only && !was_ready {
            self.forget(addr); // a peer's word only, and nobody answered
            return;
        }
        if was_ready {
            k.failures = 0;
        } else {
            k.failures = k.failures.saturating_add(1);
        }
        let wait = (RETRY_BASE * 2u32.pow(k.failures.min(5))).min(RETRY_MAX);
        k.next_try = Some(now + wait);
        if !k.queued {
            k.queued = true;
            self.queue.push_back(addr);
        }
    }

    /// `addr` sent data for a piece that failed its hash check. Returns
    /// true when that makes it banned.
    pub fn strike(&mut self, addr: SocketAddr) -> bool {
        let Some(k) = self.entry(addr) else {
            return false;
        };
        k.strikes += 1;
        if k.strikes >= MAX_STRIKES {
            k.banned = true;
        }
        k.banned
    }
}

#[cfg(test)]
mod tests;
