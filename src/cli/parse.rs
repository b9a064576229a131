//! Turning the arguments into a [`Command`], in three steps.
//!
//! 1. **Scan**: one walk over the arguments, left to right, knowing which
//!    options take a value ([`WITH_VALUE`]). It finds the command word,
//!    the first argument that is neither an option nor an option's value,
//!    so options may come before it (`bitsy -q x.torrent`). It also notes
//!    a value option with nothing after it, or with another option where
//!    its value should be (`-o --port 7000`): taking `--port` as the
//!    directory would shift every later argument.
//! 2. **Options**: the command's options are taken out by name, wherever
//!    they are (pico-args), as `--opt value` or `--opt=value`; each value
//!    is parsed once by `value`; a value option given twice is refused.
//! 3. **Positionals**: what is left must be the command's positional
//!    arguments, in order. An option still there is refused by name:
//!    "unknown option", or "`bitsy verify` does not take -o".
//!
//! `-V`/`--version` anywhere prints the version; `-h`/`--help` anywhere,
//! or `bitsy help COMMAND`, prints the help of the command named (or the
//! general help). A first word ending in `.torrent` (any case) means
//! `download`.
//! Every error is [`Error::Usage`](crate::error::Error::Usage) (exit 2)
//! and ends with a hint to the command's help.

use super::args::{Args, looks_like_option, usage_error};
use super::value::{self, Opt, WITH_VALUE};
use super::{Command, Topic, TorrentSource};
use crate::create::CreateOptions;
use crate::dht::DhtSettings;
use crate::error::Result;
use crate::magnet::Magnet;
use crate::selection::Select;
use crate::session::{Config, SeedPolicy};
use crate::trace::Trace;
use crate::tracker::scheme;
use crate::tracker_server::TrackerConfig;
use std::ffi::OsString;
use std::path::PathBuf;

/// The torrent argument of `download` and `info`, for "needs ...".
const TORRENT_OR_URL: &str = "a .torrent file, an http(s):// URL or a magnet link";

/// Parses the arguments after the program name.
pub fn parse(args: Vec<OsString>) -> Result<Command> {
    let scanned = scan(&args);
    let has = |o: Opt| args.iter().any(|a| a.to_str().is_some_and(|s| o.is(s)));
    if has(value::VERSION) {
        return Ok(Command::Version);
    }
    let help = has(value::HELP);
    let Some(at) = scanned.word_at else {
        if help {
            return Ok(Command::Help(None));
        }
        return Err(usage_error(
            None,
            scanned.problem.as_deref().unwrap_or("no command given"),
        ));
    };
    let mut rest = args;
    let word = rest[at].to_string_lossy().into_owned();
    let topic = if word == "help" {
        rest.remove(at);
        return help_topic(&rest);
    } else if let Some(topic) = Topic::from_name(&word) {
        rest.remove(at);
        topic
    } else if word.to_ascii_lowercase().ends_with(".torrent") || Magnet::is_link(&word) {
        Topic::Download // the word stays: it is the torrent
    } else {
        return Err(usage_error(
            None,
            &format!("unknown command `{word}` (commands: {})", command_list()),
        ));
    };
    if help {
        return Ok(Command::Help(Some(topic)));
    }
    if let Some(problem) = scanned.problem {
        return Err(usage_error(Some(topic), &problem));
    }
    let args = Args::new(topic, rest);
    match topic {
        Topic::Download => download(args),
        Topic::Seed => seed(args),
        Topic::Create => create(args),
        Topic::Verify => verify(args),
        Topic::Info => {
            let [torrent] = args.positionals([TORRENT_OR_URL])?;
            Ok(Command::Info(TorrentSource::from_arg(torrent)?))
        }
        Topic::Tracker => tracker(args),
        Topic::Dht => dht(args),
    }
}

/// What the scan found.
struct Scanned {
    /// Where the command word is, if there is one.
    word_at: Option<usize>,
    /// The first value option without a value.
    problem: Option<String>,
}

fn scan(args: &[OsString]) -> Scanned {
    let mut found = Scanned {
        word_at: None,
        problem: None,
    };
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        i += 1;
        let Some(s) = arg.to_str().filter(|s| looks_like_option(s)) else {
            found.word_at.get_or_insert(i - 1);
            continue;
        };
        if s.contains('=') || !WITH_VALUE.iter().any(|o| o.is(s)) {
            continue;
        }
        let problem = match args.get(i).map(|v| v.to_str()) {
            None => format!("{s}: missing its value"),
            Some(Some(next)) if looks_like_option(next) => format!(
                "{s}: missing its value (the option `{next}` follows it; \
                 write {s}={next} if that is the value)"
            ),
            Some(_) => {
                i += 1;
                continue;
            }
        };
        found.problem.get_or_insert(problem);
    }
    found
}

fn help_topic(rest: &[OsString]) -> Result<Command> {
    let Some(at) = scan(rest).word_at else {
        return Ok(Command::Help(None));
    };
    let word = rest[at].to_string_lossy();
    match Topic::from_name(&word) {
        Some(topic) => Ok(Command::Help(Some(topic))),
        None => Err(usage_error(
            None,
            &format!("no command `{word}` (commands: {})", command_list()),
        )),
    }
}

fn command_list() -> String {
    Topic::ALL.map(Topic::name).join(", ")
}

fn download(mut a: Args) -> Result<Command> {
    let mut config = peer_options(&mut a)?;
    let out = a
        .value(value::OUTPUT_DIR, value::path)?
        .unwrap_or_else(|| PathBuf::from("."));
    let forever = a.flag(value::SEED);
    let ratio = a.value(value::SEED_RATIO, value::ratio)?;
    let time = a.value(value::SEED_TIME, value::seed_time)?;
    config.seed = match (forever, ratio, time) {
        (false, None, None) => SeedPolicy::Exit,
        (true, None, None) => SeedPolicy::Forever,
        (false, Some(r), None) => SeedPolicy::Ratio(r),
        (false, None, Some(t)) => SeedPolicy::Time(t),
        _ => {
            return Err(a.error("give at most one of --seed, --seed-ratio, --seed-time"));
        }
    };
    if let Some(stall) = a.value(value::STALL_TIMEOUT, value::stall_timeout)? {
        config.stall_timeout = stall;
    }
    config.select = select(&mut a)?;
    config.why = a.flag(value::WHY);
    config.recheck = a.flag(value::RECHECK);
    config.max_download_rate = a.value(value::MAX_DOWNLOAD_RATE, value::rate)?.flatten();
    if out.as_os_str() == "-" && config.json {
        return Err(
            a.error("-o - writes the content to stdout, and --json writes events there: give one")
        );
    }
    let [torrent] = a.positionals([TORRENT_OR_URL])?;
    Ok(Command::Download {
        torrent: TorrentSource::from_arg(torrent)?,
        out,
        config,
    })
}

fn seed(mut a: Args) -> Result<Command> {
    let mut config = peer_options(&mut a)?;
    config.seed = SeedPolicy::Forever;
    let [torrent, data] = a.positionals(["a .torrent file", "the data's PATH"])?;
    if data.as_os_str() == "-" {
        return Err(usage_error(
            Some(Topic::Seed),
            "`bitsy seed` serves data from a PATH on disk, and `-` is not one \
             (`-o -`, to stdout, is for `bitsy download`)",
        ));
    }
    Ok(Command::Seed {
        torrent,
        data,
        config,
    })
}

/// The options `download` and `seed` share.
fn peer_options(a: &mut Args) -> Result<Config> {
    let mut c = Config::default();
    if let Some(port) = a.value(value::PORT, value::port)? {
        c.port = port;
    }
    if let Some(bind) = a.value(value::BIND, value::bind)? {
        c.bind = bind;
    }
    if let Some(n) = a.value(value::MAX_PEERS_OPT, value::max_peers)? {
        c.max_peers = n;
    }
    c.max_upload_rate = a.value(value::MAX_UPLOAD_RATE, value::rate)?.flatten();
    c.max_memory = a.value(value::MAX_MEMORY, value::memory)?;
    c.quiet = a.flag(value::QUIET);
    c.verbose = a.flag(value::VERBOSE);
    c.json = a.flag(value::JSON);
    c.trace = trace(a);
    let bootstrap = a.values(value::DHT_BOOTSTRAP, value::text)?;
    c.dht = match (a.flag(value::NO_DHT), bootstrap.is_empty()) {
        (true, false) => return Err(a.error("give --no-dht or --dht-bootstrap, not both")),
        (true, true) => None,
        (false, _) => Some(DhtSettings {
            bootstrap,
            state: None, // where is decided with the download's folder (`run`)
            trace: c.trace,
        }),
    };
    Ok(c)
}

/// `--trace`: on, counting seconds from now (the start of the program).
fn trace(a: &mut Args) -> Trace {
    if a.flag(value::TRACE) {
        Trace::starting_now()
    } else {
        Trace::OFF
    }
}

fn create(mut a: Args) -> Result<Command> {
    let out = a
        .value(value::OUTPUT_TORRENT, value::path)?
        .ok_or_else(|| a.error("create needs -o OUT.torrent"))?;
    // None makes a trackerless torrent: peers meet through the DHT, or its
    // web seeds (BEP 19) are a source on their own.
    let trackers = a.values(value::TRACKER, value::text)?;
    for url in &trackers {
        if let Err(why) = scheme::check(url) {
            return Err(a.error(&format!("--tracker: cannot announce to {url:?}: {why}")));
        }
    }
    let web_seeds = a.values(value::WEBSEED, value::text)?;
    if let Some(why) = web_seeds
        .iter()
        .find_map(|u| crate::webseed::url::refusal(u))
    {
        return Err(a.error(&format!("--webseed: {why}")));
    }
    let piece_length = a.value(value::PIECE_LENGTH, value::piece_length)?;
    let private = a.flag(value::PRIVATE);
    if private && trackers.is_empty() {
        // BEP 27: a private torrent's peers come from its trackers alone.
        return Err(a.error("a --private torrent needs at least one --tracker URL"));
    }
    let comment = a.value(value::COMMENT, value::text)?;
    let quiet = a.flag(value::QUIET);
    let [path] = a.positionals(["a PATH to share"])?;
    Ok(Command::Create {
        opts: CreateOptions {
            path,
            trackers,
            piece_length,
            web_seeds,
            private,
            comment,
        },
        out,
        quiet,
    })
}

fn verify(mut a: Args) -> Result<Command> {
    let quiet = a.flag(value::QUIET);
    let select = select(&mut a)?;
    let [torrent, data] = a.positionals(["a .torrent file", "the data's PATH"])?;
    Ok(Command::Verify {
        torrent,
        data,
        quiet,
        select,
    })
}

/// `--select`, checked for form; its numbers are checked against the
/// files once they are known (`cli::select`).
fn select(a: &mut Args) -> Result<Option<Select>> {
    let Some(text) = a.value(value::SELECT, value::text)? else {
        return Ok(None);
    };
    let list = Select::parse(&text).map_err(|e| a.error(&format!("--select: {e}")))?;
    Ok(Some(list))
}

fn tracker(mut a: Args) -> Result<Command> {
    let mut cfg = TrackerConfig::default();
    if let Some(bind) = a.value(value::BIND, value::bind)? {
        cfg.bind = bind;
    }
    if let Some(port) = a.value(value::PORT, value::port)? {
        cfg.port = port;
    }
    cfg.verbose = a.flag(value::VERBOSE);
    let [] = a.positionals([])?;
    Ok(Command::Tracker(cfg))
}

fn dht(mut a: Args) -> Result<Command> {
    let bootstrap = a.values(value::DHT_BOOTSTRAP, value::text)?;
    let port = a.value(value::PORT, value::port)?.unwrap_or(0);
    let trace = trace(&mut a);
    let [action, hash] = a.positionals(["an action (get-peers)", "an INFOHASH"])?;
    let (action, hash) = (action.to_string_lossy(), hash.to_string_lossy());
    if action != "get-peers" {
        let msg = format!("unknown dht action `{action}` (actions: get-peers)");
        return Err(usage_error(Some(Topic::Dht), &msg));
    }
    let info_hash = value::info_hash(&hash).ok_or_else(|| {
        let msg = format!("{hash:?} is not an infohash (40 hex digits)");
        usage_error(Some(Topic::Dht), &msg)
    })?;
    Ok(Command::DhtGetPeers {
        info_hash,
        bootstrap,
        port,
        trace,
    })
}
