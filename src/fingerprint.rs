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
