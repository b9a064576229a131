//! Which announce URLs bitsy's tracker client can use: the one place that
//! knows.
//!
//! The client speaks HTTP (BEP 3), UDP (BEP 15, `udp://host:port`), and
//! HTTPS in a build with the `https` cargo feature (the default; it brings
//! the TLS stack; a `--no-default-features` build skips `https://` URLs).
//! The tracker list of a torrent (`tiers`, which skips what it cannot
//! use), `bitsy create --tracker` (which refuses it) and the tracker
//! thread (which picks the [`Transport`]) all ask [`check`], so adding a
//! scheme changes this file and its table, plus the transport.
//!
//! This checks the scheme only; whether the host answers is the
//! announce's business.

use std::fmt;

/// Whether this build can announce over TLS.
pub const HTTPS_BUILT_IN: bool = cfg!(feature = "https");

/// Why an announce URL cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unsupported {
    /// No `scheme://` at all.
    NotAUrl,
    /// `https://` in a build without TLS.
    HttpsNotBuilt,
    /// Any other scheme (`wss://`, `ftp://`...), as written.
    Other(String),
}

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unsupported::NotAUrl => write!(f, "not a URL (no scheme://)"),
            Unsupported::HttpsNotBuilt => write!(
                f,
                "this build of bitsy has no TLS (it was built without the \
                 default `https` feature)"
            ),
            Unsupported::Other(s) => write!(f, "unsupported scheme {s:?}"),
        }?;
        write!(f, "; bitsy can announce to {}", can_announce_to())
    }
}

impl std::error::Error for Unsupported {}

/// The URLs this build announces to, for messages.
pub fn can_announce_to() -> &'static str {
    if HTTPS_BUILT_IN {
        "http://, https:// and udp:// URLs"
    } else {
        "http:// and udp:// URLs"
    }
}

/// How an announce URL is spoken to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// `http://` and `https://`: a GET, a bencoded answer (`announce`).
    Http,
    /// `udp://`: BEP 15 datagrams (`udp`).
    Udp,
}

/// Checks that this build can announce to `url`, and says how.
pub fn check(url: &str) -> Result<Transport, Unsupported> {
    check_with(url, HTTPS_BUILT_IN)
}

/// [`check`] with the TLS switch given (tests, and `tiers`' tests).
pub fn check_with(url: &str, https: bool) -> Result<Transport, Unsupported> {
    let Some(end) = url.find("://") else {
        return Err(Unsupported::NotAUrl);
    };
    let scheme = url.get(..end).unwrap_or("").to_ascii_lowercase();
    match scheme.as_str() {
        "http" => Ok(Transport::Http),
        "https" if https => Ok(Transport::Http),
        "https" => Err(Unsupported::HttpsNotBuilt),
        "udp" => Ok(Transport::Udp),
        _ => Err(Unsupported::Other(scheme)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes() {
        use Transport::*;
        use Unsupported::*;
        let table: &[(&str, bool, Result<Transport, Unsupported>)] = &[
            ("http://t/announce", false, Ok(Http)),
            ("HTTP://t/announce", false, Ok(Http)),
            ("https://t/announce", true, Ok(Http)),
            ("https://t/announce", false, Err(HttpsNotBuilt)),
            ("udp://t:80", true, Ok(Udp)),
            ("UDP://t:80/announce", false, Ok(Udp)),
            ("wss://t", false, Err(Other("wss".into()))),
            ("t/announce", false, Err(NotAUrl)),
            ("", false, Err(NotAUrl)),
        ];
        for (url, https, want) in table {
            assert_eq!(&check_with(url, *https), want, "{url} https={https}");
        }
    }

    #[test]
    fn messages_say_what_bitsy_can_announce_to() {
        let wss = check_with("wss://t", false).unwrap_err().to_string();
        assert!(wss.contains("\"wss\""), "{wss}");
        assert!(wss.contains(can_announce_to()), "{wss}");
        assert!(can_announce_to().contains("udp://"));
        assert_eq!(can_announce_to().contains("https://"), HTTPS_BUILT_IN);
        let tls = check_with("https://t", false).unwrap_err().to_string();
        assert!(tls.contains("this build of bitsy has no TLS"), "{tls}");
        assert!(tls.contains("bitsy can announce to http://"), "{tls}");
    }
}
