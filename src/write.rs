//! Write stage: puts rendered files on disk, all or nothing.
//!
//! Entry point: [`write`]. The site is written into a fresh folder beside the output folder, then
//! swapped in with two renames, so a failed build leaves the previous output exactly as it was,
//! and files of deleted reports never linger.

use std::fs;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::render::OutputFile;

/// Writes `files` (and extra folders produced by `fill`) to `output`, replacing it atomically.
pub fn write(
    output: &Path,
    files: &[OutputFile],
    fill: impl FnOnce(&Path) -> Result<()>,
) -> Result<()> {
    let staging = Staging::new(output)?;
    files
        .par_iter()
        .map(|f| staging.put(f))
        .collect::<Result<()>>()?;
    fill(staging.path())?;
    staging.commit()
}

/// A fresh folder beside the output that files are written into as they are produced, so a
/// build need not hold the whole site in memory; [`Staging::commit`] swaps it in. Dropped
/// without a commit (a failed build), it is removed and the output is left as it was.
#[derive(Debug)]
pub struct Staging {
    dir: Option<tempfile::TempDir>,
    output: PathBuf,
    /// The output being replaced, if any: unchanged files are hard-linked from it.
    previous: Option<PathBuf>,
}

impl Staging {
    /// Creates the staging folder beside `output` (same file system, so the swap is a rename).
    pub fn new(output: &Path) -> Result<Self> {
        let parent = match output.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
        let name = output
            .file_name()
            .ok_or_else(|| Error::Invalid(format!("output path {} has no name", output.display())))?
            .to_string_lossy()
            .into_owned();
        let dir = tempfile::Builder::new()
            .prefix(&format!(".{name}.new-"))
            .tempdir_in(&parent)
            .map_err(|e| Error::io(&parent, e))?;
        Ok(Staging {
            dir: Some(dir),
            output: output.to_path_buf(),
            previous: output.is_dir().then(|| output.to_path_buf()),
        })
    }

    /// The staging folder (for writers that fill a folder themselves).
    pub fn path(&self) -> &Path {
        self.dir.as_ref().map_or(Path::new("."), |d| d.path())
    }

    /// Writes one file into the staging folder; safe to call from several threads.
    pub fn put(&self, file: &OutputFile) -> Result<()> {
        write_one(self.path(), self.previous.as_deref(), file)
    }

    /// Replaces the output folder with the staging folder.
    pub fn commit(mut self) -> Result<()> {
        let dir = self.dir.take().map(tempfile::TempDir::keep);
        match dir {
            Some(dir) => swap(dir, &self.output),
            None => Ok(()),
        }
    }
}

/// Puts `file` under `dir`: a hard link to the previous output's file when that holds the same
/// bytes, else a new file.
///
/// Why links: a rebuild replaces every file, and on ext4 creating tens of thousands of inodes
/// while the old tree's are being freed made the write stage system-bound (inode allocation
/// skips recently deleted inodes); a link allocates none, and removing the old tree then only
/// drops link counts. The previous output is never written through: files are only ever created
/// new (`create_new`), so a failed build still leaves it byte for byte as it was.
fn write_one(dir: &Path, previous: Option<&Path>, file: &OutputFile) -> Result<()> {
    let rel = Path::new(&file.path);
    // Paths come from our own renderer, but a slug or theme file name must never escape the output.
    if rel.is_absolute() || rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(Error::Invalid(format!(
            "refusing to write outside the output folder: {}",
            file.path
        )));
    }
    let path = dir.join(rel);
    if let Some(old) = previous.map(|p| p.join(rel)) {
        if unchanged(&old, &file.bytes) && in_folder(&path, || fs::hard_link(&old, &path)).is_ok() {
            return Ok(());
        }
    }
    in_folder(&path, || {
        let mut f = match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            // A second file for one path replaces the first, never writes into it (it may be a
            // link into the previous output).
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                fs::remove_file(&path)?;
                fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&path)?
            }
            other => other?,
        };
        f.write_all(&file.bytes)
    })
    .map_err(|e| Error::io(&path, e))
}

/// Runs `op` (which creates `path`), creating the folder first only if `op` finds it missing:
/// most files share a folder with others, and a `mkdir` that fails with "exists" cost as much
/// as writing a file on the benchmark machine.
fn in_folder(path: &Path, op: impl Fn() -> io::Result<()>) -> io::Result<()> {
    match op() {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if let Some(p) = path.parent() {
                fs::create_dir_all(p)?;
            }
            op()
        }
        other => other,
    }
}

/// Whether `old` is a regular file (not a link to elsewhere) holding exactly `bytes`.
fn unchanged(old: &Path, bytes: &[u8]) -> bool {
    fs::symlink_metadata(old).is_ok_and(|m| m.is_file() && m.len() == bytes.len() as u64)
        && fs::read(old).is_ok_and(|b| b == bytes)
}

/// Moves `staging` to `output`; the old output is moved aside first and removed after.
fn swap(staging: PathBuf, output: &Path) -> Result<()> {
    if output.exists() {
        let parent = staging.parent().unwrap_or(Path::new("."));
        let old = tempfile::Builder::new()
            .prefix(".output.old-")
            .tempdir_in(parent)
            .map_err(|e| Error::io(parent, e))?
            .keep();
        let aside = old.join("site");
        if let Err(e) = fs::rename(output, &aside) {
            let _ = fs::remove_dir_all(&staging);
            let _ = fs::remove_dir_all(&old);
            return Err(Error::io(output, e));
        }
        if let Err(e) = fs::rename(&staging, output) {
            // Put the old site back so nothing is lost.
            let _ = fs::rename(&aside, output);
            let _ = fs::remove_dir_all(&staging);
            let _ = fs::remove_dir_all(&old);
            return Err(Error::io(output, e));
        }
        remove_tree(&old);
    } else {
        fs::rename(&staging, output).map_err(|e| Error::io(output, e))?;
    }
    Ok(())
}

/// Removes a folder tree, unlinking files in parallel: on file systems that discard blocks on
/// unlink, each removal waits on the device, and a serial walk made rebuilds wait seconds.
fn remove_tree(dir: &Path) {
    let files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| !e.file_type().is_dir())
        .map(|e| e.into_path())
        .collect();
    files.par_iter().with_min_len(16).for_each(|f| {
        let _ = fs::remove_file(f);
    });
    let _ = fs::remove_dir_all(dir);
}

#[cfg(test)]
#[path = "write_tests.rs"]
mod tests;
