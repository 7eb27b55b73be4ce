use super::*;
use crate::load::ReportMeta;

/// The definition, pair by pair: every other report sharing a tactic, ordered by score, then
/// same county, then same city, then slug.
fn brute_force(reports: &[Report]) -> Vec<Vec<(usize, f64, Vec<String>)>> {
    let n = reports.len() as f64;
    let df = |t: &String| {
        reports
            .iter()
            .filter(|r| r.meta.tactics.contains(t))
            .count()
    };
    let idf = |t: &String| (n / df(t) as f64).ln().max(1e-9);
    (0..reports.len())
        .map(|i| {
            let a = &reports[i];
            let mut cands: Vec<(usize, f64, Vec<String>)> = (0..reports.len())
                .filter(|&j| j != i)
                .filter_map(|j| {
                    let mut shared: Vec<String> = a
                        .meta
                        .tactics
                        .iter()
                        .filter(|t| reports[j].meta.tactics.contains(t))
                        .cloned()
                        .collect();
                    if shared.is_empty() {
                        return None;
                    }
                    let score = a
                        .meta
                        .tactics
                        .iter()
                        .filter(|t| reports[j].meta.tactics.contains(t))
                        .map(idf)
                        .sum();
                    shared.sort_by(|x, y| idf(y).total_cmp(&idf(x)).then(x.cmp(y)));
                    Some((j, score, shared))
                })
                .collect();
            let key = |j: usize| {
                let b = &reports[j].meta;
                (
                    a.meta.county.is_some() && a.meta.county == b.county,
                    a.meta.city == b.city,
                )
            };
            cands.sort_by(|x, y| {
                y.1.total_cmp(&x.1)
                    .then(key(y.0).cmp(&key(x.0)))
                    .then(reports[x.0].slug.cmp(&reports[y.0].slug))
            });
            cands.truncate(MAX_RELATED);
            cands
        })
        .collect()
}

/// A deterministic mix of tactic sets, shared sets, cities and counties (one county name in
/// two cities, reports without a county), with slugs out of index order.
fn sample(count: usize) -> Vec<Report> {
    let tactics = ["甲", "乙", "丙", "丁", "戊", "己", "庚"];
    let mut seed: u64 = 7;
    let mut next = move |m: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % m
    };
    (0..count)
        .map(|k| {
            let city = next(3);
            let county = match next(4) {
                0 => None,
                1 => Some("新区".to_string()),
                c => Some(format!("县{city}{c}")),
            };
            // Every tenth report copies the set of the one before it, as scaled copies do.
            let mut set: Vec<String> = Vec::new();
            for _ in 0..=next(4) {
                let t = tactics[next(tactics.len() as u64) as usize].to_string();
                if !set.contains(&t) {
                    set.push(t);
                }
            }
            Report {
                slug: format!("r{:03}", (k * 37) % count),
                meta: std::sync::Arc::new(ReportMeta {
                    city: format!("市{city}"),
                    county,
                    tactics: set,
                    ..Default::default()
                }),
                ..Default::default()
            }
        })
        .collect()
}

#[test]
fn buckets_rank_as_the_pairwise_definition() {
    let mut reports = sample(240);
    // Copies of one tactic set, so that whole buckets tie.
    for k in (10..240).step_by(10) {
        std::sync::Arc::make_mut(&mut reports[k].meta).tactics =
            reports[k - 1].meta.tactics.clone();
    }
    let expected = brute_force(&reports);
    assign(&mut reports);
    for (i, r) in reports.iter().enumerate() {
        let got: Vec<(usize, f64, Vec<String>)> = r
            .related
            .iter()
            .map(|x| {
                (
                    x.index,
                    x.score,
                    x.shared.iter().map(|n| n.to_string()).collect(),
                )
            })
            .collect();
        assert_eq!(got, expected[i], "report {i}");
    }
    assert!(reports.iter().all(|r| r.related.len() == MAX_RELATED));
}

/// Buckets far larger than a list, as at 1000x the digest: each report is ranked from the
/// lists of its place in each bucket, and must still agree with the definition, in every class
/// of place (same county and city, a county name shared by two cities, same city, elsewhere).
#[test]
fn large_buckets_rank_as_the_pairwise_definition() {
    let mut reports = sample(420);
    let sets: [&[&str]; 3] = [&["甲", "乙"], &["甲"], &["丙", "丁", "甲"]];
    for (k, r) in reports.iter_mut().enumerate() {
        let set = sets[(k * 7 / 5) % sets.len()];
        let meta = std::sync::Arc::make_mut(&mut r.meta);
        meta.tactics = set.iter().map(|t| t.to_string()).collect();
        // A county of its own leaves the first class empty and the later ones to fill the list.
        match k % 6 {
            0 => meta.county = Some(format!("独{k}")),
            1 => meta.county = Some("新区".into()),
            // A few reports share a county: the first class holds fewer than a list.
            2 => meta.county = Some(format!("双{}", k / 36)),
            _ => {}
        }
    }
    let expected = brute_force(&reports);
    assign(&mut reports);
    for (i, r) in reports.iter().enumerate() {
        let got: Vec<usize> = r.related.iter().map(|x| x.index).collect();
        let want: Vec<usize> = expected[i].iter().map(|x| x.0).collect();
        assert_eq!(got, want, "report {i}");
    }
}

#[test]
fn a_tactic_every_report_uses_still_relates() {
    let mut reports = sample(6);
    for r in &mut reports {
        std::sync::Arc::make_mut(&mut r.meta).tactics = vec!["甲".into()];
    }
    assign(&mut reports);
    assert!(reports.iter().all(|r| r.related.len() == 5));
    assert_eq!(
        reports[0].related[0].shared,
        vec![std::sync::Arc::from("甲")]
    );
}

/// serve's memo: lists are reused while the inputs are the same, and ranked again (equal to a
/// fresh ranking) when one report's tactics or county change.
#[test]
fn remembered_lists_follow_a_changed_tactic_or_county() {
    let lists = |reports: &[Report]| -> Vec<Vec<(usize, f64)>> {
        reports
            .iter()
            .map(|r| r.related.iter().map(|x| (x.index, x.score)).collect())
            .collect()
    };
    let mut memo: Memo = None;
    let mut reports = sample(40);
    assign_cached(&mut reports, &mut memo);
    let first = reports[0].related.clone();
    assign_cached(&mut reports, &mut memo);
    assert!(Arc::ptr_eq(&first, &reports[0].related), "reused");
    for change in 0..2 {
        if change == 0 {
            let other = reports[5].meta.tactics[0].clone();
            std::sync::Arc::make_mut(&mut reports[3].meta).tactics = vec!["只此一家".into(), other];
        } else {
            std::sync::Arc::make_mut(&mut reports[7].meta).county = Some("新县".into());
        }
        assign_cached(&mut reports, &mut memo);
        let mut fresh = reports.clone();
        assign(&mut fresh);
        assert_eq!(lists(&reports), lists(&fresh), "change {change}");
    }
}
