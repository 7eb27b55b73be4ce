//! What a build made, kept for the next one in `.casebook-cache/made`: for every file of the
//! output, the key it was made from and the stamp it had on disk, and which files the search
//! index made under which key.
//!
//! A key names a file's inputs: a page's is the hash of its template and data (the one `serve`
//! compares), any other file's is the hash of its bytes. When the next build finds a file with
//! the key it would make it from, and the file on disk still has the recorded stamp (inode,
//! length, modification and change times, as git tells an unchanged file; taken after the
//! commit, whose renames set the change time, which nothing can set back: an edit followed by
//! `touch -r` is seen), it keeps the file without rendering it, reading it back or writing it.
//! Every key is taken within one *epoch*, a hash of the binary's source and of everything
//! site-wide a page's key leaves out (templates, strings, config); a table of another epoch is
//! ignored.
//!
//! The table only ever speaks for files that still carry their recorded stamp, so it cannot go
//! wrong when a build fails, is killed mid-commit, or someone edits or deletes an output file:
//! such a file has another stamp (or none) and is made again. Paths are kept as 64-bit hashes
//! (24 bytes a file: at 1000x the digest 760,000 files are 18 MB), except the index's, which a
//! build keeps without making them and must name.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::{checked, key_of, Memory, Staging, CACHE};
use crate::error::{Error, Result};

/// The table's file name in the cache folder.
const NAME: &str = "made";
/// Header: format and version.
const HEADER: &[u8] = b"casebook-made 2\n";

/// One file of a build: the hash of its path, its key, its stamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Entry {
    pub(super) path: u64,
    pub(super) key: u64,
    pub(super) stamp: u64,
}

/// The table of one build.
#[derive(Debug, Default)]
pub(super) struct Made {
    /// Sorted by path hash.
    pub(super) entries: Vec<Entry>,
    /// The search index's key and files, if the build kept them apart.
    pub(super) index: Option<(u64, Vec<String>)>,
}

/// The hash of a file's path in the table.
pub(super) fn path_hash(path: &str) -> u64 {
    crate::fingerprint::of(path)
}

/// The key of a file made from `bytes` alone (never equal to a page's key by design: another
/// domain of the hash).
pub(super) fn content_key(bytes: &[u8]) -> u64 {
    let mut h = crate::fingerprint::hasher();
    h.update(b"bytes\0");
    h.update(bytes);
    h.digest()
}

/// The stamp of a file as it is on disk; `None` for anything but a regular file.
pub(super) fn stamp(m: &fs::Metadata) -> Option<u64> {
    if !m.is_file() {
        return None;
    }
    let mut h = crate::fingerprint::hasher();
    h.update(&m.len().to_le_bytes());
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        h.update(&m.ino().to_le_bytes());
        h.update(&m.dev().to_le_bytes());
        h.update(&m.mtime().to_le_bytes());
        h.update(&m.mtime_nsec().to_le_bytes());
        h.update(&m.ctime().to_le_bytes());
        h.update(&m.ctime_nsec().to_le_bytes());
    }
    #[cfg(not(unix))]
    {
        let t = m.modified().ok()?;
        let since = t.duration_since(std::time::UNIX_EPOCH).ok()?;
        h.update(&since.as_nanos().to_le_bytes());
    }
    Some(h.digest())
}

impl Made {
    /// The entry of `path`, if the table has one.
    pub(super) fn get(&self, path: u64) -> Option<&Entry> {
        let i = self.entries.binary_search_by_key(&path, |e| e.path).ok()?;
        self.entries.get(i)
    }

    /// The table kept in `cache` for `epoch`; empty when there is none, it is of another epoch
    /// or it cannot be read (it only saves work).
    pub(super) fn load(cache: &Path, epoch: u64) -> Made {
        fs::read(cache.join(NAME))
            .ok()
            .and_then(|b| decode(&b, epoch))
            .unwrap_or_default()
    }

    /// Writes the table into `cache` for `epoch`, beside and renamed: a build killed while
    /// writing it leaves the previous table or none.
    pub(super) fn save(mut self, cache: &Path, epoch: u64) -> io::Result<()> {
        // The last entry of a path is its file (a second put replaces the first).
        self.entries.reverse();
        self.entries.sort_by_key(|e| e.path);
        self.entries.dedup_by_key(|e| e.path);
        let mut out = Vec::with_capacity(64 + self.entries.len() * 24);
        out.extend_from_slice(HEADER);
        out.extend_from_slice(&epoch.to_le_bytes());
        out.extend_from_slice(&(self.entries.len() as u64).to_le_bytes());
        for e in &self.entries {
            for v in [e.path, e.key, e.stamp] {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        if let Some((key, paths)) = &self.index {
            out.extend_from_slice(&key.to_le_bytes());
            out.extend_from_slice(&(paths.len() as u64).to_le_bytes());
            for p in paths {
                out.extend_from_slice(&(p.len() as u64).to_le_bytes());
                out.extend_from_slice(p.as_bytes());
            }
        }
        fs::create_dir_all(cache)?;
        let tmp = cache.join(format!(".{NAME}.tmp"));
        let mut f = fs::File::create(&tmp)?;
        f.write_all(&out)?;
        drop(f);
        fs::rename(&tmp, cache.join(NAME))
    }

    /// Takes again the stamps of the files this build wrote, `staged` (site paths), now that the
    /// commit moved them into `output` (a rename sets a file's change time); a file not there
    /// leaves the table.
    pub(super) fn restamp<'p>(&mut self, output: &Path, staged: impl Iterator<Item = &'p str>) {
        use rayon::prelude::*;
        let staged: Vec<&str> = staged.collect();
        let now: foldhash::HashMap<u64, Option<u64>> = staged
            .par_iter()
            .map(|p| {
                let meta = fs::symlink_metadata(output.join(p)).ok();
                (path_hash(p), meta.and_then(|m| stamp(&m)))
            })
            .collect();
        self.entries.retain_mut(|e| match now.get(&e.path) {
            None => true,
            Some(Some(s)) => {
                e.stamp = *s;
                true
            }
            Some(None) => false,
        });
    }

    /// Removes the table from `cache` (a build that keeps none).
    pub(super) fn forget(cache: &Path) {
        let _ = fs::remove_file(cache.join(NAME));
    }
}

impl Staging {
    /// Keeps a table of what this build makes for the next one, and uses the previous build's,
    /// if it was taken in the same `epoch` (a hash of everything site-wide the keys of
    /// [`Staging::keep`] leave out): a file whose key and stamp are unchanged is then kept
    /// without being made, read back or written (see [`made`]).
    pub fn remember(&mut self, epoch: u64) {
        let previous = Made::load(&self.cache_dir(), epoch);
        self.memory = Some(Memory {
            epoch,
            previous,
            now: Mutex::new(Made::default()),
        });
    }

    pub(super) fn cache_dir(&self) -> PathBuf {
        self.claimed.dir.join(CACHE)
    }

    /// Whether the previous build made `path` from `key` and the output still holds that very
    /// file: then it is the new site's file too, noted as unchanged, and need not be made.
    /// Always false without [`Staging::remember`].
    pub fn keep(&self, path: &str, key: u64) -> Result<bool> {
        let Some(memory) = &self.memory else {
            return Ok(false);
        };
        let hash = path_hash(path);
        let Some(entry) = memory.previous.get(hash).filter(|e| e.key == key) else {
            return Ok(false);
        };
        // A second file for one path (the first made, not kept) is made as the first was.
        if !self.keep_check(path, entry.stamp)? || !self.note_first(&key_of(checked(path)?))? {
            return Ok(false);
        }
        self.record(*entry)?;
        Ok(true)
    }

    /// The search index's files, if the previous build made them from `key` and every one is
    /// still in the output as it was: then they are all noted as unchanged (see
    /// [`Staging::keep`]) and returned, and the index need not be made.
    pub fn keep_index(&self, key: u64) -> Result<Option<Vec<String>>> {
        let Some(memory) = &self.memory else {
            return Ok(None);
        };
        let Some((_, paths)) = memory.previous.index.as_ref().filter(|(k, _)| *k == key) else {
            return Ok(None);
        };
        let entry = |p: &String| memory.previous.get(path_hash(p)).copied();
        // Looked at first, kept after: none is noted unless all can be.
        for p in paths {
            let Some(e) = entry(p) else { return Ok(None) };
            if !self.keep_check(p, e.stamp)? {
                return Ok(None);
            }
        }
        // Noted all at once, or none when another file has one of their paths already (a
        // theme's file under `search/`): then the index is made, as from scratch.
        let keys = paths
            .iter()
            .map(|p| checked(p).map(key_of))
            .collect::<Result<Vec<_>>>()?;
        {
            let mut put = self.put.lock().map_err(|_| Error::Poisoned("write"))?;
            if keys.iter().any(|k| put.contains_key(k)) {
                return Ok(None);
            }
            put.extend(keys.into_iter().map(|k| (k, false)));
        }
        for e in paths.iter().filter_map(entry) {
            self.record(e)?;
        }
        self.made_index(key, paths.clone())?;
        Ok(Some(paths.clone()))
    }

    /// Whether the output holds `path` with `stamp`, under real folders.
    fn keep_check(&self, path: &str, recorded: u64) -> Result<bool> {
        let rel = checked(path)?;
        let old = &self.claimed.dir;
        Ok(self.under_real_folders(old, rel)?
            && fs::symlink_metadata(old.join(rel))
                .ok()
                .and_then(|m| stamp(&m))
                == Some(recorded))
    }

    /// Notes that the search index of this build, made from `key`, is the files `paths` (all
    /// put through this staging), for the next build's [`Staging::keep_index`].
    pub fn made_index(&self, key: u64, paths: Vec<String>) -> Result<()> {
        if let Some(memory) = &self.memory {
            memory
                .now
                .lock()
                .map_err(|_| Error::Poisoned("write"))?
                .index = Some((key, paths));
        }
        Ok(())
    }

    pub(super) fn record(&self, entry: Entry) -> Result<()> {
        if let Some(memory) = &self.memory {
            memory
                .now
                .lock()
                .map_err(|_| Error::Poisoned("write"))?
                .entries
                .push(entry);
        }
        Ok(())
    }
}

/// A table being read.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn u64(&mut self) -> Option<u64> {
        let (head, rest) = self.0.split_first_chunk::<8>()?;
        self.0 = rest;
        Some(u64::from_le_bytes(*head))
    }

    fn len(&mut self) -> Option<usize> {
        usize::try_from(self.u64()?).ok()
    }

    fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = (self.0.get(..n)?, self.0.get(n..)?);
        self.0 = rest;
        Some(head)
    }
}

/// Reads a table of `epoch`; `None` if it is of another epoch or not well formed.
fn decode(bytes: &[u8], epoch: u64) -> Option<Made> {
    let mut r = Reader(bytes.strip_prefix(HEADER)?);
    if r.u64()? != epoch {
        return None;
    }
    let n = r.len()?;
    let mut entries = Vec::with_capacity(n.min(bytes.len() / 24));
    for _ in 0..n {
        entries.push(Entry {
            path: r.u64()?,
            key: r.u64()?,
            stamp: r.u64()?,
        });
    }
    let index = match r.u64() {
        None => None,
        Some(key) => {
            let n = r.len()?;
            let mut paths = Vec::with_capacity(n.min(bytes.len()));
            for _ in 0..n {
                let len = r.len()?;
                paths.push(String::from_utf8(r.bytes(len)?.to_vec()).ok()?);
            }
            Some((key, paths))
        }
    };
    if !r.0.is_empty() || !entries.windows(2).all(|w| w[0].path < w[1].path) {
        return None;
    }
    Some(Made { entries, index })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_reads_back_as_written_and_only_in_its_epoch() {
        let dir = tempfile::tempdir().unwrap();
        let made = Made {
            entries: vec![
                Entry {
                    path: 9,
                    key: 1,
                    stamp: 2,
                },
                Entry {
                    path: 3,
                    key: 4,
                    stamp: 5,
                },
            ],
            index: Some((7, vec!["search/d/0.js".into(), "search/管理.js".into()])),
        };
        made.save(dir.path(), 42).unwrap();
        let back = Made::load(dir.path(), 42);
        assert_eq!(back.entries.len(), 2);
        assert_eq!(
            back.get(9),
            Some(&Entry {
                path: 9,
                key: 1,
                stamp: 2
            })
        );
        assert_eq!(back.get(3).map(|e| e.key), Some(4));
        assert_eq!(back.get(4), None);
        assert_eq!(
            back.index,
            Some((7, vec!["search/d/0.js".into(), "search/管理.js".into()]))
        );
        assert!(Made::load(dir.path(), 43).entries.is_empty());
        // A cut table is no table.
        let bytes = fs::read(dir.path().join(NAME)).unwrap();
        fs::write(dir.path().join(NAME), &bytes[..bytes.len() - 3]).unwrap();
        let cut = Made::load(dir.path(), 42);
        assert!(cut.entries.is_empty() && cut.index.is_none());
    }

    #[test]
    fn a_stamp_changes_when_the_file_is_written_again() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.html");
        fs::write(&p, "one").unwrap();
        let first = stamp(&fs::metadata(&p).unwrap()).unwrap();
        assert_eq!(stamp(&fs::metadata(&p).unwrap()), Some(first));
        // Same length, written again through a new file moved over it (as a build, an editor
        // or rsync does): another inode.
        let q = dir.path().join("b.html");
        fs::write(&q, "two").unwrap();
        fs::rename(&q, &p).unwrap();
        assert_ne!(stamp(&fs::metadata(&p).unwrap()), Some(first));
        assert_eq!(stamp(&fs::metadata(dir.path()).unwrap()), None);
    }
}
