//! Model stage: [`Sources`] become a [`Site`]: slugs, groups (cities, tactics, sections), the
//! printed order, prev/next, related reports, metric aggregates. Markdown is parsed here, once.
//!
//! Entry point: [`build`]. No I/O, no templates; every map is ordered so output is reproducible.

mod groups;
mod metrics;
mod news;
mod patch;
mod related;
mod warnings;

pub use news::News;

use std::path::PathBuf;
use std::sync::Arc;

use indexmap::IndexMap;
use rayon::prelude::*;
use serde::Serialize;

use crate::config::{Aggregate, SiteConfig};
use crate::error::{Diagnostic, Result};
use crate::error::{Error, Level};
use crate::load::{
    Bundle, PageMeta, PageSource, Placement, ReportMeta, ReportSource, Source, Sources,
};
use crate::markdown::{self, Body};
use crate::media::Media;
use crate::urls::Route;

pub use related::Related;

/// The whole site, ready to render and index.
#[derive(Debug, Clone)]
pub struct Site {
    /// Configuration.
    pub config: SiteConfig,
    /// Reports in contents order.
    pub reports: Vec<Report>,
    /// Pages in contents order (front, back, then unlisted).
    pub pages: Vec<Page>,
    /// News items, newest first.
    pub news: Vec<News>,
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
    /// The interface strings in the site's language (theme, then `nouns:` of site.yaml).
    pub strings: Arc<crate::i18n::Strings>,
    /// The bundles' images as the image stage made them (empty until it ran: `check` renders
    /// without it, images then are plain `<img>`).
    pub media: Media,
}

/// One report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// URL segment, unique.
    pub slug: String,
    /// Source file relative to the root.
    pub path: PathBuf,
    /// Front matter (tactics resolved to the vocabulary's names). Shared with a [`ModelCache`]
    /// while the file and its tactics' names are unchanged: the render cache knows an unchanged
    /// report by this allocation instead of serializing it again.
    #[serde(flatten)]
    pub meta: Arc<ReportMeta>,
    /// Slugs of [`ReportMeta::tactics`], same order.
    pub tactic_slugs: Vec<Arc<str>>,
    /// Slug of the city.
    pub city_slug: Arc<str>,
    /// Slug of the section, if any.
    pub section_slug: Option<Arc<str>>,
    /// Rendered body (shared with a [`ModelCache`], which keeps it while the file is unchanged).
    pub body: Arc<Body>,
    /// Previous report in its city (index into [`Site::reports`]).
    pub prev: Option<usize>,
    /// Next report in its city.
    pub next: Option<usize>,
    /// Up to five related reports (shared with a [`ModelCache`], which keeps them while no
    /// report's slug, place or tactics changed).
    pub related: Arc<[Related]>,
    /// News items about this report (indices into [`Site::news`]), newest first.
    pub news: Vec<usize>,
    /// The files beside it when it is a page bundle.
    #[serde(skip)]
    pub bundle: Option<Bundle>,
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
    pub meta: PageMeta,
    /// Rendered body.
    pub body: Arc<Body>,
    /// The files beside it when it is a page bundle.
    #[serde(skip)]
    pub bundle: Option<Bundle>,
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
    /// How many of the city's reports give each metric: an aggregate covers only these, and
    /// every page that shows one says so.
    pub reported: Vec<usize>,
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
    /// Its group in the registry, if any.
    pub group: Option<String>,
}

impl Site {
    /// Whether any report names a section. Without one, the reports still form one group for
    /// the contents and the print edition, but the site shows no sections: no index, no link,
    /// no label ("其他" over every report would say nothing).
    pub fn sectioned(&self) -> bool {
        self.reports.iter().any(|r| r.meta.section.is_some())
    }

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

/// Builds the site model from what load read (slugs were checked there).
pub fn build(sources: &Sources) -> Result<Site> {
    build_with(sources, &mut ModelCache::default(), &Bodies::Held, None).map(|b| b.site)
}

/// What [`build_cached`] keeps between runs: each file's parsed body, with the source it was
/// parsed from (while a file is unchanged the load cache hands back the very same source, and
/// its body is not parsed again); each report's related reports and warnings; and the last model
/// itself, which a save of one report patches when it can (`model/patch.rs`).
#[derive(Debug, Default)]
pub struct ModelCache {
    reports: ByPointer<KeptReport>,
    pages: ByPointer<(Arc<PageSource>, Arc<Body>)>,
    /// Bodies parsed (not taken from the cache) by the last run.
    pub parsed: usize,
    /// The related reports of the last run, with the key of what they were ranked from.
    related: related::Memo,
    /// The unknown names of each report of the last run.
    warnings: warnings::Memo,
    /// The last model and what it was made from, for [`patch`] to update.
    last: Option<Box<patch::Last>>,
    /// Whether the last run updated the model before it instead of building it anew.
    pub patched: bool,
}

/// What the model keeps of each source between runs, by the address of the very source it was
/// made from: an unchanged file is the same allocation from the load cache (a changed one is
/// new, and parsed again), and the entry holds that allocation, so no other source can take its
/// address while it is kept. Hashing an address, not a path, is a fraction of the lookup.
type ByPointer<T> = foldhash::HashMap<usize, T>;

/// The key of `src` in a [`ByPointer`] map.
fn address<M>(src: &Arc<Source<M>>) -> usize {
    Arc::as_ptr(src) as usize
}

/// The body of `src`: the cached one if it was parsed from this very source.
/// `route` names its page (where a bundle's files are published).
fn body_of<M>(
    cached: &ByPointer<(Arc<Source<M>>, Arc<Body>)>,
    src: &Arc<Source<M>>,
    route: for<'s> fn(&'s str) -> Route<'s>,
) -> (bool, Arc<Body>) {
    match cached.get(&address(src)) {
        Some((source, body)) if Arc::ptr_eq(source, src) => (false, Arc::clone(body)),
        _ => (true, Arc::new(parse_body(src, route))),
    }
}

/// The body of `src` parsed; `route` names its page (where a bundle's files are published).
fn parse_body<M>(src: &Source<M>, route: for<'s> fn(&'s str) -> Route<'s>) -> Body {
    markdown::render_in(
        &src.body,
        src.body_line,
        bundle_folder(src, route).as_deref(),
    )
}

/// The site folder of `src`'s bundle, when it is one.
fn bundle_folder<M>(src: &Source<M>, route: for<'s> fn(&'s str) -> Route<'s>) -> Option<String> {
    src.bundle
        .as_ref()
        .map(|_| crate::media::folder(&route(&src.slug)))
}

/// Where the model keeps report bodies.
#[derive(Debug, Clone, Default)]
pub enum Bodies {
    /// Whole, in memory: `check`, `serve`, and builds of sites up to a size.
    #[default]
    Held,
    /// Lean ([`Body::lean`]): each page and the index parse a body again from its file under
    /// `root` when they need its HTML or text. A build of a large site, whose bodies would
    /// otherwise be most of its memory.
    Lean {
        /// The project's root, which report paths are relative to.
        root: PathBuf,
    },
}

/// [`build`], parsing again only the bodies whose Markdown changed since the last run with the
/// same cache. When one report changed and nothing the others' places depend on, the last model
/// is updated instead ([`patch`]); else groups, order and related reports are recomputed (from
/// the cache where they can be).
pub fn build_cached(sources: &Sources, cache: &mut ModelCache) -> Result<Site> {
    if let Some(site) = patch::patch(sources, cache) {
        cache.patched = true;
        return Ok(site);
    }
    cache.patched = false;
    // Dropped first: the last model is not held twice while the new one is built.
    cache.last = None;
    let built = build_with(sources, cache, &Bodies::Held, None)?;
    cache.last = patch::Last::new(&built, sources, cache.warnings.key()).map(Box::new);
    Ok(built.site)
}

/// [`build`], keeping report bodies as `bodies` says.
/// With lean bodies, each report's Markdown is taken out of `sources` and dropped once parsed,
/// so the model never holds the collection's Markdown beside what it makes of it (at 1000x
/// the digest 197 MB).
pub fn build_lean(sources: &mut Sources, bodies: &Bodies) -> Result<Site> {
    let raw = match bodies {
        Bodies::Held => None,
        Bodies::Lean { .. } => Some(
            sources
                .reports
                .iter_mut()
                .map(|src| Arc::get_mut(src).map(|s| std::mem::take(&mut s.body)))
                .collect(),
        ),
    };
    build_with(sources, &mut ModelCache::default(), bodies, raw).map(|b| b.site)
}

/// A model as [`build_with`] made it, with what [`patch`] needs beside it to update it.
struct Built {
    site: Site,
    names: groups::Names,
    /// Warnings about news items (kept while no news item changes).
    news_warnings: Vec<Diagnostic>,
}

/// [`build_cached`], keeping bodies as `bodies` says; `raw` is each report's Markdown when it
/// was taken out of `sources` (`None` for a source shared elsewhere, which keeps its own).
fn build_with(
    sources: &Sources,
    cache: &mut ModelCache,
    bodies: &Bodies,
    raw: Option<Vec<Option<String>>>,
) -> Result<Built> {
    let config = sources.config.clone();
    let mut diags = sources.diagnostics.clone();
    warnings::warn_unknown(&config, sources, &mut diags, &mut cache.warnings);

    let (mut reports, report_bodies) = parse_reports(sources, &config, cache, bodies, raw);
    let (pages, page_bodies) = parse_pages(sources, cache);
    cache.parsed =
        report_bodies.iter().filter(|b| b.1).count() + page_bodies.iter().filter(|b| b.2).count();
    cache.reports = report_bodies
        .into_iter()
        .map(|(kept, _)| (address(&kept.0), kept))
        .collect();
    cache.pages = page_bodies
        .into_iter()
        .map(|(s, b, _)| (address(&s), (s, b)))
        .collect();
    let names = groups::Names::new(&config, &reports);
    groups::order(&mut reports, &names);
    names.assign(&mut reports);
    let metrics = metrics::columns(&config, &reports);
    let cities = groups::cities(&reports, &names, &metrics);
    metrics::check_aggregates(sources, &reports, &cities, &metrics)?;
    neighbours(&mut reports, &cities);
    let strings = Arc::new(crate::i18n::Strings::new(&sources.theme, &config));
    let sections = groups::sections(&reports, &config, &names, &cities, &strings);
    let tactics = groups::tactics(&reports, &config, &names);
    related::assign_cached(&mut reports, &mut cache.related);
    let mut errors = Vec::new();
    let mut news_warnings = Vec::new();
    let news = news::resolve(
        sources,
        &config,
        &mut reports,
        &mut errors,
        &mut news_warnings,
    );
    diags.extend(news_warnings.iter().cloned());
    if !errors.is_empty() {
        errors.extend(diags);
        errors.sort();
        return Err(crate::error::Error::Content(errors));
    }
    let diags = settle(diags, &reports, &pages, sources)?;
    let site = Site {
        config,
        reports,
        pages,
        news,
        cities,
        tactics,
        sections,
        metrics,
        diagnostics: diags,
        strings,
        media: Media::default(),
    };
    Ok(Built {
        site,
        names,
        news_warnings,
    })
}

/// The model's diagnostics: `diags` with the missing photos and files of every body, sorted,
/// or an error if there is one.
fn settle(
    mut diags: Vec<Diagnostic>,
    reports: &[Report],
    pages: &[Page],
    sources: &Sources,
) -> Result<Vec<Diagnostic>> {
    for (path, body, bundle) in reports
        .iter()
        .map(|r| (&r.path, &r.body, &r.bundle))
        .chain(pages.iter().map(|p| (&p.path, &p.body, &p.bundle)))
    {
        crate::media::check_assets(path, body, bundle.as_ref(), &mut diags);
    }
    diags.sort();
    diags.dedup();
    // A missing photo or file would be a broken page: it stops the build as a front-matter
    // error does. (Sources read leniently, for `check`, carry their own errors: the model goes
    // on, so that one check reports everything.)
    let lenient = sources.diagnostics.iter().any(|d| d.level == Level::Error);
    if !lenient && diags.iter().any(|d| d.level == Level::Error) {
        return Err(Error::Content(diags));
    }
    Ok(diags)
}

/// A body with the source it was parsed from and whether it was parsed now.
type CachedBody<M> = (Arc<Source<M>>, Arc<Body>, bool);

/// What the model keeps of a report source between runs: the source, its parsed body and its
/// front matter with the tactics' canonical names.
type KeptReport = (Arc<ReportSource>, Arc<Body>, Arc<ReportMeta>);

/// Every report with its tactics resolved to the vocabulary's names and its body rendered (in
/// parallel: Markdown is the heavy part); body and front matter are the cached ones where the
/// source is the very one they were made from.
fn parse_reports(
    sources: &Sources,
    config: &SiteConfig,
    cache: &ModelCache,
    bodies: &Bodies,
    raw: Option<Vec<Option<String>>>,
) -> (Vec<Report>, Vec<(KeptReport, bool)>) {
    let raw = raw.unwrap_or_else(|| vec![None; sources.reports.len()]);
    sources
        .reports
        .par_iter()
        .zip(raw)
        .map(|(src, raw)| parse_report(src, raw, config, cache, bodies))
        .unzip()
}

/// One report of [`parse_reports`], with what the cache keeps of it and whether its body was
/// parsed now.
fn parse_report(
    src: &Arc<ReportSource>,
    raw: Option<String>,
    config: &SiteConfig,
    cache: &ModelCache,
    bodies: &Bodies,
) -> (Report, (KeptReport, bool)) {
    let kept = cache
        .reports
        .get(&address(src))
        .filter(|k| Arc::ptr_eq(&k.0, src));
    let (parsed, body) = match kept {
        Some(k) => (false, Arc::clone(&k.1)),
        None => {
            let folder = bundle_folder(src, |s| Route::Report(s));
            // Markdown taken out of the source is dropped once parsed.
            let text = raw.as_deref().unwrap_or(&src.body);
            let body = markdown::render_in(text, src.body_line, folder.as_deref());
            let body = match bodies {
                Bodies::Held => body,
                Bodies::Lean { root } => body.lean(markdown::Origin {
                    file: root.join(&src.path),
                    bundle: folder,
                }),
            };
            (true, Arc::new(body))
        }
    };
    // The canonical names depend on the vocabulary of site.yaml too.
    let mut tactics: Vec<&str> = Vec::with_capacity(src.meta.tactics.len());
    for t in &src.meta.tactics {
        let t = config.canonical_tactic(t.trim());
        if !tactics.contains(&t) {
            tactics.push(t);
        }
    }
    let meta = match kept {
        Some(k) if k.2.tactics.iter().eq(tactics.iter().copied()) => Arc::clone(&k.2),
        _ => {
            let mut meta = src.meta.clone();
            meta.tactics = tactics.iter().map(|t| t.to_string()).collect();
            Arc::new(meta)
        }
    };
    let report = Report {
        slug: src.slug.clone(),
        path: src.path.clone(),
        body: Arc::clone(&body),
        meta: Arc::clone(&meta),
        bundle: src.bundle.clone(),
        ..Report::default()
    };
    (report, ((Arc::clone(src), body, meta), parsed))
}

/// Every page, bodies rendered, in contents order (front, back, then unlisted).
fn parse_pages(sources: &Sources, cache: &ModelCache) -> (Vec<Page>, Vec<CachedBody<PageMeta>>) {
    let (mut pages, kept): (Vec<Page>, Vec<CachedBody<PageMeta>>) = sources
        .pages
        .par_iter()
        .map(|src| {
            let (parsed, body) = body_of(&cache.pages, src, |s| Route::Page(s));
            let kept = (Arc::clone(src), Arc::clone(&body), parsed);
            let page = Page {
                slug: src.slug.clone(),
                path: src.path.clone(),
                meta: src.meta.clone(),
                body,
                bundle: src.bundle.clone(),
            };
            (page, kept)
        })
        .unzip();
    pages.sort_by(|a, b| {
        (a.meta.placement, a.meta.weight, &a.slug).cmp(&(b.meta.placement, b.meta.weight, &b.slug))
    });
    (pages, kept)
}

/// Prev/next run through each city in contents order.
fn neighbours(reports: &mut [Report], cities: &[City]) {
    for city in cities {
        for w in city.group.reports.windows(2) {
            reports[w[0]].next = Some(w[1]);
            reports[w[1]].prev = Some(w[0]);
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
