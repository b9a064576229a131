//! The choker: which peers we upload to (BEP 3, "Choking and optimistic
//! unchoking").
//!
//! Every [`RECHOKE_EVERY`] the session hands the choker a snapshot of its
//! peers and gets back the set to unchoke:
//! - [`UPLOAD_SLOTS`] regular slots for interested peers. While we
//!   download, they go to the peers that upload to *us* fastest
//!   (tit-for-tat); snubbed peers (holding our requests without sending)
//!   lose their slot. While we seed, they go to the peers we upload to
//!   fastest, but a peer that has held a slot for [`SEED_TURN`] while
//!   others wait goes to the back, so no interested peer starves.
//! - One optimistic slot, moved every [`OPTIMISTIC_EVERY`] to a random
//!   interested peer outside the regular slots, so new peers get a chance
//!   to show their rate.
//!
//! The choker is a pure decision: no sockets, no clock reads (the caller
//! passes `now`). The session sends the choke/unchoke messages.

use crate::ids::ConnId;
use crate::rng::Rng;
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// Regular upload slots; four is what BEP 3 describes and what most
/// clients use by default.
pub const UPLOAD_SLOTS: usize = 4;

/// How often the unchoke set is recomputed (BEP 3: every ten seconds,
/// long enough for TCP to ramp up to a new connection's full rate).
pub const RECHOKE_EVERY: Duration = Duration::from_secs(10);

/// How often the optimistic unchoke moves (BEP 3: every 30 seconds).
pub const OPTIMISTIC_EVERY: Duration = Duration::from_secs(30);

/// While seeding, how long a peer keeps a regular slot before it yields
/// to a waiting peer.
pub const SEED_TURN: Duration = Duration::from_secs(30);

/// What the choker needs to know about one peer.
#[derive(Debug, Clone)]
pub struct ChokeInput {
    pub conn: ConnId,
    pub interested: bool,
    /// Bytes per second the peer sends us.
    pub down_rate: f64,
    /// Bytes per second we send the peer.
    pub up_rate: f64,
    pub snubbed: bool,
    /// When we last unchoked it, if it is unchoked now.
    pub unchoked_since: Option<Instant>,
}

#[derive(Debug)]
pub struct Choker {
    optimistic: Option<ConnId>,
    optimistic_at: Option<Instant>,
    rng: Rng,
}

impl Default for Choker {
    fn default() -> Self {
        Self::new()
    }
}

impl Choker {
    pub fn new() -> Self {
        Choker {
            optimistic: None,
            optimistic_at: None,
            rng: Rng::from_os(),
        }
    }

    /// The peers to unchoke; every other peer is choked.
    pub fn rechoke(
        &mut self,
        peers: &[ChokeInput],
        seeding: bool,
        now: Instant,
    ) -> HashSet<ConnId> {
        let mut ranked: Vec<&ChokeInput> = peers
            .iter()
            .filter(|p| p.interested && (seeding || !p.snubbed))
            .collect();
        let waiting = ranked.iter().filter(|p| p.unchoked_since.is_none()).count() > 0;
        ranked.sort_by(|a, b| {
            let key = |p: &ChokeInput| {
                let rate = if seeding { p.up_rate } else { p.down_rate };
                let tired = seeding
                    && waiting
                    && p.unchoked_since
                        .is_some_and(|t| now.duration_since(t) >= SEED_TURN);
                (tired, rate)
            };
            let (ta, ra) = key(a);
            let (tb, rb) = key(b);
            ta.cmp(&tb)
                .then(rb.total_cmp(&ra))
                .then(a.conn.cmp(&b.conn))
        });
        let mut unchoke: HashSet<ConnId> =
            ranked.iter().take(UPLOAD_SLOTS).map(|p| p.conn).collect();

        let optimistic_due = self
            .optimistic_at
            .is_none_or(|t| now.duration_since(t) >= OPTIMISTIC_EVERY);
        let still_there = self
            .optimistic
            .is_some_and(|c| peers.iter().any(|p| p.conn == c && p.interested));
        if optimistic_due || !still_there {
            let choices: Vec<ConnId> = peers
                .iter()
                .filter(|p| p.interested && !unchoke.contains(&p.conn))
                .map(|p| p.conn)
                .collect();
            self.optimistic = if choices.is_empty() {
                None
            } else {
                let i = self.rng.below(choices.len() as u64) as usize;
                choices.get(i).copied()
            };
            self.optimistic_at = Some(now);
        }
        if let Some(c) = self.optimistic {
            unchoke.insert(c);
        }
        unchoke
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(conn: u64, interested: bool, down: f64, up: f64) -> ChokeInput {
        ChokeInput {
            conn: ConnId(conn),
            interested,
            down_rate: down,
            up_rate: up,
            snubbed: false,
            unchoked_since: None,
        }
    }

    #[test]
    fn tit_for_tat_plus_one_optimistic() {
        let now = Instant::now();
        let peers: Vec<ChokeInput> = (1..=8)
            .map(|i| peer(i, true, i as f64 * 100.0, 0.0))
            .collect();
        let mut c = Choker::new();
        let set = c.rechoke(&peers, false, now);
        assert_eq!(set.len(), UPLOAD_SLOTS + 1);
        for fast in 5..=8 {
            assert!(set.contains(&ConnId(fast)), "fastest uploaders get slots");
        }
    }

    #[test]
    fn uninterested_and_snubbed_lose_slots() {
        let now = Instant::now();
        let mut peers = vec![peer(1, false, 1e6, 0.0), peer(2, true, 10.0, 0.0)];
        peers.push(ChokeInput {
            snubbed: true,
            ..peer(3, true, 1e9, 0.0)
        });
        let mut c = Choker::new();
        let set = c.rechoke(&peers, false, now);
        assert!(!set.contains(&ConnId(1)));
        assert!(set.contains(&ConnId(2)));
        // The snubbed peer can only be the optimistic pick, never a regular slot.
        assert!(set.len() <= 2);
    }

    #[test]
    fn seeding_rotates_long_holders() {
        let now = Instant::now();
        let long_ago = now.checked_sub(Duration::from_secs(60)).unwrap_or(now);
        let mut peers: Vec<ChokeInput> = (1..=4)
            .map(|i| ChokeInput {
                unchoked_since: Some(long_ago),
                ..peer(i, true, 0.0, 1e6)
            })
            .collect();
        peers.push(peer(9, true, 0.0, 0.0));
        let mut c = Choker::new();
        let set = c.rechoke(&peers, true, now);
        assert!(
            set.contains(&ConnId(9)),
            "a waiting peer gets a regular slot"
        );
    }

    #[test]
    fn optimistic_stays_until_due() {
        let now = Instant::now();
        let peers: Vec<ChokeInput> = (1..=10).map(|i| peer(i, true, 0.0, 0.0)).collect();
        let mut c = Choker::new();
        let first = c.rechoke(&peers, false, now);
        let again = c.rechoke(&peers, false, now + Duration::from_secs(10));
        assert_eq!(first, again);
    }
}
