//! The fixtures in data/: real torrents keep their infohash, hostile
//! ones are refused or (clashes) loaded with renamed paths.

use super::*;

/// (file, infohash, name, multi-file, real files, pad files, tiers, private)
type Expected = (
    &'static str,
    &'static str,
    &'static str,
    bool,
    usize,
    usize,
    usize,
    bool,
);

/// Expected infohashes from `transmission-show` and libtorrent (data/README.md).
#[test]
fn real_fixtures_load_with_their_infohash() {
    #[rustfmt::skip]
    let table: &[Expected] = &[
        ("mktorrent-single.torrent", "f60ec19362f65d29bf5f36d63d06c531a8b2e396", "single.bin", false, 1, 0, 1, false),
        ("mktorrent-multi.torrent", "453adcbcd025d845cea3c2239542e39af84cfa9e", "multi", true, 4, 0, 2, false),
        ("mktorrent-private-source.torrent", "285ee010e2669fb948ba80706231ee3a903fb68e", "multi", true, 4, 0, 1, true),
        // transmission-create leaves the empty file out.
        ("transmission-multi.torrent", "08e4657c480bf0d8d2f5a1df0e07d5ac787d383a", "multi", true, 3, 0, 2, false),
        ("libtorrent-v1.torrent", "e7ecd7cfbebd7f849c96f19e6dc744ad17ae7cbb", "multi", true, 4, 0, 1, false),
        ("libtorrent-hybrid.torrent", "6d0f9e163fbdcc813c0d450bc4cc7736fa036359", "multi", true, 4, 3, 1, false),
        ("libtorrent-hybrid-single.torrent", "0c09dfdb5a3fb73503882c3df8d03012614e31f1", "single.bin", false, 1, 0, 1, false),
    ];
    for &(file, hash, name, multi, real, pads, tiers, private) in table {
        let m = Metainfo::load(&fixture(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(to_hex(&m.info_hash), hash, "{file}");
        assert_eq!(m.name, name, "{file}");
        assert_eq!(m.multi_file, multi, "{file}");
        assert_eq!(m.files.iter().filter(|f| !f.pad).count(), real, "{file}");
        assert_eq!(m.files.iter().filter(|f| f.pad).count(), pads, "{file}");
        assert_eq!(m.trackers.len(), tiers, "{file}");
        assert_eq!(m.private, private, "{file}");
        assert_eq!(m.path_fixes, [], "{file}");
        assert_eq!(m.geometry.nominal_piece_len(), 32 * 1024, "{file}");
        assert_eq!(
            m.piece_hashes.len() as u64,
            u64::from(m.geometry.num_pieces())
        );
        // Offsets tile the content exactly.
        let mut next = 0;
        for f in &m.files {
            assert_eq!(f.offset, next, "{file}");
            assert!(f.path.is_relative() && f.path.starts_with(name), "{file}");
            next += f.length;
        }
        assert_eq!(next, m.geometry.total_len(), "{file}");
    }
}

#[test]
fn hostile_fixtures_are_refused_by_name() {
    let table: &[(&str, &str)] = &[
        ("hostile-deep.torrent", "nesting deeper than 64 levels"),
        (
            "hostile-dotdot.torrent",
            "bad file 1 (\"../evil.txt\"): path component \"..\" is \"..\" (leads out",
        ),
        (
            "hostile-absolute.torrent",
            "bad file 1 (\"/etc/passwd\"): path component \"/etc\" starts with a path separator",
        ),
        (
            "hostile-name-dotdot.torrent",
            "bad name: path component \"..\"",
        ),
    ];
    for (file, want) in table {
        let err = Metainfo::load(&fixture(file)).unwrap_err();
        assert!(matches!(err, Error::Torrent(_)), "{file}: {err:?}");
        assert!(err.to_string().contains(want), "{file}: {err}");
    }
}

/// Clashing paths are an honest tool's mistake: renamed, and said so.
#[test]
fn clash_fixtures_load_with_renamed_paths() {
    /// (fixture, (path, length, offset, pad) of each file, the one note)
    type Row<'a> = (&'a str, &'a [(&'a str, u64, u64, bool)], &'a str);
    let table: &[Row<'_>] = &[
        (
            "hostile-duplicate.torrent",
            &[
                ("hostile/dir/a.txt", 10, 0, false),
                ("hostile/dir/a.1.txt", 10, 10, false),
            ],
            "file 1: \"dir/a.txt\" is now \"dir/a.1.txt\" (it is the path of an earlier file: renamed)",
        ),
        (
            "hostile-file-dir-clash.torrent",
            &[
                ("hostile/a.1", 10, 0, false),
                ("hostile/a/b", 10, 10, false),
            ],
            "file 0: \"a\" is now \"a.1\" (it is also a folder of another file: renamed)",
        ),
    ];
    for (file, want, note) in table {
        let m = Metainfo::load(&fixture(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let want: Vec<_> = want
            .iter()
            .map(|&(p, l, o, pad)| (p.to_string(), l, o, pad))
            .collect();
        assert_eq!(layout(&m), want, "{file}");
        assert_eq!(notes(&m), vec![note.to_string()], "{file}");
        assert!(
            m.report().contains(&format!(
                "path fixes: (paths changed so they can be written safely)\n  {note}\n"
            )),
            "{file}"
        );
    }
}

/// data/make-fixtures.sh's content pattern, checked against the hashes
/// mktorrent and libtorrent wrote: byte i of a file with seed s is
/// (i * 7 + s) % 251, and pad files are zeros (BEP 47).
#[test]
fn content_pattern_matches_the_fixtures() {
    let pattern = |n: u64, seed: u64| (0..n).map(move |i| ((i * 7 + seed) % 251) as u8);
    // Content of each file in torrent order; pad files are zeros.
    let content = |m: &Metainfo| -> Vec<u8> {
        let seeds = [("a.txt", 2), ("b.bin", 3), ("c.bin", 4)];
        let mut out = Vec::new();
        for f in &m.files {
            let name = f.path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let seed = seeds.iter().find(|s| s.0 == name).map_or(0, |s| s.1);
            if f.pad {
                out.resize(out.len() + f.length as usize, 0);
            } else {
                out.extend(pattern(f.length, seed));
            }
        }
        out
    };
    for file in ["mktorrent-multi.torrent", "libtorrent-hybrid.torrent"] {
        let m = Metainfo::load(&fixture(file)).unwrap();
        let content = content(&m);
        assert_eq!(content.len() as u64, m.geometry.total_len());
        for p in m.geometry.pieces() {
            let start = m.geometry.piece_offset(p) as usize;
            let end = start + m.geometry.piece_len(p) as usize;
            let got = crate::hash::sha1(&content[start..end]);
            assert_eq!(&got, m.piece_hash(p), "{file} piece {p}");
        }
    }
}

#[test]
fn hybrid_pad_files_are_flagged() {
    let m = Metainfo::load(&fixture("libtorrent-hybrid.torrent")).unwrap();
    let got: Vec<(String, u64, u64, bool)> = m
        .files
        .iter()
        .map(|f| (f.path.display().to_string(), f.length, f.offset, f.pad))
        .collect();
    let want = [
        ("multi/a.txt", 5_000, 0, false),
        ("multi/.pad/27768", 27_768, 5_000, true),
        ("multi/empty.txt", 0, 32_768, false),
        ("multi/sub/b.bin", 70_000, 32_768, false),
        ("multi/.pad/28304", 28_304, 102_768, true),
        ("multi/sub/deeper/c.bin", 20_000, 131_072, false),
        ("multi/.pad/12768", 12_768, 151_072, true),
    ];
    let want: Vec<(String, u64, u64, bool)> = want
        .iter()
        .map(|&(p, l, o, pad)| (p.to_string(), l, o, pad))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn magnet_and_report() {
    let m = Metainfo::load(&fixture("mktorrent-multi.torrent")).unwrap();
    assert_eq!(
        m.magnet_link(),
        "magnet:?xt=urn:btih:453adcbcd025d845cea3c2239542e39af84cfa9e&dn=multi\
         &tr=http%3A%2F%2F127.0.0.1%3A6969%2Fannounce\
         &tr=http%3A%2F%2F127.0.0.2%3A6969%2Fannounce"
    );
    assert_eq!(
        m.web_seeds,
        vec!["http://127.0.0.1:8080/files/".to_string()]
    );
    assert_eq!(m.comment.as_deref(), Some("bitsy fixture"));
    assert_eq!(m.created_by.as_deref(), Some("mktorrent 1.1"));
    assert!(m.creation_date.is_some());
    let report = m.report();
    for want in [
        "infohash:   453adcbcd025d845cea3c2239542e39af84cfa9e",
        "size:       95000 bytes (92.8 KiB)",
        "pieces:     3 x 32768 bytes (32.0 KiB)",
        "  multi/sub/deeper/c.bin  20000 bytes (19.5 KiB)",
        "  multi/empty.txt  0 bytes",
        "  tier 2: http://127.0.0.2:6969/announce",
        "private:    no",
    ] {
        assert!(report.contains(want), "{want:?} not in\n{report}");
    }
    let hybrid = Metainfo::load(&fixture("libtorrent-hybrid.torrent")).unwrap();
    let report = hybrid.report();
    // Files are numbered for --select; pad files are marked, not numbered.
    for want in [
        "files:      4 (numbered for --select)\n",
        "  1  multi/a.txt  5000 bytes (4.9 KiB)\n",
        "\n     multi/.pad/27768  27768 bytes (27.1 KiB)  (pad file)\n",
        "  2  multi/empty.txt  0 bytes\n",
        "  4  multi/sub/deeper/c.bin  20000 bytes (19.5 KiB)\n",
    ] {
        assert!(report.contains(want), "{want:?} not in\n{report}");
    }
}

#[test]
fn load_errors() {
    // Unreadable is a bad torrent (exit code 3), and says why.
    let missing = Metainfo::load(Path::new("/nonexistent/x.torrent")).unwrap_err();
    assert!(matches!(missing, Error::Torrent(_)), "{missing:?}");
    assert!(missing.to_string().contains("No such file"), "{missing}");
    let not_a_file = Metainfo::load(Path::new("/")).unwrap_err();
    assert!(
        not_a_file.to_string().contains("not a file"),
        "{not_a_file}"
    );
    let dir = std::env::temp_dir().join(format!("bitsy-metainfo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let big = dir.join("big.torrent");
    let f = File::create(&big).unwrap();
    f.set_len(MAX_TORRENT_FILE_LEN + 1).unwrap();
    let err = Metainfo::load(&big).unwrap_err();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(matches!(err, Error::Torrent(_)), "{err:?}");
    assert!(err.to_string().contains("more than the limit"), "{err}");
}

/// Damaged copies of every fixture are refused or loaded, never a panic.
#[test]
fn damaged_fixtures_never_panic() {
    // A fixed seed: a failure can be replayed.
    let mut rng = crate::rng::Rng::from_seed(0x2545_f491_4f6c_dd1d);
    let mut next = move || rng.next_u64();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "torrent") || path.ends_with("hostile-deep.torrent")
        {
            continue;
        }
        let original = std::fs::read(&path).unwrap();
        let span = bencode::info_span(&original, Limits::TORRENT).unwrap();
        for _ in 0..300 {
            let mut bytes = original.clone();
            for _ in 0..1 + next() % 4 {
                let at = (next() % bytes.len() as u64) as usize;
                match next() % 3 {
                    0 => bytes[at] = next() as u8,
                    1 => bytes.truncate(at),
                    _ => bytes.insert(at, b"eild0123456789:"[(next() % 15) as usize]),
                }
                if bytes.is_empty() {
                    break;
                }
            }
            let _ = Metainfo::from_bytes(&bytes);
            // The same damage seen as a peer's info dictionary (BEP 9).
            let end = span.end.min(bytes.len());
            let _ = Metainfo::from_info_bytes(bytes.get(span.start..end).unwrap_or_default());
        }
    }
}
