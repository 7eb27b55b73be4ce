//! The metrics page: every report against every metric (rows rendered from `metrics_row.html`
//! in parallel), per-city aggregates and build-time charts.

use rayon::prelude::*;
use serde::Serialize;
use tera::{Context, Tera};

use super::Cx;
use crate::error::Result;
use crate::render::charts::{self, ChartView};
use crate::render::engine::{render_one, template_error};
use crate::render::fragments::OWN;
use crate::render::job::{fragment_job, Job};
use crate::render::views::{fmt_num, Link, ReportRef};
use crate::urls::{Listing, Route};

#[derive(Serialize)]
struct MetricColumn<'a> {
    key: &'a str,
    label: &'a str,
    unit: &'a str,
    aggregate: &'static str,
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
    cells: Vec<(Option<f64>, String)>,
}

#[derive(Serialize)]
struct MetricsPage<'a> {
    columns: Vec<MetricColumn<'a>>,
    /// One marker per report, for its `metrics_row.html` fragment.
    rows: Vec<String>,
    cities: Vec<CityAggregateRow<'a>>,
    charts: Vec<ChartView>,
}

pub(super) fn job(cx: Cx<'_>) -> Job<'_> {
    fragment_job(
        cx.sv,
        "metrics.html",
        Route::Metrics,
        cx.title("metrics"),
        move |tera| page(cx, tera),
    )
}

fn cell(v: Option<f64>) -> (Option<f64>, String) {
    (v, v.map(fmt_num).unwrap_or_default())
}

/// The metrics page, its rows rendered from `metrics_row.html` in parallel.
fn page<'a>(cx: Cx<'a>, tera: &Tera) -> Result<(MetricsPage<'a>, Vec<String>)> {
    let site = cx.site;
    let root = Route::Metrics.root();
    let rows = (0..site.reports.len())
        .into_par_iter()
        .map(|i| {
            let r = &site.reports[i];
            let row = MetricRow {
                r: cx.named(i),
                cells: site
                    .metrics
                    .iter()
                    .map(|m| cell(site.metric(r, &m.key)))
                    .collect(),
                root: root.clone(),
            };
            let c = Context::from_serialize(&row)
                .map_err(|e| template_error("metrics_row.html", &e))?;
            render_one(tera, "metrics_row.html", &c)
        })
        .collect::<Result<Vec<String>>>()?;
    let page = MetricsPage {
        columns: site
            .metrics
            .iter()
            .map(|m| MetricColumn {
                key: &m.key,
                label: &m.label,
                unit: &m.unit,
                aggregate: m.aggregate.label(),
            })
            .collect(),
        rows: rows
            .iter()
            .enumerate()
            .map(|(i, html)| cx.pages.marks.mark(OWN, i, html))
            .collect(),
        cities: site
            .cities
            .iter()
            .map(|c| CityAggregateRow {
                city: Link {
                    name: &c.group.name,
                    url: Route::list(Listing::City, &c.group.slug).path(),
                    count: Some(c.group.reports.len()),
                },
                cells: c.aggregates.iter().map(|v| cell(*v)).collect(),
            })
            .collect(),
        charts: charts::site_charts(site),
    };
    Ok((page, rows))
}
