//! Serializable views of the model for templates: borrowed where possible, with URLs relative
//! to the site root (templates prefix them with `root`, the way up from the current page).

use serde::Serialize;

use crate::cite;
use crate::markdown::Body;
use crate::media::Media;
use crate::model::{Group, Page, Report, Site};
use crate::urls::{Listing, Route, SiteUrls};

/// Site-wide values every template sees as `site`.
#[derive(Debug, Serialize)]
pub(crate) struct SiteView<'a> {
    pub(crate) title: &'a str,
    pub(crate) subtitle: Option<&'a str>,
    pub(crate) description: Option<&'a str>,
    pub(crate) language: &'a str,
    pub(crate) base_url: Option<&'a str>,
    /// The default share image (`og:image`), URL-escaped, relative to the root.
    pub(crate) og_image: Option<String>,
    pub(crate) counts: Counts,
    pub(crate) sections: Vec<Link<'a>>,
    /// Whether the site shows sections at all (see `Site::sectioned`).
    pub(crate) has_sections: bool,
    pub(crate) footer_pages: Vec<Link<'a>>,
    /// The fixed pages' paths (`{{ root }}{{ site.urls.contents }}`).
    pub(crate) urls: SiteUrls,
    /// The interface strings in the site's language.
    #[serde(skip)]
    pub(crate) strings: &'a crate::i18n::Strings,
    /// A hash of all of the above: what every page shares, for keyed pages (`job::keyed_job`).
    #[serde(skip)]
    pub(crate) key: u64,
}

/// A site path escaped for a URL (non-ASCII, spaces, quotes...): share images go out as
/// absolute URLs.
pub(crate) fn url_path(path: &str) -> String {
    crate::markdown::url_path(path.trim_start_matches('/'))
}

/// The site-wide view every page shares.
pub(crate) fn site_view(site: &Site) -> SiteView<'_> {
    // Distinct towns and counties by city, counted with sets: sorting 11,900 names to count
    // them was a share of every save in `serve` at 100x the digest.
    let distinct = |pairs: &mut dyn Iterator<Item = (&str, &str)>| {
        let mut set = foldhash::HashSet::with_capacity_and_hasher(
            site.reports.len(),
            foldhash::fast::RandomState::default(),
        );
        set.extend(pairs);
        set.len()
    };
    let towns = distinct(
        &mut site
            .reports
            .iter()
            .map(|r| (r.meta.city.as_str(), r.meta.town.as_str())),
    );
    let counties = distinct(
        &mut site
            .reports
            .iter()
            .filter_map(|r| Some((r.meta.city.as_str(), r.meta.county.as_deref()?))),
    );
    let mut view = SiteView {
        title: &site.config.title,
        subtitle: site.config.subtitle.as_deref(),
        description: site.config.description.as_deref(),
        language: &site.config.language,
        base_url: site.config.base_url.as_deref(),
        og_image: site.config.og_image.as_deref().map(url_path),
        counts: Counts {
            reports: site.reports.len(),
            news: site.news.len(),
            cities: site.cities.len(),
            counties,
            towns,
            tactics: site.tactics.len(),
        },
        sections: site
            .sections
            .iter()
            .map(|s| Link {
                name: &s.group.name,
                url: Route::list(Listing::Section, &s.group.slug).path(),
                count: Some(s.group.reports.len()),
            })
            .collect(),
        has_sections: site.sectioned(),
        footer_pages: site
            .pages
            .iter()
            .map(|p| Link {
                name: &p.meta.title,
                url: Route::Page(&p.slug).path(),
                count: None,
            })
            .collect(),
        urls: SiteUrls::default(),
        strings: &site.strings,
        key: 0,
    };
    view.key = super::job::key_of("site", &(&view, site.strings.fingerprint()));
    view
}

/// A body as a page shows it: its HTML with internal links resolved for the page (for a print
/// page: report links as anchors). While a page's data is keyed, only the body's digest and
/// the page are written: equal digests, equal HTML.
pub(crate) struct BodyRef<'a> {
    pub(crate) body: &'a Body,
    pub(crate) on: Route<'a>,
    pub(crate) print: bool,
    /// The site's processed images (sizes and variants of the bundle images it shows).
    pub(crate) media: &'a Media,
}

impl Serialize for BodyRef<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if super::job::keying() {
            return (
                self.body.digest,
                self.on.path(),
                self.print,
                self.media.key(),
            )
                .serialize(s);
        }
        // A lean body is parsed again here, for this page only.
        let body = self.body.whole().map_err(serde::ser::Error::custom)?;
        let html = if self.print {
            body.html.for_print(&self.on, self.media)
        } else {
            body.html.for_page(&self.on, self.media)
        };
        s.serialize_str(&html)
    }
}

/// What `base.html` puts in a page's share card (Open Graph, Twitter) when the page has more
/// to say than the site: its summary and first photo (URL-escaped, relative to the root).
#[derive(Serialize)]
pub(crate) struct Share<'a> {
    pub(crate) kind: &'static str,
    pub(crate) description: Option<&'a str>,
    pub(crate) image: Option<String>,
}

/// A group (city, tactic, section) where a page names or lists it.
#[derive(Serialize)]
pub(crate) struct GroupView<'a> {
    pub(crate) name: &'a str,
    pub(crate) slug: &'a str,
    pub(crate) url: String,
    pub(crate) description: &'a str,
    pub(crate) count: usize,
}

pub(crate) fn group_view(g: &Group, kind: Listing) -> GroupView<'_> {
    GroupView {
        name: &g.name,
        slug: &g.slug,
        url: Route::list(kind, &g.slug).path(),
        description: &g.description,
        count: g.reports.len(),
    }
}

/// A page (foreword, about...) as another page shows it, with its body as resolved for that
/// page (internal links relative to it).
#[derive(Serialize)]
pub(crate) struct PageView<'a> {
    pub(crate) title: &'a str,
    pub(crate) slug: &'a str,
    pub(crate) url: String,
    pub(crate) label: Option<&'a str>,
    pub(crate) author: Option<&'a str>,
    pub(crate) date: Option<&'a str>,
    pub(crate) summary: Option<&'a str>,
    pub(crate) body: String,
}

pub(crate) fn page_view(p: &Page, body: String) -> PageView<'_> {
    PageView {
        title: &p.meta.title,
        slug: &p.slug,
        url: Route::Page(&p.slug).path(),
        label: p.meta.label.as_deref(),
        author: p.meta.author.as_deref(),
        date: p.meta.date.as_deref(),
        summary: p.meta.summary.as_deref(),
        body,
    }
}

/// Figures at a glance.
#[derive(Debug, Serialize)]
pub(crate) struct Counts {
    pub(crate) reports: usize,
    pub(crate) news: usize,
    pub(crate) cities: usize,
    pub(crate) counties: usize,
    pub(crate) towns: usize,
    pub(crate) tactics: usize,
}

/// A link: text and a root-relative URL.
#[derive(Debug, Serialize, Clone)]
pub(crate) struct Link<'a> {
    pub(crate) name: &'a str,
    pub(crate) url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) count: Option<usize>,
}

/// A metric value on a report.
#[derive(Debug, Serialize)]
pub(crate) struct MetricValue<'a> {
    pub(crate) key: &'a str,
    pub(crate) label: &'a str,
    pub(crate) unit: &'a str,
    pub(crate) value: Option<f64>,
    pub(crate) display: String,
}

/// A report with all a report page shows (and a listing entry or print article is made of).
#[derive(Debug, Serialize)]
pub(crate) struct ReportView<'a> {
    /// What a listing shows: slug, URL, title, place (the same fields, at the same level).
    #[serde(flatten)]
    pub(crate) name: ReportRef<'a>,
    pub(crate) section: Option<Link<'a>>,
    pub(crate) level: Option<&'a str>,
    pub(crate) summary: Option<&'a str>,
    pub(crate) subtitle: Option<&'a str>,
    pub(crate) author: Option<&'a str>,
    pub(crate) author_role: Option<&'a str>,
    pub(crate) date: Option<&'a str>,
    pub(crate) source: Option<&'a str>,
    pub(crate) tactics: Vec<Link<'a>>,
    pub(crate) metrics: Vec<MetricValue<'a>>,
    pub(crate) extra: &'a serde_json::Value,
    /// Its first photo (the re-encoded original, URL-escaped, relative to the root): the share
    /// image of its page.
    pub(crate) image: Option<String>,
}

impl<'a> ReportView<'a> {
    pub(crate) fn new(site: &'a Site, r: &'a Report) -> Self {
        ReportView {
            name: ReportRef::new(r, ""),
            section: r.meta.section.as_deref().map(|s| Link {
                name: s,
                url: Route::list(
                    Listing::Section,
                    r.section_slug.as_deref().unwrap_or_default(),
                )
                .path(),
                count: None,
            }),
            level: r.meta.level.as_deref(),
            summary: r.meta.summary.as_deref(),
            subtitle: r.meta.subtitle.as_deref(),
            author: r.meta.author.as_deref(),
            author_role: r.meta.author_role.as_deref(),
            date: r.meta.date.as_deref(),
            source: r.meta.source.as_deref(),
            image: site
                .media
                .first(r.body.html.images())
                .map(|i| url_path(&i.fallback)),
            tactics: r
                .meta
                .tactics
                .iter()
                .zip(&r.tactic_slugs)
                .map(|(name, slug)| Link {
                    name,
                    url: Route::list(Listing::Tactic, slug).path(),
                    count: None,
                })
                .collect(),
            metrics: site
                .metrics
                .iter()
                .filter_map(|m| {
                    let v = r.meta.metrics.get(&m.key)?;
                    Some(MetricValue {
                        key: &m.key,
                        label: &m.label,
                        unit: &m.unit,
                        value: *v,
                        display: v.map(fmt_num).unwrap_or_else(|| "—".into()),
                    })
                })
                .collect(),
            extra: &r.meta.extra,
        }
    }
}

/// A report where a page only names it: listings, contents, neighbours, related reports.
///
/// Listings hold thousands of reports at scale, and every field of a view becomes a JSON value
/// that Tera builds, looks up and drops: a full [`ReportView`] per listed report was most of the
/// render stage. The listing entry itself (`item`) is rendered once per report from the
/// `report_item.html` template (like Hugo's `partialCached`) and reused by every listing.
#[derive(Debug, Serialize)]
pub(crate) struct ReportRef<'a> {
    pub(crate) slug: &'a str,
    pub(crate) url: String,
    pub(crate) title: &'a str,
    pub(crate) town: &'a str,
    pub(crate) county: Option<&'a str>,
    pub(crate) city: Link<'a>,
    pub(crate) city_slug: &'a str,
    /// The report's `report_item.html`, rendered for pages two folders deep; empty (and left
    /// out) where a page does not list items.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub(crate) item: &'a str,
}

impl<'a> ReportRef<'a> {
    pub(crate) fn new(r: &'a Report, item: &'a str) -> Self {
        ReportRef {
            slug: &r.slug,
            url: Route::Report(&r.slug).path(),
            title: &r.meta.title,
            town: &r.meta.town,
            county: r.meta.county.as_deref(),
            city: city_link(r),
            city_slug: &r.city_slug,
            item,
        }
    }
}

impl ReportRef<'_> {
    /// Hashes everything [`ReportRef::new`] takes from `r` (keep the two together): a page that
    /// only names a report (its neighbours, its related reports) is keyed by this, not by the
    /// report's whole fingerprint, so a metric edit does not re-render every page naming it.
    pub(crate) fn hash_named(r: &Report, h: &mut impl std::hash::Hasher) {
        use std::hash::Hash;
        (
            &r.slug,
            &r.meta.title,
            &r.meta.town,
            &r.meta.county,
            &r.meta.city,
            &r.city_slug,
        )
            .hash(h);
    }
}

fn city_link(r: &Report) -> Link<'_> {
    Link {
        name: &r.meta.city,
        url: Route::list(Listing::City, &r.city_slug).path(),
        count: None,
    }
}

/// A number as people write it: no `.0` on whole numbers, at most two decimals otherwise.
pub(crate) fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A news item where a page names it (a report's follow-ups, the news index, the feed).
#[derive(Debug, Serialize)]
pub(crate) struct NewsRef<'a> {
    pub(crate) slug: &'a str,
    pub(crate) url: String,
    pub(crate) title: &'a str,
    pub(crate) date: Option<&'a str>,
    pub(crate) source: Option<&'a str>,
    pub(crate) summary: Option<&'a str>,
    /// The date as a feed needs it (a full `YYYY-MM-DD`), when the item has one.
    pub(crate) updated: Option<&'a str>,
}

impl<'a> NewsRef<'a> {
    pub(crate) fn new(n: &'a crate::model::News) -> Self {
        NewsRef {
            slug: &n.slug,
            url: Route::News(&n.slug).path(),
            title: &n.meta.title,
            date: n.meta.date.as_deref(),
            source: n.meta.source.as_deref(),
            summary: n.meta.summary.as_deref(),
            updated: n.meta.date.as_deref().filter(|d| crate::load::is_date(d)),
        }
    }
}

/// The page's absolute URL, when the site has a `base_url` (load makes it end in `/`).
pub(crate) fn report_url(site: &Site, r: &Report) -> Option<String> {
    let base = site.config.base_url.as_deref()?;
    Some(Route::Report(&r.slug).absolute(base))
}

/// What a citation of report `r` is made of (see `crate::cite`); `url` from [`report_url`].
fn cite_work<'a>(site: &'a Site, r: &'a Report, url: Option<&'a str>) -> cite::Work<'a> {
    cite::Work {
        key: &r.slug,
        title: &r.meta.title,
        author: r.meta.author.as_deref(),
        date: r.meta.date.as_deref(),
        source: r.meta.source.as_deref(),
        site: &site.config.title,
        url,
    }
}

/// A report's citations as its page shows them, with its BibTeX and CSL-JSON to download: each
/// a `data:` URL in the page (`cite::data_url`) and the file name a download gets.
#[derive(Debug, Serialize)]
pub(crate) struct CiteView {
    #[serde(flatten)]
    pub(crate) citations: cite::Citations,
    pub(crate) bibtex_href: String,
    pub(crate) bibtex_name: String,
    pub(crate) csl_href: String,
    pub(crate) csl_name: String,
}

pub(crate) fn cite_view(site: &Site, r: &Report) -> CiteView {
    let url = report_url(site, r);
    let work = cite_work(site, r, url.as_deref());
    CiteView {
        citations: cite::Citations::of(&work),
        bibtex_href: cite::data_url("application/x-bibtex", &cite::bibtex(&work)),
        bibtex_name: format!("{}.bib", r.slug),
        csl_href: cite::data_url(
            "application/vnd.citationstyles.csl+json",
            &cite::csl_json(&work),
        ),
        csl_name: format!("{}.json", r.slug),
    }
}
