//! `casebook search`: answers a query from the tantivy index of a build, ranked exactly as the
//! browser client ranks it (the same query structure: every word must match in some field;
//! inside a word, CJK text is a phrase of consecutive bigrams; fields weigh by their boost).
//!
//! Entry point: [`search`].

use std::path::Path;

use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{TantivyDocument, Term};

use crate::error::{Error, Result};
use crate::index::{self, tokenizer, FIELDS};

/// One hit.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Hit {
    /// Report slug.
    pub slug: String,
    /// Report title.
    pub title: String,
    /// BM25 score as tantivy computes it.
    pub score: f32,
}

/// Hits, best first, and how many documents matched in all.
#[derive(Debug, Clone, Serialize)]
pub struct Hits {
    /// Matching documents.
    pub total: usize,
    /// The best `limit` of them.
    pub hits: Vec<Hit>,
}

/// The words of a query: split on white space; quotes are ignored (every word is a phrase).
pub fn query_words(query: &str) -> Vec<Vec<(usize, String)>> {
    query
        .split(|c: char| c.is_whitespace() || matches!(c, '"' | '“' | '”' | '「' | '」'))
        .map(tokenizer::query_terms)
        .filter(|terms| !terms.is_empty())
        .collect()
}

/// Runs `query` against the tantivy index in `dir`.
pub fn search(dir: &Path, query: &str, limit: usize) -> Result<Hits> {
    let (_index, reader) = index::open(dir)?;
    let s = index::schema();
    let words = query_words(query);
    if words.is_empty() {
        return Ok(Hits {
            total: 0,
            hits: Vec::new(),
        });
    }
    let mut musts: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for terms in &words {
        let mut shoulds: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (fi, field) in s.text.iter().enumerate() {
            let q: Box<dyn Query> = if terms.len() == 1 {
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
            shoulds.push((Occur::Should, Box::new(BoostQuery::new(q, FIELDS[fi].1))));
        }
        musts.push((Occur::Must, Box::new(BooleanQuery::new(shoulds))));
    }
    let query = BooleanQuery::new(musts);
    let searcher = reader.searcher();
    let (top, total) = searcher
        .search(
            &query,
            &(TopDocs::with_limit(limit.max(1)).order_by_score(), Count),
        )
        .map_err(|e| Error::Index(e.to_string()))?;
    let mut hits = Vec::new();
    for (score, addr) in top.into_iter().take(limit) {
        let doc: TantivyDocument = searcher
            .doc(addr)
            .map_err(|e| Error::Index(e.to_string()))?;
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
        });
    }
    Ok(Hits { total, hits })
}
