//! What `serve` keeps of the load stage between rebuilds: every content file as last read,
//! with the stamp it had then, so that a save reads one file again, not the site.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use super::{discover, load_config, read, NewsSource, PageSource, Project, ReportSource, Sources};
use crate::config::SiteConfig;
use crate::error::Diagnostic;
use crate::theme::Theme;

/// What [`read_cached`] keeps between runs: each content file as last read, with the stamp
/// (size, modification and change times) it had then.
#[derive(Debug, Default)]
pub struct LoadCache {
    reports: Files<ReportSource>,
    pages: Files<PageSource>,
    news: Files<NewsSource>,
    /// Files read (not taken from the cache) by the last run.
    pub read: usize,
    /// The file size limit the cached files were read with.
    limit: u64,
    /// What the last full look at the project found.
    layout: Option<Layout>,
}

/// What the cache holds of each content file of a kind, by path.
type Files<T> = foldhash::HashMap<PathBuf, Cached<T>>;

#[derive(Debug)]
struct Cached<T> {
    stamp: Stamp,
    source: Option<Arc<T>>,
    diags: Vec<Diagnostic>,
}

/// What tells that a file changed without reading it. The change time moves on every write and
/// rename, also when a tool restores the modification time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
    changed: i64,
}

impl Stamp {
    fn of(path: &Path) -> Option<Stamp> {
        let m = std::fs::metadata(path).ok()?;
        #[cfg(unix)]
        let changed_at = |m: &std::fs::Metadata| {
            std::os::unix::fs::MetadataExt::ctime_nsec(m)
                + std::os::unix::fs::MetadataExt::ctime(m) * 1_000_000_000
        };
        #[cfg(not(unix))]
        let changed_at = |_: &std::fs::Metadata| 0;
        let mut changed = changed_at(&m);
        // A bundle's file list is part of what is read: a photo added beside an unchanged
        // `index.md` changes its folder.
        if read::is_bundle_index(path) {
            if let Some(dir) = path.parent().and_then(|d| std::fs::metadata(d).ok()) {
                changed = changed.wrapping_mul(31).wrapping_add(changed_at(&dir));
            }
        }
        Some(Stamp {
            len: m.len(),
            modified: m.modified().ok(),
            changed,
        })
    }
}

/// [`read_all`](super::read_all), reading again only the content files whose stamp changed since the last run
/// with the same cache (`serve` after a save reads one file, not the site). Configuration and
/// theme are small and read every time; how a content file is read does not depend on them.
pub fn read_cached(project: &Project, cache: &mut LoadCache) -> Sources {
    read_changed(project, cache, None)
}

/// [`read_cached`], told which files changed since the last run (`serve` knows from its
/// watcher): when they are all content files the last run read, and still there, nothing
/// else is looked at, not even to list the content folders or stat the other files (at 100x
/// the digest that was 50 ms of every save); anything else (`None`, a new or deleted file, the
/// configuration, the theme) looks at the whole project again.
pub fn read_changed(
    project: &Project,
    cache: &mut LoadCache,
    changed: Option<&[PathBuf]>,
) -> Sources {
    let known = |layout: &Layout, p: &PathBuf| layout.files.iter().any(|list| list.contains(p));
    let fast = match (changed, &cache.layout) {
        (Some(paths), Some(layout)) => {
            !paths.is_empty() && paths.iter().all(|p| p.is_file() && known(layout, p))
        }
        _ => false,
    };
    let layout = match cache.layout.take().filter(|_| fast) {
        Some(layout) => layout,
        None => {
            // The limit is part of how every file reads: a full look reads again what it
            // changes.
            Layout::look(project)
        }
    };
    let mut diags = layout.diags.clone();
    let mut config = layout.config.clone();
    let theme = layout.theme.clone();
    let limit = config.limits.max_file_mb.saturating_mul(1024 * 1024);
    // A changed limit changes what a file yields without touching the file.
    if cache.limit != limit {
        cache.reports.clear();
        cache.pages.clear();
        cache.news.clear();
        cache.limit = limit;
    }
    let only: Option<HashSet<&PathBuf>> = fast.then(|| changed.into_iter().flatten().collect());
    let [report_files, page_files, news_files] = &layout.files;
    let mut read = 0;
    let reports = read_each(
        report_files,
        &mut cache.reports,
        only.as_ref(),
        &mut read,
        &mut diags,
        |p, d| read::read_report(project, p, limit, d),
    );
    let pages = read_each(
        page_files,
        &mut cache.pages,
        only.as_ref(),
        &mut read,
        &mut diags,
        |p, d| read::read_page(project, p, limit, d),
    );
    let news = read_each(
        news_files,
        &mut cache.news,
        only.as_ref(),
        &mut read,
        &mut diags,
        |p, d| read::read_news(project, p, limit, d),
    );
    drop(only);
    cache.read = read;
    cache.layout = Some(layout);
    let reports: Vec<_> = reports
        .into_iter()
        .filter(|r| project.drafts || !r.meta.draft)
        .collect();
    let pages: Vec<_> = pages
        .into_iter()
        .filter(|p| project.drafts || !p.meta.draft)
        .collect();
    read::check_duplicate_slugs(&reports, "", &mut diags);
    let news: Vec<_> = news
        .into_iter()
        .filter(|n| project.drafts || !n.meta.draft)
        .collect();
    read::check_duplicate_slugs(&pages, "page ", &mut diags);
    read::check_duplicate_slugs(&news, "news ", &mut diags);
    diags.sort();
    if let Some(url) = &project.base_url {
        config.base_url = Some(url.clone());
    }
    // Templates append root-relative paths to the base URL; `https://e.org/digest` would
    // otherwise yield `https://e.org/digestindex.html`.
    if let Some(url) = config.base_url.as_mut().filter(|u| !u.ends_with('/')) {
        url.push('/');
    }
    Sources {
        config,
        reports,
        pages,
        news,
        theme,
        diagnostics: diags,
    }
}

/// What a full look at the project finds besides the content files' text: the configuration,
/// the theme, and the content files there are, with the messages of finding them.
#[derive(Debug)]
pub(super) struct Layout {
    /// Reports, pages and news items, each in path order.
    files: [Vec<PathBuf>; 3],
    diags: Vec<Diagnostic>,
    config: SiteConfig,
    theme: Theme,
}

impl Layout {
    fn look(project: &Project) -> Layout {
        let mut diags = Vec::new();
        let config = load_config(project, &mut diags);
        let theme = Theme::load(&project.root, &config.theme, &mut diags);
        let mut list =
            |kind: &str| discover::discover(project, &project.content.join(kind), &mut diags);
        let files = [list("reports"), list("pages"), list("news")];
        if files[0].is_empty() && !project.content.join("reports").is_dir() {
            diags.push(Diagnostic::warning(
                &project.display_path(&project.content),
                0,
                0,
                "no `reports/` folder: the site will have no reports",
            ));
        }
        Layout {
            files,
            diags,
            config,
            theme,
        }
    }
}

/// Reads `files` in parallel with `read`, keeping each file's diagnostics in file order; a file
/// whose stamp is the one in `cache` is taken from there. Files gone since are forgotten. With
/// `only`, only those are looked at ([`read_named`]).
fn read_each<T: Send + Sync>(
    files: &[PathBuf],
    cache: &mut Files<T>,
    only: Option<&HashSet<&PathBuf>>,
    count: &mut usize,
    diags: &mut Vec<Diagnostic>,
    read: impl Fn(&Path, &mut Vec<Diagnostic>) -> Option<T> + Sync,
) -> Vec<Arc<T>> {
    if let Some(only) = only {
        return read_named(files, cache, only, count, diags, read);
    }
    let stamps: Vec<Option<Stamp>> = files.par_iter().map(|p| Stamp::of(p)).collect();
    let fresh: Vec<(usize, Cached<T>)> = files
        .par_iter()
        .zip(&stamps)
        .enumerate()
        .filter(|(_, (p, stamp))| {
            stamp.is_none() || cache.get(*p).is_none_or(|c| Some(c.stamp) != **stamp)
        })
        .map(|(i, (p, stamp))| (i, read_one(p, *stamp, &read)))
        .collect();
    *count += fresh.len();
    for (i, c) in fresh {
        cache.insert(files[i].clone(), c);
    }
    let keep: std::collections::HashSet<&PathBuf> = files.iter().collect();
    cache.retain(|p, _| keep.contains(p));
    collect(files, cache, diags)
}

/// [`read_each`] when the watcher named the files that changed (`only`) and the files are the
/// last full look's: only the named ones are looked at and read, and nothing is forgotten. A
/// look up per file, not five (stamps, reads, what to keep), which at 100x the digest was most
/// of a save's load.
fn read_named<T: Send + Sync>(
    files: &[PathBuf],
    cache: &mut Files<T>,
    only: &HashSet<&PathBuf>,
    count: &mut usize,
    diags: &mut Vec<Diagnostic>,
    read: impl Fn(&Path, &mut Vec<Diagnostic>) -> Option<T> + Sync,
) -> Vec<Arc<T>> {
    for p in only {
        // A named file the last look did not find is not a file of this layout.
        let Some(cached) = cache.get(*p) else {
            continue;
        };
        let stamp = Stamp::of(p);
        if stamp.is_some_and(|s| s == cached.stamp) {
            continue;
        }
        *count += 1;
        cache.insert((*p).clone(), read_one(p, stamp, &read));
    }
    collect(files, cache, diags)
}

/// File `p` read with `read`, kept with its stamp (one that never matches when it had none).
fn read_one<T>(
    p: &Path,
    stamp: Option<Stamp>,
    read: &impl Fn(&Path, &mut Vec<Diagnostic>) -> Option<T>,
) -> Cached<T> {
    let mut diags = Vec::new();
    let source = read(p, &mut diags).map(Arc::new);
    let stamp = stamp.unwrap_or(Stamp {
        len: u64::MAX,
        modified: None,
        changed: 0,
    });
    Cached {
        stamp,
        source,
        diags,
    }
}

/// The cached sources of `files`, in their order, with their diagnostics.
fn collect<T>(files: &[PathBuf], cache: &Files<T>, diags: &mut Vec<Diagnostic>) -> Vec<Arc<T>> {
    let mut out = Vec::with_capacity(files.len());
    for p in files {
        if let Some(c) = cache.get(p) {
            diags.extend(c.diags.iter().cloned());
            out.extend(c.source.clone());
        }
    }
    out
}
