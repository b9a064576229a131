//! The arguments of one command, as its options are taken out: steps 2
//! and 3 of `parse` (see there).
//!
//! [`Args`] wraps pico-args, which finds an option by name anywhere. A
//! value goes through its parser from `value` and any error names the
//! option; a value option given twice is refused; a flag may repeat.
//! [`Args::positionals`] comes last: whatever option is still there was
//! not one this command takes, and is refused by name.

use super::value::{FLAGS, Opt, WITH_VALUE};
use super::{Topic, usage};
use crate::error::{Error, Result};
use std::ffi::OsString;
use std::path::PathBuf;

/// The arguments of one command, as options are taken out.
pub(super) struct Args {
    topic: Topic,
    inner: pico_args::Arguments,
}

impl Args {
    /// `args` without the command word.
    pub(super) fn new(topic: Topic, args: Vec<OsString>) -> Args {
        Args {
            topic,
            inner: pico_args::Arguments::from_vec(args),
        }
    }

    /// A usage error that points at this command's help.
    pub(super) fn error(&self, msg: &str) -> Error {
        usage_error(Some(self.topic), msg)
    }

    /// Whether the flag was given (any number of times).
    pub(super) fn flag(&mut self, flag: Opt) -> bool {
        let mut seen = false;
        while self.inner.contains(flag.keys()) {
            seen = true;
        }
        seen
    }

    /// The option's value, parsed; at most once.
    pub(super) fn value<T>(&mut self, opt: Opt, parse: fn(&str) -> Option<T>) -> Result<Option<T>> {
        let Some(text) = self.text(opt)? else {
            return Ok(None);
        };
        if self.text(opt)?.is_some() {
            return Err(self.error(&format!("{} given more than once", opt.long)));
        }
        self.parsed(opt, &text, parse).map(Some)
    }

    /// Every value of a repeatable option, parsed, in order.
    pub(super) fn values<T>(&mut self, opt: Opt, parse: fn(&str) -> Option<T>) -> Result<Vec<T>> {
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
    pub(super) fn positionals<const N: usize>(self, names: [&str; N]) -> Result<[PathBuf; N]> {
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

/// `--x`, or `-` and a letter. A lone `-` and `-1` are not options.
pub(super) fn looks_like_option(s: &str) -> bool {
    let b = s.as_bytes();
    (b.len() > 2 && b.starts_with(b"--"))
        || s == "--"
        || (b.len() >= 2 && b[0] == b'-' && b[1].is_ascii_alphabetic())
}

/// A usage error (exit 2) with a hint to the help of `topic`.
pub(super) fn usage_error(topic: Option<Topic>, msg: &str) -> Error {
    Error::Usage(format!("{msg}\n{}", usage::hint(topic)))
}
