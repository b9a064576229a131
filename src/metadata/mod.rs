//! The metadata fetch (BEP 9): before a magnet link's download starts,
//! get its info dictionary from peers and check it like a .torrent.
//!
//! ```text
//!   tracker thread ◀──▶ coordinator (the caller's thread) ◀── FetchEvent ── fetch thread 1..N
//!   (announces,           owns: addresses, the assembly,     ── FetchCommand ▶ (one per peer,
//!    tracker::spawn)      which peer asks for which piece         fetch_peer.rs)
//! ```
//!
//! [`fetch`] runs the phase and returns a checked [`Metainfo`]:
//! 1. Peers come from the magnet's `x.pe` addresses (dialled first) and
//!    its trackers (`tracker::spawn`, announcing `started` with a
//!    nonzero [`UNKNOWN_LEFT`]: the size is unknown, and a tracker takes
//!    `left=0` for a seeder, which gets no seeders back).
//! 2. Up to `max_peers` threads at once, one per peer (`fetch_peer`):
//!    BEP 3 handshake with BEP 10's bit, extended handshakes, then
//!    `request`s for the pieces the coordinator assigns, at most
//!    [`PER_PEER_IN_FLIGHT`] at a time.
//! 3. The coordinator assembles pieces (`assembly`) for the size the
//!    first peer offered; peers offering another size wait, and take
//!    over if the first size's peers are gone or lied. A rejected piece
//!    goes to another peer (the rejecting one pauses [`REJECT_PAUSE`]),
//!    as does one unanswered for [`PIECE_TIMEOUT`] (that peer is dropped).
//! 4. The whole must hash to the infohash. If not, it is discarded and
//!    every peer that sent a piece of it is dropped and banned (BEP 9
//!    cannot say which one lied), and the fetch goes on with the others.
//! 5. The bytes go through `Metainfo::from_info_bytes`, the checks a
//!    .torrent gets: a dictionary that hashes right but is unsafe (a
//!    `..` path, say) is refused as a bad torrent (`Error::Torrent`, exit
//!    3) and nothing is created. `trackers` is set to the magnet's tiers.
//!
//! It ends with an error on Ctrl-C (`Error::Interrupted`), or when for
//! `stall_timeout` no peer offered metadata and no piece came: like the
//! session, `Error::Tracker` if every announce failed and no peer came,
//! else `Error::NoPeers`. With no usable tracker and no `x.pe` it fails
//! at once.
//!
//! Every connection is closed when the phase ends (each thread sees its
//! command channel drop within `peer::TICK`); the session then dials the
//! swarm again with the torrent known. Reusing the sockets would save a
//! round trip but mix two phases' state in one thread; not worth it.
//!
//! Peers also come from a DHT node (BEP 5) of the phase's own, unless
//! `--no-dht`: a magnet link with neither tracker nor `x.pe` then still
//! works. The node saves its table when the phase ends; the session's
//! node starts from it.
//!
//! Deliberately not here: the magnet link itself (`magnet`), serving metadata (`peer::connection::ut_metadata`), saving a .torrent.

mod addresses;
mod assembly;
mod coordinator;
mod fetch_peer;

use crate::dht::DhtSettings;
use crate::error::Result;
use crate::ids::{InfoHash, PeerId};
use crate::metainfo::Metainfo;
use crate::progress::Progress;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

pub use fetch_peer::MAX_BITFIELD_LEN;

/// The `left` we announce while the size is unknown: one metadata piece,
/// any nonzero number would do (see the module docs).
pub const UNKNOWN_LEFT: u64 = 16 * 1024;

/// Pieces asked of one peer at a time: enough to hide a round trip on a
/// 640-piece (10 MiB) dictionary, few enough that a slow peer holds
/// little that others must wait for.
pub const PER_PEER_IN_FLIGHT: usize = 4;

/// How long a piece may stay unanswered before another peer gets it and
/// the silent one is dropped. A 16 KiB answer takes well under a second;
/// 10 s allows a congested link.
pub const PIECE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a peer that rejected a piece is left alone, so another peer
/// gets it first (BEP 9 lets a peer reject to limit its load).
pub const REJECT_PAUSE: Duration = Duration::from_secs(2);

/// The coordinator's heartbeat: status line, Ctrl-C, timeouts.
pub const TICK: Duration = Duration::from_millis(250);

/// Re-announce this often while short of peers (trackers' own interval
/// is 30 min or so; a fetch is done in seconds or not at all).
pub const REANNOUNCE_GAP: Duration = Duration::from_secs(30);

/// What the metadata fetch needs to know (from the magnet link and the
/// command line).
#[derive(Debug, Clone)]
pub struct FetchRequest {
    /// The `xt=urn:btih:` infohash: what the dictionary must hash to.
    pub info_hash: InfoHash,
    /// Announce tiers, one per magnet `tr`.
    pub trackers: Vec<Vec<String>>,
    /// Peers to dial first, the magnet's `x.pe`.
    pub peers: Vec<SocketAddr>,
    pub our_id: PeerId,
    /// For the announce and our extended handshake's `p`.
    pub listen_port: u16,
    /// Connections at once (at least one is used).
    pub max_peers: usize,
    /// Give up after this long without progress; `None` waits forever.
    pub stall_timeout: Option<Duration>,
    /// The address our listener binds (the DHT node binds the same).
    pub bind: IpAddr,
    /// A DHT node finds peers too (BEP 5); `None` with `--no-dht`.
    pub dht: Option<DhtSettings>,
    /// `--trace`: peer, tracker and DHT messages, one line each on stderr.
    pub trace: crate::trace::Trace,
}

/// Fetches and checks the info dictionary named by `req.info_hash`. The
/// status line shows "fetching metadata: asked N peers" and the pieces.
pub fn fetch(req: &FetchRequest, stop: &AtomicBool, progress: &mut Progress) -> Result<Metainfo> {
    coordinator::Coordinator::new(req, progress)?.run(stop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frame_limit_fits_the_largest_bitfield() {
        // 10 MiB of 20-byte hashes is 524,288 pieces: a 65,536-byte bitfield.
        assert_eq!(MAX_BITFIELD_LEN, 65_536);
        let frame = crate::wire::frame::max_frame_len(MAX_BITFIELD_LEN);
        assert_eq!(frame, 65_536 + 1 + crate::wire::frame::UNKNOWN_SLACK);
        assert!(frame < 1 << 20, "a 1 MiB message is refused");
    }
}
