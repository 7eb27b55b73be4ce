//! The Atom feed (the 50 newest reports) and the sitemap (every page).

use serde::Serialize;

use super::paginate::page_count;
use super::Cx;
use crate::render::job::{job, Job};
use crate::render::views::{NewsRef, ReportView};
use crate::urls::{Listing, Route};

/// Reports in the feed, newest first.
const FEED_LENGTH: usize = 50;

#[derive(Serialize)]
struct FeedPage<'a> {
    reports: Vec<ReportView<'a>>,
    /// News items, newest first (the feed has them all: a site has few).
    news: Vec<NewsRef<'a>>,
    updated: String,
    urls: Vec<String>,
}

pub(super) fn jobs(cx: Cx<'_>) -> Vec<Job<'_>> {
    let site = cx.site;
    let mut urls: Vec<String> = vec![Route::Home.path()];
    urls.extend(site.reports.iter().map(|r| Route::Report(&r.slug).path()));
    let per = site.config.paginate_by;
    let listings = [
        (
            Listing::City,
            site.cities.iter().map(|c| &c.group).collect::<Vec<_>>(),
        ),
        (Listing::Tactic, site.tactics.iter().collect()),
        (
            Listing::Section,
            site.sections.iter().map(|s| &s.group).collect(),
        ),
    ];
    // A site whose reports name no section has no section pages (see `Site::sectioned`).
    let listings = listings
        .into_iter()
        .filter(|(kind, _)| *kind != Listing::Section || site.sectioned());
    for (kind, groups) in listings {
        for g in groups {
            let pages = page_count(g.reports.len(), per);
            urls.extend((1..=pages).map(|n| Route::List(kind, &g.slug, n).path()));
        }
    }
    urls.extend(site.pages.iter().map(|p| Route::Page(&p.slug).path()));
    if !site.news.is_empty() {
        urls.push(Route::NewsIndex.path());
        urls.extend(site.news.iter().map(|n| Route::News(&n.slug).path()));
    }
    for route in [
        Route::Contents,
        Route::Metrics,
        Route::Index(Listing::City),
        Route::Index(Listing::Tactic),
        Route::TacticsMap,
        Route::Print,
        Route::Search,
    ] {
        urls.push(route.path());
    }
    let mut newest: Vec<usize> = (0..site.reports.len()).collect();
    newest.sort_by(|&a, &b| {
        site.reports[b]
            .meta
            .date
            .cmp(&site.reports[a].meta.date)
            .then(a.cmp(&b))
    });
    let updated = newest
        .first()
        .and_then(|&i| site.reports[i].meta.date.clone())
        .unwrap_or_else(|| "1970-01-01".into());
    let feed = FeedPage {
        reports: newest
            .into_iter()
            .take(FEED_LENGTH)
            .map(|i| cx.full(i))
            .collect(),
        news: site.news.iter().map(NewsRef::new).collect(),
        updated,
        urls,
    };
    vec![
        job(cx.sv, "atom.xml", Route::Feed, "", &feed),
        job(cx.sv, "sitemap.xml", Route::Sitemap, "", &feed),
    ]
}
