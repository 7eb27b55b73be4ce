//! Warnings for names the configuration does not know (a tactic, metric, city or section),
//! each with the closest known name: the build goes on (a new name may be intended).

use std::sync::Arc;

use rayon::prelude::*;

use crate::config::SiteConfig;
use crate::error::Diagnostic;
use crate::load::{ReportMeta, Source, Sources};

/// What [`warn_unknown`] found in each report of the last run, in the sources' order, with the
/// key of the configuration they were checked against. `serve` takes an unchanged report's
/// warnings from here: checking 11,900 reports again was 12 ms of every save at 100x the digest.
#[derive(Debug, Default)]
pub(super) struct Memo {
    config: u64,
    found: Vec<(Arc<Source<ReportMeta>>, Vec<Diagnostic>)>,
}

impl Memo {
    /// The key of the configuration of the last run (its whole site.yaml).
    pub(super) fn key(&self) -> u64 {
        self.config
    }
}

/// Warnings for names the configuration does not know, with the closest known one. Reports are
/// checked in parallel and a key is spelled out only for a warning (`serve` runs this on every
/// rebuild: 42 ms at 100x the digest with a `format!` per tactic and metric of every report).
pub(super) fn warn_unknown(
    config: &SiteConfig,
    sources: &Sources,
    diags: &mut Vec<Diagnostic>,
    memo: &mut Memo,
) {
    // The whole configuration keys the memo: what is unknown depends on its vocabulary,
    // registry, cities and sections (a few KB, serialized once per run).
    let key = serde_json::to_vec(config).map_or(0, |c| crate::fingerprint::of(&c[..]));
    let last = (memo.config == key).then_some(&memo.found);
    let found: Vec<(Arc<Source<ReportMeta>>, Vec<Diagnostic>)> = sources
        .reports
        .par_iter()
        .enumerate()
        .map(|(i, src)| {
            // The entry holds its source, so no other source can have its address.
            let kept = last
                .and_then(|l| l.get(i))
                .filter(|(s, _)| Arc::ptr_eq(s, src));
            let found = match kept {
                Some((_, found)) => found.clone(),
                None => unknown_in(config, src),
            };
            (Arc::clone(src), found)
        })
        .collect();
    diags.extend(found.iter().flat_map(|(_, d)| d.iter().cloned()));
    *memo = Memo { config: key, found };
}

/// The names of report `src` that `config` does not know.
fn unknown_in(config: &SiteConfig, src: &Source<ReportMeta>) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let mut warn = |key: &dyn Fn() -> String, message: Option<String>| {
        if let Some(message) = message {
            let (l, c) = src.position(&key());
            found.push(Diagnostic::warning(&src.path, l, c, message));
        }
    };
    for t in &src.meta.tactics {
        warn(
            &|| format!("tactics.{}", t.trim()),
            config.unknown_tactic(t),
        );
    }
    for k in src.meta.metrics.keys() {
        warn(&|| format!("metrics.{k}"), config.unknown_metric(k));
    }
    warn(&|| "city".into(), config.unknown_city(&src.meta.city));
    if let Some(sec) = &src.meta.section {
        warn(&|| "section".into(), config.unknown_section(sec));
    }
    found
}
