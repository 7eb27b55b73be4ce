//! Load stage: reads the project (config, content, theme overrides) into [`Sources`].
//!
//! Entry point: [`load`]. This is the only stage that reads the project folder. Every file problem
//! is collected as a [`Diagnostic`]; the stage fails with [`Error::Content`] only after all files
//! have been read, so an editor sees every mistake at once.

mod cache;
mod discover;
pub(crate) mod front_matter;
mod read;
mod site_yaml;
mod tiles;
mod yaml_guard;

pub use cache::{read_cached, read_changed, LoadCache};

pub(crate) use discover::inside_site;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;
use serde::Serialize;

use crate::config::SiteConfig;
use crate::error::{Diagnostic, Error, Level, Result};
use crate::theme::Theme;

/// Files larger than this are refused unless `site.yaml` sets `limits: { max_file_mb: ... }`: a
/// digest report is a few KiB and one with a long table or appendix a few MiB, and a runaway
/// file (a pasted binary, a log) should not exhaust memory in every stage after this one.
/// `site.yaml` itself is always read with this limit.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

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
    /// News items (`content/news/*.md`) in path order.
    pub news: Vec<Arc<NewsSource>>,
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

/// Front matter of a news item: a follow-up from the press about reports of the site.
#[derive(Debug, Clone, Serialize, Default)]
pub struct NewsMeta {
    /// Headline.
    pub title: String,
    /// When it appeared, as precisely as known: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub date: Option<String>,
    /// Where it appeared (paper, page).
    pub source: Option<String>,
    /// Slugs of the reports it concerns (may be empty).
    pub reports: Vec<String>,
    /// One paragraph for listings and search results.
    pub summary: Option<String>,
    /// Tactics as written (aliases resolved by the model).
    pub tactics: Vec<String>,
    /// Slug as written (not serialized: `News` has the effective one).
    #[serde(skip_serializing)]
    pub slug: Option<String>,
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
    /// Where each front-matter key and listed item is written, for diagnostics raised by later
    /// stages.
    pub positions: Positions,
    /// Markdown body.
    pub body: String,
    /// 1-based file line where the body starts.
    pub body_line: usize,
    /// The files beside it when it is a page bundle (`<folder>/index.md`), else `None`.
    pub bundle: Option<Bundle>,
}

/// A page bundle's files: everything in the folder of an `index.md` but Markdown files and
/// dot-files (as Hugo's and Zola's leaf bundles). They are published beside the page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bundle {
    /// The bundle folder, for reading its files.
    pub dir: PathBuf,
    /// The files, relative to [`Bundle::dir`], `/`-separated, in path order.
    pub files: Vec<String>,
}

impl Bundle {
    /// The bytes of bundle file `name` (one of [`Bundle::files`]). Only the load stage reads
    /// the project; the image stage asks here.
    pub fn read(&self, name: &str) -> std::io::Result<Vec<u8>> {
        std::fs::read(self.dir.join(name))
    }
}

impl<M> Source<M> {
    /// Where `key` is written: a front-matter key (`tactics`) or an item of one
    /// (`tactics.<name>`, `metrics.<key>`, `reports.<slug>`), falling back to the item's key;
    /// (0, 0) when the file does not have it.
    pub fn position(&self, key: &str) -> (usize, usize) {
        self.positions
            .get(key)
            .or_else(|| {
                self.positions
                    .get(key.split_once('.').map_or(key, |(k, _)| k))
            })
            .unwrap_or((0, 0))
    }
}

/// Where a file's front-matter keys and the items later stages name (`tactics.<name>`,
/// `metrics.<key>`, `reports.<slug>`) are written. Only what the file has is stored, sorted,
/// in one allocation per entry: a map with every allowed key took some 2 KB per report, 245 MB
/// of a build's peak at 1000x the digest.
#[derive(Debug, Clone, Default)]
pub struct Positions {
    entries: Box<[(Box<str>, u32, u32)]>,
    /// The keys the file may have: one it leaves out is placed at `start`.
    allowed: &'static [&'static str],
    /// The front matter's first line.
    start: u32,
}

impl Positions {
    /// Positions from `(key, line, col)` of what the file has, `allowed` its kind's keys, and
    /// the front matter's first line.
    pub(crate) fn new(
        mut entries: Vec<(Box<str>, u32, u32)>,
        allowed: &'static [&'static str],
        start: usize,
    ) -> Self {
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        // The first position of a key written twice, as the file reads.
        entries.dedup_by(|later, first| later.0 == first.0);
        Positions {
            entries: entries.into_boxed_slice(),
            allowed,
            start: start as u32,
        }
    }

    /// Where `key` is written; an allowed key the file leaves out at the front matter's first
    /// line, column 1 (where a missing field is reported); `None` for anything else.
    pub fn get(&self, key: &str) -> Option<(usize, usize)> {
        match self.entries.binary_search_by(|e| (*e.0).cmp(key)) {
            Ok(i) => Some((self.entries[i].1 as usize, self.entries[i].2 as usize)),
            Err(_) if self.allowed.contains(&key) => Some((self.start as usize, 1)),
            Err(_) => None,
        }
    }
}

/// A report file.
pub type ReportSource = Source<ReportMeta>;
/// A page file.
pub type PageSource = Source<PageMeta>;
/// A news file.
pub type NewsSource = Source<NewsMeta>;

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

/// The Markdown body of content file `file` (absolute) and the line it starts on, read again
/// after the build read the project (a large site's bodies are not kept; see
/// [`crate::markdown::Body::lean`]). A file that no longer splits is
/// [`Error::Changed`].
pub fn read_body(file: &Path) -> Result<(String, usize)> {
    let text = std::fs::read_to_string(file).map_err(|e| Error::io(file, e))?;
    let parts = front_matter::split(file, &text).map_err(|_| Error::Changed {
        path: file.to_path_buf(),
    })?;
    let line = parts.body_line;
    let start = parts.body.as_ptr() as usize - text.as_ptr() as usize;
    let mut text = text;
    text.drain(..start);
    Ok((text, line))
}

/// Every report file of the project (`content/reports/**/*.md`), in path order.
pub fn report_files(project: &Project) -> Vec<PathBuf> {
    discover::discover(project, &project.content.join("reports"), &mut Vec::new())
}

/// Whether `text` is a real date written `YYYY-MM-DD`: the one date rule of the site.
pub fn is_date(text: &str) -> bool {
    text.len() == 10 && chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
}

/// Whether `text` is a date as precise as a source gives it: `YYYY`, `YYYY-MM` or a real
/// `YYYY-MM-DD` (news items often name only the year or month).
pub fn is_partial_date(text: &str) -> bool {
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    match text.len() {
        4 => digits(text, 4),
        7 => {
            digits(&text[..4], 4)
                && text.as_bytes()[4] == b'-'
                && text[5..]
                    .parse::<u32>()
                    .is_ok_and(|m| (1..=12).contains(&m))
                && digits(&text[5..], 2)
        }
        _ => is_date(text),
    }
}

fn load_config(project: &Project, diags: &mut Vec<Diagnostic>) -> SiteConfig {
    let path = project.root.join("site.yaml");
    let shown = project.display_path(&path);
    let Some(text) = read::read_text(&path, &shown, diags, true, MAX_FILE_BYTES) else {
        return SiteConfig::default();
    };
    if text.trim().is_empty() {
        return SiteConfig::default();
    }
    let config = site_yaml::parse_config(&shown, &text, diags);
    diags.extend(tiles::check(&config, &shown, &text));
    check_theme(project, &shown, &text, &config.theme, diags);
    config
}

/// A theme name with no folder under `themes/` used to fall back to the embedded theme without a
/// word, so a misspelt name quietly dropped every override; it is an error listing the themes
/// there are. (`default` is always there: it is embedded.)
fn check_theme(
    project: &Project,
    shown: &Path,
    text: &str,
    name: &str,
    diags: &mut Vec<Diagnostic>,
) {
    if name == "default" || name.contains(['/', '\\']) || name.contains("..") {
        return; // `default` needs no folder; a path is refused by `Theme::load`.
    }
    let themes = project.root.join("themes");
    if themes.join(name).is_dir() {
        return;
    }
    let mut found: Vec<String> = std::fs::read_dir(&themes)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| e.path().is_dir())
                .filter_map(|e| e.file_name().to_str().map(str::to_owned))
                .filter(|n| !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    if !found.iter().any(|n| n == "default") {
        found.push("default".into());
    }
    found.sort();
    let hint = crate::error::suggest(name, found.iter().map(String::as_str))
        .map(|s| format!("did you mean `{s}`? "))
        .unwrap_or_default();
    let (line, col) = front_matter::key_position(text, "theme", None).unwrap_or((1, 1));
    diags.push(Diagnostic::error(
        shown,
        line,
        col,
        format!(
            "no theme `{name}`: there is no folder themes/{name}/; {hint}themes found: {}",
            found.join(", ")
        ),
    ));
}

#[cfg(test)]
mod tests;
