use super::*;

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;

fn demand(piece_len: u64, max_peers: usize, web_seed_bytes: u64) -> Demand {
    Demand {
        piece_len,
        max_peers,
        web_seed_bytes,
    }
}

#[test]
fn budgets_divide_into_pieces_blocks_and_peers() {
    // (budget, piece length, --max-peers, web seeds) → (pieces, pool, peers)
    let table = [
        // 8 MiB, 256 KiB pieces, 50 peers: a quarter (2 MiB) is 32 peers,
        // an eighth (1 MiB) 64 blocks, and 5 MiB left is 20 pieces.
        (8 * MIB, 256 * KIB, 50, 0, (20, 64, 32)),
        // 32 MiB: 50 peers (3.1 MiB, under a quarter), 128 blocks (2 MiB,
        // the most), 26.9 MiB is 107 pieces.
        (32 * MIB, 256 * KIB, 50, 0, (107, 128, 50)),
        // --max-peers 4 takes only 256 KiB.
        (8 * MIB, 256 * KIB, 4, 0, (27, 64, 4)),
        // 4 MiB pieces at 8 MiB: 1 piece, what is left after the shares.
        (8 * MIB, 4 * MIB, 50, 0, (1, 64, 32)),
        // One 16 MiB piece at 17 MiB: peers and blocks give way to it,
        // sharing the 1 MiB left evenly (512 KiB each).
        (17 * MIB, 16 * MIB, 50, 0, (1, 32, 8)),
        // Web seeds' 6 MiB come first; one piece, and peers and blocks
        // share the 1.75 MiB left (896 KiB each).
        (8 * MIB, 256 * KIB, 50, 6 * MIB, (1, 56, 14)),
    ];
    for (budget, piece_len, max_peers, web, want) in table {
        let d = demand(piece_len, max_peers, web);
        let s = divide(budget, &d).unwrap_or_else(|e| panic!("{budget}: {e}"));
        assert_eq!(
            (s.pieces, s.pool_buffers, s.max_peers),
            want,
            "{budget} {piece_len} {max_peers} {web}"
        );
        assert!(s.bytes(&d) <= budget, "{s:?} over {budget}");
    }
}

#[test]
fn a_budget_below_one_piece_is_refused_with_the_least_that_works() {
    let d = demand(4 * MIB, 50, 0);
    // One piece, one peer, eight blocks.
    let least = 4 * MIB + 64 * KIB + 8 * 16 * KIB;
    let err = divide(least - 1, &d).unwrap_err();
    assert_eq!(err.least, least);
    let text = err.to_string();
    assert!(text.contains("too small"), "{text}");
    assert!(text.contains("--max-memory 4288K"), "{text}");
    // The suggestion itself is accepted, and is exactly enough.
    let s = divide(least, &d).expect("the least works");
    assert_eq!((s.pieces, s.pool_buffers, s.max_peers), (1, 8, 1));
}

#[test]
fn every_budget_fits_or_is_refused() {
    // Many budgets and piece sizes: never over budget, never zero of
    // anything, more budget never gives fewer pieces.
    for piece_len in [16 * KIB, 256 * KIB, MIB, 4 * MIB, 16 * MIB] {
        for web in [0, 3 * MIB] {
            let d = demand(piece_len, 1000, web);
            let mut last_pieces = 0;
            for budget in (0..200).map(|i| i * 512 * KIB + 7) {
                match divide(budget, &d) {
                    Ok(s) => {
                        assert!(s.bytes(&d) <= budget, "{s:?} over {budget}");
                        assert!(s.pieces >= 1 && s.pool_buffers >= 1 && s.max_peers >= 1);
                        assert!(s.pieces >= last_pieces, "{budget}: fewer pieces");
                        last_pieces = s.pieces;
                    }
                    Err(e) => assert!(budget < e.least && last_pieces == 0),
                }
            }
        }
    }
}
