//! Built torrents: sizes in `u64`, the decoder's rules as seen through
//! `Metainfo`, the fields outside `info`, hybrid torrents. Every `load`
//! and `refused` runs both entry points (`from_bytes`, `from_info_bytes`).

use super::*;

const GIB: i64 = 1 << 30;
const MIB: i64 = 1 << 20;

/// Over 4 GiB: every length and offset past `u32`, so this also checks
/// that no content math goes through `usize` on 32-bit targets.
#[test]
fn torrents_over_4_gib_load() {
    // 5 GiB in 4 MiB pieces: exactly 1280 pieces.
    let m = load(&single_info(b"big.iso", 5 * GIB, 4 * MIB, 1280)).unwrap();
    assert_eq!(m.geometry.total_len(), 5 * (1 << 30));
    assert_eq!(m.geometry.num_pieces(), 1280);
    assert_eq!(layout(&m), [("big.iso".into(), 5 << 30, 0, false)]);
    // Two files, the second starting past 4 GiB, a short last piece.
    let files = [file(&[b"a"], 4 * GIB + 5, None), file(&[b"b"], GIB, None)];
    let m = load(&multi_info(&files, 4 * MIB, 1281)).unwrap();
    assert_eq!(m.geometry.total_len(), (5 << 30) + 5);
    assert_eq!(m.geometry.num_pieces(), 1281);
    let last = m.geometry.piece(1280).unwrap();
    assert_eq!(m.geometry.piece_len(last), 5);
    assert_eq!(m.geometry.piece_offset(last), 5 << 30);
    assert_eq!(
        layout(&m),
        [
            ("top/a".into(), (4 << 30) + 5, 0, false),
            ("top/b".into(), 1 << 30, (4 << 30) + 5, false),
        ]
    );
}

#[test]
fn sizes_and_hashes_are_checked() {
    #[rustfmt::skip]
    let table: Vec<(Vec<u8>, &str)> = vec![
        (single_info(b"x", 40_000, 16_384, 4), "has 4 piece hashes but its size needs 3"),
        (single_info(b"x", 40_000, 16_384, 2), "has 2 piece hashes but its size needs 3"),
        // Beyond 2^48 bytes: refused before any hash is counted.
        (single_info(b"x", 1 << 49, 1 << 26, 1), "total length 562949953421312 is larger"),
        (single_info(b"x", 100, 1 << 27, 1), "piece length 134217728 is outside"),
        (single_info(b"x", 0, 16_384, 1), "the torrent holds no data"),
        (single_info(b"x", -1, 16_384, 1), "the torrent has negative length -1"),
        (single_info(b"x", 1, -5, 1), "negative piece length -5"),
        (multi_info(&[file(&[b"a"], 0, None)], 16_384, 1), "the torrent holds no data"),
        (multi_info(&[file(&[b"a"], -3, None)], 16_384, 1), "file 0 has negative length -3"),
        (multi_info(&[], 16_384, 1), "the torrent holds no data"),
        // Files whose lengths add up past u64: refused, not wrapped.
        (multi_info(&[file(&[b"a"], i64::MAX, None), file(&[b"b"], i64::MAX, None),
                      file(&[b"c"], i64::MAX, None)], 1 << 26, 1), "is larger than the limit"),
        (d(&[(b"name", s(b"x")), (b"piece length", i(16_384)), (b"pieces", hashes(1))]),
         "the torrent has no \"length\" integer"),
        (d(&[(b"length", i(1)), (b"name", s(b"x")), (b"piece length", i(16_384)),
             (b"pieces", s(&[0; 19]))]), "\"pieces\" is 19 bytes, not a multiple of 20"),
        (d(&[(b"length", i(1)), (b"name", s(b"x")), (b"piece length", i(16_384))]),
         "\"pieces\" is missing"),
        (d(&[(b"files", s(b"x")), (b"name", s(b"x")), (b"piece length", i(16_384)),
             (b"pieces", hashes(1))]), "\"files\" is not a list"),
        (d(&[(b"files", l(&[d(&[(b"length", i(1))])])), (b"name", s(b"x")),
             (b"piece length", i(16_384)), (b"pieces", hashes(1))]), "file 0 has no \"path\" list"),
        (d(&[(b"length", i(1)), (b"name", i(7)), (b"piece length", i(16_384)),
             (b"pieces", hashes(1))]), "\"name\" is not a string"),
    ];
    for (info, want) in table {
        let err = refused(&info);
        assert!(err.contains(want), "want {want:?}, got {err:?}");
    }
}

#[test]
fn decoder_rules_hold_for_torrents() {
    let ok = single_info(b"x", 1, 16_384, 1);
    let dup = d(&[
        (b"length", i(1)),
        (b"name", s(b"x")),
        (b"name", s(b"y")),
        (b"piece length", i(16_384)),
        (b"pieces", hashes(1)),
    ]);
    let leading_zero = String::from_utf8_lossy(&ok).replace("i1e", "i01e");
    let minus_zero = String::from_utf8_lossy(&ok).replace("i1e", "i-0e");
    #[rustfmt::skip]
    let table: Vec<(Vec<u8>, &str)> = vec![
        (dup, "duplicate key \"name\""),
        (leading_zero.into_bytes(), "invalid integer"),
        (minus_zero.into_bytes(), "invalid integer"),
    ];
    for (info, want) in table {
        let err = refused(&info);
        assert!(err.contains(want), "want {want:?}, got {err:?}");
    }
    let whole: &[(&[u8], &str)] = &[
        (
            b"d4:infoi1ee",
            "the info value at byte 7 is not a dictionary",
        ),
        (b"d8:announce1:xe", "no info dictionary"),
        (b"le", "no info dictionary"),
        (b"d4:infod", "input ends too early"),
    ];
    for (bytes, want) in whole {
        let err = Metainfo::from_bytes(bytes).unwrap_err().to_string();
        assert!(err.contains(want), "want {want:?}, got {err:?}");
    }
    let err = Metainfo::from_info_bytes(b"i1e").unwrap_err().to_string();
    assert!(
        err.contains("the info value at byte 0 is not a dictionary"),
        "{err}"
    );
    let too_big = vec![b'x'; 10 * 1024 * 1024 + 1];
    for err in [
        Metainfo::from_bytes(&too_big).unwrap_err(),
        Metainfo::from_info_bytes(&too_big).unwrap_err(),
    ] {
        assert!(err.to_string().contains("more than the limit of 10485760"));
    }
}

/// Unsorted keys load; the infohash is over the bytes as written, so it
/// differs from the sorted dictionary's.
#[test]
fn unsorted_keys_load_with_the_raw_infohash() {
    let sorted = single_info(b"x", 5, 16_384, 1);
    let unsorted = d(&[
        (b"pieces", hashes(1)),
        (b"name", s(b"x")),
        (b"zzz", l(&[i(1)])),
        (b"length", i(5)),
        (b"piece length", i(16_384)),
    ]);
    let a = load(&sorted).unwrap();
    let b = load(&unsorted).unwrap();
    assert_eq!(b.info_hash, crate::hash::sha1(&unsorted));
    assert_ne!(a.info_hash, b.info_hash);
    assert_eq!((a.geometry, a.files), (b.geometry, b.files));
    // The top level may be unsorted too.
    let mut top = b"d4:info".to_vec();
    top.extend(&sorted);
    top.extend(b"8:announce10:http://t/ae");
    let c = Metainfo::from_bytes(&top).unwrap();
    assert_eq!((c.info_hash, c.trackers.len()), (a.info_hash, 1));
}

/// Bytes after the top-level dictionary are ignored (as libtorrent does).
#[test]
fn trailing_bytes_after_the_torrent_are_ignored() {
    let info = single_info(b"x", 5, 16_384, 1);
    let clean = Metainfo::from_bytes(&torrent(&info)).unwrap();
    for junk in [&b"\n"[..], b"\0\0\0\0", b"garbage", b"d4:infodee", b"i-0e"] {
        let mut bytes = torrent(&info);
        bytes.extend_from_slice(junk);
        assert_eq!(Metainfo::from_bytes(&bytes).unwrap(), clean, "{junk:?}");
    }
    // A bare info dictionary is exactly the bytes hashed: nothing may follow.
    let mut bare = info.clone();
    bare.push(b'\n');
    let err = Metainfo::from_info_bytes(&bare).unwrap_err().to_string();
    assert!(err.contains("extra bytes after the value at byte"), "{err}");
}

#[test]
fn fields_outside_info() {
    let info = single_info(b"x", 5, 16_384, 1);
    let build = |extra: &[(&[u8], Vec<u8>)]| {
        let mut entries: Vec<(&[u8], Vec<u8>)> = extra.to_vec();
        entries.push((b"info", info.clone()));
        Metainfo::from_bytes(&d(&entries)).unwrap()
    };
    let tier = |urls: &[&[u8]]| l(&urls.iter().map(|u| s(u)).collect::<Vec<_>>());
    let m = build(&[
        (b"announce", s(b"http://a")),
        (
            b"announce-list",
            l(&[
                tier(&[b"http://b", b"", b"\xff"]),
                tier(&[]),
                tier(&[b"udp://c"]),
            ]),
        ),
        (b"comment", s(b"caf\xe9")),
        (b"created by", s(b"hand")),
        (b"creation date", i(1_700_000_000)),
        (b"url-list", tier(&[b"http://w1/", b"http://w2/"])),
    ]);
    assert_eq!(
        m.trackers,
        [vec!["http://b".to_string()], vec!["udp://c".to_string()]]
    );
    assert_eq!(m.web_seeds, ["http://w1/", "http://w2/"]);
    assert_eq!(m.comment.as_deref(), Some("caf\u{fffd}"));
    assert_eq!(m.created_by.as_deref(), Some("hand"));
    assert_eq!(m.creation_date, Some(1_700_000_000));
    // BEP 19's other form, one URL; an empty announce-list falls back.
    let m = build(&[
        (b"announce", s(b"http://a")),
        (b"announce-list", l(&[tier(&[b""])])),
        (b"url-list", s(b"http://w/")),
    ]);
    assert_eq!(m.trackers, [vec!["http://a".to_string()]]);
    assert_eq!(m.web_seeds, ["http://w/"]);
    // Wrong types outside `info` are ignored, not fatal.
    let m = build(&[
        (b"announce", i(3)),
        (b"comment", l(&[])),
        (b"url-list", i(1)),
    ]);
    assert_eq!(
        (m.trackers.len(), m.web_seeds.len(), m.comment),
        (0, 0, None)
    );
}

#[test]
fn dht_nodes_outside_info() {
    let info = single_info(b"x", 5, 16_384, 1);
    let node = |host: &[u8], port: i64| l(&[s(host), i(port)]);
    let torrent = d(&[
        (b"info", info.clone()),
        (
            b"nodes",
            l(&[
                node(b"127.0.0.1", 6881),       // kept
                node(b"router.example", 25401), // a name: kept, resolved later
                node(b"::1", 6881),             // IPv6: bracketed
                node(b"127.0.0.2", 0),          // port 0: skipped
                node(b"127.0.0.3", 70_000),     // not a port: skipped
                node(b"", 6881),                // no host: skipped
                node(b"\xff", 6881),            // not UTF-8: skipped
                l(&[s(b"127.0.0.4")]),          // no port: skipped
                i(5),                           // not a pair: skipped
            ]),
        ),
    ]);
    let m = Metainfo::from_bytes(&torrent).unwrap();
    assert_eq!(
        m.dht_nodes,
        ["127.0.0.1:6881", "router.example:25401", "[::1]:6881"]
    );
    let many: Vec<Vec<u8>> = (0..100).map(|p| node(b"127.0.0.1", 1000 + p)).collect();
    let m = Metainfo::from_bytes(&d(&[(b"info", info), (b"nodes", l(&many))])).unwrap();
    assert_eq!(m.dht_nodes.len(), 32, "at most MAX_NODES");
}

#[test]
fn private_flag() {
    let with = |v: Vec<u8>| {
        d(&[
            (b"length", i(1)),
            (b"name", s(b"x")),
            (b"piece length", i(16_384)),
            (b"pieces", hashes(1)),
            (b"private", v),
        ])
    };
    assert!(load(&with(i(1))).unwrap().private);
    assert!(!load(&with(i(0))).unwrap().private);
    assert!(!load(&with(s(b"1"))).unwrap().private);
    assert!(!load(&single_info(b"x", 1, 16_384, 1)).unwrap().private);
}

/// A BEP 52 `file tree` leaf.
fn leaf(len: i64) -> Vec<u8> {
    d(&[(
        b"",
        d(&[(b"length", i(len)), (b"pieces root", s(&[7; 32]))]),
    )])
}

/// A hybrid info dictionary: v1 `files` (with a pad) and a v2 tree.
fn hybrid(files: &[Vec<u8>], tree: Vec<u8>) -> Vec<u8> {
    d(&[
        (b"file tree", tree),
        (b"files", l(files)),
        (b"meta version", i(2)),
        (b"name", s(b"top")),
        (b"piece length", i(16_384)),
        (b"pieces", hashes(2)),
    ])
}

#[test]
fn hybrid_file_lists_must_agree() {
    let v1 = [
        file(&[b"a.txt"], 5_000, None),
        file(&[b".pad", b"11384"], 11_384, Some(b"p")),
        file(&[b"sub", b"b.bin"], 7_000, None),
    ];
    let tree =
        |a: &[u8], a_len, b_len| d(&[(a, leaf(a_len)), (b"sub", d(&[(b"b.bin", leaf(b_len))]))]);
    let m = load(&hybrid(&v1, tree(b"a.txt", 5_000, 7_000))).unwrap();
    assert_eq!(m.files.len(), 3);
    assert_eq!(m.geometry.total_len(), 23_384);
    #[rustfmt::skip]
    let table: Vec<(Vec<u8>, &str)> = vec![
        (tree(b"a.txt", 5_000, 7_001), "file 1 is \"sub/b.bin\" (7000 bytes) in \"files\""),
        (tree(b"A.txt", 5_000, 7_000), "file 0 is \"a.txt\" (5000 bytes) in \"files\""),
        (d(&[(b"a.txt", leaf(5_000))]), "different numbers of files"),
        (d(&[(b"a.txt", leaf(5_000)), (b"sub", d(&[(b"b.bin", leaf(7_000))])), (b"z", leaf(1))]),
         "different numbers of files"),
        // Same files, other order.
        (d(&[(b"sub", d(&[(b"b.bin", leaf(7_000))])), (b"a.txt", leaf(5_000))]), "file 0 is"),
        (d(&[(b"a.txt", i(1))]), "\"file tree\": an entry is not a dictionary"),
        (s(b"x"), "\"file tree\": not a dictionary"),
    ];
    for (tree, want) in table {
        let err = refused(&hybrid(&v1, tree));
        assert!(err.contains(want), "want {want:?}, got {err:?}");
        assert!(err.contains("hybrid") || err.contains("file tree"), "{err}");
    }
}

#[test]
fn deep_file_trees_are_walked() {
    // 55 nested folders, near the decoder's depth limit of 64.
    let mut tree = d(&[(b"f", leaf(10))]);
    let mut v1_path: Vec<&[u8]> = vec![b"f"];
    for _ in 0..55 {
        tree = d(&[(b"d", tree)]);
        v1_path.insert(0, b"d");
    }
    let info = |path: &[&[u8]]| {
        d(&[
            (b"file tree", tree.clone()),
            (b"files", l(&[file(path, 10, None)])),
            (b"meta version", i(2)),
            (b"name", s(b"top")),
            (b"piece length", i(16_384)),
            (b"pieces", hashes(1)),
        ])
    };
    let m = load(&info(&v1_path)).unwrap();
    assert_eq!(m.files[0].path.components().count(), 57);
    // One level less in `files`: found 55 levels down.
    assert!(refused(&info(&v1_path[1..])).contains("hybrid"));
}

#[test]
fn v2_only_torrents_are_refused_clearly() {
    let info = d(&[
        (b"file tree", d(&[(b"x", leaf(5))])),
        (b"meta version", i(2)),
        (b"name", s(b"x")),
        (b"piece length", i(16_384)),
    ]);
    assert!(refused(&info).contains("v2-only torrent (BEP 52)"));
}
