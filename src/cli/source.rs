//! Where a torrent comes from: a file, an `http(s)://` URL, or a magnet
//! link. Told apart once, when the command line is parsed
//! ([`TorrentSource::from_arg`]); a magnet link is read there too, so a
//! malformed one is refused before anything starts.
//!
//! A URL's .torrent is fetched (`fetch`) and checked like a file's.
//! `bitsy download URL` keeps a copy in the output folder, so the job can
//! be resumed or seeded without the URL:
//!
//! - named after the torrent, `NAME.torrent`, where NAME is the torrent's
//!   name already made safe by `metainfo` (one path component, never `..`);
//!   the URL's last segment is not used: it is often `download.php` or
//!   `?id=...` and would need its own cleaning. A NAME too long for
//!   `.torrent` to fit in 255 bytes gives `INFOHASH.torrent` instead;
//! - only ever inside the output folder;
//! - never over an existing file: the same bytes already there are left
//!   alone; a different file there is kept, and the copy is not saved
//!   (a message says so; the download goes on).
//!
//! Nothing is created (not even the output folder) until the .torrent
//! has been fetched and checked.

use super::fetch;
use crate::error::{Error, Result};
use crate::file_paths::MAX_COMPONENT_LEN;
use crate::magnet::Magnet;
use crate::metainfo::{Metainfo, to_hex};
use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

/// A torrent argument, told apart once at the edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TorrentSource {
    /// A .torrent file on disk.
    File(PathBuf),
    /// An `http://` or `https://` URL of a .torrent.
    Url(String),
    /// A magnet link (BEP 9): the metadata comes from peers (`magnet_job`).
    Magnet(Magnet),
}

/// The extension of the copy kept by `download`.
const EXTENSION: &str = ".torrent";

impl TorrentSource {
    /// A magnet link if `arg` starts with `magnet:?`, a URL if it starts
    /// with `http://` or `https://` (any case), else a file path. Other
    /// schemes are file names: `scheme` decides what can be fetched, when
    /// it is. A malformed magnet link is an error here.
    pub fn from_arg(arg: PathBuf) -> Result<TorrentSource> {
        if let Some(link) = arg.to_str().filter(|s| Magnet::is_link(s)) {
            return Magnet::parse(link)
                .map(TorrentSource::Magnet)
                .map_err(|e| Error::Torrent(format!("magnet link: {e}")));
        }
        let url = arg.to_str().filter(|s| {
            let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
            lower.starts_with("http://") || lower.starts_with("https://")
        });
        Ok(match url {
            Some(url) => TorrentSource::Url(url.to_string()),
            None => TorrentSource::File(arg),
        })
    }

    /// Reads (or fetches) and checks the .torrent.
    pub fn load(&self) -> Result<Metainfo> {
        self.load_bytes().map(|(meta, _)| meta)
    }

    /// [`load`](Self::load), and for a URL the fetched bytes too.
    fn load_bytes(&self) -> Result<(Metainfo, Option<Vec<u8>>)> {
        match self {
            TorrentSource::File(path) => Ok((Metainfo::load(path)?, None)),
            TorrentSource::Url(url) => {
                let bytes = fetch::fetch_torrent(url)?;
                let meta = Metainfo::from_bytes(&bytes)
                    .map_err(|e| Error::Torrent(format!("{url}: {e}")))?;
                Ok((meta, Some(bytes)))
            }
            TorrentSource::Magnet(_) => Err(Error::Usage(
                "a magnet link has no metadata until `bitsy download` fetches it from peers".into(),
            )),
        }
    }

    /// [`load`](Self::load) for `download`: a fetched .torrent is kept in
    /// `out` (see the module docs) once `check` accepts it (the job's own
    /// checks, such as `--select`, so a refused job keeps nothing). Returns the torrent and a sentence
    /// for the user about the copy, if one was made or refused.
    pub fn load_for_download(
        &self,
        out: &Path,
        check: &dyn Fn(&Metainfo) -> Result<()>,
    ) -> Result<(Metainfo, Option<String>)> {
        let (meta, bytes) = self.load_bytes()?;
        check(&meta)?;
        let Some(bytes) = bytes else {
            return Ok((meta, None));
        };
        let note = keep_copy(&meta, &bytes, out)?;
        Ok((meta, Some(note)))
    }
}

/// The file name of the kept copy.
pub fn copy_name(meta: &Metainfo) -> String {
    if meta.name.len() + EXTENSION.len() <= MAX_COMPONENT_LEN {
        format!("{}{EXTENSION}", meta.name)
    } else {
        format!("{}{EXTENSION}", to_hex(&meta.info_hash))
    }
}

/// Writes `bytes` to `out/NAME.torrent` unless a file is there; says what
/// happened.
pub(super) fn keep_copy(meta: &Metainfo, bytes: &[u8], out: &Path) -> Result<String> {
    fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let path = out.join(copy_name(meta));
    match OpenOptions::new().write(true).create_new(true).open(&path) {
        Ok(mut file) => {
            file.write_all(bytes).map_err(|e| Error::io(&path, e))?;
            Ok(format!("saved the .torrent as {}", path.display()))
        }
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {
            if fs::read(&path).is_ok_and(|there| there == bytes) {
                Ok(format!("the .torrent is already at {}", path.display()))
            } else {
                Ok(format!(
                    "not saving the .torrent: {} exists and is a different file",
                    path.display()
                ))
            }
        }
        Err(e) => Err(Error::io(&path, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_files_are_told_apart() {
        use TorrentSource::*;
        let table: &[(&str, TorrentSource)] = &[
            ("x.torrent", File("x.torrent".into())),
            ("http://h/x.torrent", Url("http://h/x.torrent".into())),
            ("HTTPS://h/x", Url("HTTPS://h/x".into())),
            ("https://h:8443/d?id=1", Url("https://h:8443/d?id=1".into())),
            ("ftp://h/x.torrent", File("ftp://h/x.torrent".into())),
            ("http:/x.torrent", File("http:/x.torrent".into())),
            ("http", File("http".into())),
            ("./http://x", File("./http://x".into())),
        ];
        for (arg, want) in table {
            assert_eq!(
                &TorrentSource::from_arg(PathBuf::from(arg)).unwrap(),
                want,
                "{arg}"
            );
        }
    }
}
