//! Renaming files whose paths clash, after every component was cleaned.
//!
//! Two kinds of clash keep files from being created side by side: two
//! files with one path, and a file whose path is a folder of another file
//! (`a` and `a/b`). The first file of a path keeps it; a later one, and a
//! file that is also a folder, is renamed `stem.N.ext` (`a.txt` ->
//! `a.1.txt`, `a` -> `a.1`), like libtorrent. Folders are never renamed,
//! so a rename touches only the last component.
//!
//! `N` is the smallest number (from 1, counted per original path) whose
//! name is neither any file's or folder's original path (so a rename never
//! steals a later file's own name) nor an earlier rename. Files are
//! visited in torrent order, so the result is deterministic.
//!
//! Pad files (BEP 47) are never written: they take part in nothing here.
//!
//! Cost: the paths are put in a tree (one node per folder or file, keyed
//! by parent and name), so the work is linear in the number of components
//! even for hostile torrents with deep paths. Each failed candidate is a
//! distinct node or earlier rename, so the attempts are bounded by the
//! number of nodes plus files; [`resolve_clashes`] stops with an error
//! past that bound.

use std::collections::{HashMap, HashSet};

use super::{Fix, PathError, fit, split_extension};

/// Node 0 is the torrent's folder.
const ROOT: usize = 0;

/// The original paths of the real files as a tree of nodes.
struct Tree<'a> {
    /// (parent node, name) -> node.
    nodes: HashMap<(usize, &'a str), usize>,
    /// By node: whether it has children (is a folder).
    folder: Vec<bool>,
}

/// A file's place in the [`Tree`].
#[derive(Copy, Clone)]
struct Leaf {
    parent: usize,
    node: usize,
}

impl<'a> Tree<'a> {
    /// Adds `path` and returns where it ends.
    fn insert(&mut self, path: &'a [String]) -> Leaf {
        let mut leaf = Leaf {
            parent: ROOT,
            node: ROOT,
        };
        for name in path {
            leaf.parent = leaf.node;
            let fresh = self.folder.len();
            leaf.node = *self
                .nodes
                .entry((leaf.parent, name.as_str()))
                .or_insert(fresh);
            if leaf.node == fresh {
                self.folder.push(false);
            }
            if let Some(f) = self.folder.get_mut(leaf.parent) {
                *f = true;
            }
        }
        leaf
    }

    fn is_folder(&self, node: usize) -> bool {
        self.folder.get(node).copied().unwrap_or(false)
    }
}

/// Renames clashing real files in place. `exempt[i]` marks pad files.
/// Returns the index and reason of each file renamed, in order.
pub fn resolve_clashes(
    paths: &mut [Vec<String>],
    exempt: &[bool],
) -> Result<Vec<(usize, Fix)>, PathError> {
    let renames = plan(paths, exempt)?;
    let mut out = Vec::with_capacity(renames.len());
    for (i, why, name) in renames {
        if let Some(last) = paths.get_mut(i).and_then(|p| p.last_mut()) {
            *last = name;
            out.push((i, why));
        }
    }
    Ok(out)
}

/// Which files get which new last component, without changing anything.
fn plan(paths: &[Vec<String>], exempt: &[bool]) -> Result<Vec<(usize, Fix, String)>, PathError> {
    let real = |i: usize| !exempt.get(i).copied().unwrap_or(false);
    let components: usize = paths.iter().map(Vec::len).sum();
    let mut tree = Tree {
        nodes: HashMap::with_capacity(components),
        folder: Vec::with_capacity(components + 1),
    };
    tree.folder.push(false); // the root
    let leaves: Vec<Option<Leaf>> = (0..paths.len())
        .map(|i| real(i).then(|| tree.insert(&paths[i])))
        .collect();
    let mut budget = 2 * (tree.nodes.len() + paths.len()) + 1;
    let mut used: HashSet<usize> = HashSet::with_capacity(paths.len());
    let mut new_names: HashSet<(usize, String)> = HashSet::new();
    let mut next: HashMap<usize, u64> = HashMap::new();
    let mut renames = Vec::new();
    for (i, leaf) in leaves.into_iter().enumerate() {
        let (Some(Leaf { parent, node }), Some(last)) = (leaf, paths[i].last()) else {
            continue;
        };
        let why = if tree.is_folder(node) {
            Fix::FileIsFolder
        } else if !used.insert(node) {
            Fix::Duplicate
        } else {
            continue;
        };
        let n = next.entry(node).or_insert(1);
        let name = loop {
            budget = budget.checked_sub(1).ok_or(PathError::TooManyClashes)?;
            let (stem, ext) = split_extension(last);
            let name = fit(stem, &format!(".{n}{ext}"));
            *n += 1;
            let taken = tree.nodes.contains_key(&(parent, name.as_str()))
                || new_names.contains(&(parent, name.clone()));
            if !taken {
                break name;
            }
        };
        new_names.insert((parent, name.clone()));
        renames.push((i, why, name));
    }
    Ok(renames)
}
