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
//! general help). A first word ending in `.torrent` means `download`.
//! Every error is [`Error::Usage`] (exit 2) and ends with a hint to the
//! command's help.

use super::value::{self, FLAGS, Opt, WITH_VALUE};
use super::{Command, Topic, usage};
use crate::create::CreateOptions;
use crate::error::{Error, Result};
use crate::session::{Config, SeedPolicy};
use crate::tracker::scheme;
use crate::tracker_server::TrackerConfig;
use std::ffi::OsString;
use std::path::PathBuf;

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
    } else if word.ends_with(".torrent") {
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
    let mut args = Args {
        topic,
        inner: pico_args::Arguments::from_vec(rest),
    };
    match topic {
        Topic::Download => download(args),
        Topic::Seed => seed(args),
        Topic::Create => create(args),
        Topic::Verify => {
            let quiet = args.flag(value::QUIET);
            let [torrent, data] = args.positionals(["a .torrent file", "the data's PATH"])?;
            Ok(Command::Verify {
                torrent,
                data,
                quiet,
            })
        }
        Topic::Info => {
            let [torrent] = args.positionals(["a .torrent file"])?;
            Ok(Command::Info(torrent))
        }
        Topic::Tracker => tracker(args),
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

/// `--x`, or `-` and a letter. A lone `-` and `-1` are not options.
fn looks_like_option(s: &str) -> bool {
    let b = s.as_bytes();
    (b.len() > 2 && b.starts_with(b"--"))
        || s == "--"
        || (b.len() >= 2 && b[0] == b'-' && b[1].is_ascii_alphabetic())
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

fn usage_error(topic: Option<Topic>, msg: &str) -> Error {
    Error::Usage(format!("{msg}\n{}", usage::hint(topic)))
}

/// The arguments of one command, as options are taken out.
struct Args {
    topic: Topic,
    inner: pico_args::Arguments,
}

impl Args {
    fn error(&self, msg: &str) -> Error {
        usage_error(Some(self.topic), msg)
    }

    /// Whether the flag was given (any number of times).
    fn flag(&mut self, flag: Opt) -> bool {
        let mut seen = false;
        while self.inner.contains(flag.keys()) {
            seen = true;
        }
        seen
    }

    /// The option's value, parsed; at most once.
    fn value<T>(&mut self, opt: Opt, parse: fn(&str) -> Option<T>) -> Result<Option<T>> {
        let Some(text) = self.text(opt)? else {
            return Ok(None);
        };
        if self.text(opt)?.is_some() {
            return Err(self.error(&format!("{} given more than once", opt.long)));
        }
        self.parsed(opt, &text, parse).map(Some)
    }

    /// Every value of a repeatable option, parsed, in order.
    fn values<T>(&mut self, opt: Opt, parse: fn(&str) -> Option<T>) -> Result<Vec<T>> {
        let mut all = Vec::new();
        while let Some(text) = self.text(opt)? {
            all.push(self.parsed(opt, &text, parse)?);
        }
        Ok(all)
    }

    fn parsed<T>(&self, opt: Opt, text: &str, parse: fn(&str) -> Option<T>) -> Result<T> {
        parse(text).ok_or_else(|| {
            self.error(&format!(
                "{}: expected {}, got {text:?}",
                opt.long, opt.what
            ))
        })
    }

    fn text(&mut self, opt: Opt) -> Result<Option<String>> {
        self.inner
            .opt_value_from_str::<_, String>(opt.keys())
            .map_err(|e| match e {
                pico_args::Error::OptionWithoutAValue(key) => {
                    self.error(&format!("{key}: missing its value (expected {})", opt.what))
                }
                pico_args::Error::NonUtf8Argument
                | pico_args::Error::Utf8ArgumentParsingFailed { .. } => {
                    self.error(&format!("{}: the value is not valid UTF-8", opt.long))
                }
                other => self.error(&format!("{}: {other}", opt.long)),
            })
    }

    /// The `N` positional arguments `names` describes, once every option
    /// of the command has been taken out. Refuses any option left.
    fn positionals<const N: usize>(self, names: [&str; N]) -> Result<[PathBuf; N]> {
        let topic = self.topic;
        let rest = self.inner.finish();
        let error = |msg: &str| usage_error(Some(topic), msg);
        if let Some(opt) = rest
            .iter()
            .filter_map(|a| a.to_str())
            .find(|s| looks_like_option(s))
        {
            return Err(error(&refused_option(topic, opt)));
        }
        if let Some(extra) = rest.get(N) {
            return Err(error(&format!(
                "unexpected argument `{}`",
                extra.to_string_lossy()
            )));
        }
        if let Some(missing) = names.get(rest.len()) {
            return Err(error(&format!("{} needs {missing}", topic.name())));
        }
        let paths: Vec<PathBuf> = rest.into_iter().map(PathBuf::from).collect();
        paths
            .try_into()
            .map_err(|_| error("wrong number of arguments"))
    }
}

/// Why `arg`, an option the command did not take, is refused.
fn refused_option(topic: Topic, arg: &str) -> String {
    let key = arg.split('=').next().unwrap_or(arg);
    let known = |list: &[Opt]| list.iter().any(|o| o.is(key));
    if known(FLAGS) && arg.contains('=') {
        format!("{key} takes no value")
    } else if known(FLAGS) || known(WITH_VALUE) {
        format!("`bitsy {}` does not take {key}", topic.name())
    } else {
        format!("unknown option {key}")
    }
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
    let [torrent] = a.positionals(["a .torrent file"])?;
    Ok(Command::Download {
        torrent,
        out,
        config,
    })
}

fn seed(mut a: Args) -> Result<Command> {
    let mut config = peer_options(&mut a)?;
    config.seed = SeedPolicy::Forever;
    let [torrent, data] = a.positionals(["a .torrent file", "the data's PATH"])?;
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
    c.quiet = a.flag(value::QUIET);
    c.verbose = a.flag(value::VERBOSE);
    Ok(c)
}

fn create(mut a: Args) -> Result<Command> {
    let out = a
        .value(value::OUTPUT_TORRENT, value::path)?
        .ok_or_else(|| a.error("create needs -o OUT.torrent"))?;
    let trackers = a.values(value::TRACKER, value::text)?;
    if trackers.is_empty() {
        return Err(a.error("create needs at least one --tracker URL"));
    }
    for url in &trackers {
        if let Err(why) = scheme::check(url) {
            return Err(a.error(&format!("--tracker: cannot announce to {url:?}: {why}")));
        }
    }
    let web_seeds = a.values(value::WEBSEED, value::text)?;
    let piece_length = a.value(value::PIECE_LENGTH, value::piece_length)?;
    let private = a.flag(value::PRIVATE);
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
