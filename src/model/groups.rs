//! Groups of reports: the names and slugs of cities, sections and tactics, the contents order,
//! and each group's members. Every group is filled in one pass over the reports (a filter per
//! group was quadratic in the number of groups and reports).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::{City, Group, Metric, Report, Section};
use crate::config::SiteConfig;
use crate::slug;

/// URL segments the site uses itself under `tactics/`; a tactic may not take them.
const RESERVED_TACTIC_SLUGS: &[&str] = &["map"];

/// Slug by name; a slug shared by every report that names it (a tactic is named by thousands).
type Slugs = foldhash::HashMap<String, Arc<str>>;

/// The names of the site's cities, sections and tactics, configured ones first, and their
/// slugs.
#[derive(Debug, Clone)]
pub(super) struct Names {
    cities: Vec<String>,
    sections: Vec<String>,
    tactics: Vec<String>,
    city_slugs: Slugs,
    section_slugs: Slugs,
    tactic_slugs: Slugs,
    /// Sections listed by city.
    by_city: BTreeSet<String>,
}

impl Names {
    pub(super) fn new(config: &SiteConfig, reports: &[Report]) -> Self {
        let cities = ordered_names(
            config.cities.iter().map(crate::config::CityDef::name),
            reports.iter().map(|r| r.meta.city.as_str()),
        );
        let sections = ordered_names(
            config.sections.iter().map(|s| s.name()),
            reports.iter().filter_map(|r| r.meta.section.as_deref()),
        );
        let tactics = ordered_names(
            config.tactics.keys().map(String::as_str),
            reports
                .iter()
                .flat_map(|r| r.meta.tactics.iter().map(String::as_str)),
        );
        Names {
            city_slugs: unique_slugs(&cities, &[]),
            section_slugs: unique_slugs(&sections, &[]),
            tactic_slugs: unique_slugs(&tactics, RESERVED_TACTIC_SLUGS),
            by_city: config
                .sections
                .iter()
                .filter(|s| s.by_city())
                .map(|s| s.name().to_string())
                .collect(),
            cities,
            sections,
            tactics,
        }
    }

    fn city_rank(&self, name: &str) -> usize {
        self.cities
            .iter()
            .position(|c| c == name)
            .unwrap_or(usize::MAX)
    }

    fn section_rank(&self, name: Option<&str>) -> usize {
        name.and_then(|n| self.sections.iter().position(|s| s == n))
            .unwrap_or(usize::MAX)
    }

    fn by_city(&self, section: Option<&str>) -> bool {
        section.is_some_and(|s| self.by_city.contains(s))
    }

    /// The slugs of `tactics`, in their order; `None` if one is not among the names (a patch
    /// that names a tactic no report used before needs the names made anew).
    pub(super) fn tactic_slugs_of(&self, tactics: &[String]) -> Option<Vec<Arc<str>>> {
        tactics
            .iter()
            .map(|t| self.tactic_slugs.get(t).map(Arc::clone))
            .collect()
    }

    /// Gives each report its city, section and tactic slugs.
    pub(super) fn assign(&self, reports: &mut [Report]) {
        for r in reports {
            r.city_slug = Arc::clone(&self.city_slugs[&r.meta.city]);
            r.section_slug = r
                .meta
                .section
                .as_ref()
                .map(|s| Arc::clone(&self.section_slugs[s]));
            r.tactic_slugs = r
                .meta
                .tactics
                .iter()
                .map(|t| Arc::clone(&self.tactic_slugs[t]))
                .collect();
        }
    }
}

/// Sorts reports into the printed order: by section, then by city and weight (by weight and
/// city where the section is not listed by city), then title and slug.
pub(super) fn order(reports: &mut Vec<Report>, names: &Names) {
    // Ranks computed once per report, titles and slugs compared where they lie: cloning them
    // into sort keys was most of the sort at 100x the digest.
    let ranks: Vec<Rank> = reports.iter().map(|r| rank(names, r)).collect();
    let mut by: Vec<usize> = (0..reports.len()).collect();
    by.sort_by(|&a, &b| in_order((ranks[a], &reports[a]), (ranks[b], &reports[b])));
    let mut slots: Vec<Option<Report>> = std::mem::take(reports).into_iter().map(Some).collect();
    reports.extend(by.into_iter().filter_map(|i| slots[i].take()));
}

/// Whether `a` comes before `b` in the contents order [`order`] sorts reports into.
pub(super) fn precedes(names: &Names, a: &Report, b: &Report) -> bool {
    in_order((rank(names, a), a), (rank(names, b), b)) == std::cmp::Ordering::Less
}

/// A report's place by section, city and weight (which of the two first depends on its
/// section).
type Rank = (usize, i64, i64);

fn rank(names: &Names, r: &Report) -> Rank {
    let sec = r.meta.section.as_deref();
    let city = names.city_rank(&r.meta.city) as i64;
    let (first, second) = if names.by_city(sec) {
        (city, r.meta.weight)
    } else {
        (r.meta.weight, city)
    };
    (names.section_rank(sec), first, second)
}

/// The contents order: rank, then title, then slug (unique, so no two reports tie).
fn in_order((ra, x): (Rank, &Report), (rb, y): (Rank, &Report)) -> std::cmp::Ordering {
    ra.cmp(&rb)
        .then_with(|| x.meta.title.cmp(&y.meta.title))
        .then_with(|| x.slug.cmp(&y.slug))
}

/// Each name's members, in report order, in one pass.
fn members<'a>(
    names: &[String],
    reports: &'a [Report],
    of: impl Fn(&'a Report) -> Vec<&'a str>,
) -> Vec<Vec<usize>> {
    let index: BTreeMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let mut members = vec![Vec::new(); names.len()];
    for (i, r) in reports.iter().enumerate() {
        for name in of(r) {
            if let Some(&k) = index.get(name) {
                members[k].push(i);
            }
        }
    }
    members
}

/// The cities with reports, in configured order, each with its counties (in order of first
/// appearance) and metric aggregates.
pub(super) fn cities(reports: &[Report], names: &Names, metrics: &[Metric]) -> Vec<City> {
    let members = members(&names.cities, reports, |r| vec![r.meta.city.as_str()]);
    names
        .cities
        .iter()
        .zip(members)
        .filter(|(_, m)| !m.is_empty())
        .map(|(name, members)| {
            let mut counties: Vec<(String, Vec<usize>)> = Vec::new();
            let mut county_index: BTreeMap<&str, usize> = BTreeMap::new();
            for &i in &members {
                let county = reports[i].meta.county.as_deref().unwrap_or_default();
                let k = *county_index.entry(county).or_insert_with(|| {
                    counties.push((county.to_string(), Vec::new()));
                    counties.len() - 1
                });
                counties[k].1.push(i);
            }
            let (aggregates, reported) = metrics
                .iter()
                .map(|m| {
                    let values: Vec<f64> = members
                        .iter()
                        .filter_map(|&i| reports[i].meta.metrics.get(&m.key).copied().flatten())
                        .collect();
                    (m.aggregate.apply(&values), values.len())
                })
                .unzip();
            City {
                group: Group {
                    name: name.clone(),
                    slug: names.city_slugs[name].to_string(),
                    description: String::new(),
                    reports: members,
                },
                counties,
                aggregates,
                reported,
            }
        })
        .collect()
}

/// The sections with reports, in configured order, grouped by city where configured; reports
/// without a section form a last group of their own.
pub(super) fn sections(
    reports: &[Report],
    config: &SiteConfig,
    names: &Names,
    cities: &[City],
    strings: &crate::i18n::Strings,
) -> Vec<Section> {
    let city_index: BTreeMap<&str, usize> = cities
        .iter()
        .enumerate()
        .map(|(ci, c)| (c.group.name.as_str(), ci))
        .collect();
    let members = members(&names.sections, reports, |r| {
        r.meta.section.as_deref().into_iter().collect()
    });
    let mut sections: Vec<Section> = names
        .sections
        .iter()
        .zip(members)
        .filter(|(_, m)| !m.is_empty())
        .map(|(name, members)| {
            let by_city = if names.by_city(Some(name)) {
                let mut by_city = vec![Vec::new(); cities.len()];
                for &i in &members {
                    by_city[city_index[reports[i].meta.city.as_str()]].push(i);
                }
                by_city
                    .into_iter()
                    .enumerate()
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
                    slug: names.section_slugs[name].to_string(),
                    description,
                    reports: members,
                },
                by_city,
            }
        })
        .collect();
    // Reports without a section still belong in the contents and the print edition: they form
    // a last group of their own (a site of bare reports is then one group, not an empty page).
    let unsectioned: Vec<usize> = (0..reports.len())
        .filter(|&i| reports[i].meta.section.is_none())
        .collect();
    if !unsectioned.is_empty() {
        let taken: BTreeSet<&str> = sections.iter().map(|s| s.group.slug.as_str()).collect();
        let mut slug = "other".to_string();
        let mut n = 2;
        while taken.contains(slug.as_str()) {
            slug = format!("other-{n}");
            n += 1;
        }
        let name = strings.get(if sections.is_empty() {
            "group.reports"
        } else {
            "group.other"
        });
        sections.push(Section {
            group: Group {
                name: name.to_string(),
                slug,
                description: String::new(),
                reports: unsectioned,
            },
            by_city: Vec::new(),
        });
    }
    sections
}

/// The tactics with reports, most used first (equal counts keep vocabulary order).
pub(super) fn tactics(reports: &[Report], config: &SiteConfig, names: &Names) -> Vec<Group> {
    let members = members(&names.tactics, reports, |r| {
        r.meta.tactics.iter().map(String::as_str).collect()
    });
    let mut tactics: Vec<Group> = names
        .tactics
        .iter()
        .zip(members)
        .filter(|(_, m)| !m.is_empty())
        .map(|(name, reports)| Group {
            name: name.clone(),
            slug: names.tactic_slugs[name].to_string(),
            description: config
                .tactics
                .get(name)
                .map(|d| d.description.clone())
                .unwrap_or_default(),
            reports,
        })
        .collect();
    tactics.sort_by_key(|t| std::cmp::Reverse(t.reports.len()));
    tactics
}

/// Configured names first, then names only used in content, sorted.
fn ordered_names<'a>(
    configured: impl Iterator<Item = &'a str>,
    used: impl Iterator<Item = &'a str>,
) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut seen: foldhash::HashSet<&str> = foldhash::HashSet::default();
    for n in configured {
        if seen.insert(n) {
            names.push(n.to_string());
        }
    }
    // A set, not a scan of the names: a tactic is named some 70,000 times at 100x the digest.
    let extra: BTreeSet<&str> = used.filter(|u| !seen.contains(u)).collect();
    names.extend(extra.into_iter().map(str::to_string));
    names
}

/// Slugs for names, made unique deterministically (`-2`, `-3`... in name order) and kept off
/// reserved segments.
fn unique_slugs(names: &[String], reserved: &[&str]) -> Slugs {
    let mut taken: BTreeSet<String> = reserved.iter().map(|s| s.to_string()).collect();
    let mut out = Slugs::default();
    for name in names {
        // A name is content and its slug a folder of the output: kept within the slug length
        // limit (a long Chinese name is a longer pinyin slug) and off Windows device names,
        // which the loader refuses for report slugs and which here have no `slug:` to fix them.
        let mut base = slug::slugify(name);
        if base.len() > slug::MAX_SLUG_BYTES - 16 {
            base.truncate(slug::MAX_SLUG_BYTES - 16);
            base.truncate(base.trim_end_matches('-').len());
        }
        if slug::is_windows_reserved(&base) {
            base.push_str("-1");
        }
        let mut s = base.clone();
        let mut n = 2;
        while !taken.insert(s.clone()) {
            s = format!("{base}-{n}");
            n += 1;
        }
        out.insert(name.clone(), s.into());
    }
    out
}
