//! Warnings for names the configuration does not know (a tactic, metric, city or section),
//! each with the closest known name: the build goes on (a new name may be intended).

use rayon::prelude::*;

use crate::config::SiteConfig;
use crate::error::Diagnostic;
use crate::load::Sources;

/// Warnings for names the configuration does not know, with the closest known one. Reports are
/// checked in parallel and a key is spelled out only for a warning (`serve` runs this on every
/// rebuild: 42 ms at 100x the digest with a `format!` per tactic and metric of every report).
pub(super) fn warn_unknown(config: &SiteConfig, sources: &Sources, diags: &mut Vec<Diagnostic>) {
    let found: Vec<Vec<Diagnostic>> = sources
        .reports
        .par_iter()
        .map(|src| {
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
        })
        .collect();
    diags.extend(found.into_iter().flatten());
}
