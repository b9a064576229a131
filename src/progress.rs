//! The status line: percent, bytes, rate, ETA, peers.
//!
//! On a terminal the line is redrawn in place (`\r`, cleared to the end)
//! once a second, cut to the terminal's width so it never wraps (see
//! `width` for where the width comes from); in a pipe or a log file a
//! plain line is printed every [`PIPE_EVERY`] so logs stay readable, and
//! the last one is printed at the end even if it came sooner, so a log
//! always holds the final figure. Everything goes to stderr, so stdout
//! stays free for a command's real output.
//!
//! With `--json` (see `event_stream`) the status line is off: `Progress`
//! owns the [`EventStream`] instead, turns each status into a `progress`
//! event once a second ([`EVENT_EVERY`]; the last one is written by
//! `finish`), and passes on the events the session emits. Messages for
//! people still go to stderr unless quiet.
//!
//! Formatting is pure (see [`format_line`]) and tested; only [`Progress`]
//! writes.

mod width;

pub use width::{DEFAULT_WIDTH, fit, terminal_width};

use crate::event_stream::{Event, EventStream};
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// How often a plain line is printed when stderr is not a terminal.
pub const PIPE_EVERY: Duration = Duration::from_secs(5);

/// How often a `progress` event is written with `--json`.
pub const EVENT_EVERY: Duration = Duration::from_secs(1);

/// One snapshot of a transfer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Status {
    pub have: u64,
    /// Bytes wanted: the whole torrent, or the pieces of the selected files.
    pub total: u64,
    /// The torrent's whole size.
    pub size: u64,
    pub down_rate: f64,
    pub up_rate: f64,
    pub uploaded: u64,
    pub peers: usize,
    pub seeding: bool,
    /// A short remark appended to the line (e.g. the tracker is down).
    pub note: Option<String>,
}

/// Writes the status line and messages to stderr.
pub struct Progress {
    tty: bool,
    quiet: bool,
    /// Columns of the terminal (only looked up on a terminal).
    width: usize,
    last_plain: Option<Instant>,
    /// In a pipe: the latest line not yet printed (printed by `finish`).
    pending: Option<String>,
    drawn: bool,
    /// `--json`: the event stream, and when it last had a `progress`.
    events: Option<EventStream>,
    last_event: Option<Instant>,
    /// The latest status not yet written as an event (written by `finish`).
    pending_event: Option<Status>,
    /// The last `stall` diagnosis written, so a repeat is not.
    last_stall: Option<(&'static str, String)>,
}

impl Progress {
    pub fn new(quiet: bool) -> Self {
        let tty = std::io::stderr().is_terminal();
        Progress {
            tty,
            quiet,
            width: if tty && !quiet {
                terminal_width()
            } else {
                DEFAULT_WIDTH
            },
            last_plain: None,
            pending: None,
            drawn: false,
            events: None,
            last_event: None,
            pending_event: None,
            last_stall: None,
        }
    }

    /// Turns the status line off and writes events to `events` instead.
    pub fn with_events(mut self, events: EventStream) -> Self {
        self.events = Some(events);
        self
    }

    /// True when `--json` is on.
    pub fn has_events(&self) -> bool {
        self.events.is_some()
    }

    /// Writes an event (nothing without `--json`).
    pub fn emit(&mut self, ev: &Event) {
        if let Some(events) = &mut self.events {
            events.emit(ev);
        }
    }

    /// With `--json`: a `stall` event saying why the download is stuck
    /// (`cause`, a stable snake_case code; `text`, plain words), written
    /// only when the diagnosis differs from the last one written, so a
    /// caller may call it on every tick. [`Progress::unstalled`] forgets
    /// it, so the same cause after a recovery is written again.
    pub fn stall(&mut self, cause: &'static str, text: &str) {
        if self.events.is_none()
            || self
                .last_stall
                .as_ref()
                .is_some_and(|(c, t)| *c == cause && t == text)
        {
            return;
        }
        self.last_stall = Some((cause, text.to_string()));
        self.emit(&Event::Stall {
            cause,
            text: text.to_string(),
        });
    }

    /// The download moves again: the next `stall` is written even if it
    /// repeats the last.
    pub fn unstalled(&mut self) {
        self.last_stall = None;
    }

    /// With `--json`: a `progress` event once a second, the latest held
    /// back for `finish` otherwise.
    fn status_event(&mut self, s: &Status) {
        let Some(events) = &mut self.events else {
            return;
        };
        if self.last_event.is_none_or(|t| t.elapsed() >= EVENT_EVERY) {
            events.emit(&Event::Progress(s.clone()));
            self.last_event = Some(Instant::now());
            self.pending_event = None;
        } else {
            self.pending_event = Some(s.clone());
        }
    }

    /// Prints the status as plain lines, as in a pipe, even on a
    /// terminal: with `--trace`, a line redrawn in place would be torn
    /// by the trace lines written between its redraws.
    pub fn plain(mut self) -> Self {
        self.tty = false;
        self
    }

    /// Shows the status (on a terminal) or prints it every few seconds.
    pub fn update(&mut self, s: &Status) {
        if self.events.is_some() {
            return self.status_event(s);
        }
        if self.quiet {
            return;
        }
        self.update_text(&format_line(s));
    }

    /// Shows a free-form line in place of the status (e.g. while checking
    /// existing data).
    pub fn update_text(&mut self, line: &str) {
        if self.quiet || self.events.is_some() {
            return;
        }
        let mut err = std::io::stderr().lock();
        if self.tty {
            let _ = write!(err, "\r{}\x1b[K", fit(line, self.width));
            self.drawn = true;
        } else if self.last_plain.is_none_or(|t| t.elapsed() >= PIPE_EVERY) {
            let _ = writeln!(err, "{line}");
            self.last_plain = Some(Instant::now());
            self.pending = None;
        } else {
            self.pending = Some(line.to_string());
        }
        let _ = err.flush();
    }

    /// Prints a message on its own line, keeping the status line intact.
    pub fn message(&mut self, msg: &str) {
        if self.quiet {
            return;
        }
        let mut err = std::io::stderr().lock();
        if self.drawn {
            let _ = write!(err, "\r\x1b[K");
            self.drawn = false;
        }
        let _ = writeln!(err, "{msg}");
    }

    /// Ends the status line (moves to a new line) before the program
    /// exits; in a pipe, prints the last line if it was held back.
    pub fn finish(&mut self) {
        if let (Some(events), Some(s)) = (&mut self.events, self.pending_event.take()) {
            events.emit(&Event::Progress(s));
        }
        if self.drawn {
            let _ = writeln!(std::io::stderr());
            self.drawn = false;
        }
        if let Some(line) = self.pending.take() {
            let _ = writeln!(std::io::stderr(), "{line}");
        }
    }
}

/// `42.0% 420.0 MiB/1000.0 MiB  down 50.0 MiB/s  up 0 B/s  ETA 12s  peers 3`
pub fn format_line(s: &Status) -> String {
    let pct = if s.total == 0 {
        100.0
    } else {
        s.have as f64 * 100.0 / s.total as f64
    };
    let eta = if s.have >= s.total {
        "done".to_string()
    } else if s.down_rate < 1.0 {
        "--".to_string()
    } else {
        format_duration(((s.total - s.have) as f64 / s.down_rate) as u64)
    };
    if s.seeding {
        return format!(
            "seeding {}  up {}/s  uploaded {}  peers {}",
            format_bytes(s.total),
            format_bytes(s.up_rate as u64),
            format_bytes(s.uploaded),
            s.peers
        );
    }
    let line = format!(
        "{pct:5.1}% {}/{}  down {}/s  up {}/s  ETA {eta}  peers {}",
        format_bytes(s.have),
        format_bytes(s.total),
        format_bytes(s.down_rate as u64),
        format_bytes(s.up_rate as u64),
        s.peers
    );
    match &s.note {
        Some(note) => format!("{line}  ({note})"),
        None => line,
    }
}

/// Bytes in binary units with one decimal: `1.5 MiB`.
pub fn format_bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// Seconds as `59s`, `3m07s`, `2h05m`.
pub fn format_duration(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m{:02}s", secs / 60, secs % 60),
        _ => format!("{}h{:02}m", secs / 3600, (secs % 3600) / 60),
    }
}

#[cfg(test)]
mod event_tests;

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn bytes_and_durations() {
        let table = [
            (0, "0 B"),
            (1023, "1023 B"),
            (1024, "1.0 KiB"),
            (1536 * 1024, "1.5 MiB"),
            (4 << 30, "4.0 GiB"),
        ];
        for (n, want) in table {
            assert_eq!(format_bytes(n), want);
        }
        assert_eq!(format_duration(59), "59s");
        assert_eq!(format_duration(187), "3m07s");
        assert_eq!(format_duration(7500), "2h05m");
    }

    #[test]
    fn line() {
        let s = Status {
            have: 512 << 20,
            total: 1 << 30,
            size: 1 << 30,
            down_rate: 64.0 * 1048576.0,
            up_rate: 0.0,
            uploaded: 0,
            peers: 3,
            seeding: false,
            note: None,
        };
        assert_eq!(
            format_line(&s),
            " 50.0% 512.0 MiB/1.0 GiB  down 64.0 MiB/s  up 0 B/s  ETA 8s  peers 3"
        );
        let s = Status {
            note: Some("tracker down, retry in 10s".into()),
            peers: 0,
            down_rate: 0.0,
            ..s
        };
        assert_eq!(
            format_line(&s),
            " 50.0% 512.0 MiB/1.0 GiB  down 0 B/s  up 0 B/s  ETA --  peers 0  \
             (tracker down, retry in 10s)"
        );
    }
}
