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
}

/// One bar.
#[derive(Debug, Serialize)]
pub(crate) struct Bar {
    pub(crate) label: String,
    pub(crate) value: f64,
    pub(crate) display: String,
    pub(crate) y: usize,
    pub(crate) width: f64,
}

fn chart<'a>(
    id: String,
    title: String,
    unit: &str,
    aggregate: &'a str,
    rows: Vec<(String, f64)>,
) -> ChartView<'a> {
    let max = rows.iter().map(|r| r.1).fold(0.0, f64::max);
    ChartView {
        id,
        title,
        unit: unit.to_string(),
        aggregate,
        label_width: LABEL_WIDTH,
        width: LABEL_WIDTH + BAR_AREA as usize + VALUE_WIDTH,
        height: rows.len() * ROW + 8,
        rows: rows
            .into_iter()
            .enumerate()
            .map(|(i, (label, value))| Bar {
                display: fmt_num(value),
                // Bars grow from zero to the right; a negative value (a decline) has no bar
                // rather than a negative width, which SVG refuses, and keeps its figure.
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
    }
}

/// One chart per metric: the per-city aggregate, for cities that give a value.
pub(crate) fn site_charts(site: &Site) -> Vec<ChartView<'_>> {
    let s = &site.strings;
    site.metrics
        .iter()
        .enumerate()
        .filter_map(|(mi, m)| {
            let rows: Vec<(String, f64)> = site
                .cities
                .iter()
                .filter_map(|c| Some((c.group.name.clone(), c.aggregates[mi]?)))
                .collect();
            (!rows.is_empty()).then(|| {
                chart(
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
            let mut rows: Vec<(String, f64)> = city
                .group
                .reports
                .iter()
                .filter_map(|&i| {
                    let r = &site.reports[i];
                    Some((r.meta.town.clone(), site.metric(r, &m.key)?))
                })
                .collect();
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
                    format!("chart-{}", m.key),
                    title,
                    &m.unit,
                    // Each bar is one report's own figure, not an aggregate.
                    s.get("chart.value"),
                    rows,
                )
            })
        })
        .collect()
}
