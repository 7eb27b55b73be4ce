//! Write stage: puts rendered files on disk.
//!
//! Entry point: [`write`] (or [`Staging`], which the build streams into). Files that differ from
//! the previous output go into a fresh folder beside it; the output is touched only by
//! [`Staging::commit`], once everything succeeded. So a failed build leaves the previous output
//! exactly as it was, and files of deleted reports never linger. The commit itself replaces
//! file by file (each replacement is one rename, new files first, stale ones removed last): a
//! crash in the middle of it leaves old and new pages side by side, never a page missing, and
//! the next build repairs it.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::render::OutputFile;

/// Writes `files` (and extra folders produced by `fill`) to `output`, replacing what it held.
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

/// A fresh folder beside the output that the files of a build go into as they are produced, so a
/// build need not hold the whole site in memory. Only files that differ from the previous output
/// are written there; [`Staging::commit`] then moves them into the output and removes what the
/// new site no longer has. Dropped without a commit (a failed build), the folder is removed and
/// the output is left as it was.
///
/// Why not build a whole new tree and swap it in: a site has a folder per page, and on the
/// benchmark machine's ext4 every `mkdir` cost 28 µs and every `rmdir` 63 µs, serialized on the
/// parent folder; creating 12,000 page folders and removing the old ones was a second and a half
/// of a 100x build in which nothing had changed. Unchanged pages now cost one read each.
#[derive(Debug)]
pub struct Staging {
    dir: Option<tempfile::TempDir>,
    output: PathBuf,
    /// The output being updated, if it is a folder.
    previous: Option<PathBuf>,
    /// Every path put so far (`/`-separated, normalised), and whether its bytes are in the
    /// staging folder (true) or are the previous output's, unchanged (false).
    put: Mutex<HashMap<String, bool>>,
    /// Folders of the previous output already looked at: whether each is a real folder (not a
    /// link). A file is only taken as unchanged under real folders, because the commit removes
    /// links the new site does not have, and what was under them with it.
    real_folders: Mutex<HashMap<PathBuf, bool>>,
}

impl Staging {
    /// Creates the staging folder beside `output` (same file system, so moves are renames).
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
        if fs::symlink_metadata(output).is_ok() && !output.is_dir() {
            return Err(Error::Invalid(format!(
                "output path {} exists and is not a folder; move it away or choose another --output",
                output.display()
            )));
        }
        // An output that is a link to a folder elsewhere is updated where it points, and staged
        // beside that, so the commit's renames stay on one file system.
        let (output, parent) = match fs::canonicalize(output) {
            Ok(real) if real != output => {
                let parent = real.parent().map_or(parent, Path::to_path_buf);
                (real, parent)
            }
            _ => (output.to_path_buf(), parent),
        };
        sweep_abandoned(&parent, &name);
        let dir = tempfile::Builder::new()
            .prefix(&format!(".{name}.new-"))
            .tempdir_in(&parent)
            .map_err(|e| Error::io(&parent, e))?;
        Ok(Staging {
            dir: Some(dir),
            previous: output.is_dir().then(|| output.clone()),
            output,
            put: Mutex::new(HashMap::new()),
            real_folders: Mutex::new(HashMap::new()),
        })
    }

    /// The staging folder (for writers that fill a folder themselves).
    pub fn path(&self) -> &Path {
        self.dir.as_ref().map_or(Path::new("."), |d| d.path())
    }

    /// Takes one file of the new site; safe to call from several threads. A file equal to the
    /// previous output's is only noted; any other is written into the staging folder. The
    /// previous output is only ever read.
    pub fn put(&self, file: &OutputFile) -> Result<()> {
        let rel = Path::new(&file.path);
        // Paths come from our own renderer, but a slug or theme file name must never escape the output.
        if rel.is_absolute() || rel.components().any(|c| !matches!(c, Component::Normal(_))) {
            return Err(Error::Invalid(format!(
                "refusing to write outside the output folder: {}",
                file.path
            )));
        }
        let key = key_of(rel);
        let again = self.note(&key, false)?.is_some();
        // A second file for one path replaces the first, so it is always staged.
        if !again {
            if let Some(old) = &self.previous {
                if self.under_real_folders(old, rel)? && unchanged(&old.join(rel), &file.bytes) {
                    return Ok(());
                }
            }
        }
        let path = self.path().join(rel);
        in_folder(&path, || {
            let mut f = match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
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
        .map_err(|e| Error::io(&path, e))?;
        self.note(&key, true)?;
        Ok(())
    }

    /// Whether every folder on the way to `rel` in the previous output is a real folder.
    fn under_real_folders(&self, old: &Path, rel: &Path) -> Result<bool> {
        let poisoned = || Error::Invalid("write: a thread panicked".into());
        for folder in rel.ancestors().skip(1) {
            if folder.as_os_str().is_empty() {
                break;
            }
            let known = self
                .real_folders
                .lock()
                .map_err(|_| poisoned())?
                .get(folder)
                .copied();
            let real = match known {
                Some(real) => real,
                None => {
                    let real = fs::symlink_metadata(old.join(folder)).is_ok_and(|m| m.is_dir());
                    self.real_folders
                        .lock()
                        .map_err(|_| poisoned())?
                        .insert(folder.to_path_buf(), real);
                    real
                }
            };
            if !real {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn note(&self, path: &str, staged: bool) -> Result<Option<bool>> {
        Ok(self
            .put
            .lock()
            .map_err(|_| Error::Invalid("write: a thread panicked".into()))?
            .insert(path.to_string(), staged))
    }

    /// Makes the output the new site: with no previous output folder the staging folder is
    /// renamed into place; otherwise what the new site lacks is removed from the output and the
    /// staged files are moved in (whole new folders with one rename each).
    pub fn commit(mut self) -> Result<()> {
        let Some(dir) = self.dir.take().map(tempfile::TempDir::keep) else {
            return Ok(());
        };
        let put = std::mem::take(
            &mut *self
                .put
                .lock()
                .map_err(|_| Error::Invalid("write: a thread panicked".into()))?,
        );
        match &self.previous {
            Some(output) => {
                let result = move_in(&dir, output).and_then(|()| remove_stale(output, &put));
                // What is left are folders whose files moved out.
                let _ = fs::remove_dir_all(&dir);
                result
            }
            None => swap(dir, &self.output),
        }
    }
}

/// Removes from `output` every file that is not a path of the new site and every folder that
/// holds none, deepest first (also files where the new site has a folder, and the reverse).
fn remove_stale(output: &Path, put: &HashMap<String, bool>) -> Result<()> {
    let mut folders: HashSet<&Path> = HashSet::new();
    for p in put.keys() {
        let mut at = Path::new(p.as_str()).parent();
        while let Some(f) = at.filter(|f| !f.as_os_str().is_empty()) {
            if !folders.insert(f) {
                break;
            }
            at = f.parent();
        }
    }
    // On a file system that ignores case, `Foo.css` in the old output is `foo.css` of the new
    // site, found unchanged through it: not stale.
    let unchanged_folded: HashSet<String> = put
        .iter()
        .filter(|(_, staged)| !**staged)
        .map(|(k, _)| k.to_lowercase())
        .collect();
    let mut stale_files = Vec::new();
    let mut stale_folders = Vec::new();
    for e in walkdir::WalkDir::new(output).min_depth(1) {
        let e = e.map_err(|e| Error::io(output, e.into()))?;
        let rel = e.path().strip_prefix(output).unwrap_or(e.path());
        let key = rel.to_str().map(|_| key_of(rel));
        if e.file_type().is_dir() {
            if key.is_none_or(|k| !folders.contains(Path::new(&k))) {
                stale_folders.push((e.depth(), e.into_path()));
            }
        } else if key
            .is_none_or(|k| !put.contains_key(&k) && !unchanged_folded.contains(&k.to_lowercase()))
        {
            stale_files.push(e.into_path());
        }
    }
    stale_files
        .par_iter()
        .try_for_each(|f| fs::remove_file(f).map_err(|e| Error::io(f, e)))?;
    stale_folders.sort_by_key(|(depth, _)| std::cmp::Reverse(*depth));
    for (_, f) in stale_folders {
        // Empty by now, unless it holds what is kept above (a case variant of a site file).
        if let Err(e) = fs::remove_dir(&f) {
            if fs::read_dir(&f).is_ok_and(|mut d| d.next().is_none()) {
                return Err(Error::io(&f, e));
            }
        }
    }
    Ok(())
}

/// A site path as the staging records it: `/`-separated components (no empty or `.` parts).
fn key_of(rel: &Path) -> String {
    let parts: Vec<_> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect();
    parts.join("/")
}

/// Removes staging folders of builds that were killed (an ordinary failure removes its own):
/// `.<name>.new-*` beside the output, untouched for an hour.
fn sweep_abandoned(parent: &Path, name: &str) {
    let prefix = format!(".{name}.new-");
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        let old_enough = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age.as_secs() > 3600);
        if old_enough && e.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

/// Moves everything in `staging` into `output`: a folder the output lacks in one rename, files
/// over the output's (a rename replaces the old file in one step).
fn move_in(staging: &Path, output: &Path) -> Result<()> {
    let mut walk = walkdir::WalkDir::new(staging).min_depth(1).into_iter();
    while let Some(e) = walk.next() {
        let e = e.map_err(|e| Error::io(staging, e.into()))?;
        let rel = e.path().strip_prefix(staging).unwrap_or(e.path());
        let target = output.join(rel);
        let existing = fs::symlink_metadata(&target).ok().map(|m| m.file_type());
        if e.file_type().is_dir() {
            match existing {
                Some(t) if t.is_dir() => continue,
                // A file or link where the new site has a folder.
                Some(_) => fs::remove_file(&target).map_err(|err| Error::io(&target, err))?,
                None => {}
            }
            fs::rename(e.path(), &target).map_err(|err| Error::io(&target, err))?;
            walk.skip_current_dir();
        } else {
            // A folder where the new site has a file (a rename cannot replace a folder).
            if existing.is_some_and(|t| t.is_dir()) {
                fs::remove_dir_all(&target).map_err(|err| Error::io(&target, err))?;
            }
            fs::rename(e.path(), &target).map_err(|err| Error::io(&target, err))?;
        }
    }
    Ok(())
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

/// Whether `old` is a regular file (not a link to elsewhere) holding exactly `bytes`. Read in
/// blocks: the print edition at 100x the digest is 25 MB, and reading it whole to compare
/// was a sizeable share of the build's peak memory.
fn unchanged(old: &Path, bytes: &[u8]) -> bool {
    use std::io::Read;
    let same_size = |m: fs::Metadata| m.is_file() && m.len() == bytes.len() as u64;
    if !fs::symlink_metadata(old).is_ok_and(same_size) {
        return false;
    }
    let Ok(mut f) = fs::File::open(old) else {
        return false;
    };
    let mut buf = [0u8; 64 * 1024];
    let mut rest = bytes;
    loop {
        match f.read(&mut buf) {
            Ok(0) => return rest.is_empty(),
            Ok(n) if n <= rest.len() && buf[..n] == rest[..n] => rest = &rest[n..],
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            _ => return false,
        }
    }
}

/// Moves `staging` to `output` when there is no output yet.
fn swap(staging: PathBuf, output: &Path) -> Result<()> {
    fs::rename(&staging, output).map_err(|e| {
        let _ = fs::remove_dir_all(&staging);
        Error::io(output, e)
    })
}

#[cfg(test)]
#[path = "write_tests.rs"]
mod tests;
