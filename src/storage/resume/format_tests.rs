use super::*;

const HASH: InfoHash = [0x11; 20];

/// 3 pieces of 1 KiB (the last 452 bytes), two files.
fn geometry() -> Geometry {
    Geometry::new(2500, 1024, 3).unwrap()
}

/// Pieces 0 and 2 verified; file 0 on disk, file 1 not.
fn state() -> State {
    let g = geometry();
    let mut verified = Bitfield::new(3);
    verified.set(g.piece(0).unwrap());
    verified.set(g.piece(2).unwrap());
    State {
        info_hash: HASH,
        verified,
        files: vec![
            Some(Stamp {
                size: 2000,
                secs: 1_700_000_000,
                nanos: 5,
            }),
            None,
        ],
    }
}

/// [`state`] as bytes, field by field.
fn vector() -> Vec<u8> {
    [
        &b"d"[..],
        b"5:files",
        b"l",
        b"li2000ei1700000000ei5ee", // file 0: size, secs, nanos
        b"le",                      // file 1: not on disk
        b"e",
        b"9:info hash",
        b"20:",
        &[0x11; 20],
        b"12:piece length",
        b"i1024e",
        b"6:pieces",
        b"i3e",
        b"8:verified",
        b"1:\xa0", // 1010 0000: pieces 0 and 2, spare bits zero
        b"7:version",
        b"i1e",
        b"e",
    ]
    .concat()
}

#[test]
fn encodes_to_the_vector_and_parses_back() {
    let g = geometry();
    assert_eq!(encode(&state(), g), vector());
    assert_eq!(parse(&vector(), &HASH, g, 2), Some(state()));
}

#[test]
fn round_trips_extreme_stamps() {
    let g = geometry();
    let mut s = state();
    s.verified = Bitfield::full(3);
    s.files = vec![
        Some(Stamp {
            size: 0,
            secs: -1,
            nanos: 999_999_999,
        }),
        Some(Stamp {
            size: i64::MAX as u64,
            secs: i64::MAX,
            nanos: 0,
        }),
    ];
    assert_eq!(parse(&encode(&s, g), &HASH, g, 2), Some(s));
}

/// Replaces the first `from` in the vector by `to`.
fn changed(from: &[u8], to: &[u8]) -> Vec<u8> {
    let v = vector();
    let at = v
        .windows(from.len())
        .position(|w| w == from)
        .expect("pattern in the vector");
    [&v[..at], to, &v[at + from.len()..]].concat()
}

#[test]
fn anything_unexpected_is_no_state() {
    let g = geometry();
    // (what is wrong, the bytes)
    let table: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("not bencode", b"hello".to_vec()),
        ("cut short", vector()[..40].to_vec()),
        ("trailing bytes", [vector(), b"x".to_vec()].concat()),
        ("a list, not a dict", b"le".to_vec()),
        ("other version", changed(b"7:versioni1e", b"7:versioni2e")),
        ("no version", changed(b"7:versioni1e", b"")),
        ("other torrent", changed(&[0x11; 20], &[0x12; 20])),
        ("short info hash", changed(b"20:\x11", b"19:")),
        ("other piece count", changed(b"6:piecesi3e", b"6:piecesi4e")),
        ("negative piece count", changed(b"i3e", b"i-3e")),
        ("other piece length", changed(b"i1024e", b"i2048e")),
        ("bitfield too long", changed(b"1:\xa0", b"2:\xa0\x00")),
        ("bitfield empty", changed(b"1:\xa0", b"0:")),
        ("spare bit set", changed(b"1:\xa0", b"1:\xa1")),
        ("verified not bytes", changed(b"1:\xa0", b"i0e")),
        ("one file too many", changed(b"lee9:", b"lelee9:")),
        ("one file too few", changed(b"lee9:", b"e9:")),
        ("negative size", changed(b"i2000e", b"i-2000e")),
        ("nanos a second", changed(b"i5ee", b"i1000000000ee")),
        ("negative nanos", changed(b"i5ee", b"i-5ee")),
        ("two fields", changed(b"i5ee", b"e")),
        ("four fields", changed(b"i5ee", b"i5ei0ee")),
        ("size not an int", changed(b"i2000e", b"4:2000")),
        ("file not a list", changed(b"lee9:", b"i0ee9:")),
        ("too deep", changed(b"lee9:", b"llleeee9:")),
        ("files not a list", changed(b"5:filesl", b"5:filesd")),
    ];
    for (what, bytes) in &table {
        assert_eq!(parse(bytes, &HASH, g, 2), None, "{what}");
    }
    // The same good bytes asked about another file count.
    assert_eq!(parse(&vector(), &HASH, g, 3), None, "other file count");
}
