//! Listings: the index of every city, tactic and section, and each group's listing of its
//! reports (by county on a city page, by city on tactic and grouped section pages), split into
//! pages of `paginate_by` entries (see [`paginate`]).

use serde::Serialize;

use super::paginate::{self, Paginator, Slice};
use super::{section_groups, Cx, Groups};
use crate::model::{Group, Site};
use crate::render::charts::{self, ChartView};
use crate::render::job::{key_of, keyed_job, lazy_job, Job};
use crate::render::tilemap::{self, TileMapView};
use crate::render::views::{group_view, GroupView, ReportRef};
use crate::urls::{Listing, Route};

#[derive(Serialize)]
struct IndexPage<'a> {
    groups: Vec<GroupView<'a>>,
    /// The largest group's count (bar lengths); 0 where the index draws none.
    max: usize,
    /// The cities' tile map, on the index of cities.
    #[serde(skip_serializing_if = "Option::is_none")]
    tilemap: Option<TileMapView>,
}

/// One page of a list of reports: `subgroups` when the list is grouped (counties on a city
/// page, cities on a tactic page and on a grouped section's page), else `reports`. Only one of
/// them is filled: at scale a second copy of every listing was a large share of the page's cost.
#[derive(Serialize)]
struct ListPage<'a> {
    group: GroupView<'a>,
    reports: Vec<ReportRef<'a>>,
    subgroups: Vec<Subgroup<'a>>,
    /// Every subgroup of the whole listing, with a link to where it starts (on this page or
    /// another): the tactic page's "by city" line.
    jump: Vec<Jump>,
    /// Charts (a city's first page).
    charts: Vec<ChartView<'a>>,
    /// The way around a listing of several pages; absent when it has one.
    paginator: Option<Paginator>,
}

/// A subgroup's share of a listing page.
#[derive(Serialize)]
struct Subgroup<'a> {
    name: String,
    /// The anchor of the subgroup (`city-<slug>` on tactic pages), empty elsewhere.
    id: String,
    reports: Vec<ReportRef<'a>>,
    /// Entries of the whole subgroup (on every page).
    count: usize,
    /// Whether the subgroup began on an earlier page.
    continued: bool,
}

#[derive(Serialize)]
struct Jump {
    name: String,
    /// Relative to the page: `#city-x` on it, or the other page's URL with the anchor.
    href: String,
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

/// The longest listing of the site (whether any listing needs more than one page).
pub(super) fn longest(site: &Site) -> usize {
    [Listing::City, Listing::Tactic, Listing::Section]
        .into_iter()
        .flat_map(|k| groups(site, k))
        .map(|g| g.reports.len())
        .max()
        .unwrap_or(0)
}

/// A kind's index page, then every page of every group's listing.
pub(super) fn jobs(cx: Cx<'_>, kind: Listing) -> Vec<Job<'_>> {
    let site = cx.site;
    let (index_template, _, title) = templates(kind);
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
            tilemap: match kind {
                Listing::City => tilemap::tile_map(site),
                _ => None,
            },
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
        jobs.extend(listing(
            cx,
            kind,
            gi,
            g,
            subgroups(site, kind, gi, &city_of),
        ));
    }
    jobs
}

/// Every page of one group's listing.
fn listing<'a>(
    cx: Cx<'a>,
    kind: Listing,
    gi: usize,
    g: &'a Group,
    subgroups: Groups,
) -> Vec<Job<'a>> {
    let (_, template, _) = templates(kind);
    let grouped = !subgroups.is_empty();
    let subgroups = if grouped {
        subgroups
    } else {
        vec![(String::new(), g.reports.clone())]
    };
    let sizes: Vec<usize> = subgroups.iter().map(|(_, l)| l.len()).collect();
    let pages = paginate::split(&sizes, cx.site.config.paginate_by);
    let total = pages.len();
    let keys = listing_keys(cx, kind, g, &subgroups, &pages);
    let subgroups = std::sync::Arc::new(subgroups);
    let pages = std::sync::Arc::new(pages);
    (1..=total)
        .map(|n| {
            let (subgroups, pages) = (subgroups.clone(), pages.clone());
            let page = move || {
                let slice = &pages[n - 1];
                let here = Route::List(kind, &g.slug, n);
                let jump = if kind == Listing::Tactic {
                    jumps(cx, &subgroups, &pages, &here, g)
                } else {
                    Vec::new()
                };
                let (reports, subgroups) = entries(cx, kind, &subgroups, slice, grouped, n > 1);
                ListPage {
                    group: group_view(g, kind),
                    reports,
                    subgroups,
                    jump,
                    charts: match kind {
                        Listing::City if n == 1 => {
                            charts::city_charts(cx.site, &cx.site.cities[gi])
                        }
                        _ => Vec::new(),
                    },
                    paginator: (total > 1)
                        .then(|| Paginator::new(n, total, |k| Route::List(kind, &g.slug, k))),
                }
            };
            let route = Route::List(kind, &g.slug, n);
            match keys.as_ref().map(|keys| keys[n - 1]) {
                Some(key) => keyed_job(cx.sv, template, route, &g.name, key, page),
                None => lazy_job(cx.sv, template, route, &g.name, page),
            }
        })
        .collect()
}

/// The key of each page of a listing (see `job::keyed_job`), `None` on a plain build. A page
/// is made of the group, the listing's shape (every subgroup's name, size and anchor: its
/// headings, the jump line, the paginator), the entries on it (their reports' fingerprints) and,
/// on a city's first page, the charts of all its reports and the metric registry. Keying the
/// page by its own entries, not the whole listing's, is what keeps an edit to one report from
/// rendering every page of each of its tactics again (issue 12).
fn listing_keys(
    cx: Cx<'_>,
    kind: Listing,
    g: &Group,
    subgroups: &Groups,
    pages: &[Slice],
) -> Option<Vec<u64>> {
    use std::hash::{Hash, Hasher};
    let shape: Vec<(&str, usize, String)> = subgroups
        .iter()
        .map(|(name, list)| (name.as_str(), list.len(), anchor(cx.site, kind, list)))
        .collect();
    let per = cx.site.config.paginate_by;
    let shape = key_of("listing", &(kind.folder(), g, per, shape));
    let charted = |n: usize| kind == Listing::City && n == 1;
    let all: Option<Vec<u64>> = g.reports.iter().map(|&i| cx.fingerprint(i)).collect();
    let all = all?;
    let charts = key_of("charts", &(&all, &cx.site.metrics));
    pages
        .iter()
        .enumerate()
        .map(|(k, slice)| {
            let mut h = crate::fingerprint::hasher();
            (shape, k + 1).hash(&mut h);
            for (gi, range) in slice {
                for &i in &subgroups[*gi].1[range.clone()] {
                    cx.fingerprint(i)?.hash(&mut h);
                }
            }
            if charted(k + 1) {
                charts.hash(&mut h);
            }
            Some(h.finish())
        })
        .collect()
}

/// The entries of one page: as subgroups when the listing is grouped, else as one list.
fn entries<'a>(
    cx: Cx<'a>,
    kind: Listing,
    subgroups: &Groups,
    slice: &Slice,
    grouped: bool,
    deep: bool,
) -> (Vec<ReportRef<'a>>, Vec<Subgroup<'a>>) {
    let view = |list: &[usize]| list.iter().map(|&i| cx.entry(i, deep)).collect::<Vec<_>>();
    if !grouped {
        let reports = slice
            .iter()
            .flat_map(|(g, r)| view(&subgroups[*g].1[r.clone()]))
            .collect();
        return (reports, Vec::new());
    }
    let subgroups = slice
        .iter()
        .map(|(g, r)| {
            let (name, list) = &subgroups[*g];
            Subgroup {
                name: name.clone(),
                id: anchor(cx.site, kind, list),
                reports: view(&list[r.clone()]),
                count: list.len(),
                continued: r.start > 0,
            }
        })
        .collect();
    (Vec::new(), subgroups)
}

/// `city-<slug>` for a tactic page's city group (the tactics map links there), else empty.
fn anchor(site: &Site, kind: Listing, list: &[usize]) -> String {
    match (kind, list.first()) {
        (Listing::Tactic, Some(&i)) => format!("city-{}", site.reports[i].city_slug),
        _ => String::new(),
    }
}

/// Links to where each subgroup starts, relative to page `here`.
fn jumps(
    cx: Cx<'_>,
    subgroups: &Groups,
    pages: &[Slice],
    here: &Route<'_>,
    g: &Group,
) -> Vec<Jump> {
    subgroups
        .iter()
        .enumerate()
        .map(|(k, (name, list))| {
            let page = paginate::page_of(pages, k, 0);
            let id = anchor(cx.site, Listing::Tactic, list);
            let there = Route::List(Listing::Tactic, &g.slug, page);
            let href = if there == *here {
                format!("#{id}")
            } else {
                format!("{}#{id}", there.url_from(here))
            };
            Jump {
                name: name.clone(),
                href,
            }
        })
        .collect()
}

/// For each tactic (in the site's order), the page of its listing on which each city's group
/// starts, by city index (the tactics map links there).
pub(super) fn tactic_city_pages(site: &Site) -> Vec<Vec<usize>> {
    let city_of = city_of(site);
    let city_index: std::collections::HashMap<&str, usize> = site
        .cities
        .iter()
        .enumerate()
        .map(|(ci, c)| (c.group.name.as_str(), ci))
        .collect();
    (0..site.tactics.len())
        .map(|t| {
            let groups = subgroups(site, Listing::Tactic, t, &city_of);
            let sizes: Vec<usize> = groups.iter().map(|(_, l)| l.len()).collect();
            let pages = paginate::split(&sizes, site.config.paginate_by);
            let mut by_city = vec![1; site.cities.len()];
            for (k, (name, _)) in groups.iter().enumerate() {
                by_city[city_index[name.as_str()]] = paginate::page_of(&pages, k, 0);
            }
            by_city
        })
        .collect()
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
