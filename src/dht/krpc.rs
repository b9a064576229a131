//! KRPC (BEP 5, "KRPC Protocol" and "DHT Queries"): the DHT's messages,
//! one bencoded dictionary per UDP datagram.
//!
//! ```text
//!  query     d 1:a d <arguments> e  1:q <method>  1:t <tid>  1:y 1:q  e
//!  response  d 1:r d <values> e                   1:t <tid>  1:y 1:r  e
//!  error     d 1:e l i<code>e <message> e         1:t <tid>  1:y 1:e  e
//!
//!  method         arguments (besides `id`, the sender's node id)   response values
//!  ping           -                                               id
//!  find_node      target                                          id, nodes
//!  get_peers      info_hash                                       id, token, values | nodes
//!  announce_peer  info_hash, port, token, implied_port (0/1)      id
//!
//!  nodes   compact node info, 26 bytes each: <id: 20><ip: 4><port: u16 BE>
//!  values  a list of compact peers, 6 bytes each: <ip: 4><port: u16 BE>
//! ```
//!
//! `t`, the transaction id, is chosen by the querying node and echoed in
//! the answer; a response says nothing of which query it answers, so
//! [`Response`] holds every value any query can return and the caller,
//! who knows what it asked under that `t`, reads the ones it expects.
//!
//! Every datagram is untrusted: [`Message::decode`] refuses one longer
//! than [`MAX_PACKET`], nested or long beyond [`KRPC_LIMITS`], or missing
//! a key its kind requires, and bounds every variable part (transaction
//! id, token, nodes, values). Contacts nobody can reach (port 0, an
//! unspecified, broadcast or multicast address) are skipped. Unknown
//! keys (`v`, BEP 42's `ip`) are ignored. A read-only node (BEP 43) says
//! so with `ro: 1` in its queries.
//!
//! What it deliberately does not do: IPv6 (`nodes6`, BEP 32; see
//! DESIGN.md), match responses to queries (`transactions.rs`), or decide
//! what to answer (`server.rs`).

use super::contact::{self, COMPACT_PEER_LEN, Contact, compact_nodes, compact_peer};
use super::node_id::NodeId;
use crate::bencode::{self, BencodeError, Encoder, Limits, Value};
use std::fmt;
use std::net::SocketAddrV4;

/// Longest datagram read as a message. Real ones fit an Ethernet frame
/// (libtorrent keeps its answers under 1,500 bytes); a longer one is
/// refused before it is decoded.
pub const MAX_PACKET: usize = 2048;

/// Bounds for the bencode decoder: a message is a dictionary holding a
/// dictionary holding at most a list (depth 3; 8 leaves room for clients'
/// extra keys), and [`MAX_PACKET`] bytes hold at most ~512 tokens.
pub const KRPC_LIMITS: Limits = Limits {
    max_depth: 8,
    max_tokens: 1024,
};

/// Longest transaction id accepted (BEP 5: "typically 2 characters").
pub const MAX_TID_LEN: usize = 16;
/// Longest token accepted (BEP 5's example is 8 bytes).
pub const MAX_TOKEN_LEN: usize = 64;
/// Most peers read from `values`.
pub const MAX_VALUES: usize = 200;

/// BEP 5 error codes.
pub const ERROR_GENERIC: i64 = 201;
pub const ERROR_SERVER: i64 = 202;
/// "Protocol Error, such as a malformed packet, invalid arguments, or
/// bad token."
pub const ERROR_PROTOCOL: i64 = 203;
pub const ERROR_METHOD_UNKNOWN: i64 = 204;

/// One KRPC message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The transaction id (`t`), at most [`MAX_TID_LEN`] bytes.
    pub tid: Vec<u8>,
    pub body: Body,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    Query(Query),
    Response(Response),
    Error { code: i64, message: String },
}

/// A query (`y` = `q`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The querying node's id (`a.id`).
    pub sender: NodeId,
    pub method: Method,
    /// BEP 43: the sender answers no queries, so it must not be added to
    /// a routing table.
    pub read_only: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    Ping,
    FindNode {
        target: NodeId,
    },
    GetPeers {
        info_hash: NodeId,
    },
    AnnouncePeer {
        info_hash: NodeId,
        /// The `port` argument (checked to be 1..=65535), whatever
        /// `implied_port` says; the receiver decides which to use.
        port: u16,
        implied_port: bool,
        token: Vec<u8>,
    },
    /// A method this node does not know: answered with error 204.
    Unknown,
}

/// A response (`y` = `r`): every value any query returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The responding node's id (`r.id`); required.
    pub sender: NodeId,
    /// `nodes`, at most [`MAX_NODES`].
    pub nodes: Vec<Contact>,
    /// `values`, at most [`MAX_VALUES`].
    pub values: Vec<SocketAddrV4>,
    /// `token`, from `get_peers`.
    pub token: Option<Vec<u8>>,
}

/// Why a datagram is not a KRPC message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    TooLong(usize),
    Bencode(BencodeError),
    /// A required key is missing, or holds the wrong type or size.
    Bad(&'static str),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::TooLong(n) => write!(f, "datagram of {n} bytes, limit {MAX_PACKET}"),
            DecodeError::Bencode(e) => write!(f, "not bencode: {e}"),
            DecodeError::Bad(what) => write!(f, "bad KRPC message: {what}"),
        }
    }
}

impl std::error::Error for DecodeError {}

impl Message {
    /// Parses one datagram.
    pub fn decode(packet: &[u8]) -> Result<Message, DecodeError> {
        if packet.len() > MAX_PACKET {
            return Err(DecodeError::TooLong(packet.len()));
        }
        let root = bencode::decode(packet, KRPC_LIMITS).map_err(DecodeError::Bencode)?;
        let tid = root
            .get(b"t")
            .and_then(Value::as_bytes)
            .filter(|t| t.len() <= MAX_TID_LEN)
            .ok_or(DecodeError::Bad("`t` missing or too long"))?
            .to_vec();
        let body = match root.get(b"y").and_then(Value::as_bytes) {
            Some(b"q") => Body::Query(decode_query(&root)?),
            Some(b"r") => Body::Response(decode_response(&root)?),
            Some(b"e") => decode_error(&root)?,
            _ => return Err(DecodeError::Bad("`y` is not q, r or e")),
        };
        Ok(Message { tid, body })
    }

    /// The datagram, keys in sorted order (BEP 3).
    pub fn encode(&self) -> Vec<u8> {
        let mut e = Encoder::new();
        e.dict();
        match &self.body {
            Body::Query(q) => {
                e.str("a");
                encode_arguments(&mut e, q);
                e.str("q").str(q.method.name());
                if q.read_only {
                    e.str("ro").int(1);
                }
                e.str("t").bytes(&self.tid).str("y").str("q");
            }
            Body::Response(r) => {
                e.str("r");
                encode_values(&mut e, r);
                e.str("t").bytes(&self.tid).str("y").str("r");
            }
            Body::Error { code, message } => {
                e.str("e").list().int(*code).str(message).end();
                e.str("t").bytes(&self.tid).str("y").str("e");
            }
        }
        e.end();
        e.finish()
    }
}

impl Method {
    /// The `q` value.
    pub fn name(&self) -> &'static str {
        match self {
            Method::Ping => "ping",
            Method::FindNode { .. } => "find_node",
            Method::GetPeers { .. } => "get_peers",
            Method::AnnouncePeer { .. } => "announce_peer",
            Method::Unknown => "unknown",
        }
    }
}

fn id_arg(dict: &Value<'_>, key: &[u8], what: &'static str) -> Result<NodeId, DecodeError> {
    dict.get(key)
        .and_then(Value::as_bytes)
        .and_then(NodeId::from_slice)
        .ok_or(DecodeError::Bad(what))
}

fn decode_query(root: &Value<'_>) -> Result<Query, DecodeError> {
    let args = root.get(b"a").filter(|a| a.as_dict().is_some());
    let args = args.ok_or(DecodeError::Bad("query without `a`"))?;
    let sender = id_arg(args, b"id", "query without a 20-byte `id`")?;
    let method = match root.get(b"q").and_then(Value::as_bytes) {
        Some(b"ping") => Method::Ping,
        Some(b"find_node") => Method::FindNode {
            target: id_arg(args, b"target", "find_node without a 20-byte `target`")?,
        },
        Some(b"get_peers") => Method::GetPeers {
            info_hash: id_arg(
                args,
                b"info_hash",
                "get_peers without a 20-byte `info_hash`",
            )?,
        },
        Some(b"announce_peer") => Method::AnnouncePeer {
            info_hash: id_arg(
                args,
                b"info_hash",
                "announce_peer without a 20-byte `info_hash`",
            )?,
            port: args
                .get(b"port")
                .and_then(Value::as_int)
                .and_then(|p| u16::try_from(p).ok())
                .filter(|p| *p != 0)
                .ok_or(DecodeError::Bad(
                    "announce_peer without a port in 1..=65535",
                ))?,
            implied_port: args.get(b"implied_port").and_then(Value::as_int) == Some(1),
            token: args
                .get(b"token")
                .and_then(Value::as_bytes)
                .filter(|t| t.len() <= MAX_TOKEN_LEN)
                .ok_or(DecodeError::Bad("announce_peer without a token"))?
                .to_vec(),
        },
        Some(_) => Method::Unknown,
        None => return Err(DecodeError::Bad("query without `q`")),
    };
    let read_only = root.get(b"ro").and_then(Value::as_int) == Some(1);
    Ok(Query {
        sender,
        method,
        read_only,
    })
}

fn decode_response(root: &Value<'_>) -> Result<Response, DecodeError> {
    let r = root.get(b"r").filter(|r| r.as_dict().is_some());
    let r = r.ok_or(DecodeError::Bad("response without `r`"))?;
    let sender = id_arg(r, b"id", "response without a 20-byte `id`")?;
    let nodes = match r.get(b"nodes") {
        None => Vec::new(),
        Some(v) => {
            let b = v
                .as_bytes()
                .ok_or(DecodeError::Bad("`nodes` is not a string"))?;
            compact_nodes(b)?
        }
    };
    let values = match r.get(b"values") {
        None => Vec::new(),
        Some(v) => {
            let list = v
                .as_list()
                .ok_or(DecodeError::Bad("`values` is not a list"))?;
            list.iter()
                .filter_map(|p| p.as_bytes().and_then(compact_peer))
                .take(MAX_VALUES)
                .collect()
        }
    };
    let token = match r.get(b"token") {
        None => None,
        Some(t) => Some(
            t.as_bytes()
                .filter(|t| t.len() <= MAX_TOKEN_LEN)
                .ok_or(DecodeError::Bad("`token` is not a short string"))?
                .to_vec(),
        ),
    };
    Ok(Response {
        sender,
        nodes,
        values,
        token,
    })
}

fn decode_error(root: &Value<'_>) -> Result<Body, DecodeError> {
    let list = root.get(b"e").and_then(Value::as_list);
    let list = list.ok_or(DecodeError::Bad("error without an `e` list"))?;
    let code = list.first().and_then(Value::as_int);
    let code = code.ok_or(DecodeError::Bad("error without a code"))?;
    let message = list.get(1).and_then(Value::as_bytes).unwrap_or_default();
    let message = String::from_utf8_lossy(&message[..message.len().min(200)]).into_owned();
    Ok(Body::Error { code, message })
}

fn encode_arguments(e: &mut Encoder, q: &Query) {
    e.dict().str("id").bytes(&q.sender.0);
    match &q.method {
        Method::Ping | Method::Unknown => {}
        Method::FindNode { target } => {
            e.str("target").bytes(&target.0);
        }
        Method::GetPeers { info_hash } => {
            e.str("info_hash").bytes(&info_hash.0);
        }
        Method::AnnouncePeer {
            info_hash,
            port,
            implied_port,
            token,
        } => {
            e.str("implied_port").int(i64::from(*implied_port));
            e.str("info_hash").bytes(&info_hash.0);
            e.str("port").int(i64::from(*port));
            e.str("token").bytes(token);
        }
    }
    e.end();
}

fn encode_values(e: &mut Encoder, r: &Response) {
    e.dict().str("id").bytes(&r.sender.0);
    if !r.nodes.is_empty() {
        e.str("nodes").bytes(&contact::encode_nodes(&r.nodes));
    }
    if let Some(token) = &r.token {
        e.str("token").bytes(token);
    }
    if !r.values.is_empty() {
        e.str("values").list();
        for v in &r.values {
            let mut peer = Vec::with_capacity(COMPACT_PEER_LEN);
            contact::encode_peer(&mut peer, v);
            e.bytes(&peer);
        }
        e.end();
    }
    e.end();
}

#[cfg(test)]
mod tests;
