//! Index stage: the site's reports become a static browser index (for `search/search.js`),
//! exported from casebook's own inverted index of them ([`invert`]); `casebook search` makes a
//! tantivy index of the same field values in memory ([`tantivy_index`]), and both rank with the
//! same BM25 (tantivy's, field norms and all).
//!
//! Entry points: [`index`], [`index_into`], [`tantivy_index`]. The build's files are bytes;
//! writing them into the output is the write stage's job. The browser index's files and their
//! versioned format are described in [`format`].

pub mod chars;
mod docs;
mod export;
pub mod fold;
pub mod format;
mod invert;
pub mod prefix;
pub mod tokenizer;

use rayon::prelude::*;
use sha2::{Digest, Sha256};
use tantivy::schema::{
    Facet, FacetOptions, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, STORED,
    STRING,
};
use tantivy::{doc, Index, IndexReader, ReloadPolicy, TantivyDocument};

use self::export::SHARD_BYTES;
use self::format::{
    script, Manifest, ShardRef, ShardTable, TermShardRef, FORMAT, SHARDS_PER_TABLE,
};

use self::invert::Inverted;
use crate::error::{Error, Result};
use crate::model::{Report, Site};
use crate::output::{OutputFile, Sink};

/// Text fields in index order, with their boosts: a title or a place name says more than a body.
pub const FIELDS: &[(&str, f32)] = &[
    ("title", 3.0),
    ("town", 3.0),
    ("county", 2.0),
    ("city", 1.5),
    ("tactics", 2.0),
    ("summary", 1.0),
    ("body", 1.0),
];

/// What indexing produced: the browser index's files, as bytes; the write stage puts them on
/// disk.
#[derive(Debug)]
pub struct SearchIndex {
    /// Every file, paths relative to the output folder.
    pub files: Vec<OutputFile>,
}

/// The schema and its fields.
pub struct IndexSchema {
    /// The tantivy schema.
    pub schema: Schema,
    /// Text fields, in [`FIELDS`] order.
    pub text: Vec<Field>,
    /// The report slug (stored).
    pub slug: Field,
    /// The title as shown (stored).
    pub title_stored: Field,
    /// City, section and tactics as facets (`/city/杭州市`).
    pub tags: Field,
}

/// Builds the schema every index of casebook uses.
pub fn schema() -> IndexSchema {
    let mut b = Schema::builder();
    let indexing = TextFieldIndexing::default()
        .set_tokenizer(tokenizer::NAME)
        .set_index_option(IndexRecordOption::WithFreqsAndPositions);
    let text = FIELDS
        .iter()
        .map(|(name, _)| {
            b.add_text_field(
                name,
                TextOptions::default().set_indexing_options(indexing.clone()),
            )
        })
        .collect();
    let slug = b.add_text_field("slug", STRING | STORED);
    let title_stored = b.add_text_field("title_stored", STORED);
    let tags = b.add_facet_field("tags", FacetOptions::default());
    IndexSchema {
        schema: b.build(),
        text,
        slug,
        title_stored,
        tags,
    }
}

/// Registers the casebook tokenizer on an index.
pub fn register(index: &Index) {
    index
        .tokenizers()
        .register(tokenizer::NAME, tokenizer::CasebookTokenizer);
}

fn terr(e: impl std::fmt::Display) -> Error {
    Error::Index(e.to_string())
}

/// Indexes every report into the browser's static index.
pub fn index(site: &Site) -> Result<SearchIndex> {
    index_while(site, &|| true)
}

/// Whether work should go on; asked often (each document, each file made).
pub type GoOn<'a> = &'a (dyn Fn() -> bool + Sync);

/// [`index`], given up with [`Error::Superseded`] as soon as `go_on` says no: serve makes the
/// index in the background, and a save that arrives meanwhile makes it stale before it is done
/// (at 100x the digest it takes seconds; left running, it shared the CPU with the save's rebuild
/// and slowed save to reload by about 40%).
pub fn index_while(site: &Site, go_on: GoOn<'_>) -> Result<SearchIndex> {
    let files = std::sync::Mutex::new(Vec::new());
    index_in_chunks(
        site,
        &|f| {
            if !go_on() {
                return Err(Error::Superseded);
            }
            files
                .lock()
                .map_err(|_| Error::Index("poisoned".into()))?
                .push(f);
            Ok(())
        },
        None,
        CHUNK,
        go_on,
    )?;
    let mut files = files
        .into_inner()
        .map_err(|_| Error::Index("poisoned".into()))?;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(SearchIndex { files })
}

/// Like [`index`], handing each file to `sink` as soon as it is ready, so a large site's index
/// is never held twice in memory. With `scratch` (a folder inside the output: the build's
/// staging folder), a site of more than one chunk keeps each finished chunk's postings in a
/// file there until the export has read them ([`Inverted::spill`]).
pub fn index_into(site: &Site, sink: &Sink<'_>, scratch: Option<&std::path::Path>) -> Result<()> {
    index_in_chunks(site, sink, scratch, CHUNK, &|| true)
}

/// Reports whose bodies are held at once while indexing (a lean body is parsed again for the
/// index, [`crate::model::Body::whole_text`]), and per tantivy segment of `casebook search`: its
/// writer's postings for 11,900 reports (100x the digest) take some 70 MB, so a site up to this
/// size is one segment, and a larger one is written in segments of this size and merged.
const CHUNK: usize = 16_384;

/// The bodies' text of `reports`, parsed again where lean.
fn texts(reports: &[Report]) -> Result<Vec<std::borrow::Cow<'_, str>>> {
    reports.par_iter().map(|r| r.body.whole_text()).collect()
}

/// [`index_into`], `chunk` reports at a time: their bodies' text (a lean body parsed again,
/// once for everything the index makes of it), inverted ([`invert`]) beside their result
/// documents and digests, then the next chunk; then the export of the whole.
fn index_in_chunks(
    site: &Site,
    sink: &Sink<'_>,
    scratch: Option<&std::path::Path>,
    chunk: usize,
    go_on: GoOn<'_>,
) -> Result<()> {
    let chunk = chunk.max(1);
    // Removed when this function returns, whatever happens; a killed build leaves it inside the
    // staging folder, which the next build discards.
    let spill = scratch
        .filter(|_| site.reports.len() > chunk)
        .map(|dir| {
            tempfile::Builder::new()
                .prefix(".index-")
                .tempdir_in(dir)
                .map_err(|e| Error::io(dir, e))
        })
        .transpose()?;
    let mut inverted = Inverted::new();
    let mut digests = Vec::with_capacity(site.reports.len());
    for (k, reports) in site.reports.chunks(chunk).enumerate() {
        let bodies = texts(reports)?;
        let texts: Vec<&str> = bodies.iter().map(|b| b.as_ref()).collect();
        let (part, made) = rayon::join(
            || invert::chunk(k * chunk, reports, &texts, go_on),
            || {
                reports
                    .par_iter()
                    .zip(&texts)
                    .enumerate()
                    .map(|(j, (r, text))| {
                        docs::document(site, k * chunk + j, r, text, sink)?;
                        Ok(report_digest(site, r, text))
                    })
                    .collect::<Result<Vec<_>>>()
            },
        );
        inverted.push(part?);
        if let Some(dir) = &spill {
            inverted.spill(dir.path())?;
        }
        digests.extend(made?);
    }
    let version = &version(site, &digests);
    let dir = INDEX_DIR;
    if !site.reports.is_empty() {
        docs::facets(site, dir, sink)?;
    }
    let named = export::once(sink);
    let exported = export::export(&inverted, dir, &named)?;
    drop(inverted);
    let fold = fold::file(sink)?;
    let (docs, fields, shards) = match exported {
        Some(e) => (e.docs, e.fields, e.shards),
        None => (0, empty_fields(), Vec::new()),
    };
    let tables = shard_tables(&shards, dir, &named)?;
    let manifest = Manifest {
        format: FORMAT,
        docs,
        dir,
        version,
        fields,
        norms: fieldnorm_table(),
        tables,
        facets: docs::facet_names(site),
        fold,
    };
    sink(OutputFile {
        bytes: script(
            "manifest.js",
            &serde_json::to_string(&manifest).map_err(terr)?,
        ),
        path: "search/manifest.js".into(),
    })
}

/// The tantivy index of `site`'s reports, in memory, for `casebook search`: one segment per
/// [`CHUNK`] reports, merged in order so that doc ids stay the site's report order. Made of the
/// same field values as the browser's index ([`invert::values`]), so both rank alike.
pub fn tantivy_index(site: &Site) -> Result<Index> {
    tantivy_in_chunks(site, CHUNK)
}

/// [`tantivy_index`], a segment per `chunk` reports.
fn tantivy_in_chunks(site: &Site, chunk: usize) -> Result<Index> {
    let s = schema();
    let mut parts = Vec::new();
    for reports in site.reports.chunks(chunk.max(1)) {
        let bodies = texts(reports)?;
        let texts: Vec<&str> = bodies.iter().map(|b| b.as_ref()).collect();
        parts.push(segment(&s, reports, &texts)?);
    }
    let index = match parts.len() {
        0 => segment(&s, &[], &[])?,
        1 => parts.into_iter().next().expect("one part"),
        _ => tantivy::indexer::merge_indices(&parts, tantivy::directory::RamDirectory::create())
            .map_err(terr)?,
    };
    register(&index);
    Ok(index)
}

/// `reports` as one tantivy segment in memory, doc ids in their order. Written on this thread:
/// the threaded writer queued up to 10,000 documents (copies of every body) in its channel,
/// some 60 MB at 100x the digest, and then had to merge.
fn segment(s: &IndexSchema, reports: &[Report], texts: &[&str]) -> Result<Index> {
    let tokenizers = tantivy::tokenizer::TokenizerManager::default();
    tokenizers.register(tokenizer::NAME, tokenizer::CasebookTokenizer);
    let mut writer = Index::builder()
        .schema(s.schema.clone())
        .tokenizers(tokenizers)
        .single_segment_index_writer::<TantivyDocument>(
            tantivy::directory::RamDirectory::create(),
            200_000_000,
        )
        .map_err(terr)?;
    for (r, text) in reports.iter().zip(texts) {
        let mut d = doc!(
            s.slug => r.slug.as_str(),
            s.title_stored => r.meta.title.as_str(),
            s.tags => Facet::from_path(["city", r.meta.city.as_str()]),
        );
        for (field, values) in s.text.iter().zip(invert::values(r, text)) {
            for v in values {
                d.add_text(*field, v);
            }
        }
        for t in &r.meta.tactics {
            d.add_facet(s.tags, Facet::from_path(["tactic", t.as_str()]));
        }
        if let Some(sec) = &r.meta.section {
            d.add_facet(s.tags, Facet::from_path(["section", sec.as_str()]));
        }
        writer.add_document(d).map_err(terr)?;
    }
    writer.finalize().map_err(terr)
}

/// Writes the term shards' table in parts of [`SHARDS_PER_TABLE`]; returns the manifest's table
/// of those.
fn shard_tables(firsts: &[String], dir: &str, sink: &Sink<'_>) -> Result<Vec<ShardRef>> {
    firsts
        .chunks(SHARDS_PER_TABLE)
        .enumerate()
        .map(|(k, part)| {
            let shards = part.iter().map(|f| TermShardRef { first: f }).collect();
            let json = serde_json::to_string(&ShardTable { shards }).map_err(terr)?;
            export::put(sink, dir, &format!("s{k}.js"), &json)?;
            Ok(ShardRef {
                first: part[0].clone(),
                file: k.to_string(),
            })
        })
        .collect()
}

/// A reader of `index` that never reloads (the index does not change).
pub fn open_reader(index: &Index) -> Result<IndexReader> {
    index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()
        .map_err(terr)
}

/// What the index's [`version`] takes of report `r` with body text `text`: every indexed and
/// shown value, and the thumbnail its result shows (`docs::document`). xxh3 (128 bits), not
/// SHA-256: the version tells one index from another, it guards nothing, and SHA-256 in
/// software over every body was 2% of a build's instructions.
fn report_digest(site: &Site, r: &Report, text: &str) -> [u8; 16] {
    let mut h = crate::fingerprint::hasher();
    let thumb = site.media.first(r.body.html.images()).map(|i| i.thumb());
    h.update(format!("{thumb:?};").as_bytes());
    for part in fields(r)
        .into_iter()
        .chain([text])
        .chain(r.meta.tactics.iter().map(String::as_str))
    {
        h.update(&(part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    h.digest128().to_le_bytes()
}

/// What the index takes from a report beside its body and tactics (an absent value as NUL),
/// for [`report_digest`] and [`key`] alike.
fn fields(r: &Report) -> [&str; 7] {
    let m = &r.meta;
    fn or_nul(v: &Option<String>) -> &str {
        v.as_deref().unwrap_or("\u{0}")
    }
    [
        r.slug.as_str(),
        &m.title,
        &m.town,
        or_nul(&m.county),
        &m.city,
        or_nul(&m.section),
        or_nul(&m.summary),
    ]
}

/// The key of the whole browser index of `site`: everything
/// [`version`] hashes, with each body by its digest instead of its text (a lean body is
/// not parsed to find that nothing changed) and each result's thumbnail. A build keeps the
/// previous build's index when this is unchanged (see `write::Staging::keep_index`).
pub fn key(site: &Site) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = crate::fingerprint::hasher();
    (env!("CARGO_PKG_VERSION"), FORMAT, SHARD_BYTES, CHUNK).hash(&mut h);
    format!("{FIELDS:?}").hash(&mut h);
    let facets = docs::facet_names(site);
    (facets.city, facets.section, facets.tactics, facets.chunk).hash(&mut h);
    site.reports.len().hash(&mut h);
    for r in &site.reports {
        (fields(r), &r.meta.tactics, r.body.digest).hash(&mut h);
        site.media
            .first(r.body.html.images())
            .map(|i| i.thumb())
            .hash(&mut h);
    }
    h.finish()
}

/// The browser index's folder under `search/`. Its posting blocks are named by their content
/// (`export::put_named`), its term shards by their first term (`format::shard_file`), its
/// shard tables and facet chunks, like the result documents, by number; all but the blocks are
/// fetched with the index's [`version`].
pub const INDEX_DIR: &str = "idx";

/// The index's version, which the client appends to every file not named by its content
/// (tables, term shards, facet chunks, result documents) so that no cached copy outlives its
/// index, and which `serve` checks: a hash of everything the index is made from (the binary,
/// every indexed and shown value of every report, the facet orders, the format).
/// Hashing the inputs, not the output, lets the index files stream to disk as they are
/// produced. `per_report` is each report's [`report_digest`], in order.
fn version(site: &Site, per_report: &[[u8; 16]]) -> String {
    let mut h = Sha256::new();
    // The binary that made it (its source, theme and compiler, `build.rs`): another may cut
    // shards or blocks otherwise under the same names.
    h.update(format!(
        "casebook {} build {} format {FORMAT} shard {SHARD_BYTES}",
        env!("CARGO_PKG_VERSION"),
        env!("CASEBOOK_BUILD_ID")
    ));
    for (name, boost) in FIELDS {
        h.update(format!("{name}:{boost};"));
    }
    // The facet lists, each with its length, so a name cannot move from one list to the next
    // unnoticed.
    let lists: [Vec<&String>; 3] = [
        site.cities.iter().map(|c| &c.group.name).collect(),
        site.sections.iter().map(|s| &s.group.name).collect(),
        site.tactics.iter().map(|t| &t.name).collect(),
    ];
    for list in lists {
        h.update((list.len() as u64).to_le_bytes());
        for name in list {
            h.update((name.len() as u64).to_le_bytes());
            h.update(name.as_bytes());
        }
    }
    for d in per_report {
        h.update(d);
    }
    crate::fingerprint::hex(&h.finalize()[..5])
}

/// The fields of an index without documents.
fn empty_fields() -> Vec<format::FieldStat<'static>> {
    FIELDS
        .iter()
        .map(|(name, boost)| format::FieldStat {
            name,
            boost: *boost,
            tokens: 0,
        })
        .collect()
}

/// tantivy stores a field's length as a one-byte id; the client needs the id -> length table to
/// compute BM25's length normalisation exactly as tantivy does.
fn fieldnorm_table() -> Vec<u32> {
    (0..=255u8)
        .map(tantivy::fieldnorm::FieldNormReader::id_to_fieldnorm)
        .collect()
}

#[cfg(test)]
#[path = "chunk_tests.rs"]
mod chunk_tests;
