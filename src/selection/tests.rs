use super::*;
use crate::storage::testutil::entries;

#[test]
fn parse_accepts_numbers_and_ranges() {
    // (text, ranges)
    let table: &[(&str, &[(u32, u32)])] = &[
        ("1", &[(1, 1)]),
        ("1,3-5", &[(1, 1), (3, 5)]),
        (" 2 , 4 - 4 ", &[(2, 2), (4, 4)]),
        ("5,5,1-9", &[(5, 5), (5, 5), (1, 9)]),
        ("99999999999", &[(u32::MAX, u32::MAX)]), // too big: out of range later
    ];
    for (text, want) in table {
        let got = Select::parse(text);
        assert_eq!(got.map(|s| s.ranges), Ok(want.to_vec()), "{text:?}");
    }
}

#[test]
fn parse_refuses_malformed_lists() {
    let not = |s: &str| SelectError::NotANumber(s.to_string());
    let table: &[(&str, SelectError)] = &[
        ("", SelectError::Empty),
        ("  ", SelectError::Empty),
        ("1,", not("")),
        (",1", not("")),
        ("1,,2", not("")),
        ("x", not("x")),
        ("-1", not("-1")),
        ("3-", not("3-")),
        ("1-2-3", not("1-2-3")),
        ("+1", not("+1")),
        ("1.5", not("1.5")),
        ("0", SelectError::Zero),
        ("0-3", SelectError::Zero),
        ("5-3", SelectError::Backwards { from: 5, to: 3 }),
    ];
    for (text, want) in table {
        assert_eq!(Select::parse(text).as_ref(), Err(want), "{text:?}");
    }
    let long = vec!["1"; MAX_ITEMS + 1].join(",");
    assert_eq!(Select::parse(&long), Err(SelectError::TooMany));
    assert!(Select::parse(&vec!["1"; MAX_ITEMS].join(",")).is_ok());
}

/// Files (offset..end) at 1 KiB pieces, 6,144 bytes in 6 pieces:
///   0 #1 a      0..1500     pieces 0-1
///   1 #2 empty  1500..1500  no piece
///   2 #3 b      1500..1600  piece 1 (inside it)
///   3    pad    1600..2048  pad to the boundary
///   4 #4 c      2048..4096  pieces 2-3 exactly
///   5 #5 d      4096..4200  piece 4
///   6 #6 e      4200..6144  pieces 4-5
fn files() -> Vec<FileEntry> {
    entries(&[
        ("t/a", 1500, false),
        ("t/empty", 0, false),
        ("t/b", 100, false),
        ("t/.pad/448", 448, true),
        ("t/c", 2048, false),
        ("t/d", 104, false),
        ("t/e", 1944, false),
    ])
}

fn geometry() -> Geometry {
    Geometry::new(6144, 1024, 6).unwrap()
}

#[test]
fn numbers_skip_pad_files() {
    let files = files();
    let got: Vec<(u32, usize)> = numbered(&files).map(|(n, i, _)| (n, i)).collect();
    assert_eq!(got, vec![(1, 0), (2, 1), (3, 2), (4, 4), (5, 5), (6, 6)]);
}

#[test]
fn resolve_checks_numbers_against_the_files() {
    let files = files();
    let chosen = |text: &str| {
        let s = Select::parse(text).unwrap().resolve(&files).unwrap();
        (0..files.len())
            .filter(|i| s.is_chosen(*i))
            .collect::<Vec<_>>()
    };
    assert_eq!(chosen("4"), vec![4]); // file 4 is c, after the pad
    assert_eq!(chosen("1,3-4"), vec![0, 2, 4]);
    assert_eq!(chosen("1-6"), vec![0, 1, 2, 4, 5, 6]);
    let out = |text: &str| Select::parse(text).unwrap().resolve(&files).err();
    let range = |number| Some(SelectError::OutOfRange { number, count: 6 });
    assert_eq!(out("7"), range(7));
    assert_eq!(out("2-9"), range(9));
    assert_eq!(out("8-9"), range(8));
    assert_eq!(out("99999999999"), range(u32::MAX));
    assert!(
        SelectError::OutOfRange {
            number: 7,
            count: 6
        }
        .to_string()
        .contains("has 6 files")
    );
}

#[test]
fn pieces_and_boundary_pieces_of_a_selection() {
    let files = files();
    let g = geometry();
    // (selection, pieces needed, boundary pieces among them)
    let table: &[(&str, &[u32], &[u32])] = &[
        // a ends inside piece 1, which also holds b.
        ("1", &[0, 1], &[1]),
        // b lies inside piece 1; the pad after it makes no boundary.
        ("3", &[1], &[1]),
        ("1,3", &[0, 1], &[]),
        // The zero-length file needs no piece.
        ("2", &[], &[]),
        // c is aligned by the pad: no boundary piece at all.
        ("4", &[2, 3], &[]),
        // d and e share piece 4.
        ("5", &[4], &[4]),
        ("6", &[4, 5], &[4]),
        ("5-6", &[4, 5], &[]),
        ("1-6", &[0, 1, 2, 3, 4, 5], &[]),
    ];
    for (text, want, boundary) in table {
        let s = Select::parse(text).unwrap().resolve(&files).unwrap();
        let pieces = s.pieces(&files, g);
        let got: Vec<u32> = pieces.iter_raw().collect();
        assert_eq!(&got, want, "pieces of {text}");
        let got: Vec<u32> = g
            .pieces()
            .filter(|p| s.is_boundary(&files, g, *p))
            .map(|p| p.get())
            .collect();
        assert_eq!(&got, boundary, "boundary pieces of {text}");
    }
}

#[test]
fn everything_and_bytes() {
    let files = files();
    let all = Select::parse("1-6").unwrap().resolve(&files).unwrap();
    assert!(all.is_everything(&files));
    assert_eq!(all.count(), 6);
    assert_eq!(all.bytes(&files), 6144 - 448);
    let some = Select::parse("1,6").unwrap().resolve(&files).unwrap();
    assert!(!some.is_everything(&files));
    assert_eq!(some.bytes(&files), 1500 + 1944);
}
