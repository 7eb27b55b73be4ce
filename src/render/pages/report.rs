//! A report's page: its view, body with a table of contents when long, neighbours within its
//! city, and related reports with the tactics they share.

use serde::Serialize;

use super::Cx;
use crate::render::job::{keyed_job, lazy_job, Job};
use crate::render::views::{cite_view, BodyRef, CiteView, NewsRef, ReportRef, ReportView, Share};
use crate::urls::Route;

/// A body this long (in characters) or with this many headings gets a table of contents.
const TOC_MIN_CHARS: usize = 1500;
const TOC_MIN_HEADINGS: usize = 3;

#[derive(Serialize)]
struct TocEntry<'a> {
    level: u8,
    id: &'a str,
    text: &'a str,
}

#[derive(Serialize)]
struct RelatedView<'a> {
    report: ReportRef<'a>,
    shared: &'a [std::sync::Arc<str>],
}

#[derive(Serialize)]
struct ReportPage<'a> {
    share: Share<'a>,
    report: ReportView<'a>,
    body: BodyRef<'a>,
    toc: Vec<TocEntry<'a>>,
    prev: Option<ReportRef<'a>>,
    next: Option<ReportRef<'a>>,
    related: Vec<RelatedView<'a>>,
    /// News items about the report, newest first.
    news: Vec<NewsRef<'a>>,
    /// GB/T 7714 and APA citations, links to the BibTeX and CSL-JSON files.
    cite: CiteView,
}

/// The key of report `i`'s page (see `job::keyed_job`) from fingerprints of what it shows:
/// the report's view, its body's digest and the site's images, what it shows of its neighbours and related reports
/// (their names) and the tactics it shares with each. `None` where fingerprints are not kept (a plain build).
fn page_key(cx: Cx<'_>, i: usize) -> Option<u64> {
    use std::hash::{Hash, Hasher};
    let r = &cx.site.reports[i];
    let mut h = crate::fingerprint::hasher();
    cx.fingerprint(i)?.hash(&mut h);
    // The body's photos are written at their sizes: the site's images are part of the page
    // (a photo replaced at the same path changes nothing else).
    (r.body.digest, cx.site.media.key()).hash(&mut h);
    // Neighbours and related reports are only named (`Cx::named`).
    for j in [r.prev, r.next] {
        j.map(|j| cx.named_key(j)).hash(&mut h);
    }
    for rel in r.related.iter() {
        cx.named_key(rel.index).hash(&mut h);
        rel.shared.hash(&mut h);
    }
    for &k in &r.news {
        let n = &cx.site.news[k];
        (
            &n.slug,
            &n.meta.title,
            &n.meta.date,
            &n.meta.source,
            &n.meta.summary,
        )
            .hash(&mut h);
    }
    Some(h.finish())
}

/// Every report's page, made in parallel: its key hashes what it shows of a dozen reports.
pub(super) fn jobs(cx: Cx<'_>) -> Vec<Job<'_>> {
    use rayon::prelude::*;
    cx.site
        .reports
        .par_iter()
        .enumerate()
        .map(|(i, r)| {
            let route = Route::Report(&r.slug);
            let page = move || {
                let long =
                    r.body.headings.len() >= TOC_MIN_HEADINGS || r.body.text_chars > TOC_MIN_CHARS;
                let report = cx.full(i);
                ReportPage {
                    share: Share {
                        kind: "article",
                        description: r.meta.summary.as_deref(),
                        image: report.image.clone(),
                    },
                    report,
                    body: BodyRef {
                        body: &r.body,
                        on: Route::Report(&r.slug),
                        print: false,
                        media: &cx.site.media,
                    },
                    toc: if long {
                        r.body
                            .headings
                            .iter()
                            .filter(|h| h.level <= 3)
                            .map(|h| TocEntry {
                                level: h.level,
                                id: &h.id,
                                text: &h.text,
                            })
                            .collect()
                    } else {
                        Vec::new()
                    },
                    prev: r.prev.map(|j| cx.named(j)),
                    next: r.next.map(|j| cx.named(j)),
                    related: r
                        .related
                        .iter()
                        .map(|rel| RelatedView {
                            report: cx.named(rel.index),
                            shared: &rel.shared,
                        })
                        .collect(),
                    news: r
                        .news
                        .iter()
                        .map(|&k| NewsRef::new(&cx.site.news[k]))
                        .collect(),
                    cite: cite_view(cx.site, r),
                }
            };
            match page_key(cx, i) {
                Some(key) => keyed_job(cx.sv, "report.html", route, &r.meta.title, key, page),
                None => lazy_job(cx.sv, "report.html", route, &r.meta.title, page),
            }
        })
        .collect()
}
