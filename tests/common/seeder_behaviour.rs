//! What a fake seeder does: which pieces it has, how it tells, how it misbehaves.
//!
//! Build one from [`Behaviour::normal`] and combine the builder methods:
//! `Behaviour::normal().only_pieces(&[0, 2]).corrupt_piece(2).haves_instead_of_bitfield()`.

use std::time::Duration;

/// How a seeder tells the downloader which pieces it has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PieceAnnounce {
    /// A `bitfield` right after the handshake (the usual way).
    Bitfield,
    /// One `have` per piece right after the handshake, no bitfield.
    Haves,
    /// Nothing at first; `have` for every piece after this delay, or as
    /// soon as the downloader says `interested`, whichever comes first.
    HavesLater(Duration),
}

/// What a fake seeder does. Start from [`Behaviour::normal`] and combine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Behaviour {
    /// Pieces it has; `None` means all of them.
    pub pieces: Option<Vec<u32>>,
    /// Pieces whose data it sends with every byte inverted (hash fails).
    pub corrupt: Vec<u32>,
    /// Close the connection after sending this many blocks on it.
    pub disconnect_after_blocks: Option<u32>,
    /// Accept `interested` but never unchoke.
    pub never_unchoke: bool,
    /// How it announces its pieces.
    pub announce: PieceAnnounce,
    /// Sets BEP 10's bit and sends an extended handshake with this `reqq`.
    pub reqq: Option<u32>,
    /// Holds requests until the downloader pauses (one poll interval),
    /// then serves them all: requests in flight pile up where it can
    /// count them (`SeederStats::max_held`).
    pub hold_requests: bool,
    /// With `hold_requests`: serves each batch last request first, so
    /// later pieces complete before earlier ones.
    pub reverse_held: bool,
    /// Sets BEP 6's Fast bit; when the downloader sets it too, announces
    /// a full set as `have all` instead of a bitfield.
    pub fast: bool,
    /// With Fast negotiated: answers every request with `reject request`.
    pub reject_all: bool,
    /// Unchokes, then reads every request and answers none (a peer that
    /// bitsy snubs after `SNUB_TIMEOUT`).
    pub ignore_requests: bool,
    /// Speaks BEP 11: offers `ut_pex` in its extended handshake, and sends
    /// these payloads as `ut_pex` messages, back to back, as soon as the
    /// downloader's extended handshake arrives (under the id it gave, or
    /// under bitsy's local id 2 if it offered none: a pushy peer).
    pub pex_send: Option<Vec<Vec<u8>>>,
}

impl Behaviour {
    /// Has everything, sends a bitfield, unchokes on interest, serves all.
    pub fn normal() -> Behaviour {
        Behaviour {
            pieces: None,
            corrupt: Vec::new(),
            disconnect_after_blocks: None,
            never_unchoke: false,
            announce: PieceAnnounce::Bitfield,
            reqq: None,
            hold_requests: false,
            reverse_held: false,
            fast: false,
            reject_all: false,
            ignore_requests: false,
            pex_send: None,
        }
    }
    /// Speaks BEP 6 (a full set goes out as `have all`).
    pub fn fast(mut self) -> Behaviour {
        self.fast = true;
        self
    }
    /// Speaks BEP 6 and rejects every request it gets.
    pub fn rejects_everything(mut self) -> Behaviour {
        self.fast = true;
        self.reject_all = true;
        self
    }
    /// Unchokes but never answers a request.
    pub fn ignores_requests(mut self) -> Behaviour {
        self.ignore_requests = true;
        self
    }
    /// Speaks BEP 11 and sends these `ut_pex` payloads at once.
    pub fn pex(mut self, payloads: Vec<Vec<u8>>) -> Behaviour {
        self.pex_send = Some(payloads);
        self
    }
    /// Has only these pieces.
    pub fn only_pieces(mut self, pieces: &[u32]) -> Behaviour {
        self.pieces = Some(pieces.to_vec());
        self
    }
    /// Sends corrupt data for this piece.
    pub fn corrupt_piece(mut self, piece: u32) -> Behaviour {
        self.corrupt.push(piece);
        self
    }
    /// Closes each connection after `blocks` blocks (mid-piece if the
    /// piece has more blocks).
    pub fn disconnect_after_blocks(mut self, blocks: u32) -> Behaviour {
        self.disconnect_after_blocks = Some(blocks);
        self
    }
    /// Never unchokes.
    pub fn never_unchoke(mut self) -> Behaviour {
        self.never_unchoke = true;
        self
    }
    /// Speaks BEP 10 and says it queues `reqq` requests.
    pub fn reqq(mut self, reqq: u32) -> Behaviour {
        self.reqq = Some(reqq);
        self
    }
    /// Serves requests in batches, when the downloader pauses.
    pub fn hold_requests(mut self) -> Behaviour {
        self.hold_requests = true;
        self
    }
    /// Serves requests in batches, when the downloader pauses, each
    /// batch last request first: pieces complete out of order.
    pub fn serve_reversed(mut self) -> Behaviour {
        self.hold_requests = true;
        self.reverse_held = true;
        self
    }
    /// Sends `have` messages instead of a bitfield.
    pub fn haves_instead_of_bitfield(mut self) -> Behaviour {
        self.announce = PieceAnnounce::Haves;
        self
    }
    /// Sends nothing about its pieces until `delay` passes or the
    /// downloader says `interested`; then one `have` per piece.
    pub fn haves_later(mut self, delay: Duration) -> Behaviour {
        self.announce = PieceAnnounce::HavesLater(delay);
        self
    }
}
