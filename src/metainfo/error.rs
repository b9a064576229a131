//! Why a .torrent file (or an info dictionary) was refused: each variant names what is wrong.

use super::MAX_TORRENT_FILE_LEN;
use crate::bencode::BencodeError;
use crate::file_paths::PathError;
use crate::geometry::GeometryError;
use std::fmt;

/// Why a .torrent was refused.
#[derive(Debug)]
#[non_exhaustive]
pub enum MetainfoError {
    /// The file is larger than [`MAX_TORRENT_FILE_LEN`].
    TooLarge(u64),
    /// Not valid bencode, or beyond bitsy's limits.
    Bencode(BencodeError),
    /// A field is missing or has the wrong type; the text says which.
    Invalid(String),
    /// Only v2 hashes (BEP 52); bitsy speaks v1.
    V2Only,
    /// The torrent's `name` is not a safe file name.
    Name(PathError),
    /// File number `index` (from 0), shown as `path`, has a bad path.
    File {
        index: usize,
        path: String,
        error: PathError,
    },
    /// Clashing files could not be renamed.
    Tree(PathError),
    /// A hybrid (BEP 52) torrent whose v1 `files` and v2 `file tree`
    /// disagree; the text says where.
    HybridMismatch(String),
    /// Sizes or hash count are wrong.
    Geometry(GeometryError),
}

impl fmt::Display for MetainfoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetainfoError::TooLarge(n) => write!(
                f,
                "the file is {n} bytes, more than the limit of {MAX_TORRENT_FILE_LEN}"
            ),
            MetainfoError::Bencode(e) => write!(f, "not valid bencode: {e}"),
            MetainfoError::Invalid(m) => write!(f, "{m}"),
            MetainfoError::V2Only => write!(
                f,
                "this is a v2-only torrent (BEP 52); bitsy needs v1 or hybrid torrents"
            ),
            MetainfoError::Name(e) => write!(f, "bad name: {e}"),
            MetainfoError::File { index, path, error } => {
                write!(f, "bad file {index} ({path:?}): {error}")
            }
            MetainfoError::Tree(e) => write!(f, "bad file list: {e}"),
            MetainfoError::HybridMismatch(m) => write!(
                f,
                "the v1 file list and the v2 file tree of this hybrid torrent disagree: {m}"
            ),
            MetainfoError::Geometry(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for MetainfoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MetainfoError::Bencode(e) => Some(e),
            MetainfoError::Name(e) | MetainfoError::Tree(e) => Some(e),
            MetainfoError::File { error, .. } => Some(error),
            MetainfoError::Geometry(e) => Some(e),
            _ => None,
        }
    }
}
