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

/// How many URLs' words [`AllFailed::describe`] quotes: a torrent may
/// list dozens of trackers, and the line must stay readable.
pub const DESCRIBED_URLS: usize = 4;

/// The longest one URL's words may be in [`AllFailed::describe`], in
/// characters: a tracker's `failure reason` is its own text.
pub const MAX_WORDS: usize = 160;

/// Why every URL failed: the last one tried and its words, and every
/// URL's words in the order tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllFailed {
    /// The last URL tried, or `None` if there was none to try.
    pub last_url: Option<String>,
    /// What went wrong with it (or why there was nothing to try).
    pub message: String,
    /// Each URL tried and what went wrong with it, in order.
    pub each: Vec<(String, String)>,
}

impl AllFailed {
    /// `url: words; url: words`, every URL tried in order (the first
    /// [`DESCRIBED_URLS`], then "and N more"), each one's words cut to
    /// [`MAX_WORDS`]; the message alone when there was no URL to try.
    pub fn describe(&self) -> String {
        if self.each.is_empty() {
            return self.message.clone();
        }
        let mut parts: Vec<String> = self
            .each
            .iter()
            .take(DESCRIBED_URLS)
            .map(|(url, words)| match words.char_indices().nth(MAX_WORDS) {
                Some((cut, _)) => format!("{url}: {}...", &words[..cut]),
                None => format!("{url}: {words}"),
            })
            .collect();
        if let Some(more) = self
            .each
            .len()
            .checked_sub(DESCRIBED_URLS)
            .filter(|&n| n > 0)
        {
            parts.push(format!("and {more} more"));
        }
        parts.join("; ")
    }
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
            each: Vec::new(),
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
                        last.each.push((url.clone(), message.clone()));
                        last.last_url = Some(url.clone());
                        last.message = message;
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
        assert_eq!(
            err.describe(),
            "http://a: down: http://a; http://b: down: http://b"
        );
        // Order is unchanged after a total failure.
        assert_eq!(
            t.tiers(),
            strings(&[&["http://a"], &["http://b"]]).as_slice()
        );
    }

    #[test]
    fn describe_quotes_a_few_urls_each_cut() {
        let long = "x".repeat(MAX_WORDS + 10);
        // (URLs that failed, each with these words) -> the description
        let cases: Vec<(usize, &str, String)> = vec![
            (1, "refused", "http://0: refused".into()),
            (2, "refused", "http://0: refused; http://1: refused".into()),
            (
                DESCRIBED_URLS + 2,
                "no",
                "http://0: no; http://1: no; http://2: no; http://3: no; and 2 more".into(),
            ),
            (1, &long, format!("http://0: {}...", "x".repeat(MAX_WORDS))),
        ];
        for (n, words, want) in cases {
            let urls: Vec<String> = (0..n).map(|i| format!("http://{i}")).collect();
            let refs: Vec<&str> = urls.iter().map(String::as_str).collect();
            let err = unshuffled(&[&refs])
                .try_in_order(|_| Err::<(), _>(words.to_string()))
                .unwrap_err();
            assert_eq!(err.describe(), want, "{n} URLs");
        }
        let none = unshuffled(&[])
            .try_in_order(|_| Ok::<(), String>(()))
            .unwrap_err();
        assert_eq!(none.describe(), "no usable tracker URL");
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
