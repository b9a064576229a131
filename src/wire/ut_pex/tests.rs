//! Unit tests for `wire::ut_pex`: a real-looking message both ways, IPv6,
//! and a table of hostile ones.

use super::*;

fn a(ip: [u8; 4], port: u16) -> SocketAddr {
    SocketAddr::from((ip, port))
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// What libtorrent sends a minute after the handshake: two IPv4 peers
/// it connected to (one a seed), one it lost, no IPv6.
#[rustfmt::skip]
fn real_looking() -> Vec<u8> {
    cat(&[
        b"d",
        b"5:added", b"12:",
            &[192, 0, 2, 7], &[0x1a, 0xe1],       // 192.0.2.7:6881
            &[198, 51, 100, 9], &[0xc8, 0xd5],    // 198.51.100.9:51413
        b"7:added.f", b"2:",
            &[0x10],                              // reachable
            &[0x12],                              // reachable, seed
        b"6:added6", b"0:",
        b"8:added6.f", b"0:",
        b"7:dropped", b"6:",
            &[203, 0, 113, 5], &[0x1a, 0xe9],     // 203.0.113.5:6889
        b"8:dropped6", b"0:",
        b"e",
    ])
}

#[test]
fn a_real_looking_message_both_ways() {
    let want = PexMessage {
        added: vec![
            (a([192, 0, 2, 7], 6881), PexFlags::REACHABLE),
            (
                a([198, 51, 100, 9], 51413),
                PexFlags::REACHABLE | PexFlags::SEED,
            ),
        ],
        dropped: vec![a([203, 0, 113, 5], 6889)],
    };
    assert_eq!(PexMessage::decode(&real_looking()), Ok(want.clone()));
    assert_eq!(want.encode(), real_looking());
    assert!(want.added[1].1.contains(PexFlags::SEED));
    assert!(!want.added[0].1.contains(PexFlags::SEED));
}

#[test]
fn ipv6_entries_and_mapped_addresses() {
    let v6: Ipv6Addr = "2001:db8::1".parse().unwrap();
    let mapped = Ipv4Addr::new(192, 0, 2, 1).to_ipv6_mapped();
    let msg = PexMessage {
        added: vec![
            (SocketAddr::new(v6.into(), 6881), PexFlags::UTP),
            // Goes out in `added`, as IPv4.
            (SocketAddr::new(mapped.into(), 80), PexFlags::SEED),
        ],
        dropped: vec![SocketAddr::new(v6.into(), 1)],
    };
    #[rustfmt::skip]
    let want = cat(&[
        b"d",
        b"5:added", b"6:", &[192, 0, 2, 1], &[0, 80],
        b"7:added.f", b"1:", &[0x02],
        b"6:added6", b"18:", &v6.octets(), &[0x1a, 0xe1],
        b"8:added6.f", b"1:", &[0x04],
        b"7:dropped", b"0:",
        b"8:dropped6", b"18:", &v6.octets(), &[0, 1],
        b"e",
    ]);
    assert_eq!(msg.encode(), want);
    let back = PexMessage::decode(&want).unwrap();
    assert_eq!(back.added[0], (a([192, 0, 2, 1], 80), PexFlags::SEED));
    assert_eq!(
        back.added[1],
        (SocketAddr::new(v6.into(), 6881), PexFlags::UTP)
    );
    // A mapped address received in added6 is read as IPv4 too.
    let in6 = cat(&[b"d6:added618:", &mapped.octets(), &[0, 80], b"e"]);
    assert_eq!(
        PexMessage::decode(&in6).unwrap().added,
        vec![(a([192, 0, 2, 1], 80), PexFlags(0))]
    );
}

#[test]
fn tolerated_oddities() {
    let two = cat(&[&[10, 0, 0, 1], &[0, 1], &[10, 0, 0, 2], &[0, 2]]);
    /// (payload, added ports with flags, dropped count)
    type Row = (Vec<u8>, Vec<(u16, u8)>, usize);
    let table: Vec<Row> = vec![
        (b"de".to_vec(), vec![], 0),
        // Flags missing: 0.
        (cat(&[b"d5:added12:", &two, b"e"]), vec![(1, 0), (2, 0)], 0),
        // Flags short: the rest are 0.
        (
            cat(&[b"d5:added12:", &two, b"7:added.f1:\x02e"]),
            vec![(1, 2), (2, 0)],
            0,
        ),
        // Flags long: the extra is ignored; unknown keys too.
        (
            cat(&[b"d5:added12:", &two, b"7:added.f3:\x01\x02\x03", b"1:xi1ee"]),
            vec![(1, 1), (2, 2)],
            0,
        ),
        // Port 0 is skipped, and its flag with it.
        (
            cat(&[
                b"d5:added12:",
                &[10, 0, 0, 9, 0, 0],
                &[10, 0, 0, 2, 0, 2],
                b"7:added.f2:\x01\x02e",
            ]),
            vec![(2, 2)],
            0,
        ),
        // Unspecified, broadcast, multicast: skipped.
        (
            cat(&[
                b"d5:added18:",
                &[0, 0, 0, 0, 0, 5],
                &[255; 4],
                &[0, 5],
                &[224, 0, 0, 1, 0, 5],
                b"e",
            ]),
            vec![],
            0,
        ),
        (cat(&[b"d7:dropped12:", &two, b"e"]), vec![], 2),
        (
            cat(&[b"d7:dropped6:", &[10, 0, 0, 1, 0, 0], b"e"]),
            vec![],
            0,
        ),
    ];
    for (payload, added, dropped) in table {
        let msg = PexMessage::decode(&payload)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&payload)));
        let got: Vec<(u16, u8)> = msg.added.iter().map(|(a, f)| (a.port(), f.0)).collect();
        assert_eq!(got, added, "{}", String::from_utf8_lossy(&payload));
        assert_eq!(msg.dropped.len(), dropped);
    }
}

#[test]
fn hostile_messages_are_refused() {
    let entries = |n: usize, size: usize| vec![7u8; n * size];
    let list = |key: &str, body: &[u8]| {
        cat(&[
            b"d",
            format!("{}:{key}{}:", key.len(), body.len()).as_bytes(),
            body,
            b"e",
        ])
    };
    let table: Vec<(Vec<u8>, PexError)> = vec![
        // 10,000 addresses: 60,000 bytes, refused by length first.
        (
            list("added", &entries(10_000, V4_ENTRY)),
            PexError::TooLong { len: 60_015 },
        ),
        (
            list("added", &entries(MAX_ENTRIES + 1, V4_ENTRY)),
            PexError::TooMany {
                key: "added",
                count: 101,
            },
        ),
        (
            list("dropped6", &entries(MAX_ENTRIES + 1, V6_ENTRY)),
            PexError::TooMany {
                key: "dropped6",
                count: 101,
            },
        ),
        (
            list("added", &entries(1, 7)),
            PexError::BadLength {
                key: "added",
                len: 7,
                entry: 6,
            },
        ),
        (
            list("added6", &entries(1, 6)),
            PexError::BadLength {
                key: "added6",
                len: 6,
                entry: 18,
            },
        ),
        (
            list("dropped", &entries(1, 5)),
            PexError::BadLength {
                key: "dropped",
                len: 5,
                entry: 6,
            },
        ),
        (
            b"d5:addedi6ee".to_vec(),
            PexError::NotBytes { key: "added" },
        ),
        (
            b"d7:added.fle5:added0:e".to_vec(),
            PexError::NotBytes { key: "added.f" },
        ),
        (
            b"d8:dropped6de7:dropped0:e".to_vec(),
            PexError::NotBytes { key: "dropped6" },
        ),
        (b"le".to_vec(), PexError::NotDict),
        (b"i5e".to_vec(), PexError::NotDict),
    ];
    for (payload, want) in table {
        assert_eq!(PexMessage::decode(&payload), Err(want.clone()));
        assert!(!want.to_string().is_empty());
    }
    // Not bencode at all, or nested too deep: the decoder's own errors.
    for junk in [&b""[..], b"d5:added", b"x", &[b'l'; 100]] {
        assert!(matches!(
            PexMessage::decode(junk),
            Err(PexError::Bencode(_))
        ));
    }
}

#[test]
fn the_bounds_agree() {
    // Every list full, with full flags, fits MAX_LEN.
    let full = PexMessage {
        added: (0..MAX_ENTRIES as u16)
            .map(|p| (a([10, 0, 0, 1], p + 1), PexFlags(0xff)))
            .chain((0..MAX_ENTRIES as u16).map(|p| {
                (
                    SocketAddr::new("2001:db8::1".parse().unwrap(), p + 1),
                    PexFlags(0xff),
                )
            }))
            .collect(),
        dropped: (0..MAX_ENTRIES as u16)
            .map(|p| a([10, 0, 0, 2], p + 1))
            .chain(
                (0..MAX_ENTRIES as u16)
                    .map(|p| SocketAddr::new("2001:db8::2".parse().unwrap(), p + 1)),
            )
            .collect(),
    };
    let bytes = full.encode();
    assert!(bytes.len() <= MAX_LEN, "{}", bytes.len());
    assert_eq!(PexMessage::decode(&bytes), Ok(full));
    const { assert!(SEND_MAX <= MAX_ENTRIES) };
}
