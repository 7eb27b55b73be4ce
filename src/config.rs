//! Site configuration: `site.yaml` as a typed [`SiteConfig`], with a default for every setting.
//!
//! Parsing the YAML happens in `load`; this module only owns the types and their defaults.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// The whole of `site.yaml`. Every field has a default, so a site needs no config file at all.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SiteConfig {
    /// Site title, shown in the header and the feed.
    pub title: String,
    /// A line under the title.
    pub subtitle: Option<String>,
    /// Meta description and feed subtitle.
    pub description: Option<String>,
    /// BCP 47 language tag for `<html lang>`.
    pub language: String,
    /// Absolute URL the site is published at; used for the feed, sitemap and 404 page only.
    /// Every other link is relative, so the site works at any sub-path and from disk.
    pub base_url: Option<String>,
    /// The share image of pages without a photo of their own (`og:image`): a path relative to
    /// the site's root folder, e.g. a file of `static/`. Used only with `base_url` (share
    /// cards need an absolute URL).
    pub og_image: Option<String>,
    /// Theme folder name under `themes/` whose files override the embedded default theme.
    pub theme: String,
    /// Display order of sections; sections not listed follow in name order.
    pub sections: Vec<SectionDef>,
    /// Display order of cities, each a name or `{ name, tile: [col, row] }` (its square on the
    /// tile map); cities not listed follow in name order.
    pub cities: Vec<CityDef>,
    /// Metric registry in display order.
    pub metrics: IndexMap<String, MetricDef>,
    /// Tactics vocabulary in display order.
    pub tactics: IndexMap<String, TacticDef>,
    /// Reports per page of a listing (city, tactic, section); a longer listing continues on
    /// `page/2/`, `page/3/`... 0 keeps every listing on one page.
    pub paginate_by: usize,
    /// How much one page holds before the contents, the print edition and the metrics split.
    pub limits: Limits,
    /// The domain's nouns, over the theme's defaults for the language: `report`, `town`,
    /// `county`, `city` (e.g. `{ report: 案例, county: 区县 }`); see `src/i18n.rs`.
    pub nouns: IndexMap<String, String>,
}

/// Sizes past which a page that shows every report splits (see `render/pages/book.rs`).
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Reports in one print volume: past it the print edition is volumes of this size. 500
    /// reports are some 1.5 MB of HTML and 550 printed pages at the digest's density.
    pub print_volume: usize,
    /// Lines of one contents page: past it the contents is an overview of its parts.
    pub contents_page: usize,
    /// Rows of one metrics table: past it every city has its own, paginated.
    pub metrics_table: usize,
    /// Largest content file read, in MiB (64 by default): a report with a long table or an
    /// appendix stays far below it, a pasted binary or log does not.
    pub max_file_mb: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            print_volume: 500,
            contents_page: 2000,
            metrics_table: 500,
            max_file_mb: crate::load::MAX_FILE_BYTES / (1024 * 1024),
        }
    }
}

/// Reports per listing page unless `site.yaml` says otherwise: a page of 100 entries is some
/// 100 KB of HTML, quick on a phone, and few enough to scan.
pub const DEFAULT_PAGINATE_BY: usize = 100;

impl Default for SiteConfig {
    fn default() -> Self {
        SiteConfig {
            title: "案例汇编".to_string(),
            subtitle: None,
            description: None,
            language: "zh-CN".to_string(),
            base_url: None,
            og_image: None,
            theme: "default".to_string(),
            sections: Vec::new(),
            cities: Vec::new(),
            metrics: IndexMap::new(),
            tactics: IndexMap::new(),
            paginate_by: DEFAULT_PAGINATE_BY,
            limits: Limits::default(),
            nouns: IndexMap::new(),
        }
    }
}

impl SiteConfig {
    /// Resolves a tactic name or one of its aliases to the vocabulary's name.
    pub fn canonical_tactic<'a>(&'a self, name: &'a str) -> &'a str {
        if self.tactics.contains_key(name) {
            return name;
        }
        self.tactics
            .iter()
            .find(|(_, def)| def.aliases.iter().any(|a| a == name))
            .map_or(name, |(canonical, _)| canonical.as_str())
    }

    /// What is wrong with a tactic the vocabulary does not know (an alias counts as known),
    /// with the closest known name; `None` when it is known or there is no vocabulary.
    pub fn unknown_tactic(&self, tactic: &str) -> Option<String> {
        let t = tactic.trim();
        (!self.tactics.is_empty() && !self.tactics.contains_key(self.canonical_tactic(t))).then(
            || {
                format!(
                    "tactic `{t}` is not in the vocabulary of site.yaml{}",
                    hint(t, self.tactics.keys().map(String::as_str))
                )
            },
        )
    }

    /// What is wrong with a metric key the registry does not know.
    pub fn unknown_metric(&self, key: &str) -> Option<String> {
        (!self.metrics.is_empty() && !self.metrics.contains_key(key)).then(|| {
            format!(
                "metric `{key}` is not in the registry of site.yaml{}",
                hint(key, self.metrics.keys().map(String::as_str))
            )
        })
    }

    /// What is wrong with a city `site.yaml` does not list.
    pub fn unknown_city(&self, city: &str) -> Option<String> {
        (!self.cities.is_empty() && !self.cities.iter().any(|c| c.name() == city)).then(|| {
            format!(
                "city `{city}` is not listed in site.yaml{}",
                hint(city, self.cities.iter().map(CityDef::name))
            )
        })
    }

    /// What is wrong with a section `site.yaml` does not list.
    pub fn unknown_section(&self, section: &str) -> Option<String> {
        (!self.sections.is_empty() && !self.sections.iter().any(|s| s.name() == section)).then(
            || {
                format!(
                    "section `{section}` is not listed in site.yaml{}",
                    hint(section, self.sections.iter().map(|s| s.name()))
                )
            },
        )
    }
}

/// `; did you mean `x`?` for the known name closest to `name`, or nothing.
fn hint<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    crate::error::suggest(name, known)
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default()
}

/// One metric of the registry.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct MetricDef {
    /// Human label, e.g. 工会会员.
    pub label: String,
    /// Unit shown after the value, e.g. 人 or %.
    #[serde(default)]
    pub unit: String,
    /// How per-city figures combine.
    #[serde(default)]
    pub aggregate: Aggregate,
    /// The group the metric belongs to in the metrics tables (组织, 服务...): consecutive
    /// metrics of a group share a header over their columns, and the column picker offers
    /// them together.
    #[serde(default)]
    pub group: Option<String>,
}

/// How a metric's values combine across reports.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Aggregate {
    /// Add the values up.
    #[default]
    Sum,
    /// Arithmetic mean of the reports that give a value.
    Mean,
    /// The largest value.
    Max,
}

impl Aggregate {
    /// Combines values; `None` when there are none.
    pub fn apply(self, values: &[f64]) -> Option<f64> {
        if values.is_empty() {
            return None;
        }
        Some(match self {
            Aggregate::Sum => values.iter().sum(),
            Aggregate::Mean => values.iter().sum::<f64>() / values.len() as f64,
            Aggregate::Max => values.iter().copied().fold(f64::MIN, f64::max),
        })
    }

    /// The key of its label among the interface strings (`aggregate.sum`: 合计, total).
    pub fn key(self) -> &'static str {
        match self {
            Aggregate::Sum => "aggregate.sum",
            Aggregate::Mean => "aggregate.mean",
            Aggregate::Max => "aggregate.max",
        }
    }
}

/// One tactic of the vocabulary.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TacticDef {
    /// One line saying what the tactic is.
    #[serde(default)]
    pub description: String,
    /// Other names editors may write; they resolve to this tactic.
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// Largest column or row of a tile: the map is a cartogram of a province or country's cities,
/// and a typo such as `[3, 300]` would otherwise draw a map hundreds of tiles tall.
pub const MAX_TILE: u16 = 40;

/// A city in `site.yaml`: a plain name, or a map with its place on the tile map.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum CityDef {
    /// Just the name.
    Name(String),
    /// Name with options.
    Full {
        /// City name as used in front matter.
        name: String,
        /// Its square on the tile map, `[column, row]` from the top left (0-based).
        #[serde(default)]
        tile: Option<[u16; 2]>,
    },
}

impl CityDef {
    /// The city's name.
    pub fn name(&self) -> &str {
        match self {
            CityDef::Name(n) | CityDef::Full { name: n, .. } => n,
        }
    }

    /// Its tile `(column, row)`, if given.
    pub fn tile(&self) -> Option<(u16, u16)> {
        match self {
            CityDef::Full {
                tile: Some([c, r]), ..
            } => Some((*c, *r)),
            _ => None,
        }
    }
}

/// A section in `site.yaml`: a plain name, or a map with options.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum SectionDef {
    /// Just the name.
    Name(String),
    /// Name with options.
    Full {
        /// Section name as used in front matter.
        name: String,
        /// List the section's reports grouped by city, in the configured city order (as the
        /// printed compendium does for its sketches).
        #[serde(default)]
        by_city: bool,
        /// One line shown on the section page.
        #[serde(default)]
        description: String,
    },
}

impl SectionDef {
    /// The section's name.
    pub fn name(&self) -> &str {
        match self {
            SectionDef::Name(n) | SectionDef::Full { name: n, .. } => n,
        }
    }

    /// Whether its reports are grouped by city.
    pub fn by_city(&self) -> bool {
        matches!(self, SectionDef::Full { by_city: true, .. })
    }

    /// Its description, empty when none.
    pub fn description(&self) -> &str {
        match self {
            SectionDef::Full { description, .. } => description,
            SectionDef::Name(_) => "",
        }
    }
}
