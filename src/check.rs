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

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{suggest, Diagnostic, Error, Level, Result};
use crate::load::{self, Project, Sources};
use crate::markdown::{internal_target, Body, Link};
use crate::model::{self, Site};
use crate::output::OutputFile;
use crate::pipeline::{timed, Observer, Stage, Timings};
use crate::render::{self, RenderOptions};

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
    let sources = match timed(&timings, Stage::Load, || load::load(project)) {
        Ok(s) => s,
        Err(e) => return failed(project, "", e, "load", checked),
    };
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

/// Checks a modelled and rendered site. Never writes; returns the model's warnings and its own
/// findings, sorted and without repeats.
pub fn check(site: &Site, sources: &Sources, files: &[OutputFile]) -> Vec<Diagnostic> {
    let out = Output::new(files);
    let mut diags = site.diagnostics.clone();
    let bodies: Vec<(&Path, String, &Body)> = site
        .reports
        .iter()
        .map(|r| (r.path.as_path(), page_path("reports", &r.slug), &r.body))
        .chain(
            site.pages
                .iter()
                .map(|p| (p.path.as_path(), page_path("pages", &p.slug), &p.body)),
        )
        .collect();
    let known = Known::new(site);
    for (path, page, body) in &bodies {
        for link in &body.links {
            if let Some(d) = check_link(path, page, body, link, &known, &out) {
                diags.push(d);
            }
        }
    }
    same_town(site, sources, &mut diags);
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

/// The output path of a report's or page's page.
fn page_path(kind: &str, slug: &str) -> String {
    format!("{kind}/{slug}/index.html")
}

/// Slugs and heading ids of the site's reports and pages.
struct Known<'a> {
    reports: BTreeMap<&'a str, &'a Body>,
    pages: BTreeMap<&'a str, &'a Body>,
}

impl<'a> Known<'a> {
    fn new(site: &'a Site) -> Self {
        Known {
            reports: site
                .reports
                .iter()
                .map(|r| (r.slug.as_str(), &r.body))
                .collect(),
            pages: site
                .pages
                .iter()
                .map(|p| (p.slug.as_str(), &p.body))
                .collect(),
        }
    }

    fn slugs(&self, kind: &str) -> &BTreeMap<&'a str, &'a Body> {
        if kind == "pages" {
            &self.pages
        } else {
            &self.reports
        }
    }

    /// `@/reports/<slug>` for a file-ish name that is a known slug (`sandun.md`, `sandun`).
    fn internal_name(&self, name: &str) -> Option<String> {
        let stem = name
            .trim_end_matches('/')
            .trim_end_matches("index.html")
            .trim_end_matches('/')
            .rsplit('/')
            .next()?
            .trim_end_matches(".md")
            .trim_end_matches(".html");
        ["reports", "pages"]
            .into_iter()
            .find(|k| self.slugs(k).contains_key(stem))
            .map(|k| format!("@/{k}/{stem}"))
    }
}

/// What the rendered site holds: its paths, the ids on each HTML page, and every page some
/// other page links to.
struct Output<'a> {
    paths: HashSet<&'a str>,
    ids: HashMap<&'a str, HashSet<String>>,
    linked: HashSet<String>,
}

impl<'a> Output<'a> {
    fn new(files: &'a [OutputFile]) -> Self {
        let mut out = Output {
            paths: files.iter().map(|f| f.path.as_str()).collect(),
            ids: HashMap::new(),
            linked: HashSet::new(),
        };
        for f in files.iter().filter(|f| f.path.ends_with(".html")) {
            let html = String::from_utf8_lossy(&f.bytes);
            out.ids
                .insert(f.path.as_str(), attributes(&html, "id").collect());
            for href in attributes(&html, "href") {
                if let Some(Target::Relative(rel)) = Target::of(&href) {
                    if let Some(target) = resolve_relative(&f.path, &rel) {
                        let target = out.page_of(&target);
                        if target != f.path {
                            out.linked.insert(target);
                        }
                    }
                }
            }
        }
        out
    }

    /// The file a resolved link path opens: a folder means its `index.html`.
    fn page_of(&self, path: &str) -> String {
        if path.is_empty() || path.ends_with('/') {
            format!("{path}index.html")
        } else if !self.paths.contains(path)
            && self.paths.contains(format!("{path}/index.html").as_str())
        {
            format!("{path}/index.html")
        } else {
            path.to_string()
        }
    }
}

/// Values of attribute `name` in HTML, character references decoded. Enough for the HTML our
/// templates and pulldown-cmark write: attributes always double-quoted, and Tera escaping `/`
/// as `&#x2F;` in every URL it prints.
fn attributes<'h>(html: &'h str, name: &'h str) -> impl Iterator<Item = String> + 'h {
    let needle = format!(" {name}=\"");
    html.match_indices(needle.as_str())
        .map(|(i, _)| i)
        .collect::<Vec<_>>()
        .into_iter()
        .filter_map(move |i| {
            let start = i + name.len() + 3;
            let end = html[start..].find('"')? + start;
            Some(unescape(&html[start..end]))
        })
}

/// Decodes HTML character references: numeric ones and the five XML names.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let decoded = rest.find(';').filter(|&end| end <= 10).and_then(|end| {
            let entity = &rest[1..end];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .map(|h| u32::from_str_radix(h, 16))
                    .or_else(|| entity.strip_prefix('#').map(str::parse::<u32>))
                    .and_then(|n| n.ok())
                    .and_then(char::from_u32),
            }?;
            Some((c, end + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// What a link in a body points at.
#[derive(Debug, PartialEq, Eq)]
enum Target {
    /// `@/kind/slug#fragment`.
    Internal {
        kind: String,
        slug: String,
        fragment: Option<String>,
    },
    /// `#fragment` on the same page.
    Fragment(String),
    /// `/path`: from the server root.
    Absolute(String),
    /// A path relative to the page (with its fragment, if any).
    Relative(String),
}

impl Target {
    /// Classifies a link destination; `None` for links that leave the site (a scheme such as
    /// `https:` or `mailto:`, or `//host`) and empty ones.
    fn of(dest: &str) -> Option<Target> {
        let dest = dest.trim();
        if dest.is_empty() || dest.starts_with("//") || has_scheme(dest) {
            return None;
        }
        if let Some(rest) = dest.strip_prefix("@/") {
            let (path, fragment) = match rest.split_once('#') {
                Some((p, f)) => (p, Some(f.to_string())),
                None => (rest, None),
            };
            let path = path.trim_end_matches('/').trim_end_matches(".md");
            let mut parts = path.split('/');
            let kind = parts.next().unwrap_or_default().to_string();
            let slug = parts.next_back().unwrap_or_default().to_string();
            return Some(Target::Internal {
                kind,
                slug,
                fragment,
            });
        }
        if let Some(f) = dest.strip_prefix('#') {
            return Some(Target::Fragment(f.to_string()));
        }
        if dest.starts_with('/') {
            return Some(Target::Absolute(dest.to_string()));
        }
        Some(Target::Relative(dest.to_string()))
    }
}

/// `https:`, `mailto:`, `tel:`...: letters, digits, `+`, `-`, `.` before a `:` that comes
/// before any `/`, `?` or `#`.
fn has_scheme(dest: &str) -> bool {
    let Some(colon) = dest.find(':') else {
        return false;
    };
    let scheme = &dest[..colon];
    scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// Resolves a relative link (its query and fragment dropped) against the page at `from`;
/// `None` when it climbs above the site root.
fn resolve_relative(from: &str, link: &str) -> Option<String> {
    let path = link.split(['?', '#']).next().unwrap_or("");
    let path = percent_decode(path);
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop(); // the page's own file name
    let trailing = path.ends_with('/') || path.is_empty() || path.ends_with("/.") || path == ".";
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    let mut joined = parts.join("/");
    if trailing && !joined.is_empty() {
        joined.push('/');
    }
    Some(joined)
}

/// Decodes `%XX` escapes (as a browser does before asking for a file); malformed escapes and
/// bytes that are not UTF-8 stay as they were.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

/// Checks one link of `own`, the body of `path`, whose page is `page`.
fn check_link(
    path: &Path,
    page: &str,
    own: &Body,
    link: &Link,
    known: &Known<'_>,
    out: &Output<'_>,
) -> Option<Diagnostic> {
    let err = |message: String| Some(Diagnostic::error(path, link.line, link.col, message));
    match Target::of(&link.dest)? {
        Target::Internal {
            kind,
            slug,
            fragment,
        } => {
            if internal_target(&link.dest).is_none()
                || !matches!(kind.as_str(), "reports" | "pages")
            {
                return err(format!(
                    "`{}` is not a link to a report or page: write `@/reports/<slug>` or \
                     `@/pages/<slug>`",
                    link.dest
                ));
            }
            let slugs = known.slugs(&kind);
            let what = if kind == "pages" { "page" } else { "report" };
            let Some(body) = slugs.get(slug.as_str()) else {
                let hint = suggest(&slug, slugs.keys().copied())
                    .map(|s| format!("; did you mean `@/{kind}/{s}`?"))
                    .unwrap_or_default();
                return err(format!("link to unknown {what} `{slug}`{hint}"));
            };
            let fragment = fragment.filter(|f| !f.is_empty())?;
            let target = page_path(&kind, &slug);
            check_fragment(&fragment, &target, Some(body), out).map(|m| {
                Diagnostic::error(
                    path,
                    link.line,
                    link.col,
                    format!("link `{}`: {m}", link.dest),
                )
            })
        }
        Target::Fragment(fragment) if fragment.is_empty() => None,
        Target::Fragment(fragment) => check_fragment(&fragment, page, Some(own), out).map(|m| {
            Diagnostic::error(
                path,
                link.line,
                link.col,
                format!("link `{}`: {m}", link.dest),
            )
        }),
        Target::Absolute(dest) => Some(Diagnostic::warning(
            path,
            link.line,
            link.col,
            format!(
                "link `{dest}` starts from the server root, so it breaks when the site is \
                 published under a sub-path or opened from disk; {}",
                known
                    .internal_name(&dest)
                    .map(|s| format!("write `{s}`"))
                    .unwrap_or_else(|| "write a relative link, or `@/reports/<slug>`".into())
            ),
        )),
        Target::Relative(dest) => {
            let Some(resolved) = resolve_relative(page, &dest) else {
                return err(format!("link `{dest}` climbs above the site's root folder"));
            };
            let target = out.page_of(&resolved);
            if !out.paths.contains(target.as_str()) {
                let hint = match known.internal_name(&resolved) {
                    Some(s)
                        if dest
                            .split(['?', '#'])
                            .next()
                            .is_some_and(|p| p.ends_with(".md")) =>
                    {
                        format!("; a link to a source file does not survive the build: write `{s}`")
                    }
                    Some(s) => format!("; did you mean `{s}`?"),
                    None => String::new(),
                };
                return err(format!(
                    "link `{dest}` points to nothing in the built site{hint}"
                ));
            }
            let fragment = dest
                .split_once('#')
                .map(|(_, f)| f)
                .filter(|f| !f.is_empty())?;
            check_fragment(fragment, &target, None, out).map(|m| {
                Diagnostic::error(path, link.line, link.col, format!("link `{dest}`: {m}"))
            })
        }
    }
}

/// Why `#fragment` finds nothing on `target`, or `None` when it does. `body` is the target's
/// Markdown body when it has one (its heading ids are the suggestions).
fn check_fragment(
    fragment: &str,
    target: &str,
    body: Option<&Body>,
    out: &Output<'_>,
) -> Option<String> {
    let fragment = percent_decode(fragment);
    let ids = out.ids.get(target);
    if ids.is_some_and(|ids| ids.contains(&fragment))
        || body.is_some_and(|b| b.headings.iter().any(|h| h.id == fragment))
    {
        return None;
    }
    let headings: Vec<&str> = body
        .map(|b| b.headings.iter().map(|h| h.id.as_str()).collect())
        .unwrap_or_default();
    let hint = match suggest(&fragment, headings.iter().copied()) {
        Some(s) => format!("; did you mean `#{s}`?"),
        None if body.is_some() && headings.is_empty() => "; that page has no headings".into(),
        None if !headings.is_empty() => format!(
            "; its headings are {}",
            headings
                .iter()
                .map(|h| format!("`#{h}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => String::new(),
    };
    Some(format!(
        "no heading or anchor `#{fragment}` on {target}{hint}"
    ))
}

/// Warns about a second report on a town that already has one: same city and town, and the
/// same county (or no county on one of them).
fn same_town(site: &Site, sources: &Sources, diags: &mut Vec<Diagnostic>) {
    let positions: HashMap<&Path, (usize, usize)> = sources
        .reports
        .iter()
        .map(|s| {
            let pos = s.positions.get("town").copied().unwrap_or((0, 0));
            (s.path.as_path(), pos)
        })
        .collect();
    let mut reports: Vec<&crate::model::Report> = site.reports.iter().collect();
    reports.sort_by(|a, b| a.path.cmp(&b.path));
    // (city, town) -> the county and file of each report on it so far.
    type Earlier<'a> = Vec<(&'a Option<String>, &'a PathBuf)>;
    let mut seen: BTreeMap<(&str, &str), Earlier<'_>> = BTreeMap::new();
    for r in reports {
        let key = (r.meta.city.trim(), r.meta.town.trim());
        let county = &r.meta.county;
        let earlier = seen.entry(key).or_default();
        if let Some((c, first)) = earlier
            .iter()
            .find(|(c, _)| c.is_none() || county.is_none() || *c == county)
        {
            let place = match c.as_ref().or(county.as_ref()) {
                Some(c) => format!("{}, {c}, {}", r.meta.town, r.meta.city),
                None => format!("{}, {}", r.meta.town, r.meta.city),
            };
            let (line, col) = positions.get(r.path.as_path()).copied().unwrap_or((0, 0));
            diags.push(Diagnostic::warning(
                &r.path,
                line,
                col,
                format!(
                    "{} is about the same town ({place}); merge the two reports, or correct \
                     `town`, `county` or `city` in one of them",
                    first.display()
                ),
            ));
        }
        earlier.push((county, &r.path));
    }
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
#[path = "check_tests.rs"]
mod tests;
