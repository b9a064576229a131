//! bitsy: a small, synchronous BitTorrent client.
//!
//! (The thread and channel picture is filled in with the session.)

#![forbid(unsafe_code)]

pub mod bencode;
pub mod channels;
pub mod create;
pub mod error;
pub mod file_paths;
pub mod geometry;
pub mod metainfo;
pub mod peer;
pub mod picker;
// pub mod session; (joins at integration)
pub mod storage;
pub mod tracker;
pub mod tracker_server;
pub mod verify;
pub mod wire;
