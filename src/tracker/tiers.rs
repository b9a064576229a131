//! The tracker list of one torrent, in BEP 12 tiers, and the order we try it in.
//!
//! BEP 12: tiers are tried in order, and every URL of a tier before the
//! next tier. Each tier is shuffled once, when first read; a URL that
//! answers moves to the front of its tier, so the next announce tries it
//! first. (A torrent with only `announce` is one tier of one URL.)
//!
//! Invariants: every URL kept here has a scheme we can announce to, and
//! appears once (a later duplicate is dropped); no tier is empty.
//! http, https and udp URLs mix freely in a tier. URLs we cannot use
//! (what `scheme::check` refuses: `https://` in a build without TLS,
//! `wss://`, anything else) are dropped when the list is built, each with one message in
//! [`Tiers::skipped`], so the user reads it once and not at every announce.
//!
//! This module does not talk to the network: [`Tiers::try_in_order`] takes
//! the function that does.

use super::scheme;
use crate::rng::Rng;

/// The tracker URLs of a torrent, grouped and ordered per BEP 12.
#[derive(Debug)]
pub struct Tiers {
    tiers: Vec<Vec<String>>,
    skipped: Vec<String>,
}

/// Why every URL failed: the last one tried and its words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllFailed {
    /// The last URL tried, or `None` if there was none to try.
    pub last_url: Option<String>,
    /// What went wrong with it (or why there was nothing to try).
    pub message: String,
}

impl Tiers {
    /// Keeps the usable URLs of `tiers` and shuffles each tier.
    pub fn new(tiers: Vec<Vec<String>>) -> Tiers {
        Self::with_shuffle(tiers, scheme::HTTPS_BUILT_IN, shuffle)
    }

    /// [`Tiers::new`] with the TLS switch and the shuffle given (tests).
    pub(crate) fn with_shuffle(
        tiers: Vec<Vec<String>>,
        https: bool,
        mut shuffle: impl FnMut(&mut [String]),
    ) -> Tiers {
        let mut seen: Vec<String> = Vec::new();
        let mut skipped = Vec::new();
        let mut kept_tiers = Vec::new();
        for tier in tiers {
            let mut kept = Vec::new();
            for url in tier {
                let url = url.trim().to_string();
                if url.is_empty() || seen.contains(&url) {
                    continue;
                }
                seen.push(url.clone());
                match scheme::check_with(&url, https) {
                    Err(reason) => skipped.push(format!("skipping tracker {url}: {reason}")),
                    Ok(_) => kept.push(url),
                }
            }
            if !kept.is_empty() {
                shuffle(&mut kept);
                kept_tiers.push(kept);
            }
        }
        Tiers {
            tiers: kept_tiers,
            skipped,
        }
    }

    /// True when there is no URL we can announce to.
    pub fn is_empty(&self) -> bool {
        self.tiers.is_empty()
    }

    /// One message per URL dropped because we cannot use it.
    pub fn skipped(&self) -> &[String] {
        &self.skipped
    }

    /// The current order, tier by tier (for logs and tests).
    pub fn tiers(&self) -> &[Vec<String>] {
        &self.tiers
    }

    /// Calls `attempt` on each URL in BEP 12 order until one succeeds; that
    /// URL moves to the front of its tier. Returns the URL and its result,
    /// or the last URL's failure when all fail.
    pub fn try_in_order<T>(
        &mut self,
        mut attempt: impl FnMut(&str) -> Result<T, String>,
    ) -> Result<(String, T), AllFailed> {
        let mut last = AllFailed {
            last_url: None,
            message: "no usable tracker URL".to_string(),
        };
        for tier in &mut self.tiers {
            for i in 0..tier.len() {
                let Some(url) = tier.get(i) else { break };
                match attempt(url) {
                    Ok(value) => {
                        let url = url.clone();
                        // Move the working URL to the front, keeping the
                        // relative order of the others.
                        if let Some(head) = tier.get_mut(..=i) {
                            head.rotate_right(1);
                        }
                        return Ok((url, value));
                    }
                    Err(message) => {
                        last = AllFailed {
                            last_url: Some(url.clone()),
                            message,
                        };
                    }
                }
            }
        }
        Err(last)
    }
}

/// BEP 12: each tier is shuffled once, when the torrent is loaded.
fn shuffle(urls: &mut [String]) {
    Rng::from_os().shuffle(urls);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(tiers: &[&[&str]]) -> Vec<Vec<String>> {
        tiers
            .iter()
            .map(|t| t.iter().map(|s| s.to_string()).collect())
            .collect()
    }

    fn unshuffled(tiers: &[&[&str]]) -> Tiers {
        Tiers::with_shuffle(strings(tiers), false, |_| {})
    }

    #[test]
    fn unusable_schemes_are_skipped_once_with_a_message() {
        let t = unshuffled(&[
            &["udp://a:80", "http://b/announce"],
            &["https://c/announce", "wss://d", "nonsense"],
        ]);
        let want = strings(&[&["udp://a:80", "http://b/announce"]]);
        assert_eq!(t.tiers(), want.as_slice(), "udp and http mix in a tier");
        assert_eq!(t.skipped().len(), 3);
        assert!(t.skipped()[0].contains("https://c/announce"));
        assert!(t.skipped()[0].contains("has no TLS"));
        assert!(t.skipped()[1].contains("wss://d"));
    }

    #[test]
    fn https_kept_when_compiled_in_and_duplicates_dropped() {
        let t = Tiers::with_shuffle(
            strings(&[&["HTTPS://a", "http://b"], &["http://b", " "]]),
            true,
            |_| {},
        );
        assert_eq!(t.tiers(), strings(&[&["HTTPS://a", "http://b"]]).as_slice());
        assert!(t.skipped().is_empty());
    }

    #[test]
    fn empty_when_nothing_usable() {
        let mut t = unshuffled(&[&["wss://x:1"], &[]]);
        assert!(t.is_empty());
        let err = t.try_in_order(|_| Ok::<(), String>(())).unwrap_err();
        assert_eq!(err.last_url, None);
    }

    #[test]
    fn falls_through_tiers_and_moves_winner_to_front() {
        let mut t = unshuffled(&[&["http://a", "http://b", "http://c"], &["http://d"]]);
        let mut tried = Vec::new();
        let (url, ()) = t
            .try_in_order(|u| {
                tried.push(u.to_string());
                if u == "http://c" {
                    Ok(())
                } else {
                    Err("refused".to_string())
                }
            })
            .unwrap();
        assert_eq!(url, "http://c");
        assert_eq!(tried, ["http://a", "http://b", "http://c"]);
        assert_eq!(
            t.tiers(),
            strings(&[&["http://c", "http://a", "http://b"], &["http://d"]]).as_slice()
        );
    }

    #[test]
    fn all_failed_names_the_last_url() {
        let mut t = unshuffled(&[&["http://a"], &["http://b"]]);
        let err = t
            .try_in_order(|u| Err::<(), _>(format!("down: {u}")))
            .unwrap_err();
        assert_eq!(err.last_url.as_deref(), Some("http://b"));
        assert_eq!(err.message, "down: http://b");
        // Order is unchanged after a total failure.
        assert_eq!(
            t.tiers(),
            strings(&[&["http://a"], &["http://b"]]).as_slice()
        );
    }

    #[test]
    fn shuffle_keeps_every_url() {
        let urls: Vec<&str> = vec!["http://1", "http://2", "http://3", "http://4", "http://5"];
        let t = Tiers::with_shuffle(strings(&[&urls]), false, shuffle);
        let mut got = t.tiers()[0].clone();
        got.sort();
        assert_eq!(got, urls);
    }
}
