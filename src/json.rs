//! A tiny JSON writer: one object, built field by field, on one line.
//!
//! bitsy only ever *writes* JSON (the `--json` event stream, see
//! `event`), and only flat objects with strings, integers, numbers,
//! booleans, `null`, arrays of strings and arrays of such objects. This module is that and
//! nothing more, so no JSON crate is needed at run time.
//!
//! Invariants:
//! - The output is valid JSON (RFC 8259) whatever the input: strings are
//!   escaped (`"`, `\` and every control character U+0000..U+001F), and a
//!   number that JSON cannot hold (NaN, infinities) is written `null`.
//! - The output never contains a raw newline, so one object is one line
//!   (NDJSON).
//!
//! What it deliberately does not do: parse JSON, pretty-print, check that
//! keys are unique (callers use fixed keys), or escape non-ASCII (JSON text
//! is UTF-8, and Rust strings are valid UTF-8 already).

use std::fmt::Write;
use std::time::Duration;

/// A JSON object being written: `{"a":1,"b":"x"}`.
#[derive(Debug, Clone)]
pub struct Object {
    buf: String,
    empty: bool,
}

impl Default for Object {
    fn default() -> Self {
        Object::new()
    }
}

impl Object {
    /// An empty object (`{`, closed by [`Object::finish`]).
    pub fn new() -> Object {
        Object {
            buf: String::from("{"),
            empty: true,
        }
    }

    /// Writes `"key":` (with the comma before it when needed).
    fn key(&mut self, key: &str) -> &mut String {
        if !std::mem::take(&mut self.empty) {
            self.buf.push(',');
        }
        write_str(&mut self.buf, key);
        self.buf.push(':');
        &mut self.buf
    }

    /// A string field.
    pub fn str(mut self, key: &str, value: &str) -> Object {
        write_str(self.key(key), value);
        self
    }

    /// A string field, or `null` when there is none.
    pub fn opt_str(self, key: &str, value: Option<&str>) -> Object {
        match value {
            Some(v) => self.str(key, v),
            None => self.null(key),
        }
    }

    /// An unsigned integer field.
    pub fn uint(mut self, key: &str, value: u64) -> Object {
        let _ = write!(self.key(key), "{value}");
        self
    }

    /// An unsigned integer field, or `null` when there is none.
    pub fn opt_uint(self, key: &str, value: Option<u64>) -> Object {
        match value {
            Some(v) => self.uint(key, v),
            None => self.null(key),
        }
    }

    /// A number field; `null` when it is not finite.
    pub fn float(mut self, key: &str, value: f64) -> Object {
        write_f64(self.key(key), value);
        self
    }

    /// A duration in seconds with millisecond precision (`12.345`).
    pub fn seconds(mut self, key: &str, value: Duration) -> Object {
        write_seconds(self.key(key), value);
        self
    }

    /// A boolean field.
    pub fn bool(mut self, key: &str, value: bool) -> Object {
        self.key(key).push_str(if value { "true" } else { "false" });
        self
    }

    /// A `null` field.
    pub fn null(mut self, key: &str) -> Object {
        self.key(key).push_str("null");
        self
    }

    /// An array of objects.
    pub fn objects(mut self, key: &str, items: impl IntoIterator<Item = Object>) -> Object {
        let out = self.key(key);
        out.push('[');
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&item.finish());
        }
        out.push(']');
        self
    }

    /// An array of strings.
    pub fn strs<'s>(mut self, key: &str, items: impl IntoIterator<Item = &'s str>) -> Object {
        let out = self.key(key);
        out.push('[');
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_str(out, item);
        }
        out.push(']');
        self
    }

    /// The object's text, closed.
    pub fn finish(mut self) -> String {
        self.buf.push('}');
        self.buf
    }
}

/// Appends `s` as a JSON string, quoted and escaped (RFC 8259 §7).
pub fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends a number; `null` for NaN and the infinities, which JSON lacks.
/// Rust's `Display` of a finite `f64` never uses an exponent and is
/// always valid JSON (`0.5`, `3`, `-0`, `1000000000000000000000`).
pub fn write_f64(out: &mut String, v: f64) {
    if v.is_finite() {
        let _ = write!(out, "{v}");
    } else {
        out.push_str("null");
    }
}

/// Appends a duration as seconds with three decimals (`1.005`), from
/// integers, so no rounding of a float shows.
pub fn write_seconds(out: &mut String, d: Duration) {
    let _ = write!(out, "{}.{:03}", d.as_secs(), d.subsec_millis());
}

#[cfg(test)]
mod tests;
