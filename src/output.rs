//! What the stages produce and the write stage takes: [`OutputFile`]s, handed over one at a
//! time through a [`Sink`].
//!
//! It sits below render, index and write so that none of them imports another for it.

use crate::error::Result;

/// One file of the built site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Path relative to the output folder, `/`-separated, never absolute, never with `..`.
    pub path: String,
    /// Content.
    pub bytes: Vec<u8>,
}

/// Takes files as a stage produces them (the build's staging folder, serve's memory, a test's
/// vector); called from several threads at once.
pub type Sink<'a> = dyn Fn(OutputFile) -> Result<()> + Sync + 'a;

/// Where a stage can keep a file of the previous build instead of making it again: the build's
/// staging folder, with its table of what the last build made from which key (see
/// `write::Staging::remember`).
pub trait Reuse: Sync {
    /// Whether the previous build made `path` from `key` and the output still holds it as made:
    /// then it is kept as this build's file, and must not be put.
    fn keep(&self, path: &str, key: u64) -> Result<bool>;
    /// Takes `file`, made from `key`, for the next build to keep.
    fn put_keyed(&self, file: OutputFile, key: u64) -> Result<()>;
    /// Takes the file `path`, made from `key`, as `write` writes it in pieces (a file too large
    /// to hold whole, such as the JSON export at scale).
    fn put_written(
        &self,
        path: &str,
        key: u64,
        write: &mut dyn FnMut(&mut dyn std::io::Write) -> Result<()>,
    ) -> Result<()>;
}

/// Keeps what is costly to make between runs, by a key that names its inputs (the image stage's
/// encoded files): the build's is a folder in the output that the write stage owns, serve's is
/// in memory.
pub trait Cache: Sync {
    /// The bytes kept under `key`, if any.
    fn get(&self, key: &str) -> Option<Vec<u8>>;
    /// Keeps `bytes` under `key`. Failing to keep them only costs the work next time.
    fn put(&self, key: &str, bytes: &[u8]);
}

/// A [`Cache`] in memory (serve keeps one for as long as it runs).
#[derive(Debug, Default)]
pub struct MemoryCache {
    entries: std::sync::Mutex<std::collections::HashMap<String, Vec<u8>>>,
}

impl Cache for MemoryCache {
    fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.entries.lock().ok()?.get(key).cloned()
    }

    fn put(&self, key: &str, bytes: &[u8]) {
        if let Ok(mut e) = self.entries.lock() {
            e.insert(key.to_string(), bytes.to_vec());
        }
    }
}
