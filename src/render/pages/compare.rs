//! Compare side by side: the page `compare/` (which reports: its query, `?r=slug1,slug2`), and
//! one small data file per report, `data/compare/<slug>.js`, that the page loads for the reports
//! chosen, and only those (the site may hold 100,000 reports).
//!
//! A data file is a script calling `__casebook_compare(slug, data)`: pages opened from disk
//! cannot fetch JSON in Chromium, but can load scripts (the search index does the same). Its data
//! is made from the report's view alone, so `serve` keys it by the report's fingerprint and an
//! unchanged report's file costs a lookup.

use rayon::prelude::*;
use serde::Serialize;

use super::{Cx, Fragments};
use crate::error::{Error, Result};
use crate::model::Site;
use crate::render::fragments::Emit;
use crate::render::job::{lazy_job, Job};
use crate::render::views::{Link, ReportView};
use crate::urls::Route;

/// Reports the page shows at most (the toggles stop there).
const MOST: usize = 4;
/// A summary line longer than this is cut (in characters).
const LINE: usize = 90;

#[derive(Serialize)]
struct ComparePage {
    /// Where a report's data file is, root-relative, with `{slug}` for the slug.
    data_pattern: String,
    most: usize,
    /// The metric registry in display order, as a script's JSON (escaped for a `<script>`).
    registry: String,
}

#[derive(Serialize)]
struct RegistryEntry<'a> {
    key: &'a str,
    label: &'a str,
    unit: &'a str,
}

/// The compare page.
pub(super) fn job(cx: Cx<'_>) -> Job<'_> {
    let site = cx.site;
    lazy_job(
        cx.sv,
        "compare.html",
        Route::Compare,
        cx.title("compare"),
        move || {
            let registry: Vec<RegistryEntry<'_>> = site
                .metrics
                .iter()
                .map(|m| RegistryEntry {
                    key: &m.key,
                    label: &m.label,
                    unit: &m.unit,
                })
                .collect();
            ComparePage {
                data_pattern: Route::CompareData("{slug}").path(),
                most: MOST,
                registry: script_json(&registry).unwrap_or_else(|_| "[]".into()),
            }
        },
    )
}

/// What the compare page shows of one report.
#[derive(Serialize)]
struct CompareData<'a> {
    slug: &'a str,
    /// Root-relative, as every URL here.
    url: String,
    title: &'a str,
    town: &'a str,
    county: Option<&'a str>,
    city: Link<'a>,
    level: Option<&'a str>,
    section: Option<Link<'a>>,
    /// The summary's first sentence.
    line: Option<String>,
    tactics: Vec<Link<'a>>,
    metrics: Vec<Figure<'a>>,
}

#[derive(Serialize)]
struct Figure<'a> {
    key: &'a str,
    label: &'a str,
    unit: &'a str,
    value: Option<f64>,
    display: String,
}

impl<'a> CompareData<'a> {
    fn new(v: ReportView<'a>) -> Self {
        CompareData {
            slug: v.name.slug,
            url: v.name.url,
            title: v.name.title,
            town: v.name.town,
            county: v.name.county,
            city: v.name.city,
            level: v.level,
            section: v.section,
            line: v.summary.map(first_sentence),
            tactics: v.tactics,
            metrics: v
                .metrics
                .into_iter()
                .map(|m| Figure {
                    key: m.key,
                    label: m.label,
                    unit: m.unit,
                    value: m.value,
                    display: m.display,
                })
                .collect(),
        }
    }
}

/// Every report's data file, made in parallel and handed to `emit` as it is made; with
/// `serve`'s cache, an unchanged report's file is taken from the last rebuild.
pub(crate) fn data_files(site: &Site, fragments: &Fragments<'_>, emit: &Emit<'_>) -> Result<()> {
    (0..site.reports.len()).into_par_iter().try_for_each(|i| {
        let r = &site.reports[i];
        let text = fragments.cached("compare-data", fragments.fingerprint(i), || {
            data_script(&r.slug, &CompareData::new(ReportView::new(site, r)))
        })?;
        emit(Route::CompareData(&r.slug).path(), text)
    })
}

/// `__casebook_compare("slug",{...});`
fn data_script<T: Serialize>(slug: &str, data: &T) -> Result<String> {
    Ok(format!(
        "__casebook_compare({},{});\n",
        script_json(&slug)?,
        script_json(data)?
    ))
}

/// JSON that is safe inside a `<script>` element and in a script file: `<`, `>` and `&` (which
/// could close the element or open a comment) and U+2028/U+2029 (line ends to older JavaScript)
/// are written as `\u` escapes, which only ever occur inside JSON strings.
pub(crate) fn script_json<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    let json = serde_json::to_string(value).map_err(|e| Error::Export {
        what: "compare data",
        message: e.to_string(),
    })?;
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            _ => out.push(c),
        }
    }
    Ok(out)
}

/// The first sentence of a summary (up to 。！？ or a line end), cut at [`LINE`] characters.
fn first_sentence(summary: &str) -> String {
    let summary = summary.trim();
    let end = summary
        .char_indices()
        .find(|(_, c)| matches!(c, '。' | '！' | '？' | '\n'))
        .map_or(
            summary.len(),
            |(i, c)| {
                if c == '\n' {
                    i
                } else {
                    i + c.len_utf8()
                }
            },
        );
    let line = summary[..end].trim();
    if line.chars().count() > LINE {
        let cut: String = line.chars().take(LINE - 1).collect();
        format!("{cut}…")
    } else {
        line.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_the_script_or_break_a_line() {
        let s = script_json(&"</script><!-- a&b \u{2028}\u{2029}").unwrap();
        assert!(
            !s.contains('<') && !s.contains('>') && !s.contains('&'),
            "{s}"
        );
        assert!(!s.contains('\u{2028}') && !s.contains('\u{2029}'), "{s}");
        let back: String = serde_json::from_str(&s).unwrap();
        assert_eq!(back, "</script><!-- a&b \u{2028}\u{2029}");
    }

    #[test]
    fn first_sentence_of_a_summary() {
        assert_eq!(first_sentence("甲。乙。"), "甲。");
        assert_eq!(first_sentence("  没有句号 "), "没有句号");
        assert_eq!(first_sentence("一行\n二行"), "一行");
        let long = "长".repeat(200);
        let line = first_sentence(&long);
        assert_eq!(line.chars().count(), LINE);
        assert!(line.ends_with('…'));
    }
}
