//! `from_info_bytes`: a bare info dictionary (BEP 9) checked like a file.
//! (The built torrents of `fields` and `paths` go through both entry
//! points already; here: every fixture, and inputs only a peer can send.)

use super::*;

/// Every fixture's info dictionary, alone, loads to the same torrent
/// (fields outside `info` aside) or is refused the same way.
#[test]
fn every_fixture_agrees_with_from_bytes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "torrent") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let full = Metainfo::from_bytes(&bytes);
        let Ok(span) = bencode::info_span(&bytes, Limits::TORRENT) else {
            // hostile-deep: the decoder refuses it before an info span exists.
            assert!(full.is_err(), "{path:?}");
            continue;
        };
        let info = &bytes[span];
        let bare = Metainfo::from_info_bytes(info);
        match (&full, &bare) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a, &with_outside(b.clone(), a), "{path:?}");
                assert_eq!(b.info_hash, crate::hash::sha1(info));
                assert_eq!(b.info_bytes, info);
                assert_eq!((b.trackers.len(), b.comment.is_none()), (0, true));
            }
            (Err(a), Err(b)) => assert!(same_kind(a, b), "{path:?}: {a} vs {b}"),
            _ => panic!("{path:?}: {full:?} vs {bare:?}"),
        }
        seen += 1;
    }
    assert!(seen >= 12, "only {seen} fixtures");
}

/// What a hostile peer could send instead of an info dictionary.
#[test]
fn hostile_info_dictionaries_are_refused() {
    let deep = [vec![b'l'; 100_000], vec![b'e'; 100_000]].concat();
    let many_tokens = [b"l".to_vec(), b"i1e".repeat(3_000_000), b"e".to_vec()].concat();
    let huge_length = b"d6:pieces99999999999:xe".to_vec();
    #[rustfmt::skip]
    let table: Vec<(Vec<u8>, &str)> = vec![
        (deep, "nesting deeper than 64 levels"),
        (many_tokens, "more than 2097152 values"),
        (huge_length, "runs past the end of the input"),
        (Vec::new(), "input ends too early"),
        (b"de".to_vec(), "\"piece length\" is missing"),
        (b"le".to_vec(), "is not a dictionary"),
        (multi_info(&[file(&[b"..", b"x"], 1, None)], 16_384, 1), "leads out of the download directory"),
        (single_info(b"/etc/passwd", 1, 16_384, 1), "absolute path"),
    ];
    for (info, want) in table {
        let err = Metainfo::from_info_bytes(&info).unwrap_err().to_string();
        assert!(err.contains(want), "want {want:?}, got {err:?}");
    }
}
