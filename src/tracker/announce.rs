//! One HTTP announce (BEP 3): building the GET URL, and fetching the body.
//!
//! The URL is the tracker's announce URL plus these query parameters:
//!
//! ```text
//!   info_hash  20 binary bytes, percent-encoded byte by byte
//!   peer_id    20 binary bytes, percent-encoded byte by byte
//!   port       the TCP port we accept peers on
//!   uploaded   bytes sent to peers since `started` (true totals, BEP 3)
//!   downloaded bytes received from peers since `started`
//!   left       bytes still missing (0 when seeding)
//!   compact=1  ask for 6-byte peer entries (BEP 23)
//!   numwant    how many peers we would like
//!   key        our random 32-bit key, in hex
//!   event      started | completed | stopped (absent for a regular announce)
//! ```
//!
//! An announce URL that already has a query string keeps it: ours is
//! appended after `&`. A `#fragment` is dropped (it would swallow ours).
//!
//! The HTTP agent is configured here, explicitly, because ureq's defaults
//! suit a browser-like client and not us: no timeouts, ten redirects,
//! error statuses turned into errors, proxies taken from the environment.
//! Parsing the body is `response`'s job; this module only fetches bytes.
//! Which CAs an `https://` announce trusts is `tls`'s business; a problem
//! with them (a bad `SSL_CERT_FILE`) fails only HTTPS announces.

use super::{AnnounceEvent, AnnounceRequest};
use crate::ids::{InfoHash, PeerId};
use std::fmt::Write as _;
use std::time::Duration;

/// Time allowed to open the TCP connection. A tracker that is up answers a
/// SYN within a few round trips; 10 s still covers the kernel's first two
/// SYN retransmissions (at 1 s and 3 s) on a lossy link, while a dead tracker
/// does not hold up the next one in the tier for long.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Time allowed for the whole announce: connect, redirects, headers and
/// body. Trackers answer in well under a second when healthy; 30 s leaves
/// room for an overloaded one and still lets us fall through a tier of
/// three dead trackers within two minutes. Announces run on their own
/// thread, so this never blocks the download itself.
pub const OVERALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Redirects we follow. Trackers behind a load balancer redirect once;
/// more than a few means a loop or a captive portal.
pub const MAX_REDIRECTS: u32 = 3;

/// Largest response body we read. A compact answer is 6 bytes per peer
/// (200 peers: 1.2 KB); even 200 peers in dictionary form stay under
/// 20 KB. 1 MiB is far beyond any honest tracker and still bounds memory.
pub const MAX_BODY_LEN: u64 = 1024 * 1024;

/// The `User-Agent` we send: trackers log it, and some whitelist clients.
pub const USER_AGENT: &str = concat!("bitsy/", env!("CARGO_PKG_VERSION"));

/// Everything an announce URL carries besides the tracker's own URL.
#[derive(Clone, Copy, Debug)]
pub struct AnnounceParams<'a> {
    pub info_hash: &'a InfoHash,
    pub peer_id: &'a PeerId,
    pub port: u16,
    pub key: u32,
    pub request: &'a AnnounceRequest,
}

/// The value of BEP 3's `event` parameter, or `None` for a regular announce.
pub fn event_param(event: AnnounceEvent) -> Option<&'static str> {
    match event {
        AnnounceEvent::Started => Some("started"),
        AnnounceEvent::Completed => Some("completed"),
        AnnounceEvent::Stopped => Some("stopped"),
        AnnounceEvent::Regular => None,
    }
}

/// The full GET URL for one announce to `base`.
pub fn build_url(base: &str, p: &AnnounceParams<'_>) -> String {
    // A fragment is never sent to the server, and anything after '#'
    // would be taken as part of it: drop it.
    let base = base.split('#').next().unwrap_or(base);
    let mut url = String::with_capacity(base.len() + 200);
    url.push_str(base);
    match base.find('?') {
        None => url.push('?'),
        Some(_) if base.ends_with('?') || base.ends_with('&') => {}
        Some(_) => url.push('&'),
    }
    url.push_str("info_hash=");
    percent_encode_into(&mut url, p.info_hash);
    url.push_str("&peer_id=");
    percent_encode_into(&mut url, p.peer_id);
    let r = p.request;
    // Writing to a String cannot fail.
    let _ = write!(
        url,
        "&port={}&uploaded={}&downloaded={}&left={}&compact=1&numwant={}&key={:08x}",
        p.port, r.uploaded, r.downloaded, r.left, r.numwant, p.key
    );
    if let Some(event) = event_param(r.event) {
        url.push_str("&event=");
        url.push_str(event);
    }
    url
}

/// Appends `bytes` percent-encoded: RFC 3986 unreserved characters
/// (`A-Z a-z 0-9 - . _ ~`) as themselves, every other byte as `%XX`.
pub fn percent_encode_into(out: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
}

/// The HTTP agent for announces, with every limit set on purpose.
pub fn agent(connect: Duration, overall: Duration) -> ureq::Agent {
    http_agent(connect, overall, MAX_REDIRECTS)
}

/// bitsy's one HTTP(S) client set-up, for announces and for fetching a
/// .torrent by URL: explicit timeouts and redirect bound, no proxy, the
/// TLS roots of `tls`, and status codes left to the caller.
pub fn http_agent(connect: Duration, overall: Duration, redirects: u32) -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .timeout_connect(Some(connect))
        .timeout_global(Some(overall))
        .max_redirects(redirects)
        // A tracker that refuses us often says why in a bencoded body
        // under a 4xx/5xx status: we want that body, not a bare error.
        .http_status_as_error(false)
        // Peers connect to us directly; announcing through a proxy would
        // hand the tracker the proxy's address instead of ours.
        .proxy(None)
        .user_agent(USER_AGENT);
    ureq::Agent::new_with_config(with_tls(config).build())
}

/// An agent's settings, being built.
pub type AgentConfig = ureq::config::ConfigBuilder<ureq::typestate::AgentScope>;

/// `config` with the CAs `tls` chose. If they could not be loaded,
/// [`tls_problem`] refuses `https://` URLs before any request is made,
/// and the agent trusts no CA at all (so a redirect to `https://` cannot
/// fall back to the bundled roots).
#[cfg(feature = "https")]
pub fn with_tls(config: AgentConfig) -> AgentConfig {
    match super::tls::tls_config() {
        Ok(tls) => config.tls_config(tls),
        Err(_) => config.tls_config(super::tls::trust_nothing()),
    }
}

/// Without TLS there is nothing to configure.
#[cfg(not(feature = "https"))]
pub fn with_tls(config: AgentConfig) -> AgentConfig {
    config
}

/// Why `url` cannot be fetched over TLS (its CAs could not be loaded), if
/// it is an `https://` URL and that is so.
pub fn tls_problem(url: &str) -> Option<String> {
    let https = url
        .get(..8)
        .is_some_and(|s| s.eq_ignore_ascii_case("https://"));
    #[cfg(feature = "https")]
    if https {
        return super::tls::tls_config().err();
    }
    let _ = https;
    None
}

/// What came back from a tracker before parsing.
#[derive(Debug)]
pub struct RawResponse {
    /// The HTTP status (not checked: the body decides).
    pub status: u16,
    /// The body, at most [`MAX_BODY_LEN`] bytes.
    pub body: Vec<u8>,
}

/// Sends one GET and reads the body (bounded). The error is a sentence
/// for the user ("connection refused", "timeout: global", ...).
pub fn fetch(agent: &ureq::Agent, url: &str) -> Result<RawResponse, String> {
    if let Some(problem) = tls_problem(url) {
        return Err(problem);
    }
    let mut response = agent.get(url).call().map_err(describe)?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(MAX_BODY_LEN)
        .read_to_vec()
        .map_err(|e| match e {
            ureq::Error::BodyExceedsLimit(_) => {
                format!("response body larger than {MAX_BODY_LEN} bytes (HTTP {status})")
            }
            other => format!("reading the response (HTTP {status}): {}", describe(other)),
        })?;
    Ok(RawResponse { status, body })
}

/// A lowercase sentence for a ureq error. A failed certificate check
/// (rustls reports it as an I/O error) also says which CAs were trusted.
pub fn describe(e: ureq::Error) -> String {
    let text = match e {
        ureq::Error::Timeout(which) => format!("no answer in time ({which})"),
        ureq::Error::Io(io) => io.to_string(),
        other => other.to_string(),
    };
    #[cfg(feature = "https")]
    if text.contains("certificate") {
        return format!("TLS: {text} ({})", super::tls::trust_hint());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(event: AnnounceEvent) -> AnnounceRequest {
        AnnounceRequest {
            event,
            uploaded: 1,
            downloaded: 2,
            left: 3,
            numwant: 50,
        }
    }

    #[test]
    fn percent_encoding_vectors() {
        let cases: &[(&[u8], &str)] = &[
            (b"", ""),
            (b"AZaz09", "AZaz09"),
            (b"-._~", "-._~"),                 // unreserved marks pass as is
            (b" ", "%20"),                     // space is never '+'
            (&[0x00, 0xff], "%00%FF"),         // binary bytes, uppercase hex
            (&[0x12, 0x34, 0x56], "%124V"),    // 0x56 is 'V'
            (b"%&=?+/", "%25%26%3D%3F%2B%2F"), // query syntax is escaped
        ];
        for (input, expected) in cases {
            let mut out = String::new();
            percent_encode_into(&mut out, input);
            assert_eq!(&out, expected, "input {input:02x?}");
        }
    }

    #[test]
    fn info_hash_vector() {
        // A real-looking info hash: 20 bytes, mixed printable and binary.
        let hash: InfoHash = [
            0x12, 0x34, 0x56, 0x78, 0x9a, // "\x124Vx\x9a"
            0xbc, 0xde, 0xf1, 0x23, 0x45, // "\xbc\xde\xf1#E"
            0x67, 0x89, 0xab, 0xcd, 0xef, // "g\x89\xab\xcd\xef"
            0x12, 0x34, 0x56, 0x78, 0x9a, // "\x124Vx\x9a"
        ];
        let mut out = String::new();
        percent_encode_into(&mut out, &hash);
        assert_eq!(
            out,
            "%124Vx%9A%BC%DE%F1%23Eg%89%AB%CD%EF%124Vx%9A".to_string()
        );
    }

    fn url_for(base: &str, event: AnnounceEvent) -> String {
        let req = request(event);
        let params = AnnounceParams {
            info_hash: &[0xaa; 20],
            peer_id: b"-BS0100-abcdefghijkl",
            port: 6881,
            key: 0x0102_abcd,
            request: &req,
        };
        build_url(base, &params)
    }

    const AA20: &str = "%AA%AA%AA%AA%AA%AA%AA%AA%AA%AA%AA%AA%AA%AA%AA%AA%AA%AA%AA%AA";

    #[test]
    fn full_url_started() {
        let url = url_for("http://t.example/announce", AnnounceEvent::Started);
        let expected = format!(
            "http://t.example/announce?info_hash={AA20}&peer_id=-BS0100-abcdefghijkl\
             &port=6881&uploaded=1&downloaded=2&left=3&compact=1&numwant=50\
             &key=0102abcd&event=started"
        );
        assert_eq!(url, expected);
    }

    #[test]
    fn regular_announce_has_no_event() {
        let url = url_for("http://t/a", AnnounceEvent::Regular);
        assert!(!url.contains("event="), "{url}");
        assert!(url_for("http://t/a", AnnounceEvent::Stopped).ends_with("&event=stopped"));
        assert!(url_for("http://t/a", AnnounceEvent::Completed).ends_with("&event=completed"));
    }

    #[test]
    fn existing_query_is_preserved() {
        let cases = [
            (
                "http://t/a?passkey=xyz",
                "http://t/a?passkey=xyz&info_hash=",
            ),
            ("http://t/a?", "http://t/a?info_hash="),
            ("http://t/a?x=1&", "http://t/a?x=1&info_hash="),
            ("http://t/a#frag", "http://t/a?info_hash="),
            ("http://t/a?k=v#frag", "http://t/a?k=v&info_hash="),
        ];
        for (base, prefix) in cases {
            let url = url_for(base, AnnounceEvent::Regular);
            assert!(url.starts_with(prefix), "{base} -> {url}");
        }
    }

    #[test]
    fn large_totals_are_exact() {
        let req = AnnounceRequest {
            event: AnnounceEvent::Regular,
            uploaded: u64::MAX,
            downloaded: 1 << 40,
            left: 0,
            numwant: 0,
        };
        let params = AnnounceParams {
            info_hash: &[0; 20],
            peer_id: &[0; 20],
            port: 1,
            key: 0,
            request: &req,
        };
        let url = build_url("http://t/a", &params);
        assert!(url.contains("&uploaded=18446744073709551615&"), "{url}");
        assert!(url.contains("&downloaded=1099511627776&left=0&"), "{url}");
        assert!(url.contains("&key=00000000"), "{url}");
    }
}
