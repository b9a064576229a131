//! `--select` meets the torrent: the numbers checked against its files
//! (a usage error, exit 2, naming the file count, before anything is
//! created), and the storage [`Choice`] for a download or a check.
//!
//! The part file lives in the download folder, beside the torrent's file
//! or top folder: `DIR/.INFOHASH.parts` (`storage/partfile.rs`). For
//! `bitsy verify` and data given by its own path, that folder is the
//! storage root of a single-file torrent and the root's parent for a
//! multi-file one (whose root is the torrent's folder). A download's
//! resume state sits beside its part file: `DIR/.INFOHASH.resume`
//! (`storage/resume.rs`); checks and seeds use none.

use super::Topic;
use super::args::usage_error;
use crate::error::Result;
use crate::metainfo::Metainfo;
use crate::progress::format_bytes;
use crate::selection::{Select, Selection};
use crate::storage::{Choice, ResumeFile, partfile_path, resume_path};
use std::path::Path;

/// The files `select` picks from `meta`; `None` without `--select`, or
/// when it names every file (then nothing changes).
pub(super) fn resolve(
    meta: &Metainfo,
    select: Option<&Select>,
    topic: Topic,
) -> Result<Option<Selection>> {
    let Some(select) = select else {
        return Ok(None);
    };
    let chosen = select
        .resolve(&meta.files)
        .map_err(|e| usage_error(Some(topic), &format!("--select: {e}")))?;
    Ok((!chosen.is_everything(&meta.files)).then_some(chosen))
}

/// What a download of `selection` under `root` (the output folder) keeps,
/// with its resume state beside the part file (trusted unless `recheck`).
pub(super) fn for_download(
    meta: &Metainfo,
    root: &Path,
    selection: Option<Selection>,
    recheck: bool,
) -> Choice {
    Choice {
        selection,
        parts: Some(partfile_path(root, &meta.info_hash)),
        resume: Some(ResumeFile {
            path: resume_path(root, &meta.info_hash),
            info_hash: meta.info_hash,
            trust: !recheck,
        }),
    }
}

/// What a check of `selection` of the data under `root` reads: the part
/// file only when there is a selection (without one, every file is read
/// from itself).
pub(super) fn for_existing(meta: &Metainfo, root: &Path, selection: Option<Selection>) -> Choice {
    let folder = match meta.multi_file {
        true => root.parent().unwrap_or(Path::new(".")),
        false => root,
    };
    Choice {
        parts: selection
            .is_some()
            .then(|| partfile_path(folder, &meta.info_hash)),
        selection,
        resume: None,
    }
}

/// "selected 2 of 5 files (1.2 MiB)".
pub(super) fn describe(meta: &Metainfo, selection: &Selection) -> String {
    let files = crate::selection::numbered(&meta.files).count();
    format!(
        "selected {} of {files} files ({})",
        selection.count(),
        format_bytes(selection.bytes(&meta.files))
    )
}

#[cfg(test)]
mod tests {
    use crate::cli::{Command, parse};
    use crate::error::Error;
    use crate::selection::Select;
    use std::ffi::OsString;

    fn p(args: &[&str]) -> crate::error::Result<Command> {
        parse(args.iter().map(OsString::from).collect())
    }

    #[test]
    fn download_and_verify_take_select() {
        let want = Select::parse("1,3-5").ok();
        for args in [
            &["download", "a.torrent", "--select", "1,3-5"][..],
            &["a.torrent", "--select=1,3-5", "-o", "out"],
        ] {
            match p(args) {
                Ok(Command::Download { config, .. }) => assert_eq!(config.select, want),
                other => panic!("{args:?}: {other:?}"),
            }
        }
        match p(&["verify", "a.torrent", "data", "--select", "2"]) {
            Ok(Command::Verify { select, .. }) => assert_eq!(select, Select::parse("2").ok()),
            other => panic!("{other:?}"),
        }
        match p(&["download", "a.torrent"]) {
            Ok(Command::Download { config, .. }) => assert_eq!(config.select, None),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn malformed_lists_are_usage_errors() {
        // (arguments, what the message says)
        let table: &[(&[&str], &str)] = &[
            (
                &["download", "a.torrent", "--select", "0"],
                "--select: files are numbered from 1",
            ),
            (&["download", "a.torrent", "--select", "4-2"], "backwards"),
            (
                &["download", "a.torrent", "--select", "1,x"],
                "\"x\" is not a file number",
            ),
            (
                &["download", "a.torrent", "--select="],
                "expected file numbers",
            ),
            (
                &["download", "a.torrent", "--select"],
                "--select: missing its value",
            ),
            (
                &["verify", "a.torrent", "d", "--select", "1-"],
                "\"1-\" is not",
            ),
            (
                &["seed", "a.torrent", "d", "--select", "1"],
                "does not take --select",
            ),
        ];
        for (args, says) in table {
            match p(args) {
                Err(Error::Usage(m)) => assert!(m.contains(says), "{args:?}: {m}"),
                other => panic!("{args:?}: not a usage error: {other:?}"),
            }
        }
    }
}
