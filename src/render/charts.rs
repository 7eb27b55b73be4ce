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
pub(crate) struct ChartView {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) unit: String,
    pub(crate) aggregate: &'static str,
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

fn chart(
    id: String,
    title: String,
    unit: &str,
    aggregate: &'static str,
    rows: Vec<Row>,
    coverage: String,
) -> ChartView {
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
                covers: cov.map(|(n, of)| format!("{n}/{of}")).unwrap_or_default(),
                covers_long: cov.map(|(n, of)| covers(n, of)).unwrap_or_default(),
                width: if max > 0.0 {
                    (value / max * BAR_AREA * 10.0).round() / 10.0
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
pub(crate) fn covers(n: usize, of: usize) -> String {
    if n == of && of > 1 {
        format!("{of} 个试点都报告")
    } else {
        format!("{of} 个试点中 {n} 个报告")
    }
}

/// One chart per metric: the per-city aggregate, for cities that give a value.
pub(crate) fn site_charts(site: &Site) -> Vec<ChartView> {
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
            let coverage = format!(
                "全部 {}；各地市{}只计报告了此项的试点，每条后注明",
                covers(given, site.reports.len()),
                m.aggregate.label()
            );
            (!rows.is_empty()).then(|| {
                chart(
                    format!("chart-{}", m.key),
                    format!("{}（各地市{}）", m.label, m.aggregate.label()),
                    &m.unit,
                    m.aggregate.label(),
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
pub(crate) fn city_charts(site: &Site, city: &City) -> Vec<ChartView> {
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
            let coverage = covers(rows.len(), city.group.reports.len());
            let title = if rows.len() > MAX_BARS {
                // Stable: equal figures keep contents order.
                rows.sort_by(|a, b| b.1.total_cmp(&a.1));
                rows.truncate(MAX_BARS);
                format!(
                    "{}（{}数值最大的{MAX_BARS}个试点）",
                    m.label, city.group.name
                )
            } else {
                format!("{}（{}各试点）", m.label, city.group.name)
            };
            (!rows.is_empty()).then(|| {
                chart(
                    format!("chart-{}", m.key),
                    title,
                    &m.unit,
                    // Each bar is one report's own figure, not an aggregate.
                    "数值",
                    rows,
                    coverage,
                )
            })
        })
        .collect()
}
