//! Links in report and page bodies: internal `@/` links to unknown slugs and anchors, relative
//! links to files the site does not have, and links starting with `/`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::site_output::Output;
use crate::error::{suggest, Diagnostic};
use crate::markdown::{has_scheme, internal_target, Body, Link};
use crate::model::Site;
use crate::urls::Route;

/// Slugs and heading ids of the site's reports and pages.
pub(super) struct Known<'a> {
    reports: BTreeMap<&'a str, &'a Body>,
    pages: BTreeMap<&'a str, &'a Body>,
    /// Slugs of report and page files that did not load: a link to one is not reported (the
    /// file's own errors are), so that one broken file does not bury the rest in echoes.
    pub(super) unloaded: BTreeSet<String>,
}

impl<'a> Known<'a> {
    pub(super) fn new(site: &'a Site) -> Self {
        Known {
            unloaded: BTreeSet::new(),
            reports: site
                .reports
                .iter()
                .map(|r| (r.slug.as_str(), &*r.body))
                .collect(),
            pages: site
                .pages
                .iter()
                .map(|p| (p.slug.as_str(), &*p.body))
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

/// What a link in a body points at.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Target {
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
    pub(super) fn of(dest: &str) -> Option<Target> {
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

/// Resolves a relative link (its query and fragment dropped) against the page at `from`;
/// `None` when it climbs above the site root.
pub(super) fn resolve_relative(from: &str, link: &str) -> Option<String> {
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
pub(super) fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .map_or_else(|_| s.to_string(), |d| d.into_owned())
}

/// Checks one link of `own`, the body of `path`, whose page is `page`.
pub(super) fn check_link(
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
                if known.unloaded.contains(&slug) {
                    return None;
                }
                let hint = suggest(&slug, slugs.keys().copied())
                    .map(|s| format!("; did you mean `@/{kind}/{s}`?"))
                    .unwrap_or_default();
                return err(format!("link to unknown {what} `{slug}`{hint}"));
            };
            let fragment = fragment.filter(|f| !f.is_empty())?;
            let target = if kind == "pages" {
                Route::Page(&slug)
            } else {
                Route::Report(&slug)
            }
            .path();
            check_fragment(&fragment, &target, Some(body), out).map(|m| {
                Diagnostic::error(
                    path,
                    link.line,
                    link.col,
                    format!("link `{}`: {m}", link.dest),
                )
            })
        }
        Target::Fragment(fragment) if fragment.is_empty() || !out.scanned => None,
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
                .filter(|f| !f.is_empty() && out.scanned)?;
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
