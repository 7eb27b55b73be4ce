//! Write stage: puts rendered files on disk, all or nothing.
//!
//! Entry point: [`write`]. The site is written into a fresh folder beside the output folder, then
//! swapped in with two renames, so a failed build leaves the previous output exactly as it was,
//! and files of deleted reports never linger.

use std::fs;
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
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{name}.new-"))
        .tempdir_in(&parent)
        .map_err(|e| Error::io(&parent, e))?;

    files
        .par_iter()
        .map(|f| write_one(staging.path(), f))
        .collect::<Result<()>>()?;
    fill(staging.path())?;

    swap(staging.keep(), output)
}

fn write_one(dir: &Path, file: &OutputFile) -> Result<()> {
    let rel = Path::new(&file.path);
    // Paths come from our own renderer, but a slug or theme file name must never escape the output.
    if rel.is_absolute() || rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(Error::Invalid(format!(
            "refusing to write outside the output folder: {}",
            file.path
        )));
    }
    let path = dir.join(rel);
    if let Some(p) = path.parent() {
        fs::create_dir_all(p).map_err(|e| Error::io(p, e))?;
    }
    fs::write(&path, &file.bytes).map_err(|e| Error::io(&path, e))
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
