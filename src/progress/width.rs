//! The terminal's width, so the status line can be cut to it and never
//! wraps (a wrapped line is not redrawn in place: each `\r` then leaves
//! a stale copy above).
//!
//! The width is chosen once, when the status line starts, from the first
//! of:
//! 1. `COLUMNS`, if set to a positive number: the user's explicit word,
//!    and what shells export to scripts that ask for it;
//! 2. `stty size` run with `/dev/tty` as its input: the POSIX tool asks
//!    the terminal driver for us. Reading the width directly is an
//!    `ioctl`, which needs `unsafe` or a new dependency; bitsy takes
//!    neither, and one short-lived process at start costs nothing;
//! 3. [`DEFAULT_WIDTH`].
//!
//! Deliberately not done: following a resize while running (that needs
//! SIGWINCH and asking again). A terminal made narrower mid-run may wrap
//! the line until the next run.

use std::fs::File;
use std::process::{Command, Stdio};

/// The width assumed when nothing better is known: the classic terminal.
pub const DEFAULT_WIDTH: usize = 80;

/// Widths above this are taken as nonsense and ignored (no terminal is
/// 4,096 columns wide; a typo in `COLUMNS` might be).
pub const MAX_WIDTH: usize = 4096;

/// The width of the terminal bitsy runs in (see the module docs).
pub fn terminal_width() -> usize {
    choose(std::env::var("COLUMNS").ok().as_deref(), stty_columns)
}

/// The first usable of `columns` (the `COLUMNS` variable) and `stty`'s
/// answer, else [`DEFAULT_WIDTH`]. `stty` is only run when needed.
pub fn choose(columns: Option<&str>, stty: impl FnOnce() -> Option<usize>) -> usize {
    columns
        .and_then(|c| usable(c.trim().parse().ok()))
        .or_else(|| usable(stty()))
        .unwrap_or(DEFAULT_WIDTH)
}

fn usable(width: Option<usize>) -> Option<usize> {
    width.filter(|w| (1..=MAX_WIDTH).contains(w))
}

/// Runs `stty size` on the controlling terminal; `None` if there is none.
fn stty_columns() -> Option<usize> {
    let tty = File::open("/dev/tty").ok()?;
    let out = Command::new("stty")
        .arg("size")
        .stdin(tty)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    parse_stty_size(&String::from_utf8_lossy(&out.stdout))
}

/// `stty size` prints `ROWS COLUMNS`.
pub fn parse_stty_size(out: &str) -> Option<usize> {
    let mut words = out.split_whitespace();
    let _rows: usize = words.next()?.parse().ok()?;
    let cols = words.next()?.parse().ok()?;
    words.next().is_none().then_some(cols)
}

/// The longest prefix of `line` that fits in `width` columns, keeping the
/// last column free (some terminals wrap when it is written). Counts
/// characters: the status line is ASCII but for file names in free text.
pub fn fit(line: &str, width: usize) -> &str {
    let room = width.saturating_sub(1);
    match line.char_indices().nth(room) {
        Some((cut, _)) => &line[..cut],
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_then_stty_then_default() {
        let table: &[(Option<&str>, Option<usize>, usize)] = &[
            (Some("120"), Some(50), 120), // COLUMNS wins
            (Some(" 60\n"), None, 60),
            (Some("0"), Some(50), 50), // zero is no answer
            (Some("abc"), Some(50), 50),
            (Some("99999"), None, DEFAULT_WIDTH), // beyond MAX_WIDTH
            (None, Some(132), 132),
            (None, Some(0), DEFAULT_WIDTH),
            (None, None, DEFAULT_WIDTH),
        ];
        for (columns, stty, want) in table {
            assert_eq!(choose(*columns, || *stty), *want, "{columns:?} {stty:?}");
        }
    }

    #[test]
    fn stty_is_not_run_when_columns_is_set() {
        let mut ran = false;
        assert_eq!(
            choose(Some("100"), || {
                ran = true;
                None
            }),
            100
        );
        assert!(!ran);
    }

    #[test]
    fn stty_output() {
        assert_eq!(parse_stty_size("24 80\n"), Some(80));
        assert_eq!(parse_stty_size("50 213"), Some(213));
        for bad in ["", "24", "24 x", "24 80 1", "stty: not a tty"] {
            assert_eq!(parse_stty_size(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn lines_are_cut_one_short_of_the_width() {
        let line = " 50.0% 512.0 MiB/1.0 GiB  down 64.0 MiB/s";
        assert_eq!(fit(line, 80), line);
        assert_eq!(fit(line, 11), " 50.0% 512");
        assert_eq!(fit(line, line.len() + 1), line);
        assert_eq!(fit(line, line.len()), &line[..line.len() - 1]);
        assert_eq!(fit("héllo wörld", 6), "héllo");
        assert_eq!(fit(line, 1), "");
        assert_eq!(fit(line, 0), "");
    }
}
