//! Where a torrent's files go on disk.
//!
//! `bitsy download` writes under an output directory, at the paths the
//! torrent names (`OUT/name` or `OUT/name/dir/file`). `bitsy seed` and
//! `bitsy verify` are given the data itself: the file of a single-file
//! torrent or the folder of a multi-file one, or the folder that holds
//! either. This module turns both into a storage root plus relative paths.
//!
//! Both give storage the metainfo's own [`FileEntry`]s (lengths, offsets
//! and pad flags unchanged), only with paths relative to the new root.
//! Those paths come from `metainfo`, where every component was checked to
//! be one normal path part; this module only drops the leading `name` or
//! puts the data's own file name in its place, so joining them under a
//! root cannot escape it.

use crate::metainfo::{FileEntry, Metainfo};
use std::path::{Component, Path, PathBuf};

/// Files under `out_dir` exactly as the torrent names them.
pub fn for_download(meta: &Metainfo, out_dir: &Path) -> (PathBuf, Vec<FileEntry>) {
    (out_dir.to_path_buf(), meta.files.clone())
}

/// Files of existing data at `data`: the content itself, or its parent.
pub fn for_existing(meta: &Metainfo, data: &Path) -> (PathBuf, Vec<FileEntry>) {
    let content = if data.join(&meta.name).exists() && data.is_dir() && !named(data, &meta.name) {
        data.join(&meta.name)
    } else {
        data.to_path_buf()
    };
    if !meta.multi_file {
        // Single file: the root is its folder, the path its own name.
        let root = content
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let file = content
            .file_name()
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(&meta.name));
        let files = meta
            .files
            .iter()
            .map(|f| FileEntry {
                path: file.clone(),
                ..f.clone()
            })
            .collect();
        return (root, files);
    }
    // Multi-file: drop the leading `name` component of every path.
    let files = meta
        .files
        .iter()
        .map(|f| FileEntry {
            path: f
                .path
                .components()
                .skip(1)
                .filter_map(|c| match c {
                    Component::Normal(s) => Some(s),
                    _ => None,
                })
                .collect(),
            ..f.clone()
        })
        .collect();
    (content, files)
}

fn named(path: &Path, name: &str) -> bool {
    path.file_name().is_some_and(|n| n == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::testutil::TempDir;

    fn fixture(name: &str) -> Metainfo {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("data")
            .join(name);
        Metainfo::load(&path).unwrap()
    }

    /// Only the paths change: lengths, offsets and pad flags are the
    /// metainfo's own.
    fn same_but_paths(got: &[FileEntry], meta: &Metainfo) {
        assert_eq!(got.len(), meta.files.len());
        for (g, m) in got.iter().zip(&meta.files) {
            assert_eq!((g.length, g.offset, g.pad), (m.length, m.offset, m.pad));
        }
    }

    #[test]
    fn existing_data_gets_paths_relative_to_itself() {
        let dir = TempDir::new("layout");
        let multi = fixture("mktorrent-multi.torrent");
        let single = fixture("mktorrent-single.torrent");
        std::fs::create_dir_all(dir.path().join(&multi.name)).unwrap();
        let content = dir.path().join(&multi.name);
        let stripped: Vec<PathBuf> = multi
            .files
            .iter()
            .map(|f| f.path.strip_prefix(&multi.name).unwrap().to_path_buf())
            .collect();
        // (torrent, PATH given, root wanted, relative paths wanted)
        let renamed = vec![PathBuf::from("renamed.bin")];
        let table: &[(&Metainfo, PathBuf, PathBuf, &[PathBuf])] = &[
            (&multi, content.clone(), content.clone(), &stripped),
            // The folder holding the content.
            (&multi, dir.path().to_path_buf(), content.clone(), &stripped),
            // A single file under any name: its folder is the root.
            (
                &single,
                dir.path().join("renamed.bin"),
                dir.path().to_path_buf(),
                &renamed,
            ),
        ];
        for (meta, data, root, paths) in table {
            let (got_root, files) = for_existing(meta, data);
            assert_eq!(&got_root, root, "{}", data.display());
            let got: Vec<PathBuf> = files.iter().map(|f| f.path.clone()).collect();
            assert_eq!(&got, paths, "{}", data.display());
            same_but_paths(&files, meta);
        }
        let (root, files) = for_download(&multi, dir.path());
        assert_eq!((root.as_path(), &files), (dir.path(), &multi.files));
    }
}
