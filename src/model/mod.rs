//! Model stage: [`Sources`] become a [`Site`]: slugs, groups (cities, tactics, sections), the
//! printed order, prev/next, related reports, metric aggregates. Markdown is parsed here, once.
//!
//! Entry point: [`build`]. No I/O, no templates; every map is ordered so output is reproducible.

mod related;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use indexmap::IndexMap;
use rayon::prelude::*;
use serde::Serialize;

use crate::config::{Aggregate, SiteConfig};
use crate::error::{suggest, Diagnostic, Error, Result};
use crate::load::{Placement, ReportMeta, Sources};
use crate::markdown::{self, Body};
use crate::slug;

pub use related::Related;

/// URL segments the site uses itself; a tactic, city or section may not take them.
const RESERVED_TACTIC_SLUGS: &[&str] = &["map"];

/// The whole site, ready to render and index.
#[derive(Debug)]
pub struct Site {
    /// Configuration.
    pub config: SiteConfig,
    /// Reports in contents order.
    pub reports: Vec<Report>,
    /// Pages in contents order (front, back, then unlisted).
    pub pages: Vec<Page>,
    /// Cities in configured order, then by name.
    pub cities: Vec<City>,
    /// Tactics, most used first, then by vocabulary order and name.
    pub tactics: Vec<Group>,
    /// Sections in configured order.
    pub sections: Vec<Section>,
    /// Metrics: the registry's in order, then keys used but unknown to it.
    pub metrics: Vec<Metric>,
    /// Warnings (unknown tactics, metrics, cities...).
    pub diagnostics: Vec<Diagnostic>,
}

/// One report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// URL segment, unique.
    pub slug: String,
    /// Source file relative to the root.
    pub path: PathBuf,
    /// Front matter (tactics resolved to the vocabulary's names).
    #[serde(flatten)]
    pub meta: ReportMeta,
    /// Slugs of [`ReportMeta::tactics`], same order.
    pub tactic_slugs: Vec<String>,
    /// Slug of the city.
    pub city_slug: String,
    /// Slug of the section, if any.
    pub section_slug: Option<String>,
    /// Rendered body.
    pub body: Body,
    /// Previous report in its city (index into [`Site::reports`]).
    pub prev: Option<usize>,
    /// Next report in its city.
    pub next: Option<usize>,
    /// Up to five related reports.
    pub related: Vec<Related>,
}

/// One page (foreword, overview, about...).
#[derive(Debug, Clone, Serialize)]
pub struct Page {
    /// URL segment under `pages/`.
    pub slug: String,
    /// Source file.
    pub path: PathBuf,
    /// Front matter.
    #[serde(flatten)]
    pub meta: crate::load::PageMeta,
    /// Rendered body.
    pub body: Body,
}

/// A named group of reports (a tactic).
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// Display name.
    pub name: String,
    /// URL segment.
    pub slug: String,
    /// One line from the configuration, may be empty.
    pub description: String,
    /// Indices into [`Site::reports`], contents order.
    pub reports: Vec<usize>,
}

/// A city with its counties and metric aggregates.
#[derive(Debug, Clone, Serialize)]
pub struct City {
    /// The city's reports.
    #[serde(flatten)]
    pub group: Group,
    /// Counties in order of first appearance, each with its reports.
    pub counties: Vec<(String, Vec<usize>)>,
    /// Aggregate of each metric of [`Site::metrics`] over the city's reports.
    pub aggregates: Vec<Option<f64>>,
}

/// A section with its reports, grouped by city where configured.
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    /// The section's reports.
    #[serde(flatten)]
    pub group: Group,
    /// Reports grouped by city (city index, report indices) when the section is `by_city`.
    pub by_city: Vec<(usize, Vec<usize>)>,
}

/// A metric column.
#[derive(Debug, Clone, Serialize)]
pub struct Metric {
    /// Key in front matter.
    pub key: String,
    /// Label (the key itself when the registry does not know it).
    pub label: String,
    /// Unit.
    pub unit: String,
    /// How it aggregates.
    pub aggregate: Aggregate,
    /// Whether the registry defines it.
    pub known: bool,
}

impl Site {
    /// The value of metric `key` in report `r`, if given.
    pub fn metric(&self, r: &Report, key: &str) -> Option<f64> {
        r.meta.metrics.get(key).copied().flatten()
    }

    /// Count of reports per (city index, tactic index) for the tactics map.
    pub fn tactic_matrix(&self) -> Vec<Vec<Vec<usize>>> {
        // One pass over the tactic postings with a report -> city table: testing each posting
        // against each city's list was quadratic in the number of reports.
        let mut city_of = vec![usize::MAX; self.reports.len()];
        for (ci, c) in self.cities.iter().enumerate() {
            for &r in &c.group.reports {
                city_of[r] = ci;
            }
        }
        let mut matrix = vec![vec![Vec::new(); self.tactics.len()]; self.cities.len()];
        for (ti, t) in self.tactics.iter().enumerate() {
            for &r in &t.reports {
                if let Some(row) = matrix.get_mut(city_of[r]) {
                    row[ti].push(r);
                }
            }
        }
        matrix
    }
}

/// Builds the site model; fails on duplicate or unsafe slugs.
pub fn build(sources: &Sources) -> Result<Site> {
    let config = sources.config.clone();
    let mut diags = sources.diagnostics.clone();
    let mut errors = Vec::new();

    // Reports: slug, canonical tactics, rendered body (in parallel: Markdown is the heavy part).
    let mut reports: Vec<Report> = sources
        .reports
        .par_iter()
        .map(|src| {
            let mut meta = src.meta.clone();
            let mut seen = BTreeSet::new();
            meta.tactics = meta
                .tactics
                .iter()
                .map(|t| config.canonical_tactic(t.trim()).to_string())
                .filter(|t| seen.insert(t.clone()))
                .collect();
            Report {
                slug: String::new(),
                path: src.path.clone(),
                tactic_slugs: Vec::new(),
                city_slug: String::new(),
                section_slug: None,
                body: markdown::render(&src.body, src.body_line),
                prev: None,
                next: None,
                related: Vec::new(),
                meta,
            }
        })
        .collect();

    let mut slugs: BTreeMap<String, PathBuf> = BTreeMap::new();
    for (r, src) in reports.iter_mut().zip(&sources.reports) {
        r.slug = match &src.meta.slug {
            Some(s) => match slug::validate(s) {
                Ok(()) => s.clone(),
                Err(msg) => {
                    let (l, c) = src.positions["slug"];
                    errors.push(Diagnostic::error(&src.path, l, c, msg));
                    continue;
                }
            },
            None => slug::slugify(&src.stem),
        };
        if let Some(other) = slugs.get(&r.slug) {
            let (l, c) = src.positions["slug"];
            errors.push(Diagnostic::error(
                &src.path,
                l,
                c,
                format!(
                    "duplicate slug `{}`: {} has it too; set a distinct `slug:` in one of them",
                    r.slug,
                    other.display()
                ),
            ));
        } else {
            slugs.insert(r.slug.clone(), src.path.clone());
        }
    }

    let mut pages = Vec::new();
    let mut page_slugs: BTreeMap<String, PathBuf> = BTreeMap::new();
    for src in &sources.pages {
        let slug = match &src.meta.slug {
            Some(s) => match slug::validate(s) {
                Ok(()) => s.clone(),
                Err(msg) => {
                    let (l, c) = src.positions["slug"];
                    errors.push(Diagnostic::error(&src.path, l, c, msg));
                    continue;
                }
            },
            None => slug::slugify(&src.stem),
        };
        if let Some(other) = page_slugs.insert(slug.clone(), src.path.clone()) {
            errors.push(Diagnostic::error(
                &src.path,
                src.positions["slug"].0,
                1,
                format!(
                    "duplicate page slug `{slug}`: {} has it too",
                    other.display()
                ),
            ));
        }
        pages.push(Page {
            slug,
            path: src.path.clone(),
            meta: src.meta.clone(),
            body: markdown::render(&src.body, src.body_line),
        });
    }
    if !errors.is_empty() {
        errors.extend(diags);
        errors.sort();
        return Err(Error::Content(errors));
    }
    pages.sort_by(|a, b| {
        (a.meta.placement, a.meta.weight, &a.slug).cmp(&(b.meta.placement, b.meta.weight, &b.slug))
    });

    warn_unknown(&config, sources, &mut diags);

    // Cities, sections and tactics, in configured order first.
    let city_names = ordered_names(
        config.cities.iter().map(String::as_str),
        reports.iter().map(|r| r.meta.city.as_str()),
    );
    let section_names = ordered_names(
        config.sections.iter().map(|s| s.name()),
        reports.iter().filter_map(|r| r.meta.section.as_deref()),
    );
    let city_rank = |name: &str| {
        city_names
            .iter()
            .position(|c| c == name)
            .unwrap_or(usize::MAX)
    };
    let section_rank = |name: Option<&str>| {
        name.and_then(|n| section_names.iter().position(|s| s == n))
            .unwrap_or(usize::MAX)
    };
    let by_city = |name: Option<&str>| {
        config
            .sections
            .iter()
            .any(|s| Some(s.name()) == name && s.by_city())
    };
    reports.sort_by(|a, b| {
        let key = |r: &Report| {
            let sec = r.meta.section.as_deref();
            let city = city_rank(&r.meta.city);
            let (first, second) = if by_city(sec) {
                (city as i64, r.meta.weight)
            } else {
                (r.meta.weight, city as i64)
            };
            (
                section_rank(sec),
                first,
                second,
                r.meta.title.clone(),
                r.slug.clone(),
            )
        };
        key(a).cmp(&key(b))
    });

    let city_slugs = unique_slugs(&city_names, &[]);
    let section_slugs = unique_slugs(&section_names, &[]);
    let tactic_names = ordered_names(
        config.tactics.keys().map(String::as_str),
        reports
            .iter()
            .flat_map(|r| r.meta.tactics.iter().map(String::as_str)),
    );
    let tactic_slugs = unique_slugs(&tactic_names, RESERVED_TACTIC_SLUGS);
    for r in &mut reports {
        r.city_slug = city_slugs[&r.meta.city].clone();
        r.section_slug = r.meta.section.as_ref().map(|s| section_slugs[s].clone());
        r.tactic_slugs = r
            .meta
            .tactics
            .iter()
            .map(|t| tactic_slugs[t].clone())
            .collect();
    }

    let metrics = metric_columns(&config, &reports);

    let mut cities: Vec<City> = city_names
        .iter()
        .map(|name| {
            let members: Vec<usize> = (0..reports.len())
                .filter(|&i| reports[i].meta.city == *name)
                .collect();
            let mut counties: Vec<(String, Vec<usize>)> = Vec::new();
            for &i in &members {
                let county = reports[i].meta.county.clone().unwrap_or_default();
                match counties.iter_mut().find(|(c, _)| *c == county) {
                    Some((_, list)) => list.push(i),
                    None => counties.push((county, vec![i])),
                }
            }
            let aggregates = metrics
                .iter()
                .map(|m| {
                    let values: Vec<f64> = members
                        .iter()
                        .filter_map(|&i| reports[i].meta.metrics.get(&m.key).copied().flatten())
                        .collect();
                    m.aggregate.apply(&values)
                })
                .collect();
            City {
                group: Group {
                    name: name.clone(),
                    slug: city_slugs[name].clone(),
                    description: String::new(),
                    reports: members,
                },
                counties,
                aggregates,
            }
        })
        .filter(|c| !c.group.reports.is_empty())
        .collect();
    cities.sort_by_key(|c| city_rank(&c.group.name));

    // Prev/next run through each city in contents order.
    for city in &cities {
        for w in city.group.reports.windows(2) {
            reports[w[0]].next = Some(w[1]);
            reports[w[1]].prev = Some(w[0]);
        }
    }

    let sections: Vec<Section> = section_names
        .iter()
        .map(|name| {
            let members: Vec<usize> = (0..reports.len())
                .filter(|&i| reports[i].meta.section.as_deref() == Some(name))
                .collect();
            let grouped = if by_city(Some(name)) {
                cities
                    .iter()
                    .enumerate()
                    .map(|(ci, c)| {
                        let list: Vec<usize> = members
                            .iter()
                            .copied()
                            .filter(|i| reports[*i].meta.city == c.group.name)
                            .collect();
                        (ci, list)
                    })
                    .filter(|(_, l)| !l.is_empty())
                    .collect()
            } else {
                Vec::new()
            };
            let description = config
                .sections
                .iter()
                .find(|s| s.name() == name)
                .map(|s| s.description().to_string())
                .unwrap_or_default();
            Section {
                group: Group {
                    name: name.clone(),
                    slug: section_slugs[name].clone(),
                    description,
                    reports: members,
                },
                by_city: grouped,
            }
        })
        .filter(|s| !s.group.reports.is_empty())
        .collect();
    // Reports without a section still belong in the contents and the print edition: they form
    // a last group of their own (a site of bare reports is then one group, not an empty page).
    let unsectioned: Vec<usize> = (0..reports.len())
        .filter(|&i| reports[i].meta.section.is_none())
        .collect();
    let mut sections = sections;
    if !unsectioned.is_empty() {
        let taken: BTreeSet<&str> = sections.iter().map(|s| s.group.slug.as_str()).collect();
        let mut slug = "other".to_string();
        let mut n = 2;
        while taken.contains(slug.as_str()) {
            slug = format!("other-{n}");
            n += 1;
        }
        sections.push(Section {
            group: Group {
                name: if sections.is_empty() {
                    "报告"
                } else {
                    "其他"
                }
                .to_string(),
                slug,
                description: String::new(),
                reports: unsectioned,
            },
            by_city: Vec::new(),
        });
    }

    let mut tactics: Vec<Group> = tactic_names
        .iter()
        .map(|name| Group {
            name: name.clone(),
            slug: tactic_slugs[name].clone(),
            description: config
                .tactics
                .get(name)
                .map(|d| d.description.clone())
                .unwrap_or_default(),
            reports: (0..reports.len())
                .filter(|&i| reports[i].meta.tactics.contains(name))
                .collect(),
        })
        .filter(|g| !g.reports.is_empty())
        .collect();
    // Stable sort: equal counts keep vocabulary order.
    tactics.sort_by_key(|t| std::cmp::Reverse(t.reports.len()));

    related::assign(&mut reports);
    diags.sort();
    diags.dedup();
    Ok(Site {
        config,
        reports,
        pages,
        cities,
        tactics,
        sections,
        metrics,
        diagnostics: diags,
    })
}

/// Configured names first, then names only used in content, sorted.
fn ordered_names<'a>(
    configured: impl Iterator<Item = &'a str>,
    used: impl Iterator<Item = &'a str>,
) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for n in configured {
        if !names.iter().any(|x| x == n) {
            names.push(n.to_string());
        }
    }
    let extra: BTreeSet<&str> = used.filter(|u| !names.iter().any(|n| n == u)).collect();
    names.extend(extra.into_iter().map(str::to_string));
    names
}

/// Slugs for names, made unique deterministically (`-2`, `-3`... in name order) and kept off
/// reserved segments.
fn unique_slugs(names: &[String], reserved: &[&str]) -> BTreeMap<String, String> {
    let mut taken: BTreeSet<String> = reserved.iter().map(|s| s.to_string()).collect();
    let mut out = BTreeMap::new();
    for name in names {
        let base = slug::slugify(name);
        let mut s = base.clone();
        let mut n = 2;
        while !taken.insert(s.clone()) {
            s = format!("{base}-{n}");
            n += 1;
        }
        out.insert(name.clone(), s);
    }
    out
}

fn metric_columns(config: &SiteConfig, reports: &[Report]) -> Vec<Metric> {
    let mut cols: Vec<Metric> = config
        .metrics
        .iter()
        .map(|(k, d)| Metric {
            key: k.clone(),
            label: d.label.clone(),
            unit: d.unit.clone(),
            aggregate: d.aggregate,
            known: true,
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
    }));
    // A registry metric no report gives would be an empty column: leave it out.
    cols.retain(|m| {
        reports
            .iter()
            .any(|r| r.meta.metrics.get(&m.key).is_some_and(|v| v.is_some()))
    });
    cols
}

/// Warnings for names the configuration does not know, with the closest known one.
fn warn_unknown(config: &SiteConfig, sources: &Sources, diags: &mut Vec<Diagnostic>) {
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

/// Tactic index by name, for callers that need lookups.
pub fn tactic_index(site: &Site) -> IndexMap<&str, usize> {
    site.tactics
        .iter()
        .enumerate()
        .map(|(i, t)| (t.name.as_str(), i))
        .collect()
}

/// Whether a page is listed in the contents.
pub fn page_listed(p: &Page) -> bool {
    p.meta.placement != Placement::None
}
