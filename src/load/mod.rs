//! Load stage: reads the project (config, content, theme overrides) into [`Sources`].
//!
//! Entry point: [`load`]. This is the only stage that reads the project folder. Every file problem
//! is collected as a [`Diagnostic`]; the stage fails with [`Error::Content`] only after all files
//! have been read, so an editor sees every mistake at once.

pub(crate) mod front_matter;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use rayon::prelude::*;
use serde::Serialize;
use walkdir::WalkDir;

use crate::config::SiteConfig;
use crate::error::{line_col, Diagnostic, Error, Level, Result};
use crate::slug;
use crate::theme::Theme;
use front_matter::{parse_fields, split, Fields};

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
    pub reports: Vec<ReportSource>,
    /// Pages in path order.
    pub pages: Vec<PageSource>,
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

const REPORT_KEYS: &[&str] = &[
    "title",
    "town",
    "county",
    "city",
    "section",
    "level",
    "summary",
    "author",
    "date",
    "source",
    "tactics",
    "metrics",
    "slug",
    "draft",
    "weight",
    "extra",
    "subtitle",
    "author_role",
];
const PAGE_KEYS: &[&str] = &[
    "title",
    "slug",
    "label",
    "placement",
    "weight",
    "summary",
    "author",
    "date",
    "draft",
    "extra",
];

/// Reads the whole project. Fails with every content error at once.
pub fn load(project: &Project) -> Result<Sources> {
    let mut diags = Vec::new();
    let config = load_config(project, &mut diags);
    let theme = Theme::load(&project.root, &config.theme, &mut diags);

    let report_files = discover(project, &project.content.join("reports"), &mut diags);
    let page_files = discover(project, &project.content.join("pages"), &mut diags);
    if report_files.is_empty() && !project.content.join("reports").is_dir() {
        diags.push(Diagnostic::warning(
            &project.display_path(&project.content),
            0,
            0,
            "no `reports/` folder: the site will have no reports",
        ));
    }

    let reports: Vec<(Option<ReportSource>, Vec<Diagnostic>)> = report_files
        .par_iter()
        .map(|p| {
            let mut d = Vec::new();
            (read_report(project, p, &mut d), d)
        })
        .collect();
    let pages: Vec<(Option<PageSource>, Vec<Diagnostic>)> = page_files
        .par_iter()
        .map(|p| {
            let mut d = Vec::new();
            (read_page(project, p, &mut d), d)
        })
        .collect();

    let mut out_reports = Vec::new();
    for (r, d) in reports {
        diags.extend(d);
        out_reports.extend(r.filter(|r| project.drafts || !r.meta.draft));
    }
    let mut out_pages = Vec::new();
    for (p, d) in pages {
        diags.extend(d);
        out_pages.extend(p.filter(|p| project.drafts || !p.meta.draft));
    }
    check_duplicate_slugs(&out_reports, "", &mut diags);
    check_duplicate_slugs(&out_pages, "page ", &mut diags);
    diags.sort();
    if diags.iter().any(|d| d.level == Level::Error) {
        return Err(Error::Content(diags));
    }
    let mut config = config;
    if let Some(url) = &project.base_url {
        config.base_url = Some(url.clone());
    }
    // Templates append root-relative paths to the base URL; `https://e.org/digest` would
    // otherwise yield `https://e.org/digestindex.html`.
    if let Some(url) = config.base_url.as_mut().filter(|u| !u.ends_with('/')) {
        url.push('/');
    }
    Ok(Sources {
        config,
        reports: out_reports,
        pages: out_pages,
        theme,
        diagnostics: diags,
    })
}

fn load_config(project: &Project, diags: &mut Vec<Diagnostic>) -> SiteConfig {
    let path = project.root.join("site.yaml");
    let shown = project.display_path(&path);
    let Some(text) = read_text(&path, &shown, diags, true) else {
        return SiteConfig::default();
    };
    if text.trim().is_empty() {
        return SiteConfig::default();
    }
    match front_matter::parse_document::<SiteConfig>(&shown, &text) {
        Ok(c) => c,
        Err(d) => {
            diags.push(d);
            SiteConfig::default()
        }
    }
}

/// Lists `*.md` files under `dir` in path order. Walk errors and names that are not UTF-8 are
/// reported, never skipped silently; dot-files (editor backups, lock files) are ignored.
fn discover(project: &Project, dir: &Path, diags: &mut Vec<Diagnostic>) -> Vec<PathBuf> {
    if !dir.exists() {
        return Vec::new();
    }
    let mut files = Vec::new();
    let walker = WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().as_encoded_bytes().starts_with(b"."));
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let p = e
                    .path()
                    .map_or_else(|| dir.to_path_buf(), Path::to_path_buf);
                diags.push(Diagnostic::error(
                    &project.display_path(&p),
                    0,
                    0,
                    format!("cannot read: {e}"),
                ));
                continue;
            }
        };
        if !entry.file_type().is_file() || entry.path().extension().is_none_or(|x| x != "md") {
            continue;
        }
        if entry.path().to_str().is_none() {
            diags.push(Diagnostic::error(
                &project.display_path(entry.path()),
                0,
                0,
                "file name is not valid UTF-8: rename it",
            ));
            continue;
        }
        files.push(entry.into_path());
    }
    files
}

/// Reads a file as UTF-8 text, reporting size limits and invalid bytes with their position.
fn read_text(
    path: &Path,
    shown: &Path,
    diags: &mut Vec<Diagnostic>,
    optional: bool,
) -> Option<String> {
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if optional && e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            diags.push(Diagnostic::error(shown, 0, 0, format!("cannot read: {e}")));
            return None;
        }
    };
    if meta.len() > MAX_FILE_BYTES {
        diags.push(Diagnostic::error(
            shown,
            0,
            0,
            format!(
                "file is too large ({:.1} MiB; the limit is {} MiB): split it or move data out of it",
                meta.len() as f64 / (1024.0 * 1024.0),
                MAX_FILE_BYTES / (1024 * 1024)
            ),
        ));
        return None;
    }
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            diags.push(Diagnostic::error(shown, 0, 0, format!("cannot read: {e}")));
            return None;
        }
    };
    match String::from_utf8(bytes) {
        Ok(s) => Some(s),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let prefix = String::from_utf8_lossy(&bytes[..valid]);
            let (line, col) = line_col(&prefix, prefix.len());
            diags.push(Diagnostic::error(
                shown,
                line,
                col,
                format!(
                    "file is not valid UTF-8 (byte 0x{:02x} at offset {valid}): save it as UTF-8",
                    bytes[valid]
                ),
            ));
            None
        }
    }
}

/// Reads a file and parses its front matter into checked fields.
fn read_fields(
    project: &Project,
    path: &Path,
    allowed: &[&str],
    diags: &mut Vec<Diagnostic>,
) -> Option<ReadFile> {
    let shown = project.display_path(path);
    let text = read_text(path, &shown, diags, false)?;
    let parts = split(&shown, &text).map_err(|d| diags.push(d)).ok()?;
    let fields = parse_fields(&shown, &parts, allowed, diags)?;
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_string();
    Some(ReadFile {
        shown,
        stem,
        fields,
        body: parts.body.to_string(),
        body_line: parts.body_line,
    })
}

/// A content file read and split, its front matter parsed into checked fields.
struct ReadFile {
    shown: PathBuf,
    stem: String,
    fields: Fields,
    body: String,
    body_line: usize,
}

fn read_report(
    project: &Project,
    path: &Path,
    diags: &mut Vec<Diagnostic>,
) -> Option<ReportSource> {
    let file = read_fields(project, path, REPORT_KEYS, diags)?;
    let (shown, f) = (&file.shown, &file.fields);
    let before = diags.len();
    let p = shown.as_path();
    let title: Option<String> = f.require(p, "title", "a string", diags);
    let town: Option<String> = f.require(p, "town", "a string", diags);
    let city: Option<String> = f.require(p, "city", "a string", diags);
    let tactics: Option<Vec<String>> = f.require(
        p,
        "tactics",
        "a list of strings, e.g. `[网格化管理, 志愿服务]`",
        diags,
    );
    // Present and well-typed but saying nothing (a missing or mistyped field is reported above).
    if tactics.as_ref().is_some_and(Vec::is_empty) {
        let (l, c) = f.position("tactics");
        diags.push(Diagnostic::error(
            p,
            l,
            c,
            "`tactics` must list at least one tactic",
        ));
    }
    for (key, value) in [("title", &title), ("town", &town), ("city", &city)] {
        if value.as_ref().is_some_and(|v| v.trim().is_empty()) {
            let (l, c) = f.position(key);
            diags.push(Diagnostic::error(
                p,
                l,
                c,
                format!("`{key}` must not be empty"),
            ));
        }
    }
    let meta = ReportMeta {
        title: title.unwrap_or_default(),
        town: town.unwrap_or_default(),
        city: city.unwrap_or_default(),
        tactics: tactics.unwrap_or_default(),
        county: f.get(p, "county", "a string", diags),
        section: f.get(p, "section", "a string", diags),
        level: f.get(p, "level", "a string", diags),
        summary: f.get(p, "summary", "a string", diags),
        subtitle: f.get(p, "subtitle", "a string", diags),
        author: f.get(p, "author", "a string", diags),
        author_role: f.get(p, "author_role", "a string", diags),
        date: f.get(p, "date", "a date `YYYY-MM-DD`", diags),
        source: f.get(p, "source", "a string", diags),
        metrics: f.metrics(p, diags),
        slug: f.get(p, "slug", "a string", diags),
        draft: f
            .get(p, "draft", "`true` or `false`", diags)
            .unwrap_or(false),
        weight: f.get(p, "weight", "a whole number", diags).unwrap_or(0),
        extra: f
            .get(p, "extra", "a map", diags)
            .unwrap_or(serde_json::Value::Null),
    };
    let (date, slug) = (meta.date.clone(), meta.slug.clone());
    finish(file, REPORT_KEYS, meta, (date, slug), before, diags)
}

fn read_page(project: &Project, path: &Path, diags: &mut Vec<Diagnostic>) -> Option<PageSource> {
    let file = read_fields(project, path, PAGE_KEYS, diags)?;
    let (shown, f) = (&file.shown, &file.fields);
    let before = diags.len();
    let p = shown.as_path();
    let meta = PageMeta {
        title: f.require(p, "title", "a string", diags).unwrap_or_default(),
        slug: f.get(p, "slug", "a string", diags),
        label: f.get(p, "label", "a string", diags),
        placement: f
            .get(p, "placement", "one of `front`, `back`, `none`", diags)
            .unwrap_or_default(),
        weight: f.get(p, "weight", "a whole number", diags).unwrap_or(0),
        summary: f.get(p, "summary", "a string", diags),
        author: f.get(p, "author", "a string", diags),
        date: f.get(p, "date", "a date `YYYY-MM-DD`", diags),
        draft: f
            .get(p, "draft", "`true` or `false`", diags)
            .unwrap_or(false),
        extra: f
            .get(p, "extra", "a map", diags)
            .unwrap_or(serde_json::Value::Null),
    };
    let (date, slug) = (meta.date.clone(), meta.slug.clone());
    finish(file, PAGE_KEYS, meta, (date, slug), before, diags)
}

/// The checks every content file shares (date, slug), then the [`Source`], unless this file
/// raised errors since `before`.
fn finish<M>(
    file: ReadFile,
    keys: &[&str],
    meta: M,
    (date, slug): (Option<String>, Option<String>),
    before: usize,
    diags: &mut Vec<Diagnostic>,
) -> Option<Source<M>> {
    check_date(&file.shown, &file.fields, date.as_deref(), diags);
    check_slug(&file.shown, &file.fields, slug.as_deref(), diags);
    if diags.len() > before {
        return None;
    }
    Some(Source {
        positions: positions(&file.fields, keys),
        path: file.shown,
        slug: slug.unwrap_or_else(|| slug::slugify(&file.stem)),
        stem: file.stem,
        meta,
        body: file.body,
        body_line: file.body_line,
    })
}

fn positions(f: &Fields, keys: &[&str]) -> IndexMap<String, (usize, usize)> {
    keys.iter()
        .map(|k| (k.to_string(), f.position(k)))
        .collect()
}

/// A slug written by the editor must be one safe path segment; reported with every other
/// front-matter problem of the build.
fn check_slug(p: &Path, f: &Fields, slug: Option<&str>, diags: &mut Vec<Diagnostic>) {
    if let Some(Err(msg)) = slug.map(slug::validate) {
        let (l, c) = f.position("slug");
        diags.push(Diagnostic::error(p, l, c, msg));
    }
}

/// Two published files with one slug would overwrite each other's page; the model relies on
/// this check (and on `check_slug`) and takes each source's slug as it is.
fn check_duplicate_slugs<M>(files: &[Source<M>], what: &str, diags: &mut Vec<Diagnostic>) {
    let mut seen: BTreeMap<&str, &Path> = BTreeMap::new();
    for src in files {
        let slug = src.slug.as_str();
        match seen.get(slug) {
            Some(other) => {
                let (l, c) = src.positions["slug"];
                diags.push(Diagnostic::error(
                    &src.path,
                    l,
                    c,
                    format!(
                        "duplicate {what}slug `{slug}`: {} has it too; set a distinct `slug:` in \
                         one of them",
                        other.display()
                    ),
                ));
            }
            None => {
                seen.insert(slug, &src.path);
            }
        }
    }
}

fn check_date(p: &Path, f: &Fields, date: Option<&str>, diags: &mut Vec<Diagnostic>) {
    if let Some(d) = date {
        if chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err() || d.len() != 10 {
            let (l, c) = f.position("date");
            diags.push(Diagnostic::error(
                p,
                l,
                c,
                format!("`date` must be a real date written `YYYY-MM-DD`, found `{d}`"),
            ));
        }
    }
}
