//! Unit tests for `wire::ext_handshake`: our bytes, a real client's, and
//! a table of hostile ones.

use super::*;
use crate::bencode::BencodeError;
use Extension::{UtMetadata, UtPex};

fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(a, b, c, d))
}

#[test]
fn ours_is_sorted_bencode() {
    let ours = ExtHandshake {
        m: vec![],
        client: Some(ClientName::ours()),
        listen_port: Some(6881),
        reqq: Some(2048),
        yourip: Some(v4(192, 0, 2, 7)),
        metadata_size: Some(31_337),
        ignored: vec![],
    };
    #[rustfmt::skip]
    let want = cat(&[
        b"d",
        b"1:m", b"de",                       // m: nothing advertised yet
        b"13:metadata_size", b"i31337e",     // our info dictionary's length
        b"1:p", b"i6881e",                   // our listen port
        b"4:reqq", b"i2048e",                // our upload queue
        b"1:v", b"11:bitsy 0.1.0",           // client name
        b"6:yourip", b"4:", &[192, 0, 2, 7], // the peer's address
        b"e",
    ]);
    assert_eq!(ours.encode(), want, "{}", String::from_utf8_lossy(&want));
    assert_eq!(ClientName::ours().as_str(), "bitsy 0.1.0");
    // And it reads back as itself.
    assert_eq!(ExtHandshake::parse(&want), Ok(ours));
}

#[test]
fn m_is_sorted_and_optional_fields_are_left_out() {
    let h = ExtHandshake {
        m: vec![(UtPex, 2), (UtMetadata, 1)],
        yourip: Some("2001:db8::1".parse().unwrap()),
        ..ExtHandshake::default()
    };
    let mut want = b"d1:md11:ut_metadatai1e6:ut_pexi2ee6:yourip16:".to_vec();
    want.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    want.push(b'e');
    assert_eq!(h.encode(), want);
    // An IPv4 peer seen through an IPv6 socket is told its 4-byte address.
    let mapped = ExtHandshake {
        yourip: Some("::ffff:10.1.2.3".parse().unwrap()),
        ..ExtHandshake::default()
    };
    assert_eq!(mapped.encode(), b"d1:mde6:yourip4:\x0a\x01\x02\x03e");
    assert_eq!(ExtHandshake::default().encode(), b"d1:mdee");
}

#[test]
fn a_libtorrent_handshake() {
    // As libtorrent 2.0 sends it: extensions we do not know, keys we do
    // not read, and a negative integer.
    let bytes: &[u8] = b"d\
        12:complete_agoi-1e\
        1:md\
            11:lt_donthavei7e\
            10:share_modei8e\
            11:upload_onlyi3e\
            12:ut_holepunchi4e\
            11:ut_metadatai2e\
            6:ut_pexi1e\
        e\
        13:metadata_sizei5190e\
        1:pi6881e\
        4:reqqi500e\
        11:upload_onlyi0e\
        1:v19:libtorrent/2.0.10.0\
        6:yourip4:\x7f\x00\x00\x01\
        e";
    let h = ExtHandshake::parse(bytes).unwrap();
    assert_eq!(
        h,
        ExtHandshake {
            m: vec![(UtMetadata, 2), (UtPex, 1)],
            client: Some(ClientName::new(b"libtorrent/2.0.10.0")),
            listen_port: Some(6881),
            reqq: Some(500),
            yourip: Some(v4(127, 0, 0, 1)),
            metadata_size: Some(5190),
            ignored: vec![],
        }
    );
    assert_eq!(h.client.unwrap().to_string(), "libtorrent/2.0.10.0");
}

/// What a parse must give: refused, or these fields kept and these ignored.
enum Want {
    Refused(ExtHandshakeError),
    Kept(ExtHandshake),
}

fn kept(f: impl FnOnce(&mut ExtHandshake)) -> Want {
    let mut h = ExtHandshake::default();
    f(&mut h);
    Want::Kept(h)
}

fn ignored(key: &'static str) -> Want {
    kept(|h| h.ignored = vec![key])
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

#[test]
fn hostile_handshakes_are_refused_or_lose_the_field() {
    use ExtHandshakeError::{Bencode, NotDict, TooLong};
    let deep = |n: usize| cat(&[b"d1:m", &b"l".repeat(n), &b"e".repeat(n), b"e"]);
    let mib = cat(&[b"d1:v1048576:", &vec![b'x'; 1 << 20], b"e"]);
    let many = cat(&[b"d1:ml", &b"i0e".repeat(3000), b"ee"]);
    let long_name = cat(&[b"d1:v100:", &[b'n'; 100], b"e"]);
    let v6 = cat(&[b"d6:yourip16:", &[0xfe, 0x80], &[0; 13], &[1], b"e"]);
    #[rustfmt::skip]
    let table: Vec<(&str, Vec<u8>, Want)> = vec![
        // Refused: the peer is dropped.
        ("1 MiB", mib, Want::Refused(TooLong { len: 1_048_589 })),
        ("10,000 deep", deep(10_000), Want::Refused(TooLong { len: 20_005 })),
        ("5,000 deep", deep(5_000),
            Want::Refused(Bencode(BencodeError::TooDeep { offset: 11, max: 8 }))),
        ("3,000 tokens", many,
            Want::Refused(Bencode(BencodeError::TooManyTokens { offset: 6_140, max: 2048 }))),
        ("empty", b"".to_vec(), Want::Refused(Bencode(BencodeError::UnexpectedEnd { offset: 0 }))),
        ("not bencode", b"hello".to_vec(),
            Want::Refused(Bencode(BencodeError::UnexpectedByte { offset: 0, byte: b'h' }))),
        ("trailing bytes", b"dexx".to_vec(),
            Want::Refused(Bencode(BencodeError::TrailingBytes { offset: 2 }))),
        ("duplicate key", b"d1:pi1e1:pi2ee".to_vec(),
            Want::Refused(Bencode(BencodeError::DuplicateKey { offset: 0, key: "p".into() }))),
        ("a list", b"le".to_vec(), Want::Refused(NotDict)),
        ("an integer", b"i20e".to_vec(), Want::Refused(NotDict)),
        // Kept, without the bad field.
        ("m not a dict", b"d1:mi5ee".to_vec(), ignored("m")),
        ("m id 256", b"d1:md6:ut_pexi256eee".to_vec(), ignored("m")),
        ("m id -1", b"d1:md11:ut_metadatai-1eee".to_vec(), ignored("m")),
        ("m id a string", b"d1:md6:ut_pex1:1ee".to_vec(), ignored("m")),
        ("unknown name, id 300", b"d1:md5:xx_yzi300eee".to_vec(), kept(|_| {})),
        ("m id 0 turns off", b"d1:md6:ut_pexi0eee".to_vec(), kept(|h| h.m = vec![(UtPex, 0)])),
        ("port -1", b"d1:pi-1ee".to_vec(), ignored("p")),
        ("port 65536", b"d1:pi65536ee".to_vec(), ignored("p")),
        ("port 0", b"d1:pi0ee".to_vec(), kept(|_| {})),
        ("port a string", b"d1:p4:6881e".to_vec(), ignored("p")),
        ("reqq huge", b"d4:reqqi99999999999ee".to_vec(), kept(|h| h.reqq = Some(MAX_REQQ))),
        ("reqq 0", b"d4:reqqi0ee".to_vec(), ignored("reqq")),
        ("reqq -5", b"d4:reqqi-5ee".to_vec(), ignored("reqq")),
        ("reqq 1", b"d4:reqqi1ee".to_vec(), kept(|h| h.reqq = Some(1))),
        ("yourip 5 bytes", b"d6:yourip5:\x01\x02\x03\x04\x05e".to_vec(), ignored("yourip")),
        ("yourip 0 bytes", b"d6:yourip0:e".to_vec(), ignored("yourip")),
        ("yourip an integer", b"d6:youripi1ee".to_vec(), ignored("yourip")),
        ("yourip 16 bytes", v6, kept(|h| h.yourip = Some("fe80::1".parse().unwrap()))),
        ("metadata_size 10 MiB", b"d13:metadata_sizei10485760ee".to_vec(),
            kept(|h| h.metadata_size = Some(10 << 20))),
        ("metadata_size 10 MiB + 1", b"d13:metadata_sizei10485761ee".to_vec(),
            ignored("metadata_size")),
        ("metadata_size 0", b"d13:metadata_sizei0ee".to_vec(), ignored("metadata_size")),
        ("v an integer", b"d1:vi1ee".to_vec(), ignored("v")),
        ("v 100 bytes", long_name,
            kept(|h| h.client = Some(ClientName("n".repeat(MAX_CLIENT_NAME))))),
        ("v not UTF-8", b"d1:v3:a\xffbe".to_vec(),
            kept(|h| h.client = Some(ClientName("a\u{fffd}b".into())))),
        ("unknown keys", b"d1:xi1e3:zzzld1:ai1eeee".to_vec(), kept(|_| {})),
    ];
    for (name, input, want) in table {
        let got = ExtHandshake::parse(&input);
        match want {
            Want::Refused(e) => {
                assert_eq!(got, Err(e.clone()), "{name}");
                assert!(!e.to_string().is_empty());
            }
            Want::Kept(h) => assert_eq!(got, Ok(h), "{name}"),
        }
    }
}

#[test]
fn client_names_are_shown_with_control_characters_escaped() {
    let table: &[(&[u8], &str)] = &[
        (b"qBittorrent/4.6.7", "qBittorrent/4.6.7"),
        (b"\xc2\xb5Torrent 1.2", "\u{b5}Torrent 1.2"), // BEP 10's example
        (b"evil\x1b[2J\r\n", "evil\\u{1b}[2J\\r\\n"),
        (b"tab\there", "tab\\there"),
    ];
    for (raw, shown) in table {
        assert_eq!(ClientName::new(raw).to_string(), *shown);
    }
}
