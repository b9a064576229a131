//! Opening a torrent's files: what [`Storage::open`] does to the output
//! directory, and how [`Storage::open_existing`] looks at it read-only.
//!
//! [`Storage::open`], for a download:
//! - creates the output directory, missing directories and missing files,
//!   and sets every file to its final length. `set_len` makes sparse
//!   files, so this costs no disk space until written; a full disk shows
//!   up later as a write error naming the file.
//! - an existing file *shorter* than the torrent's is extended (its data is
//!   kept, to be checked by [`super::check_existing`]); an existing file
//!   *longer* than the torrent's is refused, not truncated: it is probably
//!   some other file, and cutting it would destroy data the user may want.
//!   The error names the file and says to move it away.
//! - zero-length files are created empty; they own no piece bytes, so they
//!   are never read or hashed.
//! - pad files (BEP 47) are never created, written or read: reading a pad
//!   range gives zeros, and writing one is a no-op.
//!
//! [`Storage::open_existing`], for `bitsy verify`, opens every file
//! read-only and never creates or resizes anything: a missing file is
//! recorded (its length is `None`), not created.
//!
//! Both refuse, with an error naming the path: a root that is not a
//! directory, a directory where the torrent has a file, and (`open`) a file
//! where the torrent has a directory. Permission errors name the path too.

use super::layout::Layout;
use super::{Disk, FileSpec, Handle, MAX_OPEN_FILES, Storage, other};
use crate::error::Error;
use crate::geometry::Geometry;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

impl Storage {
    /// Opens `files` under `root` for downloading: creates `root`, missing
    /// directories and files, and sets each file to its length (see the
    /// module docs for what happens to existing files).
    pub fn open(root: &Path, files: Vec<FileSpec>, geometry: Geometry) -> Result<Storage, Error> {
        let layout = Layout::new(files, geometry).map_err(|e| Error::Torrent(e.to_string()))?;
        match fs::metadata(root) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(Error::io(root, other("is not a directory".into()))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir_all(root).map_err(|e| Error::io(root, e))?;
            }
            Err(e) => return Err(Error::io(root, e)),
        }
        let mut disks = Vec::with_capacity(layout.files().len());
        let mut open = 0;
        for slot in layout.files() {
            let path = root.join(&slot.path);
            if slot.pad {
                disks.push(Disk::absent(path));
                continue;
            }
            if let Some(parent) = slot.path.parent() {
                make_dirs(root, parent)?;
            }
            let before = existing_len(&path)?;
            if let Some(len) = before.filter(|&len| len > slot.length) {
                let msg = format!(
                    "exists with {len} bytes, more than the torrent's {}; \
                     bitsy does not truncate files: move it away",
                    slot.length
                );
                return Err(Error::io(path, other(msg)));
            }
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|e| Error::io(&path, e))?;
            if before != Some(slot.length) {
                file.set_len(slot.length).map_err(|e| Error::io(&path, e))?;
            }
            disks.push(Disk {
                handle: keep(file, slot.length, &mut open),
                before: before.unwrap_or(0),
                on_disk: Some(slot.length),
                path,
            });
        }
        Ok(Storage::new(layout, disks, true))
    }

    /// Opens `files` under `root` read-only, to check them: creates and
    /// resizes nothing. A missing file is recorded (see [`Storage::file_len`]);
    /// a missing `root` or a directory where a file should be is an error.
    pub fn open_existing(
        root: &Path,
        files: Vec<FileSpec>,
        geometry: Geometry,
    ) -> Result<Storage, Error> {
        let layout = Layout::new(files, geometry).map_err(|e| Error::Torrent(e.to_string()))?;
        let meta = fs::metadata(root).map_err(|e| Error::io(root, e))?;
        if !meta.is_dir() {
            return Err(Error::io(root, other("is not a directory".into())));
        }
        let mut disks = Vec::with_capacity(layout.files().len());
        let mut open = 0;
        for slot in layout.files() {
            let path = root.join(&slot.path);
            let len = match slot.pad {
                true => None,
                false => existing_len(&path)?,
            };
            let Some(len) = len else {
                disks.push(Disk::absent(path));
                continue;
            };
            let file = File::open(&path).map_err(|e| Error::io(&path, e))?;
            disks.push(Disk {
                handle: keep(file, slot.length, &mut open),
                before: len.min(slot.length),
                on_disk: Some(len),
                path,
            });
        }
        Ok(Storage::new(layout, disks, false))
    }
}

impl Disk {
    fn absent(path: PathBuf) -> Disk {
        Disk {
            path,
            handle: Handle::None,
            before: 0,
            on_disk: None,
        }
    }
}

/// Keeps `file` open unless it is empty or too many files are open already.
fn keep(file: File, length: u64, open: &mut usize) -> Handle {
    if length == 0 {
        Handle::None
    } else if *open < MAX_OPEN_FILES {
        *open += 1;
        Handle::Open(file)
    } else {
        Handle::Reopen
    }
}

/// The length of the regular file at `path`, `None` if nothing is there
/// (or a parent is not a directory). A directory there is an error, and so
/// is a FIFO or device: opening a FIFO to read would block forever.
fn existing_len(path: &Path) -> Result<Option<u64>, Error> {
    match fs::metadata(path) {
        Ok(m) if m.is_file() => Ok(Some(m.len())),
        Ok(m) => {
            let msg = match m.is_dir() {
                true => "is a directory, where the torrent has a file",
                false => "is not a regular file",
            };
            Err(Error::io(path, other(msg.into())))
        }
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(Error::io(path, e)),
    }
}

/// Creates `root/rel` one component at a time, so that a file in the way
/// is named in the error.
fn make_dirs(root: &Path, rel: &Path) -> Result<(), Error> {
    let mut dir = root.to_path_buf();
    for part in rel.components() {
        dir.push(part);
        match fs::metadata(&dir) {
            Ok(m) if m.is_dir() => continue,
            Ok(_) => {
                let msg = "is a file, where the torrent has a directory";
                return Err(Error::io(&dir, other(msg.into())));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(&dir, e)),
        }
        match fs::create_dir(&dir) {
            Err(e) if e.kind() != io::ErrorKind::AlreadyExists => {
                return Err(Error::io(&dir, e));
            }
            _ => {}
        }
    }
    Ok(())
}
