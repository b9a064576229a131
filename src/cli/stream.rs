//! `bitsy download X.torrent -o -`: one file's content to stdout, in
//! order, while it downloads (see `stream.rs` for how).
//!
//! This part checks that the job can stream and says which file: the
//! only file of a single-file torrent, or the one `--select N` names in
//! a multi-file torrent. Refused, as usage errors (exit 2) before any
//! peer is contacted: several files (without `--select`, or a `--select`
//! of more than one), and `--seed`/`--seed-ratio`/`--seed-time` (a
//! stream keeps no copy to seed from). Nothing is written to disk: no
//! file, no part file, no kept copy of a fetched .torrent or magnet
//! link's metadata, no DHT table beside the download.
//!
//! The end: complete (exit 0), or the reader of stdout went away
//! (`| head -c 100`): also exit 0 and no error, since the reader has
//! what it wanted (not 141, the shell's code for death by `SIGPIPE`,
//! which `set -o pipefail` takes for a failure). Ctrl-C before the end
//! exits 130.

use super::args::usage_error;
use super::{Topic, TorrentSource, magnet_job, select};
use crate::error::{Error, Result};
use crate::metainfo::FileEntry;
use crate::progress::{Progress, format_bytes};
use crate::selection::Selection;
use crate::session::{self, Config, Output, SeedPolicy, Summary};
use crate::wire::bitfield::Bitfield;
use std::ops::Range;
use std::path::Path;
use std::sync::atomic::AtomicBool;

/// `-o -`: the output is stdout.
pub(super) fn is_stdout(out: &Path) -> bool {
    out.as_os_str() == "-"
}

/// Runs `download TORRENT -o -`.
pub(super) fn download(
    torrent: &TorrentSource,
    mut config: Config,
    stop: &AtomicBool,
    progress: &mut Progress,
) -> Result<Summary> {
    check(&config)?;
    if let Some(d) = &mut config.dht {
        d.state = crate::dht::settings::state_path(None);
    }
    let meta = match torrent {
        TorrentSource::Magnet(link) => {
            let (meta, _, peers) = magnet_job::load(link, None, &config, stop, progress)?;
            config.peers = peers;
            meta
        }
        other => other.load()?,
    };
    let selection = select::resolve(&meta, config.select.as_ref(), Topic::Download)?;
    let (name, span) = one_file(&meta.files, selection.as_ref())?;
    progress.message(&format!(
        "streaming {name} ({}) to stdout",
        format_bytes(span.end - span.start)
    ));
    // `--max-memory`: the window is the piece share (`session::memory`).
    let (config, shares) = &session::memory::fit(&meta, &config)?;
    if config.verbose {
        progress.message(&session::memory::describe(&meta, config, shares));
    }
    let have = Bitfield::new(meta.geometry.num_pieces());
    let out = Output::Stdout(span);
    let summary = session::run(&meta, out, have, 0, config, stop, progress)?;
    if summary.interrupted && !summary.complete {
        return Err(Error::Interrupted);
    }
    if !config.quiet {
        eprintln!("{}", said(&summary, &name));
    }
    Ok(summary)
}

/// The options a stream cannot honour.
fn check(config: &Config) -> Result<()> {
    if config.seed != SeedPolicy::Exit {
        return Err(usage_error(
            Some(Topic::Download),
            "-o - streams to stdout and keeps no copy to seed from: \
             --seed, --seed-ratio and --seed-time need a directory",
        ));
    }
    Ok(())
}

/// The one file to stream, its name and its bytes in the content; a
/// usage error when there are several (pad files are not counted).
fn one_file(files: &[FileEntry], selection: Option<&Selection>) -> Result<(String, Range<u64>)> {
    let files: Vec<_> = crate::selection::numbered(files)
        .filter(|(_, i, _)| selection.is_none_or(|s| s.is_chosen(*i)))
        .collect();
    match files.as_slice() {
        [(_, _, f)] => Ok((
            f.path.display().to_string(),
            f.offset..f.offset.saturating_add(f.length),
        )),
        _ if selection.is_none() => Err(usage_error(
            Some(Topic::Download),
            &format!(
                "-o - streams one file, and this torrent has {}: choose one with \
                 --select N (`bitsy info` numbers them)",
                files.len()
            ),
        )),
        _ => Err(usage_error(
            Some(Topic::Download),
            &format!(
                "-o - streams one file, and --select names {}: give one number",
                files.len()
            ),
        )),
    }
}

/// `done: streamed 1.0 MiB of NAME to stdout in 2.0 s (512.0 KiB/s)`, or
/// that the reader stopped first.
fn said(s: &Summary, name: &str) -> String {
    let took = s.download_time.unwrap_or(s.elapsed);
    let secs = took.as_secs_f64();
    let rate = match secs > 0.0 {
        true => format!(" ({}/s)", format_bytes((s.downloaded as f64 / secs) as u64)),
        false => String::new(),
    };
    match s.stdout_closed {
        true => format!(
            "stdout closed: stopped streaming {name} after fetching {}",
            format_bytes(s.downloaded)
        ),
        false => format!(
            "done: streamed {name} to stdout, fetched {} in {:.1} s{rate}",
            format_bytes(s.downloaded),
            secs
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::selection::Select;
    use std::path::PathBuf;

    fn file(path: &str, offset: u64, length: u64, pad: bool) -> FileEntry {
        FileEntry {
            path: PathBuf::from(path),
            length,
            offset,
            pad,
        }
    }

    #[test]
    fn streams_exactly_one_file() {
        let three = || {
            vec![
                file("d/a", 0, 100, false),
                file("d/.pad/1", 100, 16284, true),
                file("d/b", 16384, 5000, false),
                file("d/c", 21384, 7, false),
            ]
        };
        /// The span, or the start of the refusal.
        type Want = std::result::Result<Range<u64>, &'static str>;
        // (files, --select, what it gives)
        let cases: Vec<(Vec<FileEntry>, Option<&str>, Want)> = vec![
            (vec![file("a", 0, 999, false)], None, Ok(0..999)),
            (vec![file("a", 0, 999, false)], Some("1"), Ok(0..999)),
            (three(), Some("2"), Ok(16384..21384)),
            (three(), Some("3"), Ok(21384..21391)),
            (
                three(),
                None,
                Err("-o - streams one file, and this torrent has 3"),
            ),
            (
                three(),
                Some("1-2"),
                Err("-o - streams one file, and --select names 2"),
            ),
        ];
        for (files, sel, want) in cases {
            let selection = sel.map(|s| Select::parse(s).unwrap().resolve(&files).unwrap());
            let got = one_file(&files, selection.as_ref());
            match (got, want) {
                (Ok((_, span)), Ok(want)) => assert_eq!(span, want, "{sel:?}"),
                (Err(e), Err(want)) => assert!(e.to_string().starts_with(want), "{e}"),
                (got, want) => panic!("{sel:?}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn dash_is_stdout_for_download_only() {
        let p = |args: &[&str]| crate::cli::parse(args.iter().map(Into::into).collect());
        // (arguments, parsed to a download to stdout)
        let cases: &[(&[&str], bool)] = &[
            (&["download", "x.torrent", "-o", "-"], true),
            (&["x.torrent", "--output=-"], true),
            (&["download", "x.torrent", "-o", "./-"], false),
            (&["download", "x.torrent"], false),
        ];
        for (args, stdout) in cases {
            match p(args) {
                Ok(crate::cli::Command::Download { out, .. }) => {
                    assert_eq!(is_stdout(&out), *stdout, "{args:?}")
                }
                other => panic!("{args:?}: {other:?}"),
            }
        }
        let e = p(&["seed", "x.torrent", "-"]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("`-` is not one"), "{e}");
    }

    #[test]
    fn a_stream_does_not_seed() {
        let mut c = Config::default();
        assert!(check(&c).is_ok());
        for policy in [
            SeedPolicy::Forever,
            SeedPolicy::Ratio(1.0),
            SeedPolicy::Time(std::time::Duration::from_secs(1)),
        ] {
            c.seed = policy;
            let e = check(&c).unwrap_err().to_string();
            assert!(e.contains("keeps no copy to seed from"), "{e}");
        }
    }
}
