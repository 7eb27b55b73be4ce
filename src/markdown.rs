//! Markdown to [`Body`]: HTML, plain text for search, headings with stable ids, and links.
//!
//! Entry point: [`render`]. Bodies are parsed once (by `model`); pages and the search index both
//! read the resulting [`Body`], or, in a build of a large site that keeps bodies lean
//! ([`Body::lean`]), parse it again from its file where they need its HTML or text
//! ([`Body::whole`]).

use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};
use serde::Serialize;

use crate::error::line_col;
use crate::media::{ImageInfo, Media};
use crate::urls::Route;

#[path = "markdown_lean.rs"]
mod lean;
#[path = "markdown_text.rs"]
mod text;
pub use lean::Origin;
pub(crate) use text::escape_html;
pub use text::{heading_id, internal_target};
use text::{heading_level, plain_text, unique_id, UsedIds};

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
    /// Links in order, with positions in the source file (links to files of the page's bundle
    /// are in [`Body::assets`] instead).
    pub links: Vec<Link>,
    /// Files of the page's bundle that the body shows or links to, in order, with positions;
    /// relative images of a page that is not a bundle too (they have nothing to point at).
    pub assets: Vec<AssetRef>,
    /// A hash of the Markdown and its first line: equal digests, equal bodies. Incremental
    /// rendering compares this instead of the HTML.
    pub digest: u64,
    /// The number of characters of [`Body::text`], also when a lean body does not hold it.
    pub text_chars: usize,
    /// Where a lean body's HTML and text are (see [`Body::lean`]); `None` when it holds them.
    #[serde(skip)]
    pub origin: Option<Box<Origin>>,
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

/// A bundle file that a body uses: `![照片](photo.jpg)` or `[附件](table.pdf)`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AssetRef {
    /// The file's name in the bundle, `/`-separated, percent-escapes decoded.
    pub name: String,
    /// Whether it is shown as an image (else linked).
    pub image: bool,
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
    /// The href of a link to a bundle file: its path in the site, and the `?query#fragment`
    /// as written (already escaped for the attribute).
    File(String, String),
    /// An image of the bundle, written when the page is: its size and variants are known only
    /// after the image stage (see [`crate::media`]).
    Image(ImagePart),
}

/// An image of a page bundle in a body.
#[derive(Debug, Clone, Serialize)]
struct ImagePart {
    /// Its path in the site (`reports/<slug>/photo.jpg`).
    path: String,
    /// Alternative text.
    alt: String,
    /// The title as written (`![alt](x.jpg "caption")`): the figure's caption.
    caption: String,
    /// Alone in its paragraph: a `<figure>`, else an inline `<picture>`.
    block: bool,
}

/// How bundle files resolve on a page: the way up to the site root, and the processed images.
struct AssetsOn<'a> {
    root: String,
    media: &'a Media,
    print: bool,
}

/// Characters escaped in a bundle file's URL: what is not safe in a path segment or in a quoted
/// attribute (non-ASCII is always escaped).
const PATH_SET: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'&')
    .add(b'\'')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// A site path (`reports/a/照片 1.jpg`) escaped for a URL and a quoted attribute.
pub fn url_path(path: &str) -> String {
    percent_encoding::utf8_percent_encode(path, PATH_SET).collect()
}

impl AssetsOn<'_> {
    /// The URL of site file `path` from the page: relative, escaped for a URL and an attribute.
    fn url(&self, path: &str) -> String {
        self.root.clone() + &url_path(path)
    }

    fn image(&self, part: &ImagePart, out: &mut String) {
        let alt = escape_html(&part.alt);
        let picture = match self.media.get(&part.path) {
            Some(info) => self.picture(info, &alt),
            // Not a processed image (an SVG, a GIF, or `check`, which processes none).
            None => format!(
                "<img src=\"{}\" alt=\"{alt}\" loading=\"lazy\" decoding=\"async\">",
                self.url(&part.path)
            ),
        };
        let caption = escape_html(&part.caption);
        if part.block {
            out.push_str("<figure class=\"photo\">");
            out.push_str(&picture);
            if !caption.is_empty() {
                out.push_str("<figcaption>");
                out.push_str(&caption);
                out.push_str("</figcaption>");
            }
            out.push_str("</figure>\n");
        } else {
            out.push_str(&picture);
        }
    }

    /// `<picture>`: WebP variants by width, the JPEG (PNG) fallback for the rest, its size
    /// given so the page does not move as it loads.
    fn picture(&self, info: &ImageInfo, alt: &str) -> String {
        let srcset: Vec<String> = info
            .variants
            .iter()
            .map(|v| format!("{} {}w", self.url(&v.path), v.width))
            .collect();
        // A report's text column is 42rem at most (`--measure`); the print edition is printed
        // on paper, where every image is loaded before the page is laid out, so it does not
        // wait for the reader to scroll.
        let loading = if self.print { "eager" } else { "lazy" };
        format!(
            "<picture><source type=\"image/webp\" srcset=\"{}\" sizes=\"(max-width: 44rem) 100vw, 42rem\">\
             <img src=\"{}\" alt=\"{alt}\" width=\"{}\" height=\"{}\" loading=\"{loading}\" \
             decoding=\"async\"></picture>",
            srcset.join(", "),
            self.url(&info.fallback),
            info.width,
            info.height
        )
    }
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
    /// The HTML as it appears on page `from`: internal links and bundle files relative to it,
    /// images as `media` has them.
    pub fn for_page(&self, from: &Route<'_>, media: &Media) -> String {
        let assets = AssetsOn {
            root: from.root(),
            media,
            print: false,
        };
        self.resolve(|l| l.route().url_from(from) + &l.fragment, &assets)
    }

    /// The HTML as it appears on a print page `on`, where every report is an article of the
    /// same page: a report link is its anchor (the heading a link may name is not unique on
    /// that page), a page link is relative to `on`.
    ///
    /// In a volume of a large site a linked report may stand in another volume: the anchor then
    /// leads nowhere on paper either way, and the report's own page is a click away from it.
    /// Bundle files and images resolve from `on` as on any page.
    pub fn for_print(&self, on: &Route<'_>, media: &Media) -> String {
        let assets = AssetsOn {
            root: on.root(),
            media,
            print: true,
        };
        let href = |l: &InternalLink| {
            if l.report {
                format!("#report-{}", l.slug)
            } else {
                l.route().url_from(on) + &l.fragment
            }
        };
        self.resolve(href, &assets)
    }

    /// The HTML with each internal link's href given by `href` (already escaped for an
    /// attribute: slugs and fragments are), bundle files and images as `assets` says.
    fn resolve(&self, href: impl Fn(&InternalLink) -> String, assets: &AssetsOn<'_>) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                HtmlPart::Raw(s) => out.push_str(s),
                HtmlPart::Link(l) => out.push_str(&href(l)),
                HtmlPart::File(path, suffix) => {
                    out.push_str(&assets.url(path));
                    out.push_str(suffix);
                }
                HtmlPart::Image(image) => assets.image(image, &mut out),
            }
        }
        out
    }

    /// The site paths of the bundle images it shows, in order.
    pub fn images(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            HtmlPart::Image(i) => Some(i.path.as_str()),
            _ => None,
        })
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

/// Splits pulldown-cmark's HTML at the sentinels of internal links into parts; a sentinel
/// followed by `~<n>~` stands for part `n` of `assets` (bundle files and images).
fn split_links(html: String, assets: &[HtmlPart]) -> Html {
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
        if let Some(tail) = after.strip_prefix('~') {
            let end = tail.find('~').unwrap_or(tail.len());
            if let Some(part) = tail[..end]
                .parse::<usize>()
                .ok()
                .and_then(|n| assets.get(n))
            {
                parts.push(part.clone());
            }
            rest = tail.get(end + 1..).unwrap_or("");
            continue;
        }
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

/// Renders `source` (a body that starts on file line `first_line`) of a page that is not a
/// bundle.
pub fn render(source: &str, first_line: usize) -> Body {
    render_in(source, first_line, None)
}

/// Renders `source` (a body that starts on file line `first_line`); `bundle` is the site folder
/// of the page when it is a page bundle (`reports/<slug>/`): relative links and images are then
/// its files, published there.
pub fn render_in(source: &str, first_line: usize, bundle: Option<&str>) -> Body {
    parse(source, first_line, bundle, true)
}

/// [`render_in`]; without `html`, the body stops at its text (headings, links and digest made,
/// no HTML, no bundle files): what the index needs of a lean body.
fn parse(source: &str, first_line: usize, bundle: Option<&str>, html: bool) -> Body {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_SMART_PUNCTUATION;
    let mut events: Vec<(Event<'_>, std::ops::Range<usize>)> = Parser::new_ext(source, options)
        .into_offset_iter()
        .collect();

    let mut body = Body {
        digest: crate::fingerprint::of(&(source, first_line)),
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
                let (line, col) = line_col(source, events[i].1.start);
                let line = line + first_line - 1;
                if let Some(name) = bundle.and(bundle_name(dest_url)) {
                    body.assets.push(AssetRef {
                        name: name.0,
                        image: false,
                        line,
                        col,
                    });
                } else if !matches!(link_type, LinkType::Email) {
                    body.links.push(Link {
                        dest: dest_url.to_string(),
                        line,
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
    body.text_chars = body.text.chars().count();
    if !html {
        return body;
    }
    let mut assets = Vec::new();
    let events = bundle_files(events, source, first_line, bundle, &mut body, &mut assets);
    // Links were noted in the first pass, images in the second.
    body.assets.sort_by_key(|a| (a.line, a.col));
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    body.html = split_links(html, &assets);
    body
}

/// The file of the page's bundle that `dest` names, with its `?query#fragment` (as written),
/// or `None` for anything else: another page (`@/`, `.md`, `.html`), a fragment, a link with a
/// scheme or from the server root, a path that leaves the bundle.
fn bundle_name(dest: &str) -> Option<(String, String)> {
    let dest = dest.trim();
    if dest.is_empty() || dest.starts_with(['/', '#', '?', '@']) || has_scheme(dest) {
        return None;
    }
    let cut = dest.find(['?', '#']).unwrap_or(dest.len());
    let (path, suffix) = dest.split_at(cut);
    let name = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .ok()?
        .into_owned();
    let leaves = name
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..");
    if leaves || name.ends_with(".md") || name.ends_with(".html") || name.contains('\\') {
        return None;
    }
    Some((name, suffix.to_string()))
}

/// `https:`, `mailto:`, `tel:`...: letters, digits, `+`, `-`, `.` before a `:` that comes
/// before any `/`, `?` or `#`.
pub(crate) fn has_scheme(dest: &str) -> bool {
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

/// The events with a bundle's images and file links replaced by sentinels for parts of
/// `assets` (see [`split_links`]); an image alone in its paragraph becomes a figure in place of
/// the paragraph. Relative images of a page that is not a bundle are noted in
/// [`Body::assets`] (they cannot be published) and left as they are.
fn bundle_files<'e>(
    events: Vec<(Event<'e>, std::ops::Range<usize>)>,
    source: &str,
    first_line: usize,
    bundle: Option<&str>,
    body: &mut Body,
    assets: &mut Vec<HtmlPart>,
) -> Vec<Event<'e>> {
    let sentinel = link_sentinel();
    let mut out = Vec::with_capacity(events.len());
    let mut i = 0;
    while i < events.len() {
        let (event, range) = &events[i];
        match event {
            // Internal links carry their sentinel already (see `render_in`).
            Event::Start(Tag::Link { dest_url, .. })
                if bundle.is_some() && !dest_url.starts_with(sentinel) =>
            {
                if let Some((name, suffix)) = bundle_name(dest_url) {
                    let path = format!("{}{name}", bundle.unwrap_or_default());
                    let suffix = escape_html(&suffix);
                    let marked = format!("{sentinel}~{}~", assets.len());
                    assets.push(HtmlPart::File(path, suffix));
                    if let Event::Start(Tag::Link {
                        link_type,
                        title,
                        id,
                        ..
                    }) = event.clone()
                    {
                        out.push(Event::Start(Tag::Link {
                            link_type,
                            dest_url: CowStr::from(marked),
                            title,
                            id,
                        }));
                        i += 1;
                        continue;
                    }
                }
                out.push(event.clone());
            }
            Event::Start(Tag::Image {
                dest_url, title, ..
            }) => {
                let Some((name, _)) = bundle_name(dest_url) else {
                    out.push(event.clone());
                    i += 1;
                    continue;
                };
                let (line, col) = line_col(source, range.start);
                body.assets.push(AssetRef {
                    name: name.clone(),
                    image: true,
                    line: line + first_line - 1,
                    col,
                });
                let Some(folder) = bundle else {
                    out.push(event.clone());
                    i += 1;
                    continue;
                };
                let mut end = i + 1;
                let mut alt = String::new();
                while end < events.len() && !matches!(events[end].0, Event::End(TagEnd::Image)) {
                    if let Event::Text(t) | Event::Code(t) = &events[end].0 {
                        alt.push_str(t);
                    }
                    end += 1;
                }
                // Alone in its paragraph: the paragraph becomes the figure (a `<figure>` may
                // not stand inside a `<p>`).
                let block = matches!(out.last(), Some(Event::Start(Tag::Paragraph)))
                    && matches!(
                        events.get(end + 1),
                        Some((Event::End(TagEnd::Paragraph), _))
                    );
                if block {
                    out.pop();
                }
                let marked = format!("{sentinel}~{}~", assets.len());
                assets.push(HtmlPart::Image(ImagePart {
                    path: format!("{folder}{name}"),
                    alt,
                    caption: title.to_string(),
                    block,
                }));
                out.push(Event::InlineHtml(CowStr::from(marked)));
                i = if block { end + 2 } else { end + 1 };
                continue;
            }
            _ => out.push(event.clone()),
        }
        i += 1;
    }
    out
}

#[cfg(test)]
#[path = "markdown_tests.rs"]
mod tests;
