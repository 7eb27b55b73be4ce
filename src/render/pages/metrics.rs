//! The metrics page: every report against every metric (rows rendered from `metrics_row.html`
//! in parallel), per-city aggregates and build-time charts. Past `limits.metrics_table` the
//! page keeps the aggregates and charts and links one table per city (`metrics/<city>/`),
//! paginated, instead of holding every report's row.

use std::hash::Hash;

use rayon::prelude::*;
use serde::Serialize;

use super::paginate::{page_count, Paginator};
use super::Cx;
use crate::error::Result;
use crate::model::{City, Site};
use crate::render::charts::{self, ChartView};
use crate::render::fragments::{Text, OWN};
use crate::render::job::{fragment_job, key_of, keyed_fragment_job, Job};
use crate::render::views::{fmt_num, Link, ReportRef};
use crate::urls::{Listing, Route};

#[derive(Serialize)]
struct MetricColumn<'a> {
    key: &'a str,
    label: &'a str,
    unit: &'a str,
    aggregate: &'a str,
    /// Its group's name (see [`groups`]).
    group: &'a str,
    /// Reports on the site that give it.
    reported: usize,
}

/// A run of consecutive columns of one group: a header cell over them.
#[derive(Serialize)]
struct GroupSpan<'a> {
    name: &'a str,
    span: usize,
}

/// The header row over the columns: each run of one group, when the registry groups any
/// metric; none when it groups none (a row of one "其他" would say nothing).
fn groups<'a>(columns: &[MetricColumn<'a>], ungrouped: &'a str) -> Vec<GroupSpan<'a>> {
    if columns.iter().all(|c| c.group.is_empty()) {
        return Vec::new();
    }
    let mut spans: Vec<GroupSpan<'a>> = Vec::new();
    for c in columns {
        let name = if c.group.is_empty() {
            ungrouped
        } else {
            c.group
        };
        match spans.last_mut() {
            Some(g) if g.name == name => g.span += 1,
            _ => spans.push(GroupSpan { name, span: 1 }),
        }
    }
    spans
}

/// A city's aggregate of one metric, with how many of its reports it covers.
#[derive(Serialize)]
struct AggregateCell {
    value: Option<f64>,
    display: String,
    reported: usize,
    of: usize,
    /// `14 个试点中 3 个报告`.
    covers: String,
}

/// The context of `metrics_row.html`.
#[derive(Serialize)]
struct MetricRow<'a> {
    r: ReportRef<'a>,
    cells: Vec<(Option<f64>, String)>,
    root: String,
}

#[derive(Serialize)]
struct CityAggregateRow<'a> {
    city: Link<'a>,
    cells: Vec<AggregateCell>,
}

#[derive(Serialize)]
struct MetricsPage<'a> {
    columns: Vec<MetricColumn<'a>>,
    groups: Vec<GroupSpan<'a>>,
    /// Reports on the site.
    total: usize,
    /// One marker per report, for its `metrics_row.html` fragment (empty on a large site).
    rows: Vec<String>,
    cities: Vec<CityAggregateRow<'a>>,
    charts: Vec<ChartView<'a>>,
    /// On a large site: each city's table.
    tables: Vec<Link<'a>>,
}

/// One page of a city's table on a large site.
#[derive(Serialize)]
struct CityTable<'a> {
    city: Link<'a>,
    columns: Vec<MetricColumn<'a>>,
    groups: Vec<GroupSpan<'a>>,
    rows: Vec<String>,
    paginator: Option<Paginator>,
}

/// The metrics page, and on a large site every city's table.
pub(super) fn jobs(cx: Cx<'_>) -> Vec<Job<'_>> {
    let per = cx.site.config.limits.metrics_table.max(1);
    let large = cx.site.reports.len() > per;
    let mut jobs = vec![fragment_job(
        cx.sv,
        "metrics.html",
        Route::Metrics,
        cx.title("metrics"),
        move || page(cx, large),
    )];
    if large {
        // The columns every table shows: the registry, and how many reports of the site give
        // each metric. Hashed once for all the tables' keys.
        let columns = cx.key(|h| {
            let reported: Vec<&[usize]> = cx.site.cities.iter().map(|c| &c.reported[..]).collect();
            key_of("metrics-columns", &(&cx.site.metrics, reported)).hash(h);
        });
        for c in &cx.site.cities {
            let total = page_count(c.group.reports.len(), per);
            for n in 1..=total {
                jobs.push(city_table(cx, c, (n, total, per), columns));
            }
        }
    }
    jobs
}

fn columns(site: &Site) -> Vec<MetricColumn<'_>> {
    site.metrics
        .iter()
        .enumerate()
        .map(|(mi, m)| MetricColumn {
            key: &m.key,
            label: &m.label,
            unit: &m.unit,
            aggregate: site.strings.get(m.aggregate.key()),
            group: m.group.as_deref().unwrap_or_default(),
            reported: site.cities.iter().map(|c| c.reported[mi]).sum(),
        })
        .collect()
}

/// Rows of `reports` for a page at `on`, rendered from `metrics_row.html` in parallel.
fn rows(cx: Cx<'_>, reports: &[usize], on: &Route<'_>) -> Result<Vec<Text>> {
    let site = cx.site;
    let root = on.root();
    // A row's cells follow the site's columns: a new column changes every row.
    let columns: Vec<&str> = site.metrics.iter().map(|m| m.key.as_str()).collect();
    reports
        .par_iter()
        .map(|&i| {
            let r = &site.reports[i];
            let key = cx.fingerprint(i).map(|f| (f, &root, &columns));
            cx.pages
                .fragments
                .render_with("metrics_row.html", key, || MetricRow {
                    r: cx.named(i),
                    cells: site
                        .metrics
                        .iter()
                        .map(|m| cell(site.metric(r, &m.key)))
                        .collect(),
                    root: root.clone(),
                })
        })
        .collect()
}

/// Page `n` of `total` of city `c`'s table, `per` rows a page; `columns_key` keys its columns.
fn city_table<'a>(
    cx: Cx<'a>,
    c: &'a City,
    (n, total, per): (usize, usize, usize),
    columns_key: Option<u64>,
) -> Job<'a> {
    let route = Route::MetricsCity(&c.group.slug, n);
    let build = move || -> Result<(CityTable<'a>, Vec<Text>)> {
        let here = Route::MetricsCity(&c.group.slug, n);
        let chunk = c.group.reports.chunks(per).nth(n - 1).unwrap_or(&[]);
        let html = rows(cx, chunk, &here)?;
        let columns = columns(cx.site);
        let page = CityTable {
            city: city_link(c),
            groups: groups(&columns, cx.site.strings.get("group.other")),
            columns,
            rows: marks(cx, &html),
            paginator: (total > 1)
                .then(|| Paginator::new(n, total, |k| Route::MetricsCity(&c.group.slug, k))),
        };
        Ok((page, html))
    };
    let key = cx.key(|h| {
        let chunk = c.group.reports.chunks(per).nth(n - 1).unwrap_or(&[]);
        (
            &c.group.name,
            &c.group.slug,
            c.group.reports.len(),
            n,
            total,
            per,
        )
            .hash(h);
        columns_key.hash(h);
        for &i in chunk {
            cx.fingerprint(i).hash(h);
        }
    });
    keyed_fragment_job(cx.sv, "metrics_city.html", route, &c.group.name, key, build)
}

fn city_link(c: &City) -> Link<'_> {
    Link {
        name: &c.group.name,
        url: Route::list(Listing::City, &c.group.slug).path(),
        count: Some(c.group.reports.len()),
    }
}

/// A marker per row for its fragment.
fn marks(cx: Cx<'_>, html: &[Text]) -> Vec<String> {
    html.iter()
        .enumerate()
        .map(|(i, h)| cx.pages.marks.mark(OWN, i, h))
        .collect()
}

fn cell(v: Option<f64>) -> (Option<f64>, String) {
    (v, v.map(fmt_num).unwrap_or_default())
}

/// The metrics page: with every report's row while the site is small, else with links to the
/// cities' tables.
fn page<'a>(cx: Cx<'a>, large: bool) -> Result<(MetricsPage<'a>, Vec<Text>)> {
    let site = cx.site;
    let all: Vec<usize> = if large {
        Vec::new()
    } else {
        (0..site.reports.len()).collect()
    };
    let html = rows(cx, &all, &Route::Metrics)?;
    let columns = columns(site);
    let page = MetricsPage {
        groups: groups(&columns, site.strings.get("group.other")),
        columns,
        total: site.reports.len(),
        rows: marks(cx, &html),
        cities: site
            .cities
            .iter()
            .map(|c| CityAggregateRow {
                city: city_link(c),
                cells: c
                    .aggregates
                    .iter()
                    .zip(&c.reported)
                    .map(|(v, &n)| {
                        let of = c.group.reports.len();
                        AggregateCell {
                            value: *v,
                            display: v.map(fmt_num).unwrap_or_default(),
                            reported: n,
                            of,
                            covers: charts::covers(&site.strings, n, of),
                        }
                    })
                    .collect(),
            })
            .collect(),
        charts: charts::site_charts(site),
        tables: if large {
            site.cities
                .iter()
                .map(|c| Link {
                    name: &c.group.name,
                    url: Route::MetricsCity(&c.group.slug, 1).path(),
                    count: Some(c.group.reports.len()),
                })
                .collect()
        } else {
            Vec::new()
        },
    };
    Ok((page, html))
}
