//! How much slower than native the code under test is allowed to run.
//!
//! `make test-cross` runs the aarch64 and armv7 tests under qemu-user,
//! 5 to 20 times slower than on the host. It sets `BITSY_TEST_SLOW=N`,
//! and every *upper* bound the shared helpers wait for (a bitsy run, an
//! announce, a condition to become true) is multiplied by N. Without the
//! variable N is 1 and nothing changes.
//!
//! Deliberately not scaled: lower bounds ("took at least the timeout"),
//! since slowness cannot make them fail, and timeouts that are part of
//! the behaviour under test (a stall timeout passed to bitsy). Nothing
//! is ever skipped under emulation: a test that needs more time gets it.
//!
//! On an idle 2-core machine the tests pass under qemu with N = 1; the
//! factor is headroom for a loaded CI machine, where an emulated bitsy
//! shares the cores with the build and other jobs.

use std::time::Duration;

/// The factor when `BITSY_TEST_SLOW` is unset.
const NATIVE: u32 = 1;

/// A factor past this is a typo, not an emulator: 50 already lets one
/// bitsy run take 50 minutes.
const MAX_FACTOR: u32 = 50;

/// The slow-down factor from `BITSY_TEST_SLOW`. Panics (the test fails)
/// on a value that is not a whole number in `1..=MAX_FACTOR`: a typo
/// must not silently run the tests with native bounds.
pub fn factor() -> u32 {
    let Ok(text) = std::env::var("BITSY_TEST_SLOW") else {
        return NATIVE;
    };
    match text.trim().parse::<u32>() {
        Ok(n) if (NATIVE..=MAX_FACTOR).contains(&n) => n,
        _ => panic!("BITSY_TEST_SLOW={text:?}: want a whole number from {NATIVE} to {MAX_FACTOR}"),
    }
}

/// `bound` multiplied by [`factor`].
pub fn scaled(bound: Duration) -> Duration {
    bound * factor()
}
