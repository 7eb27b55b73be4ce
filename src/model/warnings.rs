//! Warnings for names the configuration does not know (a tactic, metric, city or section),
//! each with the closest known name: the build goes on (a new name may be intended).

use crate::config::SiteConfig;
use crate::error::Diagnostic;
use crate::load::Sources;

/// Warnings for names the configuration does not know, with the closest known one.
pub(super) fn warn_unknown(config: &SiteConfig, sources: &Sources, diags: &mut Vec<Diagnostic>) {
    for src in &sources.reports {
        let mut warn = |key: &str, message: Option<String>| {
            if let Some(message) = message {
                let (l, c) = src.position(key);
                diags.push(Diagnostic::warning(&src.path, l, c, message));
            }
        };
        for t in &src.meta.tactics {
            warn(&format!("tactics.{}", t.trim()), config.unknown_tactic(t));
        }
        for k in src.meta.metrics.keys() {
            warn(&format!("metrics.{k}"), config.unknown_metric(k));
        }
        warn("city", config.unknown_city(&src.meta.city));
        if let Some(sec) = &src.meta.section {
            warn("section", config.unknown_section(sec));
        }
    }
}
