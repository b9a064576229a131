//! Trace lines for web seeds (BEP 19): one HTTP range request per file
//! span of a run of pieces, and what came back.
//!
//! Pure: no I/O, no clock. The body is counted, never shown; a failure
//! is the fetch's own plain sentence (`webseed::fetch::FetchError`).
//!
//! What it deliberately does not do: trace each chunk of a body as it
//! arrives (one line per range is what a reader can follow).

use super::printable;
use crate::webseed::fetch::Range;

/// The request: the file's range, HTTP's inclusive `bytes=first-last`.
pub fn range_request(r: &Range<'_>) -> String {
    let last = r.offset.saturating_add(r.len.max(1) - 1);
    format!(
        "GET Range: bytes={}-{last} [{} bytes of a {}-byte file] (BEP 19: the pieces' bytes \
         straight from the file on a web server)",
        r.offset, r.len, r.file_len
    )
}

/// The whole range arrived: `206 Partial Content` with exactly its bytes.
pub fn range_answer(r: &Range<'_>) -> String {
    format!(
        "206 Partial Content [{} bytes] (BEP 19: cut into pieces and hash-checked like a peer's)",
        r.len
    )
}

/// The range did not arrive whole.
pub fn range_failed(why: &str) -> String {
    format!(
        "range failed: {} (BEP 19: the web seed backs off, then is asked again)",
        printable(why)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_answer_and_failure() {
        let r = Range {
            url: "http://127.0.0.1:8080/dl/a.iso",
            offset: 65536,
            len: 32768,
            file_len: 1_000_000,
        };
        let table = [
            (
                range_request(&r),
                "GET Range: bytes=65536-98303 [32768 bytes of a 1000000-byte file] (BEP 19: the \
                 pieces' bytes straight from the file on a web server)",
            ),
            (
                range_answer(&r),
                "206 Partial Content [32768 bytes] (BEP 19: cut into pieces and hash-checked \
                 like a peer's)",
            ),
            (
                range_failed("the server ignores range requests (HTTP 200)"),
                "range failed: the server ignores range requests (HTTP 200) (BEP 19: the web \
                 seed backs off, then is asked again)",
            ),
        ];
        for (got, want) in table {
            assert_eq!(got, want);
        }
    }
}
