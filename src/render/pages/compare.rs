//! Compare side by side: the page `compare/` (which reports: its query, `?r=slug1,slug2`), and
//! small data files, `data/compare/<bucket>.js`, each holding the reports whose slug hashes to
//! its bucket (`urls::compare_bucket`, 8-16 reports), that the page loads for the reports chosen,
//! and only those (the site may hold 100,000 reports).
//!
//! A data file is a script calling `__casebook_compare(slug, data)` once per report: pages opened
//! from disk cannot fetch JSON in Chromium, but can load scripts (the search index does the
//! same). A report's data is made from its view alone, so `serve` keys a file by its reports'
//! fingerprints and an unchanged file costs a lookup.

use rayon::prelude::*;
use serde::Serialize;

use super::{Cx, Fragments};
use crate::error::{Error, Result};
use crate::model::Site;
use crate::render::fragments::Emit;
use crate::render::job::{lazy_job, Job};
use crate::render::views::{Link, ReportView};
use crate::urls::{compare_bucket, compare_buckets, Route};

/// Reports the page shows at most (the toggles stop there).
const MOST: usize = 4;
/// A summary line longer than this is cut (in characters).
const LINE: usize = 90;

#[derive(Serialize)]
struct ComparePage {
    /// Where a bucket's data file is, root-relative, with `{bucket}` for its number.
    data_pattern: String,
    /// How many buckets (`urls::compare_buckets`).
    buckets: u32,
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
                data_pattern: Route::CompareData("{bucket}").path(),
                buckets: compare_buckets(site.reports.len()),
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

/// Every bucket's data file, made in parallel and handed to `emit` as it is made; with `serve`'s
/// cache, a file whose reports' fingerprints are unchanged is taken from the last rebuild.
pub(crate) fn data_files(site: &Site, fragments: &Fragments<'_>, emit: &Emit<'_>) -> Result<()> {
    let buckets = compare_buckets(site.reports.len());
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); buckets as usize];
    for (i, r) in site.reports.iter().enumerate() {
        members[compare_bucket(&r.slug, buckets) as usize].push(i);
    }
    members
        .into_par_iter()
        .enumerate()
        .filter(|(_, m)| !m.is_empty())
        .try_for_each(|(b, m)| {
            // The key stands for every report in the file, in its order.
            let key: Option<Vec<(&str, u64)>> = m
                .iter()
                .map(|&i| Some((site.reports[i].slug.as_str(), fragments.fingerprint(i)?)))
                .collect();
            let text = fragments.cached("compare-data", key, || {
                let mut text = String::new();
                for &i in &m {
                    let r = &site.reports[i];
                    text.push_str(&data_script(
                        &r.slug,
                        &CompareData::new(ReportView::new(site, r)),
                    )?);
                }
                Ok(text)
            })?;
            emit(Route::CompareData(&b.to_string()).path(), text)
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
