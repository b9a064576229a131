//! Unit tests for `wire::message`: a byte vector per message, commented
//! field by field.

use super::*;

fn encoded(m: &Message) -> Vec<u8> {
    let mut buf = Vec::new();
    m.encode_into(&mut buf);
    buf
}

#[test]
fn every_message_round_trips() {
    #[rustfmt::skip]
    let table: Vec<(Message, Vec<u8>)> = vec![
        (Message::KeepAlive, vec![
            0x00, 0x00, 0x00, 0x00, // length 0, no id
        ]),
        (Message::Choke, vec![
            0x00, 0x00, 0x00, 0x01, // length 1
            0x00,                   // id choke
        ]),
        (Message::Unchoke, vec![
            0x00, 0x00, 0x00, 0x01, // length 1
            0x01,                   // id unchoke
        ]),
        (Message::Interested, vec![
            0x00, 0x00, 0x00, 0x01, // length 1
            0x02,                   // id interested
        ]),
        (Message::NotInterested, vec![
            0x00, 0x00, 0x00, 0x01, // length 1
            0x03,                   // id not interested
        ]),
        (Message::Have(0x0102_0304), vec![
            0x00, 0x00, 0x00, 0x05, // length 5
            0x04,                   // id have
            0x01, 0x02, 0x03, 0x04, // piece index
        ]),
        (Message::Bitfield(vec![0b1010_0000, 0x01]), vec![
            0x00, 0x00, 0x00, 0x03, // length 3
            0x05,                   // id bitfield
            0xa0, 0x01,             // pieces 0, 2 and 15
        ]),
        (Message::Request { index: 1, begin: 0x4000, length: 0x4000 }, vec![
            0x00, 0x00, 0x00, 0x0d, // length 13
            0x06,                   // id request
            0x00, 0x00, 0x00, 0x01, // index
            0x00, 0x00, 0x40, 0x00, // begin 16384
            0x00, 0x00, 0x40, 0x00, // length 16384
        ]),
        (Message::Piece { index: 2, begin: 0x8000, data: vec![0xde, 0xad, 0xbe] }, vec![
            0x00, 0x00, 0x00, 0x0c, // length 12
            0x07,                   // id piece
            0x00, 0x00, 0x00, 0x02, // index
            0x00, 0x00, 0x80, 0x00, // begin 32768
            0xde, 0xad, 0xbe,       // block data
        ]),
        (Message::Piece { index: 0, begin: 0, data: vec![] }, vec![
            0x00, 0x00, 0x00, 0x09, // length 9
            0x07,                   // id piece
            0x00, 0x00, 0x00, 0x00, // index
            0x00, 0x00, 0x00, 0x00, // begin
                                    // no data (decodes; Geometry refuses it)
        ]),
        (Message::Cancel { index: 0xffff_ffff, begin: 0, length: 1 }, vec![
            0x00, 0x00, 0x00, 0x0d, // length 13
            0x08,                   // id cancel
            0xff, 0xff, 0xff, 0xff, // index
            0x00, 0x00, 0x00, 0x00, // begin
            0x00, 0x00, 0x00, 0x01, // length
        ]),
        (Message::Port(6881), vec![
            0x00, 0x00, 0x00, 0x03, // length 3
            0x09,                   // id port (BEP 5)
            0x1a, 0xe1,             // port 6881
        ]),
        (Message::Extended { id: 0, payload: b"de".to_vec() }, vec![
            0x00, 0x00, 0x00, 0x04, // length 4
            0x14,                   // id extended (BEP 10)
            0x00,                   // extended id 0: handshake
            b'd', b'e',             // payload: an empty dictionary
        ]),
        (Message::Extended { id: 3, payload: vec![] }, vec![
            0x00, 0x00, 0x00, 0x02, // length 2
            0x14,                   // id extended (BEP 10)
            0x03,                   // extended id 3, no payload
        ]),
    ];
    for (msg, bytes) in &table {
        assert_eq!(&encoded(msg), bytes, "encode {msg:?}");
        assert_eq!(
            Message::decode(&bytes[LEN_PREFIX..]).as_ref(),
            Ok(msg),
            "decode {bytes:02x?}"
        );
    }
}

#[test]
fn unknown_ids_are_skipped() {
    #[rustfmt::skip]
    let table: &[(&[u8], u8)] = &[
        (&[0x12], 0x12),                                  // just past BEP 6's ids
        (&[0xff, 0x01, 0x02], 0xff),                      // nobody's id
    ];
    for (frame, want) in table {
        assert_eq!(Message::decode(frame), Ok(Message::Unknown { id: *want }));
    }
    assert_eq!(encoded(&Message::Unknown { id: 21 }), [0, 0, 0, 1, 21]);
}

#[test]
fn wrong_payload_lengths_are_errors() {
    #[rustfmt::skip]
    let table: &[&[u8]] = &[
        &[0x00, 0x00],                   // choke with a payload byte
        &[0x03, 0x00, 0x00],             // not interested with payload
        &[0x04, 0x00, 0x00, 0x01],       // have, 3-byte index
        &[0x04, 0x00, 0x00, 0x00, 0x01, 0x00], // have, 5-byte index
        &[0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], // request, 11 bytes
        &[0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], // request, 13 bytes
        &[0x07, 0, 0, 0, 0, 0, 0, 0],    // piece, 7 bytes: no room for begin
        &[0x08, 0, 0, 0, 0],             // cancel, 4 bytes
        &[0x09, 0x1a],                   // port, 1 byte
        &[0x09, 0x1a, 0xe1, 0x00],       // port, 3 bytes
        &[0x14],                         // extended without its extended id
    ];
    for frame in table {
        let err = Message::decode(frame).unwrap_err();
        assert_eq!(
            err,
            MessageError::WrongLength {
                id: frame[0],
                len: frame.len() - 1
            },
            "{frame:02x?}"
        );
    }
}
