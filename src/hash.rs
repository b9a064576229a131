//! SHA-1, the one function every part of bitsy hashes with.
//!
//! Pieces, the infohash, the metadata from peers, BEP 6's allowed-fast
//! set and blame's block digests all go through [`sha1`], so the choice
//! of implementation is made here and nowhere else.
//!
//! The implementation is RustCrypto's `sha1` 0.10 (already compiled into
//! bitsy for `lava_torrent`, which `bitsy create` uses). On x86_64 and
//! i686 it checks the CPU once, at run time, for the SHA extensions
//! (SHA-NI) and uses them when present; everywhere else, and on x86
//! without them, it runs portable Rust. Its `asm` feature is ignored
//! since 0.10.7, so no C or assembler is built for any target. See
//! DESIGN.md, "Hashing", for the measured throughput against `sha1_smol`.
//!
//! It does not decide *where* hashing runs: a piece whose blocks arrive in
//! order is hashed on the way in by its peer thread ([`Sha1Stream`],
//! `peer/running_hash.rs`), every other piece off the main thread by
//! `hasher`; the small inputs (an info dictionary, a 16 KiB block) are
//! hashed where they are.

use sha1::Digest;

/// The length of a SHA-1 digest in bytes.
pub const SHA1_LEN: usize = 20;

/// The SHA-1 digest of `data`.
pub fn sha1(data: &[u8]) -> [u8; SHA1_LEN] {
    sha1::Sha1::digest(data).into()
}

/// SHA-1 fed in parts: a piece hashed block by block as its blocks
/// arrive (see `peer/running_hash.rs`). The digest of parts fed in order
/// is [`sha1`] of their concatenation.
#[derive(Default)]
pub struct Sha1Stream(sha1::Sha1);

impl Sha1Stream {
    /// Adds the next part.
    pub fn update(&mut self, part: &[u8]) {
        self.0.update(part);
    }

    /// The digest of every part fed so far.
    pub fn finish(self) -> [u8; SHA1_LEN] {
        self.0.finalize().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(d: [u8; SHA1_LEN]) -> String {
        d.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn known_answers() {
        // FIPS 180-2, appendix A, plus the empty message.
        let cases: [(&[u8], &str); 3] = [
            (b"", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
            (b"abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
            (
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(hex(sha1(input)), want, "{input:?}");
        }
        let million = vec![b'a'; 1_000_000];
        assert_eq!(
            hex(sha1(&million)),
            "34aa973cd4c4daa4f61eeb2bdbad27316534016f"
        );
    }

    #[test]
    fn a_stream_in_parts_is_the_digest_of_the_whole() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 13 % 251) as u8).collect();
        // Parts of 16 KiB (a block), of 1 byte, of 63 and of 65 (across
        // SHA-1's 64-byte block), and none at all.
        for part in [16_384, 1, 63, 65, 100_000] {
            let mut stream = Sha1Stream::default();
            for chunk in data.chunks(part) {
                stream.update(chunk);
            }
            assert_eq!(stream.finish(), sha1(&data), "parts of {part}");
        }
        assert_eq!(Sha1Stream::default().finish(), sha1(b""));
    }

    #[test]
    fn agrees_with_sha1_smol_across_block_boundaries() {
        // Every length around the 64-byte block and its padding edge
        // (55/56 bytes), and a 16 KiB block with a ragged end.
        let data: Vec<u8> = (0..16_500u32).map(|i| (i * 31 + 7) as u8).collect();
        let lens = (0..=130).chain([16_383, 16_384, 16_385, 16_500]);
        for n in lens {
            let want = sha1_smol::Sha1::from(&data[..n]).digest().bytes();
            assert_eq!(sha1(&data[..n]), want, "length {n}");
        }
    }
}
