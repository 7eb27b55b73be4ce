//! Listings: the index of every city, tactic and section, and one page per group listing its
//! reports (grouped by county on a city page, by city on tactic and grouped section pages).

use serde::Serialize;

use super::{grouped, section_groups, Cx, Groups};
use crate::model::{Group, Site};
use crate::render::charts::{self, ChartView};
use crate::render::job::{lazy_job, Job};
use crate::render::views::{group_view, GroupView, ReportRef};
use crate::urls::{Listing, Route};

#[derive(Serialize)]
struct IndexPage<'a> {
    groups: Vec<GroupView<'a>>,
    /// The largest group's count (bar lengths); 0 where the index draws none.
    max: usize,
}

/// A list of reports: `subgroups` when the list is grouped (counties on a city page, cities on a
/// tactic page and on a grouped section's page), else `reports`. Only one of them is filled: at
/// scale a second copy of every listing was a large share of the page's cost.
#[derive(Serialize)]
struct ListPage<'a> {
    group: GroupView<'a>,
    reports: Vec<ReportRef<'a>>,
    /// (heading, reports) sub-groups.
    subgroups: Vec<(String, Vec<ReportRef<'a>>)>,
    charts: Vec<ChartView>,
}

/// The templates and title key of a kind's index and group pages.
fn templates(kind: Listing) -> (&'static str, &'static str, &'static str) {
    match kind {
        Listing::City => ("cities.html", "city.html", "cities"),
        Listing::Tactic => ("tactics.html", "tactic.html", "tactics"),
        Listing::Section => ("sections.html", "section.html", "sections"),
    }
}

/// The groups of a kind, in the site's order.
fn groups(site: &Site, kind: Listing) -> Vec<&Group> {
    match kind {
        Listing::City => site.cities.iter().map(|c| &c.group).collect(),
        Listing::Tactic => site.tactics.iter().collect(),
        Listing::Section => site.sections.iter().map(|s| &s.group).collect(),
    }
}

/// A kind's index page, then one page per group.
pub(super) fn jobs(cx: Cx<'_>, kind: Listing) -> Vec<Job<'_>> {
    let site = cx.site;
    let (index_template, template, title) = templates(kind);
    let all = groups(site, kind);
    // The sections index draws no bars.
    let max = match kind {
        Listing::Section => 0,
        _ => all.iter().map(|g| g.reports.len()).max().unwrap_or(0),
    };
    let index = {
        let all = all.clone();
        move || IndexPage {
            groups: all.iter().map(|g| group_view(g, kind)).collect(),
            max,
        }
    };
    let mut jobs = vec![lazy_job(
        cx.sv,
        index_template,
        Route::Index(kind),
        cx.title(title),
        index,
    )];
    let city_of = city_of(site);
    for (gi, g) in all.into_iter().enumerate() {
        let subgroups = subgroups(site, kind, gi, &city_of);
        let page = move || {
            let (reports, subgroups) = grouped(&g.reports, subgroups, |i| cx.entry(i));
            ListPage {
                group: group_view(g, kind),
                reports,
                subgroups,
                charts: match kind {
                    Listing::City => charts::city_charts(site, &site.cities[gi]),
                    _ => Vec::new(),
                },
            }
        };
        let route = Route::list(kind, &g.slug);
        jobs.push(lazy_job(cx.sv, template, route, &g.name, page));
    }
    jobs
}

/// The city of every report, by index.
fn city_of(site: &Site) -> Vec<usize> {
    let mut city_of = vec![0; site.reports.len()];
    for (ci, c) in site.cities.iter().enumerate() {
        for &i in &c.group.reports {
            city_of[i] = ci;
        }
    }
    city_of
}

/// How group `gi` of a kind is split on its page: a city by county, a tactic by city (in the
/// configured order: in contents order a city's reports are split across sections, and the
/// tactics map links to one `#city-<slug>` list per city), a section by city if configured.
fn subgroups(site: &Site, kind: Listing, gi: usize, city_of: &[usize]) -> Groups {
    match kind {
        Listing::City => site.cities[gi].counties.clone(),
        Listing::Section => section_groups(site, &site.sections[gi]),
        Listing::Tactic => {
            let mut by_city = vec![Vec::new(); site.cities.len()];
            for &i in &site.tactics[gi].reports {
                by_city[city_of[i]].push(i);
            }
            site.cities
                .iter()
                .zip(by_city)
                .filter(|(_, list)| !list.is_empty())
                .map(|(c, list)| (c.group.name.clone(), list))
                .collect()
        }
    }
}
