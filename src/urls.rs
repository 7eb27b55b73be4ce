//! Every page's address: the one owner of the site's URL scheme.
//!
//! A [`Route`] names a page; [`Route::path`] is its file in the output (`/`-separated, relative
//! to the site root) and [`Route::root`] the way up from it to the root. A link from one page to
//! another is the second's path under the first's root ([`Route::url_from`]), so every link is
//! relative and the site works at a domain root, under a sub-path and from disk. Templates get
//! root-relative paths from here (`{{ root }}{{ url }}`); Markdown bodies, check, feeds, the
//! sitemap, search results and the print edition ask here too. Nobody else formats a page path.

use serde::Serialize;

/// The kinds of listing: a named group of reports with an index of all groups of its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Listing {
    /// A prefecture-level city.
    City,
    /// A tactic of the vocabulary.
    Tactic,
    /// A section of the digest.
    Section,
}

impl Listing {
    /// The folder of this kind's pages.
    pub fn folder(self) -> &'static str {
        match self {
            Listing::City => "cities",
            Listing::Tactic => "tactics",
            Listing::Section => "sections",
        }
    }
}

/// A page of the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route<'a> {
    /// The home page.
    Home,
    /// A report, by slug.
    Report(&'a str),
    /// A page (foreword, about...), by slug.
    Page(&'a str),
    /// The index of every group of a kind.
    Index(Listing),
    /// One group's listing, by slug; page 1 is the listing's own folder, page `n` > 1 lives
    /// under `page/<n>/` in it.
    List(Listing, &'a str, usize),
    /// The city × tactic heat map.
    TacticsMap,
    /// The contents in printed order (an overview of its parts when the site is large).
    Contents,
    /// One part of a large site's contents: a section, or a section's city; page `n` > 1 under
    /// `page/<n>/`.
    ContentsPart(Part<'a>, usize),
    /// The print edition (the index of its volumes when the site is large).
    Print,
    /// One printed volume of a large site: a section or a section's city, in parts of a bounded
    /// size (part `n` > 1 under `part/<n>/`).
    PrintVolume(Part<'a>, usize),
    /// The metrics overview (with every report's row while the site is small).
    Metrics,
    /// One city's metrics table on a large site; page `n` > 1 under `page/<n>/`.
    MetricsCity(&'a str, usize),
    /// The search page.
    Search,
    /// Reports side by side (which ones: the page's query, `?r=slug1,slug2`).
    Compare,
    /// What the compare page shows of the reports of one bucket ([`compare_bucket`]), by the
    /// bucket's number: a small script (pages opened from disk cannot fetch JSON, but can load
    /// scripts).
    CompareData(&'a str),
    /// The page a host serves for a missing path.
    NotFound,
    /// The index of news items.
    NewsIndex,
    /// A news item, by slug.
    News(&'a str),
    /// The Atom feed.
    Feed,
    /// The sitemap.
    Sitemap,
    /// The JSON export of every report.
    ExportJson,
    /// The CSV export of every report.
    ExportCsv,
}

/// A share of the printed order: a section, or one city of a section listed by city.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Part<'a> {
    /// The section's slug.
    pub section: &'a str,
    /// The city's slug, in a section listed by city.
    pub city: Option<&'a str>,
}

impl Part<'_> {
    /// `<section>/` or `<section>/<city>/`.
    fn folder(&self) -> String {
        match self.city {
            Some(c) => format!("{}/{c}/", self.section),
            None => format!("{}/", self.section),
        }
    }
}

/// `index.html` for page 1, `<word>/<n>/index.html` after it.
fn numbered(word: &str, n: usize) -> String {
    if n > 1 {
        format!("{word}/{n}/index.html")
    } else {
        "index.html".into()
    }
}

impl Route<'_> {
    /// The first page of a group's listing.
    pub fn list(kind: Listing, slug: &str) -> Route<'_> {
        Route::List(kind, slug, 1)
    }

    /// The page's file, relative to the site root.
    pub fn path(&self) -> String {
        match *self {
            Route::Home => "index.html".into(),
            // Concatenated, not `format!`: a report's path is asked for wherever a page links
            // it (its neighbours, related reports, every listing), and `format!`'s machinery
            // was most of this function's 1.8% of a 10x build's instructions.
            Route::Report(slug) => ["reports/", slug, "/index.html"].concat(),
            Route::Page(slug) => ["pages/", slug, "/index.html"].concat(),
            Route::Index(kind) => format!("{}/index.html", kind.folder()),
            Route::List(kind, slug, page) if page > 1 => {
                format!("{}/{slug}/page/{page}/index.html", kind.folder())
            }
            Route::List(kind, slug, _) => [kind.folder(), "/", slug, "/index.html"].concat(),
            Route::TacticsMap => "tactics/map/index.html".into(),
            Route::Contents => "contents/index.html".into(),
            Route::ContentsPart(part, n) => {
                format!("contents/{}{}", part.folder(), numbered("page", n))
            }
            Route::Print => "print/index.html".into(),
            Route::PrintVolume(part, n) => {
                format!("print/{}{}", part.folder(), numbered("part", n))
            }
            Route::Metrics => "metrics/index.html".into(),
            Route::MetricsCity(city, n) => format!("metrics/{city}/{}", numbered("page", n)),
            Route::Search => "search/index.html".into(),
            Route::Compare => "compare/index.html".into(),
            Route::CompareData(slug) => ["data/compare/", slug, ".js"].concat(),
            Route::NotFound => "404.html".into(),
            Route::NewsIndex => "news/index.html".into(),
            Route::News(slug) => format!("news/{slug}/index.html"),
            Route::Feed => "atom.xml".into(),
            Route::Sitemap => "sitemap.xml".into(),
            Route::ExportJson => "data/reports.json".into(),
            Route::ExportCsv => "data/reports.csv".into(),
        }
    }

    /// The way up from this page to the site root: `../` per folder, empty at the root.
    pub fn root(&self) -> String {
        root_of(&self.path())
    }

    /// The absolute URL of this page on a site published at `base_url` (ending in `/`), folder
    /// pages without their `index.html` (the address people share and cite).
    pub fn absolute(&self, base_url: &str) -> String {
        let path = self.path();
        let path = path.strip_suffix("index.html").unwrap_or(&path);
        format!("{base_url}{path}")
    }

    /// The URL of this page as linked from page `from`.
    pub fn url_from(&self, from: &Route<'_>) -> String {
        from.root() + &self.path()
    }
}

/// How many compare data files a site of `reports` reports has: a power of two near one per 16
/// reports, so a file holds 8 to 16 reports on average (some 10-16 KB, what a page of results
/// weighs) and the number changes only when the site doubles or halves. One file per report was
/// 11,900 files at 100x the digest, each a file system entry of at least 4 KB.
pub fn compare_buckets(reports: usize) -> u32 {
    u32::try_from((reports / 16).max(1).next_power_of_two()).unwrap_or(1 << 31)
}

/// The bucket of `buckets` whose compare data file holds report `slug`: FNV-1a (32 bits) of the
/// slug's UTF-8 bytes, modulo `buckets`. The compare page's script computes the same
/// (`bucketOf` in the theme's `reader.js`) to find the file of a slug in its address.
pub fn compare_bucket(slug: &str, buckets: u32) -> u32 {
    crate::fingerprint::fnv1a_32(slug.as_bytes()) % buckets.max(1)
}

/// The way up to the site root from a file at `path` (relative to the root).
pub fn root_of(path: &str) -> String {
    "../".repeat(path.matches('/').count())
}

/// The fixed pages' paths, for templates (`{{ root }}{{ urls.contents }}`).
#[derive(Debug, Serialize)]
pub struct SiteUrls {
    /// The home page.
    pub home: String,
    /// The contents.
    pub contents: String,
    /// The index of cities.
    pub cities: String,
    /// The index of tactics.
    pub tactics: String,
    /// The tactics map.
    pub tactics_map: String,
    /// The index of sections.
    pub sections: String,
    /// The metrics page.
    pub metrics: String,
    /// The search page.
    pub search: String,
    /// The compare page.
    pub compare: String,
    /// The print edition.
    pub print: String,
    /// The news index.
    pub news: String,
    /// The Atom feed.
    pub feed: String,
    /// The JSON export.
    pub export_json: String,
    /// The CSV export.
    pub export_csv: String,
}

impl Default for SiteUrls {
    fn default() -> Self {
        SiteUrls {
            home: Route::Home.path(),
            contents: Route::Contents.path(),
            cities: Route::Index(Listing::City).path(),
            tactics: Route::Index(Listing::Tactic).path(),
            tactics_map: Route::TacticsMap.path(),
            sections: Route::Index(Listing::Section).path(),
            metrics: Route::Metrics.path(),
            search: Route::Search.path(),
            compare: Route::Compare.path(),
            print: Route::Print.path(),
            news: Route::NewsIndex.path(),
            feed: Route::Feed.path(),
            export_json: Route::ExportJson.path(),
            export_csv: Route::ExportCsv.path(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_links_between_pages() {
        assert_eq!(Route::Home.path(), "index.html");
        assert_eq!(Route::Home.root(), "");
        let r = Route::Report("sandun");
        assert_eq!(r.path(), "reports/sandun/index.html");
        assert_eq!(r.root(), "../../");
        assert_eq!(
            Route::list(Listing::Tactic, "a").url_from(&r),
            "../../tactics/a/index.html"
        );
        assert_eq!(
            Route::List(Listing::City, "x", 3).path(),
            "cities/x/page/3/index.html"
        );
        assert_eq!(Route::List(Listing::City, "x", 3).root(), "../../../../");
        assert_eq!(Route::Print.root(), "../");
        assert_eq!(Route::NotFound.root(), "");
        assert_eq!(
            Route::ExportCsv.url_from(&Route::Metrics),
            "../data/reports.csv"
        );
        assert_eq!(
            r.absolute("https://ex.org/d/"),
            "https://ex.org/d/reports/sandun/"
        );
        assert_eq!(
            Route::ExportCsv.absolute("https://ex.org/"),
            "https://ex.org/data/reports.csv"
        );
        assert_eq!(
            Route::CompareData("7").url_from(&Route::Compare),
            "../data/compare/7.js"
        );
    }

    #[test]
    fn compare_buckets_hold_8_to_16_reports_and_fnv_places_a_slug() {
        assert_eq!(compare_buckets(0), 1);
        assert_eq!(compare_buckets(119), 8);
        assert_eq!(compare_buckets(11_900), 1024);
        assert_eq!(compare_buckets(119_000), 8192);
        // FNV-1a's published test vectors (32 bits): "" and "a".
        assert_eq!(compare_bucket("", u32::MAX), 0x811c_9dc5);
        assert_eq!(compare_bucket("a", u32::MAX), 0xe40c_292c);
        assert!(compare_bucket("sandun", 8) < 8);
    }
}
