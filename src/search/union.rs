//! The query of a word with a lone CJK character (`镇`, `杭工e家`): the character is the union
//! of its terms ([`index::chars`]), which no tantivy query reads, so this one gathers them and
//! scores the word as tantivy scores a term or a phrase (BM25 over the phrase's matches, the
//! character's document frequency that of the union), which is what the browser reads from the
//! character's exported entry.
//!
//! Entry point: [`UnionPhrase`].

use std::collections::HashMap;

use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{
    Bm25StatisticsProvider, Bm25Weight, EnableScoring, Explanation, Query, Scorer, Weight,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{
    DocId, DocSet, InvertedIndexReader, Score, Searcher, SegmentReader, Term, TERMINATED,
};

use crate::index::chars::{self, DocPositions, Occurrences};

/// A word's terms in one field, with their offsets; a lone CJK character stands for its union.
#[derive(Debug, Clone)]
pub(super) struct UnionPhrase {
    field: Field,
    terms: Vec<(usize, String)>,
}

impl UnionPhrase {
    /// The query of `terms` (as [`crate::index::tokenizer::query_word`] gives them) in `field`.
    pub(super) fn new(field: Field, terms: Vec<(usize, String)>) -> Self {
        UnionPhrase { field, terms }
    }

    /// Each term's documents in one segment, in order, with their positions in order.
    fn occurrences(&self, reader: &SegmentReader) -> tantivy::Result<Vec<DocPositions>> {
        let inv = reader.inverted_index(self.field)?;
        let mut out = Vec::with_capacity(self.terms.len());
        for (_, text) in &self.terms {
            let mut occ = Occurrences::new(1);
            match chars::lone(text) {
                Some(c) => {
                    for postings in terms_of(&inv, c, IndexRecordOption::WithFreqsAndPositions)? {
                        gather(postings, &mut occ);
                    }
                }
                None => {
                    let term = Term::from_field_text(self.field, text);
                    if let Some(p) =
                        inv.read_postings(&term, IndexRecordOption::WithFreqsAndPositions)?
                    {
                        gather(p, &mut occ);
                    }
                }
            }
            out.push(occ.into_fields().next().map(|(_, d)| d).unwrap_or_default());
        }
        Ok(out)
    }

    /// The documents of one segment where the terms stand at their offsets, with how often.
    fn matches(&self, reader: &SegmentReader) -> tantivy::Result<Vec<(DocId, u32)>> {
        let occ = self.occurrences(reader)?;
        let Some((first, rest)) = occ.split_first() else {
            return Ok(Vec::new());
        };
        let rest: Vec<HashMap<u32, &Vec<u32>>> = rest
            .iter()
            .map(|docs| docs.iter().map(|(d, p)| (*d, p)).collect())
            .collect();
        let base = self.terms[0].0 as i64;
        let mut out = Vec::new();
        for (doc, positions) in first {
            let others: Option<Vec<&Vec<u32>>> = rest.iter().map(|m| m.get(doc).copied()).collect();
            let Some(others) = others else { continue };
            let tf = positions
                .iter()
                .filter(|&&p| {
                    others.iter().zip(&self.terms[1..]).all(|(ps, (off, _))| {
                        let want = i64::from(p) - base + *off as i64;
                        u32::try_from(want).is_ok_and(|w| ps.binary_search(&w).is_ok())
                    })
                })
                .count() as u32;
            if tf > 0 {
                out.push((*doc, tf));
            }
        }
        Ok(out)
    }
}

/// The postings of every term of character `c` in one field of a segment.
fn terms_of(
    inv: &InvertedIndexReader,
    c: char,
    option: IndexRecordOption,
) -> tantivy::Result<Vec<SegmentPostings>> {
    let (lo, hi) = chars::terms_of(c);
    let mut stream = inv.terms().range().ge(&lo).lt(&hi).into_stream()?;
    let mut out = Vec::new();
    while stream.advance() {
        out.push(inv.read_postings_from_terminfo(stream.value(), option)?);
    }
    Ok(out)
}

fn gather(mut postings: SegmentPostings, occ: &mut Occurrences) {
    let mut positions = Vec::new();
    let mut doc = postings.doc();
    while doc != TERMINATED {
        positions.clear();
        postings.positions(&mut positions);
        for &p in &positions {
            occ.push(0, doc, p);
        }
        doc = postings.advance();
    }
}

/// The searcher's statistics, but a lone character's document frequency is its union's.
struct Stats<'a> {
    inner: &'a dyn Bm25StatisticsProvider,
    unions: HashMap<Term, u64>,
}

impl Bm25StatisticsProvider for Stats<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        self.inner.total_num_tokens(field)
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        self.inner.total_num_docs()
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        match self.unions.get(term) {
            Some(n) => Ok(*n),
            None => self.inner.doc_freq(term),
        }
    }
}

/// The documents of a union across the searcher's segments.
fn union_docs(searcher: &Searcher, field: Field, c: char) -> tantivy::Result<u64> {
    let mut n = 0;
    for seg in searcher.segment_readers() {
        let inv = seg.inverted_index(field)?;
        let mut docs = Vec::new();
        for mut p in terms_of(&inv, c, IndexRecordOption::Basic)? {
            while p.doc() != TERMINATED {
                docs.push(p.doc());
                p.advance();
            }
        }
        docs.sort_unstable();
        docs.dedup();
        n += docs.len() as u64;
    }
    Ok(n)
}

impl Query for UnionPhrase {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let bm25 = match scoring {
            EnableScoring::Enabled {
                searcher,
                statistics_provider,
            } => {
                let mut unions = HashMap::new();
                for (_, text) in &self.terms {
                    if let Some(c) = chars::lone(text) {
                        let n = union_docs(searcher, self.field, c)?;
                        unions.insert(Term::from_field_text(self.field, text), n);
                    }
                }
                let stats = Stats {
                    inner: statistics_provider,
                    unions,
                };
                let terms: Vec<Term> = self
                    .terms
                    .iter()
                    .map(|(_, t)| Term::from_field_text(self.field, t))
                    .collect();
                Some(Bm25Weight::for_terms(&stats, &terms)?)
            }
            EnableScoring::Disabled { .. } => None,
        };
        Ok(Box::new(UnionWeight {
            query: self.clone(),
            bm25,
        }))
    }
}

struct UnionWeight {
    query: UnionPhrase,
    bm25: Option<Bm25Weight>,
}

impl Weight for UnionWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let norms = reader.get_fieldnorms_reader(self.query.field)?;
        let bm25 = self.bm25.as_ref().map(|w| w.boost_by(boost));
        let hits = self
            .query
            .matches(reader)?
            .into_iter()
            .map(|(doc, tf)| {
                let score = bm25
                    .as_ref()
                    .map_or(0.0, |w| w.score(norms.fieldnorm_id(doc), tf));
                (doc, score)
            })
            .collect();
        Ok(Box::new(Hits { hits, at: 0 }))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} does not match"
            )));
        }
        Ok(Explanation::new("union phrase", scorer.score()))
    }
}

/// Matches found in advance, in document order.
struct Hits {
    hits: Vec<(DocId, Score)>,
    at: usize,
}

impl DocSet for Hits {
    fn advance(&mut self) -> DocId {
        self.at += 1;
        self.doc()
    }

    fn doc(&self) -> DocId {
        self.hits.get(self.at).map_or(TERMINATED, |h| h.0)
    }

    fn size_hint(&self) -> u32 {
        self.hits.len() as u32
    }
}

impl Scorer for Hits {
    fn score(&mut self) -> Score {
        self.hits.get(self.at).map_or(0.0, |h| h.1)
    }
}
