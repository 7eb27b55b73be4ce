//! The one hash of content for caches and change checks: page and fragment keys in `serve`, a
//! body's digest, the site's strings and images. xxh3, not the standard library's SipHash:
//! these keys hash what every page shows on every rebuild (millions of short writes at 100x
//! the digest), and need a good 64-bit hash, not one that resists a chosen-input attack (the
//! input is the editor's own site). Hash maps use `foldhash` for the same reason.

use std::hash::{Hash, Hasher as _};

/// A streaming hasher of fingerprints.
pub type Hasher = xxhash_rust::xxh3::Xxh3Default;

/// A fresh [`Hasher`].
pub fn hasher() -> Hasher {
    Hasher::new()
}

/// The fingerprint of `value`.
pub fn of<T: Hash + ?Sized>(value: &T) -> u64 {
    let mut h = hasher();
    value.hash(&mut h);
    h.finish()
}

/// FNV-1a (32 bits) of `bytes`: a hash the browser computes too (a few lines of JavaScript), for
/// names a page finds by itself: the compare data file of a slug (`urls::compare_bucket`).
pub fn fnv1a_32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5_u32, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// FNV-1a (64 bits) of `bytes`, as [`fnv1a_32`]: the file of a search term shard
/// (`index::format::shard_file`), where 32 bits would collide at 1000x the digest.
pub fn fnv1a_64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `bytes` in lower-case hex, two digits each: the names and versions cut from a SHA-256
/// digest (an encoded photo's cache key, the fold table's file, the search index's version).
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
