//! The per-document files of the browser index: `d/<doc>.js` (what a result shows) and the facet
//! chunks `idx/f<K>.js` (formats in [`super::format`]). Independent of tantivy, so they
//! are written beside the indexing.
//!
//! Entry points: [`document`], [`facets`].

use rayon::prelude::*;

use super::export::put;
use super::format::{runs, script, DocView, FacetChunk, Facets};
use super::terr;
use crate::error::Result;
use crate::model::{Report, Site};
use crate::output::{OutputFile, Sink};

/// Documents per facet chunk: a query that matches a few reports loads the facet values of a
/// few chunks, not of the whole site.
pub(super) const FACET_CHUNK: u32 = 2048;

/// The facet names, in the order the chunks index them.
pub(super) fn facet_names(site: &Site) -> Facets {
    Facets {
        city: site.cities.iter().map(|c| c.group.name.clone()).collect(),
        section: site.sections.iter().map(|x| x.group.name.clone()).collect(),
        tactics: site.tactics.iter().map(|t| t.name.clone()).collect(),
        chunk: FACET_CHUNK,
    }
}

/// Writes the view of document `i`, report `r` with body text `text`.
pub(super) fn document(
    site: &Site,
    i: usize,
    r: &Report,
    text: &str,
    sink: &Sink<'_>,
) -> Result<()> {
    let m = &r.meta;
    let doc = DocView {
        slug: &r.slug,
        title: &m.title,
        url: crate::urls::Route::Report(&r.slug).path(),
        town: &m.town,
        county: m.county.as_deref(),
        city: &m.city,
        section: m.section.as_deref(),
        summary: m.summary.as_deref(),
        body: text,
        thumb: site.media.first(r.body.html.images()).map(|i| i.thumb()),
    };
    let json = serde_json::to_string(&doc).map_err(terr)?;
    let path = format!("d/{i}.js");
    sink(OutputFile {
        bytes: script(&path, &json),
        path: format!("search/{path}"),
    })
}

/// Writes the facet chunks of index folder `dir`.
pub(super) fn facets(site: &Site, dir: &str, sink: &Sink<'_>) -> Result<()> {
    let names = facet_names(site);
    let index = |list: &[String], name: &str| list.iter().position(|x| x == name);
    site.reports
        .par_chunks(FACET_CHUNK as usize)
        .enumerate()
        .try_for_each(|(k, reports)| {
            let mut chunk = FacetChunk {
                city: vec![Vec::new(); names.city.len()],
                section: vec![Vec::new(); names.section.len()],
                tactics: vec![Vec::new(); names.tactics.len()],
            };
            for (d, r) in reports.iter().enumerate() {
                let d = d as u32;
                if let Some(c) = index(&names.city, &r.meta.city) {
                    chunk.city[c].push(d);
                }
                if let Some(s) = r
                    .meta
                    .section
                    .as_deref()
                    .and_then(|s| index(&names.section, s))
                {
                    chunk.section[s].push(d);
                }
                for t in &r.meta.tactics {
                    if let Some(t) = index(&names.tactics, t) {
                        chunk.tactics[t].push(d);
                    }
                }
            }
            for list in [&mut chunk.city, &mut chunk.section, &mut chunk.tactics] {
                for docs in list.iter_mut() {
                    *docs = runs(docs);
                }
            }
            let json = serde_json::to_string(&chunk).map_err(terr)?;
            put(sink, dir, &format!("f{k}.js"), &json)
        })
}
