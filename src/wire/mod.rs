//! The peer wire protocol (BEP 3): handshake, messages, bitfield.

pub mod bitfield;
