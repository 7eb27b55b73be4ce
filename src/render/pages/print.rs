//! The print edition: the whole digest on one page in printed order, every report an article
//! of its own (rendered in parallel from `print_report.html`), report links made in-document.
//!
//! Past `limits.print_volume` reports (default 500) one page would be more than a browser
//! prints comfortably (the digest at 100x was a 35 MB page): the edition becomes volumes, one
//! per section or per city of a section listed by city, each split into parts of at most that
//! many reports (~1.5 MB of HTML, some 550 printed pages at the default), each with its own
//! cover and contents; `print/` is then the index of the volumes, with the front and back
//! pages.

use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;

use super::book::{shares, Share};
use super::contents::{listed, Book};
use super::paginate::{page_count, Paginator};
use super::{section_groups, Cx, Groups};
use crate::error::Result;
use crate::load::Placement;
use crate::markdown::Html;
use crate::model::Section;
use crate::render::fragments::Text;
use crate::render::fragments::OWN;
use crate::render::job::{fragment_job, keyed_fragment_job, lazy_job, Job};
use crate::render::views::{group_view, BodyRef, GroupView, PageView, ReportView};
use crate::urls::{Listing, Route};

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

/// The print edition: one page while the site is small, else the index and the volumes.
pub(super) fn jobs(cx: Cx<'_>) -> Vec<Job<'_>> {
    let per = cx.site.config.limits.print_volume.max(1);
    if cx.site.reports.len() <= per {
        return vec![fragment_job(
            cx.sv,
            "print.html",
            Route::Print,
            cx.title("print"),
            move || page(cx),
        )];
    }
    let shares: Vec<Arc<Share<'_>>> = shares(cx).into_iter().map(Arc::new).collect();
    let mut jobs = vec![index(cx, &shares, per)];
    for share in shares {
        let parts = page_count(share.reports.len(), per);
        for n in 1..=parts {
            jobs.push(volume(cx, share.clone(), n, parts, per));
        }
    }
    jobs
}

/// The context of `print_report.html`.
#[derive(Serialize)]
struct ArticleContext<'a> {
    r: ReportView<'a>,
    body: BodyRef<'a>,
    section: &'a str,
    root: &'a str,
}

/// Articles of reports `order` ((section name, report) pairs) for a page at `on`, in parallel.
fn articles(cx: Cx<'_>, order: &[(&str, usize)], on: &Route<'_>) -> Result<Vec<Text>> {
    let root = on.root();
    order
        .par_iter()
        .map(|&(section, i)| {
            let body = &cx.site.reports[i].body;
            // The site's images too: the body shows its photos at their sizes.
            let media = cx.site.media.key();
            let key = cx
                .fingerprint(i)
                .map(|f| (f, body.digest, media, section, &root));
            cx.pages
                .fragments
                .render_with("print_report.html", key, || ArticleContext {
                    r: cx.full(i),
                    body: BodyRef {
                        body,
                        on: *on,
                        print: true,
                        media: &cx.site.media,
                    },
                    section,
                    root: &root,
                })
        })
        .collect()
}

/// A volume of a large site, as the index lists it.
#[derive(Serialize)]
struct VolumeLink {
    title: String,
    url: String,
    count: usize,
    part: usize,
    parts: usize,
}

#[derive(Serialize)]
struct PrintIndex<'a> {
    front: Vec<PageView<'a>>,
    volumes: Vec<VolumeLink>,
    back: Vec<PageView<'a>>,
}

/// The index of a large site's print edition: the cover, the front pages, the volumes, the back
/// pages (printable as a volume of its own).
fn index<'a>(cx: Cx<'a>, shares: &[Arc<Share<'a>>], per: usize) -> Job<'a> {
    let volumes: Vec<VolumeLink> = shares
        .iter()
        .flat_map(|share| {
            let parts = page_count(share.reports.len(), per);
            let chunks: Vec<usize> = share.reports.chunks(per).map(<[usize]>::len).collect();
            chunks
                .into_iter()
                .enumerate()
                .map(move |(k, count)| VolumeLink {
                    title: share.title(),
                    url: Route::PrintVolume(share.part(), k + 1).path(),
                    count,
                    part: k + 1,
                    parts,
                })
        })
        .collect();
    let on = |h: &Html| h.for_print(&Route::Print, &cx.site.media);
    let page = move || PrintIndex {
        front: listed(cx, Placement::Front, on),
        volumes,
        back: listed(cx, Placement::Back, on),
    };
    lazy_job(
        cx.sv,
        "print_index.html",
        Route::Print,
        cx.title("print"),
        page,
    )
}

#[derive(Serialize)]
struct VolumePage<'a> {
    title: String,
    section: GroupView<'a>,
    city: Option<&'a str>,
    part: usize,
    parts: usize,
    reports: Vec<PrintReport<'a>>,
    paginator: Option<Paginator>,
}

/// Part `n` of `parts` of one volume.
fn volume<'a>(cx: Cx<'a>, share: Arc<Share<'a>>, n: usize, parts: usize, per: usize) -> Job<'a> {
    let route = Route::PrintVolume(share.part(), n);
    let key = volume_key(cx, &share, n, parts, per);
    let build = move || -> Result<(VolumePage<'a>, Vec<Text>)> {
        let here = Route::PrintVolume(share.part(), n);
        let chunk = share.reports.chunks(per).nth(n - 1).unwrap_or(&[]);
        let name = share.section.group.name.as_str();
        let order: Vec<(&str, usize)> = chunk.iter().map(|&i| (name, i)).collect();
        let articles = articles(cx, &order, &here)?;
        let reports = chunk
            .iter()
            .zip(&articles)
            .enumerate()
            .map(|(k, (&i, html))| {
                let r = &cx.site.reports[i];
                PrintReport {
                    slug: &r.slug,
                    title: &r.meta.title,
                    article: cx.pages.marks.mark(OWN, k, html),
                }
            })
            .collect();
        let page = VolumePage {
            title: share.title(),
            section: group_view(&share.section.group, Listing::Section),
            city: share.city.map(|c| c.0),
            part: n,
            parts,
            reports,
            paginator: (parts > 1)
                .then(|| Paginator::new(n, parts, |k| Route::PrintVolume(share.part(), k))),
        };
        Ok((page, articles))
    };
    keyed_fragment_job(
        cx.sv,
        "print_volume.html",
        route,
        cx.title("print"),
        key,
        build,
    )
}

/// The key of part `n` of `parts` of a volume (see `job::keyed_fragment_job`), `None` on a plain
/// build: the volume's title, section and city, and for each of its reports what its article is
/// made of (as `articles` keys it: the report's fingerprint and body, the section), with the
/// site's images, which bodies show. Building the volume to hash it took a third of an
/// unchanged rebuild's look at its pages at 100x the digest.
fn volume_key(cx: Cx<'_>, share: &Share<'_>, n: usize, parts: usize, per: usize) -> Option<u64> {
    use std::hash::{Hash, Hasher};
    let mut h = crate::fingerprint::hasher();
    let g = &share.section.group;
    (
        share.title(),
        &g.name,
        &g.slug,
        &g.description,
        g.reports.len(),
    )
        .hash(&mut h);
    (share.city.map(|c| c.0), n, parts, per, cx.site.media.key()).hash(&mut h);
    for &i in share.reports.chunks(per).nth(n - 1).unwrap_or(&[]) {
        let r = &cx.site.reports[i];
        (cx.fingerprint(i)?, r.body.digest, &r.slug, &r.meta.title).hash(&mut h);
    }
    Some(h.finish())
}

fn page<'a>(cx: Cx<'a>) -> Result<(Book<'a, PrintSection<'a>>, Vec<Text>)> {
    let site = cx.site;
    let layout: Vec<(&Section, Groups)> = site
        .sections
        .iter()
        .map(|s| {
            let subgroups = if s.by_city.is_empty() {
                vec![(String::new(), s.group.reports.clone())]
            } else {
                section_groups(site, s)
            };
            (s, subgroups)
        })
        .collect();
    let order: Vec<(&str, usize)> = layout
        .iter()
        .flat_map(|(s, groups)| {
            groups
                .iter()
                .flat_map(move |(_, list)| list.iter().map(move |&i| (s.group.name.as_str(), i)))
        })
        .collect();
    let articles = articles(cx, &order, &Route::Print)?;
    let mut k = 0;
    let sections = layout
        .into_iter()
        .map(|(s, groups)| PrintSection {
            group: group_view(&s.group, Listing::Section),
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
                                article: cx.pages.marks.mark(OWN, k - 1, &articles[k - 1]),
                            }
                        })
                        .collect();
                    (name, entries)
                })
                .collect(),
        })
        .collect();
    let page = Book {
        front: listed(cx, Placement::Front, |h| {
            h.for_print(&Route::Print, &site.media)
        }),
        sections,
        back: listed(cx, Placement::Back, |h| {
            h.for_print(&Route::Print, &site.media)
        }),
    };
    Ok((page, articles))
}
