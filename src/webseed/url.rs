//! Where a web seed keeps each file: the URL forms of BEP 19.
//!
//! A `url-list` entry names a web server that holds the torrent's content
//! as plain files. BEP 19 gives two forms:
//!
//! ```text
//!   single-file torrent   URL as is             http://h/dl/file.iso
//!                         URL ending in '/'     http://h/dl/  + name
//!   multi-file torrent    URL (+ '/' if none)   http://h/dl/  + name/dir/file
//! ```
//!
//! Every path element (the name, each directory, the file) is
//! percent-encoded on its own, so a name with a space, '#', '?' or '/'
//! stays one element on the server. The base URL is taken as written.
//!
//! Only `http://` and `https://` are used. Anything else (`ftp://`,
//! `file://`, junk) is refused with a plain sentence, never fetched:
//! `file://` would read this machine's own files.
//!
//! What it deliberately does not do: parse the URL further (ureq does, and
//! rejects a bad host), or follow the original, unsanitised names of a
//! torrent whose paths `file_paths` had to fix (the server is asked for the
//! fixed names; such torrents are rare and say so when loaded).

use crate::metainfo::FileEntry;
use crate::tracker::announce::percent_encode_into;
use std::path::Component;

/// Why a `url-list` entry is not used.
pub fn refusal(url: &str) -> Option<String> {
    let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    match scheme.as_deref() {
        Some("http" | "https") if url.len() > "https://".len() => None,
        Some("http" | "https") => Some(format!("web seed {url:?} has no host")),
        Some(other) => Some(format!(
            "web seed {url:?}: {other}:// is not supported (only http and https)"
        )),
        None => Some(format!("web seed {url:?} is not an http(s) URL")),
    }
}

/// The URL of one file of the torrent on the web seed `base`.
///
/// `name` is the torrent's name; `file.path` is `name` for a single-file
/// torrent and `name/dir/.../file` for a multi-file one.
pub fn file_url(base: &str, name: &str, multi_file: bool, file: &FileEntry) -> String {
    let mut url = String::with_capacity(base.len() + 64);
    url.push_str(base);
    if !multi_file {
        if base.ends_with('/') {
            percent_encode_into(&mut url, name.as_bytes());
        }
        return url;
    }
    if !base.ends_with('/') {
        url.push('/');
    }
    let mut first = true;
    for c in file.path.components() {
        if let Component::Normal(part) = c {
            if !first {
                url.push('/');
            }
            first = false;
            percent_encode_into(&mut url, part.to_string_lossy().as_bytes());
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn file(path: &str) -> FileEntry {
        FileEntry {
            path: PathBuf::from(path),
            length: 1,
            offset: 0,
            pad: false,
        }
    }

    #[test]
    fn single_file_forms() {
        // (base, name, expected)
        let cases = [
            ("http://h/dl/file.iso", "file.iso", "http://h/dl/file.iso"),
            ("http://h/dl/other.iso", "file.iso", "http://h/dl/other.iso"),
            ("http://h/dl/", "file.iso", "http://h/dl/file.iso"),
            (
                "https://h:8443/",
                "a b#c?.iso",
                "https://h:8443/a%20b%23c%3F.iso",
            ),
            ("http://h/x?y=1", "f", "http://h/x?y=1"), // as is, query kept
        ];
        for (base, name, want) in cases {
            assert_eq!(file_url(base, name, false, &file(name)), want, "{base}");
        }
    }

    #[test]
    fn multi_file_forms() {
        // (base, path of the file, expected)
        let cases = [
            ("http://h/dl", "T/a.txt", "http://h/dl/T/a.txt"),
            ("http://h/dl/", "T/a.txt", "http://h/dl/T/a.txt"),
            (
                "http://h/",
                "T/sub dir/b%.bin",
                "http://h/T/sub%20dir/b%25.bin",
            ),
            ("http://h/", "Ünï/ç", "http://h/%C3%9Cn%C3%AF/%C3%A7"),
        ];
        for (base, path, want) in cases {
            let name = path.split('/').next().unwrap_or_default();
            assert_eq!(file_url(base, name, true, &file(path)), want, "{path}");
        }
    }

    #[test]
    fn only_http_and_https_are_used() {
        let cases = [
            ("http://h/f", true),
            ("HTTPS://h/f", true),
            ("ftp://h/f", false),
            ("file:///etc/passwd", false),
            ("junk", false),
            ("http://", false),
            ("", false),
            ("udp://h:1/", false),
        ];
        for (url, usable) in cases {
            assert_eq!(refusal(url).is_none(), usable, "{url}");
        }
        let why = refusal("ftp://h/f").unwrap_or_default();
        assert!(why.contains("only http and https"), "{why}");
    }
}
