//! Unit tests for `hasher`. Every wait is bounded by [`LIMIT`], so a
//! broken pool fails a test instead of hanging it.

use super::*;
use crate::geometry::Geometry;
use crossbeam_channel::{RecvTimeoutError, unbounded};
use std::time::{Duration, Instant};

/// Longer than any of these tests needs on a loaded machine.
const LIMIT: Duration = Duration::from_secs(10);

fn piece(i: u32) -> PieceIndex {
    Geometry::new(1000 * 16_384, 16_384, 1000)
        .unwrap()
        .piece(i)
        .unwrap()
}

fn job(i: u32, data: &[u8], expected: [u8; SHA1_LEN]) -> Job {
    Job {
        piece: piece(i),
        data: data.to_vec(),
        expected,
    }
}

/// The next verdict, or the test fails after [`LIMIT`].
fn next(h: &Hasher) -> Result<Verdict, HasherError> {
    match h.verdicts().recv_timeout(LIMIT) {
        Ok(r) => h.open(Ok(r)),
        Err(RecvTimeoutError::Disconnected) => h.open(Err(RecvError)),
        Err(RecvTimeoutError::Timeout) => panic!("no verdict within {LIMIT:?}"),
    }
}

/// Drops `h` on another thread and fails if that takes over [`LIMIT`].
fn drop_within_limit(h: Hasher) {
    let (done_tx, done_rx) = unbounded();
    thread::spawn(move || {
        drop(h);
        let _ = done_tx.send(());
    });
    done_rx
        .recv_timeout(LIMIT)
        .expect("dropping the hasher hung");
}

#[test]
fn verdicts_say_good_and_bad_and_return_the_bytes() {
    let data = b"the bytes of a piece".to_vec();
    let right = hash::sha1(&data);
    let mut wrong = right;
    wrong[19] ^= 1;
    let cases: [(&[u8], [u8; SHA1_LEN], bool); 4] = [
        (&data, right, true),
        (&data, wrong, false),
        (b"", hash::sha1(b""), true),
        (b"", right, false),
    ];
    let h = Hasher::start(2, 4).unwrap();
    for (i, (bytes, expected, good)) in cases.into_iter().enumerate() {
        h.submit(job(i as u32, bytes, expected)).unwrap();
        let v = next(&h).unwrap();
        assert_eq!(v.piece, piece(i as u32), "case {i}");
        assert_eq!(v.good, good, "case {i}");
        assert_eq!(v.data, bytes, "case {i}: the job's bytes come back");
    }
}

#[test]
fn many_jobs_each_answered_once_by_index() {
    const JOBS: u32 = 300;
    let h = Hasher::start(MAX_THREADS, 8).unwrap();
    let body = |i: u32| -> Vec<u8> { (0..(i * 37) % 5000).map(|k| (k ^ i) as u8).collect() };
    let mut seen = vec![false; JOBS as usize];
    let mut outstanding = 0;
    let take = |v: Verdict, seen: &mut Vec<bool>| {
        let i = v.piece.as_usize();
        assert!(!seen[i], "piece {i} answered twice");
        seen[i] = true;
        assert_eq!(v.data, body(i as u32), "piece {i}: wrong bytes back");
        // Every third piece was sent with a wrong hash.
        assert_eq!(v.good, !i.is_multiple_of(3), "piece {i}");
    };
    for i in 0..JOBS {
        if outstanding == h.capacity() {
            take(next(&h).unwrap(), &mut seen);
            outstanding -= 1;
        }
        let data = body(i);
        let mut expected = hash::sha1(&data);
        if i.is_multiple_of(3) {
            expected[0] ^= 0xff;
        }
        h.submit(Job {
            piece: piece(i),
            data,
            expected,
        })
        .unwrap();
        outstanding += 1;
    }
    for _ in 0..outstanding {
        take(next(&h).unwrap(), &mut seen);
    }
    assert!(seen.iter().all(|s| *s), "a piece got no verdict");
}

#[test]
fn verdicts_come_as_threads_finish_not_in_job_order() {
    // Piece 0 is slow to hash, piece 1 fast: with two threads, 1's verdict
    // comes first, and each verdict still names its own piece.
    let slow: HashFn = Arc::new(|d: &[u8]| {
        if d == b"slow" {
            thread::sleep(Duration::from_millis(300));
        }
        hash::sha1(d)
    });
    let h = Hasher::with_fn(2, 4, slow).unwrap();
    h.submit(job(0, b"slow", hash::sha1(b"slow"))).unwrap();
    h.submit(job(1, b"fast", hash::sha1(b"fast"))).unwrap();
    let first = next(&h).unwrap();
    let second = next(&h).unwrap();
    assert_eq!((first.piece, first.data), (piece(1), b"fast".to_vec()));
    assert_eq!((second.piece, second.data), (piece(0), b"slow".to_vec()));
    assert!(first.good && second.good);
}

#[test]
fn submit_never_waits_and_refuses_past_capacity() {
    // The one thread is held inside its first hash until `release`.
    let (release, gate) = unbounded::<()>();
    let held: HashFn = Arc::new(move |d: &[u8]| {
        let _ = gate.recv_timeout(LIMIT);
        hash::sha1(d)
    });
    let h = Hasher::with_fn(1, 2, held).unwrap();
    let started = Instant::now();
    let mut accepted = 0;
    let refused = loop {
        match h.submit(job(accepted, b"x", hash::sha1(b"x"))) {
            Ok(()) => accepted += 1,
            Err(e) => break e,
        }
        assert!(accepted <= 3, "more accepted than queue + thread");
    };
    assert!(started.elapsed() < Duration::from_secs(1), "submit waited");
    assert_eq!(refused, HasherError::Full { capacity: 2 });
    assert!(refused.to_string().contains("memory budget"), "{refused}");
    // The queue (2) plus, if it took one already, the thread (1).
    assert!((2..=3).contains(&accepted), "{accepted}");
    for _ in 0..accepted {
        release.send(()).unwrap();
        assert!(next(&h).unwrap().good);
    }
}

#[test]
fn drop_ends_every_thread_even_with_work_unread() {
    let hash_fn: HashFn = Arc::new(hash::sha1);
    let h = Hasher::with_fn(3, 4, hash_fn.clone()).unwrap();
    assert_eq!(h.threads(), 3);
    assert_eq!(Arc::strong_count(&hash_fn), 4, "one clone per thread");
    // Read nothing and submit until the pool is saturated: the verdict
    // queue full, each thread blocked handing one back, the job queue full.
    let data = vec![5u8; 64 * 1024];
    let (mut sent, mut refused) = (0, 0);
    let started = Instant::now();
    while refused < 20 {
        assert!(started.elapsed() < LIMIT, "never saturated");
        match h.submit(job(sent, &data, [0; SHA1_LEN])) {
            Ok(()) => sent += 1,
            Err(HasherError::Full { .. }) => {
                refused += 1;
                thread::sleep(Duration::from_millis(5));
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert!(sent >= 4 + 4, "both queues filled: {sent}");
    drop_within_limit(h);
    // Joined: each thread's clone of the function is gone with it.
    assert_eq!(
        Arc::strong_count(&hash_fn),
        1,
        "a hashing thread outlived the pool"
    );
}

#[test]
fn a_panic_is_an_error_naming_the_piece_not_a_hang() {
    let fragile: HashFn = Arc::new(|d: &[u8]| {
        assert!(!d.is_empty(), "test: this hash refuses empty input");
        hash::sha1(d)
    });
    // Two threads: one dies on piece 7, the other goes on working.
    let h = Hasher::with_fn(2, 4, fragile.clone()).unwrap();
    h.submit(job(7, b"", [0; SHA1_LEN])).unwrap();
    let err = next(&h).unwrap_err();
    assert_eq!(err, HasherError::Panicked(piece(7)));
    assert_eq!(
        err.to_string(),
        "a hashing thread panicked while hashing piece 7"
    );
    h.submit(job(8, b"ok", hash::sha1(b"ok"))).unwrap();
    assert!(next(&h).unwrap().good);
    drop_within_limit(h);

    // One thread: after it dies, no verdict can come, and receiving says so.
    let h = Hasher::with_fn(1, 4, fragile).unwrap();
    h.submit(job(2, b"", [0; SHA1_LEN])).unwrap();
    assert_eq!(next(&h).unwrap_err(), HasherError::Panicked(piece(2)));
    assert_eq!(next(&h).unwrap_err(), HasherError::Stopped);
    assert_eq!(
        h.submit(job(3, b"x", [0; SHA1_LEN])).unwrap_err(),
        HasherError::Stopped
    );
    drop_within_limit(h);
}

#[test]
fn this_machine_gets_one_to_four_threads() {
    let n = threads_for_this_machine();
    assert!((1..=MAX_THREADS).contains(&n), "{n}");
    let cores = thread::available_parallelism().map_or(1, |c| c.get());
    assert_eq!(n, cores.min(MAX_THREADS));
}
