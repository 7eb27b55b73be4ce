//! The contents in printed order: front pages, each section's reports (by city where the
//! section is grouped), back pages. A large site's contents is an overview of its parts (a
//! section, or a section's city), each part a paginated list of its own.

use serde::Serialize;

use super::book::{shares, Share};
use super::paginate::{page_count, Paginator};
use super::{grouped, section_groups, Cx};
use crate::load::Placement;
use crate::markdown::Html;
use crate::model::page_listed;
use std::hash::Hash;

use crate::render::job::{keyed_job, lazy_job, Job};
use crate::render::views::{group_view, page_view, GroupView, PageView, ReportRef};
use crate::urls::{Listing, Route};

/// The digest in printed order: front pages, the sections, back pages. The contents page and
/// the print edition differ only in what a section holds.
#[derive(Serialize)]
pub(super) struct Book<'a, S> {
    pub(super) front: Vec<PageView<'a>>,
    pub(super) sections: Vec<S>,
    pub(super) back: Vec<PageView<'a>>,
}

/// The pages listed at `placement`, each body's HTML resolved by `html`.
pub(super) fn listed<'a>(
    cx: Cx<'a>,
    placement: Placement,
    html: impl Fn(&Html) -> String,
) -> Vec<PageView<'a>> {
    cx.site
        .pages
        .iter()
        .filter(|p| p.meta.placement == placement && page_listed(p))
        .map(|p| page_view(p, html(&p.body.html)))
        .collect()
}

#[derive(Serialize)]
struct ContentsSection<'a> {
    group: GroupView<'a>,
    reports: Vec<ReportRef<'a>>,
    subgroups: Vec<(String, Vec<ReportRef<'a>>)>,
    /// On a large site: the section's parts (the section itself, or its cities).
    parts: Vec<PartLink>,
}

/// A part of a large site's contents, as the overview links it.
#[derive(Serialize)]
struct PartLink {
    name: String,
    url: String,
    count: usize,
}

/// One page of a part of a large site's contents.
#[derive(Serialize)]
struct PartPage<'a> {
    section: GroupView<'a>,
    /// The city, in a section listed by city.
    city: Option<&'a str>,
    reports: Vec<ReportRef<'a>>,
    paginator: Option<Paginator>,
}

fn on_contents(cx: Cx<'_>) -> impl Fn(&Html) -> String + '_ {
    move |html| html.for_page(&Route::Contents, &cx.site.media)
}

/// The contents: one page while the site is small, else an overview and its parts.
pub(super) fn jobs(cx: Cx<'_>) -> Vec<Job<'_>> {
    let per = cx.site.config.limits.contents_page.max(1);
    if cx.site.reports.len() <= per {
        return vec![whole(cx)];
    }
    let mut jobs = vec![overview(cx)];
    for share in shares(cx) {
        jobs.extend(part_pages(cx, share, per));
    }
    jobs
}

/// Every report on one page.
fn whole(cx: Cx<'_>) -> Job<'_> {
    let site = cx.site;
    let contents = move || Book {
        front: listed(cx, Placement::Front, on_contents(cx)),
        sections: site
            .sections
            .iter()
            .map(|s| {
                let (reports, subgroups) =
                    grouped(&s.group.reports, section_groups(site, s), |i| cx.named(i));
                ContentsSection {
                    group: group_view(&s.group, Listing::Section),
                    reports,
                    subgroups,
                    parts: Vec::new(),
                }
            })
            .collect(),
        back: listed(cx, Placement::Back, on_contents(cx)),
    };
    lazy_job(
        cx.sv,
        "contents.html",
        Route::Contents,
        cx.title("contents"),
        contents,
    )
}

/// The overview of a large site's contents: front pages, each section's parts, back pages.
fn overview(cx: Cx<'_>) -> Job<'_> {
    let site = cx.site;
    let contents = move || {
        let shares = shares(cx);
        Book {
            front: listed(cx, Placement::Front, on_contents(cx)),
            sections: site
                .sections
                .iter()
                .map(|s| ContentsSection {
                    group: group_view(&s.group, Listing::Section),
                    reports: Vec::new(),
                    subgroups: Vec::new(),
                    parts: shares
                        .iter()
                        .filter(|sh| std::ptr::eq(sh.section, s))
                        .map(|sh| PartLink {
                            name: sh.city.map_or_else(|| s.group.name.clone(), |c| c.0.into()),
                            url: Route::ContentsPart(sh.part(), 1).path(),
                            count: sh.reports.len(),
                        })
                        .collect(),
                })
                .collect(),
            back: listed(cx, Placement::Back, on_contents(cx)),
        }
    };
    lazy_job(
        cx.sv,
        "contents.html",
        Route::Contents,
        cx.title("contents"),
        contents,
    )
}

/// The pages of one part of a large site's contents.
fn part_pages<'a>(cx: Cx<'a>, share: Share<'a>, per: usize) -> Vec<Job<'a>> {
    let total = page_count(share.reports.len(), per);
    let share = std::sync::Arc::new(share);
    (1..=total)
        .map(|n| {
            let share = share.clone();
            let route = Route::ContentsPart(share.part(), n);
            let key = part_key(cx, &share, n, total, per);
            let page = move || {
                let chunk = share.reports.chunks(per).nth(n - 1).unwrap_or(&[]);
                PartPage {
                    section: group_view(&share.section.group, Listing::Section),
                    city: share.city.map(|c| c.0),
                    reports: chunk.iter().map(|&i| cx.named(i)).collect(),
                    paginator: (total > 1).then(|| {
                        Paginator::new(n, total, |k| Route::ContentsPart(share.part(), k))
                    }),
                }
            };
            let title = cx.title("contents");
            match key {
                Some(key) => keyed_job(cx.sv, "contents_part.html", route, title, key, page),
                None => lazy_job(cx.sv, "contents_part.html", route, title, page),
            }
        })
        .collect()
}

/// The key of page `n` of a contents part (see `job::keyed_job`): the section and city it
/// names, its place among the part's pages and the reports it names (hashing them, not
/// serializing the page, is what keeps 13 parts of a thousand reports off serve's rebuild).
fn part_key(cx: Cx<'_>, share: &Share<'_>, n: usize, total: usize, per: usize) -> Option<u64> {
    cx.key(|h| {
        let g = &share.section.group;
        (&g.name, &g.slug, &g.description, g.reports.len()).hash(h);
        (share.city, n, total, per).hash(h);
        for &i in share.reports.chunks(per).nth(n - 1).unwrap_or(&[]) {
            cx.named_key(i).hash(h);
        }
    })
}
