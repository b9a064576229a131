//! `--max-memory` applied to one torrent: the session's config with its
//! piece budget, block pool and peer count fitted to the budget
//! (`memory_budget` divides; this file knows where the parts live).
//!
//! Without `--max-memory` the defaults stand (a 32 MiB piece budget, at
//! least two pieces; 128 pool buffers; `--max-peers`), and [`fit`] only
//! says what they add up to, for `--verbose`.
//!
//! The check of existing data at the start holds at most the piece share
//! too (`cli::run::read_ahead`), and is over before the session starts.
//!
//! What it deliberately does not do: bound the magnet metadata phase (the
//! info dictionary is at most `MAX_METADATA_SIZE` and is gone before the
//! session starts).

use super::Config;
use crate::error::{Error, Result};
use crate::memory_budget::{self, Demand, Shares};
use crate::metainfo::Metainfo;
use crate::webseed::{CONNECTIONS_PER_SEED, EVENT_QUEUE, fetch::CHUNK};

/// What this torrent asks of the budget.
pub fn demand(meta: &Metainfo, cfg: &Config) -> Demand {
    let piece_len = meta.geometry.nominal_piece_len();
    let connections = (meta.web_seeds.len() * CONNECTIONS_PER_SEED) as u64;
    let web_seed_bytes = if connections == 0 {
        0
    } else {
        // Each connection reads one piece and one chunk at a time; the
        // queue to the main thread holds whole pieces.
        connections
            .saturating_mul(piece_len.saturating_add(CHUNK as u64))
            .saturating_add((EVENT_QUEUE as u64).saturating_mul(piece_len))
    };
    Demand {
        piece_len,
        max_peers: cfg.max_peers,
        web_seed_bytes,
    }
}

/// `cfg` with its memory knobs set from `--max-memory`, or unchanged
/// without it; refuses a budget too small for this torrent, before any
/// file is created.
pub fn fit(meta: &Metainfo, cfg: &Config) -> Result<(Config, Shares)> {
    let d = demand(meta, cfg);
    let mut out = cfg.clone();
    let shares = match cfg.max_memory {
        Some(budget) => {
            let s = memory_budget::divide(budget, &d).map_err(|e| Error::Usage(e.to_string()))?;
            out.partial_budget = (s.pieces as u64).saturating_mul(d.piece_len);
            out.pool_buffers = s.pool_buffers;
            out.max_peers = s.max_peers;
            s
        }
        None => {
            let pieces = (cfg.partial_budget / d.piece_len.max(1)).max(2);
            out.partial_budget = pieces.saturating_mul(d.piece_len);
            Shares {
                pieces: pieces as usize,
                pool_buffers: cfg.pool_buffers,
                max_peers: cfg.max_peers,
            }
        }
    };
    Ok((out, shares))
}

/// For `--verbose`: `memory: 16 pieces of 256.0 KiB, 64 blocks, 32 peers:
/// 7.0 MiB in all (plus the fixed overhead)`.
pub fn describe(meta: &Metainfo, cfg: &Config, s: &Shares) -> String {
    use crate::progress::format_bytes;
    let d = demand(meta, cfg);
    let web = if d.web_seed_bytes > 0 {
        format!(", web seeds {}", format_bytes(d.web_seed_bytes))
    } else {
        String::new()
    };
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    format!(
        "memory: {} of {}, {}, {}{web}: {} in all (plus the fixed overhead)",
        plural(s.pieces, "piece", "pieces"),
        format_bytes(d.piece_len),
        plural(s.pool_buffers, "block", "blocks"),
        plural(s.max_peers, "peer", "peers"),
        format_bytes(s.bytes(&d)),
    )
}
