//! A `udp://host:port/path?query` announce URL, split into what a BEP 15
//! exchange needs: the host to resolve, its port, and the BEP 41 URLData
//! (path and query, sent inside the announce).
//!
//! The port is required (UDP trackers have no default port); the host may
//! be an `[IPv6]` literal; a `#fragment` is dropped, as for HTTP. Nothing
//! is resolved here (that blocks, and is `udp`'s business).

/// A `udp://` announce URL, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UdpUrl {
    pub host: String,
    pub port: u16,
    /// BEP 41 URLData: the path and query, as written (may be empty).
    pub url_data: String,
}

impl UdpUrl {
    /// Splits `udp://host:port[/path][?query]`; the host may be an
    /// `[IPv6]` literal. The port is required: UDP has no default.
    pub fn parse(url: &str) -> Result<UdpUrl, String> {
        let rest = url
            .get(..6)
            .filter(|s| s.eq_ignore_ascii_case("udp://"))
            .and_then(|_| url.get(6..))
            .ok_or("not a udp:// URL")?;
        // A fragment is never sent (see `announce::build_url`).
        let rest = rest.split('#').next().unwrap_or(rest);
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, url_data) = rest.split_at(end);
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or("unclosed [ in the host")?;
            (host, after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            }
        };
        let port = port.ok_or("no port (udp:// URLs need one)")?;
        let port: u16 = port.parse().map_err(|_| format!("bad port {port:?}"))?;
        if host.is_empty() || host.contains(['@', ' ']) || port == 0 {
            return Err("bad host or port".into());
        }
        Ok(UdpUrl {
            host: host.to_string(),
            port,
            url_data: url_data.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let ok = |host: &str, port, data: &str| {
            Ok(UdpUrl {
                host: host.into(),
                port,
                url_data: data.into(),
            })
        };
        let table: &[(&str, Result<UdpUrl, String>)] = &[
            ("udp://t.example:6969", ok("t.example", 6969, "")),
            (
                "UDP://t.example:80/announce",
                ok("t.example", 80, "/announce"),
            ),
            ("udp://t:1/dir?a=b&c=d", ok("t", 1, "/dir?a=b&c=d")),
            ("udp://t:1?k=v", ok("t", 1, "?k=v")),
            ("udp://[::1]:6969/announce", ok("::1", 6969, "/announce")),
            ("udp://127.0.0.1:9", ok("127.0.0.1", 9, "")),
            ("udp://t:1/a#frag", ok("t", 1, "/a")),
        ];
        for (url, want) in table {
            assert_eq!(&UdpUrl::parse(url), want, "{url}");
        }
        for bad in [
            "http://t:1/a",
            "udp://t/announce",
            "udp://t:0",
            "udp://t:70000",
            "udp://:80",
            "udp://[::1/a",
            "udp://u@t:80",
            "udp:",
            "",
        ] {
            assert!(UdpUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
