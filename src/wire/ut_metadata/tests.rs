//! Unit tests for `wire::ut_metadata`: BEP 9's own examples, our bytes,
//! the size arithmetic with real numbers, and hostile payloads.

use super::*;

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

#[test]
fn the_three_messages_both_ways() {
    let data = [0xAB_u8; 100];
    #[rustfmt::skip]
    let table: Vec<(Vec<u8>, MetadataMsg<'_>)> = vec![
        // BEP 9's request example: {'msg_type': 0, 'piece': 0}
        (cat(&[b"d",
            b"8:msg_type", b"i0e",        // request
            b"5:piece", b"i0e",           // piece 0
            b"e"]),
         MetadataMsg::Request { piece: 0 }),
        // data: {'msg_type': 1, 'piece': 0, 'total_size': 3425} + bytes
        (cat(&[b"d",
            b"8:msg_type", b"i1e",        // data
            b"5:piece", b"i0e",           // piece 0
            b"10:total_size", b"i3425e",  // the whole dictionary's length
            b"e",
            &data]),                      // the piece, right after the dict
         MetadataMsg::Data { piece: 0, total_size: 3425, data: &data }),
        // reject: {'msg_type': 2, 'piece': 7}
        (cat(&[b"d",
            b"8:msg_type", b"i2e",        // reject
            b"5:piece", b"i7e",           // piece 7
            b"e"]),
         MetadataMsg::Reject { piece: 7 }),
    ];
    for (bytes, msg) in table {
        assert_eq!(msg.encode(), bytes, "{}", String::from_utf8_lossy(&bytes));
        assert_eq!(MetadataMsg::parse(&bytes), Ok(msg));
    }
}

#[test]
fn what_a_message_alone_can_tell() {
    let full = vec![0u8; METADATA_PIECE_LEN as usize];
    let over = vec![0u8; METADATA_PIECE_LEN as usize + 1];
    let data = |extra: &[u8]| cat(&[b"d8:msg_typei1e5:piecei0e10:total_sizei20000ee", extra]);
    let deep = cat(&[b"d8:msg_typei0e5:piece", &[b'l'; 20], &[b'e'; 20], b"e"]);
    use UtMetadataError::*;
    #[rustfmt::skip]
    let table: Vec<(Vec<u8>, Result<MetadataMsg<'_>, UtMetadataError>)> = vec![
        // BEP 9: an unknown msg_type is ignored, whatever else it holds.
        (b"d8:msg_typei3e5:piecei0ee".to_vec(), Ok(MetadataMsg::Unknown { msg_type: 3 })),
        (b"d3:fooi1e8:msg_typei-1ee".to_vec(), Ok(MetadataMsg::Unknown { msg_type: -1 })),
        // Unknown keys are skipped, and key order is not enforced.
        (b"d5:piecei2e8:msg_typei2e1:xi9ee".to_vec(), Ok(MetadataMsg::Reject { piece: 2 })),
        // A full piece is fine; one byte more is not.
        (data(&full), Ok(MetadataMsg::Data { piece: 0, total_size: 20000, data: &full })),
        (data(&over), Err(DataTooLong { len: 16385 })),
        // An empty data message parses (its length is checked by size).
        (data(b""), Ok(MetadataMsg::Data { piece: 0, total_size: 20000, data: b"" })),
        // Fields missing, of the wrong type, or out of range.
        (b"d5:piecei0ee".to_vec(), Err(BadField { key: "msg_type" })),
        (b"d8:msg_type1:0e".to_vec(), Err(BadField { key: "msg_type" })),
        (b"d8:msg_typei0ee".to_vec(), Err(BadField { key: "piece" })),
        (b"d8:msg_typei0e5:piecei-1ee".to_vec(), Err(BadField { key: "piece" })),
        (b"d8:msg_typei0e5:piecei4294967296ee".to_vec(), Err(BadField { key: "piece" })),
        (b"d8:msg_typei1e5:piecei0ee".to_vec(), Err(BadField { key: "total_size" })),
        // total_size over the 10 MiB cap (2^40 here), or negative.
        (b"d8:msg_typei1e5:piecei0e10:total_sizei1099511627776ee".to_vec(),
         Err(BadField { key: "total_size" })),
        (b"d8:msg_typei1e5:piecei0e10:total_sizei-5ee".to_vec(),
         Err(BadField { key: "total_size" })),
        // Bytes after a request or reject.
        (b"d8:msg_typei0e5:piecei0eexx".to_vec(), Err(Trailing { len: 2 })),
        // Not a dictionary, not bencode, too deep.
        (b"li0ee".to_vec(), Err(NotDict)),
        (b"d8:msg_typei0e".to_vec(), Err(Bencode(BencodeError::UnexpectedEnd { offset: 14 }))),
        (deep, Err(Bencode(BencodeError::TooDeep { offset: 28, max: 8 }))),
    ];
    for (bytes, want) in table {
        let got = MetadataMsg::parse(&bytes);
        assert_eq!(got, want, "{}", String::from_utf8_lossy(&bytes));
        if let Err(e) = got {
            assert!(!e.to_string().is_empty());
        }
    }
}

#[test]
fn size_arithmetic_with_real_numbers() {
    // (length, pieces, last piece's range)
    let table = [
        (1, 1, 0..1),
        (16_383, 1, 0..16_383),
        (16_384, 1, 0..16_384),
        (16_385, 2, 16_384..16_385),
        // A 2 GiB torrent of 256 KiB pieces: 8,192 hashes, ~164 KB.
        (163_987, 11, 163_840..163_987),
        (MAX_METADATA_SIZE, 640, 10_469_376..10_485_760),
    ];
    for (len, pieces, last) in table {
        let size = MetadataSize::new(len).unwrap();
        assert_eq!(size.get(), len);
        assert_eq!(size.pieces(), pieces, "{len}");
        assert_eq!(size.piece_range(pieces - 1), Some(last.clone()), "{len}");
        assert_eq!(size.piece_range(pieces), None, "{len}");
        assert_eq!(size.piece_range(u32::MAX), None, "no overflow");
        assert_eq!(size.check_data(pieces - 1, len, last.len()), Ok(last));
    }
    assert_eq!(MetadataSize::new(0), None);
    assert_eq!(MetadataSize::new(MAX_METADATA_SIZE + 1), None);
    assert_eq!(MetadataSize::new(u32::MAX), None);
}

#[test]
fn data_that_does_not_fit_the_size() {
    let size = MetadataSize::new(20_000).unwrap(); // pieces of 16,384 and 3,616
    use PieceMismatch::*;
    let table = [
        // (piece, total_size, data length, result)
        (0, 20_000, 16_384, Ok(0..16_384)),
        (1, 20_000, 3_616, Ok(16_384..20_000)),
        (
            2,
            20_000,
            0,
            Err(OutOfRange {
                piece: 2,
                pieces: 2,
            }),
        ),
        (
            u32::MAX,
            20_000,
            0,
            Err(OutOfRange {
                piece: u32::MAX,
                pieces: 2,
            }),
        ),
        (
            1,
            20_000,
            3_617,
            Err(Length {
                piece: 1,
                len: 3_617,
                want: 3_616,
            }),
        ),
        (
            0,
            20_000,
            100,
            Err(Length {
                piece: 0,
                len: 100,
                want: 16_384,
            }),
        ),
        (
            0,
            20_001,
            16_384,
            Err(TotalSize {
                said: 20_001,
                known: 20_000,
            }),
        ),
    ];
    for (piece, total, len, want) in table {
        let got = size.check_data(piece, total, len);
        assert_eq!(got, want, "piece {piece}");
        if let Err(e) = got {
            assert!(e.to_string().contains("metadata"));
        }
    }
}
