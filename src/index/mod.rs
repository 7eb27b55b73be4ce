//! Index stage: the site's reports become a tantivy index (for `casebook search`) and a static
//! browser index exported from it (for `search/search.js`), so both rank with the same BM25.
//!
//! Entry point: [`index`]. It returns bytes (the browser files) and a folder holding the tantivy
//! index; writing them into the output is the write stage's job.
//!
//! Browser index layout (all under `search/`): `manifest.js` (fields, statistics, shard table),
//! and in a content-hashed folder `idx-<hash>/`: term shards `t<N>.js` (a contiguous range of the
//! sorted term dictionary each, with postings of every field: doc, field norm, term frequency,
//! positions), `f.js` (facet values per document) and `d/<doc>.js` (what a result shows: title,
//! URL, place, text for snippets). Every file is a script calling `__casebook_search(path, data)`
//! so that it loads through `<script>` from `file://` as well as through `fetch`.

pub mod tokenizer;

use std::collections::BTreeMap;
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
use crate::render::OutputFile;

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

/// A consumer of output files (the write stage's staging folder, or memory for `serve`).
pub type Sink<'a> = dyn Fn(OutputFile) -> Result<()> + Sync + 'a;

/// Like [`index`], handing each file to `sink` as soon as it is ready, so a large site's index
/// is never held twice in memory.
pub fn index_into(site: &Site, sink: &Sink<'_>) -> Result<()> {
    let s = schema();
    let index = Index::create_in_ram(s.schema.clone());
    register(&index);
    {
        // One thread and one final merge give a single segment whose doc ids are the site's
        // report order, which the browser index relies on.
        let mut writer = index
            .writer_with_num_threads::<TantivyDocument>(1, 60_000_000)
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
        writer.commit().map_err(terr)?;
        let ids = index.searchable_segment_ids().map_err(terr)?;
        if ids.len() > 1 {
            writer.merge(&ids).wait().map_err(terr)?;
        }
        writer.wait_merging_threads().map_err(terr)?;
    }
    let reader = open_reader(&index)?;
    export(site, &s, &reader, sink)?;
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

fn push_num(out: &mut String, n: u32) {
    use std::fmt::Write;
    let _ = write!(out, "{n}");
}

#[derive(Serialize)]
struct FieldStat<'a> {
    name: &'a str,
    boost: f32,
    tokens: u64,
}

fn export(site: &Site, s: &IndexSchema, reader: &IndexReader, sink: &Sink<'_>) -> Result<()> {
    let searcher = reader.searcher();
    let segments = searcher.segment_readers();
    let seg = match segments {
        [one] => one,
        [] => {
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
    let n = seg.max_doc();

    // term -> [(field, flat postings)], terms in byte order (= code point order).
    let mut terms: BTreeMap<String, Vec<(usize, Vec<u32>)>> = BTreeMap::new();
    let mut stats = Vec::new();
    let mut positions = Vec::new();
    for (fi, field) in s.text.iter().enumerate() {
        let inv = seg.inverted_index(*field).map_err(terr)?;
        let norms = seg.get_fieldnorms_reader(*field).map_err(terr)?;
        stats.push(FieldStat {
            name: FIELDS[fi].0,
            boost: FIELDS[fi].1,
            tokens: inv.total_num_tokens(),
        });
        let mut stream = inv.terms().stream().map_err(terr)?;
        while stream.advance() {
            let term = String::from_utf8_lossy(stream.key()).into_owned();
            let mut postings = inv
                .read_postings_from_terminfo(
                    stream.value(),
                    IndexRecordOption::WithFreqsAndPositions,
                )
                .map_err(terr)?;
            let mut flat = Vec::new();
            let mut last_doc = 0;
            let mut doc = postings.doc();
            while doc != TERMINATED {
                positions.clear();
                postings.positions(&mut positions);
                flat.push(doc - last_doc);
                flat.push(u32::from(norms.fieldnorm_id(doc)));
                flat.push(postings.term_freq());
                let mut last = 0;
                for &p in &positions {
                    flat.push(p - last);
                    last = p;
                }
                last_doc = doc;
                doc = postings.advance();
            }
            terms.entry(term).or_default().push((fi, flat));
        }
    }

    // Shards: contiguous term ranges of roughly SHARD_BYTES each, written as JSON directly
    // (a serde_json::Value per posting would cost more memory than the index itself).
    let mut shards: Vec<(String, String)> = Vec::new();
    for (term, lists) in &terms {
        if shards
            .last()
            .is_none_or(|(_, body)| body.len() >= SHARD_BYTES)
        {
            shards.push((term.clone(), String::from("[")));
        }
        let Some((_, body)) = shards.last_mut() else {
            continue;
        };
        if body.len() > 1 {
            body.push(',');
        }
        body.push('[');
        body.push_str(&serde_json::to_string(term).unwrap_or_default());
        for (fi, flat) in lists {
            body.push(',');
            push_num(body, *fi as u32);
            body.push_str(",[");
            for (k, v) in flat.iter().enumerate() {
                if k > 0 {
                    body.push(',');
                }
                push_num(body, *v);
            }
            body.push(']');
        }
        body.push(']');
    }
    for (_, body) in &mut shards {
        body.push(']');
    }
    drop(terms);

    // Facets and documents.
    let mut city_names: Vec<&str> = Vec::new();
    let mut section_names: Vec<&str> = Vec::new();
    let tactic_names: Vec<&str> = site.tactics.iter().map(|t| t.name.as_str()).collect();
    let mut facet_docs = Vec::new();
    for c in &site.cities {
        city_names.push(&c.group.name);
    }
    for sct in &site.sections {
        section_names.push(&sct.group.name);
    }
    for r in &site.reports {
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
        facet_docs.push(json!([ci, si, ti]));
    }

    let mut body_files: Vec<(String, Value)> = Vec::new();
    for (i, r) in site.reports.iter().enumerate() {
        body_files.push((
            format!("d/{i}.js"),
            json!({
                "s": r.slug, "t": r.meta.title, "u": crate::render::views::report_url(&r.slug),
                "w": r.meta.town, "k": r.meta.county, "c": r.meta.city, "x": r.meta.section,
                "m": r.meta.summary, "b": r.body.text,
            }),
        ));
    }
    let facets = json!({
        "city": city_names, "section": section_names, "tactics": tactic_names, "d": facet_docs,
    });
    let body_files: Vec<(String, String)> = body_files
        .into_iter()
        .map(|(p, v)| (p, v.to_string()))
        .collect();
    let facets = facets.to_string();

    // The folder name hashes everything in it, so its files can be cached forever.
    let mut hasher = Sha256::new();
    for (i, (_, body)) in shards.iter().enumerate() {
        hasher.update(format!("t{i}").as_bytes());
        hasher.update(body.as_bytes());
    }
    for (p, body) in &body_files {
        hasher.update(p.as_bytes());
        hasher.update(body.as_bytes());
    }
    hasher.update(facets.as_bytes());
    let hash: String = hasher
        .finalize()
        .iter()
        .take(5)
        .map(|b| format!("{b:02x}"))
        .collect();
    let dir = format!("idx-{hash}");

    let manifest = json!({
        "v": 1,
        "n": n,
        "dir": dir,
        "fields": stats,
        "shards": shards.iter().map(|(first, _)| first).collect::<Vec<_>>(),
        "facets": "f.js",
        "norms": fieldnorm_table(),
    });
    let put = |rel: String, json: &str| {
        let path = format!("{dir}/{rel}");
        sink(OutputFile {
            bytes: script_raw(&path, json),
            path: format!("search/{path}"),
        })
    };
    shards
        .into_par_iter()
        .enumerate()
        .try_for_each(|(i, (_, body))| put(format!("t{i}.js"), &body))?;
    body_files
        .into_par_iter()
        .try_for_each(|(p, body)| put(p, &body))?;
    put("f.js".into(), &facets)?;
    sink(OutputFile {
        bytes: script("manifest.js", &manifest),
        path: "search/manifest.js".into(),
    })
}

fn empty_export(site: &Site) -> Result<Vec<OutputFile>> {
    let _ = site;
    let manifest = json!({
        "v": 1, "n": 0, "dir": "idx-empty", "shards": [], "facets": "f.js",
        "fields": FIELDS.iter().map(|(n, b)| json!({"name": n, "boost": b, "tokens": 0})).collect::<Vec<_>>(),
        "norms": fieldnorm_table(),
    });
    let facets = json!({"city": [], "section": [], "tactics": [], "d": []});
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
