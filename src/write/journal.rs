//! The commit journal: what a commit will do to the output, written down before it starts, so
//! that a build killed half-way through its commit is finished by the next one.
//!
//! A commit is a list of [`Op`]s: staged files and folders moved in (one rename each), then
//! stale files and folders removed. The list goes into `journal` inside the staging folder and
//! ends with an end record; only then does the first rename happen. The next build, holding
//! the output's lock, replays a complete journal before anything else (each op is idempotent:
//! a move whose source is gone is done, a removal of what is missing is done) and discards a
//! staging folder without one (a build killed before its commit: the output is the old site).
//! So after a kill the output is the old site or, once the next command has run, the new one.
//!
//! Nothing is fsynced: this guards against a killed process, whose writes the kernel still
//! completes, not against power loss (which would need every staged file synced, at a cost the
//! incremental build was designed to avoid).

use std::fs;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Name of the journal inside the staging folder.
const JOURNAL: &str = "journal";
/// Journal file header (format version).
const HEADER: &[u8] = b"casebook-journal 1\n";

/// One step of a commit, on a path relative to the output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Op {
    /// Move the staged file or folder at this path over the output's.
    Move(PathBuf),
    /// Remove a stale file (or link); a folder found there instead is left alone.
    RemoveFile(PathBuf),
    /// Remove a stale folder if it is empty by then.
    RemoveDir(PathBuf),
}

impl Op {
    fn tag(&self) -> u8 {
        match self {
            Op::Move(_) => b'M',
            Op::RemoveFile(_) => b'F',
            Op::RemoveDir(_) => b'D',
        }
    }

    fn path(&self) -> &Path {
        match self {
            Op::Move(p) | Op::RemoveFile(p) | Op::RemoveDir(p) => p,
        }
    }
}

/// Writes the journal of `ops` into `staging`, end record last.
pub(super) fn write(staging: &Path, ops: &[Op]) -> Result<()> {
    let path = staging.join(JOURNAL);
    let io = |e| Error::io(&path, e);
    let mut w = BufWriter::new(fs::File::create(&path).map_err(io)?);
    w.write_all(HEADER).map_err(io)?;
    for op in ops {
        // Records are a tag byte and the path's bytes, ended by NUL (which no path holds).
        w.write_all(&[op.tag()]).map_err(io)?;
        w.write_all(&path_bytes(op.path())).map_err(io)?;
        w.write_all(b"\0").map_err(io)?;
    }
    w.write_all(b"E\0").map_err(io)?;
    w.flush().map_err(io)
}

/// Reads a complete journal from `staging`; `None` when there is none or it was cut short.
fn read(staging: &Path) -> Result<Option<Vec<Op>>> {
    let path = staging.join(JOURNAL);
    let mut bytes = Vec::new();
    match fs::File::open(&path) {
        Ok(mut f) => f.read_to_end(&mut bytes).map_err(|e| Error::io(&path, e))?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(&path, e)),
    };
    let Some(mut rest) = bytes.strip_prefix(HEADER) else {
        return Ok(None);
    };
    let mut ops = Vec::new();
    while let Some(end) = rest.iter().position(|b| *b == 0) {
        let (record, after) = rest.split_at(end);
        rest = &after[1..];
        let Some((&tag, raw)) = record.split_first() else {
            return Ok(None);
        };
        let p = path_from_bytes(raw);
        ops.push(match tag {
            b'M' => Op::Move(p),
            b'F' => Op::RemoveFile(p),
            b'D' => Op::RemoveDir(p),
            b'E' if rest.is_empty() => return Ok(Some(ops)),
            _ => return Ok(None),
        });
    }
    Ok(None)
}

/// Carries out `ops` from `staging` into `output`. Every op can run twice.
pub(super) fn run(output: &Path, staging: &Path, ops: &[Op]) -> Result<()> {
    for (n, op) in ops.iter().enumerate() {
        fault_point(n);
        let target = output.join(op.path());
        let existing = fs::symlink_metadata(&target).ok().map(|m| m.file_type());
        match op {
            Op::Move(rel) => {
                let source = staging.join(rel);
                let Ok(meta) = fs::symlink_metadata(&source) else {
                    continue; // moved by the run that was killed
                };
                match existing {
                    // A rename cannot replace a folder with a file, nor a file with a folder.
                    Some(t) if t.is_dir() && !meta.is_dir() => fs::remove_dir_all(&target),
                    Some(t) if !t.is_dir() && meta.is_dir() => fs::remove_file(&target),
                    // Two folders: the staged one holds only new entries of a new folder.
                    _ => Ok(()),
                }
                .and_then(|()| fs::rename(&source, &target))
                .map_err(|e| Error::io(&target, e))?;
            }
            Op::RemoveFile(_) => {
                if existing.is_some_and(|t| !t.is_dir()) {
                    fs::remove_file(&target).map_err(|e| Error::io(&target, e))?;
                }
            }
            Op::RemoveDir(_) => {
                if existing.is_some_and(|t| t.is_dir()) {
                    // Not empty when it holds what is kept (a case variant of a site file).
                    if let Err(e) = fs::remove_dir(&target) {
                        if fs::read_dir(&target).is_ok_and(|mut d| d.next().is_none()) {
                            return Err(Error::io(&target, e));
                        }
                    }
                }
            }
        }
    }
    fault_point(ops.len());
    Ok(())
}

/// Finishes the commit a killed build left in `staging` (if its journal is complete), then
/// removes the staging folder. Returns whether a commit was finished.
pub(super) fn recover(output: &Path, staging: &Path) -> Result<bool> {
    if fs::symlink_metadata(staging).is_err() {
        return Ok(false);
    }
    let finished = match read(staging)? {
        Some(ops) => {
            run(output, staging, &ops)?;
            true
        }
        None => false,
    };
    fs::remove_dir_all(staging).map_err(|e| Error::io(staging, e))?;
    Ok(finished)
}

/// The test suite's fault hook: with `CASEBOOK_TEST_FAULT=commit:N` the process aborts before
/// the commit's op `N` (0 = right after the journal is written), as a kill would stop it.
fn fault_point(n: usize) {
    if let Some(v) = std::env::var_os("CASEBOOK_TEST_FAULT") {
        if v.to_str()
            .and_then(|v| v.strip_prefix("commit:"))
            .and_then(|k| k.parse::<usize>().ok())
            == Some(n)
        {
            std::process::abort();
        }
    }
}

#[cfg(unix)]
fn path_bytes(p: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    p.as_os_str().as_bytes().to_vec()
}

#[cfg(unix)]
fn path_from_bytes(b: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(b))
}

#[cfg(not(unix))]
fn path_bytes(p: &Path) -> Vec<u8> {
    p.to_string_lossy().into_owned().into_bytes()
}

#[cfg(not(unix))]
fn path_from_bytes(b: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(b).into_owned())
}
