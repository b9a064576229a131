//! The bencode writer, for tracker answers and tests. Small on purpose:
//! it writes what it is told, in that order; sorting dictionary keys (as
//! BEP 3 requires) is the caller's job.

/// Writes bencode. The caller writes dictionary keys in sorted order (as
/// BEP 3 requires) and closes each `list()`/`dict()` with `end()`.
#[derive(Debug, Default)]
pub struct Encoder {
    buf: Vec<u8>,
    open: usize,
}

impl Encoder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn int(&mut self, n: i64) -> &mut Self {
        self.buf.push(b'i');
        self.buf.extend_from_slice(n.to_string().as_bytes());
        self.buf.push(b'e');
        self
    }

    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(b.len().to_string().as_bytes());
        self.buf.push(b':');
        self.buf.extend_from_slice(b);
        self
    }

    pub fn str(&mut self, s: &str) -> &mut Self {
        self.bytes(s.as_bytes())
    }

    /// Writes an already-encoded value as it is: the info dictionary of a
    /// saved .torrent, kept byte for byte so its SHA-1 stays the infohash.
    pub fn raw(&mut self, encoded: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(encoded);
        self
    }

    /// Opens a list; close it with [`Encoder::end`].
    pub fn list(&mut self) -> &mut Self {
        self.open += 1;
        self.buf.push(b'l');
        self
    }

    /// Opens a dictionary; write key, value, key, value…, then `end()`.
    pub fn dict(&mut self) -> &mut Self {
        self.open += 1;
        self.buf.push(b'd');
        self
    }

    pub fn end(&mut self) -> &mut Self {
        debug_assert!(self.open > 0, "Encoder::end without an open list or dict");
        self.open = self.open.saturating_sub(1);
        self.buf.push(b'e');
        self
    }

    /// The encoded bytes.
    pub fn finish(self) -> Vec<u8> {
        debug_assert_eq!(self.open, 0, "Encoder::finish with unclosed containers");
        self.buf
    }
}
