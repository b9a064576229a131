//! One file of the torrent on disk: its path, whether it exists yet, and
//! how to reach it.
//!
//! A file that was not on disk when the storage was opened is created
//! (with its missing parent directories, and the output directory itself)
//! by [`Disk::create`] when the main thread writes the first verified piece
//! that touches it. It is created at its final length: `set_len` makes a
//! sparse file, so the bytes not yet written cost no disk space and read as
//! zeros; the resume check never hashes them (see `check.rs`).
//!
//! Whether the file exists is a [`OnceLock`], set at most once: at open if
//! the file was there, or by [`Disk::create`]. Peer threads only read, and
//! only verified pieces, which the main thread wrote (setting the lock)
//! before it told any peer it had them. So after the lock is set, readers
//! take no lock at all; before, a read is an error ("not written yet"),
//! never a panic or a wait.
//!
//! Once it exists, a file is reached one of two ways, fixed at open: kept
//! open for the storage's life (the first [`super::MAX_OPEN_FILES`] files
//! with bytes), or opened by path on each access (the rest), so a torrent
//! of 10,000 files never runs out of descriptors.
//!
//! Every access is positioned (`read_at`/`write_at`), so a `File` shared
//! between threads has no seek position to race on.

use super::PathError;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// One file's place on disk.
pub(super) struct Disk {
    /// The full path (root joined with the torrent's relative path).
    pub path: PathBuf,
    /// Set once the file exists: at open, or when it is first written.
    reach: OnceLock<Reach>,
    /// Keep the file open once it exists (false past `MAX_OPEN_FILES`,
    /// and for pad and zero-length files, which are never read).
    keep: bool,
    /// Bytes of this file that were on disk before we opened it, at most
    /// the torrent's length for it (0 for pad files and new files).
    pub before: u64,
    /// The file's length on disk once opened (after a download extended
    /// it); `None` if it was not there (or is a pad file).
    pub on_disk: Option<u64>,
}

/// How an existing file is reached.
enum Reach {
    /// Open for the storage's life.
    Open(File),
    /// Opened by path on each access.
    ByPath,
}

impl Disk {
    /// A file that is not on disk (yet), or a pad file (never).
    pub fn absent(path: PathBuf, keep: bool) -> Disk {
        Disk {
            path,
            reach: OnceLock::new(),
            keep,
            before: 0,
            on_disk: None,
        }
    }

    /// A file found on disk at open, as `file`.
    pub fn existing(path: PathBuf, file: File, keep: bool, before: u64, on_disk: u64) -> Disk {
        let disk = Disk {
            path,
            reach: OnceLock::new(),
            keep,
            before,
            on_disk: Some(on_disk),
        };
        disk.exists_as(file);
        disk
    }

    /// True once the file is on disk (found at open, or created since).
    pub fn exists(&self) -> bool {
        self.reach.get().is_some()
    }

    /// Records that the file exists, keeping `file` open if it should be.
    fn exists_as(&self, file: File) {
        let reach = match self.keep {
            true => Reach::Open(file),
            false => Reach::ByPath,
        };
        // Only the main thread sets it, once; a second set cannot happen,
        // and would only drop the extra handle.
        let _ = self.reach.set(reach);
    }

    /// Runs `f` on the file, opening it by path if it is not kept open
    /// (for writing too if `write`). A file that does not exist is an
    /// error naming it.
    pub fn with_file<T>(
        &self,
        write: bool,
        f: impl FnOnce(&File) -> io::Result<T>,
    ) -> Result<T, PathError> {
        let result = match self.reach.get() {
            Some(Reach::Open(file)) => f(file),
            Some(Reach::ByPath) => OpenOptions::new()
                .read(true)
                .write(write)
                .open(&self.path)
                .and_then(|file| f(&file)),
            None => Err(io::Error::new(
                io::ErrorKind::NotFound,
                "not on disk: no piece of it was written yet",
            )),
        };
        result.map_err(|source| self.error(source))
    }

    /// Creates the file at `length` bytes (sparse), with its missing
    /// parent directories from `root` down (`rel` is the torrent's relative
    /// path). Main thread only. A file that appeared at its path since the
    /// storage was opened is not ours: that is an error, not overwritten.
    pub fn create(&self, root: &Path, rel: &Path, length: u64) -> Result<(), PathError> {
        if self.exists() {
            return Ok(());
        }
        make_dirs(root, rel.parent().unwrap_or(Path::new("")))?;
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&self.path)
            .map_err(|e| self.error(e))?;
        file.set_len(length).map_err(|e| self.error(e))?;
        self.exists_as(file);
        Ok(())
    }

    fn error(&self, source: io::Error) -> PathError {
        PathError {
            path: self.path.clone(),
            source,
        }
    }
}

/// The error for a non-directory where the torrent needs a directory.
pub(super) fn not_a_directory(path: &Path) -> PathError {
    PathError {
        path: path.to_path_buf(),
        source: super::other("is a file, where the torrent has a directory".into()),
    }
}

/// Creates `root` (with its parents) and then `root/rel` one component at
/// a time, so that a file in the way is named in the error.
pub(super) fn make_dirs(root: &Path, rel: &Path) -> Result<(), PathError> {
    let at = |path: &Path| {
        let path = path.to_path_buf();
        move |source| PathError { path, source }
    };
    fs::create_dir_all(root).map_err(at(root))?;
    let mut dir = root.to_path_buf();
    for part in rel.components() {
        dir.push(part);
        match fs::metadata(&dir) {
            Ok(m) if m.is_dir() => continue,
            Ok(_) => return Err(not_a_directory(&dir)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(at(&dir)(e)),
        }
        match fs::create_dir(&dir) {
            Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(at(&dir)(e)),
            _ => {}
        }
    }
    Ok(())
}
