//! `serve`'s model after a save of one report: the last model with that report's front matter
//! and body replaced, when nothing that places the other reports changed. Rebuilt from cached
//! parts, the model of 11,900 reports took 50-60 ms of every save (names, order, groups,
//! metric columns, related reports: each a pass over every report); patched, it is the new
//! report's parse and a copy of the last model.
//!
//! What a report's place in the model depends on, and so what a patch must find unchanged: its
//! slug and file; its city, county, section, weight and draft flag (groups, order, slugs,
//! neighbours, related reports); its metric keys and which of them have a value (the
//! columns); its title only through the contents order, checked against the reports on either
//! side; of its tactics, only the site's set of tactic names (their order and slugs). Its
//! metric values go into its city's aggregates, and its tactics into the tactic groups and
//! every report's related reports, which are computed again (a tactic edit at 100x the digest
//! built the whole model anew: 80-110 ms). Everything else (title, body, summary, date,
//! author, the values of `extra`) only the pages show.
//! `model/patch_tests.rs` holds a patched model to the one built anew, edit by edit.

use std::sync::Arc;

use super::{
    groups, metrics, parse_report, related, settle, warnings, Bodies, Built, ModelCache, Report,
    Site,
};
use crate::error::{Diagnostic, Level};
use crate::load::{NewsSource, PageSource, ReportSource, Sources};

/// The last model and what it was made from.
#[derive(Debug)]
pub(super) struct Last {
    site: Site,
    /// The report sources it was made from, in the sources' order.
    sources: Vec<Arc<ReportSource>>,
    pages: Vec<Arc<PageSource>>,
    news: Vec<Arc<NewsSource>>,
    /// Where each source's report is in `site.reports`.
    at: Vec<usize>,
    /// Key of the configuration (`warnings::Memo::key`).
    config: u64,
    /// Fingerprint of the interface strings (the theme's and site.yaml's).
    strings: u64,
    names: groups::Names,
    news_warnings: Vec<Diagnostic>,
}

impl Last {
    /// What a patch of `built` needs; `None` if a source has no report in it.
    pub(super) fn new(built: &Built, sources: &Sources, config: u64) -> Option<Last> {
        let site = &built.site;
        let by_path: foldhash::HashMap<&std::path::Path, usize> = site
            .reports
            .iter()
            .enumerate()
            .map(|(i, r)| (r.path.as_path(), i))
            .collect();
        let at = sources
            .reports
            .iter()
            .map(|s| by_path.get(s.path.as_path()).copied())
            .collect::<Option<Vec<usize>>>()?;
        Some(Last {
            site: site.clone(),
            sources: sources.reports.clone(),
            pages: sources.pages.clone(),
            news: sources.news.clone(),
            at,
            config,
            strings: site.strings.fingerprint(),
            names: built.names.clone(),
            news_warnings: built.news_warnings.clone(),
        })
    }
}

/// The model of `sources` made from the last one, when exactly one report source changed and
/// its place did not (see the module docs); `None` when it must be built anew, which is also
/// the answer to anything a patch would have to report as an error (the full build finds it
/// again, with everything else).
pub(super) fn patch(sources: &Sources, cache: &mut ModelCache) -> Option<Site> {
    let last = cache.last.as_deref()?;
    if sources.diagnostics.iter().any(|d| d.level == Level::Error)
        || sources.reports.len() != last.sources.len()
        || !same(&sources.pages, &last.pages)
        || !same(&sources.news, &last.news)
    {
        return None;
    }
    let mut changed =
        (0..sources.reports.len()).filter(|&k| !Arc::ptr_eq(&sources.reports[k], &last.sources[k]));
    let k = changed.next()?;
    if changed.next().is_some() {
        return None;
    }
    let strings = crate::i18n::Strings::new(&sources.theme, &sources.config);
    if strings.fingerprint() != last.strings {
        return None;
    }
    let src = &sources.reports[k];
    let (new, (kept, parsed)) = parse_report(src, None, &sources.config, cache, &Bodies::Held);
    // Kept at once: if the model is built anew after all, the body is not parsed twice.
    cache.reports.insert(super::address(src), kept);
    let last = cache.last.as_deref()?;
    let j = last.at[k];
    let reports = &last.site.reports;
    let old = &reports[j];
    if !same_place(old, &new)
        || j > 0 && !groups::precedes(&last.names, &reports[j - 1], &new)
        || j + 1 < reports.len() && !groups::precedes(&last.names, &new, &reports[j + 1])
    {
        return None;
    }
    let aggregates_changed = old.meta.metrics != new.meta.metrics;
    let tactics_changed = old.meta.tactics != new.meta.tactics;
    let tactic_slugs = if tactics_changed {
        if !same_names(&last.site, j, &old.meta.tactics, &new.meta.tactics) {
            return None;
        }
        Some(last.names.tactic_slugs_of(&new.meta.tactics)?)
    } else {
        None
    };

    let mut diags = sources.diagnostics.clone();
    warnings::warn_unknown(&sources.config, sources, &mut diags, &mut cache.warnings);
    if cache.warnings.key() != last.config {
        return None;
    }
    let mut last = cache.last.take()?;
    let site = &mut last.site;
    let r = &mut site.reports[j];
    r.meta = new.meta;
    r.body = new.body;
    r.bundle = new.bundle;
    if let Some(slugs) = tactic_slugs {
        r.tactic_slugs = slugs;
        site.tactics = groups::tactics(&site.reports, &site.config, &last.names);
        // The rarity of the tactics it dropped and took changed: every report's ranking can
        // change with it, so all are ranked again (at 100x the digest some 300 lists change).
        related::assign_cached(&mut site.reports, &mut cache.related);
    }
    if aggregates_changed {
        site.cities = groups::cities(&site.reports, &last.names, &site.metrics);
        metrics::check_aggregates(sources, &site.reports, &site.cities, &site.metrics).ok()?;
    }
    diags.extend(last.news_warnings.iter().cloned());
    site.diagnostics = settle(diags, &site.reports, &site.pages, sources).ok()?;

    cache.reports.remove(&super::address(&last.sources[k]));
    cache.parsed = usize::from(parsed);
    last.sources[k] = Arc::clone(src);
    let site = last.site.clone();
    cache.last = Some(last);
    Some(site)
}

/// Whether two lists hold the very same sources.
fn same<T>(a: &[Arc<T>], b: &[Arc<T>]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| Arc::ptr_eq(x, y))
}

/// Whether the tactic names of the site stay the same when report `j` of `site` names `new`
/// instead of `old`: each tactic it takes is named already, and each it drops is in the
/// vocabulary or named by another report. The names order the tactics and give them their
/// slugs; the vocabulary's come first and the rest sort by name, so the set decides.
fn same_names(site: &Site, j: usize, old: &[String], new: &[String]) -> bool {
    let used_elsewhere = |t: &String| {
        site.config.tactics.contains_key(t)
            || site
                .tactics
                .iter()
                .find(|g| &g.name == t)
                .is_some_and(|g| g.reports.iter().any(|&i| i != j))
    };
    old.iter().filter(|t| !new.contains(t)).all(used_elsewhere)
}

/// Whether `new` takes the place of `old` in every group and list but the contents order (its
/// title is checked there by the caller) and the tactics (checked by [`same_names`]).
fn same_place(old: &Report, new: &Report) -> bool {
    let (a, b) = (&*old.meta, &*new.meta);
    old.slug == new.slug
        && old.path == new.path
        && a.city == b.city
        && a.county == b.county
        && a.section == b.section
        && a.weight == b.weight
        && a.draft == b.draft
        && a.slug == b.slug
        // A column no report fills is left out: which keys have a value places it too.
        && a.metrics.iter().map(|(k, v)| (k, v.is_some()))
            .eq(b.metrics.iter().map(|(k, v)| (k, v.is_some())))
}

#[cfg(test)]
#[path = "patch_tests.rs"]
mod tests;
