//! Write stage: puts rendered files on disk.
//!
//! Entry point: [`write`] (or [`Staging`], which the build streams into). The output folder is
//! first claimed ([`guard`]: never a folder of the site, never a folder casebook did not make
//! without `--force`, one build at a time). Files that differ from the previous output go into
//! a staging folder inside it; the output's pages are touched only by [`Staging::commit`], once
//! everything succeeded, so a failed build leaves the previous output exactly as it was, and
//! files of deleted reports never linger. The commit is journalled ([`journal`]): a build killed
//! during it is finished by the next one.

mod guard;
mod journal;
mod made;

pub use guard::{OutputPolicy, MARKER};

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::output::OutputFile;
use journal::Op;

/// The staging folder, inside the output.
const STAGING: &str = ".casebook-staging";

/// The cache folder, inside the output: what a build keeps for the next (encoded images). In
/// the output because that is the one folder a build may write to (see [`guard`]); a build
/// never publishes it, never removes it as stale, and deleting it only costs time.
pub const CACHE: &str = ".casebook-cache";

/// Writes `files` (and extra folders produced by `fill`) to `output`, replacing what it held.
pub fn write(
    output: &Path,
    policy: &OutputPolicy,
    files: &[OutputFile],
    fill: impl FnOnce(&Path) -> Result<()>,
) -> Result<()> {
    let staging = Staging::new(output, policy)?;
    files
        .par_iter()
        .map(|f| staging.put(f))
        .collect::<Result<()>>()?;
    fill(staging.path())?;
    staging.commit().map(|_| ())
}

/// A folder inside the output that the files of a build go into as they are produced, so a
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
    /// The staging folder; `None` once committed.
    dir: Option<PathBuf>,
    /// The output folder, claimed and locked (the lock lasts as long as this value).
    claimed: guard::Claimed,
    /// Every path put so far (`/`-separated, normalised), and whether its bytes are in the
    /// staging folder (true) or are the previous output's, unchanged (false).
    put: Mutex<HashMap<String, bool>>,
    /// Folders of the previous output already looked at: whether each is a real folder (not a
    /// link). A file is only taken as unchanged under real folders, because the commit removes
    /// links the new site does not have, and what was under them with it.
    real_folders: Mutex<HashMap<PathBuf, bool>>,
    /// Folders of the staging folder made so far: a file in a new folder (every report's page
    /// has one) is created after its folder, not tried, refused and tried again.
    made_folders: Mutex<HashSet<PathBuf>>,
    /// With [`Staging::remember`]: the epoch, the previous build's table of what it made, and
    /// this build's (see [`made`]).
    memory: Option<Memory>,
}

/// The tables of [`Staging::remember`].
#[derive(Debug)]
struct Memory {
    epoch: u64,
    previous: made::Made,
    now: Mutex<made::Made>,
}

impl Staging {
    /// Claims `output` under `policy` (see [`guard`]), finishes or discards what a killed build
    /// left there, and creates the staging folder inside it (same file system: moves are
    /// renames, and nothing is written beside the output).
    pub fn new(output: &Path, policy: &OutputPolicy) -> Result<Self> {
        let claimed = guard::claim(output, policy)?;
        let dir = claimed.dir.join(STAGING);
        journal::recover(&claimed.dir, &dir)?;
        fs::create_dir(&dir).map_err(|e| Error::io(&dir, e))?;
        Ok(Staging {
            dir: Some(dir),
            claimed,
            put: Mutex::new(HashMap::new()),
            real_folders: Mutex::new(HashMap::new()),
            made_folders: Mutex::new(HashSet::new()),
            memory: None,
        })
    }

    /// The output's cache of `kind` (`images`): files kept for the next build in
    /// [`CACHE`]`/<kind>/`. Entries the build does not ask for are removed by
    /// [`DiskCache::prune`].
    pub fn cache(&self, kind: &str) -> DiskCache {
        DiskCache {
            dir: self.claimed.dir.join(CACHE).join(kind),
            used: Mutex::new(HashSet::new()),
        }
    }

    /// The staging folder (for writers that fill a folder themselves).
    pub fn path(&self) -> &Path {
        self.dir.as_deref().unwrap_or(Path::new("."))
    }

    /// Takes one file of the new site; safe to call from several threads. A file equal to the
    /// previous output's is only noted; any other is written into the staging folder. The
    /// previous output is only ever read.
    pub fn put(&self, file: &OutputFile) -> Result<()> {
        let key = self.memory.as_ref().map(|_| made::content_key(&file.bytes));
        self.put_keyed(file, key.unwrap_or(0))
    }

    /// [`Staging::put`] of a file made from `key` (a page's; see [`Staging::keep`]).
    pub fn put_keyed(&self, file: &OutputFile, key: u64) -> Result<()> {
        self.place(
            &file.path,
            key,
            |old, meta| unchanged(old, meta, &file.bytes),
            |path| {
                let mut f = create_new(path)?;
                f.write_all(&file.bytes)
            },
        )
    }

    /// [`Staging::put_keyed`] of a file that `write` writes in pieces straight into its staged
    /// file: a table of a hundred megabytes (the JSON export at 1000x the digest) is never held
    /// whole. A previous file is kept only by its key (it is not compared).
    pub fn put_written(
        &self,
        path: &str,
        key: u64,
        write: &mut dyn FnMut(&mut dyn Write) -> Result<()>,
    ) -> Result<()> {
        // `write`'s own error, as it was (the file's I/O error only says that it stopped).
        let mut failed = None;
        let placed = self.place(
            path,
            key,
            |_, _| false,
            |target| {
                let mut w = io::BufWriter::with_capacity(1 << 16, create_new(target)?);
                if let Err(e) = write(&mut w) {
                    failed = Some(e);
                    return Err(io::Error::other("not written"));
                }
                w.into_inner().map_err(io::IntoInnerError::into_error)?;
                Ok(())
            },
        );
        failed.map_or(placed, Err)
    }

    /// Notes the new site's file `path`, made from `key`: nothing more when the previous
    /// output has it, as the previous build's table (same key, same stamp) or `unchanged` (given
    /// the old file's metadata) says, else made in the staging folder by `make`. A made file's
    /// stamp is taken once the commit has moved it (`Made::restamp`).
    fn place(
        &self,
        path: &str,
        key: u64,
        unchanged: impl FnOnce(&Path, &fs::Metadata) -> bool,
        make: impl FnOnce(&Path) -> io::Result<()>,
    ) -> Result<()> {
        let rel = checked(path)?;
        let site_path = key_of(rel);
        let again = self.note(&site_path, false)?.is_some();
        let hash = self.memory.as_ref().map(|_| made::path_hash(path));
        let entry = |stamp| made::Entry {
            path: hash.unwrap_or(0),
            key,
            stamp,
        };
        // A second file for one path replaces the first, so it is always staged.
        if !again {
            let old = &self.claimed.dir.join(rel);
            let meta = match self.under_real_folders(&self.claimed.dir, rel)? {
                true => fs::symlink_metadata(old).ok(),
                false => None,
            };
            if let Some(meta) = meta {
                let stamp = made::stamp(&meta);
                // Key 0 is no key (a moved file): compared, never known.
                let known = |m: &Memory| {
                    key != 0
                        && m.previous
                            .get(hash.unwrap_or(0))
                            .is_some_and(|e| e.key == key && Some(e.stamp) == stamp)
                };
                if self.memory.as_ref().is_some_and(known) || unchanged(old, &meta) {
                    if let Some(stamp) = stamp {
                        self.record(entry(stamp))?;
                    }
                    return Ok(());
                }
            }
        }
        let target = self.path().join(rel);
        self.folder_of(rel)?;
        make(&target).map_err(|e| Error::io(&target, e))?;
        self.note(&site_path, true)?;
        // Its stamp is taken after the commit (a rename sets the change time).
        self.record(entry(0))
    }

    /// Makes the staging folder's folder for file `rel`, once.
    fn folder_of(&self, rel: &Path) -> Result<()> {
        let Some(parent) = rel.parent().filter(|p| !p.as_os_str().is_empty()) else {
            return Ok(());
        };
        let poisoned = || Error::Poisoned("write");
        if self
            .made_folders
            .lock()
            .map_err(|_| poisoned())?
            .contains(parent)
        {
            return Ok(());
        }
        let dir = self.path().join(parent);
        fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        self.made_folders
            .lock()
            .map_err(|_| poisoned())?
            .insert(parent.to_path_buf());
        Ok(())
    }

    /// Whether every folder on the way to `rel` in the previous output is a real folder.
    fn under_real_folders(&self, old: &Path, rel: &Path) -> Result<bool> {
        let poisoned = || Error::Poisoned("write");
        // From the top down: in a new output the first folder answers for every file under
        // it, with no look at the disk (from the bottom up, each report's page folder was one).
        let folders: Vec<&Path> = rel.ancestors().skip(1).collect();
        for &folder in folders.iter().rev() {
            if folder.as_os_str().is_empty() {
                continue;
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

    /// Notes `path` as the previous output's, unchanged, unless it was put already; whether it
    /// was not.
    fn note_first(&self, path: &str) -> Result<bool> {
        let mut put = self.put.lock().map_err(|_| Error::Poisoned("write"))?;
        if put.contains_key(path) {
            return Ok(false);
        }
        put.insert(path.to_string(), false);
        Ok(true)
    }

    fn note(&self, path: &str, staged: bool) -> Result<Option<bool>> {
        Ok(self
            .put
            .lock()
            .map_err(|_| Error::Poisoned("write"))?
            .insert(path.to_string(), staged))
    }

    /// Makes the output the new site: the staged files are moved in (whole new folders with one
    /// rename each), then what the new site lacks is removed; all of it written down first in
    /// the journal, so that a kill in the middle is finished by the next build. Returns how many
    /// files were written (the others were the previous output's, unchanged).
    pub fn commit(mut self) -> Result<usize> {
        let Some(dir) = self.dir.take() else {
            return Ok(0);
        };
        let put = std::mem::take(&mut *self.put.lock().map_err(|_| Error::Poisoned("write"))?);
        let written = put.values().filter(|staged| **staged).count();
        let output = &self.claimed.dir;
        let mut ops = moves(&dir, output)?;
        ops.extend(stale(output, &put)?);
        journal::write(&dir, &ops)?;
        journal::run(output, &dir, &ops)?;
        fs::remove_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        // After the commit: the table speaks only for files with their recorded stamps, so one
        // left from before by a kill above is still true of every file it would keep.
        let cache = self.cache_dir();
        match self.memory.take() {
            Some(memory) => {
                let mut now = memory
                    .now
                    .into_inner()
                    .map_err(|_| Error::Poisoned("write"))?;
                let staged = put.iter().filter(|(_, s)| **s).map(|(p, _)| p.as_str());
                now.restamp(output, staged);
                // Failing to keep the table only costs the next build its work.
                let _ = now.save(&cache, memory.epoch);
            }
            None => made::Made::forget(&cache),
        }
        Ok(written)
    }
}

/// A folder of cached files in the output (see [`Staging::cache`]). Keys are file names made by
/// the caller (hex digests and a suffix); anything else is refused.
#[derive(Debug)]
pub struct DiskCache {
    dir: PathBuf,
    /// Keys asked for or stored by this build.
    used: Mutex<HashSet<String>>,
}

impl DiskCache {
    fn file(&self, key: &str) -> Option<PathBuf> {
        let safe = !key.is_empty()
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
            && !key.starts_with('.');
        if let Ok(mut used) = self.used.lock() {
            used.insert(key.to_string());
        }
        safe.then(|| self.dir.join(key))
    }

    /// Removes every entry this build did not use: the cache holds the current site's images,
    /// not every image the site ever had.
    pub fn prune(&self) -> Result<()> {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return Ok(());
        };
        let used = self.used.lock().map_err(|_| Error::Poisoned("cache"))?;
        for e in entries.flatten() {
            let keep = e.file_name().to_str().is_some_and(|n| used.contains(n));
            if !keep {
                let _ = fs::remove_file(e.path());
            }
        }
        Ok(())
    }
}

impl crate::output::Cache for DiskCache {
    fn get(&self, key: &str) -> Option<Vec<u8>> {
        fs::read(self.file(key)?).ok()
    }

    fn put(&self, key: &str, bytes: &[u8]) {
        let Some(path) = self.file(key) else { return };
        // Written beside and renamed: a build killed mid-write leaves no half file under a
        // key that a later build would trust.
        let tmp = self.dir.join(format!(".{key}.tmp"));
        let _ = fs::create_dir_all(&self.dir);
        if fs::write(&tmp, bytes).is_ok() && fs::rename(&tmp, &path).is_err() {
            let _ = fs::remove_file(&tmp);
        }
    }
}

impl Drop for Staging {
    /// A build that did not commit leaves the output as it was (and no output at all if it
    /// created the folder).
    fn drop(&mut self) {
        if let Some(dir) = self.dir.take() {
            let _ = fs::remove_dir_all(&dir);
            if self.claimed.created {
                // The cache of a first build that failed caches nothing worth an output folder.
                let _ = fs::remove_dir_all(self.claimed.dir.join(CACHE));
                let _ = fs::remove_file(self.claimed.dir.join(MARKER));
                let _ = fs::remove_dir(&self.claimed.dir);
            }
        }
    }
}

/// The moves that bring everything staged into `output`: a folder the output lacks in one
/// rename, files over the output's (a rename replaces the old file in one step).
fn moves(staging: &Path, output: &Path) -> Result<Vec<Op>> {
    let mut ops = Vec::new();
    let mut walk = walkdir::WalkDir::new(staging).min_depth(1).into_iter();
    while let Some(e) = walk.next() {
        let e = e.map_err(|e| Error::io(staging, e.into()))?;
        let rel = e.path().strip_prefix(staging).unwrap_or(e.path());
        if e.file_type().is_dir() {
            if fs::symlink_metadata(output.join(rel)).is_ok_and(|m| m.is_dir()) {
                continue;
            }
            walk.skip_current_dir();
        }
        ops.push(Op::Move(rel.to_path_buf()));
    }
    Ok(ops)
}

/// The removals that leave in `output` only the paths of the new site: every file that is not
/// one of them, and every folder that holds none, deepest first (also files where the new site
/// has a folder, and the reverse). The marker and the staging folder stay.
fn stale(output: &Path, put: &HashMap<String, bool>) -> Result<Vec<Op>> {
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
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    let internal = |e: &walkdir::DirEntry| {
        e.depth() == 1
            && (e.file_name() == STAGING || e.file_name() == MARKER || e.file_name() == CACHE)
    };
    for e in walkdir::WalkDir::new(output)
        .min_depth(1)
        .into_iter()
        .filter_entry(|e| !internal(e))
    {
        let e = e.map_err(|e| Error::io(output, e.into()))?;
        let rel = e.path().strip_prefix(output).unwrap_or(e.path());
        let key = rel.to_str().map(|_| key_of(rel));
        if e.file_type().is_dir() {
            if key.is_none_or(|k| !folders.contains(Path::new(&k))) {
                dirs.push((e.depth(), rel.to_path_buf()));
            }
        } else if key
            .is_none_or(|k| !put.contains_key(&k) && !unchanged_folded.contains(&k.to_lowercase()))
        {
            files.push(Op::RemoveFile(rel.to_path_buf()));
        }
    }
    dirs.sort_by_key(|(depth, _)| std::cmp::Reverse(*depth));
    files.extend(dirs.into_iter().map(|(_, d)| Op::RemoveDir(d)));
    Ok(files)
}

/// `path` as a relative path inside the output, or the error of a path that would leave it or
/// name the output's own files. Paths come from our own renderer, but a slug or theme file name
/// must never escape the output.
fn checked(path: &str) -> Result<&Path> {
    let rel = Path::new(path);
    let internal = rel.components().next().is_some_and(|c| {
        c.as_os_str() == STAGING || c.as_os_str() == MARKER || c.as_os_str() == CACHE
    });
    if internal || rel.is_absolute() || rel.components().any(|c| !matches!(c, Component::Normal(_)))
    {
        return Err(Error::OutsideOutput(path.to_string()));
    }
    Ok(rel)
}

/// A site path as the staging records it: `/`-separated components (no empty or `.` parts).
fn key_of(rel: &Path) -> String {
    let parts: Vec<_> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect();
    parts.join("/")
}

/// Creates the new file `path`, replacing one a previous `put` of the same path made.
fn create_new(path: &Path) -> io::Result<fs::File> {
    let new = || {
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
    };
    match new() {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            fs::remove_file(path)?;
            new()
        }
        other => other,
    }
}

/// Whether `old` (whose metadata, not following links, is `meta`) is a regular file holding
/// exactly `bytes`. Read in blocks: the print edition at 100x the digest is 25 MB, and reading
/// it whole to compare was a sizeable share of the build's peak memory.
fn unchanged(old: &Path, meta: &fs::Metadata, bytes: &[u8]) -> bool {
    same_content(old, meta, bytes, bytes.len() as u64)
}

/// Whether `old` (metadata `meta`) is a regular file (not a link to elsewhere) of `len` bytes
/// that `new` reads exactly, both read in blocks.
fn same_content(old: &Path, meta: &fs::Metadata, mut new: impl io::Read, len: u64) -> bool {
    use std::io::Read;
    if !(meta.is_file() && meta.len() == len) {
        return false;
    }
    let Ok(mut f) = fs::File::open(old) else {
        return false;
    };
    let (mut was, mut is) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
    loop {
        match f.read(&mut was) {
            Ok(0) => return matches!(new.read(&mut is[..1]), Ok(0)),
            Ok(n) => {
                if new.read_exact(&mut is[..n]).is_err() || was[..n] != is[..n] {
                    return false;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
