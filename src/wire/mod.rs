//! The peer wire protocol (BEP 3): handshake, messages, framing, bitfield;
//! and the extension protocol (BEP 10) on top of it.
//!
//! Pure formats: nothing here touches a socket except through `Read`, so
//! every byte layout is tested without a network (see `peer` for the
//! connection itself).

// In the order bytes arrive: the handshake, then length-prefixed messages
// (their layouts, then how frames are read off a socket), then the piece
// set that `bitfield` and `have` messages describe; then BEP 10's
// extended messages, their handshake, and the extensions on top (BEP 9's
// metadata, BEP 11's peer exchange). BEP 6's messages and its allowed-fast
// set follow the messages they extend.
pub mod handshake;
pub mod message;
pub mod fast;
pub mod allowed_fast;
pub mod frame;
pub mod bitfield;
pub mod extended;
pub mod ext_handshake;
pub mod ut_metadata;
pub mod ut_pex;
