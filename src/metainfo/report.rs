//! What `bitsy info` prints (the magnet link it shows is written by `magnet`).

use super::{Metainfo, to_hex};

impl Metainfo {
    /// The text `bitsy info` prints.
    pub fn report(&self) -> String {
        let g = &self.geometry;
        let mut out = format!(
            "name:       {}\ninfohash:   {}\nsize:       {}\npieces:     {} x {}\n",
            self.name,
            to_hex(&self.info_hash),
            size(g.total_len()),
            g.num_pieces(),
            size(g.nominal_piece_len()),
        );
        let real = self.files.iter().filter(|f| !f.pad).count();
        out.push_str(&format!("files:      {real} (numbered for --select)\n"));
        // Numbers as `--select` takes them (`selection::numbered`): pad
        // files are listed, marked, and not numbered.
        let width = real.to_string().len();
        let mut numbers = crate::selection::numbered(&self.files).map(|(n, ..)| n);
        for f in &self.files {
            let (number, pad) = match f.pad {
                true => (String::new(), "  (pad file)"),
                false => (numbers.next().map_or(String::new(), |n| n.to_string()), ""),
            };
            out.push_str(&format!(
                "  {number:>width$}  {}  {}{pad}\n",
                f.path.display(),
                size(f.length)
            ));
        }
        if !self.path_fixes.is_empty() {
            out.push_str("path fixes: (paths changed so they can be written safely)\n");
            for fix in &self.path_fixes {
                out.push_str(&format!("  {fix}\n"));
            }
        }
        out.push_str(if self.trackers.is_empty() {
            "trackers:   none\n"
        } else {
            "trackers:\n"
        });
        for (i, tier) in self.trackers.iter().enumerate() {
            out.push_str(&format!(
                "  tier {}: {}\n",
                i + 1,
                printable(&tier.join(" "))
            ));
        }
        if !self.web_seeds.is_empty() {
            let seeds = printable(&self.web_seeds.join(" "));
            out.push_str(&format!("web seeds:  {seeds}\n"));
        }
        let private = if self.private { "yes" } else { "no" };
        out.push_str(&format!("private:    {private}\n"));
        if let Some(c) = &self.comment {
            out.push_str(&format!("comment:    {}\n", printable(c)));
        }
        if let Some(c) = &self.created_by {
            out.push_str(&format!("created by: {}\n", printable(c)));
        }
        out.push_str(&format!("magnet:     {}\n", self.magnet_link()));
        out
    }
}

/// Free text from the torrent with its control characters escaped
/// (`\u{1b}`, `\n`), so a hostile comment cannot move the cursor, clear
/// the screen or forge lines on the user's terminal.
pub(crate) fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// "95000 bytes (92.8 KiB)".
fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes as f64;
    let mut unit = None;
    for u in UNITS {
        if value < 1024.0 {
            break;
        }
        value /= 1024.0;
        unit = Some(u);
    }
    match unit {
        Some(u) => format!("{bytes} bytes ({value:.1} {u})"),
        None => format!("{bytes} bytes"),
    }
}

#[cfg(test)]
mod printable_tests {
    use super::printable;

    #[test]
    fn control_characters_are_escaped() {
        let table = [
            ("plain text, ünïcode", "plain text, ünïcode"),
            ("\x1b[2Jgone", "\\u{1b}[2Jgone"),
            ("two\nlines", "two\\nlines"),
            ("bell\u{7}", "bell\\u{7}"),
        ];
        for (raw, shown) in table {
            assert_eq!(printable(raw), shown, "{raw:?}");
        }
    }
}
