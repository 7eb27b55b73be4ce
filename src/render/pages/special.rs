//! Pages with little data of their own: the content pages (foreword, about...), the search page
//! and the page a host serves for a missing path.

use serde::Serialize;

use super::{Cx, Empty};
use crate::render::job::{lazy_job, Job};
use crate::render::views::{page_view, url_path, PageView, Share};
use crate::urls::Route;

#[derive(Serialize)]
struct PagePage<'a> {
    share: Share<'a>,
    page: PageView<'a>,
}

/// One page per content page.
pub(super) fn content_pages(cx: Cx<'_>) -> Vec<Job<'_>> {
    cx.site
        .pages
        .iter()
        .map(|p| {
            let route = Route::Page(&p.slug);
            let page = move || PagePage {
                share: Share {
                    kind: "article",
                    description: p.meta.summary.as_deref(),
                    image: cx
                        .site
                        .media
                        .first(p.body.html.images())
                        .map(|i| url_path(&i.fallback)),
                },
                page: page_view(
                    p,
                    p.body.html.for_page(&Route::Page(&p.slug), &cx.site.media),
                ),
            };
            lazy_job(cx.sv, "page.html", route, &p.meta.title, page)
        })
        .collect()
}

/// The search page and the 404 page.
pub(super) fn jobs(cx: Cx<'_>) -> Vec<Job<'_>> {
    vec![
        lazy_job(
            cx.sv,
            "search.html",
            Route::Search,
            cx.title("search"),
            || Empty {},
        ),
        lazy_job(
            cx.sv,
            "404.html",
            Route::NotFound,
            cx.title("not_found"),
            || Empty {},
        ),
    ]
}
