//! Unit tests for `picker`.

use super::*;

const C1: ConnId = ConnId(1);
const C2: ConnId = ConnId(2);

fn geometry(pieces: u32, piece_len: u64) -> Geometry {
    Geometry::new(u64::from(pieces) * piece_len, piece_len, u64::from(pieces)).unwrap()
}

fn set(n: u32, pieces: &[u32]) -> Bitfield {
    let g = geometry(n, 16 * 1024);
    let mut b = Bitfield::new(n);
    for &p in pieces {
        b.set(g.piece(p).unwrap());
    }
    b
}

#[test]
fn rarest_first() {
    let g = geometry(4, 16 * 1024);
    let mut p = Picker::new(g, Bitfield::new(4), 4);
    p.add_availability(&set(4, &[0, 1, 2, 3]));
    p.add_availability(&set(4, &[0, 1, 3]));
    p.add_availability(&set(4, &[0, 3]));
    // availability: 0→3, 1→2, 2→1, 3→3. A peer with everything gets piece 2.
    let got = p.pick(C1, &set(4, &[0, 1, 2, 3]), 1);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].piece.get(), 2);
    // Then piece 1 (the next rarest) once piece 2 is fully requested.
    let got = p.pick(C1, &set(4, &[0, 1, 2, 3]), 1);
    assert_eq!(got[0].piece.get(), 1);
}

#[test]
fn partial_pieces_first_and_memory_cap() {
    let g = geometry(4, 64 * 1024); // 4 blocks per piece
    let mut p = Picker::new(g, Bitfield::new(4), 1);
    let all = set(4, &[0, 1, 2, 3]);
    let first = p.pick(C1, &all, 2);
    assert_eq!(first.len(), 2);
    // C2 continues the same piece rather than starting another.
    let second = p.pick(C2, &all, 10);
    assert_eq!(second.len(), 2);
    assert!(second.iter().all(|b| b.piece == first[0].piece));
    assert_eq!(p.partial_count(), 1);
}

#[test]
fn complete_verify_and_fail() {
    let g = Geometry::new(20_000, 32 * 1024, 1).unwrap(); // one piece, 2 blocks
    let mut p = Picker::new(g, Bitfield::new(1), 2);
    let all = Bitfield::full(1);
    let blocks = p.pick(C1, &all, 5);
    assert_eq!(blocks.len(), 2);
    assert_eq!((blocks[1].offset, blocks[1].len), (16384, 20_000 - 16384));
    let data = vec![7u8; 20_000];
    let r = p.block_received(C1, blocks[0], &data[..16384]);
    assert_eq!(r, Received::Stored { cancel: vec![] });
    // The same block again is not needed.
    assert_eq!(
        p.block_received(C2, blocks[0], &data[..16384]),
        Received::Unneeded
    );
    // A wrong length is refused.
    assert_eq!(
        p.block_received(C1, blocks[1], &data[..10]),
        Received::Unneeded
    );
    let r = p.block_received(C1, blocks[1], &data[16384..]);
    assert_eq!(r, Received::Complete { cancel: vec![] });
    // C1 sent both blocks, but C2 sent block 0 again: no sole sender.
    assert_eq!(p.sole_sender(blocks[0].piece), None);
    let bytes = p.take_complete(blocks[0].piece).unwrap();
    assert_eq!(bytes, data);
    // Out for its hash check: not picked again meanwhile.
    assert!(p.pick(C2, &all, 5).is_empty());
    let who = p.failed(blocks[0].piece);
    assert_eq!(who, vec![C1, C1], "the sender of each block");
    // Failed: it can be picked again from scratch.
    let piece = blocks[0].piece;
    let again = p.pick(C2, &all, 5);
    assert_eq!(again.len(), 2);
    p.block_received(C2, again[0], &data[..16384]);
    assert_eq!(p.sole_sender(piece), None, "not complete");
    p.block_received(C2, again[1], &data[16384..]);
    assert_eq!(p.sole_sender(piece), Some(C2), "every block from C2, once");
    p.take_complete(piece).unwrap();
    p.failed(piece);
    // Two senders.
    let third = p.pick(C2, &all, 5);
    p.block_received(C2, third[0], &data[..16384]);
    p.block_received(C1, third[1], &data[16384..]);
    assert_eq!(p.sole_sender(piece), None, "two senders");
    p.take_complete(piece).unwrap();
    p.failed(piece);
    // From C2 alone, but block 0 twice: the copy kept may not be the one
    // C2's thread hashed.
    let fourth = p.pick(C2, &all, 5);
    p.block_received(C2, fourth[0], &data[..16384]);
    p.block_received(C2, fourth[0], &[9u8; 16384]);
    p.block_received(C2, fourth[1], &data[16384..]);
    assert_eq!(p.sole_sender(piece), None, "a duplicate arrived");
}

#[test]
fn endgame_duplicates_and_cancels() {
    let g = geometry(1, 16 * 1024);
    let mut p = Picker::new(g, Bitfield::new(1), 2);
    let all = Bitfield::full(1);
    let a = p.pick(C1, &all, 5);
    assert_eq!(a.len(), 1);
    assert!(p.in_endgame());
    let b = p.pick(C2, &all, 5);
    assert_eq!(b, a, "endgame asks a second peer for the same block");
    assert!(p.pick(ConnId(3), &all, 5).is_empty(), "at most two copies");
    let r = p.block_received(C2, a[0], &[0u8; 16384]);
    assert_eq!(r, Received::Complete { cancel: vec![C1] });
}

#[test]
fn release_returns_blocks() {
    let g = geometry(2, 16 * 1024);
    let mut p = Picker::new(g, Bitfield::new(2), 2);
    let theirs = set(2, &[1]);
    let a = p.pick(C1, &theirs, 5);
    assert_eq!(a.len(), 1);
    assert!(p.pick(C2, &theirs, 5).is_empty() || p.in_endgame());
    p.release(C1, a[0]);
    p.release(C2, a[0]);
    assert_eq!(p.outstanding(), 0);
    assert_eq!(p.pick(C2, &theirs, 5), a);
}

#[test]
fn nothing_useful_means_no_requests() {
    let g = geometry(2, 16 * 1024);
    let mut have = Bitfield::new(2);
    have.set(g.piece(0).unwrap());
    let mut p = Picker::new(g, have, 2);
    assert!(p.pick(C1, &set(2, &[0]), 5).is_empty());
    assert!(!p.wants_any(&set(2, &[0])));
    assert!(p.wants_any(&set(2, &[0, 1])));
}

#[test]
fn bytes_have_counts_verified_pieces_once() {
    // 3 pieces of 32 KiB; the last is 1,000 bytes.
    let g = Geometry::new(2 * 32768 + 1000, 32768, 3).unwrap();
    let mut have = Bitfield::new(3);
    have.set(g.piece(0).unwrap());
    let mut p = Picker::new(g, have, 2);
    assert_eq!(p.bytes_have(), 32768);
    p.verified(g.piece(2).unwrap());
    p.verified(g.piece(2).unwrap());
    assert_eq!(p.bytes_have(), 32768 + 1000);
    assert!(!p.is_complete());
}

#[test]
fn pieces_being_hashed_count_against_the_budget() {
    // Budget of 2 pieces, 1 block each.
    let g = geometry(4, 16 * 1024);
    let mut p = Picker::new(g, Bitfield::new(4), 2);
    let all = set(4, &[0, 1, 2, 3]);
    let a = p.pick(C1, &all, 2);
    assert_eq!(a.len(), 2, "two pieces started");
    let r = p.block_received(C1, a[0], &[1u8; 16384]);
    assert!(matches!(r, Received::Complete { .. }));
    p.take_complete(a[0].piece).unwrap();
    assert_eq!((p.partial_count(), p.hashing_count()), (1, 1));
    // One partial + one hashing = the budget: nothing new starts.
    assert!(!p.has_room());
    assert!(p.pick(C2, &all, 5).is_empty());
    // The verdict frees the room; the hashed piece is not picked again.
    p.verified(a[0].piece);
    assert!(p.has_room());
    let b = p.pick(C2, &all, 5);
    assert_eq!(b.len(), 1);
    assert!(b[0].piece != a[0].piece && b[0].piece != a[1].piece);
    // A failed piece frees its room too and can be picked again.
    let r = p.block_received(C1, a[1], &[2u8; 16384]);
    assert!(matches!(r, Received::Complete { .. }));
    p.take_complete(a[1].piece).unwrap();
    assert!(!p.has_room());
    assert_eq!(p.failed(a[1].piece), vec![C1]);
    assert_eq!((p.partial_count(), p.hashing_count()), (1, 0));
    assert!(p.pick(C1, &set(4, &[a[1].piece.get()]), 5) == vec![a[1]]);
}

#[test]
fn pieces_being_hashed_are_started_for_endgame() {
    // Two pieces, budget 2: one out for hashing, one fully requested.
    let g = geometry(2, 16 * 1024);
    let mut p = Picker::new(g, Bitfield::new(2), 2);
    let all = Bitfield::full(2);
    let a = p.pick(C1, &all, 2);
    p.block_received(C1, a[0], &[0u8; 16384]);
    p.take_complete(a[0].piece).unwrap();
    assert!(p.in_endgame(), "all that is left is in flight or hashing");
    // Endgame duplicates only the block in flight, never the hashed piece.
    assert_eq!(p.pick(C2, &all, 5), vec![a[1]]);
}

#[test]
fn a_hasher_behind_stops_new_pieces_not_old_ones() {
    // Budget 4, but at most 1 piece hashing before new ones wait.
    let g = geometry(4, 32 * 1024); // 2 blocks per piece
    let mut p = Picker::new(g, Bitfield::new(4), 4);
    p.limit_hashing(1);
    let all = set(4, &[0, 1, 2, 3]);
    let a = p.pick(C1, &all, 4);
    assert_eq!(a.len(), 4, "two pieces started");
    p.block_received(C1, a[0], &[0u8; 16384]);
    p.block_received(C1, a[1], &[0u8; 16384]);
    p.take_complete(a[0].piece).unwrap();
    assert!(!p.has_room());
    assert!(
        p.pick(C2, &all, 4).is_empty(),
        "no new piece while 1 hashes"
    );
    // The piece already started still completes and goes out too.
    p.block_received(C1, a[2], &[0u8; 16384]);
    let r = p.block_received(C1, a[3], &[0u8; 16384]);
    assert!(matches!(r, Received::Complete { .. }));
    assert!(p.take_complete(a[2].piece).is_some());
    assert_eq!(p.hashing_count(), 2);
    p.verified(a[0].piece);
    p.verified(a[2].piece);
    assert_eq!(p.pick(C2, &all, 4).len(), 4, "caught up: new pieces start");
}

/// The picker's per-connection counts agree with the blocks themselves
/// through every way a request ends.
fn assert_counts(p: &Picker, want: &[(ConnId, usize)]) {
    for &(c, n) in want {
        assert_eq!(p.in_flight_of(c), n, "requests held by {c:?}");
    }
    let sum: usize = want.iter().map(|(_, n)| n).sum();
    assert_eq!(p.in_flight(), sum, "the total");
    assert_eq!(p.outstanding(), sum, "the total, counted from the pieces");
}

#[test]
fn in_flight_is_counted_per_connection_through_every_outcome() {
    let g = geometry(2, 64 * 1024); // 2 pieces of 4 blocks
    let mut p = Picker::new(g, Bitfield::new(2), 2);
    let all = Bitfield::full(2);
    let a = p.pick(C1, &all, 3);
    let b = p.pick(C2, &all, 3);
    assert_counts(&p, &[(C1, 3), (C2, 3)]);
    // A block arrives from its requester.
    p.block_received(C1, a[0], &[1u8; 16384]);
    assert_counts(&p, &[(C1, 2), (C2, 3)]);
    // A reject (or a choke) of one block.
    assert!(p.release(C2, b[0]));
    assert!(!p.release(C2, b[0]), "released once");
    assert!(!p.release(C1, b[1]), "C1 never held it");
    assert_counts(&p, &[(C1, 2), (C2, 2)]);
    // A block arrives from a peer that was not asked for it: the
    // requester's request is void, and it is to be cancelled.
    let r = p.block_received(C1, b[1], &[2u8; 16384]);
    assert_eq!(r, Received::Stored { cancel: vec![C2] });
    assert_counts(&p, &[(C1, 2), (C2, 1)]);
    // Everything a peer holds goes back at once (close, snub).
    let mut back = p.release_all(C1);
    back.sort_by_key(|b| (b.piece, b.offset));
    let mut want = a[1..].to_vec();
    want.sort_by_key(|b| (b.piece, b.offset));
    assert_eq!(back, want);
    assert!(p.release_all(C1).is_empty());
    assert_counts(&p, &[(C1, 0), (C2, 1)]);
}

#[test]
fn in_flight_counts_endgame_copies_and_their_cancels() {
    let g = geometry(1, 32 * 1024); // 1 piece, 2 blocks
    let mut p = Picker::new(g, Bitfield::new(1), 2);
    let all = Bitfield::full(1);
    let a = p.pick(C1, &all, 2);
    let b = p.pick(C2, &all, 2);
    assert_eq!(a, b, "endgame: the same two blocks");
    assert_counts(&p, &[(C1, 2), (C2, 2)]);
    let r = p.block_received(C2, a[0], &[0u8; 16384]);
    assert_eq!(r, Received::Stored { cancel: vec![C1] });
    assert_counts(&p, &[(C1, 1), (C2, 1)]);
    let r = p.block_received(C1, a[1], &[0u8; 16384]);
    assert_eq!(r, Received::Complete { cancel: vec![C2] });
    assert_counts(&p, &[(C1, 0), (C2, 0)]);
    // The late copy of a cancelled block changes nothing.
    assert_eq!(
        p.block_received(C2, a[1], &[0u8; 16384]),
        Received::Unneeded
    );
    assert_counts(&p, &[(C1, 0), (C2, 0)]);
}

#[test]
fn piece_buffers_are_reused_within_the_budget() {
    let g = geometry(3, 16 * 1024);
    let mut p = Picker::new(g, Bitfield::new(3), 2);
    let all = Bitfield::full(3);
    let a = p.pick(C1, &all, 1);
    p.block_received(C1, a[0], &[3u8; 16384]);
    let data = p.take_complete(a[0].piece).unwrap();
    let ptr = data.as_ptr();
    p.verified(a[0].piece);
    p.recycle(data);
    let b = p.pick(C1, &all, 1);
    p.block_received(C1, b[0], &[4u8; 16384]);
    let again = p.take_complete(b[0].piece).unwrap();
    assert_eq!(again.as_ptr(), ptr, "the same buffer, reused");
    assert_eq!(again, vec![4u8; 16384]);
    // With the budget (2) taken by a partial and a hashing piece, a
    // returned buffer is not kept.
    let c = p.pick(C1, &all, 1);
    p.block_received(C1, c[0], &[5u8; 8]);
    p.recycle(vec![0; 16384]);
    p.recycle(vec![0; 16384]);
    assert_eq!(p.spare.len(), 0);
}

#[test]
fn each_peer_fills_its_own_pieces_while_new_ones_may_start() {
    let g = geometry(4, 64 * 1024); // 4 pieces of 4 blocks
    let mut p = Picker::new(g, Bitfield::new(4), 4);
    let all = Bitfield::full(4);
    let a = p.pick(C1, &all, 2);
    let b = p.pick(C2, &all, 2);
    assert_ne!(a[0].piece, b[0].piece, "C2 starts its own piece");
    // C1 finishes its piece before anything else.
    let a2 = p.pick(C1, &all, 2);
    assert!(a2.iter().all(|x| x.piece == a[0].piece));
    // A piece given back (C2 choked us) is anyone's.
    p.release_all(C2);
    let c = p.pick(C1, &all, 4);
    assert!(c.iter().all(|x| x.piece == b[0].piece), "{c:?}");
}

#[test]
fn with_no_room_for_a_new_piece_peers_share() {
    let g = geometry(4, 64 * 1024);
    let mut p = Picker::new(g, Bitfield::new(4), 1);
    let all = Bitfield::full(4);
    let a = p.pick(C1, &all, 2);
    let b = p.pick(C2, &all, 5);
    assert_eq!(b.len(), 2, "the other half of C1's piece");
    assert!(b.iter().all(|x| x.piece == a[0].piece));
}
