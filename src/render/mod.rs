//! Render stage: `&Site` and `&Theme` become in-memory [`OutputFile`]s (pages, feeds, exports,
//! static files). Nothing is written here.
//!
//! Entry point: [`render`]. Templates are compiled once; pages render in parallel; every link is
//! relative to the page (`root` is the way up to the site root), so the output works at any
//! sub-path and straight from disk.

mod charts;
mod exports;
mod fragments;
pub(crate) mod views;

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use rayon::prelude::*;
use serde::Serialize;
use tera::{Context, Tera};

use crate::error::{Error, Result};
use crate::model::{page_listed, Site};
use crate::output::OutputFile;
use crate::theme::Theme;
use charts::ChartView;
use fragments::{Marks, ITEMS, OWN};
use views::{fmt_num, report_url, Counts, Link, ReportRef, ReportView, SiteView};

/// Options that change rendered output.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    /// Extra HTML injected before `</body>` of every page (serve's live-reload script).
    pub inject: Option<String>,
}

/// A page to render: template, output path, context.
struct Job<'a> {
    template: &'static str,
    path: String,
    /// Builds the page's context. Called when the page is rendered, not when it is listed: all
    /// contexts at once (every report's body, every listing) were most of the build's memory at
    /// 100x the digest.
    ///
    /// With a probe ([`render_cached`]), the page's data is hashed first and the context is
    /// built only if the probe, given the hash, says the page must be rendered; otherwise `None`.
    /// Without one, the context is always built.
    context: BuildContext<'a>,
}

/// Builds a page's context (see [`Job::context`]); templates are at hand for pages that render
/// fragments of their own.
type BuildContext<'a> =
    Box<dyn FnOnce(&Tera, Option<Probe<'_>>) -> Result<Option<PageData>> + Send + 'a>;

/// A page's template context, and the HTML of the [`OWN`] fragments its markers stand for.
#[derive(Default)]
struct PageData {
    context: Context,
    fragments: Vec<String>,
}

/// Every report's listing entry (`report_item.html`), and the marker that stands for it.
struct Items {
    html: Vec<String>,
    marks: Vec<String>,
}

/// What renders a page from its [`PageData`]: templates, shared fragments, options.
struct Pages<'a> {
    tera: &'a Tera,
    marks: Marks,
    items: Items,
    options: &'a RenderOptions,
}

impl Pages<'_> {
    fn new<'a>(site: &Site, tera: &'a Tera, options: &'a RenderOptions) -> Result<Pages<'a>> {
        let marks = Marks::new();
        let html = report_items(site, tera)?;
        let item_marks = html
            .iter()
            .enumerate()
            .map(|(i, h)| marks.mark(ITEMS, i, h))
            .collect();
        Ok(Pages {
            tera,
            marks,
            items: Items {
                html,
                marks: item_marks,
            },
            options,
        })
    }

    /// Renders one page: the template, then its fragments spliced in, then `inject`.
    fn render(&self, template: &str, path: &str, page: PageData) -> Result<Vec<u8>> {
        let html = render_one(self.tera, template, &page.context)?;
        drop(page.context);
        let html = self.marks.splice(html, |table, i| match table {
            ITEMS => self.items.html.get(i).map(String::as_str),
            OWN => page.fragments.get(i).map(String::as_str),
            _ => None,
        });
        Ok(inject(html, path, self.options))
    }
}

/// Told the hash of a page's template and data; answers whether the page must be rendered.
type Probe<'p> = &'p mut dyn FnMut(u64) -> bool;

/// Compiles the theme's templates.
pub fn compile(theme: &Theme) -> Result<Tera> {
    let mut tera = Tera::default();
    tera.autoescape_on(vec![".html", ".xml"]);
    tera.set_escape_fn(escape_html);
    let mut all: Vec<(String, String)> = theme
        .builtin_templates
        .iter()
        .map(|(k, v)| (format!("builtin/{k}"), v.clone()))
        .collect();
    all.extend(theme.templates.iter().map(|(k, v)| (k.clone(), v.clone())));
    tera.add_raw_templates(all)
        .map_err(|e| template_error("(theme)", &e))?;
    Ok(tera)
}

/// Escapes text for HTML and XML content and quoted attribute values: `& < > " '`.
///
/// Tera's default also writes every `/` as `&#x2F;`, which no context needs (our attributes are
/// always quoted), made every relative URL on a page three times as long (`..&#x2F;..&#x2F;`)
/// and the site some 5% larger; the five characters here are what Jinja and Django escape.
fn escape_html(input: &str) -> String {
    let special = |b: &u8| matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'');
    let Some(first) = input.bytes().position(|b| special(&b)) else {
        return input.to_string();
    };
    let mut out = String::with_capacity(input.len() + input.len() / 8 + 8);
    out.push_str(&input[..first]);
    for c in input[first..].chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Renders every page of the site.
pub fn render(site: &Site, theme: &Theme, options: &RenderOptions) -> Result<Vec<OutputFile>> {
    let tera = compile(theme)?;
    render_with(site, theme, &tera, options)
}

/// Renders with already compiled templates (serve keeps them between rebuilds).
pub fn render_with(
    site: &Site,
    theme: &Theme,
    tera: &Tera,
    options: &RenderOptions,
) -> Result<Vec<OutputFile>> {
    let files = std::sync::Mutex::new(Vec::new());
    render_pages(site, tera, options, |f| {
        files
            .lock()
            .map_err(|_| Error::Invalid("render: a page panicked".into()))?
            .push(f);
        Ok(())
    })?;
    let files = files
        .into_inner()
        .map_err(|_| Error::Invalid("render: a page panicked".into()))?;
    finish(site, theme, files)
}

/// Renders every templated page in parallel, handing each to `sink`; returns their paths.
/// The one page loop behind [`render_with`] and [`render_into`].
fn render_pages(
    site: &Site,
    tera: &Tera,
    options: &RenderOptions,
    sink: impl Fn(OutputFile) -> Result<()> + Sync,
) -> Result<std::collections::BTreeSet<String>> {
    let site_view = site_view(site);
    let renderer = Pages::new(site, tera, options)?;
    let jobs = jobs(site, &site_view, &renderer);
    let pages = jobs.iter().map(|j| j.path.clone()).collect();
    jobs.into_par_iter()
        .map(|job| {
            // Without a probe a context is always built.
            let page = (job.context)(tera, None)?.unwrap_or_default();
            sink(OutputFile {
                bytes: renderer.render(job.template, &job.path, page)?,
                path: job.path,
            })
        })
        .collect::<Result<()>>()?;
    Ok(pages)
}

/// Renders the same files as [`render`], handing each to `sink` as soon as it is rendered
/// instead of collecting the site: a build then writes pages straight to disk and holds only
/// the pages in flight (at 100x the digest the rendered pages are some 300 MB).
pub fn render_into(
    site: &Site,
    theme: &Theme,
    options: &RenderOptions,
    sink: impl Fn(OutputFile) -> Result<()> + Sync,
) -> Result<()> {
    let tera = compile(theme)?;
    let pages = render_pages(site, &tera, options, &sink)?;
    // Exports and static files as `finish` adds them; as there, a page keeps its path.
    for file in finish(site, theme, Vec::new())? {
        if !pages.contains(&file.path) {
            sink(file)?;
        }
    }
    Ok(())
}

/// Every report's listing entry, rendered once from `report_item.html` for pages two folders
/// deep (city, tactic and section pages), where every listing lives; see [`ReportRef`].
fn report_items(site: &Site, tera: &Tera) -> Result<Vec<String>> {
    const TEMPLATE: &str = "report_item.html";
    site.reports
        .par_iter()
        .map(|r| {
            let mut context = Context::new();
            context.insert("r", &ReportView::new(site, r));
            context.insert("root", "../../");
            render_one(tera, TEMPLATE, &context)
        })
        .collect()
}

/// Renders one template (a page or a fragment), naming the template in the error.
fn render_one(tera: &Tera, template: &str, context: &Context) -> Result<String> {
    tera.render(template, context)
        .map_err(|e| template_error(template, &e))
}

/// Adds `options.inject` before `</body>` of an HTML page.
fn inject(mut html: String, path: &str, options: &RenderOptions) -> Vec<u8> {
    if let Some(inject) = &options.inject {
        if path.ends_with(".html") {
            match html.rfind("</body>") {
                Some(i) => html.insert_str(i, inject),
                None => html.push_str(inject),
            }
        }
    }
    html.into_bytes()
}

/// Adds what is not a templated page (exports, theme statics) to the rendered pages, in path
/// order. Shared by [`render_with`] and [`render_cached`] so both produce the same site.
fn finish(site: &Site, theme: &Theme, mut files: Vec<OutputFile>) -> Result<Vec<OutputFile>> {
    files.extend(exports::exports(site)?);
    for (path, bytes) in &theme.statics {
        files.push(OutputFile {
            path: path.clone(),
            bytes: bytes.clone(),
        });
    }
    if let Some(module) = theme.statics.get("search/search.js") {
        files.push(OutputFile {
            path: "search/search-classic.js".into(),
            bytes: classic_script(&String::from_utf8_lossy(module)).into_bytes(),
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files.dedup_by(|a, b| a.path == b.path);
    Ok(files)
}

/// What [`render_cached`] keeps between rebuilds: the compiled templates and every page's
/// output with the hash of what produced it.
#[derive(Default)]
pub struct RenderCache {
    /// Fingerprint of the templates and options, and the templates compiled from them.
    tera: Option<(u64, Tera)>,
    /// Page path -> (hash of template name and context, output).
    pages: HashMap<String, (u64, Vec<u8>)>,
    /// Pages rendered by the last call.
    pub rendered: usize,
    /// Pages reused from the previous call by the last call.
    pub reused: usize,
    /// Paths of the pages the last call reused: their bytes are those of the call before.
    pub reused_paths: Vec<String>,
}

impl std::fmt::Debug for RenderCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderCache")
            .field("pages", &self.pages.len())
            .field("rendered", &self.rendered)
            .field("reused", &self.reused)
            .finish()
    }
}

/// Renders like [`render`], but re-renders only the pages whose template context changed since
/// the previous call with the same cache, and recompiles templates only when the theme changed.
///
/// The page list and every page's data are built exactly as [`render`] builds them; a page is
/// reused when the hash of its template name and serialized data (the data its context is made
/// of) is the one it had last time, and then its context is not even built. So a
/// change to one report re-renders that report and the pages that show something of it (lists,
/// neighbours, related reports, the print edition), whatever the templates do, without a
/// dependency graph to keep in sync with them. Output is byte-identical to [`render`].
pub fn render_cached(
    site: &Site,
    theme: &Theme,
    options: &RenderOptions,
    cache: &mut RenderCache,
) -> Result<Vec<OutputFile>> {
    let fingerprint = {
        let mut h = DefaultHasher::new();
        (&theme.templates, &theme.builtin_templates, &options.inject).hash(&mut h);
        h.finish()
    };
    let tera = match &mut cache.tera {
        Some((f, tera)) if *f == fingerprint => &*tera,
        slot => {
            // Forget the old pages and templates first: if the new templates do not compile,
            // nothing rendered with the old ones may be reused with them later.
            cache.pages.clear();
            *slot = None;
            &slot.insert((fingerprint, compile(theme)?)).1
        }
    };
    let mut old = std::mem::take(&mut cache.pages);
    let site_view = site_view(site);
    let renderer = Pages::new(site, tera, options)?;
    let mut jobs = jobs(site, &site_view, &renderer);
    // Biggest pages last time first, one task each: the print edition alone takes as long as
    // hundreds of small pages, and must not be the one left running at the end.
    jobs.sort_by_key(|j| std::cmp::Reverse(old.get(&j.path).map_or(usize::MAX, |(_, b)| b.len())));
    let pages: Vec<(OutputFile, u64, bool)> = jobs
        .into_par_iter()
        .with_max_len(1)
        .map(|job| {
            let previous = old.get(&job.path);
            let mut key = 0;
            let mut probe = |k: u64| {
                key = k;
                previous.is_none_or(|(old_key, _)| *old_key != k)
            };
            let Some(page) = (job.context)(tera, Some(&mut probe))? else {
                let bytes = previous.map(|(_, b)| b.clone()).unwrap_or_default();
                let file = OutputFile {
                    path: job.path,
                    bytes,
                };
                return Ok((file, key, true));
            };
            let file = OutputFile {
                bytes: renderer.render(job.template, &job.path, page)?,
                path: job.path,
            };
            Ok((file, key, false))
        })
        .collect::<Result<_>>()?;
    cache.reused = pages.iter().filter(|p| p.2).count();
    cache.rendered = pages.len() - cache.reused;
    cache.reused_paths.clear();
    let mut files = Vec::with_capacity(pages.len());
    for (file, key, reused) in pages {
        // A reused page's bytes move over from the old cache; only new ones are copied.
        let kept = match old.remove(&file.path) {
            Some(entry) if reused => {
                cache.reused_paths.push(file.path.clone());
                entry
            }
            _ => (key, file.bytes.clone()),
        };
        cache.pages.insert(file.path.clone(), kept);
        files.push(file);
    }
    finish(site, theme, files)
}

/// Feeds serialized bytes to a hasher in large blocks, so a context is hashed without building
/// its JSON text, and without a hasher call for every one of its tokens (millions per site).
struct HashWriter<'a> {
    hasher: &'a mut DefaultHasher,
    buf: Vec<u8>,
}

impl<'a> HashWriter<'a> {
    const BLOCK: usize = 64 * 1024;

    fn new(hasher: &'a mut DefaultHasher) -> Self {
        HashWriter {
            hasher,
            buf: Vec::with_capacity(Self::BLOCK),
        }
    }
}

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.buf.len() + buf.len() > Self::BLOCK {
            self.flush()?;
        }
        if buf.len() >= Self::BLOCK {
            self.hasher.write(buf);
        } else {
            self.buf.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.hasher.write(&self.buf);
        self.buf.clear();
        Ok(())
    }
}

fn template_error(name: &str, e: &tera::Error) -> Error {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    Error::Template {
        name: name.to_string(),
        message,
    }
}

fn site_view(site: &Site) -> SiteView<'_> {
    let mut towns: Vec<(&str, &str)> = site
        .reports
        .iter()
        .map(|r| (r.meta.city.as_str(), r.meta.town.as_str()))
        .collect();
    towns.sort();
    towns.dedup();
    let mut counties: Vec<(&str, &str)> = site
        .reports
        .iter()
        .filter_map(|r| Some((r.meta.city.as_str(), r.meta.county.as_deref()?)))
        .collect();
    counties.sort();
    counties.dedup();
    SiteView {
        title: &site.config.title,
        subtitle: site.config.subtitle.as_deref(),
        description: site.config.description.as_deref(),
        language: &site.config.language,
        base_url: site.config.base_url.as_deref(),
        counts: Counts {
            reports: site.reports.len(),
            cities: site.cities.len(),
            counties: counties.len(),
            towns: towns.len(),
            tactics: site.tactics.len(),
        },
        sections: site
            .sections
            .iter()
            .map(|s| Link {
                name: &s.group.name,
                url: format!("sections/{}/index.html", s.group.slug),
                count: Some(s.group.reports.len()),
            })
            .collect(),
        footer_pages: site
            .pages
            .iter()
            .map(|p| Link {
                name: &p.meta.title,
                url: format!("pages/{}/index.html", p.slug),
                count: None,
            })
            .collect(),
    }
}

/// The context every page shares.
#[derive(Serialize)]
struct Common<'a> {
    site: &'a SiteView<'a>,
    /// From this page up to the site root, e.g. `../../`; empty at the root.
    root: String,
    /// This page's path relative to the root.
    path: &'a str,
    /// The `<title>` of the page (without the site title).
    page_title: &'a str,
}

fn ctx<T: Serialize>(common: Common<'_>, data: &T) -> Context {
    let mut c = Context::from_serialize(data).unwrap_or_default();
    c.extend(Context::from_serialize(common).unwrap_or_default());
    c
}

/// The hash of everything a page's context is made of: the template, the shared part and the
/// page's data, serialized straight into the hasher (no JSON text, no `Value` tree).
fn page_key<T: Serialize>(template: &str, common: &Common<'_>, data: &T) -> u64 {
    let mut h = DefaultHasher::new();
    template.hash(&mut h);
    let mut w = HashWriter::new(&mut h);
    // Serializing our own view structs into a writer that never fails cannot fail either; if it
    // ever did, the partial hash only costs a needless re-render.
    let _ = serde_json::to_writer(&mut w, &(common, data));
    let _ = std::io::Write::flush(&mut w);
    h.finish()
}

/// The context of a page, unless `probe` says the page need not be rendered.
fn probed_ctx<T: Serialize>(
    template: &str,
    common: Common<'_>,
    data: &T,
    probe: Option<Probe<'_>>,
) -> Option<Context> {
    if let Some(probe) = probe {
        if !probe(page_key(template, &common, data)) {
            return None;
        }
    }
    Some(ctx(common, data))
}

fn root_for(path: &str) -> String {
    "../".repeat(path.matches('/').count())
}

/// A page whose context is built now (small data used by more than one page).
fn job<'a, T: Serialize>(
    sv: &'a SiteView<'a>,
    template: &'static str,
    path: String,
    page_title: &'a str,
    data: &T,
) -> Job<'a> {
    let common = Common {
        site: sv,
        root: root_for(&path),
        path: &path,
        page_title,
    };
    let key = page_key(template, &common, data);
    let context = ctx(common, data);
    Job {
        template,
        path,
        context: Box::new(move |_: &Tera, probe: Option<Probe<'_>>| {
            if let Some(probe) = probe {
                if !probe(key) {
                    return Ok(None);
                }
            }
            Ok(Some(PageData {
                context,
                fragments: Vec::new(),
            }))
        }),
    }
}

/// A page whose data and context are built only when it is rendered.
fn lazy_job<'a, T: Serialize>(
    sv: &'a SiteView<'a>,
    template: &'static str,
    path: String,
    page_title: &'a str,
    data: impl FnOnce() -> T + Send + 'a,
) -> Job<'a> {
    fragment_job(sv, template, path, page_title, move |_| {
        Ok((data(), Vec::new()))
    })
}

/// A page with fragments of its own: `build` returns the page's data, whose markers stand for
/// the fragments it returns with it (see [`fragments`]). Built only when the page is rendered.
fn fragment_job<'a, T: Serialize>(
    sv: &'a SiteView<'a>,
    template: &'static str,
    path: String,
    page_title: &'a str,
    build: impl FnOnce(&Tera) -> Result<(T, Vec<String>)> + Send + 'a,
) -> Job<'a> {
    let own_path = path.clone();
    Job {
        template,
        path,
        context: Box::new(move |tera: &Tera, probe: Option<Probe<'_>>| {
            let common = Common {
                site: sv,
                root: root_for(&own_path),
                path: &own_path,
                page_title,
            };
            let (data, fragments) = build(tera)?;
            Ok(probed_ctx(template, common, &data, probe)
                .map(|context| PageData { context, fragments }))
        }),
    }
}

#[derive(Serialize)]
struct Empty {}

#[derive(Serialize)]
struct TocEntry<'a> {
    level: u8,
    id: &'a str,
    text: &'a str,
}

#[derive(Serialize)]
struct RelatedView<'a> {
    report: ReportRef<'a>,
    shared: &'a [String],
}

#[derive(Serialize)]
struct ReportPage<'a> {
    report: ReportView<'a>,
    body: &'a str,
    toc: Vec<TocEntry<'a>>,
    prev: Option<ReportRef<'a>>,
    next: Option<ReportRef<'a>>,
    related: Vec<RelatedView<'a>>,
}

#[derive(Serialize)]
struct GroupView<'a> {
    name: &'a str,
    slug: &'a str,
    url: String,
    description: &'a str,
    count: usize,
}

/// A list of reports: `subgroups` when the list is grouped (counties on a city page, cities on a
/// tactic page and on a grouped section's page), else `reports`. Only one of them is filled: at
/// scale a second copy of every listing was a large share of the page's cost.
#[derive(Serialize)]
struct ListPage<'a> {
    group: GroupView<'a>,
    reports: Vec<ReportRef<'a>>,
    /// (heading, reports) sub-groups.
    subgroups: Vec<(String, Vec<ReportRef<'a>>)>,
    charts: Vec<ChartView>,
}

#[derive(Serialize)]
struct IndexPage<'a> {
    groups: Vec<GroupView<'a>>,
    max: usize,
}

#[derive(Serialize)]
struct PageView<'a> {
    title: &'a str,
    slug: &'a str,
    url: String,
    label: Option<&'a str>,
    author: Option<&'a str>,
    date: Option<&'a str>,
    summary: Option<&'a str>,
    body: String,
}

#[derive(Serialize)]
struct ContentsSection<'a> {
    group: GroupView<'a>,
    reports: Vec<ReportRef<'a>>,
    subgroups: Vec<(String, Vec<ReportRef<'a>>)>,
}

/// The digest in printed order: front pages, the sections, back pages. The contents page and
/// the print edition differ only in what a section holds.
#[derive(Serialize)]
struct Book<'a, S> {
    front: Vec<PageView<'a>>,
    sections: Vec<S>,
    back: Vec<PageView<'a>>,
}

type ContentsPage<'a> = Book<'a, ContentsSection<'a>>;

/// A report in the print edition: what the contents list needs, and its article (a marker for
/// its `print_report.html` fragment).
#[derive(Serialize)]
struct PrintReport<'a> {
    slug: &'a str,
    title: &'a str,
    article: String,
}

#[derive(Serialize)]
struct PrintSection<'a> {
    group: GroupView<'a>,
    subgroups: Vec<(String, Vec<PrintReport<'a>>)>,
}

type PrintPage<'a> = Book<'a, PrintSection<'a>>;

#[derive(Serialize)]
struct MetricColumn<'a> {
    key: &'a str,
    label: &'a str,
    unit: &'a str,
    aggregate: &'static str,
}

/// The context of `metrics_row.html`.
#[derive(Serialize)]
struct MetricRow<'a> {
    r: ReportRef<'a>,
    cells: Vec<(Option<f64>, String)>,
    root: &'static str,
}

#[derive(Serialize)]
struct CityAggregateRow<'a> {
    city: Link<'a>,
    cells: Vec<(Option<f64>, String)>,
}

#[derive(Serialize)]
struct MetricsPage<'a> {
    columns: Vec<MetricColumn<'a>>,
    /// One marker per report, for its `metrics_row.html` fragment.
    rows: Vec<String>,
    cities: Vec<CityAggregateRow<'a>>,
    charts: Vec<ChartView>,
}

#[derive(Serialize)]
struct MapCell {
    count: usize,
    /// 0..=4, for the heat-map shade.
    heat: usize,
    url: String,
    titles: String,
}

#[derive(Serialize)]
struct MapRow<'a> {
    city: Link<'a>,
    cells: Vec<MapCell>,
}

#[derive(Serialize)]
struct MapPage<'a> {
    tactics: Vec<Link<'a>>,
    rows: Vec<MapRow<'a>>,
}

#[derive(Serialize)]
struct HomePage<'a> {
    intro: Option<PageView<'a>>,
    cities: Vec<GroupView<'a>>,
    tactics: Vec<GroupView<'a>>,
    sections: Vec<GroupView<'a>>,
    pages: Vec<PageView<'a>>,
}

#[derive(Serialize)]
struct FeedPage<'a> {
    reports: Vec<ReportView<'a>>,
    updated: String,
    urls: Vec<String>,
}

fn group_view<'a>(g: &'a crate::model::Group, kind: &str) -> GroupView<'a> {
    GroupView {
        name: &g.name,
        slug: &g.slug,
        url: format!("{kind}/{}/index.html", g.slug),
        description: &g.description,
        count: g.reports.len(),
    }
}

fn page_view(p: &crate::model::Page) -> PageView<'_> {
    PageView {
        title: &p.meta.title,
        slug: &p.slug,
        url: format!("pages/{}/index.html", p.slug),
        label: p.meta.label.as_deref(),
        author: p.meta.author.as_deref(),
        date: p.meta.date.as_deref(),
        summary: p.meta.summary.as_deref(),
        body: p.body.html.clone(),
    }
}

fn jobs<'a>(site: &'a Site, sv: &'a SiteView<'a>, pages: &'a Pages<'a>) -> Vec<Job<'a>> {
    let rv = move |i: usize| ReportView::new(site, &site.reports[i]);
    // A report a page names (neighbours, related, contents, metrics) and one it lists as an item.
    let named = move |i: usize| ReportRef::new(&site.reports[i], "");
    let entry = move |i: usize| ReportRef::new(&site.reports[i], &pages.items.marks[i]);
    let list_page = move |group, all: &'a [usize], groups: Groups, charts| {
        let (reports, subgroups) = grouped(all, groups, entry);
        ListPage {
            group,
            reports,
            subgroups,
            charts,
        }
    };
    let mut jobs = Vec::new();

    // Home.
    let intro = site
        .pages
        .iter()
        .find(|p| p.meta.placement == crate::load::Placement::Front)
        .map(page_view);
    let home = move || HomePage {
        intro,
        cities: site
            .cities
            .iter()
            .map(|c| group_view(&c.group, "cities"))
            .collect(),
        tactics: site
            .tactics
            .iter()
            .map(|t| group_view(t, "tactics"))
            .collect(),
        sections: site
            .sections
            .iter()
            .map(|s| group_view(&s.group, "sections"))
            .collect(),
        pages: site.pages.iter().map(page_view).collect(),
    };
    jobs.push(lazy_job(sv, "index.html", "index.html".into(), "", home));

    // Reports.
    for r in &site.reports {
        let page = move || ReportPage {
            report: ReportView::new(site, r),
            body: &r.body.html,
            toc: if r.body.headings.len() >= 3 || r.body.text.chars().count() > 1500 {
                r.body
                    .headings
                    .iter()
                    .filter(|h| h.level <= 3)
                    .map(|h| TocEntry {
                        level: h.level,
                        id: &h.id,
                        text: &h.text,
                    })
                    .collect()
            } else {
                Vec::new()
            },
            prev: r.prev.map(named),
            next: r.next.map(named),
            related: r
                .related
                .iter()
                .map(|rel| RelatedView {
                    report: named(rel.index),
                    shared: &rel.shared,
                })
                .collect(),
        };
        jobs.push(lazy_job(
            sv,
            "report.html",
            report_url(&r.slug),
            &r.meta.title,
            page,
        ));
    }

    // Pages.
    for p in &site.pages {
        jobs.push(lazy_job(
            sv,
            "page.html",
            format!("pages/{}/index.html", p.slug),
            &p.meta.title,
            move || serde_json::json!({ "page": page_view(p) }),
        ));
    }

    // Cities.
    let max_city = site
        .cities
        .iter()
        .map(|c| c.group.reports.len())
        .max()
        .unwrap_or(0);
    jobs.push(lazy_job(
        sv,
        "cities.html",
        "cities/index.html".into(),
        "地市",
        move || IndexPage {
            groups: site
                .cities
                .iter()
                .map(|c| group_view(&c.group, "cities"))
                .collect(),
            max: max_city,
        },
    ));
    for c in &site.cities {
        let page = move || {
            list_page(
                group_view(&c.group, "cities"),
                &c.group.reports,
                c.counties.clone(),
                charts::city_charts(site, c),
            )
        };
        jobs.push(lazy_job(
            sv,
            "city.html",
            format!("cities/{}/index.html", c.group.slug),
            &c.group.name,
            page,
        ));
    }

    // Tactics.
    let max_tactic = site
        .tactics
        .iter()
        .map(|t| t.reports.len())
        .max()
        .unwrap_or(0);
    jobs.push(lazy_job(
        sv,
        "tactics.html",
        "tactics/index.html".into(),
        "做法",
        move || IndexPage {
            groups: site
                .tactics
                .iter()
                .map(|t| group_view(t, "tactics"))
                .collect(),
            max: max_tactic,
        },
    ));
    let mut city_of = vec![0; site.reports.len()];
    for (ci, c) in site.cities.iter().enumerate() {
        for &i in &c.group.reports {
            city_of[i] = ci;
        }
    }
    for t in &site.tactics {
        // By city in configured order: in contents order a city's reports are split across
        // sections, and the tactics map links to one `#city-<slug>` list per city.
        let mut by_city = vec![Vec::new(); site.cities.len()];
        for &i in &t.reports {
            by_city[city_of[i]].push(i);
        }
        let groups: Groups = site
            .cities
            .iter()
            .zip(by_city)
            .filter(|(_, list)| !list.is_empty())
            .map(|(c, list)| (c.group.name.clone(), list))
            .collect();
        let page = move || list_page(group_view(t, "tactics"), &t.reports, groups, Vec::new());
        jobs.push(lazy_job(
            sv,
            "tactic.html",
            format!("tactics/{}/index.html", t.slug),
            &t.name,
            page,
        ));
    }
    jobs.push(lazy_job(
        sv,
        "tactics_map.html",
        "tactics/map/index.html".into(),
        "做法分布图",
        move || map_page(site),
    ));

    // Sections.
    jobs.push(lazy_job(
        sv,
        "sections.html",
        "sections/index.html".into(),
        "栏目",
        move || IndexPage {
            groups: site
                .sections
                .iter()
                .map(|s| group_view(&s.group, "sections"))
                .collect(),
            max: 0,
        },
    ));
    let section_groups = move |s: &crate::model::Section| -> Groups {
        s.by_city
            .iter()
            .map(|(ci, list)| (site.cities[*ci].group.name.clone(), list.clone()))
            .collect()
    };
    for s in &site.sections {
        let page = move || {
            list_page(
                group_view(&s.group, "sections"),
                &s.group.reports,
                section_groups(s),
                Vec::new(),
            )
        };
        jobs.push(lazy_job(
            sv,
            "section.html",
            format!("sections/{}/index.html", s.group.slug),
            &s.group.name,
            page,
        ));
    }

    // Contents, in the printed order.
    let listed = move |placement| {
        site.pages
            .iter()
            .filter(move |p| p.meta.placement == placement && page_listed(p))
            .map(page_view)
            .collect::<Vec<_>>()
    };
    let contents = move || ContentsPage {
        front: listed(crate::load::Placement::Front),
        sections: site
            .sections
            .iter()
            .map(|s| {
                let (reports, subgroups) = grouped(&s.group.reports, section_groups(s), named);
                ContentsSection {
                    group: group_view(&s.group, "sections"),
                    reports,
                    subgroups,
                }
            })
            .collect(),
        back: listed(crate::load::Placement::Back),
    };
    jobs.push(lazy_job(
        sv,
        "contents.html",
        "contents/index.html".into(),
        "目录",
        contents,
    ));

    // Print edition: the same order, every report an article of its own, rendered in parallel
    // from `print_report.html`, with report links made in-document.
    let print = move |tera: &Tera| -> Result<(PrintPage<'a>, Vec<String>)> {
        let layout: Vec<(&crate::model::Section, Groups)> = site
            .sections
            .iter()
            .map(|s| {
                let subgroups = if s.by_city.is_empty() {
                    vec![(String::new(), s.group.reports.clone())]
                } else {
                    section_groups(s)
                };
                (s, subgroups)
            })
            .collect();
        let order: Vec<(&str, usize)> = layout
            .iter()
            .flat_map(|(s, groups)| {
                groups.iter().flat_map(move |(_, list)| {
                    list.iter().map(move |&i| (s.group.name.as_str(), i))
                })
            })
            .collect();
        let articles = order
            .par_iter()
            .map(|&(section, i)| {
                let mut c = Context::new();
                c.insert("r", &rv(i));
                c.insert("body", &print_links(&site.reports[i].body.html));
                c.insert("section", section);
                c.insert("root", "../");
                render_one(tera, "print_report.html", &c)
            })
            .collect::<Result<Vec<String>>>()?;
        let mut k = 0;
        let sections = layout
            .into_iter()
            .map(|(s, groups)| PrintSection {
                group: group_view(&s.group, "sections"),
                subgroups: groups
                    .into_iter()
                    .map(|(name, list)| {
                        let entries = list
                            .into_iter()
                            .map(|i| {
                                let r = &site.reports[i];
                                k += 1;
                                PrintReport {
                                    slug: &r.slug,
                                    title: &r.meta.title,
                                    article: pages.marks.mark(OWN, k - 1, &articles[k - 1]),
                                }
                            })
                            .collect();
                        (name, entries)
                    })
                    .collect(),
            })
            .collect();
        let in_print = |p: Vec<PageView<'a>>| {
            p.into_iter()
                .map(|mut p| {
                    p.body = print_links(&p.body);
                    p
                })
                .collect()
        };
        let page = PrintPage {
            front: in_print(listed(crate::load::Placement::Front)),
            sections,
            back: in_print(listed(crate::load::Placement::Back)),
        };
        Ok((page, articles))
    };
    jobs.push(fragment_job(
        sv,
        "print.html",
        "print/index.html".into(),
        "打印版",
        print,
    ));

    // Metrics.
    jobs.push(fragment_job(
        sv,
        "metrics.html",
        "metrics/index.html".into(),
        "数据",
        move |tera| metrics_page(site, tera, &pages.marks),
    ));

    // Search page, 404, feed, sitemap.
    jobs.push(lazy_job(
        sv,
        "search.html",
        "search/index.html".into(),
        "搜索",
        || Empty {},
    ));
    jobs.push(lazy_job(
        sv,
        "404.html",
        "404.html".into(),
        "页面不存在",
        || Empty {},
    ));
    let mut urls: Vec<String> = vec!["index.html".into()];
    urls.extend(site.reports.iter().map(|r| report_url(&r.slug)));
    urls.extend(
        site.cities
            .iter()
            .map(|c| format!("cities/{}/index.html", c.group.slug)),
    );
    urls.extend(
        site.tactics
            .iter()
            .map(|t| format!("tactics/{}/index.html", t.slug)),
    );
    urls.extend(
        site.sections
            .iter()
            .map(|s| format!("sections/{}/index.html", s.group.slug)),
    );
    urls.extend(
        site.pages
            .iter()
            .map(|p| format!("pages/{}/index.html", p.slug)),
    );
    for u in [
        "contents",
        "metrics",
        "cities",
        "tactics",
        "tactics/map",
        "print",
        "search",
    ] {
        urls.push(format!("{u}/index.html"));
    }
    let mut feed_reports: Vec<usize> = (0..site.reports.len()).collect();
    feed_reports.sort_by(|&a, &b| {
        site.reports[b]
            .meta
            .date
            .cmp(&site.reports[a].meta.date)
            .then(a.cmp(&b))
    });
    let updated = feed_reports
        .first()
        .and_then(|&i| site.reports[i].meta.date.clone())
        .unwrap_or_else(|| "1970-01-01".into());
    let feed = FeedPage {
        reports: feed_reports.into_iter().take(50).map(rv).collect(),
        updated,
        urls,
    };
    jobs.push(job(sv, "atom.xml", "atom.xml".into(), "", &feed));
    jobs.push(job(sv, "sitemap.xml", "sitemap.xml".into(), "", &feed));
    jobs
}

/// Named lists of report indices (a city's counties, a section's cities...).
type Groups = Vec<(String, Vec<usize>)>;

/// A list's `reports` and `subgroups` (see [`ListPage`]): the groups when there are any, else
/// every report of `all`.
fn grouped<'a>(
    all: &[usize],
    groups: Groups,
    view: impl Fn(usize) -> ReportRef<'a>,
) -> (Vec<ReportRef<'a>>, Vec<(String, Vec<ReportRef<'a>>)>) {
    if groups.is_empty() {
        return (all.iter().map(|&i| view(i)).collect(), Vec::new());
    }
    let groups = groups
        .into_iter()
        .map(|(name, list)| (name, list.into_iter().map(&view).collect()))
        .collect();
    (Vec::new(), groups)
}

/// The search client is an ES module, but Chromium refuses module scripts on `file://` pages; a
/// classic copy (everything above the module footer, wrapped in a function, exported as
/// `globalThis.casebook`) works there and from any host.
fn classic_script(module: &str) -> String {
    const FOOTER: &str = "// @module-footer";
    let body = module.split(FOOTER).next().unwrap_or(module);
    format!(
        "(function () {{\n{body}\n__setBase(document.currentScript && document.currentScript.src);\n\
         globalThis.casebook = {{ createSearch, tokenize, queryTerms, normalize }};\n}})();\n"
    )
}

/// In the print edition every report is on the same page: `../../reports/<slug>/index.html#x`
/// links become `#report-<slug>` anchors.
fn print_links(html: &str) -> String {
    const PREFIX: &str = "href=\"../../reports/";
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find(PREFIX) {
        out.push_str(&rest[..i]);
        let after = &rest[i + PREFIX.len()..];
        match after.find('"') {
            Some(end) => {
                let slug = after[..end].split('/').next().unwrap_or_default();
                out.push_str(&format!("href=\"#report-{slug}\""));
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[i..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    // Bodies link as if two folders deep (`reports/<slug>/`); the print page is one deep, so the
    // remaining internal links (pages, `@/pages/...`) need one `../` less.
    out.replace("href=\"../../", "href=\"../")
}

/// The metrics page, its rows rendered from `metrics_row.html` in parallel.
fn metrics_page<'a>(
    site: &'a Site,
    tera: &Tera,
    marks: &Marks,
) -> Result<(MetricsPage<'a>, Vec<String>)> {
    let cell = |v: Option<f64>| (v, v.map(fmt_num).unwrap_or_default());
    let rows = site
        .reports
        .par_iter()
        .map(|r| {
            let row = MetricRow {
                r: ReportRef::new(r, ""),
                cells: site
                    .metrics
                    .iter()
                    .map(|m| cell(site.metric(r, &m.key)))
                    .collect(),
                root: "../",
            };
            let c = Context::from_serialize(&row)
                .map_err(|e| template_error("metrics_row.html", &e))?;
            render_one(tera, "metrics_row.html", &c)
        })
        .collect::<Result<Vec<String>>>()?;
    let page = MetricsPage {
        columns: site
            .metrics
            .iter()
            .map(|m| MetricColumn {
                key: &m.key,
                label: &m.label,
                unit: &m.unit,
                aggregate: m.aggregate.label(),
            })
            .collect(),
        rows: rows
            .iter()
            .enumerate()
            .map(|(i, html)| marks.mark(OWN, i, html))
            .collect(),
        cities: site
            .cities
            .iter()
            .map(|c| CityAggregateRow {
                city: Link {
                    name: &c.group.name,
                    url: format!("cities/{}/index.html", c.group.slug),
                    count: Some(c.group.reports.len()),
                },
                cells: c.aggregates.iter().map(|v| cell(*v)).collect(),
            })
            .collect(),
        charts: charts::site_charts(site),
    };
    Ok((page, rows))
}

fn map_page(site: &Site) -> MapPage<'_> {
    let matrix = site.tactic_matrix();
    let max = matrix
        .iter()
        .flat_map(|row| row.iter().map(Vec::len))
        .max()
        .unwrap_or(0)
        .max(1);
    MapPage {
        tactics: site
            .tactics
            .iter()
            .map(|t| Link {
                name: &t.name,
                url: format!("tactics/{}/index.html", t.slug),
                count: Some(t.reports.len()),
            })
            .collect(),
        rows: site
            .cities
            .iter()
            .zip(matrix)
            .map(|(c, row)| MapRow {
                city: Link {
                    name: &c.group.name,
                    url: format!("cities/{}/index.html", c.group.slug),
                    count: Some(c.group.reports.len()),
                },
                cells: row
                    .iter()
                    .zip(&site.tactics)
                    .map(|(list, t)| MapCell {
                        count: list.len(),
                        heat: (list.len() * 4).div_ceil(max),
                        // One report: link to it; several: the tactic page, anchored at the city.
                        url: match list.as_slice() {
                            [only] => report_url(&site.reports[*only].slug),
                            _ => format!("tactics/{}/index.html#city-{}", t.slug, c.group.slug),
                        },
                        titles: list
                            .iter()
                            .map(|&i| site.reports[i].meta.town.as_str())
                            .collect::<Vec<_>>()
                            .join("、"),
                    })
                    .collect(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn print_links_become_anchors() {
        let html =
            r#"<a href="../../reports/sandun/index.html#x">a</a> <a href="https://e.org">b</a>"#;
        assert_eq!(
            print_links(html),
            r##"<a href="#report-sandun">a</a> <a href="https://e.org">b</a>"##
        );
        assert_eq!(
            print_links(r#"<a href="../../pages/about/index.html">c</a>"#),
            r#"<a href="../pages/about/index.html">c</a>"#
        );
    }

    #[test]
    fn escaping_covers_markup_and_quotes_only() {
        assert_eq!(
            escape_html(r#"<a href="x" title='y'>&</a> ../a/b"#),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt; ../a/b"
        );
        assert_eq!(escape_html("中文/路径"), "中文/路径");
    }

    #[test]
    fn root_is_the_way_up() {
        assert_eq!(root_for("index.html"), "");
        assert_eq!(root_for("reports/a/index.html"), "../../");
    }
}
