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

use std::time::Duration;

/// The factor when `BITSY_TEST_SLOW` is unset or not a number in range.
const NATIVE: u32 = 1;

/// A factor past this is a typo, not an emulator: it would turn a 60 s
/// bound into hours.
const MAX_FACTOR: u32 = 50;

/// The slow-down factor from `BITSY_TEST_SLOW`, in `1..=MAX_FACTOR`.
pub fn factor() -> u32 {
    std::env::var("BITSY_TEST_SLOW")
        .ok()
        .and_then(|v| v.trim().parse::<u32>().ok())
        .filter(|n| (NATIVE..=MAX_FACTOR).contains(n))
        .unwrap_or(NATIVE)
}

/// `bound` multiplied by [`factor`].
pub fn scaled(bound: Duration) -> Duration {
    bound * factor()
}
