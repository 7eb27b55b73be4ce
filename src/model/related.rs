//! Related reports: shared tactics weighted by rarity (inverse document frequency), then the
//! same county, then the same city. A tactic every pilot uses says little; a rare one says a lot.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;

use super::Report;

/// How many related reports a page shows.
pub(super) const MAX_RELATED: usize = 5;

/// A related report and why it was chosen.
#[derive(Debug, Clone, Serialize)]
pub struct Related {
    /// Index into the site's reports.
    pub index: usize,
    /// Tactics both reports use, rarest first.
    pub shared: Vec<String>,
    /// The rarity-weighted score.
    pub score: f64,
}

/// Fills `related` on every report. Deterministic: ties break by slug.
///
/// Scores accumulate over tactic postings (not all pairs), so the cost is the sum of the posting
/// lengths a report touches, which keeps 100x the digest fast.
pub(super) fn assign(reports: &mut [Report]) {
    let n = reports.len() as f64;
    let mut postings: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, r) in reports.iter().enumerate() {
        for t in &r.meta.tactics {
            postings.entry(t.as_str()).or_default().push(i);
        }
    }
    let idf = |t: &str| (n / postings[t].len() as f64).ln();
    // The tie-breaks run for every candidate pair, and at scale (100x the digest) nearly every
    // report is a candidate of every other: compare small integers, not strings.
    let mut names: BTreeMap<String, u32> = BTreeMap::new();
    let mut intern = |s: &str| match names.get(s) {
        Some(&id) => id,
        None => {
            let id = names.len() as u32 + 1;
            names.insert(s.to_string(), id);
            id
        }
    };
    let city: Vec<u32> = reports.iter().map(|r| intern(&r.meta.city)).collect();
    // 0: no county, which matches nothing.
    let county: Vec<u32> = reports
        .iter()
        .map(|r| r.meta.county.as_deref().map_or(0, &mut intern))
        .collect();
    let mut by_slug: Vec<usize> = (0..reports.len()).collect();
    by_slug.sort_by(|&x, &y| reports[x].slug.cmp(&reports[y].slug));
    let mut slug_rank = vec![0usize; reports.len()];
    for (rank, &i) in by_slug.iter().enumerate() {
        slug_rank[i] = rank;
    }
    let all: Vec<Vec<Related>> = (0..reports.len())
        .into_par_iter()
        .map_init(
            || vec![0f64; reports.len()],
            |score, i| {
                let a = &reports[i];
                let mut touched = Vec::new();
                for t in &a.meta.tactics {
                    let w = idf(t);
                    for &j in &postings[t.as_str()] {
                        if j != i {
                            if score[j] == 0.0 {
                                touched.push(j);
                            }
                            // A tactic used by every report has idf 0; keep it a candidate.
                            score[j] += w.max(1e-9);
                        }
                    }
                }
                let key = |j: usize| (county[i] != 0 && county[i] == county[j], city[i] == city[j]);
                let order = |x: &usize, y: &usize| {
                    score[*y]
                        .total_cmp(&score[*x])
                        .then(key(*y).cmp(&key(*x)))
                        .then(slug_rank[*x].cmp(&slug_rank[*y]))
                };
                // Keep the best few in order while scanning: nearly every candidate loses to the
                // current last one on the first comparison, where a selection over all of them
                // (at scale, all reports) compared each several times.
                let mut best: Vec<usize> = Vec::with_capacity(MAX_RELATED + 1);
                for &j in &touched {
                    if best.len() == MAX_RELATED && order(&j, &best[MAX_RELATED - 1]).is_ge() {
                        continue;
                    }
                    let at = best.partition_point(|b| order(b, &j).is_lt());
                    best.insert(at, j);
                    best.truncate(MAX_RELATED);
                }
                let picked: Vec<Related> = best
                    .iter()
                    .map(|&j| {
                        let mut shared: Vec<&String> = a
                            .meta
                            .tactics
                            .iter()
                            .filter(|t| reports[j].meta.tactics.contains(t))
                            .collect();
                        shared.sort_by(|x, y| idf(y).total_cmp(&idf(x)).then(x.cmp(y)));
                        Related {
                            index: j,
                            shared: shared.into_iter().cloned().collect(),
                            score: score[j],
                        }
                    })
                    .collect();
                for j in touched {
                    score[j] = 0.0;
                }
                picked
            },
        )
        .collect();
    for (r, rel) in reports.iter_mut().zip(all) {
        r.related = rel;
    }
}
