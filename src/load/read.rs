//! Reading one content file: front matter into typed metadata, and the checks every file gets
//! (date, slug) before it becomes a [`Source`]. Finding the files is `discover`.

use std::fs;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use super::front_matter::{parse_fields, split, Fields};
use super::yaml_guard::is_bad_control;
use super::{
    Bundle, NewsMeta, NewsSource, PageMeta, PageSource, Positions, Project, ReportMeta,
    ReportSource, Source,
};
use crate::error::{line_col, Diagnostic};
use crate::slug;

pub(super) const REPORT_KEYS: &[&str] = &[
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
pub(super) const PAGE_KEYS: &[&str] = &[
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

pub(super) const NEWS_KEYS: &[&str] = &[
    "title", "date", "source", "reports", "summary", "tactics", "slug", "draft", "extra",
];

/// Reads a file as UTF-8 text of at most `limit` bytes, reporting what is not a regular file,
/// size limits, invalid bytes and control characters with their position.
pub(super) fn read_text(
    path: &Path,
    shown: &Path,
    diags: &mut Vec<Diagnostic>,
    optional: bool,
    limit: u64,
) -> Option<String> {
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if optional && e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            diags.push(Diagnostic::error(shown, 0, 0, format!("cannot read: {e}")));
            return None;
        }
    };
    // A FIFO blocks the build forever and a device (`/dev/zero`) is endless: only regular files
    // are content.
    if !meta.is_file() {
        diags.push(Diagnostic::error(
            shown,
            0,
            0,
            "not a regular file (a folder, FIFO, socket or device): casebook reads only regular \
             files; replace it with one",
        ));
        return None;
    }
    let too_large = |len: u64, diags: &mut Vec<Diagnostic>| {
        diags.push(Diagnostic::error(
            shown,
            0,
            0,
            format!(
                "file is too large ({:.1} MiB; the limit is {} MiB): split it or move data out of \
                 it, or raise `limits: {{ max_file_mb: ... }}` in site.yaml",
                len as f64 / (1024.0 * 1024.0),
                limit / (1024 * 1024)
            ),
        ));
    };
    if meta.len() > limit {
        too_large(meta.len(), diags);
        return None;
    }
    // Read through the limit too: a file may grow after its size was taken.
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    let read = fs::File::open(path).and_then(|f| {
        std::io::Read::read_to_end(&mut std::io::Read::take(f, limit + 1), &mut bytes)
    });
    if let Err(e) = read {
        diags.push(Diagnostic::error(shown, 0, 0, format!("cannot read: {e}")));
        return None;
    }
    if bytes.len() as u64 > limit {
        too_large(bytes.len() as u64, diags);
        return None;
    }
    match String::from_utf8(bytes) {
        Ok(s) => {
            // A raw NUL or bell is as bad as one written through a YAML escape (see
            // `front_matter::check_value`); carriage returns of CRLF files are line ends.
            if let Some(at) = s.find(|c: char| is_bad_control(c) && c != '\r') {
                let (line, col) = line_col(&s, at);
                let c = s[at..].chars().next().unwrap_or_default();
                diags.push(Diagnostic::error(
                    shown,
                    line,
                    col,
                    format!(
                        "control character U+{:04X} in the file: remove it (only tab and newline \
                         are allowed)",
                        c as u32
                    ),
                ));
                return None;
            }
            Some(s)
        }
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
    limit: u64,
    diags: &mut Vec<Diagnostic>,
) -> Option<ReadFile> {
    let shown = project.display_path(path);
    let text = read_text(path, &shown, diags, false, limit)?;
    let parts = split(&shown, &text).map_err(|d| diags.push(d)).ok()?;
    let fields = parse_fields(&shown, &parts, allowed, diags)?;
    let bundle = is_bundle_index(path).then(|| bundle_files(project, path, diags));
    // A bundle is named by its folder, as in Hugo and Zola (`sandun/index.md` is `sandun`).
    let named = match &bundle {
        Some(b) => b.dir.as_path(),
        None => path,
    };
    let stem = named
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_string();
    Some(ReadFile {
        shown,
        stem,
        bundle,
        fields,
        body: parts.body.to_string(),
        body_line: parts.body_line,
    })
}

/// A content file read and split, its front matter parsed into checked fields.
struct ReadFile {
    shown: PathBuf,
    stem: String,
    bundle: Option<Bundle>,
    fields: Fields,
    body: String,
    body_line: usize,
}

pub(super) fn read_report(
    project: &Project,
    path: &Path,
    limit: u64,
    diags: &mut Vec<Diagnostic>,
) -> Option<ReportSource> {
    let file = read_fields(project, path, REPORT_KEYS, limit, diags)?;
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

pub(super) fn read_page(
    project: &Project,
    path: &Path,
    limit: u64,
    diags: &mut Vec<Diagnostic>,
) -> Option<PageSource> {
    let file = read_fields(project, path, PAGE_KEYS, limit, diags)?;
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

/// A date written as a year (`2018`, which YAML reads as a number) or as text.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum DateValue {
    Year(u32),
    Text(String),
}

pub(super) fn read_news(
    project: &Project,
    path: &Path,
    limit: u64,
    diags: &mut Vec<Diagnostic>,
) -> Option<NewsSource> {
    let file = read_fields(project, path, NEWS_KEYS, limit, diags)?;
    let (shown, f) = (&file.shown, &file.fields);
    let before = diags.len();
    let p = shown.as_path();
    let date = f
        .get::<DateValue>(p, "date", "a date `YYYY`, `YYYY-MM` or `YYYY-MM-DD`", diags)
        .map(|d| match d {
            DateValue::Year(y) => y.to_string(),
            DateValue::Text(t) => t,
        });
    if let Some(d) = date.as_deref().filter(|d| !super::is_partial_date(d)) {
        let (l, c) = f.position("date");
        diags.push(Diagnostic::error(
            p,
            l,
            c,
            format!("`date` must be written `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, found `{d}`"),
        ));
    }
    let meta = NewsMeta {
        title: f.require(p, "title", "a string", diags).unwrap_or_default(),
        date,
        source: f.get(p, "source", "a string", diags),
        reports: f
            .get(
                p,
                "reports",
                "a list of report slugs, e.g. `[sandun]`",
                diags,
            )
            .unwrap_or_default(),
        summary: f.get(p, "summary", "a string", diags),
        tactics: f
            .get(p, "tactics", "a list of strings", diags)
            .unwrap_or_default(),
        slug: f.get(p, "slug", "a string", diags),
        draft: f
            .get(p, "draft", "`true` or `false`", diags)
            .unwrap_or(false),
        extra: f
            .get(p, "extra", "a map", diags)
            .unwrap_or(serde_json::Value::Null),
    };
    let slug = meta.slug.clone();
    finish(file, NEWS_KEYS, meta, (None, slug), before, diags)
}

/// The checks every content file shares (date, slug), then the [`Source`], unless this file
/// raised errors since `before`.
fn finish<M>(
    file: ReadFile,
    keys: &'static [&'static str],
    meta: M,
    (date, slug): (Option<String>, Option<String>),
    before: usize,
    diags: &mut Vec<Diagnostic>,
) -> Option<Source<M>> {
    check_date(&file.shown, &file.fields, date.as_deref(), diags);
    check_slug(&file.shown, &file.fields, slug.as_deref(), diags);
    let written = slug.is_some();
    let slug = slug.unwrap_or_else(|| slug::slugify(&file.stem));
    // Checked on the effective slug, also one made from the file name (a long Chinese name
    // makes a long pinyin slug).
    if let Err(msg) = slug::portable(&slug, written) {
        let (l, c) = file.fields.position("slug");
        diags.push(Diagnostic::error(&file.shown, l, c, msg));
    }
    if diags.len() > before {
        return None;
    }
    Some(Source {
        positions: positions(&file.fields, keys),
        path: file.shown,
        slug,
        stem: file.stem,
        meta,
        body: file.body,
        body_line: file.body_line,
        bundle: file.bundle,
    })
}

/// Each key's position, and each item's in the lists and maps later stages name items of
/// (`tactics.<name>`, `metrics.<key>`, `reports.<slug>`), so a caret points at the item.
/// Whether `path` is a page bundle's `index.md`: named so, in a folder below the content
/// folder's `reports/` or `pages/` (`reports/index.md` itself is a report named `index`).
pub(super) fn is_bundle_index(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "index.md")
        && path
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|n| n != "reports" && n != "pages")
}

/// The files of the bundle whose `index.md` is `index` (see [`Bundle`]), in path order.
fn bundle_files(project: &Project, index: &Path, diags: &mut Vec<Diagnostic>) -> Bundle {
    let dir = index.parent().unwrap_or(Path::new(".")).to_path_buf();
    let mut files = Vec::new();
    let walker = WalkDir::new(&dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().as_encoded_bytes().starts_with(b"."));
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                diags.push(Diagnostic::error(
                    &project.display_path(e.path().unwrap_or(&dir)),
                    0,
                    0,
                    format!("cannot read: {e}"),
                ));
                continue;
            }
        };
        if !entry.file_type().is_file() || entry.path().extension().is_some_and(|x| x == "md") {
            continue;
        }
        let rel = entry.path().strip_prefix(&dir).unwrap_or(entry.path());
        match rel.to_str() {
            Some(r) => files.push(r.replace('\\', "/")),
            None => diags.push(Diagnostic::error(
                &project.display_path(entry.path()),
                0,
                0,
                "file name is not valid UTF-8: rename it",
            )),
        }
    }
    Bundle { dir, files }
}

fn positions(f: &Fields, keys: &'static [&'static str]) -> Positions {
    let entry =
        |key: String, (line, col): (usize, usize)| (key.into_boxed_str(), line as u32, col as u32);
    let mut out: Vec<_> = keys
        .iter()
        .filter(|k| f.has(k))
        .map(|k| entry(k.to_string(), f.position(k)))
        .collect();
    for list in ["tactics", "reports"] {
        for item in f.strings(list) {
            let pos = f.item_position(list, &item);
            out.push(entry(format!("{list}.{item}"), pos));
        }
    }
    for key in f.keys("metrics") {
        let pos = f.nested_position("metrics", &key);
        out.push(entry(format!("metrics.{key}"), pos));
    }
    Positions::new(out, keys, f.start_line())
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
pub(super) fn check_duplicate_slugs<M>(
    files: &[std::sync::Arc<Source<M>>],
    what: &str,
    diags: &mut Vec<Diagnostic>,
) {
    // A hash map: a `BTreeMap` of 11,900 slugs was a share of every save in `serve` at 100x.
    let mut seen: foldhash::HashMap<&str, &Path> =
        foldhash::HashMap::with_capacity_and_hasher(files.len(), Default::default());
    for src in files {
        let slug = src.slug.as_str();
        match seen.get(slug) {
            Some(other) => {
                let (l, c) = src.positions.get("slug").unwrap_or((0, 0));
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
        if !super::is_date(d) {
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
