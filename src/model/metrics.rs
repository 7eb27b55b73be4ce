//! The metric columns of the site.

use std::collections::BTreeSet;

use super::{Metric, Report};
use crate::config::{Aggregate, SiteConfig};

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
