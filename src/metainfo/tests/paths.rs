//! Path cleaning seen through `Metainfo`: the exact paths and notes.
//! Every `load` also runs `from_info_bytes` and checks it agrees.

use super::*;
use std::path::Component;

/// Every path is relative, under the torrent's name, and made only of
/// normal components: nothing can land outside the download directory.
fn assert_contained(m: &Metainfo) {
    for f in &m.files {
        assert!(f.path.starts_with(&m.name), "{f:?}");
        assert!(
            f.path
                .components()
                .all(|c| matches!(c, Component::Normal(n) if n.len() <= 255)),
            "{f:?}"
        );
    }
}

#[test]
fn non_utf8_names_are_shown_with_replacement_characters() {
    let m = load(&single_info(b"caf\xe9 \xff.txt", 1, 16_384, 1)).unwrap();
    assert_eq!(m.name, "caf\u{fffd} \u{fffd}.txt");
    assert_eq!(
        layout(&m),
        [("caf\u{fffd} \u{fffd}.txt".into(), 1, 0, false)]
    );
    assert_eq!(
        notes(&m),
        [
            "name: \"caf<e9> <ff>.txt\" is now \"caf\u{fffd} \u{fffd}.txt\" \
          (it is not valid UTF-8: invalid bytes shown as \u{fffd})"
        ]
    );
}

#[test]
fn utf8_variants_are_preferred() {
    // `name` in CP1252, `name.utf-8` beside it: the UTF-8 one is used.
    let info = d(&[
        (
            b"files",
            l(&[d(&[
                (b"length", i(3)),
                (b"path", path(&[b"r\xe9sum\xe9.txt"])),
                (b"path.utf-8", path(&["résumé.txt".as_bytes()])),
            ])]),
        ),
        (b"name", s(b"caf\xe9")),
        (b"name.utf-8", s("café".as_bytes())),
        (b"piece length", i(16_384)),
        (b"pieces", hashes(1)),
    ]);
    let m = load(&info).unwrap();
    assert_eq!(m.name, "café");
    assert_eq!(layout(&m), [("café/résumé.txt".into(), 3, 0, false)]);
    assert_eq!(m.path_fixes, []);
    // A `path.utf-8` that is not a list of strings is ignored.
    let info = d(&[
        (
            b"files",
            l(&[d(&[
                (b"length", i(3)),
                (b"path", path(&[b"a"])),
                (b"path.utf-8", i(5)),
            ])]),
        ),
        (b"name", s(b"top")),
        (b"piece length", i(16_384)),
        (b"pieces", hashes(1)),
    ]);
    assert_eq!(
        layout(&load(&info).unwrap()),
        [("top/a".into(), 3, 0, false)]
    );
}

/// One torrent breaking every rule that is fixed rather than refused.
#[test]
fn each_rule_fixes_paths_and_says_so() {
    let long = format!("{}.mkv", "n".repeat(300));
    let files = [
        file(&[b"a", b"", b"b.txt"], 1, None), // 0: empty component
        file(&[b"x/y.txt"], 1, None),          // 1: separator inside
        file(&[b"c\x07.txt"], 1, None),        // 2: control character
        file(&[long.as_bytes()], 1, None),     // 3: over 255 bytes
        file(&[b"dup.txt"], 1, None),          // 4
        file(&[b"dup.txt"], 1, None),          // 5: duplicate of 4
        file(&[b"dup.txt"], 1, Some(b"p")),    // 6: pad: exempt
        file(&[b"f"], 1, None),                // 7: file and folder
        file(&[b"f", b"g"], 1, None),          // 8
        file(&[b"sub", b"..", b"up.txt"], 1, None), // 9: `..` inside
        file(&[b"a", b"b.txt"], 1, None),      // 10: clashes with 0 once cleaned
        file(&[b"x_y.txt"], 1, None),          // 11: clashes with 1 once cleaned
    ];
    let m = load(&multi_info(&files, 16_384, 1)).unwrap();
    let n251 = format!("{}.mkv", "n".repeat(251));
    let want_paths = [
        "top/a/b.txt",
        "top/x_y.txt",
        "top/c_.txt",
        &format!("top/{n251}"),
        "top/dup.txt",
        "top/dup.1.txt",
        "top/dup.txt",
        "top/f.1",
        "top/f/g",
        "top/up.txt",
        "top/a/b.1.txt",
        "top/x_y.1.txt",
    ];
    let got: Vec<String> = m
        .files
        .iter()
        .map(|f| f.path.display().to_string())
        .collect();
    assert_eq!(got, want_paths);
    let offsets: Vec<u64> = m.files.iter().map(|f| f.offset).collect();
    assert_eq!(offsets, (0..12).collect::<Vec<u64>>());
    let long_shown = crate::file_paths::shorten(&long);
    #[rustfmt::skip]
    let want_notes = [
        "file 0: \"a//b.txt\" is now \"a/b.txt\" (it has an empty or \".\" component: dropped)".to_string(),
        "file 1: \"x/y.txt\" is now \"x_y.txt\" (it contains a path separator: replaced by _)".into(),
        "file 2: \"c\\u{7}.txt\" is now \"c_.txt\" (it contains a control character: replaced by _)".into(),
        format!("file 3: {long_shown:?} is now {n251:?} (it is longer than 255 bytes: shortened, extension kept)"),
        "file 5: \"dup.txt\" is now \"dup.1.txt\" (it is the path of an earlier file: renamed)".into(),
        "file 7: \"f\" is now \"f.1\" (it is also a folder of another file: renamed)".into(),
        "file 9: \"sub/../up.txt\" is now \"up.txt\" (it has a \"..\" component: resolved)".into(),
        "file 10: \"a/b.txt\" is now \"a/b.1.txt\" (it is the path of an earlier file: renamed)".into(),
        "file 11: \"x_y.txt\" is now \"x_y.1.txt\" (it is the path of an earlier file: renamed)".into(),
    ];
    assert_eq!(notes(&m), want_notes);
    assert_contained(&m);
    // `bitsy info` lists them.
    let report = m.report();
    for note in &want_notes {
        assert!(
            report.contains(&format!("  {note}\n")),
            "{note} not in\n{report}"
        );
    }
}

/// A file fixed two ways has one note with both fixes, in rule order.
#[test]
fn one_note_per_file() {
    let files = [
        file(&[b"d", b"a"], 1, None),
        file(&[b"d", b"", b"a"], 1, None),
    ];
    let m = load(&multi_info(&files, 16_384, 1)).unwrap();
    assert_eq!(
        notes(&m),
        [
            "file 1: \"d//a\" is now \"d/a.1\" (it has an empty or \".\" component: dropped; \
          it is the path of an earlier file: renamed)"
        ]
    );
}

#[test]
fn unusable_names_fall_back_to_the_infohash() {
    for name in [&b""[..], b"."] {
        let info = single_info(name, 1, 16_384, 1);
        let m = load(&info).unwrap();
        let hex = to_hex(&m.info_hash);
        assert_eq!(m.name, hex);
        assert_eq!(layout(&m), [(hex.clone(), 1, 0, false)]);
        let was = String::from_utf8_lossy(name);
        assert_eq!(
            notes(&m),
            [format!(
                "name: {was:?} is now {hex:?} (it is empty: the infohash is used)"
            )]
        );
    }
    // A missing name too, and the files go under the hex folder.
    let info = d(&[
        (b"files", l(&[file(&[b"a"], 1, None)])),
        (b"piece length", i(16_384)),
        (b"pieces", hashes(1)),
    ]);
    let m = load(&info).unwrap();
    assert_eq!(m.files[0].path, Path::new(&to_hex(&m.info_hash)).join("a"));
    // A name with a separator is fixed like any component.
    let m = load(&single_info(b"a/b", 1, 16_384, 1)).unwrap();
    assert_eq!(m.name, "a_b");
}

/// A pad file without a path is named like libtorrent names it; only
/// real files need a name.
#[test]
fn pad_files_need_no_path() {
    let files = [
        file(&[b"a"], 10, None),
        file(&[], 6, Some(b"p")),
        file(&[b"b"], 1, None),
    ];
    let m = load(&multi_info(&files, 16_384, 1)).unwrap();
    assert_eq!(
        layout(&m),
        [
            ("top/a".into(), 10, 0, false),
            ("top/.pad/6".into(), 6, 10, true),
            ("top/b".into(), 1, 16, false),
        ]
    );
    assert_eq!(m.path_fixes, []);
}

#[test]
fn attacks_are_refused() {
    let multi =
        |parts: &[&[u8]]| multi_info(&[file(&[b"ok"], 1, None), file(parts, 1, None)], 16_384, 1);
    #[rustfmt::skip]
    let table: Vec<(Vec<u8>, &str)> = vec![
        (multi(&[b"..", b"evil.txt"]), "bad file 1 (\"../evil.txt\"): path component \"..\" is \"..\" (leads out of the download directory)"),
        (multi(&[b"a", b"..", b"..", b"evil"]), "bad file 1 (\"a/../../evil\"): path component \"..\""),
        (multi(&[b"/etc", b"passwd"]), "bad file 1 (\"/etc/passwd\"): path component \"/etc\" starts with a path separator (absolute path)"),
        (multi(&[b"a", b"\\windows"]), "starts with a path separator"),
        // Even a pad file may not point outside.
        (multi_info(&[file(&[b"ok"], 1, None), file(&[b"..", b"p"], 1, Some(b"p"))], 16_384, 1),
         "bad file 1"),
        (multi(&[]), "bad file 1 (\"\"): empty path"),
        (multi(&[b"", b"."]), "bad file 1 (\"/.\"): empty path"),
        (single_info(b"..", 1, 16_384, 1), "bad name: path component \"..\""),
        (single_info(b"/etc", 1, 16_384, 1), "bad name: path component \"/etc\" starts with a path separator"),
        (d(&[(b"files", l(&[file(&[b"a"], 1, None)])), (b"name", s(b"..")),
             (b"piece length", i(16_384)), (b"pieces", hashes(1))]), "bad name"),
    ];
    for (info, want) in table {
        let err = refused(&info);
        assert!(err.contains(want), "want {want:?}, got {err:?}");
    }
}
