//! Bar charts drawn at build time: the geometry is computed here, the SVG markup lives in the
//! theme (`macros.html`), so charts need no JavaScript and follow the theme's colours.

use serde::Serialize;

use super::views::fmt_num;
use crate::model::{City, Site};

// Sized so that a chart drawn 1:1 fits a 360 px phone with 13 px labels still 11 px or more once
// scaled down, and two charts sit side by side on a desktop.
/// Width of the bar area in SVG user units.
const BAR_AREA: f64 = 220.0;
/// Height of one bar row.
const ROW: usize = 26;
/// Width reserved for labels on the left: six Chinese characters at 13 px.
const LABEL_WIDTH: usize = 92;
/// Width reserved right of the longest bar for its value.
const VALUE_WIDTH: usize = 72;
/// Width reserved at the right edge for an aggregate's coverage (`14/14` at 12 px).
const COVERS_WIDTH: usize = 40;

/// One chart: a metric across several rows.
#[derive(Debug, Serialize)]
pub(crate) struct ChartView<'a> {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) unit: String,
    pub(crate) aggregate: &'a str,
    pub(crate) label_width: usize,
    pub(crate) width: usize,
    pub(crate) height: usize,
    pub(crate) rows: Vec<Bar>,
    /// How many reports the chart's figures come from, out of how many could give one: an
    /// aggregate of 1 town out of 14 must not read as the city's figure.
    pub(crate) coverage: String,
}

/// One bar.
#[derive(Debug, Serialize)]
pub(crate) struct Bar {
    pub(crate) label: String,
    pub(crate) value: f64,
    pub(crate) display: String,
    pub(crate) y: usize,
    pub(crate) width: f64,
    /// The bar's own coverage (`3/14`), for an aggregate; empty for one report's figure.
    pub(crate) covers: String,
    /// The same in words, for its tooltip and text alternative.
    pub(crate) covers_long: String,
}

/// One bar's data: label, value, and for an aggregate (reports giving it, reports in all).
type Row = (String, f64, Option<(usize, usize)>);

fn chart<'a>(
    s: &crate::i18n::Strings,
    id: String,
    title: String,
    unit: &str,
    aggregate: &'a str,
    rows: Vec<Row>,
    coverage: String,
) -> ChartView<'a> {
    let max = rows.iter().map(|r| r.1).fold(0.0, f64::max);
    let covers_width = if rows.iter().any(|r| r.2.is_some()) {
        COVERS_WIDTH
    } else {
        0
    };
    ChartView {
        id,
        title,
        unit: unit.to_string(),
        aggregate,
        label_width: LABEL_WIDTH,
        width: LABEL_WIDTH + BAR_AREA as usize + VALUE_WIDTH + covers_width,
        height: rows.len() * ROW + 8,
        rows: rows
            .into_iter()
            .enumerate()
            .map(|(i, (label, value, cov))| Bar {
                display: fmt_num(value),
                // Bars grow from zero to the right; a negative value (a decline) has no bar
                // rather than a negative width, which SVG refuses, and keeps its figure.
                covers: cov.map(|(n, of)| format!("{n}/{of}")).unwrap_or_default(),
                covers_long: cov.map(|(n, of)| covers(s, n, of)).unwrap_or_default(),
                width: if max > 0.0 {
                    (value.max(0.0) / max * BAR_AREA * 10.0).round() / 10.0
                } else {
                    0.0
                },
                y: i * ROW + 4,
                label,
                value,
            })
            .collect(),
        coverage,
    }
}

/// `14 个试点中 3 个报告` (or `3 个试点都报告` when all of several did).
pub(crate) fn covers(s: &crate::i18n::Strings, n: usize, of: usize) -> String {
    let of_text = ("of", s.number(of as u64));
    if n == of && of > 1 {
        s.format("covers.all", Some(of as u64), &[of_text])
    } else {
        s.format(
            "covers.some",
            Some(of as u64),
            &[of_text, ("given", s.number(n as u64))],
        )
    }
}

/// One chart per metric: the per-city aggregate, for cities that give a value.
pub(crate) fn site_charts(site: &Site) -> Vec<ChartView<'_>> {
    let s = &site.strings;
    site.metrics
        .iter()
        .enumerate()
        .filter_map(|(mi, m)| {
            let rows: Vec<Row> = site
                .cities
                .iter()
                .filter_map(|c| {
                    let cov = (c.reported[mi], c.group.reports.len());
                    Some((c.group.name.clone(), c.aggregates[mi]?, Some(cov)))
                })
                .collect();
            let given: usize = site.cities.iter().map(|c| c.reported[mi]).sum();
            let coverage = s.format(
                "chart.coverage",
                None,
                &[
                    ("covers", covers(s, given, site.reports.len())),
                    ("aggregate", s.get(m.aggregate.key()).into()),
                ],
            );
            (!rows.is_empty()).then(|| {
                chart(
                    s,
                    format!("chart-{}", m.key),
                    s.format(
                        "chart.by_city",
                        None,
                        &[
                            ("label", m.label.clone()),
                            ("aggregate", s.get(m.aggregate.key()).into()),
                        ],
                    ),
                    &m.unit,
                    s.get(m.aggregate.key()),
                    rows,
                    coverage,
                )
            })
        })
        .collect()
}

/// Bars a city's chart draws at most: past it, the largest figures (a chart of a thousand bars
/// is neither readable nor small; the city's metrics table has every figure).
const MAX_BARS: usize = 30;

/// One chart per metric for a city's reports, for metrics at least one of them gives; the
/// [`MAX_BARS`] largest when more reports give one.
pub(crate) fn city_charts<'a>(site: &'a Site, city: &City) -> Vec<ChartView<'a>> {
    let s = &site.strings;
    site.metrics
        .iter()
        .filter_map(|m| {
            let mut rows: Vec<Row> = city
                .group
                .reports
                .iter()
                .filter_map(|&i| {
                    let r = &site.reports[i];
                    Some((r.meta.town.clone(), site.metric(r, &m.key)?, None))
                })
                .collect();
            let coverage = covers(s, rows.len(), city.group.reports.len());
            let title = if rows.len() > MAX_BARS {
                // Stable: equal figures keep contents order.
                rows.sort_by(|a, b| b.1.total_cmp(&a.1));
                rows.truncate(MAX_BARS);
                s.format(
                    "chart.top",
                    Some(MAX_BARS as u64),
                    &[
                        ("label", m.label.clone()),
                        ("city", city.group.name.clone()),
                    ],
                )
            } else {
                s.format(
                    "chart.city",
                    None,
                    &[
                        ("label", m.label.clone()),
                        ("city", city.group.name.clone()),
                    ],
                )
            };
            (!rows.is_empty()).then(|| {
                chart(
                    s,
                    format!("chart-{}", m.key),
                    title,
                    &m.unit,
                    // Each bar is one report's own figure, not an aggregate.
                    s.get("chart.value"),
                    rows,
                    coverage,
                )
            })
        })
        .collect()
}
