//! Unit tests for `create`.

use super::*;
use crate::metainfo::to_hex;
use std::os::unix::fs::symlink;

/// A scratch directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("bitsy-create-{}-{tag}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    /// Writes a file with data/make-fixtures.sh's pattern.
    fn file(&self, rel: &str, len: u64, seed: u64) -> PathBuf {
        let path = self.0.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        let data: Vec<u8> = (0..len).map(|i| ((i * 7 + seed) % 251) as u8).collect();
        fs::write(&path, data).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn options(path: PathBuf) -> CreateOptions {
    CreateOptions {
        path,
        trackers: vec!["http://127.0.0.1:6969/announce".into()],
        piece_length: Some(32 * 1024),
        ..CreateOptions::default()
    }
}

/// What one run gave: the result, hidden entries, progress calls.
type Run = (Result<Vec<u8>, Error>, Vec<PathBuf>, Vec<(u64, u64)>);

fn run(opts: &CreateOptions) -> Run {
    let mut hidden = Vec::new();
    let mut calls = Vec::new();
    let out = create_reporting(opts, &mut |d, t| calls.push((d, t)), &mut |p| {
        hidden.push(p.to_path_buf())
    });
    (out, hidden, calls)
}

#[test]
fn automatic_piece_length() {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    let table: &[(u64, u64)] = &[
        (1, 16 * KIB),
        (2000 * 16 * KIB, 16 * KIB),
        (2000 * 16 * KIB + 1, 32 * KIB),
        (700 * MIB, 512 * KIB), // 1400 pieces
        (1024 * MIB, MIB),      // 1024 pieces
        (1 << 40, 16 * MIB),    // capped: 65,536 pieces
    ];
    for &(total, want) in table {
        assert_eq!(auto_piece_length(total), want, "{total}");
    }
}

/// The same content and piece length as data/mktorrent-*.torrent must
/// give the infohash transmission-show and libtorrent printed for them.
#[test]
fn infohash_matches_real_tools() {
    let s = Scratch::new("same");
    let single = s.file("single.bin", 100_000, 1);
    s.file("multi/a.txt", 5_000, 2);
    s.file("multi/empty.txt", 0, 0);
    s.file("multi/sub/b.bin", 70_000, 3);
    s.file("multi/sub/deeper/c.bin", 20_000, 4);
    s.file("multi/.hidden", 10, 5);
    let table = [
        (single, "f60ec19362f65d29bf5f36d63d06c531a8b2e396"),
        (
            s.0.join("multi"),
            "453adcbcd025d845cea3c2239542e39af84cfa9e",
        ),
    ];
    for (path, want) in table {
        let mut opts = options(path);
        opts.trackers.push("http://127.0.0.2:6969/announce".into());
        opts.web_seeds.push("http://127.0.0.1:8080/files/".into());
        opts.comment = Some("made by a test".into());
        let (out, _, calls) = run(&opts);
        let m = Metainfo::from_bytes(&out.unwrap()).unwrap();
        assert_eq!(to_hex(&m.info_hash), want);
        assert_eq!(m.trackers.len(), 2);
        assert_eq!(m.web_seeds, opts.web_seeds);
        assert_eq!(m.comment, opts.comment);
        assert!(!m.private);
        let total = m.geometry.total_len();
        assert_eq!(calls.last(), Some(&(total, total)));
        assert!(calls.windows(2).all(|w| w[0].0 <= w[1].0));
    }
}

#[test]
fn options_reach_the_torrent() {
    let s = Scratch::new("opts");
    let path = s.file("big.bin", 3 * 1024 * 1024 + 5, 9);
    let opts = CreateOptions {
        path,
        private: true,
        ..CreateOptions::default()
    };
    let (out, _, _) = run(&opts);
    let m = Metainfo::from_bytes(&out.unwrap()).unwrap();
    assert!(m.private && m.trackers.is_empty() && !m.multi_file);
    // 3 MiB + 5 bytes at 16 KiB: 193 pieces.
    assert_eq!(m.geometry.nominal_piece_len(), 16 * 1024);
    assert_eq!(m.geometry.num_pieces(), 193);
    assert!(m.created_by.unwrap().starts_with("bitsy "));
}

#[test]
fn guards() {
    let s = Scratch::new("guards");
    fs::create_dir_all(s.0.join("empty")).unwrap();
    s.file("hidden-only/.secret", 10, 1);
    s.file("outside.bin", 10, 1);
    s.file("out/a", 10, 1);
    symlink(s.0.join("outside.bin"), s.0.join("out/link")).unwrap();
    s.file("loop/a", 10, 1);
    symlink(s.0.join("loop"), s.0.join("loop/again")).unwrap();
    s.file("broken/a", 10, 1);
    symlink(s.0.join("nowhere"), s.0.join("broken/link")).unwrap();
    s.file("ctrl/a\nb", 10, 1);
    s.file("zero.bin", 0, 1);
    let table: &[(&str, Option<u64>, &str)] = &[
        ("empty", None, "holds no data"),
        ("hidden-only", None, "holds no data"),
        ("out", None, "bitsy does not follow it"),
        ("loop", None, "links to a directory"),
        ("broken", None, "is a broken link"),
        ("ctrl", None, "contains a control character"),
        ("zero.bin", None, "is empty"),
        ("outside.bin", Some(1000), "must be a power of two"),
        ("outside.bin", Some(512), "must be a power of two"),
    ];
    for &(name, piece_length, want) in table {
        let mut opts = options(s.0.join(name));
        opts.piece_length = piece_length;
        let (out, _, _) = run(&opts);
        let err = out.unwrap_err();
        assert!(matches!(err, Error::Usage(_)), "{name}: {err:?}");
        assert!(err.to_string().contains(want), "{name}: {err}");
    }
    let (_, hidden, _) = run(&options(s.0.join("hidden-only")));
    assert_eq!(
        hidden,
        vec![s.0.join("hidden-only/.secret").canonicalize().unwrap()]
    );
}

#[test]
fn links_to_files_inside_are_read() {
    let s = Scratch::new("inside");
    s.file("d/a.bin", 5_000, 2);
    symlink(s.0.join("d/a.bin"), s.0.join("d/b.bin")).unwrap();
    let (out, _, _) = run(&options(s.0.join("d")));
    let m = Metainfo::from_bytes(&out.unwrap()).unwrap();
    assert_eq!(m.files.len(), 2);
    assert_eq!(m.geometry.total_len(), 10_000);
}
