//! Unit tests for `bencode`.

use super::*;
use BencodeError as E;

fn ok(input: &[u8]) -> Value<'_> {
    decode(input, Limits::TORRENT).unwrap()
}

#[test]
fn decodes_each_kind() {
    let table: &[(&[u8], Value<'static>)] = &[
        (b"i0e", Value::Int(0)),
        (b"i42e", Value::Int(42)),
        (b"i-7e", Value::Int(-7)),
        (b"i9223372036854775807e", Value::Int(i64::MAX)),
        (b"i-9223372036854775808e", Value::Int(i64::MIN)),
        (b"0:", Value::Bytes(b"")),
        (b"4:spam", Value::Bytes(b"spam")),
        (b"le", Value::List(vec![])),
        (b"de", Value::Dict(vec![])),
        (
            b"l4:spami1ee",
            Value::List(vec![Value::Bytes(b"spam"), Value::Int(1)]),
        ),
        (
            b"d3:cow3:moo4:spaml1:a1:bee",
            Value::Dict(vec![
                (b"cow", Value::Bytes(b"moo")),
                (
                    b"spam",
                    Value::List(vec![Value::Bytes(b"a"), Value::Bytes(b"b")]),
                ),
            ]),
        ),
        // Unsorted keys are accepted (real files break the order).
        (
            b"d1:bi1e1:ai2ee",
            Value::Dict(vec![(b"b", Value::Int(1)), (b"a", Value::Int(2))]),
        ),
    ];
    for (input, want) in table {
        assert_eq!(&ok(input), want, "{}", String::from_utf8_lossy(input));
    }
}

#[test]
fn refuses_each_bad_input() {
    let deep = vec![b'l'; 100_000];
    let huge = b"99999999999999999999999999:abc".to_vec();
    let table: &[(&[u8], BencodeError)] = &[
        (b"", E::UnexpectedEnd { offset: 0 }),
        (b"i-0e", E::BadInteger { offset: 0 }),
        (b"i03e", E::BadInteger { offset: 0 }),
        (b"i-03e", E::BadInteger { offset: 0 }),
        (b"ie", E::BadInteger { offset: 0 }),
        (b"i-e", E::BadInteger { offset: 0 }),
        (b"i+1e", E::BadInteger { offset: 0 }),
        (b"i1.5e", E::BadInteger { offset: 0 }),
        (b"i9223372036854775808e", E::BadInteger { offset: 0 }),
        (b"i-9223372036854775809e", E::BadInteger { offset: 0 }),
        (b"i12", E::UnexpectedEnd { offset: 3 }),
        (b"5:abc", E::LengthTooLong { offset: 0, len: 5 }),
        (
            &huge,
            E::LengthTooLong {
                offset: 0,
                len: u64::MAX,
            },
        ),
        (
            b"l18446744073709551615:e",
            E::LengthTooLong {
                offset: 1,
                len: u64::MAX,
            },
        ),
        (b"03:abc", E::BadLength { offset: 0 }),
        (b"3abc", E::BadLength { offset: 0 }),
        (b"12", E::UnexpectedEnd { offset: 2 }),
        (b"l", E::UnexpectedEnd { offset: 1 }),
        (
            b"e",
            E::UnexpectedByte {
                offset: 0,
                byte: b'e',
            },
        ),
        (
            b"x",
            E::UnexpectedByte {
                offset: 0,
                byte: b'x',
            },
        ),
        (b"i1ei2e", E::TrailingBytes { offset: 3 }),
        (b"dee", E::TrailingBytes { offset: 2 }),
        (b"di1ei2ee", E::KeyNotBytes { offset: 1 }),
        (b"dlei2ee", E::KeyNotBytes { offset: 1 }),
        (b"d1:ae", E::MissingValue { offset: 4 }),
        (
            b"d1:ai1e1:ai2ee",
            E::DuplicateKey {
                offset: 0,
                key: "a".into(),
            },
        ),
        (
            b"d1:ai1e1:bi1e1:ai2ee",
            E::DuplicateKey {
                offset: 0,
                key: "a".into(),
            },
        ),
        (
            &deep,
            E::TooDeep {
                offset: 64,
                max: 64,
            },
        ),
    ];
    for (input, want) in table {
        let got = decode(input, Limits::TORRENT).unwrap_err();
        assert_eq!(
            &got,
            want,
            "{}",
            String::from_utf8_lossy(&input[..input.len().min(40)])
        );
    }
}

#[test]
fn limits_are_exact() {
    let depth_2 = Limits {
        max_depth: 2,
        max_tokens: 10,
    };
    assert!(decode(b"llee", depth_2).is_ok());
    assert_eq!(
        decode(b"llleee", depth_2),
        Err(E::TooDeep { offset: 2, max: 2 })
    );
    // Tokens: the list, then three integers.
    let four = Limits {
        max_depth: 2,
        max_tokens: 4,
    };
    assert!(decode(b"li1ei2ei3ee", four).is_ok());
    assert_eq!(
        decode(b"li1ei2ei3ei4ee", four),
        Err(E::TooManyTokens { offset: 10, max: 4 })
    );
    // 300,000 empty strings overflow the tracker limit.
    let mut many = b"l".to_vec();
    many.extend(std::iter::repeat_n(&b"0:"[..], 300_000).flatten());
    many.push(b'e');
    assert!(matches!(
        decode(&many, Limits::TRACKER),
        Err(E::TooManyTokens { .. })
    ));
}

#[test]
fn accessors() {
    let v = ok(b"d1:ai-1e1:b3:xyz1:cli1ee1:dde1:e2:\xff\xfee");
    assert_eq!(v.get(b"a").and_then(Value::as_int), Some(-1));
    assert_eq!(v.get(b"b").and_then(Value::as_str), Some("xyz"));
    assert_eq!(
        v.get(b"c").and_then(Value::as_list).map(<[_]>::len),
        Some(1)
    );
    assert_eq!(
        v.get(b"d").and_then(Value::as_dict).map(<[_]>::len),
        Some(0)
    );
    assert_eq!(v.get(b"e").and_then(Value::as_str), None);
    assert_eq!(
        v.get(b"e").and_then(Value::as_bytes),
        Some(&b"\xff\xfe"[..])
    );
    assert_eq!(v.get(b"z"), None);
    assert_eq!(Value::Int(1).get(b"a"), None);
    assert_eq!(Value::Int(1).as_bytes(), None);
}

#[test]
fn info_span_is_the_raw_bytes() {
    let input = b"d8:announce3:url4:infod6:lengthi5e4:name1:xe5:otheri1ee";
    let span = info_span(input, Limits::TORRENT).unwrap();
    assert_eq!(&input[span], b"d6:lengthi5e4:name1:xe");
    // A nested `info` key does not count; only the top level's.
    let nested = b"d1:ad4:infod1:xi1eee4:infodee";
    let span = info_span(nested, Limits::TORRENT).unwrap();
    assert_eq!(span, 26..28);
    let table: &[(&[u8], BencodeError)] = &[
        (b"de", E::NoInfo),
        (b"li1ee", E::NoInfo),
        (b"d1:ad4:infodeee", E::NoInfo),
        (b"d4:infoi1ee", E::InfoNotDict { offset: 7 }),
        (b"d4:infodeei1e", E::TrailingBytes { offset: 10 }),
    ];
    for (input, want) in table {
        assert_eq!(&info_span(input, Limits::TORRENT).unwrap_err(), want);
    }
}

#[test]
fn decode_prefix_stops_after_the_first_value() {
    // (input, end, info span): what follows the value is never read.
    type Row<'a> = (&'a [u8], usize, Option<Range<usize>>);
    let table: &[Row<'_>] = &[
        (b"i1e", 3, None),
        (b"i1ejunk", 3, None),
        (b"d4:infodee\n\0\xff", 10, Some(7..9)),
        (b"d4:infod1:xi1eeed", 16, Some(7..15)),
        (b"le3:abc", 2, None),
    ];
    for (input, end, info) in table {
        let got = decode_prefix(input, Limits::TORRENT).unwrap();
        assert_eq!((got.end, &got.info), (*end, info), "{input:?}");
        // The same bytes without the tail decode exactly.
        assert_eq!(decode(&input[..*end], Limits::TORRENT), Ok(got.value));
    }
    // Every check of `decode` still applies inside the value.
    let table: &[(&[u8], BencodeError)] = &[
        (
            b"d1:ai1e1:ai2eejunk",
            E::DuplicateKey {
                offset: 0,
                key: "a".into(),
            },
        ),
        (b"i03ejunk", E::BadInteger { offset: 0 }),
        (b"d4:info", E::UnexpectedEnd { offset: 7 }),
        (b"", E::UnexpectedEnd { offset: 0 }),
    ];
    for (input, want) in table {
        assert_eq!(&decode_prefix(input, Limits::TORRENT).unwrap_err(), want);
    }
    // `decode` itself still refuses the tail.
    assert_eq!(
        decode(b"i1ejunk", Limits::TORRENT),
        Err(E::TrailingBytes { offset: 3 })
    );
}

#[test]
fn encoder_round_trips() {
    let mut e = Encoder::new();
    e.dict()
        .str("a")
        .int(-3)
        .str("b")
        .list()
        .bytes(b"\x00\x01")
        .int(0)
        .end()
        .str("c")
        .dict()
        .end()
        .end();
    let out = e.finish();
    assert_eq!(out, b"d1:ai-3e1:bl2:\x00\x01i0ee1:cdee");
    assert!(decode(&out, Limits::TORRENT).is_ok());
}

#[test]
fn errors_read_as_words() {
    let e = decode(b"i-0e", Limits::TORRENT).unwrap_err();
    assert_eq!(e.to_string(), "invalid integer at byte 0");
    let e = decode(b"d1:ai1e1:ai2ee", Limits::TORRENT).unwrap_err();
    assert_eq!(
        e.to_string(),
        "duplicate key \"a\" in the dictionary at byte 0"
    );
}
