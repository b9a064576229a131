//! Trace lines for the DHT (BEP 5): KRPC queries (`ping`, `find_node`,
//! `get_peers`, `announce_peer`), their responses, and errors.
//!
//! [`datagram`] decodes the bytes the DHT thread sent or received (again:
//! the node decodes them for use, the trace only for show) and returns
//! the text after the arrow and the other node's address: `query`,
//! `response` or `error`, the transaction id `t` that pairs an answer
//! with its query, the fields, then `(BEP 5: what it means)`. Node ids
//! are cut to their first [`ID_DIGITS`] hex digits (enough to tell nodes
//! apart in a trace); infohashes and lookup targets are shown whole.
//! Pure: no I/O, no clock.
//!
//! What it deliberately does not do: say which query a response answers
//! (a KRPC response does not say; the `t` values pair them for the eye).

use super::{Bytes, Hex};
use crate::dht::krpc::{
    Body, ERROR_GENERIC, ERROR_METHOD_UNKNOWN, ERROR_PROTOCOL, ERROR_SERVER, Message, Method,
};
use crate::dht::node_id::NodeId;
use std::fmt::Write;

/// Hex digits of a node id shown.
pub const ID_DIGITS: usize = 8;

/// Contacts and peers of a response shown by address; the rest counted.
pub const SHOWN: usize = 3;

/// One KRPC datagram as a line; one that is not KRPC says why.
pub fn datagram(bytes: &[u8]) -> String {
    match Message::decode(bytes) {
        Ok(m) => message(&m),
        Err(e) => format!(
            "not KRPC: {e} [{} bytes] (BEP 5: dropped unanswered)",
            bytes.len()
        ),
    }
}

/// One decoded KRPC message.
pub fn message(m: &Message) -> String {
    let t = Bytes(&m.tid);
    match &m.body {
        Body::Query(q) => {
            let ro = if q.read_only { " ro=1" } else { "" };
            let (args, means) = match &q.method {
                Method::Ping => (String::new(), "are you there?"),
                Method::FindNode { target } => (
                    format!(" target={}", Hex(&target.0)),
                    "which nodes do you know closest to target?",
                ),
                Method::GetPeers { info_hash } => (
                    format!(" info_hash={}", Hex(&info_hash.0)),
                    "who has this torrent? else, which nodes are closer to it?",
                ),
                Method::AnnouncePeer {
                    info_hash,
                    port,
                    implied_port,
                    token,
                } => (
                    format!(
                        " info_hash={} port={port} implied_port={} token=[{} bytes]",
                        Hex(&info_hash.0),
                        u8::from(*implied_port),
                        token.len()
                    ),
                    "I am a peer of this torrent; the token proves I asked you with get_peers",
                ),
                Method::Unknown => (String::new(), "a method bitsy does not know"),
            };
            format!(
                "query {} t={t} id={}{args}{ro} (BEP 5: {means})",
                q.method.name(),
                short(&q.sender)
            )
        }
        Body::Response(r) => {
            let mut s = format!("response t={t} id={}", short(&r.sender));
            if !r.nodes.is_empty() {
                let shown: Vec<String> = r
                    .nodes
                    .iter()
                    .take(SHOWN)
                    .map(|c| format!("{}@{}", short(&c.id), c.addr))
                    .collect();
                list(&mut s, "nodes", r.nodes.len(), &shown);
            }
            if !r.values.is_empty() {
                let shown: Vec<String> =
                    r.values.iter().take(SHOWN).map(|a| a.to_string()).collect();
                list(&mut s, "values", r.values.len(), &shown);
            }
            if let Some(token) = &r.token {
                let _ = write!(s, " token=[{} bytes]", token.len());
            }
            s.push_str(" (BEP 5: the answer to query t: nodes are closer nodes, values are peers)");
            s
        }
        Body::Error { code, message } => {
            let kind = match *code {
                ERROR_GENERIC => "generic error",
                ERROR_SERVER => "server error",
                ERROR_PROTOCOL => {
                    "protocol error: malformed packet, invalid arguments or bad token"
                }
                ERROR_METHOD_UNKNOWN => "method unknown",
                _ => "an error code BEP 5 does not list",
            };
            format!(
                "error t={t} code={code} message=\"{}\" (BEP 5: {kind})",
                super::printable(message)
            )
        }
    }
}

fn short(id: &NodeId) -> String {
    let mut hex = Hex(&id.0).to_string();
    hex.truncate(ID_DIGITS);
    hex + ".."
}

fn list(s: &mut String, name: &str, total: usize, shown: &[String]) {
    let more = total - shown.len();
    let _ = write!(s, " {name}={total} [{}", shown.join(", "));
    if more > 0 {
        let _ = write!(s, ", {more} more");
    }
    s.push(']');
}

#[cfg(test)]
mod tests;
