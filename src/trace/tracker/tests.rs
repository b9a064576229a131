//! Unit tests for `trace::tracker`: one exact line per exchange.

use super::*;
use crate::tracker::{AnnounceEvent, AnnounceRequest};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

fn v4(last: u8, port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::new(127, 0, 0, last), port))
}

const PEER_ID: [u8; 20] = *b"-BS0100-abcdefghijkl";

#[test]
fn http_announce_lists_every_parameter() {
    let table = [
        (AnnounceEvent::Started, " event=started"),
        (AnnounceEvent::Completed, " event=completed"),
        (AnnounceEvent::Stopped, " event=stopped"),
        (AnnounceEvent::Regular, ""),
    ];
    for (event, param) in table {
        let request = AnnounceRequest {
            event,
            uploaded: 1,
            downloaded: 2,
            left: 3,
            numwant: 50,
        };
        let p = AnnounceParams {
            info_hash: &[0x01; 20],
            peer_id: &PEER_ID,
            port: 6881,
            key: 0xbeef,
            request: &request,
        };
        assert_eq!(
            http_announce(&p),
            format!(
                "announce GET info_hash={} peer_id=-BS0100-abcdefghijkl port=6881 uploaded=1 \
                 downloaded=2 left=3 compact=1 numwant=50 key=0000beef{param} (BEP 3: who we \
                 are, what we still need, and peers wanted; compact=1 asks for 6-byte peers, BEP 23)",
                "01".repeat(20)
            )
        );
    }
}

#[test]
fn answers_and_failures() {
    let full = AnnounceResponse {
        peers: vec![v4(2, 6881), v4(3, 6881), v4(4, 6881), v4(5, 6881)],
        interval: Duration::from_secs(1800),
        min_interval: Some(Duration::from_secs(60)),
        warning: Some("be nice".into()),
        seeders: Some(3),
        leechers: Some(1),
    };
    let bare = AnnounceResponse {
        peers: vec![v4(2, 6881)],
        interval: Duration::from_secs(120),
        min_interval: None,
        warning: None,
        seeders: None,
        leechers: None,
    };
    let table = [
        (
            announced(&full, 3),
            "announce answer interval=1800s min_interval=60s seeders=3 leechers=1 peers=4 \
             [127.0.0.2:6881, 127.0.0.3:6881, 127.0.0.4:6881, 1 more] warning=\"be nice\" \
             (BEP 3: peers to try, and how long to wait before announcing again)",
        ),
        (
            announced(&bare, 15),
            "announce answer interval=120s peers=1 [127.0.0.2:6881] (BEP 15: peers to try, and \
             how long to wait before announcing again)",
        ),
        (
            http_failed("tracker says: unregistered torrent"),
            "announce failed: tracker says: unregistered torrent (BEP 3: no peers from this \
             tracker this time)",
        ),
        (
            udp_connect(0x1234abcd),
            "connect transaction_id=1234abcd (BEP 15: ask for a connection id, proof that our \
             address is not spoofed)",
        ),
        (
            udp_connected(0x0102_0304_0506_0708),
            "connect answer connection_id=0102030405060708 (BEP 15: use it in announces for the \
             next minute)",
        ),
        (
            udp_error("no such torrent\n"),
            "error message=\"no such torrent\\n\" (BEP 15: the tracker refused the request)",
        ),
        (
            udp_failed("no answer in 4 s (1 sends)"),
            "failed: no answer in 4 s (1 sends) (BEP 15: no usable answer from this address this \
             time; a request unanswered is sent again after 15 s, then 30 s)",
        ),
    ];
    for (got, want) in table {
        assert_eq!(got, want);
    }
}

#[test]
fn udp_announce_lists_every_field() {
    let f = AnnounceFields {
        connection_id: 0xabcd,
        transaction_id: 7,
        info_hash: &[0xff; 20],
        peer_id: &PEER_ID,
        downloaded: 10,
        left: 20,
        uploaded: 30,
        event: EVENT_STARTED,
        key: 0x42,
        num_want: -1,
        port: 6881,
        url_data: b"/announce?x=1",
    };
    assert_eq!(
        udp_announce(&f),
        format!(
            "announce connection_id=000000000000abcd transaction_id=00000007 info_hash={} \
             peer_id=-BS0100-abcdefghijkl downloaded=10 left=20 uploaded=30 event=started \
             key=00000042 num_want=-1 port=6881 url_data=\"/announce?x=1\" (BEP 15: the HTTP \
             announce's fields in a binary datagram)",
            "ff".repeat(20)
        )
    );
}
