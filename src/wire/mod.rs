//! The peer wire protocol (BEP 3): handshake, messages, framing, bitfield.
//!
//! Pure formats: nothing here touches a socket except through `Read`, so
//! every byte layout is tested without a network (see `peer` for the
//! connection itself).

pub mod bitfield;
pub mod frame;
pub mod handshake;
pub mod message;
