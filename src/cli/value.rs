//! Option values: the text after `--port`, `--seed-time`... turned into
//! checked types, once, at the edge.
//!
//! Each option is an [`Opt`]: its names and what its value must be, in
//! words. A parser here returns `None` when the text is not such a value;
//! `parse` then says `--port: expected a port number 0-65535, got "abc"`
//! from the `Opt`, so the words for an option live in one place.
//!
//! Durations (`--seed-time`, `--stall-timeout`) are a decimal number and
//! an optional unit: `s`, `m`, `h` or `d` (`90s`, `1.5h`, `2d`). A bare
//! number keeps the unit the option always had: minutes for
//! `--seed-time`, seconds for `--stall-timeout`.
//!
//! Not here: which command takes which option (`parse`), defaults
//! (`session::Config`, `tracker_server::TrackerConfig`).

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

/// One option: a flag, or one that takes a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opt {
    /// The one-letter form, if any (`-o`).
    pub short: Option<&'static str>,
    /// The long form, used in messages (`--output`).
    pub long: &'static str,
    /// What the value must be, as the end of "expected ..."; empty for a
    /// flag.
    pub what: &'static str,
}

impl Opt {
    const fn long(long: &'static str, what: &'static str) -> Opt {
        Opt {
            short: None,
            long,
            what,
        }
    }

    /// The keys pico-args looks for.
    pub fn keys(&self) -> pico_args::Keys {
        match self.short {
            Some(short) => [short, self.long].into(),
            None => self.long.into(),
        }
    }

    /// True if `key` (as typed, without `=value`) is this option.
    pub fn is(&self, key: &str) -> bool {
        self.short == Some(key) || self.long == key
    }
}

/// The most peers one may ask for. Each is an OS thread and a socket;
/// the usual limit of 1,024 open files leaves room for the torrent's
/// files below this.
pub const MAX_PEERS: usize = 1000;

/// The longest duration accepted: ten years is "forever" for any run.
pub const MAX_DURATION: Duration = Duration::from_secs(10 * 365 * 86_400);

pub const OUTPUT_DIR: Opt = Opt {
    short: Some("-o"),
    long: "--output",
    what: "a directory",
};
pub const OUTPUT_TORRENT: Opt = Opt {
    short: Some("-o"),
    long: "--output",
    what: "a file name for the .torrent",
};
pub const PORT: Opt = Opt::long("--port", "a port number 0-65535");
pub const BIND: Opt = Opt::long("--bind", "an IP address such as 127.0.0.1, 0.0.0.0 or ::");
pub const MAX_PEERS_OPT: Opt = Opt::long("--max-peers", "a number of peers from 1 to 1000");
pub const SEED_RATIO: Opt = Opt::long("--seed-ratio", "a ratio of 0 or more, such as 1.5");
pub const SEED_TIME: Opt = Opt::long(
    "--seed-time",
    "a duration such as 90s, 30m, 1.5h or 2d (a bare number is minutes)",
);
pub const STALL_TIMEOUT: Opt = Opt::long(
    "--stall-timeout",
    "a duration such as 90s, 5m or 1h (a bare number is seconds; 0 is never)",
);
pub const TRACKER: Opt = Opt::long("--tracker", "an announce URL");
pub const WEBSEED: Opt = Opt::long("--webseed", "a URL");
pub const PIECE_LENGTH: Opt = Opt::long(
    "--piece-length",
    "a power of two from 1024 to 67108864 (bytes)",
);
pub const COMMENT: Opt = Opt::long("--comment", "a comment");
pub const DHT_BOOTSTRAP: Opt = Opt::long("--dht-bootstrap", "a HOST:PORT");
pub const SELECT: Opt = Opt::long("--select", "file numbers such as 1,3-5");
const RATE: &str = "bytes a second such as 500K or 1.5M (K = 1024, M = 1024 K; 0 is no limit)";
pub const MAX_DOWNLOAD_RATE: Opt = Opt::long("--max-download-rate", RATE);
pub const MAX_UPLOAD_RATE: Opt = Opt::long("--max-upload-rate", RATE);
pub const MAX_MEMORY: Opt = Opt::long(
    "--max-memory",
    "a size such as 8M or 1G (K = 1024, M = 1024 K, G = 1024 M)",
);

/// Every option that takes a value: `parse` must know them to tell a
/// value from a command word.
pub const WITH_VALUE: &[Opt] = &[
    OUTPUT_DIR,
    PORT,
    BIND,
    MAX_PEERS_OPT,
    SEED_RATIO,
    SEED_TIME,
    STALL_TIMEOUT,
    TRACKER,
    WEBSEED,
    PIECE_LENGTH,
    COMMENT,
    DHT_BOOTSTRAP,
    SELECT,
    MAX_DOWNLOAD_RATE,
    MAX_UPLOAD_RATE,
    MAX_MEMORY,
];

const fn flag(short: Option<&'static str>, long: &'static str) -> Opt {
    Opt {
        short,
        long,
        what: "",
    }
}

pub const QUIET: Opt = flag(Some("-q"), "--quiet");
pub const VERBOSE: Opt = flag(Some("-v"), "--verbose");
pub const HELP: Opt = flag(Some("-h"), "--help");
pub const VERSION: Opt = flag(Some("-V"), "--version");
pub const SEED: Opt = flag(None, "--seed");
pub const PRIVATE: Opt = flag(None, "--private");
pub const NO_DHT: Opt = flag(None, "--no-dht");
pub const JSON: Opt = flag(None, "--json");
pub const WHY: Opt = flag(None, "--why");
pub const RECHECK: Opt = flag(None, "--recheck");
pub const TRACE: Opt = flag(None, "--trace");

/// Every flag (an option without a value).
pub const FLAGS: &[Opt] = &[
    QUIET, VERBOSE, HELP, VERSION, SEED, PRIVATE, NO_DHT, JSON, WHY, RECHECK, TRACE,
];

pub fn port(s: &str) -> Option<u16> {
    s.parse().ok()
}

pub fn bind(s: &str) -> Option<IpAddr> {
    s.parse().ok()
}

pub fn max_peers(s: &str) -> Option<usize> {
    s.parse().ok().filter(|n| (1..=MAX_PEERS).contains(n))
}

pub fn ratio(s: &str) -> Option<f64> {
    decimal(s)
}

pub fn seed_time(s: &str) -> Option<Duration> {
    duration(s, Unit::Minutes)
}

/// `None` inside means "never give up" (`0`).
pub fn stall_timeout(s: &str) -> Option<Option<Duration>> {
    duration(s, Unit::Seconds).map(|d| (!d.is_zero()).then_some(d))
}

pub fn piece_length(s: &str) -> Option<u64> {
    use crate::geometry::{MAX_PIECE_LEN, MIN_PIECE_LEN};
    s.parse()
        .ok()
        .filter(|n: &u64| n.is_power_of_two() && (MIN_PIECE_LEN..=MAX_PIECE_LEN).contains(n))
}

/// Bytes a second: a decimal and an optional `K` (1024) or `M` (1024 K),
/// either case, as aria2c takes them. `None` inside is no limit (`0`).
pub fn rate(s: &str) -> Option<Option<std::num::NonZeroU64>> {
    let (number, scale) = match s.as_bytes().last()? {
        b'k' | b'K' => (&s[..s.len() - 1], 1024.0),
        b'm' | b'M' => (&s[..s.len() - 1], 1024.0 * 1024.0),
        _ => (s, 1.0),
    };
    let bytes = (decimal(number)? * scale).round();
    let zero_meant = bytes > 0.0 || decimal(number) == Some(0.0); // not "0.1"
    let max = crate::rate_limit::MAX_RATE as f64;
    (zero_meant && bytes <= max).then(|| std::num::NonZeroU64::new(bytes as u64))
}

/// `--max-memory`: bytes as a decimal with an optional `K`, `M` or `G`
/// (powers of 1024, either case); from 1 byte to `MAX_BUDGET`. Whether
/// it is enough is for the torrent to say (`memory_budget::divide`).
pub fn memory(s: &str) -> Option<u64> {
    let (number, scale) = match s.as_bytes().last()? {
        b'k' | b'K' => (&s[..s.len() - 1], 1024.0),
        b'm' | b'M' => (&s[..s.len() - 1], 1024.0 * 1024.0),
        b'g' | b'G' => (&s[..s.len() - 1], 1024.0 * 1024.0 * 1024.0),
        _ => (s, 1.0),
    };
    let bytes = (decimal(number)? * scale).round();
    let max = crate::memory_budget::MAX_BUDGET as f64;
    (bytes >= 1.0 && bytes <= max).then_some(bytes as u64)
}

/// A path: anything but empty.
pub fn path(s: &str) -> Option<PathBuf> {
    (!s.is_empty()).then(|| PathBuf::from(s))
}

/// Free text: anything but empty.
/// 40 hex digits (either case): a v1 infohash.
pub fn info_hash(s: &str) -> Option<crate::ids::InfoHash> {
    let digits = s.as_bytes();
    if digits.len() != 40 {
        return None;
    }
    let mut out = [0; 20];
    for (i, pair) in digits.chunks_exact(2).enumerate() {
        let hi = char::from(pair[0]).to_digit(16)?;
        let lo = char::from(pair[1]).to_digit(16)?;
        out[i] = (hi * 16 + lo) as u8;
    }
    Some(out)
}

pub fn text(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// A duration's unit when none is written.
#[derive(Debug, Clone, Copy)]
enum Unit {
    Seconds,
    Minutes,
}

/// `90s`, `30m`, `1.5h`, `2d`, or a bare number in `bare` units.
fn duration(s: &str, bare: Unit) -> Option<Duration> {
    let (number, scale) = match s.as_bytes().last()? {
        b's' => (&s[..s.len() - 1], 1.0),
        b'm' => (&s[..s.len() - 1], 60.0),
        b'h' => (&s[..s.len() - 1], 3600.0),
        b'd' => (&s[..s.len() - 1], 86_400.0),
        _ => match bare {
            Unit::Seconds => (s, 1.0),
            Unit::Minutes => (s, 60.0),
        },
    };
    let secs = decimal(number)? * scale;
    Duration::try_from_secs_f64(secs)
        .ok()
        .filter(|d| *d <= MAX_DURATION)
}

/// A plain decimal: digits with at most one `.` (no sign, exponent,
/// `inf` or `NaN`, which `f64::from_str` would take).
fn decimal(s: &str) -> Option<f64> {
    let plain = s.bytes().any(|b| b.is_ascii_digit())
        && s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && s.bytes().filter(|b| *b == b'.').count() <= 1;
    if !plain {
        return None;
    }
    s.parse().ok().filter(|v: &f64| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(n: u64) -> Option<Duration> {
        Some(Duration::from_secs(n))
    }

    #[test]
    fn seed_time_units_and_bare_minutes() {
        let table: &[(&str, Option<Duration>)] = &[
            ("2", secs(120)),
            ("1.5", secs(90)),
            ("0", secs(0)),
            ("90s", secs(90)),
            ("30m", secs(1800)),
            ("1.5h", secs(5400)),
            ("2d", secs(172_800)),
            (".5h", secs(1800)),
            ("3650d", secs(3650 * 86_400)),
            ("3651d", None), // beyond MAX_DURATION
            ("", None),
            ("h", None),
            ("-1", None),
            ("1e3", None),
            ("inf", None),
            ("NaN", None),
            ("1.2.3", None),
            ("5x", None),
            ("5 m", None),
            ("1.5hh", None),
        ];
        for (text, want) in table {
            assert_eq!(seed_time(text), *want, "{text:?}");
        }
    }

    #[test]
    fn stall_timeout_bare_seconds_and_zero_is_never() {
        assert_eq!(stall_timeout("30"), Some(secs(30)));
        assert_eq!(stall_timeout("2m"), Some(secs(120)));
        assert_eq!(stall_timeout("0"), Some(None));
        assert_eq!(stall_timeout("0s"), Some(None));
        assert_eq!(stall_timeout("soon"), None);
    }

    #[test]
    fn numbers() {
        assert_eq!(port("0"), Some(0));
        assert_eq!(port("65535"), Some(65535));
        for bad in ["65536", "-1", "abc", "", "80 "] {
            assert_eq!(port(bad), None, "{bad:?}");
        }
        assert_eq!(max_peers("1"), Some(1));
        assert_eq!(max_peers("1000"), Some(1000));
        for bad in ["0", "1001", "x"] {
            assert_eq!(max_peers(bad), None, "{bad:?}");
        }
        assert_eq!(ratio("1.5"), Some(1.5));
        assert_eq!(ratio("0"), Some(0.0));
        for bad in ["-1", "inf", "NaN", "1e9", ""] {
            assert_eq!(ratio(bad), None, "{bad:?}");
        }
        assert_eq!(piece_length("32768"), Some(32768));
        for bad in ["1000", "512", "134217728", "-1"] {
            assert_eq!(piece_length(bad), None, "{bad:?}");
        }
        assert_eq!(bind("::1"), "::1".parse().ok());
        assert_eq!(bind("localhost"), None);
    }

    #[test]
    fn memory_sizes_in_powers_of_1024() {
        let table = [
            ("8M", Some(8 << 20)),
            ("8m", Some(8 << 20)),
            ("512K", Some(512 << 10)),
            ("1G", Some(1 << 30)),
            ("1.5M", Some(1536 << 10)),
            ("4096", Some(4096)),
            ("64G", Some(64 << 30)),
            ("65G", None),
            ("0", None),
            ("0M", None),
            ("", None),
            ("M", None),
            ("-1M", None),
            ("8MB", None),
            ("NaNM", None),
            ("infG", None),
        ];
        for (text, want) in table {
            assert_eq!(memory(text), want, "{text:?}");
        }
    }

    #[test]
    fn rates_in_powers_of_1024() {
        let n = |v: u64| Some(std::num::NonZeroU64::new(v));
        #[rustfmt::skip]
        let table = [
            ("1000", n(1000)), ("1K", n(1024)), ("1k", n(1024)), ("1M", n(1 << 20)),
            ("1.5M", n(1_572_864)), ("10m", n(10 << 20)), ("0", Some(None)),
            ("0K", Some(None)), ("0.0001K", None), ("0.4", None), ("", None), ("K", None),
            ("1G", None), ("-1M", None), ("1 M", None), ("1e3", None), ("1MB", None),
            ("1048576M", n(1 << 40)), ("1048577M", None), // beyond MAX_RATE
        ];
        for (text, want) in table {
            assert_eq!(rate(text), want, "{text:?}");
        }
    }

    #[test]
    fn words_agree_with_the_limits() {
        use crate::geometry::{MAX_PIECE_LEN, MIN_PIECE_LEN};
        assert!(PIECE_LENGTH.what.contains(&MIN_PIECE_LEN.to_string()));
        assert!(PIECE_LENGTH.what.contains(&MAX_PIECE_LEN.to_string()));
        assert!(MAX_PEERS_OPT.what.contains(&MAX_PEERS.to_string()));
    }
}
