//! Related reports: shared tactics weighted by rarity (inverse document frequency), then the
//! same county, then the same city. A tactic every pilot uses says little; a rare one says a lot.

use std::collections::HashMap;
use std::sync::Arc;

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
    /// Tactics both reports use, rarest first; each name is one allocation shared by every
    /// report (at 1000x the digest a `String` per name and report was 140 MB).
    pub shared: Vec<Arc<str>>,
    /// The rarity-weighted score.
    pub score: f64,
}

/// Fills `related` on every report. Deterministic: ties break by slug.
///
/// The order is: score (sum of the idf of shared tactics) descending, then same county, then
/// same city, then slug. A score depends only on the two reports' tactic *sets*, and a digest
/// has far fewer distinct sets than reports (26 tactics, a handful each), so scores are summed
/// per set (a "bucket"), and only the buckets of the best scores are opened to rank their
/// reports. The cost per report is the number of buckets plus the few reports it ranks, where
/// summing over every report sharing a tactic was most of the model stage at 100x the digest.
pub(super) fn assign(reports: &mut [Report]) {
    let ctx = Index::new(reports);
    let all: Vec<Vec<Related>> = (0..reports.len())
        .into_par_iter()
        .map_init(
            || vec![0f64; ctx.buckets.len()],
            |score, i| ctx.related(i, score),
        )
        .collect();
    for (r, rel) in reports.iter_mut().zip(all) {
        r.related = rel.into();
    }
}

/// The related reports of a model run, by the key of their inputs (see [`assign_cached`]).
pub(super) type Memo = Option<(u64, Vec<Arc<[Related]>>)>;

/// [`assign`], taking the last run's lists from `memo` when every input of the ranking is what
/// it was: each report's slug, city, county and tactics, in order. A body, title or metric edit
/// in `serve` then costs a hash of those instead of ranking every report again (85 ms at 100x
/// the digest).
pub(super) fn assign_cached(reports: &mut [Report], memo: &mut Memo) {
    let key = {
        use std::hash::{Hash, Hasher};
        let mut h = crate::fingerprint::hasher();
        for r in reports.iter() {
            (&r.slug, &r.meta.city, &r.meta.county, &r.meta.tactics).hash(&mut h);
        }
        h.finish()
    };
    match memo {
        Some((k, lists)) if *k == key && lists.len() == reports.len() => {
            for (r, list) in reports.iter_mut().zip(lists.iter()) {
                r.related = Arc::clone(list);
            }
        }
        _ => {
            assign(reports);
            *memo = Some((
                key,
                reports.iter().map(|r| Arc::clone(&r.related)).collect(),
            ));
        }
    }
}

/// What ranking needs, computed once for all reports.
struct Index<'a> {
    /// Tactic names by dense id.
    names: Vec<&'a str>,
    /// The same, shared into each [`Related::shared`].
    shared_names: Vec<Arc<str>>,
    /// Inverse document frequency of each tactic id (at least 1e-9: a tactic used by every
    /// report has idf 0 and still makes its reports candidates).
    idf: Vec<f64>,
    /// Each report's tactic ids, in its front matter order, without repeats.
    tactics: Vec<Vec<usize>>,
    /// Reports with the same tactic set, in slug order.
    buckets: Vec<Vec<usize>>,
    /// Tactic id -> the buckets whose set holds it.
    postings: Vec<Vec<usize>>,
    /// Interned city and county of each report (county 0: none, which matches nothing).
    city: Vec<u32>,
    county: Vec<u32>,
    /// Position of each report in slug order.
    slug_rank: Vec<usize>,
    /// Each bucket's reports by place, in slug order.
    places: Places,
}

/// A bucket's reports in one place: its county in its city, its county (a county name may
/// recur in two cities), its city. Ids are the interned names of [`Index::city`] and
/// [`Index::county`].
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Place {
    Both(usize, u32, u32),
    County(usize, u32),
    City(usize, u32),
}

/// The reports of each bucket and place, in slug order (looked up a few times per report and
/// bucket: a fast hasher, as on serve's other hot maps).
#[derive(Default)]
struct Places(foldhash::HashMap<Place, Vec<usize>>);

impl Places {
    fn add(&mut self, place: Place, report: usize) {
        self.0.entry(place).or_default().push(report);
    }

    fn get(&self, place: Place) -> &[usize] {
        self.0.get(&place).map_or(&[], Vec::as_slice)
    }
}

impl<'a> Index<'a> {
    fn new(reports: &'a [Report]) -> Self {
        let mut ids: HashMap<&str, usize> = HashMap::new();
        let mut names: Vec<&str> = Vec::new();
        let mut df: Vec<usize> = Vec::new();
        let tactics: Vec<Vec<usize>> = reports
            .iter()
            .map(|r| {
                let mut own: Vec<usize> = Vec::new();
                for t in &r.meta.tactics {
                    let next = ids.len();
                    let id = *ids.entry(t.as_str()).or_insert(next);
                    if id == df.len() {
                        df.push(0);
                        names.push(t);
                    }
                    if !own.contains(&id) {
                        own.push(id);
                        df[id] += 1;
                    }
                }
                own
            })
            .collect();
        let n = reports.len() as f64;
        let idf = df.iter().map(|&d| (n / d as f64).ln().max(1e-9)).collect();

        let mut by_slug: Vec<usize> = (0..reports.len()).collect();
        by_slug.sort_by(|&x, &y| reports[x].slug.cmp(&reports[y].slug));
        let mut slug_rank = vec![0usize; reports.len()];
        for (rank, &i) in by_slug.iter().enumerate() {
            slug_rank[i] = rank;
        }

        let mut bucket_of: HashMap<Vec<usize>, usize> = HashMap::new();
        let mut buckets: Vec<Vec<usize>> = Vec::new();
        let mut postings: Vec<Vec<usize>> = vec![Vec::new(); names.len()];
        for &i in &by_slug {
            let mut set = tactics[i].clone();
            set.sort_unstable();
            let b = *bucket_of.entry(set).or_insert_with_key(|set| {
                for &t in set {
                    postings[t].push(buckets.len());
                }
                buckets.push(Vec::new());
                buckets.len() - 1
            });
            buckets[b].push(i);
        }

        // Tie-breaks run for many candidate pairs: compare small integers, not strings.
        let mut places: HashMap<&str, u32> = HashMap::new();
        let mut intern = |s: &'a str| {
            let next = places.len() as u32 + 1;
            *places.entry(s).or_insert(next)
        };
        let city: Vec<u32> = reports.iter().map(|r| intern(&r.meta.city)).collect();
        let county: Vec<u32> = reports
            .iter()
            .map(|r| r.meta.county.as_deref().map_or(0, &mut intern))
            .collect();
        let mut places = Places::default();
        for (b, members) in buckets.iter().enumerate() {
            for &j in members {
                places.add(Place::City(b, city[j]), j);
                if county[j] != 0 {
                    places.add(Place::County(b, county[j]), j);
                    places.add(Place::Both(b, county[j], city[j]), j);
                }
            }
        }
        Index {
            shared_names: names.iter().map(|&n| Arc::from(n)).collect(),
            names,
            idf,
            tactics,
            buckets,
            postings,
            city,
            county,
            slug_rank,
            places,
        }
    }

    /// The related reports of report `i`; `score` is a zeroed buffer of one slot per bucket,
    /// left zeroed.
    fn related(&self, i: usize, score: &mut [f64]) -> Vec<Related> {
        let mut touched: Vec<usize> = Vec::new();
        for &t in &self.tactics[i] {
            for &b in &self.postings[t] {
                if score[b] == 0.0 {
                    touched.push(b);
                }
                score[b] += self.idf[t];
            }
        }
        // Best score first; buckets of equal score are ranked together below.
        touched.sort_by(|&x, &y| score[y].total_cmp(&score[x]));

        let mut best: Vec<(usize, f64)> = Vec::with_capacity(MAX_RELATED);
        let mut at = 0;
        while at < touched.len() && best.len() < MAX_RELATED {
            let s = score[touched[at]];
            let start = at;
            while at < touched.len() && score[touched[at]] == s {
                at += 1;
            }
            let need = MAX_RELATED - best.len();
            best.extend(self.ranked(i, &touched[start..at], need).map(|j| (j, s)));
        }
        for b in touched {
            score[b] = 0.0;
        }

        best.into_iter()
            .map(|(j, score)| {
                let mut shared: Vec<usize> = self.tactics[i]
                    .iter()
                    .copied()
                    .filter(|t| self.tactics[j].contains(t))
                    .collect();
                shared.sort_by(|&x, &y| {
                    self.idf[y]
                        .total_cmp(&self.idf[x])
                        .then(self.names[x].cmp(self.names[y]))
                });
                Related {
                    index: j,
                    shared: shared
                        .iter()
                        .map(|&t| Arc::clone(&self.shared_names[t]))
                        .collect(),
                    score,
                }
            })
            .collect()
    }

    /// The first `need` reports (not `i`) of the buckets `level`, all of one score, in the
    /// order of the ranking: same county and city as `i`, same county only, same city only,
    /// the rest; then slug. Each class is read from lists kept in slug order per bucket and
    /// place ([`Places`]), so a report ranks at most `need` reports per bucket and class plus
    /// the few of an earlier class it skips, however large the bucket. Sorting a whole level
    /// (at 1000x the digest, the thousand copies of a report's tactic set) made the model stage
    /// grow with the square of the site.
    fn ranked(&self, i: usize, level: &[usize], need: usize) -> impl Iterator<Item = usize> {
        let (city, county) = (self.city[i], self.county[i]);
        let same_county = |j: usize| county != 0 && self.county[j] == county;
        let same_city = |j: usize| self.city[j] == city;
        let mut out: Vec<usize> = Vec::with_capacity(need);
        let mut picked: Vec<usize> = Vec::new();
        for class in 0..4 {
            let left = need - out.len();
            if left == 0 {
                break;
            }
            if class < 2 && county == 0 {
                continue;
            }
            picked.clear();
            for &b in level {
                let (list, keep): (&[usize], &dyn Fn(usize) -> bool) = match class {
                    0 => (self.places.get(Place::Both(b, county, city)), &|_| true),
                    1 => (self.places.get(Place::County(b, county)), &|j| {
                        !same_city(j)
                    }),
                    2 => (self.places.get(Place::City(b, city)), &|j| !same_county(j)),
                    _ => (&self.buckets[b], &|j| !same_city(j) && !same_county(j)),
                };
                picked.extend(
                    list.iter()
                        .copied()
                        .filter(|&j| j != i && keep(j))
                        .take(left),
                );
            }
            picked.sort_unstable_by_key(|&j| self.slug_rank[j]);
            out.extend(picked.iter().take(left));
        }
        out.into_iter()
    }
}

#[cfg(test)]
#[path = "related_tests.rs"]
mod tests;
