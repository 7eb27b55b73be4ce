//! The metric columns of the site.

use std::collections::BTreeSet;

use super::{City, Metric, Report};
use crate::config::{Aggregate, SiteConfig};
use crate::error::{Diagnostic, Error, Result};
use crate::load::Sources;

/// The metric columns: the registry's in order, then keys used but unknown to it; a column no
/// report fills is left out.
pub(super) fn columns(config: &SiteConfig, reports: &[Report]) -> Vec<Metric> {
    let mut cols: Vec<Metric> = config
        .metrics
        .iter()
        .map(|(k, d)| Metric {
            key: k.clone(),
            label: d.label.clone(),
            unit: d.unit.clone(),
            aggregate: d.aggregate,
            known: true,
            group: d.group.clone(),
        })
        .collect();
    let unknown: BTreeSet<&String> = reports
        .iter()
        .flat_map(|r| r.meta.metrics.keys())
        .filter(|k| !config.metrics.contains_key(*k))
        .collect();
    cols.extend(unknown.into_iter().map(|k| Metric {
        key: k.clone(),
        label: k.clone(),
        unit: String::new(),
        aggregate: Aggregate::Sum,
        known: false,
        group: None,
    }));
    // A registry metric no report gives would be an empty column: leave it out.
    cols.retain(|m| {
        reports
            .iter()
            .any(|r| r.meta.metrics.get(&m.key).is_some_and(|v| v.is_some()))
    });
    cols
}

/// Fails when a city's aggregate is not a finite number: values are finite (the loader checks),
/// but a sum of large ones (`1e308` twice) overflows, and an infinite total would reach the
/// pages as "inf" and the charts as widths no template can compute. The message names the
/// metric, the city and the report with the largest value.
pub(super) fn check_aggregates(
    sources: &Sources,
    reports: &[Report],
    cities: &[City],
    metrics: &[Metric],
) -> Result<()> {
    let mut diags = Vec::new();
    for city in cities {
        for (m, value) in metrics.iter().zip(&city.aggregates) {
            if value.is_none_or(f64::is_finite) {
                continue;
            }
            let largest = city
                .group
                .reports
                .iter()
                .map(|&i| &reports[i])
                .filter_map(|r| Some((r, r.meta.metrics.get(&m.key).copied().flatten()?)))
                .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()));
            let Some((report, v)) = largest else { continue };
            let (line, col) = sources
                .reports
                .iter()
                .find(|s| s.path == report.path)
                .and_then(|s| s.positions.get("metrics"))
                .unwrap_or((0, 0));
            diags.push(Diagnostic::error(
                &report.path,
                line,
                col,
                format!(
                    "metric `{}`: the {} over {} overflows (is not a finite number); its largest \
                     value is {v:e} here: check the values and their unit",
                    m.key,
                    match m.aggregate {
                        Aggregate::Mean => "mean",
                        _ => "sum",
                    },
                    city.group.name
                ),
            ));
        }
    }
    if diags.is_empty() {
        Ok(())
    } else {
        Err(Error::Content(diags))
    }
}
