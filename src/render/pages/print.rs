//! The print edition: the whole digest on one page in printed order, every report an article
//! of its own (rendered in parallel from `print_report.html`), report links made in-document.

use rayon::prelude::*;
use serde::Serialize;
use tera::{Context, Tera};

use super::contents::{listed, Book};
use super::{section_groups, Cx, Groups};
use crate::error::Result;
use crate::load::Placement;
use crate::markdown::InternalLink;
use crate::model::Section;
use crate::render::engine::render_one;
use crate::render::fragments::OWN;
use crate::render::job::{fragment_job, Job};
use crate::render::views::{group_view, GroupView};
use crate::urls::{Listing, Route};

/// A report in the print edition: what the contents list needs, and its article (a marker for
/// its `print_report.html` fragment).
#[derive(Serialize)]
struct PrintReport<'a> {
    slug: &'a str,
    title: &'a str,
    article: String,
}

#[derive(Serialize)]
struct PrintSection<'a> {
    group: GroupView<'a>,
    subgroups: Vec<(String, Vec<PrintReport<'a>>)>,
}

/// A body's internal link in the print edition: a report is an article of the same page (its
/// anchor; the heading a link may name is not unique on this page), a page is a page.
fn print_href(l: &InternalLink) -> String {
    if l.report {
        format!("#report-{}", l.slug)
    } else {
        l.route().url_from(&Route::Print) + &l.fragment
    }
}

pub(super) fn job(cx: Cx<'_>) -> Job<'_> {
    fragment_job(
        cx.sv,
        "print.html",
        Route::Print,
        cx.title("print"),
        move |tera| page(cx, tera),
    )
}

fn page<'a>(cx: Cx<'a>, tera: &Tera) -> Result<(Book<'a, PrintSection<'a>>, Vec<String>)> {
    let site = cx.site;
    let layout: Vec<(&Section, Groups)> = site
        .sections
        .iter()
        .map(|s| {
            let subgroups = if s.by_city.is_empty() {
                vec![(String::new(), s.group.reports.clone())]
            } else {
                section_groups(site, s)
            };
            (s, subgroups)
        })
        .collect();
    let order: Vec<(&str, usize)> = layout
        .iter()
        .flat_map(|(s, groups)| {
            groups
                .iter()
                .flat_map(move |(_, list)| list.iter().map(move |&i| (s.group.name.as_str(), i)))
        })
        .collect();
    let root = Route::Print.root();
    let articles = order
        .par_iter()
        .map(|&(section, i)| {
            let mut c = Context::new();
            c.insert("r", &cx.full(i));
            c.insert("body", &site.reports[i].body.html.resolve(print_href));
            c.insert("section", section);
            c.insert("root", &root);
            render_one(tera, "print_report.html", &c)
        })
        .collect::<Result<Vec<String>>>()?;
    let mut k = 0;
    let sections = layout
        .into_iter()
        .map(|(s, groups)| PrintSection {
            group: group_view(&s.group, Listing::Section),
            subgroups: groups
                .into_iter()
                .map(|(name, list)| {
                    let entries = list
                        .into_iter()
                        .map(|i| {
                            let r = &site.reports[i];
                            k += 1;
                            PrintReport {
                                slug: &r.slug,
                                title: &r.meta.title,
                                article: cx.pages.marks.mark(OWN, k - 1, &articles[k - 1]),
                            }
                        })
                        .collect();
                    (name, entries)
                })
                .collect(),
        })
        .collect();
    let page = Book {
        front: listed(cx, Placement::Front, print_href),
        sections,
        back: listed(cx, Placement::Back, print_href),
    };
    Ok((page, articles))
}

#[cfg(test)]
mod tests {
    #[test]
    fn report_links_become_anchors_and_page_links_stay_relative() {
        let body = crate::markdown::render(
            "[a](@/reports/sandun#x) [b](https://e.org) [c](@/pages/about)",
            1,
        );
        assert_eq!(
            body.html.resolve(super::print_href),
            "<p><a href=\"#report-sandun\">a</a> <a href=\"https://e.org\">b</a> \
             <a href=\"../pages/about/index.html\">c</a></p>\n"
        );
    }
}
