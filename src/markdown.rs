//! Markdown to [`Body`]: HTML, plain text for search, headings with stable ids, and links.
//!
//! Entry point: [`render`]. Bodies are parsed once (by `model`); pages and the search index both
//! read the resulting [`Body`].

use std::collections::{HashMap, HashSet};

use pulldown_cmark::{CowStr, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd};
use serde::Serialize;

use crate::error::line_col;
use crate::urls::Route;

/// A rendered Markdown body.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Body {
    /// HTML, with internal `@/` links kept as routes: a page resolves them to links from
    /// itself ([`Html::for_page`]).
    pub html: Html,
    /// Plain text for search and snippets: blocks (paragraphs, headings, list items, table
    /// rows) separated by a blank line, line breaks inside a block kept as one `\n`, table
    /// cells separated by ` | `. Search joins CJK text across a line break but not across a
    /// blank line or a cell, and snippets show where a block ends.
    pub text: String,
    /// Headings in order, with unique ids.
    pub headings: Vec<Heading>,
    /// Links in order, with positions in the source file.
    pub links: Vec<Link>,
    /// A hash of the Markdown and its first line: equal digests, equal bodies. Incremental
    /// rendering compares this instead of the HTML.
    pub digest: u64,
}

/// A heading of a body.
#[derive(Debug, Clone, Serialize)]
pub struct Heading {
    /// 1 to 6.
    pub level: u8,
    /// Unique id within the body; stable across builds.
    pub id: String,
    /// The heading's text.
    pub text: String,
}

/// A link found in a body.
#[derive(Debug, Clone, Serialize)]
pub struct Link {
    /// The destination as written.
    pub dest: String,
    /// 1-based line in the file (body start applied).
    pub line: usize,
    /// 1-based column.
    pub col: usize,
}

/// A body's HTML: the text between internal links, and the links' targets.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Html {
    parts: Vec<HtmlPart>,
}

#[derive(Debug, Clone, Serialize)]
enum HtmlPart {
    Raw(String),
    Link(InternalLink),
}

/// An internal link (`@/reports/<slug>#x`, `@/pages/<slug>`) of a body.
#[derive(Debug, Clone, Serialize)]
pub struct InternalLink {
    /// Whether it leads to a report (else a page).
    pub report: bool,
    /// The target's slug, as the href escapes it.
    pub slug: String,
    /// `#fragment` or empty, as the href escapes it.
    pub fragment: String,
}

impl InternalLink {
    /// The page it leads to.
    pub fn route(&self) -> Route<'_> {
        if self.report {
            Route::Report(&self.slug)
        } else {
            Route::Page(&self.slug)
        }
    }
}

impl Html {
    /// The HTML as it appears on page `from`: internal links relative to it.
    pub fn for_page(&self, from: &Route<'_>) -> String {
        self.resolve(|l| l.route().url_from(from) + &l.fragment)
    }

    /// The HTML as it appears on a print page `on`, where every report is an article of the
    /// same page: a report link is its anchor (the heading a link may name is not unique on
    /// that page), a page link is relative to `on`.
    ///
    /// In a volume of a large site a linked report may stand in another volume: the anchor then
    /// leads nowhere on paper either way, and the report's own page is a click away from it.
    pub fn for_print(&self, on: &Route<'_>) -> String {
        self.resolve(|l| {
            if l.report {
                format!("#report-{}", l.slug)
            } else {
                l.route().url_from(on) + &l.fragment
            }
        })
    }

    /// The HTML with each internal link's href given by `href` (already escaped for an
    /// attribute: slugs and fragments are).
    pub fn resolve(&self, href: impl Fn(&InternalLink) -> String) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                HtmlPart::Raw(s) => out.push_str(s),
                HtmlPart::Link(l) => out.push_str(&href(l)),
            }
        }
        out
    }

    /// Whether there is no HTML at all.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }
}

/// Stands for an internal link's href while pulldown-cmark writes the HTML (which escapes the
/// target as any href); split off right after. Drawn per process: content cannot forge it.
fn link_sentinel() -> &'static str {
    use std::hash::BuildHasher;
    static SENTINEL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SENTINEL.get_or_init(|| {
        let nonce = std::collections::hash_map::RandomState::new().hash_one(1);
        format!("cblnk{nonce:016x}_")
    })
}

/// Splits pulldown-cmark's HTML at the sentinels of internal links into parts.
fn split_links(html: String) -> Html {
    let sentinel = link_sentinel();
    if !html.contains(sentinel) {
        return Html {
            parts: vec![HtmlPart::Raw(html)],
        };
    }
    let mut parts = Vec::new();
    let mut rest = html.as_str();
    while let Some(i) = rest.find(sentinel) {
        parts.push(HtmlPart::Raw(rest[..i].to_string()));
        let after = &rest[i + sentinel.len()..];
        let end = after.find('"').unwrap_or(after.len());
        // The escaped `<kind>/<slug>#<fragment>` written by `internal_href`.
        let target = &after[..end];
        let (path, fragment) = match target.find('#') {
            Some(h) => (&target[..h], &target[h..]),
            None => (target, ""),
        };
        let (kind, slug) = path.split_once('/').unwrap_or(("reports", path));
        parts.push(HtmlPart::Link(InternalLink {
            report: kind == "reports",
            slug: slug.to_string(),
            fragment: fragment.to_string(),
        }));
        rest = &after[end..];
    }
    parts.push(HtmlPart::Raw(rest.to_string()));
    Html { parts }
}

/// Renders `source` (a body that starts on file line `first_line`).
pub fn render(source: &str, first_line: usize) -> Body {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_SMART_PUNCTUATION;
    let mut events: Vec<(Event<'_>, std::ops::Range<usize>)> = Parser::new_ext(source, options)
        .into_offset_iter()
        .collect();

    let mut body = Body {
        digest: {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            (source, first_line).hash(&mut h);
            h.finish()
        },
        ..Body::default()
    };
    let mut used = UsedIds::default();
    let mut i = 0;
    while i < events.len() {
        match &events[i].0 {
            Event::Start(Tag::Heading { level, id, .. }) => {
                let level = heading_level(*level);
                let given = id.as_ref().map(|s| s.to_string());
                let mut text = String::new();
                let mut j = i + 1;
                while j < events.len() && !matches!(events[j].0, Event::End(TagEnd::Heading(_))) {
                    if let Event::Text(t) | Event::Code(t) = &events[j].0 {
                        text.push_str(t);
                    }
                    j += 1;
                }
                let id = unique_id(given.unwrap_or_else(|| heading_id(&text)), &mut used);
                if let Event::Start(Tag::Heading { id: slot, .. }) = &mut events[i].0 {
                    *slot = Some(CowStr::from(id.clone()));
                }
                body.headings.push(Heading { level, id, text });
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                ..
            }) => {
                if !matches!(link_type, LinkType::Email) {
                    let (line, col) = line_col(source, events[i].1.start);
                    body.links.push(Link {
                        dest: dest_url.to_string(),
                        line: line + first_line - 1,
                        col,
                    });
                }
                if let Some((kind, slug, fragment)) = internal_target(dest_url) {
                    let marked = format!("{}{kind}/{slug}{fragment}", link_sentinel());
                    if let Event::Start(Tag::Link { dest_url, .. }) = &mut events[i].0 {
                        *dest_url = CowStr::from(marked);
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }

    body.text = plain_text(&events);
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events.into_iter().map(|(e, _)| e));
    body.html = split_links(html);
    body
}

/// The plain text of a body's events (see [`Body::text`]).
fn plain_text(events: &[(Event<'_>, std::ops::Range<usize>)]) -> String {
    const CELL: &str = " | ";
    let mut text = String::new();
    let end_block = |text: &mut String| {
        if let Some(row) = text.strip_suffix(CELL) {
            text.truncate(row.len());
        }
        let kept = text.trim_end_matches('\n').len();
        if kept > 0 {
            text.truncate(kept);
            text.push_str("\n\n");
        }
    };
    for (event, _) in events {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(t),
            Event::SoftBreak | Event::HardBreak => text.push('\n'),
            Event::End(TagEnd::TableCell) => text.push_str(CELL),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::TableHead
                | TagEnd::TableRow
                | TagEnd::CodeBlock
                | TagEnd::BlockQuote(_),
            ) => end_block(&mut text),
            _ => {}
        }
    }
    text.trim().to_string()
}

/// The kind (`reports` or `pages`), slug and `#fragment` (or empty) of an internal link:
/// `@/reports/<slug>` (optionally with `.md`, a trailing `/` or a `#fragment`) or
/// `@/pages/<slug>`.
pub fn internal_target(dest: &str) -> Option<(&'static str, &str, String)> {
    let rest = dest.strip_prefix("@/")?;
    let (path, fragment) = match rest.split_once('#') {
        Some((p, f)) => (p, format!("#{f}")),
        None => (rest, String::new()),
    };
    let path = path.trim_end_matches('/').trim_end_matches(".md");
    // Only the last segment names the target: `@/reports/hangzhou/sandun.md` -> sandun.
    let mut parts = path.split('/');
    let kind = parts.next()?;
    let slug = parts.next_back()?;
    let kind = match kind {
        "reports" => "reports",
        "pages" => "pages",
        _ => return None,
    };
    if slug.is_empty() {
        return None;
    }
    Some((kind, slug, fragment))
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// An id for a heading: letters (CJK included) and digits kept, lower-cased, everything else
/// collapsed to `-`. Chinese ids stay readable (and URL-encode fine) rather than becoming pinyin
/// that a reader cannot relate to the heading.
pub fn heading_id(text: &str) -> String {
    let mut id = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() {
            id.extend(c.to_lowercase());
        } else if !id.ends_with('-') && !id.is_empty() {
            id.push('-');
        }
    }
    let id = id.trim_end_matches('-').to_string();
    if id.is_empty() {
        "section".to_string()
    } else {
        id
    }
}

/// The ids given so far, and for each base the next suffix to try: every suffix below it is
/// taken (ids are never released), so `n` equal headings cost O(n), not O(n²) as a search from
/// `-1` each time did (20,000 `## h` lines took 25 s).
#[derive(Default)]
struct UsedIds {
    ids: HashSet<String>,
    next: HashMap<String, usize>,
}

fn unique_id(base: String, used: &mut UsedIds) -> String {
    if used.ids.insert(base.clone()) {
        return base;
    }
    let n = used.next.entry(base.clone()).or_insert(1);
    loop {
        let id = format!("{base}-{n}");
        *n += 1;
        if used.ids.insert(id.clone()) {
            return id;
        }
    }
}

#[cfg(test)]
#[path = "markdown_tests.rs"]
mod tests;
