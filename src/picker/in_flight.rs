//! How many requests each connection holds: an index over the pieces'
//! `Requested` blocks, so that "how many more may this peer be sent?"
//! costs a lookup, not a scan of every piece in progress (the question is
//! asked after every block).
//!
//! Part of the picker. Invariant: for each connection, the count equals
//! the number of `Requested` entries naming it across all assemblies, and
//! `total` is the sum. The picker keeps it by calling `add` and `void`
//! in the same methods that change those entries (`pick`, `release`,
//! `release_all`, `block_received`), and nowhere else; the tests compare
//! it with a count taken from the pieces themselves.
//!
//! What it deliberately does not do: know which blocks (the assemblies
//! do), or anything of the peers beyond their `ConnId`.

use crate::ids::ConnId;
use std::collections::BTreeMap;

#[derive(Debug, Default)]
pub(super) struct InFlight {
    per_conn: BTreeMap<ConnId, usize>,
    total: usize,
}

impl InFlight {
    /// `conn` was sent `n` more requests.
    pub(super) fn add(&mut self, conn: ConnId, n: usize) {
        if n > 0 {
            *self.per_conn.entry(conn).or_default() += n;
            self.total += n;
        }
    }

    /// `n` of `conn`'s requests were answered or voided.
    pub(super) fn void(&mut self, conn: ConnId, n: usize) {
        let Some(c) = self.per_conn.get_mut(&conn) else {
            return;
        };
        let n = n.min(*c);
        *c -= n;
        if *c == 0 {
            self.per_conn.remove(&conn);
        }
        self.total -= n;
    }

    /// All of `conn`'s requests are void.
    pub(super) fn forget(&mut self, conn: ConnId) {
        if let Some(n) = self.per_conn.remove(&conn) {
            self.total -= n;
        }
    }

    pub(super) fn of(&self, conn: ConnId) -> usize {
        self.per_conn.get(&conn).copied().unwrap_or(0)
    }

    pub(super) fn total(&self) -> usize {
        self.total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_connection_and_in_all() {
        let (a, b) = (ConnId(1), ConnId(2));
        let mut f = InFlight::default();
        f.add(a, 3);
        f.add(b, 2);
        f.add(a, 0);
        assert_eq!((f.of(a), f.of(b), f.total()), (3, 2, 5));
        f.void(a, 1);
        f.void(b, 9); // never below zero, nor the total
        assert_eq!((f.of(a), f.of(b), f.total()), (2, 0, 2));
        f.forget(a);
        f.forget(a);
        f.void(ConnId(7), 1);
        assert_eq!((f.of(a), f.total()), (0, 0));
    }
}
