//! Opening a torrent's files: what [`Storage::open`] checks and opens for
//! a download, and how [`Storage::open_existing`] looks at data read-only.
//!
//! [`Storage::open`], for a download, creates and writes nothing:
//! - it checks up front, without writing, what would make a later write
//!   fail, so errors still come before any peer is contacted: a file
//!   where the torrent has a directory; a directory, FIFO or device where
//!   it has a file; an existing file *longer* than the torrent's (refused,
//!   not truncated: it is probably some other file, and cutting it would
//!   destroy data the user may want; the error says to move it away); and
//!   a folder that new files or folders would go in but that we may not
//!   write (a best-effort look at the mode bits: it refuses only when no
//!   write bit can apply to us, and trusts root and ACLs).
//! - it opens the files already on disk for reading and writing. One
//!   *shorter* than the torrent's is extended to its length: its data is
//!   kept, to be checked by [`super::check_existing`], and the new tail is
//!   sparse zeros.
//! - files not on disk are created, with their folders and the output
//!   directory, when the first verified piece touching them is written
//!   (see `disk.rs`); zero-length ones when the download is complete
//!   ([`Storage::create_empty_files`]). A download that never gets a
//!   piece leaves the disk as it found it.
//! - pad files (BEP 47) are never created, written or read: reading a pad
//!   range gives zeros, and writing one is a no-op.
//!
//! [`Storage::open_existing`], for `bitsy seed` and `bitsy verify`, opens
//! every file read-only and never creates, resizes or writes anything: the
//! bytes, sizes and modification times stay as they were. A missing file
//! is recorded (its length is `None`), and a missing root means every file
//! is missing; the caller reports the data as incomplete.
//!
//! With a `--select` [`Choice`], a file not selected is only looked at:
//! if it is there it is opened read-only, never extended nor refused for
//! its length; if it is not (or something else is at its path), nothing
//! is checked about making it. The
//! part file is opened if it exists (`partfile.rs`).
//!
//! Both refuse, with an error naming the path, a root that is not a
//! directory and anything but a regular file where the torrent has a file
//! (opening a FIFO would block forever). Permission errors name the path
//! too. Paths themselves are not checked here: metainfo owns that.

use super::disk::{Disk, not_a_directory};
use super::layout::Layout;
use super::partfile::Partfile;
use super::{Choice, MAX_OPEN_FILES, Storage, other};
use crate::error::Error;
use crate::geometry::Geometry;
use crate::metainfo::FileEntry;
use std::fs::{self, File, Metadata, OpenOptions};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

impl Storage {
    /// Opens `files` under `root` for downloading: checks what it can
    /// without writing and opens the files already there (see the module
    /// docs); creates nothing.
    pub fn open(root: &Path, files: Vec<FileEntry>, geometry: Geometry) -> Result<Storage, Error> {
        Storage::open_with(root, files, geometry, Choice::default())
    }

    /// [`Storage::open`] for the files of `choice` only.
    pub fn open_with(
        root: &Path,
        files: Vec<FileEntry>,
        geometry: Geometry,
        choice: Choice,
    ) -> Result<Storage, Error> {
        let layout = Layout::new(files, geometry).map_err(|e| Error::Torrent(e.to_string()))?;
        let root_exists = match fs::metadata(root) {
            Ok(m) if m.is_dir() => true,
            Ok(_) => return Err(Error::io(root, other("is not a directory".into()))),
            Err(e) if is_missing(&e) => {
                may_create_in(&nearest_dir(root)?)?;
                false
            }
            Err(e) => return Err(Error::io(root, e)),
        };
        let mut keep = keep_open();
        let mut disks = Vec::with_capacity(layout.files().len());
        for (i, entry) in layout.files().iter().enumerate() {
            let path = root.join(&entry.path);
            let keep = keep(entry);
            let chosen = choice.selection.as_ref().is_none_or(|s| s.is_chosen(i));
            let disk = match (entry.pad || !root_exists, chosen) {
                (true, _) => Disk::absent(path, keep),
                (false, true) => open_for_download(root, entry, path, keep)?,
                // Never ours to write: whatever is in the way is left be.
                (false, false) => {
                    open_to_read(entry, path.clone(), keep).unwrap_or(Disk::absent(path, keep))
                }
            };
            disks.push(disk);
        }
        let parts = open_parts(&choice, geometry, true)?;
        let root = root.to_path_buf();
        Ok(Storage::new(
            layout,
            root,
            disks,
            true,
            choice.selection,
            (parts, choice.resume),
        ))
    }

    /// Opens `files` under `root` read-only, to check or seed them:
    /// creates, resizes and writes nothing. A missing file, or a missing
    /// `root`, is recorded (see [`Storage::file_len`]); a directory where a
    /// file should be is an error.
    pub fn open_existing(
        root: &Path,
        files: Vec<FileEntry>,
        geometry: Geometry,
    ) -> Result<Storage, Error> {
        Storage::open_existing_with(root, files, geometry, Choice::default())
    }

    /// [`Storage::open_existing`] for the files of `choice` (the others
    /// are looked at the same way, but count for nothing).
    pub fn open_existing_with(
        root: &Path,
        files: Vec<FileEntry>,
        geometry: Geometry,
        choice: Choice,
    ) -> Result<Storage, Error> {
        let layout = Layout::new(files, geometry).map_err(|e| Error::Torrent(e.to_string()))?;
        let root_exists = match fs::metadata(root) {
            Ok(m) if m.is_dir() => true,
            Ok(_) => return Err(Error::io(root, other("is not a directory".into()))),
            Err(e) if is_missing(&e) => false,
            Err(e) => return Err(Error::io(root, e)),
        };
        let mut keep = keep_open();
        let mut disks = Vec::with_capacity(layout.files().len());
        for entry in layout.files() {
            let path = root.join(&entry.path);
            let keep = keep(entry);
            disks.push(match entry.pad || !root_exists {
                true => Disk::absent(path, keep),
                false => open_to_read(entry, path, keep)?,
            });
        }
        let parts = open_parts(&choice, geometry, false)?;
        let root = root.to_path_buf();
        Ok(Storage::new(
            layout,
            root,
            disks,
            false,
            choice.selection,
            // Read-only storage never trusts nor writes a resume state.
            (parts, None),
        ))
    }
}

/// One file opened read-only, as it is, if it is there.
fn open_to_read(entry: &FileEntry, path: PathBuf, keep: bool) -> Result<Disk, Error> {
    let Some(len) = existing_len(&path)? else {
        return Ok(Disk::absent(path, keep));
    };
    let file = File::open(&path).map_err(|e| Error::io(&path, e))?;
    Ok(Disk::existing(path, file, keep, len.min(entry.length), len))
}

/// The part file of `choice`, if it names one (opened if it exists).
fn open_parts(choice: &Choice, g: Geometry, writable: bool) -> Result<Option<Partfile>, Error> {
    match &choice.parts {
        Some(path) => Ok(Some(Partfile::open(path.clone(), g, writable)?)),
        None => Ok(None),
    }
}

/// Decides, file by file in order, which are kept open once they exist:
/// the first [`MAX_OPEN_FILES`] that hold bytes (pad and zero-length files
/// are never read).
fn keep_open() -> impl FnMut(&FileEntry) -> bool {
    let mut kept = 0;
    move |entry| {
        let keep = !entry.pad && entry.length > 0 && kept < MAX_OPEN_FILES;
        kept += usize::from(keep);
        keep
    }
}

/// One file of a download under an existing `root`: opened if it is on
/// disk, else checked to be creatable later.
fn open_for_download(
    root: &Path,
    entry: &FileEntry,
    path: PathBuf,
    keep: bool,
) -> Result<Disk, Error> {
    let parent = entry.path.parent().unwrap_or(Path::new(""));
    let (deepest, all_there) = deepest_dir(root, parent)?;
    let before = match all_there {
        true => existing_len(&path)?,
        false => None,
    };
    let Some(before) = before else {
        may_create_in(&deepest)?;
        return Ok(Disk::absent(path, keep));
    };
    if before > entry.length {
        let msg = format!(
            "exists with {before} bytes, more than the torrent's {}; \
             bitsy does not truncate files: move it away",
            entry.length
        );
        return Err(Error::io(path, other(msg)));
    }
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    if before < entry.length {
        file.set_len(entry.length)
            .map_err(|e| Error::io(&path, e))?;
    }
    Ok(Disk::existing(path, file, keep, before, entry.length))
}

/// The deepest existing folder of `root/rel` (`root` exists), and whether
/// that is `root/rel` itself. Something other than a folder in the way is
/// an error naming it.
fn deepest_dir(root: &Path, rel: &Path) -> Result<(PathBuf, bool), Error> {
    let mut dir = root.to_path_buf();
    for part in rel.components() {
        let next = dir.join(part);
        match fs::metadata(&next) {
            Ok(m) if m.is_dir() => dir = next,
            Ok(_) => return Err(not_a_directory(&next).into()),
            Err(e) if is_missing(&e) => return Ok((dir, false)),
            Err(e) => return Err(Error::io(next, e)),
        }
    }
    Ok((dir, true))
}

/// The nearest existing ancestor of a missing `root`; it must be a folder.
fn nearest_dir(root: &Path) -> Result<PathBuf, Error> {
    for above in root.ancestors().skip(1) {
        let above = match above.as_os_str().is_empty() {
            true => Path::new("."),
            false => above,
        };
        match fs::metadata(above) {
            Ok(m) if m.is_dir() => return Ok(above.to_path_buf()),
            Ok(_) => return Err(Error::io(above, other("is not a directory".into()))),
            Err(e) if is_missing(&e) => continue,
            Err(e) => return Err(Error::io(above, e)),
        }
    }
    Err(Error::io(
        root,
        other("has no existing folder above it".into()),
    ))
}

/// Refuses `dir` if its mode bits say we cannot create anything in it.
fn may_create_in(dir: &Path) -> Result<(), Error> {
    let meta: Metadata = fs::metadata(dir).map_err(|e| Error::io(dir, e))?;
    match effective_uid() {
        Some(euid) if !mode_allows_create(meta.mode(), meta.uid(), euid) => {
            let msg = "no permission to create files or folders in it";
            Err(Error::io(
                dir,
                io::Error::new(io::ErrorKind::PermissionDenied, msg),
            ))
        }
        _ => Ok(()),
    }
}

/// Whether a folder's `mode` bits may let user `euid` create entries in
/// it. False only when they certainly do not: we own it and lack write or
/// search permission, or we do not own it and neither its group nor
/// others may write (our groups are unknown without libc; ACLs, which the
/// mode bits do not show, are ignored). Root may always.
fn mode_allows_create(mode: u32, owner: u32, euid: u32) -> bool {
    const OWNER_WRITE_SEARCH: u32 = 0o300;
    const GROUP_OR_OTHER_WRITE: u32 = 0o022;
    euid == 0
        || match owner == euid {
            true => mode & OWNER_WRITE_SEARCH == OWNER_WRITE_SEARCH,
            false => mode & GROUP_OR_OTHER_WRITE != 0,
        }
}

/// Our effective user id: `/proc/self` is owned by it (proc(5)). `None`
/// without `/proc`, and then no permission is checked up front.
fn effective_uid() -> Option<u32> {
    static EUID: OnceLock<Option<u32>> = OnceLock::new();
    *EUID.get_or_init(|| fs::metadata("/proc/self").ok().map(|m| m.uid()))
}

/// Nothing at the path: not found, or a parent is not a directory.
fn is_missing(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
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
        Err(e) if is_missing(&e) => Ok(None),
        Err(e) => Err(Error::io(path, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::mode_allows_create;

    #[test]
    fn mode_bits_refuse_only_what_certainly_fails() {
        const ME: u32 = 1000;
        const OTHER: u32 = 1001;
        // (mode, owner, euid, may create)
        let table: &[(u32, u32, u32, bool)] = &[
            (0o755, ME, ME, true),
            (0o555, ME, ME, false), // ours, no write bit
            (0o655, ME, ME, false), // ours, writable but not searchable
            (0o000, ME, 0, true),   // root may always
            (0o755, OTHER, ME, false),
            (0o775, OTHER, ME, true), // maybe in its group: not refused
            (0o757, OTHER, ME, true),
            (0o1777, OTHER, ME, true), // /tmp
        ];
        for &(mode, owner, euid, want) in table {
            let got = mode_allows_create(mode, owner, euid);
            assert_eq!(got, want, "mode {mode:o} owner {owner} euid {euid}");
        }
    }
}
