//! Two reports on one town.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::error::Diagnostic;
use crate::load::Sources;
use crate::model::Site;

/// Warns about a second report on a town that already has one: same city and town, and the
/// same county (or no county on one of them).
pub(super) fn same_town(site: &Site, sources: &Sources, diags: &mut Vec<Diagnostic>) {
    let positions: HashMap<&Path, (usize, usize)> = sources
        .reports
        .iter()
        .map(|s| {
            let pos = s.positions.get("town").unwrap_or((0, 0));
            (s.path.as_path(), pos)
        })
        .collect();
    let mut reports: Vec<&crate::model::Report> = site.reports.iter().collect();
    reports.sort_by(|a, b| a.path.cmp(&b.path));
    // (city, town) -> the county and file of each report on it so far.
    type Earlier<'a> = Vec<(&'a Option<String>, &'a PathBuf)>;
    let mut seen: BTreeMap<(&str, &str), Earlier<'_>> = BTreeMap::new();
    for r in reports {
        let key = (r.meta.city.trim(), r.meta.town.trim());
        let county = &r.meta.county;
        let earlier = seen.entry(key).or_default();
        if let Some((c, first)) = earlier
            .iter()
            .find(|(c, _)| c.is_none() || county.is_none() || *c == county)
        {
            let place = match c.as_ref().or(county.as_ref()) {
                Some(c) => format!("{}, {c}, {}", r.meta.town, r.meta.city),
                None => format!("{}, {}", r.meta.town, r.meta.city),
            };
            let (line, col) = positions.get(r.path.as_path()).copied().unwrap_or((0, 0));
            diags.push(Diagnostic::warning(
                &r.path,
                line,
                col,
                format!(
                    "{} is about the same town ({place}); merge the two reports, or correct \
                     `town`, `county` or `city` in one of them",
                    first.display()
                ),
            ));
        }
        earlier.push((county, &r.path));
    }
}
