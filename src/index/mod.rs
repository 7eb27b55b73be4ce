//! Index stage: the site's reports become a tantivy index (for `casebook search`) and a static
//! browser index exported from it (for `search/search.js`), so both rank with the same BM25.
//!
//! Entry point: [`index`]. It returns bytes (the browser files) and a folder holding the tantivy
//! index; writing them into the output is the write stage's job. The browser index's files and
//! their versioned format are described in [`format`].

pub mod chars;
mod docs;
mod export;
pub mod fold;
pub mod format;
pub mod prefix;
pub mod tokenizer;

use std::path::Path;

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

use crate::error::{Error, Result};
use crate::model::{Report, Site};
use crate::output::{OutputFile, Scratch, Sink};

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

/// Folder of the tantivy index inside the output.
pub const TANTIVY_DIR: &str = "search/tantivy";

/// What indexing produced: the tantivy index's files (under [`TANTIVY_DIR`]) and the browser
/// index, as bytes; the write stage puts them on disk.
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

/// Indexes every report: tantivy first (in memory: no fsync per commit), then the browser index
/// exported from it.
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
/// is never held twice in memory. With `scratch` (a folder inside the output), tantivy writes
/// its segment to a temporary folder there instead of memory: at 100x the digest the
/// serialized segment is some 35 MB, held beside the writer's 70 MB of postings at the build's
/// peak; on disk it costs page cache, which the system can take back.
pub fn index_into(site: &Site, sink: &Sink<'_>, scratch: Option<&dyn Scratch>) -> Result<()> {
    index_in_chunks(site, sink, scratch, CHUNK, &|| true)
}

/// Reports per tantivy segment while indexing. The writer's postings for 11,900 reports (100x
/// the digest) take some 70 MB, so a site up to this size is one segment, as before, and a
/// larger one is written in segments of this size and merged on disk: at 1000x the digest one
/// segment held ~700 MB in the writer.
const CHUNK: usize = 16_384;

/// [`index_into`], `chunk` reports at a time: their bodies' text (a lean body parsed again,
/// once for everything the index makes of it), their tantivy segment beside their result
/// documents and digests, then the next chunk.
fn index_in_chunks(
    site: &Site,
    sink: &Sink<'_>,
    scratch: Option<&dyn Scratch>,
    chunk: usize,
    go_on: GoOn<'_>,
) -> Result<()> {
    let s = schema();
    // Removed when this function returns, whatever happens; a killed build leaves it inside the
    // staging folder, which the next build discards.
    let work = scratch
        .map(|s| s.dir())
        .map(|p| {
            tempfile::Builder::new()
                .prefix(".tantivy-")
                .tempdir_in(p)
                .map_err(|e| Error::io(p, e))
        })
        .transpose()?;
    let work = work.as_ref().map(|t| t.path());
    let chunk = chunk.max(1);
    let mut parts = Vec::new();
    let mut digests = Vec::with_capacity(site.reports.len());
    for (k, reports) in site.reports.chunks(chunk).enumerate() {
        let bodies = reports
            .par_iter()
            .map(|r| r.body.whole_text())
            .collect::<Result<Vec<_>>>()?;
        let texts: Vec<&str> = bodies.iter().map(|b| b.as_ref()).collect();
        let (part, made) = rayon::join(
            || {
                let directory = directory(work, &format!("part-{k}"))?;
                segment(&s, reports, &texts, directory, go_on)
            },
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
        parts.push(part?);
        digests.extend(made?);
    }
    let version = &version(site, &digests);
    let dir = INDEX_DIR;
    if !site.reports.is_empty() {
        docs::facets(site, dir, sink)?;
    }
    let (index, name) = match parts.len() {
        0 => (
            segment(&s, &[], &[], directory(work, "part-0")?, go_on)?,
            "part-0",
        ),
        1 => (parts.into_iter().next().expect("one part"), "part-0"),
        // Merged in order, so doc ids stay the site's report order.
        _ => (
            tantivy::indexer::merge_indices(&parts, directory(work, "merged")?).map_err(terr)?,
            "merged",
        ),
    };
    let reader = open_reader(&index)?;
    let named = export::once(sink);
    let exported = export::export(&s, &reader, dir, &named)?;
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
    })?;
    drop(reader);
    match (scratch, work) {
        (Some(scratch), Some(work)) => move_tantivy_files(index, &work.join(name), scratch, sink),
        _ => put_tantivy_files(&index, sink),
    }
}

/// The tantivy index's files, made on disk in `folder`, moved into the site. The index is
/// closed first, so none of its files is mapped while the next is moved. Its two bookkeeping
/// files are written anew instead: tantivy writes them through a temporary file, private to
/// its owner (mode 0600), and a published site's files are readable by all (a few hundred
/// bytes each).
fn move_tantivy_files(
    index: Index,
    folder: &Path,
    scratch: &dyn Scratch,
    sink: &Sink<'_>,
) -> Result<()> {
    let names = tantivy_file_names(&index);
    drop(index);
    for name in names {
        let from = folder.join(&name);
        // A file listed but already garbage-collected is not part of the index.
        if !from.is_file() {
            continue;
        }
        let path = format!("{TANTIVY_DIR}/{}", name.to_string_lossy());
        if BOOKKEEPING.iter().any(|b| name.as_os_str() == *b) {
            let bytes = std::fs::read(&from).map_err(|e| Error::io(&from, e))?;
            sink(OutputFile { path, bytes })?;
        } else {
            scratch.put_moved(path, &from)?;
        }
    }
    Ok(())
}

/// tantivy's own files beside a segment's: the index's meta data and the files it manages.
const BOOKKEEPING: [&str; 2] = ["meta.json", ".managed.json"];

/// The files of `index`, with tantivy's own bookkeeping files, in order.
fn tantivy_file_names(index: &Index) -> Vec<std::path::PathBuf> {
    let mut paths: Vec<std::path::PathBuf> =
        index.directory().list_managed_files().into_iter().collect();
    for special in BOOKKEEPING {
        let p = std::path::PathBuf::from(special);
        if !paths.contains(&p) {
            paths.push(p);
        }
    }
    paths.sort();
    paths
}

/// A folder for one tantivy index: under `work` on disk, or in memory without it.
fn directory(work: Option<&Path>, name: &str) -> Result<Box<dyn tantivy::Directory>> {
    Ok(match work {
        Some(w) => {
            let p = w.join(name);
            std::fs::create_dir(&p).map_err(|e| Error::io(&p, e))?;
            Box::new(tantivy::directory::MmapDirectory::open(&p).map_err(terr)?)
        }
        None => Box::new(tantivy::directory::RamDirectory::create()),
    })
}

/// `reports` as one tantivy segment in `directory`, doc ids in their order. Written on this
/// thread: the threaded writer queued up to 10,000 documents (copies of every body) in its
/// channel, some 60 MB at 100x the digest, and then had to merge.
fn segment(
    s: &IndexSchema,
    reports: &[Report],
    texts: &[&str],
    directory: Box<dyn tantivy::Directory>,
    go_on: GoOn<'_>,
) -> Result<Index> {
    let tokenizers = tantivy::tokenizer::TokenizerManager::default();
    tokenizers.register(tokenizer::NAME, tokenizer::CasebookTokenizer);
    let mut writer = Index::builder()
        .schema(s.schema.clone())
        .tokenizers(tokenizers)
        .single_segment_index_writer::<TantivyDocument>(directory, 200_000_000)
        .map_err(terr)?;
    for (r, text) in reports.iter().zip(texts) {
        if !go_on() {
            return Err(Error::Superseded);
        }
        let mut d = doc!(
            s.slug => r.slug.as_str(),
            s.title_stored => r.meta.title.as_str(),
            s.text[0] => r.meta.title.as_str(),
            s.text[1] => r.meta.town.as_str(),
            s.text[2] => r.meta.county.as_deref().unwrap_or_default(),
            s.text[3] => r.meta.city.as_str(),
            s.text[5] => r.meta.summary.as_deref().unwrap_or_default(),
            s.text[6] => *text,
            s.tags => Facet::from_path(["city", r.meta.city.as_str()]),
        );
        for t in &r.meta.tactics {
            d.add_text(s.text[4], t);
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

/// The tantivy index's files, for `casebook search` to open from the output, handed to `sink`
/// one at a time.
fn put_tantivy_files(index: &Index, sink: &Sink<'_>) -> Result<()> {
    let dir = index.directory();
    for p in tantivy_file_names(index) {
        let Ok(bytes) = tantivy::Directory::atomic_read(dir, &p) else {
            continue; // a file listed but already garbage-collected
        };
        sink(OutputFile {
            path: format!("{TANTIVY_DIR}/{}", p.to_string_lossy()),
            bytes,
        })?;
    }
    Ok(())
}

/// Opens the index in `dir` (as written by a build) with the tokenizer registered.
pub fn open(dir: &Path) -> Result<(Index, IndexReader)> {
    let index = Index::open_in_dir(dir).map_err(|e| {
        Error::Index(format!(
            "cannot open {}: {e} (run `casebook build` first)",
            dir.display()
        ))
    })?;
    register(&index);
    let reader = open_reader(&index)?;
    Ok((index, reader))
}

fn open_reader(index: &Index) -> Result<IndexReader> {
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

/// The key of the whole index of `site` (tantivy's files and the browser's): everything
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
