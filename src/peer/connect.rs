//! Opening a connection: TCP connect, socket timeouts, and the handshake
//! exchange with its three checks.
//!
//! A handshake is refused when its protocol string is wrong, when it names
//! another torrent, or when its peer id is our own (the tracker gave us our
//! own address, and we dialled ourselves). All three mark the peer as
//! misbehaved so the session does not dial it again.
//!
//! The first byte is read alone: if it is not 19 the peer is starting an
//! encrypted (MSE) handshake, which we do not speak. That ends the
//! connection without marking the peer as misbehaved (it often retries in
//! plaintext; aria2 does), so it is neither banned nor reported without
//! `-v`. Our handshake sets the extension protocol bit (BEP 10) and the
//! Fast bit (BEP 6), and BEP 5's DHT bit while our DHT node runs; which
//! of them the peer's sets is returned with the rest of its handshake. The rest of the handshake is read whole with `read_exact` under
//! [`HANDSHAKE_TIMEOUT`](super::HANDSHAKE_TIMEOUT): a timeout there ends the
//! connection anyway, so the partial bytes it loses do not matter. After
//! the handshake, reads go through the frame reader instead.

use super::{CONNECT_TIMEOUT, Close, HANDSHAKE_TIMEOUT, WRITE_TIMEOUT};
use crate::channels::PeerContext;
use crate::ids::{InfoHash, PeerId};
use crate::trace::{Dir, Trace, wire};
use crate::wire::handshake::{HANDSHAKE_LEN, Handshake, check_first_byte};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

/// Dials `addr`; sends our handshake, then checks theirs.
pub(super) fn outgoing(
    ctx: &PeerContext,
    addr: SocketAddr,
) -> Result<(TcpStream, Handshake), Close> {
    dial(&ours(ctx), addr, ctx.trace)
}

/// Our handshake for this torrent: with the DHT bit when a node runs.
fn ours(ctx: &PeerContext) -> Handshake {
    let h = Handshake::new(ctx.info_hash, ctx.our_id);
    if ctx.dht_port.is_some() {
        h.with_dht()
    } else {
        h
    }
}

/// [`outgoing`] for a torrent known only by its infohash (the metadata
/// fetch of a magnet link has no `PeerContext` yet).
pub(crate) fn dial(
    ours: &Handshake,
    addr: SocketAddr,
    trace: Trace,
) -> Result<(TcpStream, Handshake), Close> {
    let mut stream = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT)
        .map_err(|e| Close::io("connecting", &e))?;
    set_timeouts(&stream)?;
    trace.line(Dir::Out, addr, || wire::handshake(ours));
    send_ours(&mut stream, ours)?;
    let theirs = read_theirs(&mut stream, ours.info_hash, ours.peer_id, (trace, addr))?;
    Ok((stream, theirs))
}

/// Reads and checks the handshake of `addr`, which dialled us, then
/// replies.
pub(super) fn incoming(
    ctx: &PeerContext,
    mut stream: TcpStream,
    addr: SocketAddr,
) -> Result<(TcpStream, Handshake), Close> {
    set_timeouts(&stream)?;
    let theirs = read_theirs(&mut stream, ctx.info_hash, ctx.our_id, (ctx.trace, addr))?;
    let ours = ours(ctx);
    ctx.trace.line(Dir::Out, addr, || wire::handshake(&ours));
    send_ours(&mut stream, &ours)?;
    Ok((stream, theirs))
}

fn set_timeouts(stream: &TcpStream) -> Result<(), Close> {
    let set = || -> std::io::Result<()> {
        stream.set_read_timeout(Some(HANDSHAKE_TIMEOUT))?;
        stream.set_write_timeout(Some(WRITE_TIMEOUT))?;
        // Every message is written with one write call; Nagle's delay would
        // only hold back small requests waiting for an unrelated ACK.
        stream.set_nodelay(true)
    };
    set().map_err(|e| Close::io("setting socket options", &e))
}

fn send_ours(stream: &mut TcpStream, ours: &Handshake) -> Result<(), Close> {
    stream
        .write_all(&ours.encode())
        .map_err(|e| Close::io("sending handshake", &e))
}

/// Reads the peer's handshake (traced as it arrives, before the checks,
/// so a refused one shows too).
fn read_theirs(
    stream: &mut TcpStream,
    info_hash: InfoHash,
    our_id: PeerId,
    (trace, addr): (Trace, SocketAddr),
) -> Result<Handshake, Close> {
    let mut bytes = [0u8; HANDSHAKE_LEN];
    let (first, rest) = bytes.split_at_mut(1);
    stream
        .read_exact(first)
        .map_err(|e| Close::io("reading handshake", &e))?;
    check_first_byte(first[0]).map_err(|e| Close::quiet(e.to_string()))?;
    stream
        .read_exact(rest)
        .map_err(|e| Close::io("reading handshake", &e))?;
    let theirs = Handshake::parse(&bytes).map_err(|e| Close::misbehaved(e.to_string()))?;
    trace.line(Dir::In, addr, || wire::handshake(&theirs));
    check(&theirs, info_hash, our_id)?;
    Ok(theirs)
}

/// The connection-level checks on a well-formed handshake.
fn check(theirs: &Handshake, info_hash: InfoHash, our_id: PeerId) -> Result<(), Close> {
    if theirs.info_hash != info_hash {
        return Err(Close::misbehaved("handshake for another torrent"));
    }
    if theirs.peer_id == our_id {
        return Err(Close::misbehaved("connected to ourselves"));
    }
    Ok(())
}
