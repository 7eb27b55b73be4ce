//! The browser's term shards, posting blocks and manifest, exported from casebook's inverted
//! index of the site ([`super::invert`]; formats in [`super::format`]).
//!
//! Entry point: [`export`]. The term space is cut into ranges that export in parallel; each
//! range's files stream to the sink as they fill.

use rayon::prelude::*;
use tantivy::query::Bm25Weight;

use self::group::CharGroup;
use super::chars;
use super::format::{
    script, shard_file, BlockRef, FieldPostings, FieldStat, PostingBlock, PrefixList, TermEntry,
    TopDoc,
};
use super::invert::{Inverted, PartField, Postings};
use super::{prefix, terr, FIELDS};
use crate::error::{Error, Result};
use crate::output::{OutputFile, Sink};

/// Target size of one term shard before gzip: a query loads one shard per term, so small; the
/// shard table grows as this shrinks, but a query reads only the parts of it that it needs.
pub(super) const SHARD_BYTES: usize = 4 * 1024;

/// Whether a shard ends after the entry of `term`, `entry` bytes of JSON, which made it `len`
/// bytes: at twice [`SHARD_BYTES`]; past 3/8 of it by lot, with a chance of `entry` over 5/8 of
/// it drawn from the term's hash, so that shards hold about [`SHARD_BYTES`] (at 100x the digest
/// 3.7 KB on average with packed postings, 3.9 KB with JSON numbers). An end depends
/// on its own term and entry, and on where the shard began only through that floor: an edit
/// that grows an entry or adds a term moves the end of its own shard, seldom the next, and the
/// shards after it begin at the same terms as before, with the same content and name (their
/// first term's, `format::shard_file`), and are not written again. Cut by byte count alone, one
/// entry grown by a byte moved the start of every later shard of its range.
fn ends_after(term: &str, entry: usize, len: usize) -> bool {
    const FLOOR: usize = SHARD_BYTES * 3 / 8;
    const LOT: u128 = (SHARD_BYTES * 5 / 8) as u128;
    let draw = u128::from(crate::fingerprint::of(term));
    len >= SHARD_BYTES * 2 || (len >= FLOOR && draw * LOT < (entry as u128) << 64)
}

/// A field's posting list with more numbers than this goes to blocks (~2-3 KB packed): a common
/// bigram at 1000x the digest has megabytes of postings, and a query needs only the documents
/// its rarest word can match.
const SPLIT_NUMBERS: usize = 2048;

/// Numbers per block (4.4 KB on average at 100x the digest, packed; 7.8 KB as JSON numbers).
const BLOCK_NUMBERS: usize = 4096;

/// How many best documents a term with blocks carries for one-word queries: a results page.
const TOP: usize = 20;

/// What the export needs of the index besides the postings: BM25's statistics per field.
pub(super) struct Stats {
    /// Documents in the index.
    pub docs: u32,
    /// Per field: average field length.
    pub avg: Vec<f32>,
}

/// A term range: from (inclusive), to (exclusive); `None` is open.
type Bounds<'a> = (Option<&'a str>, Option<&'a str>);

/// What [`export`] found: the shard table and field statistics for the manifest.
pub(super) struct Exported {
    /// The term shards' first terms, in order.
    pub shards: Vec<String>,
    /// Per field: name, boost, token total.
    pub fields: Vec<FieldStat<'static>>,
    /// Documents.
    pub docs: u32,
}

/// Exports the term shards and blocks of the index into `search/<dir>/`; `None` when the index
/// has no documents.
pub(super) fn export(inv: &Inverted, dir: &str, sink: &Sink<'_>) -> Result<Option<Exported>> {
    let docs = inv.docs();
    if docs == 0 {
        return Ok(None);
    }
    let stats = Stats {
        docs,
        avg: inv.tokens.iter().map(|&n| n as f32 / docs as f32).collect(),
    };
    let field_stats = inv
        .tokens
        .iter()
        .zip(FIELDS)
        .map(|(&tokens, (name, boost))| FieldStat {
            name,
            boost: *boost,
            tokens,
        })
        .collect();
    let prefixes = prefix::lists(&prefix::expandable_terms(
        inv.parts
            .iter()
            .flat_map(|p| &p.fields)
            .flat_map(PartField::terms),
    ));
    let bounds = cuts(inv)?;
    let bounds: Vec<Bounds> = (0..=bounds.len())
        .map(|r| {
            (
                r.checked_sub(1).map(|p| bounds[p].as_str()),
                bounds.get(r).map(String::as_str),
            )
        })
        .collect();
    let shards: Vec<Vec<String>> = bounds
        .par_iter()
        .map(|&(lo, hi)| {
            let mut range = Range {
                inv,
                stats: &stats,
                dir,
                sink,
                prefixes: &prefixes,
            };
            range.export(lo, hi, |_, first, json| {
                put(sink, dir, &format!("t{}.js", shard_file(&first)), json)?;
                Ok(first)
            })
        })
        .collect::<Result<_>>()?;
    let shards: Vec<String> = shards.into_iter().flatten().collect();
    // Two first terms of one name would be one file: never seen with 64 bits, refused if seen.
    let mut names = std::collections::HashMap::new();
    for first in &shards {
        if let Some(other) = names.insert(shard_file(first), first) {
            return Err(Error::Index(format!(
                "term shards `{other}` and `{first}` would share the file {}",
                shard_file(first)
            )));
        }
    }
    Ok(Some(Exported {
        shards,
        fields: field_stats,
        docs,
    }))
}

/// Terms of the largest dictionary that cut the term space into ranges: enough to keep both
/// cores busy on a large site, few on a small one (each range closes a shard of its own). A cut
/// inside a CJK character's terms moves to the character.
fn cuts(inv: &Inverted) -> Result<Vec<String>> {
    // Each field's dictionary: its terms in every part, once each, in order.
    let dictionaries = (0..FIELDS.len()).map(|f| {
        let mut terms: Vec<&str> = inv
            .parts
            .iter()
            .flat_map(|p| p.fields[f].terms().map(|(t, _)| t))
            .collect();
        if inv.parts.len() > 1 {
            terms.sort_unstable();
            terms.dedup();
        }
        terms
    });
    let largest = dictionaries
        .max_by_key(Vec::len)
        .ok_or_else(|| Error::Index("no fields".into()))?;
    let ranges = (largest.len() / 8192).clamp(1, 16);
    let mut cuts: Vec<String> = Vec::new();
    for r in 1..ranges {
        let mut key = largest[largest.len() * r / ranges].to_string();
        // A character's terms stay in one range: its entry is made from all of them.
        if let Some(c) = chars::first_cjk(&key) {
            key = c.to_string();
        }
        if cuts.last() != Some(&key) {
            cuts.push(key);
        }
    }
    Ok(cuts)
}

/// Hands `json` to the sink as the script `search/<dir>/<rel>`.
pub(super) fn put(sink: &Sink<'_>, dir: &str, rel: &str, json: &str) -> Result<()> {
    let path = format!("{dir}/{rel}");
    sink(OutputFile {
        bytes: script(&path, json),
        path: format!("search/{path}"),
    })
}

/// Hands `json` to the sink as the script `search/<dir>/<kind><name>.js`, named by its content
/// (16 hex digits of its xxh3), and returns the name: a posting block, which only its term's
/// entry names. An edit changes the blocks of the terms it changed, and the next build keeps
/// every other where it is, unwritten (`write::Staging` finds it unchanged); blocks named by
/// number were all new whenever one moved. Two terms may make the same posting block: the sink
/// must take a path once ([`once`]).
pub(super) fn put_named(sink: &Sink<'_>, dir: &str, kind: char, json: &str) -> Result<String> {
    let name = format!("{:016x}", crate::fingerprint::of(json));
    put(sink, dir, &format!("{kind}{name}.js"), json)?;
    Ok(name)
}

/// `sink`, taking each path once: a file named by its content that is made again is the same.
pub(super) fn once<'a>(sink: &'a Sink<'a>) -> impl Fn(OutputFile) -> Result<()> + Sync + 'a {
    let seen = std::sync::Mutex::new(std::collections::HashSet::new());
    move |f: OutputFile| {
        let first = seen
            .lock()
            .map_err(|_| Error::Poisoned("index files"))?
            .insert(f.path.clone());
        if first {
            sink(f)
        } else {
            Ok(())
        }
    }
}

/// One term range being exported.
pub(super) struct Range<'a> {
    pub(super) inv: &'a Inverted,
    pub(super) stats: &'a Stats,
    pub(super) dir: &'a str,
    pub(super) sink: &'a Sink<'a>,
    /// Every prefix that stands for a choice of its terms ([`prefix::lists`]): each goes into
    /// the shard where it sorts, the one the client opens first to expand it.
    pub(super) prefixes: &'a std::collections::BTreeMap<String, Vec<String>>,
}

/// Where a range's export is in one field of one part: its next term (`None` past the range's
/// end), read once per step rather than at each comparison, and that term's postings.
struct Cursor<'a> {
    field: &'a PartField,
    postings: Postings<'a>,
    end: usize,
    term: Option<&'a str>,
}

impl<'a> Cursor<'a> {
    /// At the first term of `field` in `[lo, hi)`.
    fn new(field: &'a PartField, lo: Option<&str>, hi: Option<&str>) -> Result<Self> {
        let at = |b: Option<&str>, open: usize| b.map_or(open, |b| field.before(b));
        let mut c = Cursor {
            field,
            postings: field.reader(at(lo, 0))?,
            end: at(hi, field.len()),
            term: None,
        };
        c.read();
        Ok(c)
    }

    fn read(&mut self) {
        let at = self.postings.at;
        self.term = (at < self.end).then(|| self.field.term(at));
    }

    fn advance(&mut self) {
        self.postings.at += 1;
        self.read();
    }
}

/// The shards of a range being made: the finished ones (what `emit` returned), the open one.
struct Shards<T> {
    out: Vec<T>,
    shard: String,
    first: String,
    from: Option<String>,
    /// The open shard ends before the next term (`ends_after` its last).
    ends: bool,
}

/// One field's postings of a term, read: (doc, norm id, tf) per document, and the flat list.
pub(super) struct Read {
    pub(super) docs: Vec<(u32, u8, u32)>,
    pub(super) flat: Vec<u32>,
    /// Index in `flat` where each document starts.
    pub(super) starts: Vec<usize>,
}

impl Range<'_> {
    /// Exports the terms in `[lo, hi)` of every field as shards of about [`SHARD_BYTES`]
    /// ([`ends_after`]). The
    /// fields' term streams are merged so each term appears once with all its fields. A shard
    /// closes when the next term arrives (or the range ends), so the prefixes that sort between
    /// its first term and the next shard's go with it. Each shard goes to `emit(number, first
    /// term, json)`; returns what `emit` returned.
    pub(super) fn export<T>(
        &mut self,
        lo: Option<&str>,
        hi: Option<&str>,
        mut emit: impl FnMut(usize, String, &str) -> Result<T>,
    ) -> Result<Vec<T>> {
        // Per field, a cursor per part, in part order.
        let mut fields = (0..FIELDS.len())
            .map(|f| {
                let parts = self.inv.parts.iter();
                parts.map(|p| Cursor::new(&p.fields[f], lo, hi)).collect()
            })
            .collect::<Result<Vec<Vec<Cursor>>>>()?;
        let mut shards = Shards {
            out: Vec::new(),
            shard: String::with_capacity(SHARD_BYTES * 2),
            first: String::new(),
            // Where the open shard's prefixes start: the range's start for its first shard
            // (none for the first range: a prefix before every term goes to the first shard).
            from: lo.map(str::to_string),
            ends: false,
        };
        // The CJK character whose terms are being read: its own entry sorts before them and is
        // made from all of them, so their entries wait until the next character begins.
        let mut group: Option<CharGroup> = None;
        while let Some(term) = fields.iter().flatten().filter_map(|c| c.term).min() {
            let term = term.to_string();
            let here = |c: &Cursor| c.term == Some(term.as_str());
            let mut reads = Vec::new();
            for (f, cursors) in fields.iter_mut().enumerate() {
                if !cursors.iter().any(here) {
                    continue;
                }
                for c in cursors.iter_mut().filter(|c| here(c)) {
                    c.postings.load()?;
                }
                let lists: Vec<&[u8]> = cursors
                    .iter()
                    .filter(|c| here(c))
                    .map(|c| c.postings.get())
                    .collect();
                reads.push((f, self.inv.read(f, &lists)));
                for c in cursors.iter_mut().filter(|c| here(c)) {
                    c.advance();
                }
            }
            let ch = chars::first_cjk(&term);
            if let Some(g) = group.take_if(|g| Some(g.ch) != ch) {
                self.flush(g, &mut shards, &mut emit)?;
            }
            let Some(c) = ch else {
                let (term, json) = self.entry(term, reads)?;
                self.push(&mut shards, &term, &json, &mut emit)?;
                continue;
            };
            let g = group.get_or_insert_with(|| CharGroup::new(c, FIELDS.len()));
            for (f, read) in &reads {
                g.occurrences.add(*f, read);
            }
            // The character's own term (where it ends a run) is part of its entry, not one.
            if term.len() > c.len_utf8() {
                g.held.push(self.entry(term, reads)?);
            }
        }
        if let Some(g) = group {
            self.flush(g, &mut shards, &mut emit)?;
        }
        if !shards.shard.is_empty() {
            self.close(&mut shards.shard, shards.from.as_deref(), hi)?;
            let first = std::mem::take(&mut shards.first);
            shards
                .out
                .push(emit(shards.out.len(), first, &shards.shard)?);
        }
        Ok(shards.out)
    }

    /// Adds a term's entry (`json`) to the open shard, first closing the shard when the last
    /// entry ended it.
    fn push<T>(
        &self,
        s: &mut Shards<T>,
        term: &str,
        json: &str,
        emit: &mut impl FnMut(usize, String, &str) -> Result<T>,
    ) -> Result<()> {
        if s.ends {
            self.close(&mut s.shard, s.from.as_deref(), Some(term))?;
            let first = std::mem::take(&mut s.first);
            s.out.push(emit(s.out.len(), first, &s.shard)?);
            s.shard.clear();
            s.from = Some(term.to_string());
        }
        if s.shard.is_empty() {
            s.shard.push_str("{\"terms\":[");
            s.first = term.to_string();
        } else {
            s.shard.push(',');
        }
        s.shard.push_str(json);
        s.ends = ends_after(term, json.len(), s.shard.len());
        Ok(())
    }

    /// Adds a character's entry, then the entries of the bigrams it starts.
    fn flush<T>(
        &mut self,
        g: CharGroup,
        s: &mut Shards<T>,
        emit: &mut impl FnMut(usize, String, &str) -> Result<T>,
    ) -> Result<()> {
        let reads = g.occurrences.reads(|f, doc| self.inv.norm(f, doc));
        let (term, json) = self.entry(g.ch.to_string(), reads)?;
        self.push(s, &term, &json, emit)?;
        for (term, json) in &g.held {
            self.push(s, term, json, emit)?;
        }
        Ok(())
    }

    /// Ends a shard's JSON with the prefixes in `[from, to)` (`None`: unbounded).
    fn close(&self, shard: &mut String, from: Option<&str>, to: Option<&str>) -> Result<()> {
        use std::ops::Bound::{Excluded, Included, Unbounded};
        let range = (
            from.map_or(Unbounded, Included),
            to.map_or(Unbounded, Excluded),
        );
        let lists: Vec<PrefixList> = self
            .prefixes
            .range::<str, _>(range)
            .map(|(prefix, terms)| PrefixList { prefix, terms })
            .collect();
        shard.push(']');
        if !lists.is_empty() {
            shard.push_str(",\"prefixes\":");
            shard.push_str(&serde_json::to_string(&lists).map_err(terr)?);
        }
        shard.push('}');
        Ok(())
    }

    /// A term's entry, as the term and its JSON; large posting lists go to blocks, and then the
    /// term carries its best documents.
    fn entry(&mut self, term: String, reads: Vec<(usize, Read)>) -> Result<(String, String)> {
        let split = reads.iter().any(|(_, r)| r.flat.len() > SPLIT_NUMBERS);
        // The best documents hold every matching document once; without them, the documents
        // of each field are merged only to be counted.
        let (top, matches) = if split {
            let ranked = self.ranked(&reads);
            let matches = ranked.len();
            (best(ranked), matches)
        } else {
            let docs = reads.iter().map(|(_, r)| r.docs.iter().map(|d| (d.0, ())));
            (Vec::new(), merged(docs, |_, _| ()).len())
        };
        let mut fields = Vec::with_capacity(reads.len());
        for (f, read) in reads {
            let docs = read.docs.len() as u32;
            let (postings, blocks) = if split {
                (Vec::new(), self.blocks(&read)?)
            } else {
                (read.flat, Vec::new())
            };
            fields.push(FieldPostings {
                field: f as u8,
                docs,
                postings,
                blocks,
            });
        }
        let entry = TermEntry {
            term,
            fields,
            matches: matches as u32,
            top,
        };
        let json = serde_json::to_string(&entry).map_err(terr)?;
        Ok((entry.term, json))
    }

    /// Every document of a one-word query of this term with its score: the sum in field order
    /// of each field's boosted BM25, as tantivy scores the query.
    fn ranked(&self, reads: &[(usize, Read)]) -> Vec<TopDoc> {
        let scored = reads.iter().map(|(f, read)| {
            let w = Bm25Weight::for_one_term(
                read.docs.len() as u64,
                u64::from(self.stats.docs),
                self.stats.avg[*f],
            )
            .boost_by(FIELDS[*f].1);
            read.docs
                .iter()
                .map(move |&(doc, norm, tf)| (doc, w.score(norm, tf)))
        });
        merged(scored, |sum, score| *sum += score)
            .into_iter()
            .map(|(doc, score)| TopDoc { doc, score })
            .collect()
    }

    /// Writes a posting list as blocks of about [`BLOCK_NUMBERS`] numbers, whole documents
    /// each, the first document's delta made absolute.
    fn blocks(&mut self, read: &Read) -> Result<Vec<BlockRef>> {
        let mut refs = Vec::new();
        let mut i = 0;
        while i < read.docs.len() {
            let mut j = i + 1;
            while j < read.docs.len() && read.starts[j] - read.starts[i] < BLOCK_NUMBERS {
                j += 1;
            }
            let end = read.starts.get(j).copied().unwrap_or(read.flat.len());
            let mut part = read.flat[read.starts[i]..end].to_vec();
            part[0] = read.docs[i].0;
            let json = serde_json::to_string(&PostingBlock { postings: &part }).map_err(terr)?;
            let file = put_named(self.sink, self.dir, 'p', &json)?;
            refs.push(BlockRef {
                file,
                first: read.docs[i].0,
                last: read.docs[j - 1].0,
            });
            i = j;
        }
        Ok(refs)
    }
}

/// The [`TOP`] best of `ranked`, best first (ties by document).
fn best(mut ranked: Vec<TopDoc>) -> Vec<TopDoc> {
    let order = |a: &TopDoc, b: &TopDoc| b.score.total_cmp(&a.score).then(a.doc.cmp(&b.doc));
    if ranked.len() > TOP {
        ranked.select_nth_unstable_by(TOP - 1, order);
        ranked.truncate(TOP);
    }
    ranked.sort_by(order);
    ranked
}

/// Lists of (document, value), each in document order without repeats, merged into one in
/// document order: a document in several lists gets the first list's value, and `add` adds
/// each later list's to it in list order (so a score sums in field order, as tantivy adds).
/// Merged a list at a time, linear in the lists' lengths: a common term's documents at 1000x
/// the digest were sorted instead, 2% of the build's time.
fn merged<V: Copy>(
    lists: impl Iterator<Item = impl Iterator<Item = (u32, V)>>,
    add: impl Fn(&mut V, V),
) -> Vec<(u32, V)> {
    let mut all: Vec<(u32, V)> = Vec::new();
    for list in lists {
        if all.is_empty() {
            all.extend(list);
            continue;
        }
        let mut out = Vec::with_capacity(all.len() + list.size_hint().0);
        let mut old = all.into_iter().peekable();
        for (doc, v) in list {
            while let Some(&(d, w)) = old.peek() {
                if d > doc {
                    break;
                }
                old.next();
                if d < doc {
                    out.push((d, w));
                    continue;
                }
                let mut w = w;
                add(&mut w, v);
                out.push((d, w));
                break;
            }
            if out.last().is_none_or(|&(d, _)| d != doc) {
                out.push((doc, v));
            }
        }
        out.extend(old);
        all = out;
    }
    all
}

#[path = "export_group.rs"]
mod group;

#[cfg(test)]
#[path = "export_tests.rs"]
mod tests;
