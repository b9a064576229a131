//! `--trace` on one connection: a line for each message in and out.
//!
//! Part of `Connection` (see `connection.rs`). Messages are traced where
//! they are decoded (`read`) and where they are encoded (`send`; a served
//! block in `serve`, whose `piece` is built in place). The describing is
//! `trace::wire`'s; this file only knows what the connection knows: the
//! peer's address, the torrent's piece count, and which extension an
//! extended id stands for (ours coming in, the peer's going out).
//!
//! Off, each call is one branch: nothing is looked up or formatted.

use super::Connection;
use crate::trace::{Dir, wire};
use crate::wire::extended::Extension;
use crate::wire::message::Message;
use std::fmt;
use std::net::SocketAddr;

impl Connection<'_> {
    pub(super) fn trace_message(&self, dir: Dir, msg: &Message) {
        self.ctx.trace.line(dir, Peer(self.addr), || {
            let ext = match msg {
                Message::Extended { id, .. } => self.extension(dir, *id),
                _ => None,
            };
            wire::message(msg, Some(self.ctx.geometry.num_pieces()), ext)
        });
    }

    /// A served block's `piece`, summarised (its bytes are not decoded).
    pub(super) fn trace_piece(&self, index: u32, begin: u32, len: usize) {
        self.ctx
            .trace
            .line(Dir::Out, Peer(self.addr), || wire::piece(index, begin, len));
    }

    /// The extension an extended id means in this direction.
    fn extension(&self, dir: Dir, id: u8) -> Option<Extension> {
        Extension::ALL.into_iter().find(|e| match dir {
            Dir::In => e.local_id() == id,
            Dir::Out | Dir::Note => self.ext_ids.get(*e) == Some(id),
        })
    }
}

/// The peer's address, or `peer` if the socket could not say.
struct Peer(Option<SocketAddr>);

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(addr) => addr.fmt(f),
            None => f.write_str("peer"),
        }
    }
}
