//! Warnings for names the configuration does not know (a tactic, metric, city or section),
//! each with the closest known name: the build goes on (a new name may be intended).

use crate::config::SiteConfig;
use crate::error::{suggest, Diagnostic};
use crate::load::Sources;

/// Warnings for names the configuration does not know, with the closest known one.
pub(super) fn warn_unknown(config: &SiteConfig, sources: &Sources, diags: &mut Vec<Diagnostic>) {
    let hint = |name: &str, known: Vec<&str>| {
        suggest(name, known)
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default()
    };
    for src in &sources.reports {
        let pos = |k: &str| src.positions.get(k).copied().unwrap_or((0, 0));
        if !config.tactics.is_empty() {
            for t in &src.meta.tactics {
                if config.canonical_tactic(t.trim()) == t.trim()
                    && !config.tactics.contains_key(t.trim())
                {
                    let (l, c) = pos("tactics");
                    diags.push(Diagnostic::warning(
                        &src.path,
                        l,
                        c,
                        format!(
                            "tactic `{t}` is not in the vocabulary of site.yaml{}",
                            hint(t, config.tactics.keys().map(String::as_str).collect())
                        ),
                    ));
                }
            }
        }
        if !config.metrics.is_empty() {
            for k in src.meta.metrics.keys() {
                if !config.metrics.contains_key(k) {
                    let (l, c) = pos("metrics");
                    diags.push(Diagnostic::warning(
                        &src.path,
                        l,
                        c,
                        format!(
                            "metric `{k}` is not in the registry of site.yaml{}",
                            hint(k, config.metrics.keys().map(String::as_str).collect())
                        ),
                    ));
                }
            }
        }
        if !config.cities.is_empty() && !config.cities.contains(&src.meta.city) {
            let (l, c) = pos("city");
            diags.push(Diagnostic::warning(
                &src.path,
                l,
                c,
                format!(
                    "city `{}` is not listed in site.yaml{}",
                    src.meta.city,
                    hint(
                        &src.meta.city,
                        config.cities.iter().map(String::as_str).collect()
                    )
                ),
            ));
        }
        if let Some(sec) = &src.meta.section {
            if !config.sections.is_empty() && !config.sections.iter().any(|s| s.name() == sec) {
                let (l, c) = pos("section");
                diags.push(Diagnostic::warning(
                    &src.path,
                    l,
                    c,
                    format!(
                        "section `{sec}` is not listed in site.yaml{}",
                        hint(sec, config.sections.iter().map(|s| s.name()).collect())
                    ),
                ));
            }
        }
    }
}
