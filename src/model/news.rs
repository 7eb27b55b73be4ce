//! News items: follow-ups from the press, each naming the reports it concerns. Resolved here:
//! the report slugs become indices (an unknown slug is an error with the closest slug), the
//! tactics take the vocabulary's names, and items are ordered newest first, so that a report's
//! follow-ups and the news index both read from the latest down.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;

use super::Report;
use crate::config::SiteConfig;
use crate::error::{suggest, Diagnostic};
use crate::load::{NewsMeta, Sources};
use crate::markdown::{self, Body};

/// One news item.
#[derive(Debug, Clone, Serialize)]
pub struct News {
    /// URL segment under `news/`.
    pub slug: String,
    /// Source file.
    pub path: std::path::PathBuf,
    /// Front matter (tactics resolved to the vocabulary's names).
    #[serde(flatten)]
    pub meta: NewsMeta,
    /// Rendered body.
    pub body: Arc<Body>,
    /// The reports it concerns (indices into the site's reports), in front-matter order.
    pub reports: Vec<usize>,
}

/// The site's news items, newest first (undated last), and each report's follow-ups; errors
/// for report slugs that name no report, warnings for unknown tactics.
pub(super) fn resolve(
    sources: &Sources,
    config: &SiteConfig,
    reports: &mut [Report],
    errors: &mut Vec<Diagnostic>,
    warnings: &mut Vec<Diagnostic>,
) -> Vec<News> {
    let by_slug: HashMap<&str, usize> = reports
        .iter()
        .enumerate()
        .map(|(i, r)| (r.slug.as_str(), i))
        .collect();
    let mut news: Vec<News> = sources
        .news
        .iter()
        .map(|src| {
            let mut indices = Vec::new();
            for slug in &src.meta.reports {
                match by_slug.get(slug.as_str()) {
                    Some(&i) => indices.push(i),
                    None => {
                        let pos = src.position(&format!("reports.{slug}"));
                        let hint = suggest(slug, by_slug.keys().copied())
                            .map(|s| format!("; did you mean `{s}`?"))
                            .unwrap_or_default();
                        errors.push(Diagnostic::error(
                            &src.path,
                            pos.0,
                            pos.1,
                            format!("news item names report `{slug}`, which the site does not have{hint}"),
                        ));
                    }
                }
            }
            let mut meta = src.meta.clone();
            meta.tactics = meta
                .tactics
                .iter()
                .map(|t| config.canonical_tactic(t.trim()).to_string())
                .collect();
            for t in &src.meta.tactics {
                if let Some(message) = config.unknown_tactic(t) {
                    let (l, c) = src.position(&format!("tactics.{}", t.trim()));
                    warnings.push(Diagnostic::warning(&src.path, l, c, message));
                }
            }
            News {
                slug: src.slug.clone(),
                path: src.path.clone(),
                meta,
                body: Arc::new(markdown::render(&src.body, src.body_line)),
                reports: indices,
            }
        })
        .collect();
    // Newest first; a date as a year sorts before the dates within it, which is as precise as
    // the sources are.
    news.sort_by(|a, b| {
        b.meta
            .date
            .cmp(&a.meta.date)
            .then_with(|| a.meta.title.cmp(&b.meta.title))
    });
    for (k, item) in news.iter().enumerate() {
        for &i in &item.reports {
            reports[i].news.push(k);
        }
    }
    news
}
