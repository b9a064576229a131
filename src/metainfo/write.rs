//! A .torrent file for a metainfo: what a magnet download saves once the
//! metadata has come from peers, so a rerun needs no swarm to start.
//!
//! ```text
//!  d 8:announce      <first tracker>        (BEP 3)
//!    13:announce-list l l <url>... e ... e  (BEP 12, when there are trackers)
//!    10:created by   "bitsy VERSION"
//!    4:info          <the info dictionary, byte for byte>
//!    8:url-list      l <url>... e           (BEP 19, when there are web seeds)
//!  e
//! ```
//!
//! Invariant: the info dictionary is written exactly as it was received
//! (`info_bytes`), never re-encoded, so the file's infohash is the one the
//! magnet named. Keys are written in sorted order (BEP 3).
//!
//! It does not write `comment` or `creation date`: a magnet has neither,
//! and inventing them would make the saved file say what no one said.

use super::Metainfo;
use crate::bencode::Encoder;

impl Metainfo {
    /// The bytes of a .torrent file carrying this torrent.
    pub fn to_torrent_file(&self) -> Vec<u8> {
        let mut e = Encoder::new();
        e.dict();
        if let Some(first) = self.trackers.iter().flatten().next() {
            e.str("announce").str(first);
            e.str("announce-list").list();
            for tier in &self.trackers {
                e.list();
                for url in tier {
                    e.str(url);
                }
                e.end();
            }
            e.end();
        }
        e.str("created by")
            .str(concat!("bitsy ", env!("CARGO_PKG_VERSION")));
        e.str("info").raw(&self.info_bytes);
        if !self.web_seeds.is_empty() {
            e.str("url-list").list();
            for url in &self.web_seeds {
                e.str(url);
            }
            e.end();
        }
        e.end();
        e.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_torrent_reads_back_with_the_same_infohash() {
        for fixture in ["data/mktorrent-multi.torrent", "data/libtorrent-v1.torrent"] {
            let bytes = std::fs::read(fixture).unwrap();
            let meta = Metainfo::from_bytes(&bytes).unwrap();
            // As a magnet download has it: the info dict, then the link's trackers.
            let mut fetched = Metainfo::from_info_bytes(&meta.info_bytes).unwrap();
            fetched.trackers = vec![vec!["udp://t:1".into()], vec!["http://u/a".into()]];
            fetched.web_seeds = vec!["http://w/f".into()];
            let saved = Metainfo::from_bytes(&fetched.to_torrent_file()).unwrap();
            assert_eq!(saved.info_hash, meta.info_hash, "{fixture}");
            assert_eq!(saved.info_bytes, meta.info_bytes, "{fixture}");
            assert_eq!(saved.files, meta.files, "{fixture}");
            assert_eq!(saved.trackers, fetched.trackers, "{fixture}");
            assert_eq!(saved.web_seeds, fetched.web_seeds, "{fixture}");
        }
    }

    #[test]
    fn no_trackers_no_announce_keys() {
        let bytes = std::fs::read("data/mktorrent-multi.torrent").unwrap();
        let mut meta = Metainfo::from_bytes(&bytes).unwrap();
        meta.trackers.clear();
        meta.web_seeds.clear();
        let out = meta.to_torrent_file();
        assert!(out.starts_with(b"d10:created by"), "{:?}", &out[..20]);
        let saved = Metainfo::from_bytes(&out).unwrap();
        assert!(saved.trackers.is_empty());
        assert_eq!(saved.info_hash, meta.info_hash);
    }
}
