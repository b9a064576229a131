//! The doctor's words: each [`Diagnosis`] as one sentence that says what
//! is wrong, with the numbers that show it, and ends with what would
//! help. Lowercase, no trailing period, for a status line, a message or
//! the end of an error.

use super::{Diagnosis, Unavailable};
use crate::progress::{format_bytes, format_duration};
use std::fmt;

impl fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Diagnosis::DiskError { error } => write!(
                f,
                "disk error: {error}. Free some space or fix the folder's permissions \
                 (or choose another with -o), then run the same command again: \
                 verified pieces are kept"
            ),
            Diagnosis::TrackersFailing {
                failures,
                error,
                dht_found,
                private,
            } => {
                write!(f, "every tracker failed")?;
                if *failures > 1 {
                    write!(f, " ({failures} announces in a row)")?;
                }
                write!(f, ": {error}")?;
                match dht_found {
                    Some(0) => write!(f, "; the DHT found no peer either")?,
                    Some(n) => write!(f, "; the DHT found {n} but none answers")?,
                    None => {}
                }
                write!(
                    f,
                    ". Check the network and the tracker URL, or try another tracker"
                )?;
                match (dht_found, private) {
                    (None, false) => write!(f, " or --dht-bootstrap (without --no-dht)"),
                    _ => Ok(()),
                }
            }
            Diagnosis::NoPeers {
                trackers,
                dht_found,
                private,
                candidates,
                connecting,
            } => no_peers(f, *trackers, *dht_found, *private, *candidates, *connecting),
            Diagnosis::PiecesUnavailable { peers, missing } => write!(
                f,
                "{} connected, none has {}: wait for a seeder (or a peer that has {})",
                count(*peers, "peer"),
                list_pieces(missing),
                if missing.count == 1 { "it" } else { "them" }
            ),
            Diagnosis::AllChoking {
                choking,
                for_at_least,
                snubbed,
            } => {
                let all = if *choking == 1 {
                    "it chokes"
                } else {
                    "all choke"
                };
                write!(
                    f,
                    "{} with pieces we want: {all} us (for at least {})",
                    count(*choking, "peer"),
                    format_duration(for_at_least.as_secs())
                )?;
                if *snubbed > 0 {
                    write!(f, ", and {snubbed} more sent nothing (snubbed)")?;
                }
                write!(
                    f,
                    ". Peers unchoke those who upload to them, and one at random every 30s: \
                     wait, or find more peers"
                )
            }
            Diagnosis::AllSnubbed { snubbed, choking } => {
                write!(
                    f,
                    "{} with pieces we want {} us but sent nothing for 20s (snubbed)",
                    count(*snubbed, "peer"),
                    if *snubbed == 1 { "unchokes" } else { "unchoke" }
                )?;
                if *choking > 0 {
                    write!(f, ", and {choking} more choke us")?;
                }
                write!(
                    f,
                    ". They may be overloaded or behind a slow link: wait for other peers"
                )
            }
            Diagnosis::RateLimited { limit } => write!(
                f,
                "limited by --max-download-rate {}/s, spent every second: raise it for more speed",
                format_bytes(*limit)
            ),
            Diagnosis::Waiting { idle, working } => write!(
                f,
                "nothing arrived for {}, though {} with pieces we want {} us: \
                 they may be slow to answer; wait",
                format_duration(idle.as_secs()),
                count(*working, "peer"),
                if *working == 1 { "unchokes" } else { "unchoke" }
            ),
        }
    }
}

/// The words for [`Diagnosis::NoPeers`].
fn no_peers(
    f: &mut fmt::Formatter<'_>,
    trackers: bool,
    dht_found: Option<usize>,
    private: bool,
    candidates: usize,
    connecting: usize,
) -> fmt::Result {
    write!(f, "no peer connected")?;
    if connecting > 0 {
        write!(f, " (connecting to {connecting})")?;
    }
    match (trackers, dht_found) {
        (false, None) => write!(f, ": no tracker and no DHT to find peers")?,
        (true, _) if candidates == 0 && connecting == 0 => {
            write!(f, ": the tracker lists no other peer")?
        }
        _ => {}
    }
    if let Some(n) = dht_found {
        write!(f, "; the DHT found {}", count(n, "peer"))?;
    }
    if candidates > 0 {
        write!(f, "; {} known, none answers", count(candidates, "address"))?;
    }
    write!(f, ". Wait for peers to join")?;
    if !trackers && dht_found.is_none() && !private {
        write!(f, ", or run without --no-dht")?;
    }
    if candidates > 0 {
        write!(f, ", or check that a firewall lets this machine reach them")?;
    }
    Ok(())
}

/// `1 peer`, `3 peers`, `2 addresses`.
pub(super) fn count(n: usize, what: &str) -> String {
    let plural = match (n, what.ends_with('s')) {
        (1, _) => "",
        (_, true) => "es",
        (_, false) => "s",
    };
    format!("{n} {what}{plural}")
}

/// `piece 7`, `pieces 17, 18, 40 (and 12 more)`.
pub(super) fn list_pieces(u: &Unavailable) -> String {
    let shown: Vec<String> = u.first.iter().map(u32::to_string).collect();
    let word = if u.count == 1 { "piece" } else { "pieces" };
    let rest = (u.count as usize).saturating_sub(shown.len());
    match rest {
        0 => format!("{word} {}", shown.join(", ")),
        _ if shown.is_empty() => format!("{} pieces", u.count),
        _ => format!("{word} {} (and {rest} more)", shown.join(", ")),
    }
}
