//! Prefix expansion: the dictionary terms that the last word of a query stands for while the
//! reader is still typing it (`率达9` for 率达93%). One choice for both searches: `casebook
//! search` asks tantivy at query time ([`expansions`]); the browser export writes the choice for
//! every prefix that has more than [`MAX_EXPANSIONS`] terms into the term shard where the prefix
//! sorts ([`lists`]), and a prefix with fewer terms stands for all of them, which the client
//! reads off the shards. So both rank with the same terms, and the browser never scans a
//! prefix's whole range: at 1000x the digest, `9` starts thousands of terms.
//!
//! Entry points: [`expansions`], [`lists`].

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use tantivy::InvertedIndexReader;

use super::{terr, tokenizer};
use crate::error::Result;

/// How many terms a prefix stands for at most: enough for any word being typed, few enough
/// that `1` does not pull in every number of the site.
pub const MAX_EXPANSIONS: usize = 50;

/// A term with its document frequency summed over the fields (how common it is).
pub type Counted = (String, u64);

/// Whether a term can extend a query's prefix: the prefix is a Latin or digit word, so only
/// terms that start like one can.
pub fn expandable(term: &str) -> bool {
    term.chars()
        .next()
        .is_some_and(|c| c.is_alphanumeric() && !tokenizer::is_cjk(c))
}

/// The terms `candidates` (every term that extends a prefix, in term order) stand for: all of
/// them when they are few; else the [`MAX_EXPANSIONS`] most common, ties to the earlier term,
/// since a common term is what a reader most likely types and the first ones in term order are
/// arbitrary (the bench's town numbers `泗门镇123` took every slot of `9`). In term order, the
/// order in which both searches add their scores.
pub fn choose(candidates: &[Counted]) -> Vec<String> {
    if candidates.len() <= MAX_EXPANSIONS {
        return candidates.iter().map(|(t, _)| t.clone()).collect();
    }
    let mut ranked: Vec<&Counted> = candidates.iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked.truncate(MAX_EXPANSIONS);
    let mut out: Vec<String> = ranked.into_iter().map(|(t, _)| t.clone()).collect();
    out.sort();
    out
}

/// The terms of the index that `prefix` stands for (itself left out), as [`choose`] picks them.
pub fn expansions(fields: &[Arc<InvertedIndexReader>], prefix: &str) -> Result<Vec<String>> {
    let mut counted: BTreeMap<String, u64> = BTreeMap::new();
    for inv in fields {
        let mut stream = inv
            .terms()
            .range()
            .ge(prefix.as_bytes())
            .into_stream()
            .map_err(terr)?;
        while stream.advance() {
            let key = stream.key();
            if !key.starts_with(prefix.as_bytes()) {
                break;
            }
            if key != prefix.as_bytes() {
                let term = String::from_utf8_lossy(key).into_owned();
                *counted.entry(term).or_default() += u64::from(stream.value().doc_freq);
            }
        }
    }
    Ok(choose(&counted.into_iter().collect::<Vec<_>>()))
}

/// Every term of `terms` (each with its document frequency in one field of one part of the
/// index, in any order) that can extend a prefix ([`expandable`]), with its frequencies summed,
/// in term order.
pub fn expandable_terms<'a>(terms: impl Iterator<Item = (&'a str, u32)>) -> Vec<Counted> {
    let mut counted: BTreeMap<&str, u64> = BTreeMap::new();
    for (term, docs) in terms {
        if expandable(term) {
            *counted.entry(term).or_default() += u64::from(docs);
        }
    }
    counted
        .into_iter()
        .map(|(t, n)| (t.to_string(), n))
        .collect()
}

/// For every prefix of a term in `terms` (sorted, as [`expandable_terms`] gives them) that
/// more than [`MAX_EXPANSIONS`] terms extend, the terms it stands for ([`choose`]).
pub fn lists(terms: &[Counted]) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for (term, _) in terms {
        for (k, _) in term.char_indices().skip(1) {
            let p = &term[..k];
            if !seen.insert(p) {
                continue;
            }
            let mut lo = terms.partition_point(|(t, _)| t.as_str() < p);
            if terms.get(lo).is_some_and(|(t, _)| t == p) {
                lo += 1;
            }
            let n = terms[lo..].partition_point(|(t, _)| t.starts_with(p));
            if n > MAX_EXPANSIONS {
                out.insert(p.to_string(), choose(&terms[lo..lo + n]));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counted(terms: &[(&str, u64)]) -> Vec<Counted> {
        let mut v: Vec<Counted> = terms.iter().map(|(t, n)| (t.to_string(), *n)).collect();
        v.sort();
        v
    }

    #[test]
    fn few_terms_stand_for_themselves_in_term_order() {
        let c = counted(&[("93", 1), ("900", 5), ("9", 2)]);
        assert_eq!(choose(&c), ["9", "900", "93"]);
    }

    #[test]
    fn many_terms_keep_the_most_common_in_term_order() {
        // 60 rare town numbers 900..959 before the common 93 in term order
        let mut terms: Vec<(String, u64)> = (900..960).map(|n| (n.to_string(), 1)).collect();
        terms.push(("93".into(), 7));
        terms.sort();
        let chosen = choose(&terms);
        assert_eq!(chosen.len(), MAX_EXPANSIONS);
        assert!(chosen.contains(&"93".to_string()), "{chosen:?}");
        let mut sorted = chosen.clone();
        sorted.sort();
        assert_eq!(chosen, sorted);
        // ties go to the earlier term: 900..948 with 93
        assert_eq!(chosen.first().map(String::as_str), Some("900"));
        assert!(!chosen.contains(&"949".to_string()));
    }

    #[test]
    fn lists_only_prefixes_with_more_than_the_maximum() {
        let mut terms: Vec<(String, u64)> = (900..960).map(|n| (n.to_string(), 1)).collect();
        terms.push(("93".into(), 7));
        terms.push(("apple".into(), 1));
        terms.sort();
        let l = lists(&terms);
        // `9` has 61 extensions; `90`..`95` have at most 11; `apple`'s prefixes one each
        assert_eq!(l.keys().collect::<Vec<_>>(), ["9"]);
        assert!(l["9"].contains(&"93".to_string()));
        assert_eq!(l["9"], choose(&terms[..61]));
    }

    #[test]
    fn only_latin_and_digit_terms_extend_a_prefix() {
        assert!(expandable("93"));
        assert!(expandable("serv"));
        assert!(expandable("é"));
        assert!(!expandable("工会"));
        assert!(!expandable("%"));
    }

    #[test]
    fn expandable_terms_sum_their_fields_in_term_order() {
        let terms = [("b2", 1), ("工会", 9), ("a1", 2), ("b2", 3)];
        let got = expandable_terms(terms.into_iter());
        assert_eq!(got, [("a1".to_string(), 2), ("b2".to_string(), 4)]);
    }
}
