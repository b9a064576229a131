//! A minimal BEP 3 peer written by hand, for poking at a peer from a test:
//! the fake seeders here, or bitsy itself when it seeds.
//!
//! Independent of bitsy's `wire` module on purpose. It panics on anything
//! unexpected (it is test code); reads time out after [`READ_TIMEOUT`]
//! unless changed with [`RawPeer::set_read_timeout`].
//!
//! ```ignore
//! let mut peer = RawPeer::connect(addr, &torrent.info_hash);
//! assert_eq!(peer.recv().map(|(id, _)| id), Some(raw_peer::BITFIELD));
//! peer.send(raw_peer::INTERESTED, &[]);
//! ```

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

// BEP 3 message ids.
pub const CHOKE: u8 = 0;
pub const UNCHOKE: u8 = 1;
pub const INTERESTED: u8 = 2;
pub const NOT_INTERESTED: u8 = 3;
pub const HAVE: u8 = 4;
pub const BITFIELD: u8 = 5;
pub const REQUEST: u8 = 6;
pub const PIECE: u8 = 7;
pub const CANCEL: u8 = 8;

/// Default read timeout: long enough for a loaded 2-core test machine.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest message `recv` accepts (a 16 KiB block is 16 KiB + 9).
const MAX_MESSAGE: usize = 4 * 1024 * 1024;

/// A connected, handshaken peer connection.
pub struct RawPeer {
    pub stream: TcpStream,
    /// The other side's handshake: reserved bytes.
    pub their_reserved: [u8; 8],
    /// The other side's peer id.
    pub their_id: [u8; 20],
}

impl RawPeer {
    /// Connects, sends our handshake (peer id `-XX0000-testclient01`),
    /// reads theirs and checks the info hash.
    pub fn connect(addr: SocketAddr, info_hash: &[u8; 20]) -> RawPeer {
        let mut stream = TcpStream::connect_timeout(&addr, READ_TIMEOUT).expect("connect to peer");
        stream
            .set_read_timeout(Some(READ_TIMEOUT))
            .expect("timeout");
        let mut hs = vec![19u8];
        hs.extend_from_slice(b"BitTorrent protocol");
        hs.extend_from_slice(&[0; 8]); // reserved
        hs.extend_from_slice(info_hash);
        hs.extend_from_slice(b"-XX0000-testclient01");
        stream.write_all(&hs).expect("send handshake");
        let mut reply = [0u8; 68];
        stream.read_exact(&mut reply).expect("read handshake");
        assert_eq!(reply[0], 19, "pstrlen");
        assert_eq!(&reply[1..20], b"BitTorrent protocol");
        assert_eq!(&reply[28..48], info_hash, "info hash in the reply");
        let mut their_reserved = [0u8; 8];
        their_reserved.copy_from_slice(&reply[20..28]);
        let mut their_id = [0u8; 20];
        their_id.copy_from_slice(&reply[48..68]);
        RawPeer {
            stream,
            their_reserved,
            their_id,
        }
    }

    /// Changes the read timeout used by [`RawPeer::recv`].
    pub fn set_read_timeout(&mut self, timeout: Duration) {
        self.stream
            .set_read_timeout(Some(timeout))
            .expect("timeout");
    }

    /// Sends `<len><id><payload>`.
    pub fn send(&mut self, id: u8, payload: &[u8]) {
        let mut msg = (1 + payload.len() as u32).to_be_bytes().to_vec();
        msg.push(id);
        msg.extend_from_slice(payload);
        self.stream.write_all(&msg).expect("send message");
    }

    /// Sends `request <index><begin><length>`.
    pub fn request(&mut self, index: u32, begin: u32, len: u32) {
        let mut p = index.to_be_bytes().to_vec();
        p.extend_from_slice(&begin.to_be_bytes());
        p.extend_from_slice(&len.to_be_bytes());
        self.send(REQUEST, &p);
    }

    /// The next message other than a keep-alive; `None` on EOF or timeout
    /// (or after 1,000 keep-alives in a row).
    pub fn recv(&mut self) -> Option<(u8, Vec<u8>)> {
        for _ in 0..1000 {
            let mut len = [0u8; 4];
            self.stream.read_exact(&mut len).ok()?;
            let len = u32::from_be_bytes(len) as usize;
            assert!(len <= MAX_MESSAGE, "message of {len} bytes");
            if len == 0 {
                continue; // keep-alive
            }
            let mut msg = vec![0u8; len];
            self.stream.read_exact(&mut msg).ok()?;
            let (&id, payload) = msg.split_first()?;
            return Some((id, payload.to_vec()));
        }
        None
    }
}
