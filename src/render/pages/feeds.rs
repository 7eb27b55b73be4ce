//! The Atom feed (the 50 newest reports) and the sitemap (every page).

use serde::Serialize;

use super::paginate::page_count;
use super::Cx;
use std::hash::Hash;

use crate::model::Site;
use crate::render::job::{job, keyed_job, lazy_job, Job};
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
}

#[derive(Serialize)]
struct SitemapPage {
    urls: Vec<String>,
}

/// The feed and the sitemap.
pub(super) fn jobs(cx: Cx<'_>) -> Vec<Job<'_>> {
    let site = cx.site;
    // The newest reports, as a sort of all of them by date would give them (ties in contents
    // order), without sorting all of them: at 100x the digest that sort was a visible part of
    // each save in `serve`.
    let newer = |&a: &usize, &b: &usize| {
        site.reports[b]
            .meta
            .date
            .cmp(&site.reports[a].meta.date)
            .then(a.cmp(&b))
    };
    let mut newest: Vec<usize> = (0..site.reports.len()).collect();
    if newest.len() > FEED_LENGTH {
        newest.select_nth_unstable_by(FEED_LENGTH, newer);
        newest.truncate(FEED_LENGTH);
    }
    newest.sort_by(newer);
    let updated = newest
        .first()
        .and_then(|&i| site.reports[i].meta.date.clone())
        .unwrap_or_else(|| "1970-01-01".into());
    let feed = FeedPage {
        reports: newest.into_iter().map(|i| cx.full(i)).collect(),
        news: site.news.iter().map(NewsRef::new).collect(),
        updated,
    };
    // Every page's route: its URL is formatted only when the sitemap is rendered, and `serve`
    // keys the sitemap by the routes themselves (an edit rarely adds or removes a page).
    let routes = routes(site);
    let key = cx.key(|h| routes.hash(h));
    let sitemap = move || SitemapPage {
        urls: routes.iter().map(Route::path).collect(),
    };
    vec![
        job(cx.sv, "atom.xml", Route::Feed, "", &feed),
        match key {
            Some(key) => keyed_job(cx.sv, "sitemap.xml", Route::Sitemap, "", key, sitemap),
            None => lazy_job(cx.sv, "sitemap.xml", Route::Sitemap, "", sitemap),
        },
    ]
}

/// Every page the sitemap lists, in its order.
fn routes(site: &Site) -> Vec<Route<'_>> {
    let mut routes: Vec<Route<'_>> = vec![Route::Home];
    routes.extend(site.reports.iter().map(|r| Route::Report(&r.slug)));
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
            routes.extend((1..=pages).map(|n| Route::List(kind, &g.slug, n)));
        }
    }
    routes.extend(site.pages.iter().map(|p| Route::Page(&p.slug)));
    if !site.news.is_empty() {
        routes.push(Route::NewsIndex);
        routes.extend(site.news.iter().map(|n| Route::News(&n.slug)));
    }
    routes.extend([
        Route::Contents,
        Route::Metrics,
        Route::Index(Listing::City),
        Route::Index(Listing::Tactic),
        Route::TacticsMap,
        Route::Print,
        Route::Search,
    ]);
    routes
}
