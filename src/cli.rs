//! The command line: parsing arguments into a [`Command`], and running it.
//!
//! Parsing is separate from running so it can be tested without a
//! network. Every subcommand's usage is in [`USAGE`] and in README.md;
//! exit codes are in `error::exit`.

use crate::create::{self, CreateOptions};
use crate::error::{Error, Result};
use crate::metainfo::Metainfo;
use crate::progress::{Progress, format_bytes};
use crate::session::{self, Config, SeedPolicy, layout};
use crate::storage::Storage;
use crate::tracker_server::{TrackerConfig, TrackerServer};
use std::ffi::OsString;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub const USAGE: &str = "\
bitsy: a small BitTorrent client

usage:
  bitsy download FILE.torrent [-o DIR] [--port N] [--max-peers N] [-q] [-v]
                 [--seed | --seed-ratio R | --seed-time MINUTES] [--stall-timeout SECS]
  bitsy FILE.torrent ...          same as `bitsy download FILE.torrent ...`
  bitsy seed FILE.torrent PATH [--port N] [--max-peers N] [-q] [-v]
  bitsy create PATH --tracker URL [--tracker URL ...] [--piece-length BYTES]
               [--webseed URL ...] [--private] [--comment TEXT] -o OUT.torrent
  bitsy verify FILE.torrent PATH [-q]
  bitsy info FILE.torrent
  bitsy tracker [--bind ADDR] [--port N] [-v]

options:
  -o, --output DIR     where downloads go (default: the current directory)
  --port N             port to listen on for peers (default 6881; the next
                       free port is used if it is taken)
  --max-peers N        most peer connections at once (default 50)
  -q, --quiet          no status line
  -v, --verbose        say why peers come and go
  --seed               after downloading, seed until Ctrl-C
  --seed-ratio R       after downloading, seed until uploaded = R x size
  --seed-time MINUTES  after downloading, seed for this long
  --stall-timeout SECS give up after this long with no peer (default 120)

exit codes: 0 done, 2 usage, 3 bad torrent, 4 tracker failed, 5 no peers,
            6 I/O error, 7 data incomplete (verify/seed), 130 interrupted
";

/// A parsed command line.
#[derive(Debug, Clone)]
pub enum Command {
    Download {
        torrent: PathBuf,
        out: PathBuf,
        config: Config,
    },
    Seed {
        torrent: PathBuf,
        data: PathBuf,
        config: Config,
    },
    Create(CreateOptions, PathBuf),
    Verify {
        torrent: PathBuf,
        data: PathBuf,
        quiet: bool,
    },
    Info(PathBuf),
    Tracker(TrackerConfig),
    Help,
    Version,
}

fn usage(msg: impl Into<String>) -> Error {
    Error::Usage(format!("{}\n(run `bitsy --help` for usage)", msg.into()))
}

fn pico(e: pico_args::Error) -> Error {
    usage(e.to_string())
}

/// Parses the arguments after the program name.
pub fn parse(args: Vec<OsString>) -> Result<Command> {
    let mut args = pico_args::Arguments::from_vec(args);
    if args.contains(["-h", "--help"]) {
        return Ok(Command::Help);
    }
    if args.contains(["-V", "--version"]) {
        return Ok(Command::Version);
    }
    let sub: Option<String> = args.subcommand().map_err(pico)?;
    let cmd = match sub.as_deref() {
        None => return Err(usage("no command given")),
        Some("help") => Command::Help,
        Some("download") => {
            let torrent = args
                .free_from_str()
                .map_err(|_| usage("download needs a .torrent file"))?;
            download(torrent, &mut args)?
        }
        Some("seed") => {
            let mut config = peer_options(&mut args)?;
            config.seed = SeedPolicy::Forever;
            let torrent = args
                .free_from_str()
                .map_err(|_| usage("seed needs a .torrent file"))?;
            let data = args
                .free_from_str()
                .map_err(|_| usage("seed needs the data's PATH"))?;
            Command::Seed {
                torrent,
                data,
                config,
            }
        }
        Some("create") => {
            let out: PathBuf = args
                .value_from_str(["-o", "--output"])
                .map_err(|_| usage("create needs -o OUT.torrent"))?;
            let trackers: Vec<String> = args.values_from_str("--tracker").map_err(pico)?;
            let web_seeds: Vec<String> = args.values_from_str("--webseed").map_err(pico)?;
            let piece_length: Option<u64> =
                args.opt_value_from_str("--piece-length").map_err(pico)?;
            let private = args.contains("--private");
            let comment: Option<String> = args.opt_value_from_str("--comment").map_err(pico)?;
            let path = args
                .free_from_str()
                .map_err(|_| usage("create needs a PATH"))?;
            if trackers.is_empty() {
                return Err(usage("create needs at least one --tracker URL"));
            }
            Command::Create(
                CreateOptions {
                    path,
                    trackers,
                    piece_length,
                    web_seeds,
                    private,
                    comment,
                },
                out,
            )
        }
        Some("verify") => {
            let quiet = args.contains(["-q", "--quiet"]);
            let torrent = args
                .free_from_str()
                .map_err(|_| usage("verify needs a .torrent file"))?;
            let data = args
                .free_from_str()
                .map_err(|_| usage("verify needs the data's PATH"))?;
            Command::Verify {
                torrent,
                data,
                quiet,
            }
        }
        Some("info") => Command::Info(
            args.free_from_str()
                .map_err(|_| usage("info needs a .torrent file"))?,
        ),
        Some("tracker") => {
            let mut cfg = TrackerConfig::default();
            if let Some(bind) = args
                .opt_value_from_str::<_, IpAddr>("--bind")
                .map_err(pico)?
            {
                cfg.bind = bind;
            }
            if let Some(port) = args.opt_value_from_str("--port").map_err(pico)? {
                cfg.port = port;
            }
            cfg.verbose = args.contains(["-v", "--verbose"]);
            Command::Tracker(cfg)
        }
        Some(other) if other.ends_with(".torrent") => download(PathBuf::from(other), &mut args)?,
        Some(other) => return Err(usage(format!("unknown command `{other}`"))),
    };
    let rest = args.finish();
    if !rest.is_empty() {
        return Err(usage(format!(
            "unexpected argument `{}`",
            rest[0].to_string_lossy()
        )));
    }
    Ok(cmd)
}

fn download(torrent: PathBuf, args: &mut pico_args::Arguments) -> Result<Command> {
    let mut config = peer_options(args)?;
    let out = args
        .opt_value_from_str(["-o", "--output"])
        .map_err(pico)?
        .unwrap_or_else(|| PathBuf::from("."));
    let forever = args.contains("--seed");
    let ratio: Option<f64> = args.opt_value_from_str("--seed-ratio").map_err(pico)?;
    let minutes: Option<u64> = args.opt_value_from_str("--seed-time").map_err(pico)?;
    config.seed = match (forever, ratio, minutes) {
        (false, None, None) => SeedPolicy::Exit,
        (true, None, None) => SeedPolicy::Forever,
        (false, Some(r), None) if r.is_finite() && r >= 0.0 => SeedPolicy::Ratio(r),
        (false, None, Some(m)) => SeedPolicy::Time(Duration::from_secs(m.saturating_mul(60))),
        _ => {
            return Err(usage(
                "give at most one of --seed, --seed-ratio R (R >= 0), --seed-time",
            ));
        }
    };
    if let Some(secs) = args
        .opt_value_from_str::<_, u64>("--stall-timeout")
        .map_err(pico)?
    {
        config.stall_timeout = Duration::from_secs(secs);
    }
    Ok(Command::Download {
        torrent,
        out,
        config,
    })
}

fn peer_options(args: &mut pico_args::Arguments) -> Result<Config> {
    let mut c = Config::default();
    if let Some(port) = args.opt_value_from_str("--port").map_err(pico)? {
        c.port = port;
    }
    if let Some(n) = args
        .opt_value_from_str::<_, usize>("--max-peers")
        .map_err(pico)?
    {
        if n == 0 {
            return Err(usage("--max-peers must be at least 1"));
        }
        c.max_peers = n;
    }
    c.quiet = args.contains(["-q", "--quiet"]);
    c.verbose = args.contains(["-v", "--verbose"]);
    Ok(c)
}

/// Sets a flag on SIGINT or SIGTERM; a second signal exits at once.
pub fn stop_flag() -> Result<Arc<AtomicBool>> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [SIGINT, SIGTERM] {
        let ctx = |e| Error::Other {
            context: "cannot install the signal handler".into(),
            source: e,
        };
        signal_hook::flag::register_conditional_shutdown(sig, 130, Arc::clone(&stop))
            .map_err(ctx)?;
        signal_hook::flag::register(sig, Arc::clone(&stop)).map_err(ctx)?;
    }
    Ok(stop)
}

/// Runs a parsed command.
pub fn run(cmd: Command) -> Result<()> {
    match cmd {
        Command::Help => print!("{USAGE}"),
        Command::Version => println!("bitsy {}", env!("CARGO_PKG_VERSION")),
        Command::Info(path) => print!("{}", Metainfo::load(&path)?.report()),
        Command::Download {
            torrent,
            out,
            config,
        } => {
            let meta = Metainfo::load(&torrent)?;
            let (root, specs) = layout::for_download(&meta, &out);
            transfer(&meta, &root, specs, &config, false)?;
        }
        Command::Seed {
            torrent,
            data,
            config,
        } => {
            let meta = Metainfo::load(&torrent)?;
            let (root, specs) = layout::for_existing(&meta, &data);
            transfer(&meta, &root, specs, &config, true)?;
        }
        Command::Create(opts, out) => {
            let mut progress = Progress::new(false);
            let bytes = create::create(&opts, &mut |done, total| {
                progress.update_text(&format!(
                    "hashing: {} of {}",
                    format_bytes(done),
                    format_bytes(total)
                ));
            })?;
            progress.finish();
            std::fs::write(&out, &bytes).map_err(|e| Error::io(&out, e))?;
            let meta = Metainfo::from_bytes(&bytes).map_err(|e| Error::Torrent(e.to_string()))?;
            println!("{}", out.display());
            println!("infohash {}", crate::metainfo::to_hex(&meta.info_hash));
            println!("{}", meta.magnet_link());
        }
        Command::Verify {
            torrent,
            data,
            quiet,
        } => {
            let meta = Metainfo::load(&torrent)?;
            let (root, specs) = layout::for_existing(&meta, &data);
            let mut progress = Progress::new(quiet);
            let report = crate::verify::verify(
                &root,
                specs,
                meta.geometry,
                &meta.piece_hashes,
                &mut |done, total| {
                    progress.update_text(&format!("checking: {done}/{total} pieces"));
                },
            )?;
            progress.finish();
            print!("{}", report.render());
            if !report.is_complete() {
                return Err(Error::Incomplete(
                    "some files are partial or missing".into(),
                ));
            }
        }
        Command::Tracker(cfg) => {
            let stop = stop_flag()?;
            let server = TrackerServer::start(cfg)?;
            eprintln!(
                "tracker listening on {} (HTTP /announce, /scrape; UDP)",
                server.local_addr()
            );
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
            }
            server.shutdown();
        }
    }
    Ok(())
}

/// Download or seed one torrent. A seed (`must_be_complete`) only reads:
/// its storage is read-only, so incomplete data is left as it was.
fn transfer(
    meta: &Metainfo,
    root: &std::path::Path,
    files: Vec<crate::metainfo::FileEntry>,
    config: &Config,
    must_be_complete: bool,
) -> Result<()> {
    let stop = stop_flag()?;
    let mut progress = Progress::new(config.quiet);
    let storage = match must_be_complete {
        true => Storage::open_existing(root, files, meta.geometry)?,
        false => Storage::open(root, files, meta.geometry)?,
    };
    let (have, reused) = session::check_storage(meta, &storage, &mut progress)?;
    if must_be_complete && !have.is_full() {
        // The data itself: a single file by its name, else its folder.
        let place = match (meta.multi_file, storage.file(0)) {
            (false, Some(f)) => root.join(&f.path),
            _ => root.to_path_buf(),
        };
        return Err(Error::Incomplete(format!(
            "{} of {} pieces are missing or wrong in {}; nothing was changed; \
             `bitsy verify` says which files, `bitsy download` can fetch them",
            meta.geometry.num_pieces() - have.count(),
            meta.geometry.num_pieces(),
            place.display()
        )));
    }
    let summary = session::run(meta, storage, have, reused, config, &stop, &mut progress)?;
    if summary.interrupted && !summary.complete {
        return Err(Error::Interrupted);
    }
    if !config.quiet {
        eprintln!(
            "done: {} downloaded, {} uploaded, {} reused, {:.1} s",
            format_bytes(summary.downloaded),
            format_bytes(summary.uploaded),
            format_bytes(summary.reused),
            summary.elapsed.as_secs_f64()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests;
