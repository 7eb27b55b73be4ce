//! The theme: templates and static files, embedded from `themes/default/` at compile time, with
//! per-file overrides from the site's `themes/<name>/{templates,static}/`.
//!
//! An override replaces one file only, so a site that changes the report page does not copy (and
//! then fall behind on) the page shell. Built-in templates stay reachable as `builtin/<name>`, so
//! an override can extend the original with `{% extends "builtin/report.html" %}`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use include_dir::{include_dir, Dir};
use walkdir::WalkDir;

use crate::error::Diagnostic;
use crate::load::front_matter::parse_document;

static DEFAULT_THEME: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/themes/default");
/// Templates only `casebook serve` renders (its live-reload script), never a page of the site.
const SERVE_TEMPLATES: &str = "templates/serve/";

/// Templates (by name) and static files (by output path) of the active theme.
#[derive(Debug, Clone, Default)]
pub struct Theme {
    /// Template name (e.g. `report.html`) to source, overrides applied.
    pub templates: BTreeMap<String, String>,
    /// The embedded templates, untouched, for `builtin/` access.
    pub builtin_templates: BTreeMap<String, String>,
    /// Static file path (relative, `/`-separated) to bytes, overrides applied.
    pub statics: BTreeMap<String, Vec<u8>>,
    /// Where each template overridden by the site comes from (`themes/<name>/templates/x.html`,
    /// relative to the site root), so that template errors name the file to fix.
    pub template_files: BTreeMap<String, PathBuf>,
    /// Interface strings: language (`zh-CN`) to key (`title.cities`) to text, from
    /// `strings/<language>.yaml`, a site's keys laid over the embedded ones.
    pub strings: BTreeMap<String, BTreeMap<String, String>>,
}

/// The language whose strings stand in for a language the theme has no file for.
const FALLBACK_LANGUAGE: &str = "zh-CN";

impl Theme {
    /// The embedded default theme alone.
    pub fn embedded() -> Self {
        let mut theme = Theme::default();
        if let Some(dir) = DEFAULT_THEME.get_dir("templates") {
            for file in walk_embedded(dir) {
                let name = rel_name(file.path(), "templates");
                let text = String::from_utf8_lossy(file.contents()).into_owned();
                theme.templates.insert(name.clone(), text.clone());
                theme.builtin_templates.insert(name, text);
            }
        }
        if let Some(dir) = DEFAULT_THEME.get_dir("static") {
            for file in walk_embedded(dir) {
                theme
                    .statics
                    .insert(rel_name(file.path(), "static"), file.contents().to_vec());
            }
        }
        if let Some(dir) = DEFAULT_THEME.get_dir("strings") {
            for file in walk_embedded(dir) {
                let text = String::from_utf8_lossy(file.contents());
                // The embedded files are ours and tested; a broken one is a bug caught there.
                if let Ok(map) = parse_document(file.path(), &text) {
                    theme.strings.insert(language_of(file.path()), map);
                }
            }
        }
        theme
    }

    /// The strings for `language`, or the fallback language's when the theme has none.
    pub fn strings(&self, language: &str) -> Option<&BTreeMap<String, String>> {
        self.strings
            .get(language)
            .or_else(|| self.strings.get(FALLBACK_LANGUAGE))
    }

    /// The embedded theme with the files under `root/themes/<name>/` laid over it.
    pub(crate) fn load(root: &Path, name: &str, diags: &mut Vec<Diagnostic>) -> Self {
        let mut theme = Theme::embedded();
        let base = root.join("themes").join(name);
        if name.contains(['/', '\\']) || name.contains("..") {
            diags.push(Diagnostic::error(
                Path::new("site.yaml"),
                0,
                0,
                format!("`theme` must be a folder name under themes/, found `{name}`"),
            ));
            return theme;
        }
        load_strings(&base.join("strings"), &mut theme, diags);
        for (sub, is_template) in [("templates", true), ("static", false)] {
            read_folder(root, &base.join(sub), is_template, &mut theme, diags);
        }
        // The site's own `static/` is laid over the theme's: a site changes a logo or adds a
        // file without a theme of its own.
        read_folder(root, &root.join("static"), false, &mut theme, diags);
        theme
    }

    /// The embedded theme's files to copy into a site (for `init --with-theme`), without
    /// serve's own templates: serve reads only its built-in copy, so a copy would do nothing.
    pub fn embedded_files() -> Vec<(String, &'static [u8])> {
        walk_embedded(&DEFAULT_THEME)
            .map(|f| (f.path().to_string_lossy().replace('\\', "/"), f.contents()))
            .filter(|(p, _)| !p.starts_with(SERVE_TEMPLATES))
            .collect()
    }

    /// A template of the embedded theme by name (`serve/live-reload.html`), overrides ignored.
    pub fn builtin_template(name: &str) -> Option<&'static str> {
        DEFAULT_THEME
            .get_file(format!("templates/{name}"))
            .and_then(|f| f.contents_utf8())
    }
}

/// Lays a site's `strings/<language>.yaml` files over the embedded strings, key by key.
fn load_strings(dir: &Path, theme: &mut Theme, diags: &mut Vec<Diagnostic>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    files.sort();
    for path in files
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
    {
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                diags.push(Diagnostic::error(&path, 0, 0, format!("cannot read: {e}")));
                continue;
            }
        };
        match parse_document::<BTreeMap<String, String>>(&path, &text) {
            Ok(map) => theme
                .strings
                .entry(language_of(&path))
                .or_default()
                .extend(map),
            Err(d) => diags.push(d),
        }
    }
}

/// `zh-CN` for `strings/zh-CN.yaml`.
fn language_of(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn walk_embedded<'a>(dir: &'a Dir<'a>) -> impl Iterator<Item = &'a include_dir::File<'a>> {
    let mut stack = vec![dir];
    let mut files = Vec::new();
    while let Some(d) = stack.pop() {
        files.extend(d.files());
        stack.extend(d.dirs());
    }
    files.sort_by(|a, b| a.path().cmp(b.path()));
    files.into_iter()
}

fn rel_name(path: &Path, prefix: &str) -> String {
    path.strip_prefix(prefix)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Reads the files of a theme folder (`templates/`, `static/`) or of the site's `static/` over
/// `theme`. Links are followed like the content's: inside the site they are files like any
/// other, leading out of it (or to a FIFO, a device) they are refused by name.
fn read_folder(
    root: &Path,
    dir: &Path,
    is_template: bool,
    theme: &mut Theme,
    diags: &mut Vec<Diagnostic>,
) {
    if !dir.is_dir() {
        return;
    }
    for entry in WalkDir::new(dir).follow_links(true).sort_by_file_name() {
        let entry = match entry {
            Ok(e) if e.file_type().is_dir() => continue,
            Ok(e) => e,
            Err(e) => {
                diags.push(Diagnostic::error(dir, 0, 0, format!("cannot read: {e}")));
                continue;
            }
        };
        let shown = entry.path().strip_prefix(root).unwrap_or(entry.path());
        if let Err(msg) = crate::load::inside_site(root, entry.path()) {
            diags.push(Diagnostic::error(shown, 0, 0, msg));
            continue;
        }
        if !entry.file_type().is_file() {
            diags.push(Diagnostic::error(
                shown,
                0,
                0,
                "not a regular file (a FIFO, socket or device): replace it with one",
            ));
            continue;
        }
        let Some(rel) = entry
            .path()
            .strip_prefix(dir)
            .ok()
            .and_then(|r| r.to_str())
            .map(|r| r.replace('\\', "/"))
        else {
            diags.push(Diagnostic::error(
                entry.path(),
                0,
                0,
                "theme file name is not valid UTF-8",
            ));
            continue;
        };
        match fs::read(entry.path()) {
            Ok(bytes) if is_template => match String::from_utf8(bytes) {
                Ok(text) => {
                    theme.template_files.insert(
                        rel.clone(),
                        dir.strip_prefix(root).unwrap_or(dir).join(&rel),
                    );
                    theme.templates.insert(rel, text);
                }
                Err(_) => diags.push(Diagnostic::error(
                    entry.path(),
                    0,
                    0,
                    "template is not valid UTF-8",
                )),
            },
            Ok(bytes) => {
                theme.statics.insert(rel, bytes);
            }
            Err(e) => diags.push(Diagnostic::error(
                entry.path(),
                0,
                0,
                format!("cannot read: {e}"),
            )),
        }
    }
}
