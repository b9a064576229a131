//! Running a parsed [`Command`].
//!
//! Each command loads what it needs, does its job, and prints its result:
//! the real output (a report, the new torrent's infohash) on stdout,
//! progress and the final summary on stderr. Errors go back to `main` as
//! [`Error`]s, which map to exit codes.
//!
//! Ctrl-C and SIGTERM set a flag ([`stop_flag`]) that the session and the
//! tracker loop poll (SIGUSR1 sets another, [`why_flag`]: say why the
//! download is stuck); the exit code then follows the rule in the module
//! docs of `cli`: 130 for a download stopped before it completed, 0 for
//! everything that was stopped with its data complete.

use super::summary;
use super::{Command, Topic, TorrentSource, magnet_job, select, stream, usage};
use crate::create;
use crate::error::{Error, Result};
use crate::event_stream::{Event, EventStream};
use crate::metainfo::FileEntry;
use crate::metainfo::Metainfo;
use crate::progress::{Progress, format_bytes};
use crate::selection::Select;
use crate::session::{self, Config, Summary, layout};
use crate::storage::{Choice, Storage};
use crate::tracker_server::{TrackerConfig, TrackerServer};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How often the tracker's loop looks at the stop flag.
const TRACKER_POLL: Duration = Duration::from_millis(200);

/// Sets a flag on SIGINT or SIGTERM; a second signal exits at once (130).
pub fn stop_flag() -> Result<Arc<AtomicBool>> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [SIGINT, SIGTERM] {
        let ctx = |e| Error::Other {
            context: "cannot install the signal handler".into(),
            source: e,
        };
        signal_hook::flag::register_conditional_shutdown(
            sig,
            i32::from(crate::error::exit::INTERRUPTED),
            Arc::clone(&stop),
        )
        .map_err(ctx)?;
        signal_hook::flag::register(sig, Arc::clone(&stop)).map_err(ctx)?;
    }
    Ok(stop)
}

/// Sets a flag on SIGUSR1: the session then says why the download is
/// stuck (`session::stall`). Installed for `download` and `seed`, so the
/// signal never ends bitsy (its default action would).
pub fn why_flag() -> Result<Arc<AtomicBool>> {
    let flag = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGUSR1, Arc::clone(&flag)).map_err(|e| {
        Error::Other {
            context: "cannot install the SIGUSR1 handler".into(),
            source: e,
        }
    })?;
    Ok(flag)
}

/// Runs a parsed command.
pub fn run(cmd: Command) -> Result<()> {
    match cmd {
        Command::Help(None) => print!("{}", usage::USAGE),
        Command::Help(Some(topic)) => print!("{}", usage::of(topic)),
        Command::Version => println!("bitsy {}", env!("CARGO_PKG_VERSION")),
        Command::Info(TorrentSource::Magnet(link)) => print!("{}", link.report()),
        Command::Info(source) => print!("{}", source.load()?.report()),
        Command::Download {
            torrent,
            out,
            config,
        } => {
            let mut progress = progress_for(&config, "download", source_text(&torrent));
            let result =
                stop_flag().and_then(|stop| download(&torrent, &out, config, &stop, &mut progress));
            return ended(result, &mut progress);
        }
        Command::Seed {
            torrent,
            data,
            config,
        } => {
            let source = torrent.display().to_string();
            let mut progress = progress_for(&config, "seed", source);
            let result =
                stop_flag().and_then(|stop| seed(&torrent, &data, config, &stop, &mut progress));
            return ended(result, &mut progress);
        }
        Command::Create { opts, out, quiet } => create(&opts, &out, quiet)?,
        Command::Verify {
            torrent,
            data,
            quiet,
            select,
        } => verify(&torrent, &data, quiet, select.as_ref())?,
        Command::Tracker(cfg) => tracker(cfg)?,
        Command::DhtGetPeers {
            info_hash,
            bootstrap,
            port,
            trace,
        } => super::dht::get_peers(info_hash, &bootstrap, port, trace, &*stop_flag()?)?,
    }
    Ok(())
}

/// `bitsy download`: a .torrent (file or URL) or a magnet link into `out`.
fn download(
    torrent: &TorrentSource,
    out: &Path,
    mut config: Config,
    stop: &AtomicBool,
    progress: &mut Progress,
) -> Result<Summary> {
    config.why_signal = Some(why_flag()?);
    if stream::is_stdout(out) {
        return stream::download(torrent, config, stop, progress);
    }
    if let Some(d) = &mut config.dht {
        d.state = crate::dht::settings::state_path(Some(out));
    }
    let (meta, copy) = match torrent {
        TorrentSource::Magnet(link) => {
            let (meta, copy, peers) = magnet_job::load(link, Some(out), &config, stop, progress)?;
            config.peers = peers;
            (meta, copy)
        }
        other => {
            let sel = config.select.as_ref();
            let check = |m: &Metainfo| select::resolve(m, sel, Topic::Download).map(drop);
            other.load_for_download(out, &check)?
        }
    };
    progress.emit(&Event::metadata(&meta));
    if let Some(note) = copy {
        progress.message(&note);
    }
    let selection = select::resolve(&meta, config.select.as_ref(), Topic::Download)?;
    if let Some(s) = &selection {
        progress.message(&select::describe(&meta, s));
    }
    let (root, specs) = layout::for_download(&meta, out);
    let files = top_of(&root, &specs);
    let job = Job::Download { files };
    let choice = select::for_download(&meta, &root, selection, config.recheck);
    let how = (&config, choice);
    transfer(&meta, &root, specs, how, job, stop, progress)
}

/// `bitsy seed`: serves the data at `data` until stopped.
fn seed(
    torrent: &Path,
    data: &Path,
    mut config: Config,
    stop: &AtomicBool,
    progress: &mut Progress,
) -> Result<Summary> {
    let meta = Metainfo::load(torrent)?;
    progress.emit(&Event::metadata(&meta));
    config.why_signal = Some(why_flag()?);
    if let Some(d) = &mut config.dht {
        d.state = crate::dht::settings::state_path(None);
    }
    let (root, specs) = layout::for_existing(&meta, data);
    let files = if meta.multi_file {
        root.clone()
    } else {
        top_of(&root, &specs)
    };
    let job = Job::Seed { files };
    let how = (&config, Choice::default());
    transfer(&meta, &root, specs, how, job, stop, progress)
}

/// The status line (as plain lines with `--trace`, so the two never share
/// a line), or with `--json` the event stream, which opens with `start`.
fn progress_for(config: &Config, command: &'static str, source: String) -> Progress {
    let mut progress = Progress::new(config.quiet);
    if config.trace.is_on() {
        progress = progress.plain();
    }
    if !config.json {
        return progress;
    }
    let mut progress = progress.with_events(EventStream::stdout());
    progress.emit(&Event::Start { command, source });
    progress
}

/// The last event of a transfer: `done`, or `error` with the exit code
/// `main` will return for the error.
fn ended(result: Result<Summary>, progress: &mut Progress) -> Result<()> {
    let ev = match &result {
        Ok(s) => Event::Done {
            downloaded: s.downloaded,
            uploaded: s.uploaded,
            reused: s.reused,
            seconds: s.elapsed,
            download_seconds: s.download_time,
        },
        Err(e) => Event::Error {
            message: e.to_string(),
            exit_code: e.exit_code(),
        },
    };
    progress.emit(&ev);
    result.map(drop)
}

/// The torrent as the user named it, for the `start` event; a magnet
/// link by its infohash.
fn source_text(torrent: &TorrentSource) -> String {
    match torrent {
        TorrentSource::File(path) => path.display().to_string(),
        TorrentSource::Url(url) => url.clone(),
        TorrentSource::Magnet(link) => format!(
            "magnet:?xt=urn:btih:{}",
            crate::metainfo::to_hex(&link.info_hash)
        ),
    }
}

fn create(opts: &create::CreateOptions, out: &Path, quiet: bool) -> Result<()> {
    let mut progress = Progress::new(quiet);
    let bytes = create::create(opts, &mut |done, total| {
        progress.update_text(&format!(
            "hashing: {} of {}",
            format_bytes(done),
            format_bytes(total)
        ));
    })?;
    progress.finish();
    std::fs::write(out, &bytes).map_err(|e| Error::io(out, e))?;
    let meta = Metainfo::from_bytes(&bytes).map_err(|e| Error::Torrent(e.to_string()))?;
    println!("{}", out.display());
    println!("infohash {}", crate::metainfo::to_hex(&meta.info_hash));
    println!("{}", meta.magnet_link());
    Ok(())
}

fn verify(torrent: &Path, data: &Path, quiet: bool, select: Option<&Select>) -> Result<()> {
    let meta = Metainfo::load(torrent)?;
    let selection = select::resolve(&meta, select, Topic::Verify)?;
    let (root, specs) = layout::for_existing(&meta, data);
    let choice = select::for_existing(&meta, &root, selection);
    let mut progress = Progress::new(quiet);
    tell_path_fixes(&meta, &mut progress);
    let report = crate::verify::verify_with(
        &root,
        specs,
        meta.geometry,
        &meta.piece_hashes,
        choice,
        &mut |done, total| {
            progress.update_text(&format!("checking: {done}/{total} pieces"));
        },
    )?;
    progress.finish();
    print!("{}", report.render());
    if !report.is_complete() {
        let which = if select.is_some() { "selected " } else { "" };
        return Err(Error::Incomplete(format!(
            "some {which}files are partial or missing"
        )));
    }
    Ok(())
}

/// Runs the tracker until Ctrl-C or SIGTERM: a normal end (exit 0).
fn tracker(cfg: TrackerConfig) -> Result<()> {
    let stop = stop_flag()?;
    let server = TrackerServer::start(cfg)?;
    eprintln!(
        "tracker listening on {} (HTTP /announce, /scrape; UDP)",
        server.local_addr()
    );
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(TRACKER_POLL);
    }
    server.shutdown();
    Ok(())
}

/// What a transfer is for, and where its files are (for the summary).
enum Job {
    Download { files: PathBuf },
    Seed { files: PathBuf },
}

/// The file or top folder the torrent's files are in: `root` joined
/// with the first component of the first path.
fn top_of(root: &Path, specs: &[FileEntry]) -> PathBuf {
    let first = specs
        .first()
        .and_then(|f| f.path.components().next())
        .and_then(|c| match c {
            Component::Normal(name) => Some(name),
            _ => None,
        });
    match first {
        Some(name) => root.join(name),
        None => root.to_path_buf(),
    }
}

/// Says, before anything touches the disk, which of the torrent's paths
/// were changed to be safe (renamed clashes, shortened names...), so the
/// user knows why a file is not where the torrent named it.
fn tell_path_fixes(meta: &Metainfo, progress: &mut Progress) {
    for fix in &meta.path_fixes {
        progress.message(&format!("path changed: {fix}"));
    }
}

/// Download or seed one torrent (`how`: the session's options and which
/// files). A seed only reads: its storage is read-only, so incomplete
/// data is left exactly as it was.
fn transfer(
    meta: &Metainfo,
    root: &Path,
    specs: Vec<FileEntry>,
    (config, choice): (&Config, Choice),
    job: Job,
    stop: &AtomicBool,
    progress: &mut Progress,
) -> Result<Summary> {
    tell_path_fixes(meta, progress);
    // Before any file is created: a budget too small is refused here.
    let (config, shares) = &session::memory::fit(meta, config)?;
    if config.verbose {
        progress.message(&session::memory::describe(meta, config, shares));
    }
    let storage = match &job {
        Job::Seed { .. } => Storage::open_existing(root, specs, meta.geometry)?,
        Job::Download { .. } => Storage::open_with(root, specs, meta.geometry, choice)?,
    };
    let (have, reused) = session::check_storage(meta, &storage, read_ahead(config), progress)?;
    if let Job::Seed { files } = &job
        && !have.is_full()
    {
        return Err(Error::Incomplete(format!(
            "{} of {} pieces are missing or wrong in {}; nothing was changed; \
             `bitsy verify` says which files, `bitsy download` can fetch them",
            meta.geometry.num_pieces() - have.count(),
            meta.geometry.num_pieces(),
            files.display()
        )));
    }
    let output = session::Output::Files(storage);
    let summary = session::run(meta, output, have, reused, config, stop, progress)?;
    // The exit-code rule: stopped with the data complete is a normal end.
    if summary.interrupted && !summary.complete {
        return Err(Error::Interrupted);
    }
    if !config.quiet {
        let line = match &job {
            Job::Download { files } => summary::download(&summary, files),
            Job::Seed { files } => summary::seed(&summary, files),
        };
        eprintln!("{line}");
    }
    Ok(summary)
}

/// The memory the check of existing data may hold: its default, or less
/// under `--max-memory` (the budget's piece share: the check is over
/// before any piece of the download is in memory).
fn read_ahead(config: &Config) -> u64 {
    match config.max_memory {
        Some(_) => config.partial_budget.min(crate::storage::READ_AHEAD_BYTES),
        None => crate::storage::READ_AHEAD_BYTES,
    }
}
