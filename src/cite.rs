//! Citations of a report in the forms its readers use: GB/T 7714-2015 (the Chinese standard for
//! references) and APA 7 as text, BibTeX and CSL-JSON as files. Entry point: [`Citations::of`].
//!
//! Two works can be cited, and each form gives both where it can:
//! - **the page** the reader read: the digest's text is rewritten from the printed source
//!   (整理改写), so what was read is an online resource, GB/T type `[EB/OL]`, APA "webpage".
//!   Its URL needs the site's `base_url`; without it the URL (and the citation date, which only
//!   an online access path has) is left out rather than invented.
//! - **the printed original**, when `source` names a journal issue (`《浙江工运》2018年第5-6期
//!   第79页`): an article in a journal issue, GB/T `[J]`, APA journal article. A combined issue
//!   (合期) is written `5/6` in GB/T (as journals print 2018(5/6)) and `5–6` in APA.
//!
//! Formatting only: no I/O, no HTML. Text comes back as [`Span`]s so a template escapes every
//! piece and still sets APA's italics; BibTeX fields are escaped here ([`bibtex_escape`]); JSON
//! by serde.

use serde::Serialize;

/// What a citation is made of: a report's front matter and the site's title and URL.
#[derive(Debug, Clone, Copy)]
pub struct Work<'a> {
    /// Citation key (the report's slug: ASCII `[a-z0-9-]`).
    pub key: &'a str,
    /// The report's title.
    pub title: &'a str,
    /// The author, when the byline names one.
    pub author: Option<&'a str>,
    /// The date, `YYYY-MM-DD`.
    pub date: Option<&'a str>,
    /// Where it was printed, as front matter gives it.
    pub source: Option<&'a str>,
    /// The site's title (the website's name in a web citation).
    pub site: &'a str,
    /// The page's absolute URL, when the site has a `base_url`.
    pub url: Option<&'a str>,
}

/// A journal issue parsed from a `source` such as `《浙江工运》2018年第5-6期 第79页`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Journal {
    /// The journal's name, without 《》.
    pub name: String,
    /// Year of the issue.
    pub year: String,
    /// Issue number; a combined issue as `5-6`.
    pub issue: String,
    /// Page or page range, when given.
    pub pages: Option<String>,
}

impl Journal {
    /// Parses `《name》YYYY年第N期` with an optional `第P页` (or `第P-Q页`) after it; `None` for
    /// anything else (a newspaper name, free text), which is then not cited as a journal.
    pub fn parse(source: &str) -> Option<Journal> {
        let s = source.trim();
        let rest = s.strip_prefix('《')?;
        let (name, rest) = rest.split_once('》')?;
        let (year, rest) = rest.trim_start().split_once('年')?;
        let year = year.trim();
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let rest = rest.trim_start().strip_prefix('第')?;
        let (issue, rest) = rest.split_once('期')?;
        let issue = range(issue)?;
        let rest = rest.trim();
        let pages = if rest.is_empty() {
            None
        } else {
            Some(range(rest.strip_prefix('第')?.strip_suffix('页')?)?)
        };
        Some(Journal {
            name: name.trim().to_string(),
            year: year.to_string(),
            issue,
            pages,
        })
    }
}

/// `5`, `5-6` or `5—6` (any dash) as `5-6`; `None` unless digits around at most one dash.
fn range(s: &str) -> Option<String> {
    let s = s.trim();
    let mut parts = s.split(['-', '–', '—', '－', '~', '～']);
    let a = parts.next()?.trim();
    let b = parts.next().map(str::trim);
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|c| c.is_ascii_digit());
    if parts.next().is_some() || !digits(a) || !b.is_none_or(digits) {
        return None;
    }
    Some(match b {
        Some(b) => format!("{a}-{b}"),
        None => a.to_string(),
    })
}

/// A piece of citation text; a template escapes it and sets it in italics or as the date the
/// reader cites it (filled in by the browser, which knows today's date).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Span {
    /// The text.
    pub text: String,
    /// `text`, `italic`, or `accessed` (the citation date's placeholder).
    pub kind: &'static str,
}

fn text(s: impl Into<String>) -> Span {
    Span {
        text: s.into(),
        kind: "text",
    }
}

fn italic(s: impl Into<String>) -> Span {
    Span {
        text: s.into(),
        kind: "italic",
    }
}

/// The placeholder a page shows for the citation date until its script fills in today's.
pub const ACCESSED_PLACEHOLDER: &str = "引用日期";

/// One citation in one style.
#[derive(Debug, Clone, Serialize)]
pub struct Formatted {
    /// The style's name as readers know it.
    pub style: &'static str,
    /// What is cited: `page` or `original`.
    pub of: &'static str,
    /// The text in pieces.
    pub spans: Vec<Span>,
}

impl Formatted {
    /// The plain text, with `accessed` as the citation date.
    pub fn plain(&self, accessed: &str) -> String {
        self.spans
            .iter()
            .map(|s| {
                if s.kind == "accessed" {
                    accessed
                } else {
                    s.text.as_str()
                }
            })
            .collect()
    }
}

/// Every citation of one work.
#[derive(Debug, Clone, Serialize)]
pub struct Citations {
    /// GB/T 7714-2015 and APA 7 of the page, then of the printed original when there is one.
    pub forms: Vec<Formatted>,
    /// Whether the page's URL is known (else the page says why it has none).
    pub has_url: bool,
}

impl Citations {
    /// The citations of `w`.
    pub fn of(w: &Work<'_>) -> Citations {
        let mut forms = vec![
            Formatted {
                style: "GB/T 7714-2015",
                of: "page",
                spans: gbt_page(w),
            },
            Formatted {
                style: "APA 7",
                of: "page",
                spans: apa_page(w),
            },
        ];
        if let Some(j) = w.source.and_then(Journal::parse) {
            forms.push(Formatted {
                style: "GB/T 7714-2015",
                of: "original",
                spans: gbt_journal(w, &j),
            });
            forms.push(Formatted {
                style: "APA 7",
                of: "original",
                spans: apa_journal(w, &j),
            });
        }
        Citations {
            forms,
            has_url: w.url.is_some(),
        }
    }
}

/// `作者. 题名[EB/OL]. 网站名, (YYYY-MM-DD)[引用日期]. URL.` (GB/T 7714-2015 §4.8: the
/// update date in parentheses, the citation date in brackets, both only for what has them).
pub fn gbt_page(w: &Work<'_>) -> Vec<Span> {
    let mut out = String::new();
    if let Some(a) = w.author {
        out.push_str(&format!("{a}. "));
    }
    out.push_str(&format!("{}[EB/OL]. {}", w.title, w.site));
    if let Some(d) = w.date {
        out.push_str(&format!(", ({d})"));
    }
    let mut spans = vec![];
    match w.url {
        Some(url) => {
            out.push('[');
            spans.push(text(out));
            spans.push(Span {
                text: ACCESSED_PLACEHOLDER.into(),
                kind: "accessed",
            });
            spans.push(text(format!("]. {url}.")));
        }
        None => {
            out.push('.');
            spans.push(text(out));
        }
    }
    spans
}

/// `作者. 题名[J]. 刊名, 年(期): 页码.` (GB/T 7714-2015 §4.4; no volume: the digest's journal
/// numbers issues within a year).
pub fn gbt_journal(w: &Work<'_>, j: &Journal) -> Vec<Span> {
    let mut out = String::new();
    if let Some(a) = w.author {
        out.push_str(&format!("{a}. "));
    }
    out.push_str(&format!(
        "{}[J]. {}, {}({})",
        w.title,
        j.name,
        j.year,
        j.issue.replace('-', "/")
    ));
    if let Some(p) = &j.pages {
        out.push_str(&format!(": {p}"));
    }
    out.push('.');
    vec![text(out)]
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// APA's date of a web page: `(2018, December 10)`, `(2018)` or `(n.d.)`.
fn apa_date(date: Option<&str>) -> String {
    let Some(d) = date else {
        return "(n.d.)".into();
    };
    let mut parts = d.splitn(3, '-');
    let (y, m, day) = (parts.next(), parts.next(), parts.next());
    let month = m
        .and_then(|m| m.parse::<usize>().ok())
        .and_then(|m| MONTHS.get(m.wrapping_sub(1)));
    match (y, month, day.and_then(|d| d.parse::<u32>().ok())) {
        (Some(y), Some(m), Some(day)) => format!("({y}, {m} {day})"),
        (Some(y), Some(m), None) => format!("({y}, {m})"),
        (Some(y), _, _) if !y.is_empty() => format!("({y})"),
        _ => "(n.d.)".into(),
    }
}

/// APA 7 web page: `Author. (2018, December 10). *Title*. Site. URL`; without an author the
/// title takes its place (APA 7 §9.12), still in italics.
pub fn apa_page(w: &Work<'_>) -> Vec<Span> {
    let date = apa_date(w.date);
    let mut spans = match w.author {
        Some(a) => vec![text(format!("{a}. {date}. ")), italic(w.title), text(". ")],
        None => vec![italic(w.title), text(format!(". {date}. "))],
    };
    match w.url {
        Some(url) => spans.push(text(format!("{}. {url}", w.site))),
        None => spans.push(text(format!("{}.", w.site))),
    }
    spans
}

/// APA 7 journal article: `Author. (2018). Title. *Journal*, (5–6), 79.` An issue without a
/// volume stands in parentheses, not in italics.
pub fn apa_journal(w: &Work<'_>, j: &Journal) -> Vec<Span> {
    let issue = j.issue.replace('-', "–");
    let mut spans = match w.author {
        Some(a) => vec![text(format!("{a}. ({}). {}. ", j.year, w.title))],
        None => vec![text(format!("{}. ({}). ", w.title, j.year))],
    };
    spans.push(italic(&j.name));
    let mut tail = format!(", ({issue})");
    if let Some(p) = &j.pages {
        tail.push_str(&format!(", {}", p.replace('-', "–")));
    }
    tail.push('.');
    spans.push(text(tail));
    spans
}

/// Escapes BibTeX's special characters `{ } \ % & $ # _ ^ ~` so a field holds them as text.
pub fn bibtex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\textbackslash{}"),
            '{' | '}' | '%' | '&' | '$' | '#' | '_' => {
                out.push('\\');
                out.push(c);
            }
            '^' => out.push_str("\\^{}"),
            '~' => out.push_str("\\~{}"),
            _ => out.push(c),
        }
    }
    out
}

/// A URL inside a BibTeX field: biblatex reads `url` verbatim, so only what would unbalance the
/// braces or end the field is percent-encoded.
fn bibtex_url(url: &str) -> String {
    url.replace('%', "%25")
        .replace('{', "%7B")
        .replace('}', "%7D")
        .replace('\\', "%5C")
        .replace(' ', "%20")
}

fn bib_entry(kind: &str, key: &str, fields: &[(&str, String)]) -> String {
    let mut out = format!("@{kind}{{{key},\n");
    for (name, value) in fields {
        out.push_str(&format!("  {name} = {{{value}}},\n"));
    }
    out.push_str("}\n");
    out
}

/// The BibTeX (biblatex) entries of `w`: `@online{key}` for the page, and `@article{key-source}`
/// for the printed original when `source` names a journal issue.
pub fn bibtex(w: &Work<'_>) -> String {
    let mut page: Vec<(&str, String)> = Vec::new();
    if let Some(a) = w.author {
        page.push(("author", bibtex_escape(a)));
    }
    page.push(("title", bibtex_escape(w.title)));
    page.push(("organization", bibtex_escape(w.site)));
    if let Some(d) = w.date {
        page.push(("date", bibtex_escape(d)));
    }
    if let Some(u) = w.url {
        page.push(("url", bibtex_url(u)));
    }
    if let Some(s) = w.source {
        page.push(("note", bibtex_escape(&format!("据{s}整理"))));
    }
    let mut out = bib_entry("online", w.key, &page);
    if let Some(j) = w.source.and_then(Journal::parse) {
        let mut art: Vec<(&str, String)> = Vec::new();
        if let Some(a) = w.author {
            art.push(("author", bibtex_escape(a)));
        }
        art.push(("title", bibtex_escape(w.title)));
        art.push(("journal", bibtex_escape(&j.name)));
        art.push(("year", j.year.clone()));
        art.push(("number", j.issue.clone()));
        if let Some(p) = &j.pages {
            art.push(("pages", p.replace('-', "--")));
        }
        out.push('\n');
        out.push_str(&bib_entry("article", &format!("{}-source", w.key), &art));
    }
    out
}

/// One CSL-JSON item (the citation format of Zotero, Mendeley and pandoc).
#[derive(Debug, Serialize)]
pub struct CslItem<'a> {
    /// Item id (the citation key).
    pub id: String,
    /// CSL type: `webpage` or `article-journal`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Title.
    pub title: &'a str,
    /// Authors, as literal names (a Chinese name is not split into given and family here).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub author: Vec<CslName<'a>>,
    /// The website's or the journal's name.
    #[serde(rename = "container-title")]
    pub container_title: String,
    /// Date of publication.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued: Option<CslDate>,
    /// Issue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issue: Option<String>,
    /// Pages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    /// The page's URL.
    #[serde(rename = "URL", skip_serializing_if = "Option::is_none")]
    pub url: Option<&'a str>,
    /// Where the rewritten text comes from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A CSL name given as written.
#[derive(Debug, Serialize)]
pub struct CslName<'a> {
    /// The name.
    pub literal: &'a str,
}

/// A CSL date: `{"date-parts": [[2018, 12, 10]]}`.
#[derive(Debug, Serialize)]
pub struct CslDate {
    /// Year, month, day (as many as known).
    #[serde(rename = "date-parts")]
    pub date_parts: Vec<Vec<u32>>,
}

fn csl_date(s: &str) -> Option<CslDate> {
    let parts: Vec<u32> = s
        .split('-')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    (!parts.is_empty() && parts.len() <= 3).then(|| CslDate {
        date_parts: vec![parts],
    })
}

/// The CSL-JSON items of `w` (the page, and the printed original where there is one).
pub fn csl_items<'a>(w: &Work<'a>) -> Vec<CslItem<'a>> {
    let author: Vec<CslName<'a>> = w
        .author
        .map(|a| CslName { literal: a })
        .into_iter()
        .collect();
    let mut items = vec![CslItem {
        id: w.key.to_string(),
        kind: "webpage",
        title: w.title,
        author,
        container_title: w.site.to_string(),
        issued: w.date.and_then(csl_date),
        issue: None,
        page: None,
        url: w.url,
        note: w.source.map(|s| format!("据{s}整理")),
    }];
    if let Some(j) = w.source.and_then(Journal::parse) {
        items.push(CslItem {
            id: format!("{}-source", w.key),
            kind: "article-journal",
            title: w.title,
            author: w
                .author
                .map(|a| CslName { literal: a })
                .into_iter()
                .collect(),
            container_title: j.name.clone(),
            issued: csl_date(&j.year),
            issue: Some(j.issue.clone()),
            page: j.pages.clone(),
            url: None,
            note: None,
        });
    }
    items
}

/// The CSL-JSON file of `w` (its items, on one line: reference managers read it alike, and
/// every report page carries it, base64-encoded; indented it was 40% longer, 60 MB of the
/// pages at 1000x the digest).
pub fn csl_json(w: &Work<'_>) -> String {
    // Strings, numbers and lists of structs with string keys: serializing cannot fail.
    serde_json::to_string(&csl_items(w)).unwrap_or_else(|_| "[]".into())
}

/// `text` as a `data:` URL of type `mime` (UTF-8, base64): a download link that needs no file
/// of its own, works from disk and costs no request. Base64 has no character that HTML, a URL
/// or an attribute would need escaped.
pub fn data_url(mime: &str, text: &str) -> String {
    use base64::Engine as _;
    let mut url = format!("data:{mime};charset=utf-8;base64,");
    base64::engine::general_purpose::STANDARD.encode_string(text, &mut url);
    url
}

#[cfg(test)]
mod tests;
