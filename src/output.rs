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
