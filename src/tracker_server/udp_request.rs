//! BEP 15 UDP tracker requests: bytes in, checked requests out.
//!
//! All integers are big-endian. Requests start with the same 16 bytes:
//!
//! ```text
//! offset size  field
//! 0      8     connection_id   (connect: the protocol id 0x41727101980)
//! 8      4     action          0 connect, 1 announce, 2 scrape
//! 12     4     transaction_id  chosen by the client, echoed back
//! ```
//!
//! Announce request (98 bytes; anything after byte 98, such as BEP 41
//! options, is ignored):
//!
//! ```text
//! 16 20 info_hash   36 20 peer_id     56 8 downloaded  64 8 left
//! 72  8 uploaded    80  4 event       84 4 ip (0: use the source address)
//! 88  4 key         92  4 num_want (-1: default)       96 2 port
//! ```
//!
//! Scrape request: the 16-byte header, then 1 to [`MAX_SCRAPE_HASHES`]
//! infohashes of 20 bytes each.
//!
//! Parsing never trusts a length: a packet shorter than its layout is
//! refused with an error answer if it carried a transaction id, and
//! silently dropped if it did not (or if it is a connect without the
//! protocol id: then it is not BEP 15 traffic at all). Connection ids are
//! checked by the caller (`udp`), which owns them.

use super::announce_params::{
    Announce, Event, MAX_NUMWANT, MAX_SCRAPE_HASHES, cap_numwant, peer_ip,
};
use crate::ids::InfoHash;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use crate::tracker::udp_wire::{ACTION_ANNOUNCE, ACTION_CONNECT, ACTION_SCRAPE, PROTOCOL_ID};

const HEADER_LEN: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Connect {
        transaction_id: u32,
    },
    Announce {
        connection_id: u64,
        transaction_id: u32,
        body: UdpAnnounce,
    },
    Scrape {
        connection_id: u64,
        transaction_id: u32,
        hashes: Vec<InfoHash>,
    },
}

/// The announce fields, as sent (not yet checked against the source).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UdpAnnounce {
    pub info_hash: InfoHash,
    pub peer_id: [u8; 20],
    pub downloaded: u64,
    pub left: u64,
    pub uploaded: u64,
    pub event: u32,
    pub ip: u32,
    pub num_want: i32,
    pub port: u16,
}

/// A packet the tracker will not serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Not answerable: drop it.
    Drop,
    /// Answer with an error packet.
    Error {
        transaction_id: u32,
        message: &'static str,
    },
}

/// Splits a request packet.
pub fn parse(p: &[u8]) -> Result<Request, Refused> {
    let (Some(connection_id), Some(action), Some(transaction_id)) =
        (be64(p, 0), be32(p, 8), be32(p, 12))
    else {
        return Err(Refused::Drop);
    };
    let refuse = |message| Refused::Error {
        transaction_id,
        message,
    };
    match action {
        ACTION_CONNECT if connection_id == PROTOCOL_ID => Ok(Request::Connect { transaction_id }),
        ACTION_CONNECT => Err(Refused::Drop),
        ACTION_ANNOUNCE => {
            let (Some(info_hash), Some(peer_id), Some(downloaded), Some(left), Some(uploaded)) = (
                bytes20(p, 16),
                bytes20(p, 36),
                be64(p, 56),
                be64(p, 64),
                be64(p, 72),
            ) else {
                return Err(refuse("announce packet too short"));
            };
            let (Some(event), Some(ip), Some(num_want), Some(port)) =
                (be32(p, 80), be32(p, 84), be32(p, 92), be16(p, 96))
            else {
                return Err(refuse("announce packet too short"));
            };
            let body = UdpAnnounce {
                info_hash,
                peer_id,
                downloaded,
                left,
                uploaded,
                event,
                ip,
                num_want: num_want as i32, // BEP 15 declares it signed
                port,
            };
            Ok(Request::Announce {
                connection_id,
                transaction_id,
                body,
            })
        }
        ACTION_SCRAPE => {
            let rest = p.get(HEADER_LEN..).unwrap_or_default();
            if rest.is_empty() || !rest.len().is_multiple_of(20) {
                return Err(refuse("scrape packet must carry whole 20-byte infohashes"));
            }
            if rest.len() / 20 > MAX_SCRAPE_HASHES {
                return Err(refuse("too many infohashes in one scrape"));
            }
            let hashes = rest
                .chunks_exact(20)
                .filter_map(|c| c.try_into().ok())
                .collect();
            Ok(Request::Scrape {
                connection_id,
                transaction_id,
                hashes,
            })
        }
        _ => Err(refuse("unknown action")),
    }
}

impl UdpAnnounce {
    /// Checks the fields against the packet's source and makes them an
    /// [`Announce`]. `ip` is honoured under the same rule as HTTP's `ip=`.
    pub fn check(&self, source: SocketAddr) -> Result<Announce, &'static str> {
        let event = Event::from_udp(self.event).ok_or("unknown event")?;
        if self.port == 0 {
            return Err("port must be 1..=65535");
        }
        let claimed = (self.ip != 0).then(|| IpAddr::V4(Ipv4Addr::from(self.ip)));
        // Negative (BEP 15 says -1) means "the default".
        let numwant = u64::try_from(self.num_want).map_or(MAX_NUMWANT, cap_numwant);
        Ok(Announce {
            info_hash: self.info_hash,
            peer_id: self.peer_id,
            peer: SocketAddr::new(peer_ip(source.ip(), claimed), self.port),
            uploaded: self.uploaded,
            downloaded: self.downloaded,
            left: self.left,
            event,
            numwant,
        })
    }
}

fn be16(p: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(p.get(at..at + 2)?.try_into().ok()?))
}

fn be32(p: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(p.get(at..at + 4)?.try_into().ok()?))
}

fn be64(p: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(p.get(at..at + 8)?.try_into().ok()?))
}

fn bytes20(p: &[u8], at: usize) -> Option<[u8; 20]> {
    p.get(at..at + 20)?.try_into().ok()
}

/// Hex text to bytes, ignoring spaces (for the byte vectors in tests).
#[cfg(test)]
pub fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap(), 16).unwrap())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_request() {
        let req = hex(concat!(
            "00000417 27101980", // connection_id: protocol id
            "00000000",          // action: connect
            "cafebabe",          // transaction_id
        ));
        assert_eq!(
            parse(&req),
            Ok(Request::Connect {
                transaction_id: 0xcafe_babe
            })
        );
    }

    #[test]
    fn connect_without_protocol_id_is_dropped() {
        let req = hex("00000000 00000001  00000000  cafebabe");
        assert_eq!(parse(&req), Err(Refused::Drop));
        assert_eq!(parse(&req[..15]), Err(Refused::Drop));
    }

    fn announce_request() -> Vec<u8> {
        hex(concat!(
            "11223344 55667788",                        // connection_id
            "00000001",                                 // action: announce
            "0000abcd",                                 // transaction_id
            "0101010101010101010101010101010101010101", // info_hash
            "2d4c54323037302d6162636465666768696a6b6c", // peer_id "-LT2070-abcdefghijkl"
            "00000000 00000010",                        // downloaded: 16
            "00000000 00000000",                        // left: 0 (seeder)
            "00000000 00000020",                        // uploaded: 32
            "00000002",                                 // event: started
            "00000000",                                 // ip: use source
            "deadbeef",                                 // key
            "ffffffff",                                 // num_want: -1 (default)
            "1ae1",                                     // port: 6881
        ))
    }

    #[test]
    fn announce_request_fields() {
        let Ok(Request::Announce {
            connection_id,
            transaction_id,
            body,
        }) = parse(&announce_request())
        else {
            panic!("not an announce");
        };
        assert_eq!(
            (connection_id, transaction_id),
            (0x1122_3344_5566_7788, 0xabcd)
        );
        let source: SocketAddr = "10.1.2.3:40000".parse().unwrap();
        let a = body.check(source).unwrap();
        assert_eq!(a.info_hash, [1; 20]);
        assert_eq!(&a.peer_id, b"-LT2070-abcdefghijkl");
        assert_eq!((a.downloaded, a.left, a.uploaded), (16, 0, 32));
        assert_eq!(a.event, Event::Started);
        assert_eq!(a.peer, "10.1.2.3:6881".parse().unwrap());
        assert_eq!(a.numwant, MAX_NUMWANT);
    }

    #[test]
    fn announce_request_refusals() {
        let full = announce_request();
        let too_short = Refused::Error {
            transaction_id: 0xabcd,
            message: "announce packet too short",
        };
        assert_eq!(parse(&full[..97]), Err(too_short));
        let source: SocketAddr = "10.1.2.3:40000".parse().unwrap();
        let check = |patch: &[(usize, u8)]| {
            let mut p = full.clone();
            for &(at, b) in patch {
                p[at] = b;
            }
            match parse(&p) {
                Ok(Request::Announce { body, .. }) => body.check(source),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(check(&[(83, 9)]).unwrap_err(), "unknown event");
        assert_eq!(
            check(&[(96, 0), (97, 0)]).unwrap_err(),
            "port must be 1..=65535"
        );
        // ip 10.9.9.9 from a private source is honoured; num_want 7 is kept.
        let a = check(&[
            (84, 10),
            (85, 9),
            (86, 9),
            (87, 9),
            (92, 0),
            (93, 0),
            (94, 0),
            (95, 7),
        ]);
        let a = a.unwrap();
        assert_eq!(a.peer, "10.9.9.9:6881".parse().unwrap());
        assert_eq!(a.numwant, 7);
    }

    #[test]
    fn scrape_request() {
        let req = hex(concat!(
            "11223344 55667788",                        // connection_id
            "00000002",                                 // action: scrape
            "00000005",                                 // transaction_id
            "0101010101010101010101010101010101010101", // info_hash 1
            "0202020202020202020202020202020202020202", // info_hash 2
        ));
        let want = Request::Scrape {
            connection_id: 0x1122_3344_5566_7788,
            transaction_id: 5,
            hashes: vec![[1; 20], [2; 20]],
        };
        assert_eq!(parse(&req), Ok(want));
        assert!(matches!(
            parse(&req[..16]),
            Err(Refused::Error {
                transaction_id: 5,
                ..
            })
        ));
        assert!(matches!(
            parse(&req[..50]),
            Err(Refused::Error {
                transaction_id: 5,
                ..
            })
        ));
    }

    #[test]
    fn unknown_action() {
        let req = hex("11223344 55667788  00000009  00000007");
        assert_eq!(
            parse(&req),
            Err(Refused::Error {
                transaction_id: 7,
                message: "unknown action"
            })
        );
    }
}
