//! `casebook search`: answers a query from a tantivy index of the site's reports
//! ([`index::tantivy_index`], made in memory from the sources), ranked exactly as the
//! browser client ranks it (the same query structure: every word must match in some field;
//! inside a word, CJK text is a phrase of consecutive bigrams; fields weigh by their boost; the
//! last word's last Latin or digit term is also a prefix, exact matches first).
//!
//! Entry point: [`search`].

use std::collections::HashSet;

use serde::Serialize;
use tantivy::collector::{Count, DocSetCollector, TopDocs};
use tantivy::query::{BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{DocAddress, Searcher, TantivyDocument, Term};

use crate::error::{Error, Result};
use crate::index::{self, chars, tokenizer, FIELDS};

mod union;

use self::union::UnionPhrase;

/// One hit.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Hit {
    /// Report slug.
    pub slug: String,
    /// Report title.
    pub title: String,
    /// BM25 score as tantivy computes it.
    pub score: f32,
    /// Whether every word matched as typed (not only as a prefix).
    pub exact: bool,
}

/// Hits, best first, and how many documents matched in all.
#[derive(Debug, Clone, Serialize)]
pub struct Hits {
    /// Matching documents.
    pub total: usize,
    /// The best `limit` of them.
    pub hits: Vec<Hit>,
}

/// How many dictionary terms a prefix stands for at most ([`index::prefix`] chooses them).
pub use crate::index::prefix::MAX_EXPANSIONS;

/// The words of a query: split on white space; quotes are ignored (every word is a phrase). The
/// last word is `open` (its last term matched as a prefix) when it ends in a Latin or digit
/// word and the query does not end with a space or quote: the reader may still be typing it.
pub fn query_words(query: &str) -> Vec<tokenizer::QueryWord> {
    let is_sep = |c: char| c.is_whitespace() || matches!(c, '"' | '“' | '”' | '「' | '」');
    let mut words: Vec<tokenizer::QueryWord> = query
        .split(is_sep)
        .map(tokenizer::query_word)
        .filter(|w| !w.terms.is_empty())
        .collect();
    let typing = query.chars().next_back().is_some_and(|c| !is_sep(c));
    let n = words.len();
    for (i, w) in words.iter_mut().enumerate() {
        w.open &= typing && i + 1 == n;
    }
    words
}

/// The terms of the index that `prefix` stands for, as the browser index lists them
/// ([`index::prefix::expansions`]).
pub fn expansions(searcher: &Searcher, fields: &[Field], prefix: &str) -> Result<Vec<String>> {
    let mut inverted = Vec::new();
    for seg in searcher.segment_readers() {
        for f in fields {
            inverted.push(seg.inverted_index(*f).map_err(ierr)?);
        }
    }
    index::prefix::expansions(&inverted, prefix)
}

fn ierr(e: impl std::fmt::Display) -> Error {
    Error::Index(e.to_string())
}

/// One word in every field, as should-clauses in field order: a term query for one term, a
/// phrase query for more, a [`UnionPhrase`] when a term is a lone CJK character.
fn word_clauses(
    fields: &[Field],
    terms: &[(usize, String)],
    out: &mut Vec<(Occur, Box<dyn Query>)>,
) {
    for (fi, field) in fields.iter().enumerate() {
        let q: Box<dyn Query> = if terms.iter().any(|(_, t)| chars::lone(t).is_some()) {
            Box::new(UnionPhrase::new(*field, terms.to_vec()))
        } else if terms.len() == 1 {
            Box::new(TermQuery::new(
                Term::from_field_text(*field, &terms[0].1),
                IndexRecordOption::WithFreqs,
            ))
        } else {
            Box::new(PhraseQuery::new_with_offset(
                terms
                    .iter()
                    .map(|(o, t)| (*o, Term::from_field_text(*field, t)))
                    .collect(),
            ))
        };
        out.push((Occur::Should, Box::new(BoostQuery::new(q, FIELDS[fi].1))));
    }
}

/// The query: every word must match (in some field). An open word also matches with its last
/// term replaced by each of `expanded` (scored as one more set of should-clauses each, after
/// the exact ones, in term order).
fn build_query(
    fields: &[Field],
    words: &[tokenizer::QueryWord],
    expanded: &[String],
    exact_only: bool,
) -> BooleanQuery {
    let mut musts: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for w in words {
        let mut shoulds = Vec::new();
        word_clauses(fields, &w.terms, &mut shoulds);
        if w.open && !exact_only {
            let mut terms = w.terms.clone();
            for e in expanded {
                if let Some(last) = terms.last_mut() {
                    last.1.clone_from(e);
                }
                word_clauses(fields, &terms, &mut shoulds);
            }
        }
        musts.push((Occur::Must, Box::new(BooleanQuery::new(shoulds))));
    }
    BooleanQuery::new(musts)
}

/// Runs `query` against `index` (as [`index::tantivy_index`] makes it). Documents that match
/// every word exactly come first, then those that match the last word only as a prefix, each
/// best first.
pub fn search(index: &tantivy::Index, query: &str, limit: usize) -> Result<Hits> {
    let reader = index::open_reader(index)?;
    let s = index::schema();
    let words = query_words(query);
    if words.is_empty() {
        return Ok(Hits {
            total: 0,
            hits: Vec::new(),
        });
    }
    let searcher = reader.searcher();
    let expanded = match words.iter().find(|w| w.open) {
        Some(w) => expansions(&searcher, &s.text, &w.terms[w.terms.len() - 1].1)?,
        None => Vec::new(),
    };
    let query = build_query(&s.text, &words, &expanded, false);
    let all = searcher.num_docs().max(1) as usize;
    let (mut top, total) = searcher
        .search(&query, &(TopDocs::with_limit(all).order_by_score(), Count))
        .map_err(ierr)?;
    let exact: Option<HashSet<DocAddress>> = match expanded.is_empty() {
        true => None,
        false => Some(
            searcher
                .search(&build_query(&s.text, &words, &[], true), &DocSetCollector)
                .map_err(ierr)?,
        ),
    };
    let is_exact = |a: &DocAddress| exact.as_ref().is_none_or(|e| e.contains(a));
    top.sort_by(|(sa, a), (sb, b)| {
        is_exact(b)
            .cmp(&is_exact(a))
            .then(sb.total_cmp(sa))
            .then(a.cmp(b))
    });
    let mut hits = Vec::new();
    for (score, addr) in top.into_iter().take(limit) {
        let doc: TantivyDocument = searcher.doc(addr).map_err(ierr)?;
        let get = |f| {
            doc.get_first(f)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        hits.push(Hit {
            slug: get(s.slug),
            title: get(s.title_stored),
            score,
            exact: is_exact(&addr),
        });
    }
    Ok(Hits { total, hits })
}
