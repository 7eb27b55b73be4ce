//! News items: an index of them, newest first, and one page per item with the reports it
//! concerns. (Each report's page lists its own follow-ups: see `report.rs`.)

use serde::Serialize;

use super::Cx;
use crate::model::News;
use crate::render::job::{lazy_job, Job};
use crate::render::views::{BodyRef, Link, NewsRef, ReportRef};
use crate::urls::{Listing, Route};

#[derive(Serialize)]
struct NewsIndex<'a> {
    news: Vec<NewsRef<'a>>,
}

#[derive(Serialize)]
struct NewsPage<'a> {
    news: NewsRef<'a>,
    body: BodyRef<'a>,
    tactics: Vec<Link<'a>>,
    reports: Vec<ReportRef<'a>>,
}

/// The news index and one page per item; nothing when the site has no news.
pub(super) fn jobs(cx: Cx<'_>) -> Vec<Job<'_>> {
    let site = cx.site;
    if site.news.is_empty() {
        return Vec::new();
    }
    let index = move || NewsIndex {
        news: site.news.iter().map(NewsRef::new).collect(),
    };
    let mut jobs = vec![lazy_job(
        cx.sv,
        "news_index.html",
        Route::NewsIndex,
        cx.title("news"),
        index,
    )];
    jobs.extend(site.news.iter().map(|n| item(cx, n)));
    jobs
}

fn item<'a>(cx: Cx<'a>, n: &'a News) -> Job<'a> {
    let page = move || NewsPage {
        news: NewsRef::new(n),
        body: BodyRef {
            body: &n.body,
            on: Route::News(&n.slug),
            print: false,
            media: &cx.site.media,
        },
        tactics: n
            .meta
            .tactics
            .iter()
            .map(|t| {
                let slug = cx
                    .site
                    .tactics
                    .iter()
                    .find(|g| &g.name == t)
                    .map(|g| g.slug.as_str());
                Link {
                    name: t,
                    url: slug.map_or_else(String::new, |s| Route::list(Listing::Tactic, s).path()),
                    count: None,
                }
            })
            .collect(),
        reports: n.reports.iter().map(|&i| cx.named(i)).collect(),
    };
    lazy_job(
        cx.sv,
        "news.html",
        Route::News(&n.slug),
        &n.meta.title,
        page,
    )
}
