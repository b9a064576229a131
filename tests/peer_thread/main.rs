//! The peer thread over a real loopback socket, against a scripted remote
//! peer written here. Every wait is bounded by `WAIT`. The remote speaks
//! through `common::wire_msg`, a hand-written codec independent of
//! bitsy's `wire` module.
//!
//! `harness` holds the remote and the thread under test; the other
//! modules are the tests, by what they exercise.

#[path = "../common/mod.rs"]
mod common;
mod harness;

mod handshake;
mod receiving;
mod serving;
mod extended;
mod fast;
mod pex;
mod ut_metadata;

use common::wire_msg::Msg as Message;
use harness::extended;

#[test]
fn the_test_codec_matches_bep_3() {
    // The remote's own codec, checked against BEP 3 bytes first.
    // request index=1 begin=16384 length=16384: <0000000d><06><00000001><00004000><00004000>
    let mut b = Vec::new();
    Message::Request {
        index: 1,
        begin: 16384,
        length: 16384,
    }
    .encode_into(&mut b);
    assert_eq!(
        b,
        [0, 0, 0, 13, 6, 0, 0, 0, 1, 0, 0, 0x40, 0, 0, 0, 0x40, 0]
    );
    assert_eq!(
        Message::decode(&b[4..]),
        Message::Request {
            index: 1,
            begin: 16384,
            length: 16384
        }
    );
    // keep-alive: four zero bytes.
    let mut k = Vec::new();
    Message::KeepAlive.encode_into(&mut k);
    assert_eq!(k, [0, 0, 0, 0]);
    // extended handshake "de": <00000004><14><00><64 65>
    let mut e = Vec::new();
    extended(b"de").encode_into(&mut e);
    assert_eq!(e, [0, 0, 0, 4, 20, 0, b'd', b'e']);
    assert_eq!(Message::decode(&e[4..]), extended(b"de"));
    // BEP 6 reject request: <0000000d><10><index><begin><length>.
    let mut r = Vec::new();
    Message::Reject {
        index: 2,
        begin: 0,
        length: 16384,
    }
    .encode_into(&mut r);
    assert_eq!(
        r,
        [0, 0, 0, 13, 0x10, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0x40, 0]
    );
    // BEP 6 have all: <00000001><0e>.
    let mut a = Vec::new();
    Message::HaveAll.encode_into(&mut a);
    assert_eq!(a, [0, 0, 0, 1, 0x0e]);
}
