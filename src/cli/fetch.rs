//! Fetching a .torrent file from an `http://` or `https://` URL, for
//! `bitsy download URL` and `bitsy info URL`.
//!
//! Every limit is set on purpose, as for announces (`tracker::announce`):
//! connect and overall timeouts, at most [`MAX_REDIRECTS`] redirects, the
//! body at most [`MAX_TORRENT_FILE_LEN`] bytes (refused, not cut short,
//! when larger), no proxy. Any status but 200 is an error naming it. The
//! CAs an `https://` URL is checked against are `tracker::tls`'s choice,
//! the same as for trackers.
//!
//! Every failure is [`Error::Torrent`] (exit 3): an unfetchable .torrent
//! is a bad torrent, like an unreadable file. This module only fetches
//! bytes; `source` parses them and keeps the copy.

use crate::error::{Error, Result};
use crate::metainfo::MAX_TORRENT_FILE_LEN;
use crate::tracker::{announce, scheme};
use std::time::Duration;

/// Time allowed to open the TCP connection: as for a tracker (see
/// [`announce::CONNECT_TIMEOUT`]).
pub const CONNECT_TIMEOUT: Duration = announce::CONNECT_TIMEOUT;

/// Time allowed for the whole fetch. A .torrent is rarely over 1 MiB; a
/// full 10 MiB in 120 s still needs only 90 KB/s.
pub const OVERALL_TIMEOUT: Duration = Duration::from_secs(120);

/// Redirects we follow: a download link often redirects once or twice
/// (to a mirror, to https); more is a loop.
pub const MAX_REDIRECTS: u32 = 5;

/// The bytes at `url`, which starts with `http://` or `https://`.
pub fn fetch_torrent(url: &str) -> Result<Vec<u8>> {
    fetch_with(url, CONNECT_TIMEOUT, OVERALL_TIMEOUT)
}

/// [`fetch_torrent`] with the timeouts given (tests).
pub fn fetch_with(url: &str, connect: Duration, overall: Duration) -> Result<Vec<u8>> {
    let fail = |why: String| Error::Torrent(format!("{url}: {why}"));
    // An https:// URL in a build without TLS: the same words as for a
    // tracker, from the one place that knows.
    if let Err(why) = scheme::check(url) {
        return Err(fail(why.to_string()));
    }
    if let Some(problem) = announce::tls_problem(url) {
        return Err(fail(problem));
    }
    let agent = announce::http_agent(connect, overall, MAX_REDIRECTS);
    let mut response = agent
        .get(url)
        .call()
        .map_err(|e| fail(announce::describe(e)))?;
    let status = response.status();
    if status.as_u16() != 200 {
        return Err(fail(format!("HTTP {status}")));
    }
    response
        .body_mut()
        .with_config()
        .limit(MAX_TORRENT_FILE_LEN)
        .read_to_vec()
        .map_err(|e| match e {
            ureq::Error::BodyExceedsLimit(_) => fail(format!(
                "larger than the limit of {MAX_TORRENT_FILE_LEN} bytes for a .torrent"
            )),
            other => fail(format!("reading the body: {}", announce::describe(other))),
        })
}
