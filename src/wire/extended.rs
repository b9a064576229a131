//! The extension protocol (BEP 10): the extensions bitsy knows by name,
//! the ones it advertises, and the ids one peer asked us to use.
//!
//! ```text
//!  <len: u32 BE> <20: extended> <extended id: u8> <payload>
//! ```
//!
//! Both sides set bit 0x10 of reserved byte 5 in the BEP 3 handshake
//! (`handshake`); then each sends an extended handshake, extended id 0
//! (`ext_handshake`). Every other extended id is chosen by the side that
//! *receives* it: each handshake's `m` dictionary maps extension names to
//! the ids its sender wants to receive them under. So:
//! - the ids we receive are ours, fixed for every peer
//!   ([`Extension::local_id`]), so a receiver can match on constants;
//! - the ids we send are the peer's, different from peer to peer, kept per
//!   connection in [`PeerIds`]. A later handshake changes only the names it
//!   lists (BEP 10: `m` is additive), and id 0 turns an extension off.
//!
//! Invariants: local ids are distinct and never 0 (0 is the handshake);
//! [`PeerIds`] holds an id only for an extension the peer enabled.
//!
//! What it deliberately does not do: implement an extension. BEP 9
//! (`ut_metadata`) and BEP 11 (`ut_pex`) are named here so their ids are
//! fixed; [`ADVERTISED`] lists only those implemented (advertising a name
//! obliges us to answer its messages): `ut_metadata` (`wire::ut_metadata`,
//! served by the peer thread) and `ut_pex` (`wire::ut_pex`); and
//! [`Extension::allowed`] takes `ut_pex` out for a private torrent (BEP 27).

/// Extended id 0: the extended handshake.
pub const HANDSHAKE_ID: u8 = 0;

/// An extension bitsy knows by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Extension {
    /// BEP 9: fetching the info dictionary from peers (magnet links).
    UtMetadata,
    /// BEP 11: peer exchange.
    UtPex,
}

/// The names bitsy puts in its `m` dictionary: those it implements
/// (less those a torrent does not allow, see [`Extension::allowed`]).
pub const ADVERTISED: &[Extension] = &[Extension::UtMetadata, Extension::UtPex];

impl Extension {
    /// Every extension bitsy knows, in `m`'s (sorted) key order.
    pub const ALL: [Extension; 2] = [Extension::UtMetadata, Extension::UtPex];

    /// Its name in `m` (case sensitive, BEP 10).
    pub fn name(self) -> &'static str {
        match self {
            Extension::UtMetadata => "ut_metadata",
            Extension::UtPex => "ut_pex",
        }
    }

    /// The id a peer uses to send it to us. BEP 10 lets each client pick
    /// its own; constants, so received messages are matched by value.
    pub fn local_id(self) -> u8 {
        match self {
            Extension::UtMetadata => 1,
            Extension::UtPex => 2,
        }
    }

    /// The extension named `name`; `None` for names we do not know
    /// (BEP 10: ignored).
    pub fn from_name(name: &[u8]) -> Option<Extension> {
        Self::ALL.into_iter().find(|e| e.name().as_bytes() == name)
    }

    /// May a torrent use it? BEP 27: a private torrent learns peers only
    /// from its tracker, so it neither sends nor takes `ut_pex`.
    pub fn allowed(self, private: bool) -> bool {
        !(private && self == Extension::UtPex)
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The ids one peer wants to receive our extension messages under, from
/// its `m` dictionaries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeerIds {
    /// By [`Extension`]; 0 means the peer does not take it.
    ids: [u8; Extension::ALL.len()],
}

impl PeerIds {
    /// Applies one handshake's `m` entries: each sets its extension's id,
    /// 0 turns it off, and extensions not listed keep theirs.
    pub fn apply(&mut self, m: &[(Extension, u8)]) {
        for (ext, id) in m {
            self.ids[ext.index()] = *id;
        }
    }

    /// The id to send `ext` with, if the peer takes it.
    pub fn get(&self, ext: Extension) -> Option<u8> {
        Some(self.ids[ext.index()]).filter(|id| *id != HANDSHAKE_ID)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_local_ids() {
        let table = [
            (Extension::UtMetadata, "ut_metadata", 1),
            (Extension::UtPex, "ut_pex", 2),
        ];
        for (ext, name, id) in table {
            assert_eq!(ext.name(), name);
            assert_eq!(ext.local_id(), id);
            assert_eq!(Extension::from_name(name.as_bytes()), Some(ext));
        }
        // Case sensitive, and unknown names are not ours.
        for other in [&b"UT_PEX"[..], b"ut_pe", b"lt_donthave", b""] {
            assert_eq!(Extension::from_name(other), None);
        }
        let mut sorted = Extension::ALL;
        sorted.sort_by_key(|e| e.name());
        assert_eq!(sorted, Extension::ALL, "ALL is in m's key order");
    }

    #[test]
    fn private_torrents_do_not_exchange_peers() {
        // (extension, private) -> allowed
        let table = [
            (Extension::UtPex, false, true),
            (Extension::UtPex, true, false),
            (Extension::UtMetadata, false, true),
            (Extension::UtMetadata, true, true),
        ];
        for (ext, private, want) in table {
            assert_eq!(ext.allowed(private), want, "{ext:?} private={private}");
        }
        assert!(ADVERTISED.contains(&Extension::UtPex));
    }

    #[test]
    fn a_later_m_changes_only_what_it_lists() {
        use Extension::{UtMetadata, UtPex};
        let mut ids = PeerIds::default();
        assert_eq!((ids.get(UtMetadata), ids.get(UtPex)), (None, None));
        ids.apply(&[(UtMetadata, 3), (UtPex, 1)]);
        assert_eq!((ids.get(UtMetadata), ids.get(UtPex)), (Some(3), Some(1)));
        // BEP 10's example: turn one off, leave the other alone.
        ids.apply(&[(UtMetadata, 0)]);
        assert_eq!((ids.get(UtMetadata), ids.get(UtPex)), (None, Some(1)));
        ids.apply(&[(UtPex, 7)]);
        assert_eq!(ids.get(UtPex), Some(7));
        ids.apply(&[]);
        assert_eq!((ids.get(UtMetadata), ids.get(UtPex)), (None, Some(7)));
    }
}
