//! BEP 15 numbers shared by the UDP tracker client (`tracker::udp`) and
//! server (`tracker_server::udp*`): the one owner of each.
//!
//! Every packet, both ways, is big-endian. Requests start with
//! `connection_id (8) | action (4) | transaction_id (4)`; answers with
//! `action (4) | transaction_id (4)`. The layouts themselves are drawn in
//! `tracker::udp_packet` (client side) and `tracker_server::udp_request` /
//! `udp_answer` (server side).
//!
//! Deliberately only constants: encoding and parsing differ per side (a
//! client writes requests and reads answers, a server the reverse).

/// The magic `connection_id` of a connect request: it marks a packet as
/// BEP 15 traffic.
pub const PROTOCOL_ID: u64 = 0x0417_2710_1980;

/// BEP 15 actions, in requests and answers alike.
pub const ACTION_CONNECT: u32 = 0;
pub const ACTION_ANNOUNCE: u32 = 1;
pub const ACTION_SCRAPE: u32 = 2;
/// Answers only: the rest of the packet is a text message.
pub const ACTION_ERROR: u32 = 3;

/// BEP 15 `event` numbers (not the order BEP 3 lists them in).
pub const EVENT_NONE: u32 = 0;
pub const EVENT_COMPLETED: u32 = 1;
pub const EVENT_STARTED: u32 = 2;
pub const EVENT_STOPPED: u32 = 3;
