//! The last line of a transfer: what it did, how fast, and where the
//! files are.
//!
//! A download says what it fetched and at what average rate, what it
//! reused from disk after a resume (never `download complete: SIZE` as if it had
//! fetched it all), what it uploaded, and the path of the file or folder.
//! A seed says how long it served and what it uploaded. The words are
//! pure functions of a [`Summary`], tested here; `run` prints them.

use crate::progress::{format_bytes, format_duration};
use crate::session::Summary;
use std::path::Path;
use std::time::Duration;

/// `done: fetched 1.0 MiB in 2.0 s (512.0 KiB/s), reused 3.0 MiB already
/// on disk, uploaded 0 B; files in out/album`
pub fn download(s: &Summary, files: &Path) -> String {
    let mut line = if s.downloaded == 0 {
        format!(
            "done: nothing to fetch, all {} already on disk",
            format_bytes(s.reused)
        )
    } else {
        let took = s.download_time.unwrap_or(s.elapsed);
        let mut l = format!(
            "done: fetched {} in {}",
            format_bytes(s.downloaded),
            time(took)
        );
        if let Some(rate) = rate(s.downloaded, took) {
            l.push_str(&format!(" ({rate} average)"));
        }
        if s.reused > 0 {
            l.push_str(&format!(
                ", reused {} already on disk",
                format_bytes(s.reused)
            ));
        }
        l
    };
    line.push_str(&format!(
        ", uploaded {}; files in {}",
        format_bytes(s.uploaded),
        files.display()
    ));
    line
}

/// `seeded out/album for 5m02s: uploaded 3.0 MiB (10.2 KiB/s average)`
pub fn seed(s: &Summary, files: &Path) -> String {
    let mut line = format!(
        "seeded {} for {}: uploaded {}",
        files.display(),
        time(s.elapsed),
        format_bytes(s.uploaded)
    );
    if let Some(rate) = rate(s.uploaded, s.elapsed) {
        line.push_str(&format!(" ({rate} average)"));
    }
    line
}

/// `4.2 s` under a minute, `3m07s` above.
fn time(d: Duration) -> String {
    if d < Duration::from_secs(60) {
        format!("{:.1} s", d.as_secs_f64())
    } else {
        format_duration(d.as_secs())
    }
}

/// Bytes per second over `d`; `None` for no bytes or no time to speak of.
fn rate(bytes: u64, d: Duration) -> Option<String> {
    let secs = d.as_secs_f64();
    (bytes > 0 && secs >= 0.001)
        .then(|| format!("{}/s", format_bytes((bytes as f64 / secs) as u64)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    fn summary(downloaded: u64, reused: u64, uploaded: u64, secs: u64) -> Summary {
        Summary {
            downloaded,
            uploaded,
            reused,
            complete: true,
            elapsed: Duration::from_secs(secs),
            download_time: (downloaded > 0).then(|| Duration::from_secs(secs)),
            ..Summary::default()
        }
    }

    #[test]
    fn download_lines() {
        let at = Path::new("out/album");
        let table = [
            (
                summary(4 * MIB, 0, 0, 2),
                "done: fetched 4.0 MiB in 2.0 s (2.0 MiB/s average), uploaded 0 B; \
                 files in out/album",
            ),
            (
                summary(MIB, 3 * MIB, 512, 4),
                "done: fetched 1.0 MiB in 4.0 s (256.0 KiB/s average), \
                 reused 3.0 MiB already on disk, uploaded 512 B; files in out/album",
            ),
            (
                summary(0, 3 * MIB, 0, 0),
                "done: nothing to fetch, all 3.0 MiB already on disk, uploaded 0 B; \
                 files in out/album",
            ),
            (
                summary(MIB, 0, 0, 0),
                "done: fetched 1.0 MiB in 0.0 s, uploaded 0 B; files in out/album",
            ),
        ];
        for (s, want) in table {
            assert_eq!(download(&s, at), want);
        }
    }

    #[test]
    fn download_rate_is_over_the_download_not_the_seeding() {
        let mut s = summary(6 * MIB, 0, MIB, 600);
        s.download_time = Some(Duration::from_secs(3));
        let line = download(&s, Path::new("x"));
        assert!(line.contains("in 3.0 s (2.0 MiB/s average)"), "{line}");
    }

    #[test]
    fn seed_line() {
        let s = summary(0, 10 * MIB, 3 * MIB, 302);
        assert_eq!(
            seed(&s, Path::new("data/album")),
            "seeded data/album for 5m02s: uploaded 3.0 MiB (10.2 KiB/s average)"
        );
        let idle = summary(0, MIB, 0, 5);
        assert_eq!(
            seed(&idle, Path::new("f")),
            "seeded f for 5.0 s: uploaded 0 B"
        );
    }
}
