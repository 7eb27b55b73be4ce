//! casebook's own inverted index of the reports' text fields: what the browser export reads.
//!
//! It holds what a tantivy segment of the same documents holds for the export, computed the same
//! way (the [`tokenizer`]'s tokens; positions continued across the values of a field with a gap
//! of one, as tantivy's `POSITION_GAP`; a field's length as its token count, stored as
//! tantivy's one-byte norm id), so BM25 scores and positions are tantivy's to the bit, and
//! `casebook search`, which asks tantivy, ranks as the browser does. Inverting here instead of
//! in a tantivy segment that the export then read back saved the segment's serialisation and
//! decoding and a build's writing of an index no static host uses.
//!
//! Entry points: [`chunk`] (a chunk of reports, through an [`Inverter`]), [`Inverted`] (every chunk, read by
//! `export`).

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::tokenizer::Tokens;
use super::FIELDS;
use crate::error::{Error, Result};
use crate::model::Report;

type Map<K> = HashMap<K, u32, foldhash::fast::RandomState>;

/// Longest token tantivy indexes (`tantivy::tokenizer::MAX_TOKEN_LEN`); a longer one is dropped.
const MAX_TOKEN_LEN: usize = u16::MAX as usize - 5;

/// Marks the end of a document's positions in a posting list (positions are stored plus one).
const END: u32 = 0;

/// The values of each text field of report `r` (body text `text`), in [`FIELDS`] order: what
/// both tantivy's documents (`casebook search`) and this index are made of. An absent county or
/// summary is an empty value, as it was in tantivy's documents.
pub(super) fn values<'a>(r: &'a Report, text: &'a str) -> [Vec<&'a str>; 7] {
    let m = &r.meta;
    [
        vec![m.title.as_str()],
        vec![m.town.as_str()],
        vec![m.county.as_deref().unwrap_or_default()],
        vec![m.city.as_str()],
        m.tactics.iter().map(String::as_str).collect(),
        vec![m.summary.as_deref().unwrap_or_default()],
        vec![text],
    ]
}

/// One term's postings while a chunk is inverted: per document, the delta of its id, then each
/// position's delta plus one, then [`END`]; varints.
struct List {
    bytes: Vec<u8>,
    /// The document being added, once `docs` is more than 0.
    last_doc: u32,
    last_pos: u32,
    docs: u32,
}

/// A field of a chunk being inverted: each term's id, and the lists by id.
#[derive(Default)]
struct FieldWriter {
    ids: Map<Box<str>>,
    lists: Vec<List>,
}

/// Inverts a chunk of consecutive documents.
pub(super) struct Inverter {
    fields: Vec<FieldWriter>,
    /// Per field: each document's token count.
    lengths: Vec<Vec<u32>>,
    buf: String,
}

impl Default for Inverter {
    fn default() -> Self {
        Inverter {
            fields: FIELDS.iter().map(|_| FieldWriter::default()).collect(),
            lengths: vec![Vec::new(); FIELDS.len()],
            buf: String::new(),
        }
    }
}

fn varint(out: &mut Vec<u8>, mut v: u32) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn read_varint(bytes: &[u8], at: &mut usize) -> u32 {
    let mut v = 0u32;
    let mut shift = 0;
    loop {
        let b = bytes[*at];
        *at += 1;
        v |= u32::from(b & 0x7F) << shift;
        if b < 0x80 {
            return v;
        }
        shift += 7;
    }
}

/// Inverts `reports` (with body texts `texts`), the first being document `first`, asking
/// `go_on` before each: one chunk of the site.
pub(super) fn chunk(
    first: usize,
    reports: &[Report],
    texts: &[&str],
    go_on: super::GoOn<'_>,
) -> Result<(Part, Vec<Vec<u32>>)> {
    let mut inverter = Inverter::default();
    for (j, (r, text)) in reports.iter().zip(texts).enumerate() {
        if !go_on() {
            return Err(Error::Superseded);
        }
        inverter.add((first + j) as u32, &values(r, text));
    }
    Ok(inverter.finish())
}

impl Inverter {
    /// Adds document `doc` (the next one: ids ascend) with its fields' values.
    pub(super) fn add(&mut self, doc: u32, values: &[Vec<&str>]) {
        for (f, vals) in values.iter().enumerate() {
            let field = &mut self.fields[f];
            let (mut base, mut tokens) = (0u32, 0u32);
            for v in vals {
                let mut end = base;
                let mut toks = Tokens::new(v);
                while let Some((p, _)) = toks.next_into(&mut self.buf) {
                    if self.buf.len() > MAX_TOKEN_LEN {
                        continue;
                    }
                    let pos = base + p as u32;
                    end = end.max(pos + 1);
                    tokens += 1;
                    field.subscribe(&self.buf, doc, pos);
                }
                base = end + 1;
            }
            self.lengths[f].push(tokens);
        }
    }

    /// The chunk's terms in order with their postings, and each field's token counts.
    pub(super) fn finish(self) -> (Part, Vec<Vec<u32>>) {
        let fields = self.fields.into_iter().map(FieldWriter::finish).collect();
        (Part { fields }, self.lengths)
    }
}

impl FieldWriter {
    fn subscribe(&mut self, term: &str, doc: u32, pos: u32) {
        let id = match self.ids.get(term) {
            Some(&id) => id,
            None => {
                let id = self.lists.len() as u32;
                self.ids.insert(term.into(), id);
                self.lists.push(List {
                    bytes: Vec::new(),
                    last_doc: 0,
                    last_pos: 0,
                    docs: 0,
                });
                id
            }
        } as usize;
        let l = &mut self.lists[id];
        if l.docs == 0 || l.last_doc != doc {
            if l.docs > 0 {
                l.bytes.push(END as u8);
            }
            varint(&mut l.bytes, doc - l.last_doc);
            (l.last_doc, l.last_pos, l.docs) = (doc, 0, l.docs + 1);
        }
        varint(&mut l.bytes, pos - l.last_pos + 1);
        l.last_pos = pos;
    }

    /// The field's terms in order, each list closed, packed into a few buffers: at 1000x the
    /// digest a chunk has some 300,000 terms, and an allocation per term and list held tens of
    /// megabytes in headers and size classes.
    fn finish(self) -> PartField {
        let mut terms: Vec<(Box<str>, u32)> = self.ids.into_iter().collect();
        terms.sort_unstable();
        let mut lists: Vec<Option<List>> = self.lists.into_iter().map(Some).collect();
        let bytes = lists.iter().flatten().map(|l| l.bytes.len() + 1).sum();
        let text = terms.iter().map(|(t, _)| t.len()).sum();
        let mut postings = Vec::with_capacity(bytes);
        let mut out = PartField {
            text: String::with_capacity(text),
            text_ends: Vec::with_capacity(terms.len()),
            docs: Vec::with_capacity(terms.len()),
            store: Store::Held(Vec::new()),
            postings_ends: Vec::with_capacity(terms.len()),
        };
        for (term, id) in terms {
            let l = lists[id as usize].take().expect("each id once");
            out.text.push_str(&term);
            out.text_ends.push(out.text.len());
            out.docs.push(l.docs);
            postings.extend_from_slice(&l.bytes);
            postings.push(END as u8);
            out.postings_ends.push(postings.len());
        }
        out.store = Store::Held(postings);
        out
    }
}

/// The inverted fields of a chunk of consecutive documents.
pub(super) struct Part {
    /// In [`FIELDS`] order.
    pub(super) fields: Vec<PartField>,
}

/// One field of a [`Part`]: its terms in byte order, each with its document frequency and
/// postings (term `i` is `text[text_ends[i - 1]..text_ends[i]]`, its postings likewise).
pub(super) struct PartField {
    text: String,
    text_ends: Vec<usize>,
    /// Per term: documents that have it.
    pub(super) docs: Vec<u32>,
    store: Store,
    postings_ends: Vec<usize>,
}

/// The `i`th of pieces laid end to end, given where each ends.
fn nth(ends: &[usize], i: usize) -> std::ops::Range<usize> {
    i.checked_sub(1).map_or(0, |p| ends[p])..ends[i]
}

/// Where a field's postings are: in memory, or in a file of the build's scratch folder once its
/// chunk is done ([`Inverted::spill`]).
enum Store {
    Held(Vec<u8>),
    Spilled(PathBuf),
}

impl PartField {
    /// Terms.
    pub(super) fn len(&self) -> usize {
        self.text_ends.len()
    }

    /// Term `i`.
    pub(super) fn term(&self, i: usize) -> &str {
        &self.text[nth(&self.text_ends, i)]
    }

    /// Where the postings of term `i` are in the field's postings.
    fn span(&self, i: usize) -> std::ops::Range<usize> {
        nth(&self.postings_ends, i)
    }

    /// A reader of the postings of terms `from`, `from + 1`, ... in that order: the export reads
    /// each term once, in order, so a spilled field is read as a stream.
    pub(super) fn reader(&self, from: usize) -> Result<Postings<'_>> {
        let file = match &self.store {
            Store::Held(_) => None,
            Store::Spilled(path) => {
                let io = |e| Error::io(path, e);
                let mut f = File::open(path).map_err(io)?;
                let start = if from < self.len() {
                    self.span(from).start
                } else {
                    0
                };
                f.seek(SeekFrom::Start(start as u64)).map_err(io)?;
                Some((BufReader::with_capacity(1 << 16, f), path.as_path()))
            }
        };
        Ok(Postings {
            field: self,
            at: from,
            file,
            buf: Vec::new(),
        })
    }

    /// Moves the postings to a new file at `path`.
    fn spill(&mut self, path: &Path) -> Result<()> {
        if let Store::Held(bytes) = &self.store {
            std::fs::write(path, bytes).map_err(|e| Error::io(path, e))?;
            self.store = Store::Spilled(path.to_path_buf());
        }
        Ok(())
    }

    /// Every term with its document frequency, in order.
    pub(super) fn terms(&self) -> impl Iterator<Item = (&str, u32)> {
        (0..self.len()).map(|i| (self.term(i), self.docs[i]))
    }

    /// How many terms sort before `bound`.
    pub(super) fn before(&self, bound: &str) -> usize {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.term(mid) < bound {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }
}

/// The postings of a field's terms, read in order ([`PartField::reader`]).
pub(super) struct Postings<'a> {
    field: &'a PartField,
    /// The term whose postings [`Postings::get`] gives.
    pub(super) at: usize,
    file: Option<(BufReader<File>, &'a Path)>,
    /// A spilled term's postings, once loaded.
    buf: Vec<u8>,
}

impl Postings<'_> {
    /// Loads the postings of term `at` (from the file, if spilled): once per term, in order.
    pub(super) fn load(&mut self) -> Result<()> {
        if let Some((file, path)) = &mut self.file {
            self.buf.resize(self.field.span(self.at).len(), 0);
            file.read_exact(&mut self.buf)
                .map_err(|e| Error::io(*path, e))?;
        }
        Ok(())
    }

    /// The postings of term `at` ([`Postings::load`]ed first).
    pub(super) fn get(&self) -> &[u8] {
        match &self.field.store {
            Store::Held(bytes) => &bytes[self.field.span(self.at)],
            Store::Spilled(_) => &self.buf,
        }
    }
}

/// Every chunk's inverted fields, with what BM25 needs of the whole: document count, each
/// field's token total and each document's norm id.
#[derive(Default)]
pub(super) struct Inverted {
    /// In document order: chunk `k` holds the documents after those of chunk `k - 1`.
    pub(super) parts: Vec<Part>,
    /// Per field: each document's norm id (its length, quantised as tantivy stores it).
    norms: Vec<Vec<u8>>,
    /// Per field: tokens in all documents.
    pub(super) tokens: Vec<u64>,
    /// The length a norm id stands for, by id: tantivy's table.
    table: Vec<u32>,
}

impl Inverted {
    /// Empty, for [`FIELDS`].
    pub(super) fn new() -> Self {
        Inverted {
            parts: Vec::new(),
            norms: vec![Vec::new(); FIELDS.len()],
            tokens: vec![0; FIELDS.len()],
            table: super::fieldnorm_table(),
        }
    }

    /// Moves the postings of the last chunk pushed to files in `dir` (a folder of the build's
    /// scratch space, removed after the export): at 1000x the digest the chunks' postings were
    /// some 200 MB held to the end of the index, and the build's peak memory.
    pub(super) fn spill(&mut self, dir: &Path) -> Result<()> {
        let k = self.parts.len().saturating_sub(1);
        if let Some(part) = self.parts.last_mut() {
            for (f, field) in part.fields.iter_mut().enumerate() {
                field.spill(&dir.join(format!("{k}-{f}")))?;
            }
        }
        Ok(())
    }

    /// Adds the next chunk.
    pub(super) fn push(&mut self, (part, lengths): (Part, Vec<Vec<u32>>)) {
        for (f, lengths) in lengths.into_iter().enumerate() {
            for n in lengths {
                self.tokens[f] += u64::from(n);
                // tantivy's `fieldnorm_to_id`: the largest id whose length is at most `n`.
                let id = match self.table.binary_search(&n) {
                    Ok(i) => i,
                    Err(i) => i - 1,
                };
                self.norms[f].push(id as u8);
            }
        }
        self.parts.push(part);
    }

    /// Documents.
    pub(super) fn docs(&self) -> u32 {
        self.norms[0].len() as u32
    }

    /// The norm id of document `doc` in field `f`.
    pub(super) fn norm(&self, f: usize, doc: u32) -> u8 {
        self.norms[f][doc as usize]
    }

    /// Decodes the postings of field `f` of a term, given as its list in each part that has it,
    /// in part order, into `read` (documents with norm and tf, and the export's flat list:
    /// document delta, norm id, tf, position deltas).
    pub(super) fn read(&self, f: usize, lists: &[&[u8]]) -> super::export::Read {
        let mut read = super::export::Read {
            docs: Vec::new(),
            flat: Vec::new(),
            starts: Vec::new(),
        };
        let mut last_doc = 0;
        for bytes in lists {
            let (mut at, mut doc) = (0, 0);
            while at < bytes.len() {
                doc += read_varint(bytes, &mut at);
                let norm = self.norm(f, doc);
                let start = read.flat.len();
                read.starts.push(start);
                read.flat.extend([doc - last_doc, u32::from(norm), 0]);
                loop {
                    let v = read_varint(bytes, &mut at);
                    if v == END {
                        break;
                    }
                    read.flat.push(v - 1);
                }
                let tf = (read.flat.len() - start - 3) as u32;
                read.flat[start + 2] = tf;
                read.docs.push((doc, norm, tf));
                last_doc = doc;
            }
        }
        read
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip() {
        let mut b = Vec::new();
        for v in [0, 1, 127, 128, 300, u32::MAX] {
            varint(&mut b, v);
        }
        let mut at = 0;
        let got: Vec<u32> = (0..6).map(|_| read_varint(&b, &mut at)).collect();
        assert_eq!(got, [0, 1, 127, 128, 300, u32::MAX]);
        assert_eq!(at, b.len());
    }

    #[test]
    fn values_continue_positions_after_a_gap() {
        let mut inv = Inverter::default();
        let empty: Vec<&str> = Vec::new();
        let mut values: Vec<Vec<&str>> = vec![empty.clone(); 7];
        values[4] = vec!["工会 a", "b"];
        inv.add(0, &values);
        values[4] = vec!["a"];
        inv.add(1, &values);
        let mut all = Inverted::new();
        all.push(inv.finish());
        let tactics = &all.parts[0].fields[4];
        let terms: Vec<&str> = tactics.terms().map(|(t, _)| t).collect();
        assert_eq!(terms, ["a", "b", "会", "工会"]);
        assert_eq!(
            (tactics.before("b"), tactics.before("c"), tactics.before("")),
            (1, 2, 0)
        );
        // `a` at 2 in document 0 (工会 at 0, 会 at 1), at 0 in document 1; `b` after the gap at 4
        let mut postings = tactics.reader(0).unwrap();
        postings.load().unwrap();
        let a = all.read(4, &[postings.get()]);
        assert_eq!(a.docs, [(0, 4, 1), (1, 1, 1)]);
        assert_eq!(a.flat, [0, 4, 1, 2, 1, 1, 1, 0]);
        let mut postings = tactics.reader(1).unwrap();
        postings.load().unwrap();
        let b = all.read(4, &[postings.get()]);
        assert_eq!(b.flat, [0, 4, 1, 4]);
        assert_eq!(all.tokens[4], 5);
        assert_eq!(tactics.docs, [2, 1, 1, 1]);
    }
}
