//! The JSON layout of each event: the fields after `v`, `event`, `t`.
//!
//! Part of `event_stream`; every field named here is part of schema
//! version 1 (README.md, "Events for scripts"): a field may be added,
//! never removed, renamed or given another meaning.

use super::{Direction, Event, SCHEMA_VERSION, TrackerResult};
use crate::json::Object;
use crate::metainfo::to_hex;
use std::time::Duration;

impl Event {
    /// The event as one line of JSON (without the newline), `t` after the
    /// start.
    pub fn line(&self, t: Duration) -> String {
        let head = Object::new()
            .uint("v", SCHEMA_VERSION)
            .str("event", self.name())
            .seconds("t", t);
        self.fields(head).finish()
    }

    /// Appends the event's own fields.
    fn fields(&self, o: Object) -> Object {
        match self {
            Event::Start { command, source } => o
                .str("version", env!("CARGO_PKG_VERSION"))
                .str("command", command)
                .str("source", source),
            Event::Metadata {
                info_hash,
                name,
                size,
                piece_length,
                pieces,
                files,
            } => o
                .str("info_hash", &to_hex(info_hash))
                .str("name", name)
                .uint("size", *size)
                .uint("piece_length", *piece_length)
                .uint("pieces", u64::from(*pieces))
                .objects(
                    "files",
                    files
                        .iter()
                        .map(|f| Object::new().str("path", &f.path).uint("size", f.size)),
                ),
            Event::Tracker { url, outcome } => {
                let o = o.opt_str("url", url.as_deref());
                match outcome {
                    TrackerResult::Ok {
                        peers,
                        interval,
                        seeders,
                        leechers,
                    } => o
                        .bool("ok", true)
                        .uint("peers", *peers as u64)
                        .uint("interval", interval.as_secs())
                        .opt_uint("seeders", seeders.map(u64::from))
                        .opt_uint("leechers", leechers.map(u64::from)),
                    TrackerResult::Failed { error } => o.bool("ok", false).str("error", error),
                }
            }
            Event::PeerConnected {
                addr,
                direction,
                source,
            } => o
                .str("addr", &addr.to_string())
                .str(
                    "direction",
                    match direction {
                        Direction::In => "in",
                        Direction::Out => "out",
                    },
                )
                .opt_str("source", *source),
            Event::PeerClosed {
                addr,
                reason,
                connected,
                misbehaved,
            } => o
                .str("addr", &addr.to_string())
                .str("reason", reason)
                .bool("connected", *connected)
                .bool("misbehaved", *misbehaved),
            Event::Progress(status) => o
                .uint("have", status.have)
                .uint("total", status.size)
                .uint("wanted", status.total)
                .uint("down_rate", rate(status.down_rate))
                .uint("up_rate", rate(status.up_rate))
                .uint("uploaded", status.uploaded)
                .uint("peers", status.peers as u64)
                .bool("seeding", status.seeding),
            Event::HashFailed { piece, from } => o
                .uint("piece", u64::from(*piece))
                .strs("from", from.iter().map(String::as_str)),
            Event::Stall { cause, text } => o.str("cause", cause).str("text", text),
            Event::Done {
                downloaded,
                uploaded,
                reused,
                seconds,
                download_seconds,
            } => {
                let o = o
                    .uint("downloaded", *downloaded)
                    .uint("uploaded", *uploaded)
                    .uint("reused", *reused)
                    .seconds("seconds", *seconds);
                match download_seconds {
                    Some(d) => o.seconds("download_seconds", *d),
                    None => o.null("download_seconds"),
                }
            }
            Event::Error { message, exit_code } => o
                .str("message", message)
                .uint("exit_code", u64::from(*exit_code)),
        }
    }
}

/// A rate in whole bytes a second (a rate is never negative or NaN; if
/// one were, it would be written 0).
fn rate(bytes_per_second: f64) -> u64 {
    if bytes_per_second.is_finite() && bytes_per_second > 0.0 {
        bytes_per_second.round() as u64
    } else {
        0
    }
}
