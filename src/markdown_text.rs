//! The text side of Markdown bodies: HTML escaping, the plain text for search, heading ids
//! (unique in linear time) and internal link targets. Split from `markdown.rs`.

use std::collections::{HashMap, HashSet};

use pulldown_cmark::{Event, HeadingLevel, TagEnd};

/// Escapes text for HTML and XML content and quoted attribute values: `& < > " '`.
///
/// Tera's default also writes every `/` as `&#x2F;`, which no context needs (our attributes are
/// always quoted), made every relative URL on a page three times as long (`..&#x2F;..&#x2F;`)
/// and the site some 5% larger; the five characters here are what Jinja and Django escape.
pub(crate) fn escape_html(input: &str) -> String {
    let special = |b: &u8| matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'');
    let Some(first) = input.bytes().position(|b| special(&b)) else {
        return input.to_string();
    };
    let mut out = String::with_capacity(input.len() + input.len() / 8 + 8);
    out.push_str(&input[..first]);
    for c in input[first..].chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The plain text of a body's events (see [`Body::text`]).
pub(super) fn plain_text(events: &[(Event<'_>, std::ops::Range<usize>)]) -> String {
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

pub(super) fn heading_level(level: HeadingLevel) -> u8 {
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
pub(super) struct UsedIds {
    ids: HashSet<String>,
    next: HashMap<String, usize>,
}

pub(super) fn unique_id(base: String, used: &mut UsedIds) -> String {
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
