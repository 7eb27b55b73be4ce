//! `casebook check`: everything a build reports, plus the problems a build lets through because
//! the site still works, only worse: links and anchors that lead nowhere, two reports on the
//! same town, pages that nothing links to.
//!
//! Entry points: [`check_project`] runs load, model and render in memory (nothing is written;
//! the search index is left out, it has no content problems to find) and then [`check`], which
//! looks at the model and the rendered pages together: a link is checked against the site that
//! would be published, whatever the theme makes of it.
//!
//! Unknown tactics, metrics, cities and sections are reported by the model (with the closest
//! known name), and impossible dates by load; `check` passes those on rather than repeating them.

mod links;
mod site_output;
mod towns;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{Diagnostic, Error, Level, Result};
use crate::load::{self, Project, Sources};
use crate::markdown::Body;
use crate::model::{self, Site};
use crate::output::OutputFile;
use crate::pipeline::{timed, Observer, Stage, Timings};
use crate::render::{self, RenderOptions};
use crate::urls::Route;
use links::{check_link, Known};
use site_output::Output;

/// What [`check_project`] found.
#[derive(Debug, Default)]
pub struct Checked {
    /// Every problem, errors and warnings, sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// Reports checked (0 when the site did not load).
    pub reports: usize,
    /// Pages checked.
    pub pages: usize,
    /// Time per stage.
    pub timings: Vec<(&'static str, Duration)>,
    /// The stage that stopped the check (its errors stop a build too); `None` when every stage
    /// ran, links included.
    pub stopped_at: Option<&'static str>,
}

/// Loads, models and renders the project in memory and checks the result. Content problems,
/// including those that stop a build, come back as diagnostics; `Err` only when something other
/// than the content failed. `observer` hears each stage start and end.
pub fn check_project(project: &Project, observer: &dyn Observer) -> Result<Checked> {
    let timings = Timings::around(observer);
    let mut checked = Checked::default();
    // Read leniently: a file with errors is left out and its errors kept, and the rest of the
    // site is still modelled, rendered and checked, so that one run reports every problem. Only
    // a broken site.yaml stops here: without its vocabulary every report would echo it.
    let sources = timed(&timings, Stage::Load, || load::read_all(project));
    let config_broken = sources
        .diagnostics
        .iter()
        .any(|d| d.level == Level::Error && d.path == Path::new("site.yaml"));
    if config_broken {
        checked.diagnostics = sources.diagnostics;
        checked.stopped_at = Some("load");
        checked.timings = timings.take();
        return Ok(checked);
    }
    let site = match timed(&timings, Stage::Model, || model::build(&sources)) {
        Ok(s) => s,
        Err(e) => return failed(project, "", e, "model", checked),
    };
    checked.reports = site.reports.len();
    checked.pages = site.pages.len();

    let rendered = timed(&timings, Stage::Render, || {
        render::render(&site, &sources.theme, &RenderOptions::default())
    });
    let files = match rendered {
        Ok(f) => f,
        Err(e) => {
            let theme = sources.config.theme.clone();
            let mut c = failed(project, &theme, e, "render", checked)?;
            // The content was fine as far as it went: keep what the model found too.
            c.diagnostics.extend(site.diagnostics);
            c.diagnostics.sort();
            return Ok(c);
        }
    };
    checked.diagnostics = timed(&timings, Stage::Check, || check(&site, &sources, &files));
    checked.timings = timings.take();
    Ok(checked)
}

fn failed(
    project: &Project,
    theme: &str,
    e: Error,
    stage: &'static str,
    mut checked: Checked,
) -> Result<Checked> {
    match e {
        Error::Content(_) | Error::Template { .. } => {
            checked.diagnostics = error_diagnostics(project, theme, e);
            checked.stopped_at = Some(stage);
            Ok(checked)
        }
        other => Err(other),
    }
}

/// Every Markdown body of the site with its file and its page.
fn bodies(site: &Site) -> Vec<(&Path, String, &Body)> {
    site.reports
        .iter()
        .map(|r| (r.path.as_path(), Route::Report(&r.slug).path(), &*r.body))
        .chain(
            site.pages
                .iter()
                .map(|p| (p.path.as_path(), Route::Page(&p.slug).path(), &*p.body)),
        )
        .chain(
            site.news
                .iter()
                .map(|n| (n.path.as_path(), Route::News(&n.slug).path(), &*n.body)),
        )
        .collect()
}

/// The links of every body, checked against `out`. A link in a draft is only a warning: a
/// draft may point at what is not written yet.
fn check_links(site: &Site, known: &Known<'_>, out: &Output<'_>, diags: &mut Vec<Diagnostic>) {
    let drafts: std::collections::HashSet<&Path> = site
        .reports
        .iter()
        .filter(|r| r.meta.draft)
        .map(|r| r.path.as_path())
        .chain(
            site.pages
                .iter()
                .filter(|p| p.meta.draft)
                .map(|p| p.path.as_path()),
        )
        .collect();
    for (path, page, body) in bodies(site) {
        for link in &body.links {
            if let Some(mut d) = check_link(path, &page, body, link, known, out) {
                if drafts.contains(path) {
                    d.level = Level::Warning;
                }
                diags.push(d);
            }
        }
    }
}

/// The dead links a build refuses: internal links to reports and pages that do not exist or
/// to headings they do not have, and relative links to files the build did not write
/// (`written`: every output path). Anchors on template-made ids and same-page anchors are left
/// to `check`, which reads the rendered pages.
pub fn dead_links<'a>(site: &Site, written: impl IntoIterator<Item = &'a str>) -> Vec<Diagnostic> {
    let out = Output::paths(written);
    let mut diags = Vec::new();
    check_links(site, &Known::new(site), &out, &mut diags);
    diags.sort();
    diags.dedup();
    diags
}

/// Checks a modelled and rendered site. Never writes; returns the model's warnings and its own
/// findings, sorted and without repeats.
pub fn check(site: &Site, sources: &Sources, files: &[OutputFile]) -> Vec<Diagnostic> {
    let out = Output::new(files);
    let mut diags = site.diagnostics.clone();
    let mut known = Known::new(site);
    known.unloaded = unloaded_slugs(&diags);
    check_links(site, &known, &out, &mut diags);
    let bodies = bodies(site);
    towns::same_town(site, sources, &mut diags);
    for (path, page, _) in &bodies {
        if !out.linked.contains(page.as_str()) {
            diags.push(Diagnostic::warning(
                path,
                0,
                0,
                format!(
                    "no page of the site links to this one ({page}): readers can reach it only by \
                     its address; link to it from another page with `@/{}`",
                    page.trim_end_matches("/index.html")
                ),
            ));
        }
    }
    diags.sort();
    diags.dedup();
    diags
}

/// The slugs of content files that have errors of their own (and may not have loaded): their
/// file stems, or folder names for `index.md`.
fn unloaded_slugs(diags: &[Diagnostic]) -> std::collections::BTreeSet<String> {
    diags
        .iter()
        .filter(|d| d.level == Level::Error)
        .filter_map(|d| {
            let stem = d.path.file_stem()?.to_str()?;
            let stem = if stem == "index" {
                d.path.parent()?.file_name()?.to_str()?
            } else {
                stem
            };
            Some(stem.to_string())
        })
        .collect()
}

/// Any failure of a stage as diagnostics, so a terminal and the browser overlay can show every
/// one of them the same way. `theme` is the configured theme folder (empty when unknown).
pub fn error_diagnostics(project: &Project, theme: &str, e: Error) -> Vec<Diagnostic> {
    match e {
        Error::Content(d) => d,
        Error::Template { name, message } => {
            vec![template_diagnostic(project, theme, &name, &message)]
        }
        Error::Io { path, source } => vec![Diagnostic::error(
            &project.display_path(&path),
            0,
            0,
            source.to_string(),
        )],
        other => vec![Diagnostic::error(
            Path::new("site.yaml"),
            0,
            0,
            other.to_string(),
        )],
    }
}

/// A template error as a diagnostic on the template's file: the site's override when there is
/// one, else the embedded default; with the position when the template engine gives one.
pub fn template_diagnostic(
    project: &Project,
    theme: &str,
    name: &str,
    message: &str,
) -> Diagnostic {
    // Parse errors come from compiling the whole theme and name their template in the message.
    let named = ["Failed to parse '", "Failed to parse \""]
        .iter()
        .find_map(|p| {
            let rest = message.split_once(p)?.1;
            rest.split_once(['\'', '"']).map(|(n, _)| n)
        });
    let name = match named {
        Some(n) if name.starts_with('(') => n,
        _ => name,
    };
    let theme = if theme.is_empty() { "default" } else { theme };
    let overridden = project
        .root
        .join("themes")
        .join(theme)
        .join("templates")
        .join(name);
    let (path, builtin) = match name.strip_prefix("builtin/") {
        Some(n) => (PathBuf::from("themes/default/templates").join(n), true),
        None if overridden.is_file() => (project.display_path(&overridden), false),
        None => (PathBuf::from("themes/default/templates").join(name), true),
    };
    let (line, col) = message
        .split_once("--> ")
        .and_then(|(_, r)| {
            let (l, rest) = r.split_once(':')?;
            let c: String = rest.chars().take_while(char::is_ascii_digit).collect();
            Some((l.trim().parse().ok()?, c.parse().ok()?))
        })
        .unwrap_or((0, 0));
    // Tera draws its own excerpt (`-->`, `3 | ...`, `^---`); ours is printed from the file, so
    // keep only the words.
    let words: Vec<&str> = message
        .lines()
        .map(|l| match l.find("-->") {
            Some(i) => l[..i].trim(),
            None => l.trim(),
        })
        .filter(|l| {
            let gutter = l
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .trim_start();
            !l.is_empty() && !gutter.starts_with('|')
        })
        .map(|l| l.trim_start_matches("= ").trim_end_matches(':'))
        .collect();
    let words = words.join(": ");
    let message = if builtin {
        format!("template `{name}` (built into casebook): {words}")
    } else {
        format!("template `{name}`: {words}")
    };
    Diagnostic {
        path,
        line,
        col,
        level: Level::Error,
        message,
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
