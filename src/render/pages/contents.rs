//! The contents in printed order: front pages, each section's reports (by city where the
//! section is grouped), back pages.

use serde::Serialize;

use super::{grouped, section_groups, Cx};
use crate::load::Placement;
use crate::markdown::InternalLink;
use crate::model::page_listed;
use crate::render::job::{lazy_job, Job};
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

/// The pages listed at `placement`, each body's internal links given by `href`.
pub(super) fn listed<'a>(
    cx: Cx<'a>,
    placement: Placement,
    href: impl Fn(&InternalLink) -> String + Copy,
) -> Vec<PageView<'a>> {
    cx.site
        .pages
        .iter()
        .filter(|p| p.meta.placement == placement && page_listed(p))
        .map(|p| page_view(p, p.body.html.resolve(href)))
        .collect()
}

#[derive(Serialize)]
struct ContentsSection<'a> {
    group: GroupView<'a>,
    reports: Vec<ReportRef<'a>>,
    subgroups: Vec<(String, Vec<ReportRef<'a>>)>,
}

fn on_contents(l: &InternalLink) -> String {
    l.route().url_from(&Route::Contents) + &l.fragment
}

pub(super) fn job(cx: Cx<'_>) -> Job<'_> {
    let site = cx.site;
    let contents = move || Book {
        front: listed(cx, Placement::Front, on_contents),
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
                }
            })
            .collect(),
        back: listed(cx, Placement::Back, on_contents),
    };
    lazy_job(
        cx.sv,
        "contents.html",
        Route::Contents,
        cx.title("contents"),
        contents,
    )
}
