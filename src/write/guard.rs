//! Which folder a build may write into, and the lock that keeps two builds out of one folder.
//!
//! A build replaces everything in its output folder, so the folder is chosen with care: never a
//! folder of the site (its root, content, themes) or the home folder, nor anything that holds
//! one of them; a folder that exists and holds files only if casebook made it (it carries the
//! [`MARKER`] file, as cargo marks `target/` with `CACHEDIR.TAG`) or the user says `--force`. An
//! output that is a symbolic link is judged as the folder it points to.

use std::fs;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, OutputRefusal, Result};

/// The file that marks a folder as a casebook output; the build also locks it.
pub const MARKER: &str = ".casebook";

const MARKER_TEXT: &str = "casebook output folder\n\
# Written by `casebook build`: everything in this folder is replaced by every build.\n\
# Delete this file and casebook will refuse to clear the folder without --force.\n";

/// The folders an output must keep clear of, and whether a foreign folder may be cleared.
#[derive(Debug, Clone, Default)]
pub struct OutputPolicy {
    /// Folders the output must be neither equal to nor an ancestor of, named for messages
    /// ("the site root", "the content folder", ...).
    pub protected: Vec<(&'static str, PathBuf)>,
    /// Folders the output must not lie inside either (the build reads them).
    pub inputs: Vec<(&'static str, PathBuf)>,
    /// Clear a non-empty folder that casebook did not create.
    pub force: bool,
}

impl OutputPolicy {
    /// The policy for a site: its root, content and themes folders and the home folder are
    /// protected; the output may not lie inside content, themes or static (the build reads them).
    pub fn for_site(root: &Path, content: &Path, force: bool) -> Self {
        let themes = root.join("themes");
        let statics = root.join("static");
        let mut protected = vec![
            ("the site root", root.to_path_buf()),
            ("the content folder", content.to_path_buf()),
            ("the themes folder", themes.clone()),
            ("the static folder", statics.clone()),
        ];
        if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
            protected.push(("the home folder", PathBuf::from(home)));
        }
        OutputPolicy {
            protected,
            inputs: vec![
                ("the content folder", content.to_path_buf()),
                ("the themes folder", themes),
                ("the static folder", statics),
            ],
            force,
        }
    }
}

/// An output folder checked against the policy, created if it was missing, marked and locked.
/// The lock is released when this is dropped.
#[derive(Debug)]
pub(super) struct Claimed {
    /// The folder itself, links resolved.
    pub(super) dir: PathBuf,
    /// Whether this build created it (a failed first build removes it again).
    pub(super) created: bool,
    /// The open marker file, locked.
    _lock: fs::File,
}

/// Checks `output` against `policy`, creates it if missing, marks it and locks it.
pub(super) fn claim(output: &Path, policy: &OutputPolicy) -> Result<Claimed> {
    let dir = real_path(output).map_err(|e| Error::io(output, e))?;
    let refuse = |reason| Error::Output {
        path: output.to_path_buf(),
        reason,
    };
    for (what, folder) in &policy.protected {
        let Ok(folder) = real_path(folder) else {
            continue;
        };
        if folder.starts_with(&dir) {
            return Err(refuse(OutputRefusal::HoldsSite {
                what,
                folder: folder.clone(),
            }));
        }
    }
    for (what, folder) in &policy.inputs {
        let Ok(folder) = real_path(folder) else {
            continue;
        };
        if dir.starts_with(&folder) {
            return Err(refuse(OutputRefusal::InsideInput { what, folder }));
        }
    }

    let created = match fs::symlink_metadata(&dir) {
        Ok(m) if m.is_dir() => false,
        Ok(_) => return Err(refuse(OutputRefusal::NotAFolder)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
            true
        }
        Err(e) => return Err(Error::io(&dir, e)),
    };
    let marker = dir.join(MARKER);
    if !created && !marker.is_file() && !policy.force {
        let mut names: Vec<String> = fs::read_dir(&dir)
            .map_err(|e| Error::io(&dir, e))?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        if !names.is_empty() {
            names.sort();
            return Err(refuse(OutputRefusal::NotOurs { entries: names }));
        }
    }
    let lock = open_marker(&marker).map_err(|e| Error::io(&marker, e))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => return Err(refuse(OutputRefusal::Busy)),
        Err(fs::TryLockError::Error(e)) => return Err(Error::io(&marker, e)),
    }
    Ok(Claimed {
        dir,
        created,
        _lock: lock,
    })
}

/// Opens the marker for locking, writing its text if it is new or not ours.
fn open_marker(path: &Path) -> io::Result<fs::File> {
    let mut f = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    if fs::read(path)? != MARKER_TEXT.as_bytes() {
        f.set_len(0)?;
        f.write_all(MARKER_TEXT.as_bytes())?;
    }
    Ok(f)
}

/// `path` made absolute with every link and `..` resolved, also where its end does not exist
/// yet (the part that exists is resolved by the file system, the rest lexically).
pub(super) fn real_path(path: &Path) -> io::Result<PathBuf> {
    let mut out = std::path::absolute(path)?;
    if let Ok(real) = fs::canonicalize(&out) {
        return Ok(real);
    }
    let mut resolved = PathBuf::new();
    let mut missing = false;
    for c in out.components() {
        match c {
            Component::ParentDir => {
                resolved.pop();
            }
            Component::CurDir => {}
            other => {
                resolved.push(other);
                if !missing {
                    match fs::canonicalize(&resolved) {
                        Ok(real) => resolved = real,
                        Err(_) => missing = true,
                    }
                }
            }
        }
    }
    out = resolved;
    Ok(out)
}
