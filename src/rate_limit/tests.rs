use super::*;

fn rate(n: u64) -> NonZeroU64 {
    NonZeroU64::new(n).unwrap()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn fills_at_the_rate_up_to_half_a_second() {
    let t0 = Instant::now();
    // (rate, ms after start, available): the bucket starts empty.
    #[rustfmt::skip]
    let table = [
        (1_000_000, 0, 0),
        (1_000_000, 100, 100_000),
        (1_000_000, 500, 500_000),
        (1_000_000, 10_000, 500_000),       // capped at BURST
        (1_000, 60_000, 16_384),            // a block at least
        (1_048_576, 250, 262_144),
        (10_485_760, 1, 10_485),            // whole bytes only
        (3_001, 333, 999),
        (MAX_RATE + 5, 1000, MAX_RATE / 2), // the rate is capped too
    ];
    for (r, after, want) in table {
        let mut b = TokenBucket::new(rate(r), t0);
        assert_eq!(
            b.available(t0 + ms(after)),
            want,
            "rate {r} after {after} ms"
        );
    }
}

#[test]
fn polling_often_loses_no_fraction_of_a_byte() {
    // 1,500 bytes a second polled every millisecond: each poll earns 1.5
    // bytes, whose halves must add up rather than be rounded away.
    let t0 = Instant::now();
    let mut b = TokenBucket::new(rate(1500), t0);
    for i in 1..=100 {
        b.available(t0 + ms(i));
    }
    assert_eq!(b.available(t0 + ms(100)), 150);
}

#[test]
fn debt_is_paid_before_more_is_let_through() {
    let t0 = Instant::now();
    let mut b = TokenBucket::new(rate(100_000), t0);
    assert_eq!(b.available(t0 + ms(100)), 10_000);
    b.take(16_384); // one block overdraws it by 6,384
    // (ms after start, available)
    let table = [(100, 0), (150, 0), (163, 0), (164, 16), (264, 10_016)];
    for (after, want) in table {
        assert_eq!(b.available(t0 + ms(after)), want, "after {after} ms");
    }
}

#[test]
fn over_ten_seconds_lets_through_the_rate_and_no_more() {
    // A greedy user taking a block whenever a token is there, at 4 ms
    // steps: over 10 s it gets rate x 10 s, give or take one block.
    let t0 = Instant::now();
    let r = 1_048_576;
    let mut b = TokenBucket::new(rate(r), t0);
    let mut got = 0u64;
    for step in 0..=2500 {
        let now = t0 + ms(step * 4);
        while b.available(now) > 0 {
            b.take(16_384);
            got += 16_384;
        }
    }
    let want = r * 10;
    assert!(got >= want && got <= want + 16_384, "{got} for {want}");
}

#[test]
fn a_clock_going_back_adds_nothing() {
    let t0 = Instant::now();
    let mut b = TokenBucket::new(rate(1000), t0 + ms(100));
    assert_eq!(b.available(t0), 0);
    assert_eq!(b.available(t0 + ms(200)), 100);
}

#[test]
fn split_follows_demand() {
    // (tokens, demand, floor, shares)
    #[rustfmt::skip]
    let table: [(u64, &[u64], u64, &[u64]); 6] = [
        (1000, &[], 16, &[]),
        (1000, &[0], 16, &[1000]),
        (1000, &[0, 0], 0, &[0, 0]),                 // no demand, no floor
        (1000, &[0, 0, 0, 0], 1, &[250, 250, 250, 250]),
        (1000, &[300, 100], 0, &[750, 250]),
        (116_000, &[84_000, 0], 16_000, &[100_000, 16_000]),
    ];
    for (tokens, demand, floor, want) in table {
        let got = split(tokens, demand, floor);
        assert_eq!(got, want, "{tokens} {demand:?} {floor}");
        assert!(got.iter().sum::<u64>() <= tokens);
    }
    // Rounding down never hands out more than there is.
    let got = split(10, &[1, 1, 1], 0);
    assert_eq!(got, [3, 3, 3]);
    // Huge numbers do not overflow.
    assert_eq!(
        split(u64::MAX, &[u64::MAX, u64::MAX], u64::MAX),
        [u64::MAX / 2; 2]
    );
}
