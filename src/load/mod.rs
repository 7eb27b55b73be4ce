//! Load stage: reads the project (config, content, theme overrides) into [`Sources`].
//!
//! Entry point: [`load`]. This is the only stage that reads the project folder. Every file problem
//! is collected as a [`Diagnostic`]; the stage fails with [`Error::Content`] only after all files
//! have been read, so an editor sees every mistake at once.

pub(crate) mod front_matter;
mod read;
mod tiles;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;
use rayon::prelude::*;
use serde::Serialize;

use crate::config::SiteConfig;
use crate::error::{Diagnostic, Error, Level, Result};
use crate::theme::Theme;

/// Files larger than this are refused: a digest report is a few KiB, and a runaway file (a pasted
/// binary, a log) should not exhaust memory in every stage after this one.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// Where a site's inputs live.
#[derive(Debug, Clone)]
pub struct Project {
    /// Site root (holds `site.yaml` and `themes/`).
    pub root: PathBuf,
    /// Content folder (holds `reports/` and `pages/`).
    pub content: PathBuf,
    /// Include reports and pages marked `draft: true`.
    pub drafts: bool,
    /// Overrides `base_url` from `site.yaml`.
    pub base_url: Option<String>,
}

impl Project {
    /// A project rooted at `root` with content in `root/content`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        Project {
            content: root.join("content"),
            root,
            drafts: false,
            base_url: None,
        }
    }

    /// A path relative to the root for messages, or the path itself outside the root.
    pub fn display_path(&self, path: &Path) -> PathBuf {
        path.strip_prefix(&self.root).unwrap_or(path).to_path_buf()
    }
}

/// Everything read from the project, not yet interpreted.
#[derive(Debug)]
pub struct Sources {
    /// The site configuration.
    pub config: SiteConfig,
    /// Reports in path order.
    pub reports: Vec<Arc<ReportSource>>,
    /// Pages in path order.
    pub pages: Vec<Arc<PageSource>>,
    /// The theme: embedded defaults with the site's overrides applied.
    pub theme: Theme,
    /// Warnings found while loading (errors fail the stage instead).
    pub diagnostics: Vec<Diagnostic>,
}

/// Front matter of a report, typed and validated.
#[derive(Debug, Clone, Serialize, Default)]
pub struct ReportMeta {
    /// Headline.
    pub title: String,
    /// Township.
    pub town: String,
    /// County-level unit (county, county-level city, district).
    pub county: Option<String>,
    /// Prefecture-level city.
    pub city: String,
    /// Section of the digest.
    pub section: Option<String>,
    /// Pilot level.
    pub level: Option<String>,
    /// One paragraph for listings and search results.
    pub summary: Option<String>,
    /// A second title line (the printed subtitle).
    pub subtitle: Option<String>,
    /// Author.
    pub author: Option<String>,
    /// The author's role as the byline prints it (记者, 特约记者).
    pub author_role: Option<String>,
    /// Date, `YYYY-MM-DD`.
    pub date: Option<String>,
    /// Where the report was printed.
    pub source: Option<String>,
    /// Tactics as written (aliases resolved later by the model).
    pub tactics: Vec<String>,
    /// Metric key to value; `None` when given empty.
    pub metrics: IndexMap<String, Option<f64>>,
    /// Slug as written in front matter. Not serialized: the model's `Report` and the exports
    /// flatten this struct beside the effective `slug`, and two `slug` keys made JSON readers keep
    /// the last one (`null` when the slug comes from the file name).
    #[serde(skip_serializing)]
    pub slug: Option<String>,
    /// Excluded unless drafts are asked for.
    pub draft: bool,
    /// Order within its group.
    pub weight: i64,
    /// Free data for templates.
    pub extra: serde_json::Value,
}

/// Front matter of a page (foreword, overview, about...).
#[derive(Debug, Clone, Serialize, Default)]
pub struct PageMeta {
    /// Title.
    pub title: String,
    /// Slug as written (not serialized, as for reports: `Page` has the effective one).
    #[serde(skip_serializing)]
    pub slug: Option<String>,
    /// Short label such as 卷首语.
    pub label: Option<String>,
    /// Where the page stands in the contents.
    pub placement: Placement,
    /// Order among pages.
    pub weight: i64,
    /// One paragraph for listings.
    pub summary: Option<String>,
    /// Author.
    pub author: Option<String>,
    /// Date, `YYYY-MM-DD`.
    pub date: Option<String>,
    /// Excluded unless drafts are asked for.
    pub draft: bool,
    /// Free data for templates.
    pub extra: serde_json::Value,
}

/// Where a page appears in the printed order.
#[derive(
    Debug, Clone, Copy, Serialize, Default, PartialEq, Eq, PartialOrd, Ord, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Placement {
    /// Before the sections (foreword, overview).
    #[default]
    Front,
    /// After the sections (afterword).
    Back,
    /// Not in the contents (about).
    None,
}

/// A content file: where it came from, its metadata and its Markdown body.
#[derive(Debug, Clone)]
pub struct Source<M> {
    /// Path relative to the site root, for messages.
    pub path: PathBuf,
    /// File stem, the default slug.
    pub stem: String,
    /// The effective slug: `slug:` as written (validated), else the stem made a slug.
    pub slug: String,
    /// Typed front matter.
    pub meta: M,
    /// Position of each front-matter key, for diagnostics raised by later stages.
    pub positions: IndexMap<String, (usize, usize)>,
    /// Markdown body.
    pub body: String,
    /// 1-based file line where the body starts.
    pub body_line: usize,
}

/// A report file.
pub type ReportSource = Source<ReportMeta>;
/// A page file.
pub type PageSource = Source<PageMeta>;

/// Reads the whole project. Fails with every content error at once.
pub fn load(project: &Project) -> Result<Sources> {
    let sources = read_all(project);
    if sources.diagnostics.iter().any(|d| d.level == Level::Error) {
        return Err(Error::Content(sources.diagnostics));
    }
    Ok(sources)
}

/// Reads the whole project, whatever it finds: files with errors are left out and their
/// problems are in [`Sources::diagnostics`] (`check` goes on with what loaded; `new` looks at
/// the reports that are there).
pub fn read_all(project: &Project) -> Sources {
    read_cached(project, &mut LoadCache::default())
}

/// What [`read_cached`] keeps between runs: each content file as last read, with the stamp
/// (size, modification and change times) it had then.
#[derive(Debug, Default)]
pub struct LoadCache {
    reports: HashMap<PathBuf, Cached<ReportSource>>,
    pages: HashMap<PathBuf, Cached<PageSource>>,
    /// Files read (not taken from the cache) by the last run.
    pub read: usize,
}

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
        let changed = std::os::unix::fs::MetadataExt::ctime_nsec(&m)
            + std::os::unix::fs::MetadataExt::ctime(&m) * 1_000_000_000;
        #[cfg(not(unix))]
        let changed = 0;
        Some(Stamp {
            len: m.len(),
            modified: m.modified().ok(),
            changed,
        })
    }
}

/// [`read_all`], reading again only the content files whose stamp changed since the last run
/// with the same cache (`serve` after a save reads one file, not the site). Configuration and
/// theme are small and read every time; how a content file is read does not depend on them.
pub fn read_cached(project: &Project, cache: &mut LoadCache) -> Sources {
    let mut diags = Vec::new();
    let mut config = load_config(project, &mut diags);
    let theme = Theme::load(&project.root, &config.theme, &mut diags);

    let report_files = read::discover(project, &project.content.join("reports"), &mut diags);
    let page_files = read::discover(project, &project.content.join("pages"), &mut diags);
    if report_files.is_empty() && !project.content.join("reports").is_dir() {
        diags.push(Diagnostic::warning(
            &project.display_path(&project.content),
            0,
            0,
            "no `reports/` folder: the site will have no reports",
        ));
    }
    let mut read = 0;
    let reports = read_each(
        &report_files,
        &mut cache.reports,
        &mut read,
        &mut diags,
        |p, d| read::read_report(project, p, d),
    );
    let pages = read_each(
        &page_files,
        &mut cache.pages,
        &mut read,
        &mut diags,
        |p, d| read::read_page(project, p, d),
    );
    cache.read = read;
    let reports: Vec<_> = reports
        .into_iter()
        .filter(|r| project.drafts || !r.meta.draft)
        .collect();
    let pages: Vec<_> = pages
        .into_iter()
        .filter(|p| project.drafts || !p.meta.draft)
        .collect();
    read::check_duplicate_slugs(&reports, "", &mut diags);
    read::check_duplicate_slugs(&pages, "page ", &mut diags);
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
        theme,
        diagnostics: diags,
    }
}

/// Reads `files` in parallel with `read`, keeping each file's diagnostics in file order; a file
/// whose stamp is the one in `cache` is taken from there. Files gone since are forgotten.
fn read_each<T: Send + Sync>(
    files: &[PathBuf],
    cache: &mut HashMap<PathBuf, Cached<T>>,
    count: &mut usize,
    diags: &mut Vec<Diagnostic>,
    read: impl Fn(&Path, &mut Vec<Diagnostic>) -> Option<T> + Sync,
) -> Vec<Arc<T>> {
    let stamps: Vec<Option<Stamp>> = files.par_iter().map(|p| Stamp::of(p)).collect();
    let fresh: Vec<(usize, Cached<T>)> = files
        .par_iter()
        .zip(&stamps)
        .enumerate()
        .filter(|(_, (p, stamp))| {
            stamp.is_none() || cache.get(*p).is_none_or(|c| Some(c.stamp) != **stamp)
        })
        .map(|(i, (p, stamp))| {
            let mut d = Vec::new();
            let source = read(p, &mut d).map(Arc::new);
            let stamp = stamp.unwrap_or(Stamp {
                len: u64::MAX,
                modified: None,
                changed: 0,
            });
            (
                i,
                Cached {
                    stamp,
                    source,
                    diags: d,
                },
            )
        })
        .collect();
    *count += fresh.len();
    for (i, c) in fresh {
        cache.insert(files[i].clone(), c);
    }
    let keep: std::collections::HashSet<&PathBuf> = files.iter().collect();
    cache.retain(|p, _| keep.contains(p));
    let mut out = Vec::new();
    for p in files {
        if let Some(c) = cache.get(p) {
            diags.extend(c.diags.iter().cloned());
            out.extend(c.source.clone());
        }
    }
    out
}

/// The site's configuration alone (`site.yaml`, defaults when absent); its problems as
/// [`Error::Content`].
pub fn config(project: &Project) -> Result<SiteConfig> {
    let mut diags = Vec::new();
    let config = load_config(project, &mut diags);
    if diags.iter().any(|d| d.level == Level::Error) {
        return Err(Error::Content(diags));
    }
    Ok(config)
}

/// Every report file of the project (`content/reports/**/*.md`), in path order.
pub fn report_files(project: &Project) -> Vec<PathBuf> {
    read::discover(project, &project.content.join("reports"), &mut Vec::new())
}

/// Whether `text` is a real date written `YYYY-MM-DD`: the one date rule of the site.
pub fn is_date(text: &str) -> bool {
    text.len() == 10 && chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
}

fn load_config(project: &Project, diags: &mut Vec<Diagnostic>) -> SiteConfig {
    let path = project.root.join("site.yaml");
    let shown = project.display_path(&path);
    let Some(text) = read::read_text(&path, &shown, diags, true) else {
        return SiteConfig::default();
    };
    if text.trim().is_empty() {
        return SiteConfig::default();
    }
    match front_matter::parse_document::<SiteConfig>(&shown, &text) {
        Ok(c) => {
            diags.extend(tiles::check(&c, &shown, &text));
            c
        }
        Err(d) => {
            diags.push(d);
            SiteConfig::default()
        }
    }
}

#[cfg(test)]
mod tests;
