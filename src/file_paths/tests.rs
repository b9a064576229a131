//! Unit tests for `file_paths`: one component, one path, the name, and
//! clash renames, each with the exact result and the fixes recorded.

use super::*;
use Fix::*;

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|c| c.to_string()).collect()
}

#[test]
fn components_are_cleaned_and_the_fix_recorded() {
    let long = "x".repeat(300);
    let long_ext = format!("{}.mkv", "y".repeat(300));
    // 'é' is two bytes: 128 of them are 256 bytes, one too many.
    let long_utf8 = "é".repeat(128);
    #[rustfmt::skip]
    let table: &[(&[u8], Cleaned, &[Fix])] = &[
        (b"a.txt", Cleaned::Part("a.txt".into()), &[]),
        (b".hidden", Cleaned::Part(".hidden".into()), &[]),
        (b"...", Cleaned::Part("...".into()), &[]),
        (b"..a", Cleaned::Part("..a".into()), &[]),
        ("Ünïcödé ファイル".as_bytes(), Cleaned::Part("Ünïcödé ファイル".into()), &[]),
        (b"", Cleaned::Dropped, &[EmptyDropped]),
        (b".", Cleaned::Dropped, &[EmptyDropped]),
        (b"..", Cleaned::Parent, &[]),
        (b"a/b", Cleaned::Part("a_b".into()), &[Separator]),
        (b"../x", Cleaned::Part(".._x".into()), &[Separator]),
        (b"a\\b", Cleaned::Part("a_b".into()), &[Separator]),
        (b"C:\\x", Cleaned::Part("C:_x".into()), &[Separator]),
        (b"a\0b", Cleaned::Part("a_b".into()), &[Control]),
        (b"a\nb\tc", Cleaned::Part("a_b_c".into()), &[Control]),
        (b"\x1b[31m", Cleaned::Part("_[31m".into()), &[Control]),
        (b"a\x7fb", Cleaned::Part("a_b".into()), &[Control]),
        ("a\u{85}b".as_bytes(), Cleaned::Part("a_b".into()), &[Control]), // C1 (NEL)
        (b"a/\x01", Cleaned::Part("a__".into()), &[Separator, Control]),
        (b"caf\xe9.txt", Cleaned::Part("caf\u{fffd}.txt".into()), &[NotUtf8]),
        // An overlong '/' is invalid UTF-8, never a separator.
        (b"a\xc0\xafb", Cleaned::Part("a\u{fffd}\u{fffd}b".into()), &[NotUtf8]),
        (b"\xff", Cleaned::Part("\u{fffd}".into()), &[NotUtf8]),
        (long.as_bytes(), Cleaned::Part("x".repeat(255)), &[Shortened]),
        (long_ext.as_bytes(), Cleaned::Part(format!("{}.mkv", "y".repeat(251))), &[Shortened]),
        (long_utf8.as_bytes(), Cleaned::Part("é".repeat(127)), &[Shortened]),
    ];
    for (raw, want, want_fixes) in table {
        let mut fixes = Vec::new();
        let got = clean_component(raw, &mut fixes).unwrap();
        assert_eq!((&got, fixes.as_slice()), (want, *want_fixes), "{raw:?}");
        if let Cleaned::Part(text) = got {
            assert!(text.len() <= MAX_COMPONENT_LEN, "{raw:?}");
        }
    }
}

#[test]
fn absolute_components_are_refused() {
    for raw in [&b"/etc"[..], b"/", b"\\x", b"//a"] {
        let err = clean_component(raw, &mut Vec::new()).unwrap_err();
        assert!(
            matches!(
                err,
                PathError::Component {
                    problem: Problem::Absolute,
                    ..
                }
            ),
            "{raw:?}: {err:?}"
        );
    }
}

#[test]
fn paths_are_cleaned_or_refused() {
    type Row<'a> = (
        &'a [&'a [u8]],
        Result<(&'a [&'a str], &'a [Fix]), PathError>,
    );
    let parent = PathError::Component {
        text: "..".into(),
        problem: Problem::ParentDir,
    };
    #[rustfmt::skip]
    let table: &[Row<'_>] = &[
        (&[b"a", b"b"], Ok((&["a", "b"], &[]))),
        (&[b"a", b"", b"b"], Ok((&["a", "b"], &[EmptyDropped]))),
        (&[b"", b"a", b"."], Ok((&["a"], &[EmptyDropped]))),
        (&[b"a", b"..", b"b"], Ok((&["b"], &[ParentResolved]))),
        (&[b"a", b"b\nc", b""], Ok((&["a", "b_c"], &[EmptyDropped, Control]))),
        (&[b"..", b"evil.txt"], Err(parent.clone())),
        (&[b"a", b"..", b"..", b"x"], Err(parent)),
        (&[], Err(PathError::NoComponents)),
        (&[b"", b"."], Err(PathError::NoComponents)),
        (&[b"a", b".."], Err(PathError::NoComponents)),
    ];
    for (raw, want) in table {
        let got = clean_path(raw);
        let want = want
            .clone()
            .map(|(parts, fixes)| (strings(parts), fixes.to_vec()));
        assert_eq!(got, want, "{raw:?}");
    }
    let err = clean_path(&[b"x", b"/etc", b"passwd"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "path component \"/etc\" starts with a path separator (absolute path)"
    );
}

#[test]
fn names_fall_back_or_are_refused() {
    assert_eq!(clean_name(b"movie"), Ok((Some("movie".into()), vec![])));
    assert_eq!(
        clean_name(b"a/b"),
        Ok((Some("a_b".into()), vec![Separator]))
    );
    assert_eq!(clean_name(b""), Ok((None, vec![NameFallback])));
    assert_eq!(clean_name(b"."), Ok((None, vec![NameFallback])));
    assert!(clean_name(b"..").is_err());
    assert!(clean_name(b"/etc").is_err());
}

#[test]
fn strict_component_for_create() {
    assert_eq!(component(b"a.txt"), Ok("a.txt"));
    let table: &[(&[u8], &str)] = &[
        (b"", "path component \"\" has an empty or \".\" component"),
        (
            b"a\nb",
            "path component \"a\\nb\" contains a control character",
        ),
        (b"\xff", "path component \"\u{fffd}\" is not valid UTF-8"),
        (
            b"..",
            "path component \"..\" is \"..\" (leads out of the download directory)",
        ),
    ];
    for (raw, want) in table {
        assert_eq!(component(raw).unwrap_err().to_string(), *want);
    }
    // Huge hostile names make short messages.
    let e = component(&[b'z'; 1000]).unwrap_err();
    assert!(e.to_string().len() < 150, "{e}");
}

#[test]
fn extensions_and_fitting() {
    let table = [
        ("movie.mkv", ("movie", ".mkv")),
        (".bashrc", (".bashrc", "")),
        ("noext", ("noext", "")),
        ("a.tar.gz", ("a.tar", ".gz")),
        (
            "x.this-is-not-an-extension",
            ("x.this-is-not-an-extension", ""),
        ),
    ];
    for (name, want) in table {
        assert_eq!(split_extension(name), want, "{name}");
    }
    assert_eq!(fit("abc", ".1.txt"), "abc.1.txt");
    let fitted = fit(&"ü".repeat(200), ".1.txt");
    assert_eq!(fitted.len(), 254); // 124 two-byte chars + 6: 255 would split one
    assert!(fitted.ends_with("ü.1.txt"));
}

/// (paths, pad flags, wanted paths, wanted renames)
type ClashRow<'a> = (
    &'a [&'a [&'a str]],
    &'a [bool],
    &'a [&'a [&'a str]],
    &'a [(usize, Fix)],
);

#[test]
fn clashes_are_renamed_deterministically() {
    #[rustfmt::skip]
    let table: &[ClashRow<'_>] = &[
        // No clash: nothing changes.
        (&[&["a"], &["b"], &["d", "a"]], &[], &[&["a"], &["b"], &["d", "a"]], &[]),
        // Duplicates: the first keeps its path, later ones count up.
        (&[&["d", "a.txt"], &["d", "a.txt"], &["d", "a.txt"]], &[],
         &[&["d", "a.txt"], &["d", "a.1.txt"], &["d", "a.2.txt"]], &[(1, Duplicate), (2, Duplicate)]),
        // A rename never takes another file's own name, even a later one.
        (&[&["a"], &["a"], &["a.1"]], &[], &[&["a"], &["a.2"], &["a.1"]], &[(1, Duplicate)]),
        // Nor the name of a folder.
        (&[&["x"], &["x"], &["x.1", "f"]], &[], &[&["x"], &["x.2"], &["x.1", "f"]], &[(1, Duplicate)]),
        // File and folder: the file is renamed, the folder stays.
        (&[&["a"], &["a", "b"]], &[], &[&["a.1"], &["a", "b"]], &[(0, FileIsFolder)]),
        (&[&["a", "b", "c"], &["a", "b"]], &[], &[&["a", "b", "c"], &["a", "b.1"]], &[(1, FileIsFolder)]),
        // Pad files: may share a path, and never push a real file aside.
        (&[&[".pad", "6"], &[".pad", "6"], &["x"]], &[true, true, false],
         &[&[".pad", "6"], &[".pad", "6"], &["x"]], &[]),
        (&[&["a"], &["a"], &["a", "b"]], &[false, true, true],
         &[&["a"], &["a"], &["a", "b"]], &[]),
        // Dot files have no extension to keep.
        (&[&[".env"], &[".env"]], &[], &[&[".env"], &[".env.1"]], &[(1, Duplicate)]),
    ];
    for (paths, pads, want, want_renames) in table {
        let mut got: Vec<Vec<String>> = paths.iter().map(|p| strings(p)).collect();
        let renames = clash::resolve_clashes(&mut got, pads).unwrap();
        let want: Vec<Vec<String>> = want.iter().map(|p| strings(p)).collect();
        assert_eq!(
            (&got, renames.as_slice()),
            (&want, *want_renames),
            "{paths:?}"
        );
    }
}

#[test]
fn renames_stay_within_255_bytes() {
    let long = format!("{}.flac", "n".repeat(250));
    let mut paths = vec![vec![long.clone()], vec![long.clone()]];
    clash::resolve_clashes(&mut paths, &[]).unwrap();
    assert_eq!(paths[1][0], format!("{}.1.flac", "n".repeat(248)));
    assert_eq!(paths[1][0].len(), MAX_COMPONENT_LEN);
}

#[test]
fn many_duplicates_are_renamed_in_linear_time() {
    // 20,000 copies of one path: a per-path counter, not a rescan from 1.
    let mut paths = vec![vec!["d".to_string(), "f".to_string()]; 20_000];
    let renames = clash::resolve_clashes(&mut paths, &[]).unwrap();
    assert_eq!(renames.len(), 19_999);
    assert_eq!(paths[19_999], strings(&["d", "f.19999"]));
    let unique: std::collections::HashSet<_> = paths.iter().collect();
    assert_eq!(unique.len(), paths.len());
}

#[test]
fn notes_read_as_sentences() {
    let note = PathFix {
        file: Some(2),
        was: "a//b\nc".into(),
        now: "a/b_c".into(),
        fixes: vec![EmptyDropped, Control],
    };
    assert_eq!(
        note.to_string(),
        "file 2: \"a//b\\nc\" is now \"a/b_c\" (it has an empty or \".\" component: dropped; \
         it contains a control character: replaced by _)"
    );
    let name = PathFix {
        file: None,
        was: String::new(),
        now: "ab12".into(),
        fixes: vec![NameFallback],
    };
    assert_eq!(
        name.to_string(),
        "name: \"\" is now \"ab12\" (it is empty: the infohash is used)"
    );
}
