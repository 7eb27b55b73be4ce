//! Every page kind of the site: one file each, with its view struct and its jobs.
//!
//! [`jobs`] lists every page to render (in a fixed order); [`Pages`] renders one page from its
//! data, splicing in the shared fragments (see `fragments`).

mod book;
mod compare;
mod contents;
mod feeds;
mod home;
mod lists;
mod map;
mod metrics;
mod news;
pub(crate) mod paginate;
mod print;
mod report;
mod special;

use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;
use tera::{Context, Tera};

use super::engine::{render_one, template_error};
use super::fragments::{self, Fragment, FragmentCache, Marks, Text, DEEP_ITEMS, ITEMS, OWN};
use super::job::{key_of, Job, KeyHasher, PageData};
use super::views::{ReportRef, ReportView, SiteView};
use super::RenderOptions;
use crate::error::Result;
use crate::model::Site;
use crate::urls::{Listing, Route};

/// What every page job needs: the model, the site-wide view, the renderer's shared fragments.
#[derive(Clone, Copy)]
pub(crate) struct Cx<'a> {
    pub(crate) site: &'a Site,
    pub(crate) sv: &'a SiteView<'a>,
    pub(crate) pages: &'a Pages<'a>,
}

impl<'a> Cx<'a> {
    /// A report where a page names it (neighbours, related, contents, metrics).
    pub(crate) fn named(&self, i: usize) -> ReportRef<'a> {
        ReportRef::new(&self.site.reports[i], "")
    }

    /// A report where a listing shows it, with its rendered listing entry: for a listing's
    /// first page, or (`deep`) for its later pages, two folders deeper.
    pub(crate) fn entry(&self, i: usize, deep: bool) -> ReportRef<'a> {
        let items = &self.pages.items;
        let marks = match &items.deep_marks {
            Some(d) if deep => d,
            _ => &items.marks,
        };
        ReportRef::new(&self.site.reports[i], &marks[i])
    }

    /// A fingerprint of report `i`'s view (all but its body), when pages are keyed.
    pub(crate) fn fingerprint(&self, i: usize) -> Option<u64> {
        self.pages.fragments.fingerprint(i)
    }

    /// A page's key (see `job::keyed_job`) from what `feed` hashes, `None` where pages are not
    /// compared (`check`, a build without a previous output's table).
    pub(crate) fn key(&self, feed: impl FnOnce(&mut KeyHasher)) -> Option<u64> {
        if !self.pages.fragments.keyed {
            return None;
        }
        let mut h = KeyHasher::new();
        feed(&mut h);
        Some(std::hash::Hasher::finish(&h))
    }

    /// The key of what a page that names report `i` shows of it ([`ReportRef::hash_named`]),
    /// when fragments are cached (pages are keyed only then).
    pub(crate) fn named_key(&self, i: usize) -> u64 {
        self.pages
            .fragments
            .named
            .get(i)
            .copied()
            .unwrap_or_default()
    }

    /// A report with everything a report page shows.
    pub(crate) fn full(&self, i: usize) -> ReportView<'a> {
        ReportView::new(self.site, &self.site.reports[i])
    }

    /// The theme's title for a page kind (`cities`, `print`...), in the site's language.
    pub(crate) fn title(&self, key: &'a str) -> &'a str {
        self.sv.strings.title(key)
    }
}

/// Every page of the site, in a fixed order.
pub(crate) fn jobs<'a>(site: &'a Site, sv: &'a SiteView<'a>, pages: &'a Pages<'a>) -> Vec<Job<'a>> {
    let cx = Cx { site, sv, pages };
    let mut jobs = vec![home::job(cx)];
    jobs.extend(report::jobs(cx));
    jobs.extend(special::content_pages(cx));
    jobs.extend(lists::jobs(cx, Listing::City));
    jobs.extend(lists::jobs(cx, Listing::Tactic));
    jobs.push(map::job(cx));
    if site.sectioned() {
        jobs.extend(lists::jobs(cx, Listing::Section));
    }
    jobs.extend(contents::jobs(cx));
    jobs.extend(print::jobs(cx));
    jobs.extend(metrics::jobs(cx));
    jobs.extend(news::jobs(cx));
    jobs.extend(special::jobs(cx));
    jobs.push(compare::job(cx));
    jobs.extend(feeds::jobs(cx));
    jobs
}

/// Every report's listing entry (`report_item.html`), rendered once with [`Marks::root`] for
/// the path to the site root (at 100x the digest a copy per depth was 24 MB), and the markers
/// that stand for it on a listing's first page and on its later pages, two folders deeper.
pub(crate) struct Items {
    html: Vec<Text>,
    marks: Vec<String>,
    /// Only when some listing has more than one page.
    deep_marks: Option<Vec<String>>,
    /// The path to the site root from a first page, and from a later page.
    roots: (String, String),
}

/// The context of `report_item.html`.
#[derive(Serialize)]
struct ItemContext<'a> {
    r: ReportView<'a>,
    root: &'a str,
}

impl Items {
    /// Every report's entry, rendered in parallel; markers for later pages with `deep`. With a
    /// cache, an entry is taken from the last rebuild's when its report's fingerprint (which
    /// stands for everything the entry shows) is the same, with its markers when the report
    /// is at the same place: at 100x the digest, looking up 11,900 entries in the fragment
    /// cache and making their markers again was 10 ms of each save.
    fn render(site: &Site, fragments: &Fragments<'_>, marks: &Marks, deep: bool) -> Result<Self> {
        let root = marks.root();
        let kept = fragments
            .cache
            .and_then(|c| c.items.lock().ok().and_then(|mut k| k.take()))
            .filter(|k| k.deep.is_some() == deep);
        let placed = kept
            .as_ref()
            .map(|k| fragments::Placed::new(k.prints.len(), |j| k.prints[j]));
        let made: Vec<(Text, String, Option<String>)> = (0..site.reports.len())
            .into_par_iter()
            .map(|i| {
                let print = fragments.fingerprint(i);
                if let (Some(k), Some(p), Some(f)) = (&kept, &placed, print) {
                    match p.find(i, f) {
                        // At its place: its markers too.
                        Some(j) if j == i => {
                            let deep = k.deep.as_ref().map(|d| d[i].clone());
                            let html = Text::Kept(Arc::clone(&k.html[i]));
                            return Ok((html, k.marks[i].clone(), deep));
                        }
                        Some(j) => {
                            let html = Text::Kept(Arc::clone(&k.html[j]));
                            return Ok(Self::marked(marks, i, html, deep));
                        }
                        None => {}
                    }
                }
                let c = || ItemContext {
                    r: ReportView::new(site, &site.reports[i]),
                    root: &root,
                };
                let html = match print {
                    Some(_) => Text::Fresh(
                        render_one(fragments.tera, "report_item.html", &Self::context(c())?)?
                            .into(),
                    ),
                    None => fragments.render_with("report_item.html", None::<u64>, c)?,
                };
                Ok(Self::marked(marks, i, html, deep))
            })
            .collect::<Result<_>>()?;
        let mut items = Items {
            html: Vec::with_capacity(made.len()),
            marks: Vec::with_capacity(made.len()),
            deep_marks: deep.then(|| Vec::with_capacity(made.len())),
            roots: (
                Route::list(Listing::City, "x").root(),
                Route::List(Listing::City, "x", 2).root(),
            ),
        };
        for (html, mark, deep) in made {
            items.html.push(html);
            items.marks.push(mark);
            if let (Some(d), Some(mark)) = (&mut items.deep_marks, deep) {
                d.push(mark);
            }
        }
        Ok(items)
    }

    /// Entry `i`'s HTML with its markers.
    fn marked(marks: &Marks, i: usize, html: Text, deep: bool) -> (Text, String, Option<String>) {
        let mark = marks.mark(ITEMS, i, &html);
        let deep = deep.then(|| marks.mark(DEEP_ITEMS, i, &html));
        (html, mark, deep)
    }

    fn context(c: ItemContext<'_>) -> Result<Context> {
        Context::from_serialize(c).map_err(|e| template_error("report_item.html", &e))
    }

    /// The entries for the next rebuild, with the fingerprints they were made for.
    fn keep(self, fragments: &Fragments<'_>) {
        let Some(cache) = fragments.cache else { return };
        let html = self
            .html
            .into_iter()
            .map(|t| match t {
                Text::Kept(h) | Text::Fresh(h) => h,
                Text::Made(s) => s.into(),
            })
            .collect();
        if let Ok(mut slot) = cache.items.lock() {
            *slot = Some(fragments::KeptItems {
                prints: fragments.fingerprints.clone(),
                html,
                marks: self.marks,
                deep: self.deep_marks,
            });
        }
    }

    /// Entry `i` as a page of `table` shows it.
    fn fragment(&self, table: char, i: usize) -> Option<Fragment<'_>> {
        let root = match table {
            ITEMS => &self.roots.0,
            DEEP_ITEMS if self.deep_marks.is_some() => &self.roots.1,
            _ => return None,
        };
        Some((self.html.get(i)?, Some(root.as_str())))
    }
}

/// Renders fragments (listing entries, print articles, metrics rows), taking them from the
/// cache of the last rebuild where their context is the same.
pub(crate) struct Fragments<'a> {
    pub(crate) tera: &'a Tera,
    pub(crate) cache: Option<&'a FragmentCache>,
    /// With a cache: a fingerprint of each report's view (everything but its body), from which
    /// the keys of fragments and pages that show the report are made without building them.
    fingerprints: Vec<u64>,
    /// With a cache: the key of what a page that names each report shows of it.
    named: Vec<u64>,
    /// Whether pages are keyed from `fingerprints` (with a cache, or for a build that keeps
    /// the pages of the last one): a key made of a dozen numbers, not of the page's data
    /// serialized (which was most of a 10x build's hashing).
    keyed: bool,
}

impl<'a> Fragments<'a> {
    fn new(site: &Site, tera: &'a Tera, cache: Option<&'a FragmentCache>, keyed: bool) -> Self {
        let keyed = keyed || cache.is_some();
        let (fingerprints, named) = match keyed {
            true => fingerprints(site, cache),
            false => Default::default(),
        };
        Fragments {
            tera,
            cache,
            fingerprints,
            named,
            keyed,
        }
    }

    /// Report `i`'s fingerprint, when fragments are cached.
    pub(crate) fn fingerprint(&self, i: usize) -> Option<u64> {
        self.fingerprints.get(i).copied()
    }

    /// `template` rendered with the context `context` builds; with a cache, reused when `key`
    /// (which must stand for everything the context is made of) is the one it had last time.
    pub(crate) fn render_with<T: Serialize, K: std::hash::Hash>(
        &self,
        template: &str,
        key: Option<K>,
        context: impl FnOnce() -> T,
    ) -> Result<Text> {
        self.cached(template, key, || {
            let c = Context::from_serialize(context()).map_err(|e| template_error(template, &e))?;
            render_one(self.tera, template, &c)
        })
    }

    /// Text that `make` makes (a fragment, a data file); with a cache, reused when `key` (which
    /// must stand for everything the text is made of) is the one it had last time for `what`.
    pub(crate) fn cached<K: std::hash::Hash>(
        &self,
        what: &str,
        key: Option<K>,
        make: impl FnOnce() -> Result<String>,
    ) -> Result<Text> {
        match (self.cache, key) {
            (Some(cache), Some(key)) => {
                use std::hash::{Hash, Hasher};
                let mut h = crate::fingerprint::hasher();
                (what, key).hash(&mut h);
                cache.get_or_render(h.finish(), make)
            }
            _ => make().map(Text::Made),
        }
    }
}

/// Every report's fingerprint: a hash of its view (all but its body) and of what the exports
/// show beyond it (the file, its weight). Serializing 11,900 views took 30 ms of a rebuild at
/// 100x the digest, so a report's fingerprint is taken from the last rebuild when its view is
/// made of the same things: the same front matter and body (the model's very allocations, kept
/// while the file is unchanged; the body for its first photo), the same slugs and path, and the
/// same metric registry and images of the site.
///
/// Beside it, each report's [`ReportRef::hash_named`]: the key of what a page that only names
/// the report shows of it, taken from the last rebuild on the same terms. Pages that name a
/// dozen reports (a report page's neighbours and related reports, a contents part) are keyed
/// from these, one number per report, instead of reading each named report's strings again
/// (scattered through memory: that was most of the cost of listing 12,700 pages at 100x).
fn fingerprints(site: &Site, cache: Option<&FragmentCache>) -> (Vec<u64>, Vec<u64>) {
    use std::hash::{Hash, Hasher};
    let global = key_of("report-site", &(&site.metrics, site.media.key()));
    let old: &[fragments::Print] = cache.map_or(&[], |c| &c.prints);
    // `rest` hashes the slug: a report's print is found wherever it was.
    let placed = fragments::Placed::new(old.len(), |j| old[j].rest);
    let find = |i: usize, rest: u64| placed.find(i, rest).map(|j| &old[j]);
    let prints: Vec<fragments::Print> = site
        .reports
        .par_iter()
        .map(|r| {
            let mut h = crate::fingerprint::hasher();
            // The path's bytes, not `Path`'s hash (which parses it into components).
            (
                global,
                r.path.as_os_str(),
                &r.slug,
                &r.city_slug,
                &r.section_slug,
            )
                .hash(&mut h);
            r.tactic_slugs.hash(&mut h);
            let rest = h.finish();
            (r, rest)
        })
        .enumerate()
        .map(|(i, (r, rest))| {
            let (fingerprint, named) = match find(i, rest) {
                Some(p) if Arc::ptr_eq(&p.meta, &r.meta) && Arc::ptr_eq(&p.body, &r.body) => {
                    (p.fingerprint, p.named)
                }
                _ => {
                    // What the exports' row has beside the view: the metrics as written
                    // (the view has the site's columns, in their order), weight and draft.
                    let extra = (&r.path, r.meta.weight, r.meta.draft, &r.meta.metrics);
                    let mut named = crate::fingerprint::hasher();
                    ReportRef::hash_named(r, &mut named);
                    (
                        key_of("report", &(ReportView::new(site, r), extra)),
                        named.finish(),
                    )
                }
            };
            fragments::Print {
                meta: Arc::clone(&r.meta),
                body: Arc::clone(&r.body),
                rest,
                fingerprint,
                named,
            }
        })
        .collect();
    let fingerprints = prints.iter().map(|p| p.fingerprint).collect();
    let named = prints.iter().map(|p| p.named).collect();
    if let Some(mut next) = cache.and_then(|c| c.next_prints.lock().ok()) {
        *next = prints;
    }
    (fingerprints, named)
}

/// What renders a page from its [`PageData`]: templates, shared fragments, options.
pub(crate) struct Pages<'a> {
    tera: &'a Tera,
    pub(crate) fragments: Fragments<'a>,
    pub(crate) marks: Marks,
    /// Listing entries, rendered once per report (like Hugo's `partialCached`) and reused by
    /// every listing.
    items: Items,
    options: &'a RenderOptions,
}

impl<'a> Pages<'a> {
    /// The renderer of `site`'s pages; `cache` holds the fragments of `serve`'s last rebuild;
    /// with `keyed` (or a cache) pages are keyed from fingerprints of the reports they show.
    pub(crate) fn new(
        site: &Site,
        tera: &'a Tera,
        options: &'a RenderOptions,
        cache: Option<&'a FragmentCache>,
        keyed: bool,
    ) -> Result<Pages<'a>> {
        let fragments = Fragments::new(site, tera, cache, keyed);
        let marks = Marks::new();
        let per = site.config.paginate_by;
        let paginated = per > 0 && lists::longest(site) > per;
        let items = Items::render(site, &fragments, &marks, paginated)?;
        Ok(Pages {
            tera,
            fragments,
            marks,
            items,
            options,
        })
    }

    /// The fragment renderer alone, the listing entries dropped (kept for the next rebuild
    /// when fragments are cached).
    pub(crate) fn into_fragments(self) -> Fragments<'a> {
        self.items.keep(&self.fragments);
        self.fragments
    }

    /// Renders one page: the template, then its fragments spliced in, then `inject`.
    pub(crate) fn render(&self, template: &str, path: &str, page: PageData) -> Result<Vec<u8>> {
        let html = render_one(self.tera, template, &page.context)?;
        drop(page.context);
        let html = self.marks.splice(html, |table, i| match table {
            OWN => page.fragments.get(i).map(|f| (&**f, None)),
            _ => self.items.fragment(table, i),
        });
        Ok(inject(html, path, self.options))
    }
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

pub(crate) use compare::data_files as compare_data;

/// Named lists of report indices (a city's counties, a section's cities...).
pub(crate) type Groups = Vec<(String, Vec<usize>)>;

/// A list's `reports` and `subgroups`: the groups when there are any, else every report of
/// `all`.
pub(crate) fn grouped<'a>(
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

/// A section's reports by city, as its page, the contents and the print edition group them.
pub(crate) fn section_groups(site: &Site, s: &crate::model::Section) -> Groups {
    s.by_city
        .iter()
        .map(|(ci, list)| (site.cities[*ci].group.name.clone(), list.clone()))
        .collect()
}

/// A page with no data of its own.
#[derive(Serialize)]
pub(crate) struct Empty {}
