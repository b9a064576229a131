//! The extension protocol (BEP 10) on one connection: our extended
//! handshake, and what the peer's tell us.
//!
//! Ours goes out first thing when the peer set BEP 10's bit (see
//! `run_loop`). The peer's may come at any time and more than once,
//! whether or not it set the bit: each updates the peer's ids
//! (`PeerIds`, additive) and is forwarded as `PeerEventKind::Extended`.
//! One that is not a bounded bencoded dictionary drops this peer as
//! misbehaving; a bad field alone is ignored (see `wire::ext_handshake`).
//!
//! Other extended ids are ours (`Extension::local_id`): `ut_metadata`'s
//! go to `connection/ut_metadata.rs`, `ut_pex`'s to `connection/pex.rs`
//! when the torrent allows it; any other is an extension we did not
//! offer: skipped, like an unknown message.

use super::Connection;
use crate::channels::PeerEventKind;
use crate::peer::{Close, MAX_UPLOAD_QUEUE};
use crate::wire::ext_handshake::{ClientName, ExtHandshake};
use crate::wire::extended::{ADVERTISED, Extension, HANDSHAKE_ID};
use crate::wire::message::Message;

impl Connection<'_> {
    /// Sends our extended handshake.
    pub(super) fn send_ext_handshake(&mut self) -> Result<(), Close> {
        let ours = ExtHandshake {
            m: ADVERTISED
                .iter()
                .filter(|e| e.allowed(self.ctx.private))
                .map(|e| (*e, e.local_id()))
                .collect(),
            client: Some(ClientName::ours()),
            listen_port: Some(self.ctx.listen_port).filter(|p| *p != 0),
            // The peer may queue as many requests as we keep for it.
            reqq: u16::try_from(MAX_UPLOAD_QUEUE).ok(),
            yourip: self.stream.peer_addr().ok().map(|a| a.ip()),
            metadata_size: self
                .ctx
                .metadata
                .as_ref()
                .and_then(|m| u32::try_from(m.len()).ok()),
            ignored: Vec::new(),
        };
        self.send(&Message::Extended {
            id: HANDSHAKE_ID,
            payload: ours.encode(),
        })
    }

    /// One `extended` message from the peer.
    pub(super) fn extended(&mut self, id: u8, payload: &[u8]) -> Result<(), Close> {
        if id == Extension::UtMetadata.local_id() {
            return self.ut_metadata(payload);
        }
        if id == Extension::UtPex.local_id() && self.pex_allowed() {
            return self.received_pex(payload);
        }
        if id != HANDSHAKE_ID {
            return Ok(()); // an extension we did not advertise
        }
        let theirs = ExtHandshake::parse(payload).map_err(|e| Close::misbehaved(e.to_string()))?;
        self.ext_ids.apply(&theirs.m);
        self.emit(PeerEventKind::Extended {
            client: theirs.client,
            listen_port: theirs.listen_port,
            reqq: theirs.reqq,
            pex: self.ext_ids.get(Extension::UtPex).is_some() && self.pex_allowed(),
        })
    }
}
