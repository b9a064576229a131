//! Unit tests for `peer::connection`.

use super::*;
use crate::channels::PieceReader;
use crate::geometry::{BlockRef, Geometry};
use std::io::{self, Read};
use std::net::TcpListener;
use std::sync::Arc;

struct NoData;

impl PieceReader for NoData {
    fn read_block(&self, _: BlockRef, _: &mut [u8]) -> io::Result<()> {
        Err(io::ErrorKind::NotFound.into())
    }
}

/// A 4-piece torrent's context; `dht_port` as if our DHT node ran.
fn context(events: crossbeam_channel::Sender<PeerEvent>, dht_port: Option<u16>) -> PeerContext {
    PeerContext {
        info_hash: [0; 20],
        our_id: [1; 20],
        geometry: Geometry::new(1 << 20, 1 << 18, 4).unwrap(),
        reader: Arc::new(NoData),
        events,
        listen_port: 6881,
        metadata: None,
        private: false,
        dht_port,
        blocks: Default::default(),
        trace: crate::trace::Trace::OFF,
    }
}

#[test]
fn keepalives_go_out_and_silence_ends_the_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let ours = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (mut theirs, _) = listener.accept().unwrap();
    theirs
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let (events, _rx) = crossbeam_channel::unbounded();
    let ctx = context(events, None);
    let (_cmds, cmd_rx) = crossbeam_channel::unbounded();
    let started = Instant::now();
    let close = std::thread::scope(|s| {
        let run = s.spawn(|| {
            let mut c = Connection::new(&ctx, ConnId(0), ours, Bitfield::new(4), cmd_rx);
            c.keepalive_after = Duration::from_millis(100);
            c.receive_limit = Duration::from_millis(700);
            c.run()
        });
        // Two keep-alives arrive while the remote says nothing.
        let mut buf = [0xffu8; 8];
        theirs.read_exact(&mut buf).unwrap();
        assert_eq!(buf, [0; 8]);
        run.join().unwrap()
    });
    assert!(!close.misbehaved);
    assert!(close.reason.contains("silent"), "{}", close.reason);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(700) && took < Duration::from_secs(5),
        "{took:?}"
    );
}

/// BEP 5: with a DHT node of ours and the peer's DHT bit, our `port`
/// message goes out after the handshake; the peer's comes back as an
/// event (port 0, no node, does not).
#[test]
fn port_messages_go_out_and_come_in_while_a_dht_node_runs() {
    use std::io::Write;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let ours = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (mut theirs, _) = listener.accept().unwrap();
    theirs
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let (events, rx) = crossbeam_channel::unbounded();
    let ctx = context(events, Some(6999));
    let (_cmds, cmd_rx) = crossbeam_channel::unbounded();
    let close = std::thread::scope(|s| {
        let run = s.spawn(|| {
            let mut c = Connection::new(&ctx, ConnId(0), ours, Bitfield::new(4), cmd_rx);
            c.peer_dht = true;
            c.run()
        });
        // <len 3><id 9><port 6999 = 0x1b57>
        let mut buf = [0u8; 7];
        theirs.read_exact(&mut buf).unwrap();
        assert_eq!(buf, [0, 0, 0, 3, 9, 0x1b, 0x57]);
        // Port 0, then port 7001 (0x1b59), then goodbye.
        theirs.write_all(&[0, 0, 0, 3, 9, 0, 0]).unwrap();
        theirs.write_all(&[0, 0, 0, 3, 9, 0x1b, 0x59]).unwrap();
        drop(theirs);
        run.join().unwrap()
    });
    assert!(!close.misbehaved, "{}", close.reason);
    let ports: Vec<u16> = rx
        .try_iter()
        .filter_map(|e| match e.kind {
            PeerEventKind::DhtPort(p) => Some(p),
            _ => None,
        })
        .collect();
    assert_eq!(ports, [7001]);
}
