//! `Requests`: one scripted scenario per row, every arrival checked.

use super::*;

/// 40,000 bytes in 32 KiB pieces: piece 0 is blocks 0+16384 and
/// 16384+16384; piece 1 is one short block, 0+7232.
fn geometry() -> Geometry {
    Geometry::new(40_000, 32 * 1024, 2).unwrap()
}

#[derive(Debug)]
enum Want {
    /// Forwarded to the main thread.
    Deliver,
    /// Dropped quietly; the connection stays.
    Ignore,
    /// The connection closes as misbehaved, the reason containing this.
    Close(&'static str),
}

#[derive(Debug)]
enum Step {
    Request(u32, u32, u32),
    Cancel(u32, u32, u32),
    Choke,
    Arrive(u32, u32, u32, Want),
}
use Step::*;

fn block(g: &Geometry, (p, o, l): (u32, u32, u32)) -> BlockRef {
    g.exact_block(p, o, l).unwrap()
}

#[test]
fn each_arrival_is_delivered_ignored_or_closes() {
    let table: &[(&str, &[Step])] = &[
        (
            "requested blocks pass once; a second copy closes",
            &[
                Request(0, 0, 16384),
                Request(1, 0, 7232),
                Arrive(1, 0, 7232, Want::Deliver),
                Arrive(0, 0, 16384, Want::Deliver),
                Arrive(0, 0, 16384, Want::Close("did not request")),
            ],
        ),
        (
            "never requested",
            &[Arrive(
                0,
                16384,
                16384,
                Want::Close("did not request (piece 0, offset 16384)"),
            )],
        ),
        (
            "cancelled, then it crosses: ignored once",
            &[
                Request(0, 16384, 16384),
                Cancel(0, 16384, 16384),
                Arrive(0, 16384, 16384, Want::Ignore),
                Arrive(0, 16384, 16384, Want::Close("did not request")),
            ],
        ),
        (
            "cancelled, requested again, arrives twice: one delivered, one ignored",
            &[
                Request(0, 0, 16384),
                Cancel(0, 0, 16384),
                Request(0, 0, 16384),
                Arrive(0, 0, 16384, Want::Deliver),
                Arrive(0, 0, 16384, Want::Ignore),
            ],
        ),
        (
            "voided by a choke, then they cross: ignored",
            &[
                Request(0, 0, 16384),
                Request(1, 0, 7232),
                Choke,
                Arrive(1, 0, 7232, Want::Ignore),
                Arrive(0, 0, 16384, Want::Ignore),
            ],
        ),
        (
            "past the end of the last piece",
            &[Arrive(
                1,
                0,
                16384,
                Want::Close("past the end of piece 1 (0 + 16384 > 7232"),
            )],
        ),
        (
            "past the end of a full piece",
            &[Arrive(0, 32768, 1, Want::Close("past the end of piece 0"))],
        ),
        (
            "an offset so large the end would overflow u32",
            &[Arrive(0, u32::MAX, 16384, Want::Close("past the end"))],
        ),
        (
            "a piece that does not exist",
            &[Arrive(
                2,
                0,
                16384,
                Want::Close("piece 2, which does not exist"),
            )],
        ),
        (
            "inside the piece but not a block: misaligned",
            &[
                Request(0, 0, 16384),
                Arrive(0, 1, 16384, Want::Close("not a block")),
            ],
        ),
        (
            "inside the piece but not a block: short",
            &[
                Request(0, 0, 16384),
                Arrive(0, 0, 100, Want::Close("not a block")),
            ],
        ),
        (
            "an empty block",
            &[Arrive(0, 0, 0, Want::Close("not a block"))],
        ),
    ];
    let g = geometry();
    for (name, steps) in table {
        let mut r = Requests::default();
        for (i, step) in steps.iter().enumerate() {
            match step {
                Request(p, o, l) => assert!(r.insert(block(&g, (*p, *o, *l))), "{name} #{i}"),
                Cancel(p, o, l) => assert!(r.remove(block(&g, (*p, *o, *l))), "{name} #{i}"),
                Choke => r.clear(),
                Arrive(p, o, l, want) => {
                    let got = r.arrived(&g, *p, *o, *l);
                    match (want, got) {
                        (Want::Deliver, Ok(Some(b))) => assert_eq!(b, block(&g, (*p, *o, *l))),
                        (Want::Ignore, Ok(None)) => {}
                        (Want::Close(why), Err(c)) => {
                            assert!(c.misbehaved, "{name} #{i}");
                            assert!(c.reason.contains(why), "{name} #{i}: {}", c.reason);
                        }
                        (want, got) => panic!(
                            "{name} #{i}: want {want:?}, got {:?}",
                            got.map_err(|c| c.reason)
                        ),
                    }
                }
            }
        }
    }
}

#[test]
fn cancelling_what_is_not_outstanding_is_a_no_op() {
    let g = geometry();
    let mut r = Requests::default();
    let b = block(&g, (0, 0, 16384));
    assert!(!r.remove(b));
    assert!(
        r.arrived(&g, 0, 0, 16384).is_err(),
        "not remembered as voided"
    );
}

#[test]
fn only_the_latest_voided_blocks_are_remembered() {
    // 4 MiB in 32 KiB pieces: 128 pieces of 2 blocks, 256 blocks.
    let g = Geometry::new(4 * 1024 * 1024, 32 * 1024, 128).unwrap();
    let all: Vec<BlockRef> = g
        .pieces()
        .flat_map(|p| (0..2).filter_map(move |i| g.block(p, i)))
        .collect();
    assert_eq!(all.len(), RECENTLY_VOIDED);
    let mut r = Requests::default();
    // A full choke's worth, then one cancel more: the oldest is forgotten.
    for b in &all {
        r.insert(*b);
    }
    r.clear();
    let extra = g.block(g.piece(0).unwrap(), 0).unwrap();
    r.insert(extra);
    r.remove(extra);
    assert_eq!(r.voided.len(), RECENTLY_VOIDED);
    // `extra` is all[0] again: its newer copy is remembered, the older
    // one was pushed out, so it is ignored once and then closes.
    assert_eq!(r.arrived(&g, 0, 0, 16384).unwrap(), None);
    assert!(r.arrived(&g, 0, 0, 16384).is_err());
    let last = all[RECENTLY_VOIDED - 1];
    assert_eq!(
        r.arrived(&g, last.piece.get(), last.offset, last.len)
            .unwrap(),
        None
    );
}

#[test]
fn rejects_end_outstanding_requests_and_nothing_else() {
    // Each row: requests made, then (reject, whether it ends a request).
    #[derive(Debug)]
    enum Before {
        Request(u32, u32, u32),
        Cancel(u32, u32, u32),
        Choke,
    }
    use Before as B;
    /// (name, what happened before, the reject's fields, whether it ends a request)
    type Row<'a> = (&'a str, &'a [Before], (u32, u32, u32), bool);
    #[rustfmt::skip]
    let table: &[Row] = &[
        ("outstanding: ended", &[B::Request(0, 0, 16384)], (0, 0, 16384), true),
        ("never asked: ignored", &[B::Request(0, 0, 16384)], (0, 16384, 16384), false),
        ("cancelled: ignored", &[B::Request(0, 0, 16384), B::Cancel(0, 0, 16384)], (0, 0, 16384), false),
        ("voided by choke: ignored", &[B::Request(1, 0, 7232), B::Choke], (1, 0, 7232), false),
        ("not a block: ignored", &[B::Request(0, 0, 16384)], (0, 0, 100), false),
        ("no such piece: ignored", &[], (9, 0, 16384), false),
    ];
    let g = geometry();
    for (name, before, (p, o, l), ends) in table {
        let mut r = Requests::default();
        for step in *before {
            match *step {
                B::Request(p, o, l) => assert!(r.insert(block(&g, (p, o, l)))),
                B::Cancel(p, o, l) => assert!(r.remove(block(&g, (p, o, l)))),
                B::Choke => r.clear(),
            }
        }
        let got = r.rejected(&g, *p, *o, *l);
        assert_eq!(got.is_some(), *ends, "{name}");
        if *ends {
            // Over: the block arriving now was never (still) requested.
            assert!(r.arrived(&g, *p, *o, *l).is_err(), "{name}");
        }
    }
    // A voided request asked again: the reject answers the older one, so
    // the new request stays outstanding and its block is delivered.
    let mut r = Requests::default();
    let b = block(&g, (0, 0, 16384));
    r.insert(b);
    r.clear();
    r.insert(b);
    assert_eq!(r.rejected(&g, 0, 0, 16384), None);
    assert_eq!(r.arrived(&g, 0, 0, 16384).unwrap(), Some(b));
}
