//! Test torrents built in memory: content, .torrent bytes and info hash.
//!
//! The bencode is written by hand here (keys in sorted order, as BEP 3
//! requires) so tests do not depend on the code they test. The info hash
//! is the SHA-1 of exactly the `info` bytes we wrote.
//!
//! ```ignore
//! let content = pseudo_random_bytes(100_000, 7);
//! let t = TestTorrent::single_file("data.bin", &content, 16 * 1024, &tracker.url());
//! std::fs::write(dir.join("data.torrent"), &t.torrent)?;
//! ```

use std::path::{Path, PathBuf};

/// A torrent and everything a test needs to know about it.
#[derive(Clone, Debug)]
pub struct TestTorrent {
    /// The .torrent file's bytes.
    pub torrent: Vec<u8>,
    /// SHA-1 of the bencoded `info` dictionary.
    pub info_hash: [u8; 20],
    /// The raw `info` dictionary bytes.
    pub info: Vec<u8>,
    /// `name`: the file name (single file) or the top directory (several).
    pub name: String,
    /// Files in order as (path relative to `name`'s directory with '/' separators
    /// for multi-file torrents, or `name` for single-file ones, bytes).
    pub files: Vec<(String, Vec<u8>)>,
    /// All files' bytes, concatenated: what the pieces hash.
    pub content: Vec<u8>,
    pub piece_len: u32,
    /// SHA-1 of each piece.
    pub piece_hashes: Vec<[u8; 20]>,
}

impl TestTorrent {
    /// A single-file torrent announcing to `announce`.
    pub fn single_file(name: &str, content: &[u8], piece_len: u32, announce: &str) -> TestTorrent {
        let mut info = Vec::new();
        info.push(b'd');
        put_str(&mut info, "length");
        put_int(&mut info, content.len() as u64);
        Self::finish(
            name,
            vec![(name.to_string(), content.to_vec())],
            info,
            piece_len,
            &[&[announce]],
        )
    }

    /// A multi-file torrent: `files` are (path with '/' separators, bytes),
    /// stored under the directory `name`.
    pub fn multi_file(
        name: &str,
        files: &[(&str, &[u8])],
        piece_len: u32,
        announce: &str,
    ) -> TestTorrent {
        let mut info = Vec::new();
        info.push(b'd');
        put_str(&mut info, "files");
        info.push(b'l');
        for (path, bytes) in files {
            info.push(b'd');
            put_str(&mut info, "length");
            put_int(&mut info, bytes.len() as u64);
            put_str(&mut info, "path");
            info.push(b'l');
            for part in path.split('/') {
                put_str(&mut info, part);
            }
            info.push(b'e');
            info.push(b'e');
        }
        info.push(b'e');
        let files = files
            .iter()
            .map(|(p, b)| (p.to_string(), b.to_vec()))
            .collect();
        Self::finish(name, files, info, piece_len, &[&[announce]])
    }

    /// The same torrent (same info hash) with a BEP 12 `announce-list`;
    /// `announce` becomes the first URL of the first tier.
    pub fn with_tiers(mut self, tiers: &[&[&str]]) -> TestTorrent {
        self.torrent = outer_dict(&self.info, tiers);
        self
    }

    /// The same content as a private torrent (BEP 27: `private` is 1 in
    /// `info`, so the info hash changes), announcing to `announce` only.
    pub fn into_private(mut self, announce: &str) -> TestTorrent {
        // `private` sorts after `pieces`, the last key: it goes last.
        self.info.pop(); // the info dictionary's closing `e`
        put_str(&mut self.info, "private");
        put_int(&mut self.info, 1);
        self.info.push(b'e');
        self.info_hash = sha1_smol::Sha1::from(&self.info).digest().bytes();
        self.torrent = outer_dict(&self.info, &[&[announce]]);
        self
    }

    /// The same torrent (same info hash) with BEP 19 web seeds: `url-list`
    /// beside `announce` (when `announce` is not empty).
    pub fn with_url_list(mut self, announce: &str, urls: &[&str]) -> TestTorrent {
        let mut t = Vec::new();
        t.push(b'd');
        if !announce.is_empty() {
            put_str(&mut t, "announce");
            put_str(&mut t, announce);
        }
        put_str(&mut t, "info");
        t.extend_from_slice(&self.info);
        put_str(&mut t, "url-list");
        t.push(b'l');
        for url in urls {
            put_str(&mut t, url);
        }
        t.push(b'e');
        t.push(b'e');
        self.torrent = t;
        self
    }

    /// Writes the .torrent to `dir/<name>.torrent` and returns the path.
    pub fn write_to(&self, dir: &Path) -> PathBuf {
        let path = dir.join(format!("{}.torrent", self.name.replace('/', "_")));
        std::fs::write(&path, &self.torrent).expect("write test torrent");
        path
    }

    /// Number of pieces.
    pub fn num_pieces(&self) -> u32 {
        self.piece_hashes.len() as u32
    }

    /// The bytes of piece `index`.
    pub fn piece(&self, index: u32) -> &[u8] {
        let start = index as usize * self.piece_len as usize;
        let end = (start + self.piece_len as usize).min(self.content.len());
        &self.content[start..end]
    }

    /// Hex info hash (for opentracker whitelists, logs).
    pub fn info_hash_hex(&self) -> String {
        self.info_hash.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// `info` is the dictionary so far (opened, with `length` or `files`);
    /// adds `name`, `piece length`, `pieces` and closes it.
    fn finish(
        name: &str,
        files: Vec<(String, Vec<u8>)>,
        mut info: Vec<u8>,
        piece_len: u32,
        tiers: &[&[&str]],
    ) -> TestTorrent {
        assert!(piece_len > 0, "piece length must be positive");
        let content: Vec<u8> = files.iter().flat_map(|(_, b)| b.iter().copied()).collect();
        let piece_hashes: Vec<[u8; 20]> = content
            .chunks(piece_len as usize)
            .map(|p| sha1_smol::Sha1::from(p).digest().bytes())
            .collect();
        put_str(&mut info, "name");
        put_str(&mut info, name);
        put_str(&mut info, "piece length");
        put_int(&mut info, u64::from(piece_len));
        put_str(&mut info, "pieces");
        let pieces: Vec<u8> = piece_hashes.iter().flatten().copied().collect();
        put_bytes(&mut info, &pieces);
        info.push(b'e');
        let info_hash = sha1_smol::Sha1::from(&info).digest().bytes();
        TestTorrent {
            torrent: outer_dict(&info, tiers),
            info_hash,
            info,
            name: name.to_string(),
            files,
            content,
            piece_len,
            piece_hashes,
        }
    }
}

/// `d8:announce..13:announce-list..4:info<info>e`. `announce-list` only
/// when there is more than one URL.
fn outer_dict(info: &[u8], tiers: &[&[&str]]) -> Vec<u8> {
    let mut t = Vec::new();
    t.push(b'd');
    if let Some(first) = tiers.iter().flat_map(|t| t.iter()).next() {
        put_str(&mut t, "announce");
        put_str(&mut t, first);
    }
    if tiers.iter().map(|t| t.len()).sum::<usize>() > 1 {
        put_str(&mut t, "announce-list");
        t.push(b'l');
        for tier in tiers {
            t.push(b'l');
            for url in *tier {
                put_str(&mut t, url);
            }
            t.push(b'e');
        }
        t.push(b'e');
    }
    put_str(&mut t, "info");
    t.extend_from_slice(info);
    t.push(b'e');
    t
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(format!("{}:", b.len()).as_bytes());
    out.extend_from_slice(b);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_bytes(out, s.as_bytes());
}

fn put_int(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(format!("i{n}e").as_bytes());
}

/// Deterministic, incompressible-looking bytes (bitsy's own `Rng`), so a
/// wrong offset shows up as wrong data, not as equal zeros.
pub fn pseudo_random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut out = vec![0u8; len];
    bitsy::rng::Rng::from_seed(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)).fill(&mut out);
    out
}
