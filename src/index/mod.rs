//! Index stage: the site's reports become a tantivy index (for `casebook search`) and a static
//! browser index exported from it (for `search/search.js`), so both rank with the same BM25.
//!
//! Entry point: [`index`]. It returns bytes (the browser files) and a folder holding the tantivy
//! index; writing them into the output is the write stage's job.
//!
//! Browser index layout (all under `search/`): `manifest.js` (fields, statistics, shard table),
//! and in a content-hashed folder `idx-<hash>/`: term shards `t<N>.js` (a contiguous range of the
//! sorted term dictionary each, with postings of every field: doc, field norm, term frequency,
//! positions) and `f.js` (facet values, and four hex digits of each document's content hash,
//! concatenated); beside it,
//! `d/<doc>-<hash>.js` (what a result shows: title, URL, place, text for snippets). Every file
//! is a script calling `__casebook_search(path, data)` so that it loads through `<script>` from
//! `file://` as well as through `fetch`.

pub mod fold;
pub mod tokenizer;

use std::path::Path;

use rayon::prelude::*;
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tantivy::postings::Postings;
use tantivy::schema::{
    Facet, FacetOptions, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, STORED,
    STRING,
};
use tantivy::{doc, DocSet, Index, IndexReader, ReloadPolicy, TantivyDocument, TERMINATED};

use crate::error::{Error, Result};
use crate::model::Site;
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

/// Target size of one term shard before gzip: small enough that a query loads little, large
/// enough that the shard table in the manifest stays short.
const SHARD_BYTES: usize = 12 * 1024;

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
    let files = std::sync::Mutex::new(Vec::new());
    index_into(site, &|f| {
        files
            .lock()
            .map_err(|_| Error::Index("poisoned".into()))?
            .push(f);
        Ok(())
    })?;
    let mut files = files
        .into_inner()
        .map_err(|_| Error::Index("poisoned".into()))?;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(SearchIndex { files })
}

/// Like [`index`], handing each file to `sink` as soon as it is ready, so a large site's index
/// is never held twice in memory.
pub fn index_into(site: &Site, sink: &Sink<'_>) -> Result<()> {
    let dir = folder_name(site);
    let (searchable, documents) = rayon::join(
        || searchable(site, &dir, sink),
        || match site.reports.is_empty() {
            true => Ok(()),
            false => documents(site, &dir, sink),
        },
    );
    searchable.and(documents)
}

/// The tantivy index, and the browser's term shards and manifest exported from it.
fn searchable(site: &Site, dir: &str, sink: &Sink<'_>) -> Result<()> {
    let s = schema();
    let tokenizers = tantivy::tokenizer::TokenizerManager::default();
    tokenizers.register(tokenizer::NAME, tokenizer::CasebookTokenizer);
    // One segment whose doc ids are the site's report order, which the browser index relies
    // on, written on this thread: the threaded writer queued up to 10,000 documents (copies of
    // every body) in its channel, some 60 MB at 100x the digest, and then had to merge.
    let mut writer = Index::builder()
        .schema(s.schema.clone())
        .tokenizers(tokenizers)
        .single_segment_index_writer::<TantivyDocument>(
            tantivy::directory::RamDirectory::create(),
            200_000_000,
        )
        .map_err(terr)?;
    for r in &site.reports {
        let mut d = doc!(
            s.slug => r.slug.as_str(),
            s.title_stored => r.meta.title.as_str(),
            s.text[0] => r.meta.title.as_str(),
            s.text[1] => r.meta.town.as_str(),
            s.text[2] => r.meta.county.as_deref().unwrap_or_default(),
            s.text[3] => r.meta.city.as_str(),
            s.text[5] => r.meta.summary.as_deref().unwrap_or_default(),
            s.text[6] => r.body.text.as_str(),
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
    let index = writer.finalize().map_err(terr)?;
    let reader = open_reader(&index)?;
    export(site, &s, &reader, dir, sink)?;
    for f in tantivy_files(&index)? {
        sink(f)?;
    }
    Ok(())
}

/// The in-memory tantivy index as files, for `casebook search` to open from the output.
fn tantivy_files(index: &Index) -> Result<Vec<OutputFile>> {
    let dir = index.directory();
    let mut paths: Vec<std::path::PathBuf> = dir.list_managed_files().into_iter().collect();
    for special in ["meta.json", ".managed.json"] {
        let p = std::path::PathBuf::from(special);
        if !paths.contains(&p) {
            paths.push(p);
        }
    }
    paths.sort();
    let mut files = Vec::new();
    for p in paths {
        let Ok(bytes) = tantivy::Directory::atomic_read(dir, &p) else {
            continue; // a file listed but already garbage-collected
        };
        files.push(OutputFile {
            path: format!("{TANTIVY_DIR}/{}", p.to_string_lossy()),
            bytes,
        });
    }
    Ok(files)
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

/// Wraps data as a script that hands it to the client: works with `fetch` and with `<script>`.
fn script(path: &str, data: &Value) -> Vec<u8> {
    script_raw(path, &data.to_string())
}

/// Like [`script`], for JSON already serialized.
fn script_raw(path: &str, json: &str) -> Vec<u8> {
    // `<` only occurs inside JSON strings; escaping it keeps `</script>` in content from ever
    // closing a script element, should the data be inlined.
    let json = if json.contains('<') {
        std::borrow::Cow::Owned(json.replace('<', "\\u003c"))
    } else {
        std::borrow::Cow::Borrowed(json)
    };
    format!(
        "__casebook_search({},{json});\n",
        serde_json::to_string(path).unwrap_or_default()
    )
    .into_bytes()
}

#[derive(Serialize)]
struct FieldStat<'a> {
    name: &'a str,
    boost: f32,
    tokens: u64,
}

/// What a result shows (`d/<doc>-<hash>.js`); keys are short because every report has one.
#[derive(Serialize)]
struct DocView<'a> {
    s: &'a str,
    t: &'a str,
    u: String,
    w: &'a str,
    k: Option<&'a str>,
    c: &'a str,
    x: Option<&'a str>,
    m: Option<&'a str>,
    b: &'a str,
}

/// Bumped whenever the browser index format or the tokenizer changes: it is part of the hash
/// that names the index folder.
const FORMAT: u32 = 4;

/// The name of the browser index folder: a hash of everything the index is made from (every
/// indexed and shown value of every report, the facet orders, the format), so it changes when
/// the index does and its files can be cached forever. Hashing the inputs, not the output,
/// lets the index files stream to disk as they are produced.
fn folder_name(site: &Site) -> String {
    let per_report: Vec<[u8; 32]> = site
        .reports
        .par_iter()
        .map(|r| {
            let mut h = Sha256::new();
            let m = &r.meta;
            for part in [
                r.slug.as_str(),
                &m.title,
                &m.town,
                m.county.as_deref().unwrap_or("\u{0}"),
                &m.city,
                m.section.as_deref().unwrap_or("\u{0}"),
                m.summary.as_deref().unwrap_or("\u{0}"),
                &r.body.text,
            ]
            .into_iter()
            .chain(m.tactics.iter().map(String::as_str))
            {
                h.update((part.len() as u64).to_le_bytes());
                h.update(part.as_bytes());
            }
            h.finalize().into()
        })
        .collect();
    let mut h = Sha256::new();
    h.update(format!(
        "casebook {} format {FORMAT} shard {SHARD_BYTES}",
        env!("CARGO_PKG_VERSION")
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
    let hash: String = h
        .finalize()
        .iter()
        .take(5)
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("idx-{hash}")
}

/// How many term ranges the export splits into: enough to keep both cores busy on a large
/// site, few on a small one (each range closes a shard of its own).
fn range_count(terms: usize) -> usize {
    (terms / 8192).clamp(1, 16)
}

/// The term shards and the manifest, from the one segment of the tantivy index.
fn export(
    site: &Site,
    s: &IndexSchema,
    reader: &IndexReader,
    dir: &str,
    sink: &Sink<'_>,
) -> Result<()> {
    let searcher = reader.searcher();
    let segments = searcher.segment_readers();
    let seg = match segments {
        [one] if one.max_doc() > 0 => one,
        [] | [_] => {
            for f in empty_export(site)? {
                sink(f)?;
            }
            return Ok(());
        }
        _ => {
            return Err(Error::Index(format!(
                "expected one segment, found {}",
                segments.len()
            )))
        }
    };
    let fields = s
        .text
        .iter()
        .map(|f| {
            Ok((
                seg.inverted_index(*f).map_err(terr)?,
                seg.get_fieldnorms_reader(*f).map_err(terr)?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    let stats: Vec<FieldStat> = fields
        .iter()
        .zip(FIELDS)
        .map(|((inv, _), (name, boost))| FieldStat {
            name,
            boost: *boost,
            tokens: inv.total_num_tokens(),
        })
        .collect();

    // The term space is cut at terms of the largest dictionary into ranges that export in
    // parallel; each range's shards stream to the sink as they fill, named by range and
    // number, and the manifest lists them in term order.
    let largest = fields
        .iter()
        .map(|(inv, _)| inv.terms())
        .max_by_key(|d| d.num_terms())
        .ok_or_else(|| Error::Index("no fields".into()))?;
    let ranges = range_count(largest.num_terms());
    let mut cuts: Vec<Vec<u8>> = Vec::new();
    for r in 1..ranges {
        let mut key = Vec::new();
        let ord = (largest.num_terms() * r / ranges) as u64;
        if largest.ord_to_term(ord, &mut key).map_err(terr)? && cuts.last() != Some(&key) {
            cuts.push(key);
        }
    }
    let bounds: Vec<Bounds> = (0..=cuts.len())
        .map(|r| {
            (
                r.checked_sub(1).map(|p| cuts[p].as_slice()),
                cuts.get(r).map(Vec::as_slice),
            )
        })
        .collect();
    let shards: Vec<Vec<(String, String)>> = bounds
        .par_iter()
        .enumerate()
        .map(|(r, &(lo, hi))| {
            export_range(&fields, lo, hi, |k, first, json| {
                let name = format!("{r}-{k}");
                put(sink, dir, &format!("t{name}.js"), json)?;
                Ok((first, name))
            })
        })
        .collect::<Result<_>>()?;
    let (firsts, files): (Vec<String>, Vec<String>) = shards.into_iter().flatten().unzip();

    let manifest = json!({
        "v": FORMAT,
        "n": seg.max_doc(),
        "dir": dir,
        "fields": stats,
        "shards": firsts,
        "files": files,
        "facets": "f.js",
        "norms": fieldnorm_table(),
    });
    sink(OutputFile {
        bytes: script("manifest.js", &manifest),
        path: "search/manifest.js".into(),
    })
}

/// The files a result list needs besides the postings: `f.js` in the index folder `dir` (facet
/// values per document, and each document's content hash) and the documents themselves.
/// Independent of tantivy, so it runs beside the indexing.
fn documents(site: &Site, dir: &str, sink: &Sink<'_>) -> Result<()> {
    let city_names: Vec<&str> = site.cities.iter().map(|c| c.group.name.as_str()).collect();
    let section_names: Vec<&str> = site
        .sections
        .iter()
        .map(|x| x.group.name.as_str())
        .collect();
    let tactic_names: Vec<&str> = site.tactics.iter().map(|t| t.name.as_str()).collect();
    let facet_docs: Vec<Value> = site
        .reports
        .iter()
        .map(|r| {
            let ci = city_names.iter().position(|c| *c == r.meta.city);
            let si = r
                .meta
                .section
                .as_deref()
                .and_then(|x| section_names.iter().position(|c| *c == x));
            let ti: Vec<usize> = r
                .meta
                .tactics
                .iter()
                .filter_map(|t| tactic_names.iter().position(|x| x == t))
                .collect();
            json!([ci, si, ti])
        })
        .collect();
    // Result documents live outside the hashed folder, named by doc id and a hash of their
    // content, listed in f.js: a changed report renames only its own file, where renaming the
    // folder re-created all of them (12,000 files at 100x, on every rebuild after an edit).
    let doc_hashes = site
        .reports
        .par_iter()
        .enumerate()
        .map(|(i, r)| {
            let m = &r.meta;
            let doc = DocView {
                s: &r.slug,
                t: &m.title,
                u: crate::render::views::report_url(&r.slug),
                w: &m.town,
                k: m.county.as_deref(),
                c: &m.city,
                x: m.section.as_deref(),
                m: m.summary.as_deref(),
                b: &r.body.text,
            };
            let json = serde_json::to_string(&doc).map_err(terr)?;
            // Four hex digits: the name only has to change when this document does (the doc id
            // is in it too), and every reader's first query loads the whole list: 16 bits a
            // document, ~24 KB gzipped at 100x the digest. A changed document keeps its old name
            // once in 65,536 edits, and a browser may then show its cached copy until it expires.
            let hash: String = Sha256::digest(json.as_bytes())
                .iter()
                .take(2)
                .map(|b| format!("{b:02x}"))
                .collect();
            let path = format!("d/{i}-{hash}.js");
            sink(OutputFile {
                bytes: script_raw(&path, &json),
                path: format!("search/{path}"),
            })?;
            Ok(hash)
        })
        .collect::<Result<Vec<String>>>()?;
    let facets = json!({
        "city": city_names, "section": section_names, "tactics": tactic_names, "d": facet_docs,
        "h": doc_hashes.concat(),
    });
    put(sink, dir, "f.js", &facets.to_string())?;
    Ok(())
}

/// Hands `json` to the sink as the script `search/<dir>/<rel>`.
fn put(sink: &Sink<'_>, dir: &str, rel: &str, json: &str) -> Result<()> {
    let path = format!("{dir}/{rel}");
    sink(OutputFile {
        bytes: script_raw(&path, json),
        path: format!("search/{path}"),
    })
}

/// A term range: from (inclusive), to (exclusive); `None` is open.
type Bounds<'a> = (Option<&'a [u8]>, Option<&'a [u8]>);

type FieldReaders = (
    std::sync::Arc<tantivy::InvertedIndexReader>,
    tantivy::fieldnorm::FieldNormReader,
);

/// Exports the terms in `[lo, hi)` of every field as shards of about [`SHARD_BYTES`]: a JSON
/// array of `[term, field, [postings], field, [postings]...]`, where postings are, per
/// document, the doc id delta, the field norm id, the term frequency and the position deltas.
/// The fields' term streams are merged so each term appears once with all its fields. Each
/// full shard goes to `emit(number, first term, json)`; returns what `emit` returned, in order.
fn export_range<T>(
    fields: &[FieldReaders],
    lo: Option<&[u8]>,
    hi: Option<&[u8]>,
    mut emit: impl FnMut(usize, String, &str) -> Result<T>,
) -> Result<Vec<T>> {
    let mut streams = fields
        .iter()
        .map(|(inv, _)| {
            let mut b = inv.terms().range();
            if let Some(lo) = lo {
                b = b.ge(lo);
            }
            if let Some(hi) = hi {
                b = b.lt(hi);
            }
            b.into_stream().map_err(terr)
        })
        .collect::<Result<Vec<_>>>()?;
    let mut live: Vec<bool> = streams.iter_mut().map(|s| s.advance()).collect();
    let mut out = Vec::new();
    let mut shard = String::with_capacity(SHARD_BYTES * 2);
    let mut first = String::new();
    let mut key: Vec<u8> = Vec::new();
    let mut positions = Vec::new();
    let mut num = itoa::Buffer::new();
    while let Some(min) = (0..streams.len())
        .filter(|&f| live[f])
        .min_by(|&a, &b| streams[a].key().cmp(streams[b].key()))
    {
        key.clear();
        key.extend_from_slice(streams[min].key());
        let term = String::from_utf8_lossy(&key);
        if shard.is_empty() {
            shard.push('[');
            first = term.to_string();
        } else {
            shard.push(',');
        }
        shard.push('[');
        shard.push_str(&serde_json::to_string(&term).map_err(terr)?);
        for (f, (inv, norms)) in fields.iter().enumerate() {
            if !live[f] || streams[f].key() != key.as_slice() {
                continue;
            }
            shard.push(',');
            shard.push_str(num.format(f));
            shard.push_str(",[");
            let mut postings = inv
                .read_postings_from_terminfo(
                    streams[f].value(),
                    IndexRecordOption::WithFreqsAndPositions,
                )
                .map_err(terr)?;
            let mut last_doc = 0;
            let mut doc = postings.doc();
            let mut sep = "";
            while doc != TERMINATED {
                positions.clear();
                postings.positions(&mut positions);
                for v in [
                    doc - last_doc,
                    u32::from(norms.fieldnorm_id(doc)),
                    postings.term_freq(),
                ] {
                    shard.push_str(sep);
                    shard.push_str(num.format(v));
                    sep = ",";
                }
                let mut last = 0;
                for &p in &positions {
                    shard.push(',');
                    shard.push_str(num.format(p - last));
                    last = p;
                }
                last_doc = doc;
                doc = postings.advance();
            }
            shard.push(']');
            live[f] = streams[f].advance();
        }
        shard.push(']');
        if shard.len() >= SHARD_BYTES {
            shard.push(']');
            out.push(emit(out.len(), std::mem::take(&mut first), &shard)?);
            shard.clear();
        }
    }
    if !shard.is_empty() {
        shard.push(']');
        out.push(emit(out.len(), first, &shard)?);
    }
    Ok(out)
}

fn empty_export(site: &Site) -> Result<Vec<OutputFile>> {
    let _ = site;
    let manifest = json!({
        "v": FORMAT, "n": 0, "dir": "idx-empty", "shards": [], "files": [], "facets": "f.js",
        "fields": FIELDS.iter().map(|(n, b)| json!({"name": n, "boost": b, "tokens": 0})).collect::<Vec<_>>(),
        "norms": fieldnorm_table(),
    });
    let facets = json!({"city": [], "section": [], "tactics": [], "d": [], "h": ""});
    Ok(vec![
        OutputFile {
            bytes: script("manifest.js", &manifest),
            path: "search/manifest.js".into(),
        },
        OutputFile {
            bytes: script("idx-empty/f.js", &facets),
            path: "search/idx-empty/f.js".into(),
        },
    ])
}

/// tantivy stores a field's length as a one-byte id; the client needs the id -> length table to
/// compute BM25's length normalisation exactly as tantivy does.
fn fieldnorm_table() -> Vec<u32> {
    (0..=255u8)
        .map(tantivy::fieldnorm::FieldNormReader::id_to_fieldnorm)
        .collect()
}

#[cfg(test)]
#[path = "export_tests.rs"]
mod tests;
