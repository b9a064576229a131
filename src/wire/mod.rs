//! The peer wire protocol (BEP 3): handshake, messages, framing, bitfield.
//!
//! Pure formats: nothing here touches a socket except through `Read`, so
//! every byte layout is tested without a network (see `peer` for the
//! connection itself).

// In the order bytes arrive: the handshake, then length-prefixed messages
// (their layouts, then how frames are read off a socket), then the piece
// set that `bitfield` and `have` messages describe.
pub mod handshake;
pub mod message;
pub mod frame;
pub mod bitfield;
