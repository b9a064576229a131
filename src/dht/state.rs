//! The saved routing table (BEP 5: "The routing table should be saved
//! between invocations"): the nodes we knew, so the next start needs no
//! bootstrap, and the id of the node that saved them (kept in the file
//! for readers; `thread.rs` starts each node with a fresh id, see there).
//!
//! ```text
//!  file  d 2:id 20:<our node id>  5:nodes <n x 26>:<compact node info> e
//! ```
//!
//! It lives at `$XDG_STATE_HOME/bitsy/dht.dat`, else
//! `$HOME/.local/state/bitsy/dht.dat`; the caller falls back to a file
//! beside the download when neither can be written. It is written to a
//! temporary file and renamed over the old one, so a crash leaves either
//! the old table or the new one, never half of one.
//!
//! The file is as untrusted as a datagram (anyone may have written it):
//! longer than [`MAX_STATE_LEN`], not bencode, or without a 20-byte `id`,
//! it is refused with a reason and the node starts afresh; at most
//! [`MAX_SAVED`] nodes are read.
//!
//! What it deliberately does not do: save stored peers or tokens (both
//! expire within the half hour a restart may take).

use super::contact::{self, Contact};
use super::node_id::NodeId;
use crate::bencode::{self, Encoder, Limits, Value};
use std::ffi::OsString;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Most nodes saved and read: a full table's worth of good ones.
pub const MAX_SAVED: usize = 512;
/// Longest file read: [`MAX_SAVED`] nodes and a little more.
pub const MAX_STATE_LEN: usize = 16 * 1024;

/// The file name under the state directory.
pub const FILE_NAME: &str = "dht.dat";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub id: NodeId,
    pub nodes: Vec<Contact>,
}

/// Where the state lives by default, from the environment (`env` is
/// `std::env::var_os`, or a fake in tests).
pub fn default_path(env: impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let nonempty = |k: &str| env(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    let base =
        nonempty("XDG_STATE_HOME").or_else(|| nonempty("HOME").map(|h| h.join(".local/state")))?;
    Some(base.join("bitsy").join(FILE_NAME))
}

/// Reads the saved table: `Ok(None)` if there is no file, `Err` with a
/// reason if there is one bitsy cannot use.
pub fn load(path: &Path) -> Result<Option<Saved>, String> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    decode(&bytes)
        .map(Some)
        .map_err(|why| format!("{}: {why}", path.display()))
}

/// Writes the table, replacing the old file only once the new one is
/// complete.
pub fn save(path: &Path, saved: &Saved) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    // One temporary name per process: two bitsy runs saving at once each
    // rename a whole file, and the last one wins.
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    let mut f = fs::File::create(&tmp)?;
    f.write_all(&encode(saved))?;
    f.sync_all()?;
    drop(f);
    fs::rename(&tmp, path)
}

fn encode(saved: &Saved) -> Vec<u8> {
    let nodes = &saved.nodes[..saved.nodes.len().min(MAX_SAVED)];
    let mut e = Encoder::new();
    e.dict()
        .str("id")
        .bytes(&saved.id.0)
        .str("nodes")
        .bytes(&contact::encode_nodes(nodes))
        .end();
    e.finish()
}

fn decode(bytes: &[u8]) -> Result<Saved, String> {
    if bytes.len() > MAX_STATE_LEN {
        return Err(format!(
            "{} bytes, more than a DHT state file holds",
            bytes.len()
        ));
    }
    let limits = Limits {
        max_depth: 2,
        max_tokens: 16,
    };
    let root = bencode::decode(bytes, limits).map_err(|e| format!("not a DHT state file: {e}"))?;
    let id = root
        .get(b"id")
        .and_then(Value::as_bytes)
        .and_then(NodeId::from_slice)
        .ok_or("no 20-byte node id")?;
    let nodes = match root.get(b"nodes").and_then(Value::as_bytes) {
        Some(b) => contact::compact_nodes_up_to(b, MAX_SAVED).map_err(|e| e.to_string())?,
        None => Vec::new(),
    };
    Ok(Saved { id, nodes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::testutil::TempDir;
    use std::net::SocketAddrV4;

    fn saved(n: u32) -> Saved {
        Saved {
            id: NodeId([0x42; 20]),
            nodes: (0..n)
                .map(|i| Contact {
                    id: NodeId([i as u8; 20]),
                    addr: SocketAddrV4::new([127, 0, 0, 1].into(), 1000 + i as u16),
                })
                .collect(),
        }
    }

    #[test]
    fn the_path_follows_xdg_then_home() {
        let env = |pairs: &'static [(&str, &str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| OsString::from(v))
            }
        };
        type Vars = &'static [(&'static str, &'static str)];
        let table: &[(Vars, Option<&str>)] = &[
            (
                &[("XDG_STATE_HOME", "/x"), ("HOME", "/h")],
                Some("/x/bitsy/dht.dat"),
            ),
            (&[("HOME", "/h")], Some("/h/.local/state/bitsy/dht.dat")),
            (
                &[("XDG_STATE_HOME", ""), ("HOME", "/h")],
                Some("/h/.local/state/bitsy/dht.dat"),
            ),
            (&[], None),
        ];
        for (vars, want) in table {
            assert_eq!(default_path(env(vars)), want.map(PathBuf::from), "{vars:?}");
        }
    }

    #[test]
    fn a_table_round_trips_through_the_file() {
        let dir = TempDir::new("dht-state");
        let path = dir.path().join("deep/er/dht.dat");
        assert_eq!(load(&path), Ok(None), "no file yet");
        save(&path, &saved(3)).unwrap();
        assert_eq!(load(&path), Ok(Some(saved(3))));
        // The layout: d2:id20:<id>5:nodes78:<3 x 26>e
        let bytes = fs::read(&path).unwrap();
        assert!(bytes.starts_with(b"d2:id20:BBBBBBBBBBBBBBBBBBBB5:nodes78:"));
        save(&path, &saved(1)).unwrap();
        assert_eq!(load(&path), Ok(Some(saved(1))), "replaced");
        assert!(!path.with_extension("tmp").exists());
    }

    #[test]
    fn at_most_max_saved_nodes_are_written_and_read() {
        let big = saved(MAX_SAVED as u32 + 100);
        let got = decode(&encode(&big)).unwrap();
        assert_eq!(got.nodes.len(), MAX_SAVED);
    }

    #[test]
    fn bad_files_are_refused_with_a_reason() {
        let table: Vec<(&str, Vec<u8>)> = vec![
            ("empty", Vec::new()),
            ("not bencode", b"hello".to_vec()),
            ("no id", b"d5:nodes0:e".to_vec()),
            ("short id", b"d2:id3:abce".to_vec()),
            (
                "nodes not whole",
                b"d2:id20:BBBBBBBBBBBBBBBBBBBB5:nodes3:abce".to_vec(),
            ),
            ("too deep", b"d2:idld1:xi1eeee".to_vec()),
            ("too long", vec![b'x'; MAX_STATE_LEN + 1]),
        ];
        for (what, bytes) in table {
            assert!(decode(&bytes).is_err(), "{what}");
        }
        let dir = TempDir::new("dht-state-bad");
        let path = dir.path().join("dht.dat");
        fs::write(&path, b"garbage").unwrap();
        let err = load(&path).unwrap_err();
        assert!(
            err.contains("dht.dat") && err.contains("not a DHT state file"),
            "{err}"
        );
    }
}
