//! Which announce URLs bitsy's tracker client can use: the one place that
//! knows.
//!
//! The client speaks HTTP (BEP 3), and HTTPS in a build with the `https`
//! cargo feature (the default; it brings the TLS stack). A build with
//! `--no-default-features` has no TLS and skips `https://` URLs. It does not speak UDP
//! (BEP 15) yet, although `bitsy tracker` serves it. Both the tracker list
//! of a torrent (`tiers`, which skips what it cannot use) and
//! `bitsy create --tracker` (which refuses it) ask [`check`], so adding a
//! scheme changes this file and its table alone.
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
    /// `udp://`: BEP 15, which the client does not speak yet.
    Udp,
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
            Unsupported::Udp => write!(f, "UDP trackers (BEP 15) are not supported yet"),
            Unsupported::Other(s) => write!(f, "unsupported scheme {s:?}"),
        }?;
        write!(f, "; bitsy can announce to {}", can_announce_to())
    }
}

impl std::error::Error for Unsupported {}

/// The URLs this build announces to, for messages.
pub fn can_announce_to() -> &'static str {
    if HTTPS_BUILT_IN {
        "http:// and https:// URLs"
    } else {
        "http:// URLs"
    }
}

/// Checks that this build can announce to `url`.
pub fn check(url: &str) -> Result<(), Unsupported> {
    check_with(url, HTTPS_BUILT_IN)
}

/// [`check`] with the TLS switch given (tests, and `tiers`' tests).
pub fn check_with(url: &str, https: bool) -> Result<(), Unsupported> {
    let Some(end) = url.find("://") else {
        return Err(Unsupported::NotAUrl);
    };
    let scheme = url.get(..end).unwrap_or("").to_ascii_lowercase();
    match scheme.as_str() {
        "http" => Ok(()),
        "https" if https => Ok(()),
        "https" => Err(Unsupported::HttpsNotBuilt),
        "udp" => Err(Unsupported::Udp),
        _ => Err(Unsupported::Other(scheme)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes() {
        use Unsupported::*;
        let table: &[(&str, bool, Result<(), Unsupported>)] = &[
            ("http://t/announce", false, Ok(())),
            ("HTTP://t/announce", false, Ok(())),
            ("https://t/announce", true, Ok(())),
            ("https://t/announce", false, Err(HttpsNotBuilt)),
            ("udp://t:80", true, Err(Udp)),
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
        let udp = check_with("udp://t:80", false).unwrap_err().to_string();
        assert!(udp.contains("BEP 15"), "{udp}");
        assert!(udp.contains("http://"), "{udp}");
        let tls = check_with("https://t", false).unwrap_err().to_string();
        assert!(tls.contains("this build of bitsy has no TLS"), "{tls}");
        assert!(tls.contains("bitsy can announce to http://"), "{tls}");
    }
}
