//! BEP 15's two clocks, as pure state with the time passed in: when to
//! send a request again ([`Retransmit`]) and how long a connection id
//! stays good ([`ConnectionIds`]).
//!
//! Retransmission. BEP 15 says: no answer within 15 · 2^n seconds, send
//! again and increase n (up to 8, an hour). A client that followed it to
//! the letter would spend over two hours on a dead tracker; bitsy bounds
//! each announce to one tracker address by a budget, shared by its connect
//! and announce requests:
//!
//! ```text
//! send #   waits for an answer   time since the first send
//! 1        15 s                  0 s
//! 2        30 s                  15 s
//! (none)   budget spent          45 s  = ANNOUNCE_BUDGET
//! ```
//!
//! A smaller budget (the quick `stopped` announce at exit, tests) cuts the
//! last wait short: a 4 s budget is one send and a 4 s wait.
//!
//! Connection ids. BEP 15: a client may use a connection id for one minute
//! after receiving it. Ids are kept per tracker address (not per URL: two
//! URLs of one tracker share its id) by the tracker thread, which alone
//! owns this cache; at most [`MAX_TRACKERS`] are remembered.
//!
//! Deliberately not here: sockets and the wall clock (see `udp`).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// BEP 15's first wait for an answer; each resend doubles it.
pub const FIRST_WAIT: Duration = Duration::from_secs(15);

/// What one announce to one dead tracker address costs at most: two sends,
/// 15 s + 30 s (see the table above). A third send would make it 105 s,
/// longer than a user waits for a first peer.
pub const ANNOUNCE_BUDGET: Duration = Duration::from_secs(45);

/// BEP 15: a connection id is good for one minute after it arrives.
pub const CONNECTION_ID_LIFE: Duration = Duration::from_secs(60);

/// Tracker addresses whose connection id we remember. A torrent lists a
/// handful; the bound only matters against a pathological `announce-list`.
pub const MAX_TRACKERS: usize = 64;

/// The resend schedule of one exchange with one tracker address.
#[derive(Debug, Clone)]
pub struct Retransmit {
    deadline: Instant,
    sent: u32,
}

impl Retransmit {
    /// A schedule that ends `budget` after `now`.
    pub fn new(now: Instant, budget: Duration) -> Retransmit {
        Retransmit {
            deadline: now + budget,
            sent: 0,
        }
    }

    /// Called before each send: how long to wait for its answer, or `None`
    /// when the budget is spent (do not send).
    pub fn next_wait(&mut self, now: Instant) -> Option<Duration> {
        let left = self.deadline.checked_duration_since(now)?;
        if left.is_zero() {
            return None;
        }
        let factor = 1u32.checked_shl(self.sent).unwrap_or(u32::MAX);
        let step = FIRST_WAIT.checked_mul(factor).unwrap_or(Duration::MAX);
        self.sent = self.sent.saturating_add(1);
        Some(step.min(left))
    }

    /// Requests sent so far (for messages).
    pub fn sent(&self) -> u32 {
        self.sent
    }
}

/// Connection ids by tracker address, with the time each arrived.
#[derive(Debug, Default)]
pub struct ConnectionIds {
    ids: HashMap<SocketAddr, (u64, Instant)>,
}

impl ConnectionIds {
    /// The id for `tracker`, if one arrived less than a minute ago.
    pub fn get(&self, tracker: SocketAddr, now: Instant) -> Option<u64> {
        let (id, at) = self.ids.get(&tracker)?;
        (now.saturating_duration_since(*at) < CONNECTION_ID_LIFE).then_some(*id)
    }

    /// Remembers the id that arrived from `tracker` at `now`, dropping
    /// expired ids, and the oldest one if the cache is full.
    pub fn insert(&mut self, tracker: SocketAddr, id: u64, now: Instant) {
        self.ids
            .retain(|_, (_, at)| now.saturating_duration_since(*at) < CONNECTION_ID_LIFE);
        if self.ids.len() >= MAX_TRACKERS && !self.ids.contains_key(&tracker) {
            let oldest = self
                .ids
                .iter()
                .min_by_key(|(_, (_, at))| *at)
                .map(|(a, _)| *a);
            if let Some(oldest) = oldest {
                self.ids.remove(&oldest);
            }
        }
        self.ids.insert(tracker, (id, now));
    }

    /// Forgets `tracker`'s id (it timed out or was refused): the next
    /// announce connects again.
    pub fn forget(&mut self, tracker: SocketAddr) {
        self.ids.remove(&tracker);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    /// The waits a schedule hands out when every send times out.
    fn waits(budget: Duration) -> Vec<Duration> {
        let t0 = Instant::now();
        let mut r = Retransmit::new(t0, budget);
        let mut now = t0;
        let mut out = Vec::new();
        while let Some(w) = r.next_wait(now) {
            out.push(w);
            now += w;
            assert!(out.len() < 20, "the schedule must end");
        }
        assert_eq!(r.sent() as usize, out.len());
        out
    }

    #[test]
    fn retransmission_schedule() {
        let ms = Duration::from_millis;
        let table: &[(Duration, &[Duration])] = &[
            (ANNOUNCE_BUDGET, &[secs(15), secs(30)]),
            (secs(4), &[secs(4)]),
            (secs(20), &[secs(15), secs(5)]),
            (secs(105), &[secs(15), secs(30), secs(60)]),
            (ms(1500), &[ms(1500)]),
            (Duration::ZERO, &[]),
        ];
        for (budget, want) in table {
            assert_eq!(&waits(*budget), want, "budget {budget:?}");
        }
        assert_eq!(waits(ANNOUNCE_BUDGET).iter().sum::<Duration>(), secs(45));
    }

    #[test]
    fn an_early_answer_leaves_the_rest_of_the_budget() {
        // Connect answered after 2 s: the announce starts at n = 1 with
        // 43 s left.
        let t0 = Instant::now();
        let mut r = Retransmit::new(t0, ANNOUNCE_BUDGET);
        assert_eq!(r.next_wait(t0), Some(secs(15)));
        assert_eq!(r.next_wait(t0 + secs(2)), Some(secs(30)));
        assert_eq!(r.next_wait(t0 + secs(32)), Some(secs(13)));
        assert_eq!(r.next_wait(t0 + secs(45)), None);
        assert_eq!(r.next_wait(t0 + secs(50)), None);
    }

    #[test]
    fn connection_ids_live_one_minute_per_address() {
        let t0 = Instant::now();
        let a: SocketAddr = "127.0.0.1:6969".parse().unwrap();
        let b: SocketAddr = "[::1]:6969".parse().unwrap();
        let mut ids = ConnectionIds::default();
        assert_eq!(ids.get(a, t0), None);
        ids.insert(a, 7, t0);
        assert_eq!(ids.get(a, t0 + secs(59)), Some(7));
        assert_eq!(ids.get(a, t0 + secs(60)), None);
        assert_eq!(ids.get(b, t0), None, "another address has its own id");
        ids.insert(a, 8, t0 + secs(30));
        assert_eq!(
            ids.get(a, t0 + secs(80)),
            Some(8),
            "a new id restarts the minute"
        );
        ids.forget(a);
        assert_eq!(ids.get(a, t0 + secs(31)), None);
    }

    #[test]
    fn the_cache_is_bounded() {
        let t0 = Instant::now();
        let mut ids = ConnectionIds::default();
        for i in 0..(MAX_TRACKERS as u16 + 10) {
            let addr = SocketAddr::from(([127, 0, 0, 1], 1000 + i));
            ids.insert(addr, u64::from(i), t0 + Duration::from_millis(u64::from(i)));
        }
        assert_eq!(ids.ids.len(), MAX_TRACKERS);
        let first = SocketAddr::from(([127, 0, 0, 1], 1000));
        let last = SocketAddr::from(([127, 0, 0, 1], 1000 + MAX_TRACKERS as u16 + 9));
        assert_eq!(ids.get(first, t0 + secs(1)), None, "the oldest went");
        assert!(ids.get(last, t0 + secs(1)).is_some());
        // Expired ids go at the next insert.
        ids.insert(first, 1, t0 + secs(120));
        assert_eq!(ids.ids.len(), 1);
    }
}
