//! Issue 12: listings split into pages of `paginate_by` entries, with stable URLs, previous and
//! next and numbered links, `rel=prev/next`, groups that continue across pages, and every report
//! reachable from its listings.

use std::collections::{BTreeMap, BTreeSet};

use super::util::*;
use crate::harness::Site;

/// Eleven reports: seven in 杭州市 over three counties, four in 宁波市; every one uses 志愿服务,
/// so that tactic lists all eleven by city.
fn paginated_site(per_page: usize) -> Site {
    let site = Site::new();
    site.write(
        "site.yaml",
        &format!(
            "title: 分页\npaginate_by: {per_page}\ncities: [杭州市, 宁波市]\n\
             sections:\n  - {{ name: 速写, by_city: true }}\n"
        ),
    );
    let towns = [("杭州市", "西湖区", 7), ("宁波市", "余姚市", 4)];
    let mut n = 0;
    for (city, first_county, count) in towns {
        for k in 0..count {
            n += 1;
            let county = if k < 2 {
                first_county.to_string()
            } else {
                format!("县{k}")
            };
            site.write(
                &format!("content/reports/r{n:02}.md"),
                &format!(
                    "---\ntitle: 报告{n:02}\ntown: 镇{n:02}\ncounty: {county}\ncity: {city}\n\
                     section: 速写\nweight: {n}\ntactics: [志愿服务]\n---\n\n正文{n}。\n"
                ),
            );
        }
    }
    site
}

/// The pages of a listing, following `rel="next"` from its first page: (path, html).
fn listing_pages(site: &Site, first: &str) -> Vec<(String, String)> {
    let rel_next = regex::Regex::new(r#"<link rel="next" href="([^"]+)">"#).unwrap();
    let mut pages = Vec::new();
    let mut path = first.to_string();
    loop {
        let html = site.out(&path);
        let next = rel_next.captures(&html).map(|c| resolve_from(&path, &c[1]));
        pages.push((path, html));
        match next {
            Some(n) => path = n,
            None => return pages,
        }
        assert!(pages.len() < 100, "rel=next loops");
    }
}

/// `href` resolved against the page at `from`.
fn resolve_from(from: &str, href: &str) -> String {
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for seg in href.split('/') {
        match seg {
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

/// Report pages a listing page links to, in order (its `<main>`, header and footer left out).
fn listed(html: &str) -> Vec<String> {
    let main = main_of(html);
    let re = regex::Regex::new(r#"class="report-title" href="([^"]+)""#).unwrap();
    re.captures_iter(main).map(|c| c[1].to_string()).collect()
}

#[test]
fn a_long_listing_is_paginated_with_stable_urls_and_links_both_ways() {
    let site = paginated_site(3);
    site.build_ok();
    let pages = listing_pages(&site, "tactics/zhi-yuan-fu-wu/index.html");
    let paths: Vec<&str> = pages.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "tactics/zhi-yuan-fu-wu/index.html",
            "tactics/zhi-yuan-fu-wu/page/2/index.html",
            "tactics/zhi-yuan-fu-wu/page/3/index.html",
            "tactics/zhi-yuan-fu-wu/page/4/index.html",
        ]
    );
    let counts: Vec<usize> = pages.iter().map(|(_, h)| listed(h).len()).collect();
    assert_eq!(counts, [3, 3, 3, 2], "entries per page");
    // Every report exactly once, and every entry's link resolves from its page.
    let mut seen = BTreeSet::new();
    for (path, html) in &pages {
        for href in listed(html) {
            let target = resolve_from(path, &href);
            assert!(site.out_exists(&target), "{path}: {href} -> {target}");
            assert!(seen.insert(target.clone()), "{target} listed twice");
        }
    }
    assert_eq!(seen.len(), 11);
    // rel=prev mirrors rel=next, and numbered links lead to every page.
    let rel_prev = regex::Regex::new(r#"<link rel="prev" href="([^"]+)">"#).unwrap();
    for (i, (path, html)) in pages.iter().enumerate() {
        let prev = rel_prev.captures(html).map(|c| resolve_from(path, &c[1]));
        assert_eq!(
            prev.as_deref(),
            i.checked_sub(1).map(|j| paths[j]),
            "{path}"
        );
        assert!(
            html.contains(&format!("第 {} 页，共 4 页", i + 1)),
            "{path}"
        );
        let numbered: BTreeSet<String> = links(main_of(html))
            .iter()
            .filter(|l| l.contains("zhi-yuan-fu-wu/"))
            .map(|l| resolve_from(path, l))
            .collect();
        for other in paths.iter().filter(|p| **p != path) {
            assert!(numbered.contains(*other), "{path} does not link {other}");
        }
    }
}

#[test]
fn groups_continue_across_pages_and_every_report_is_reachable_from_each_listing() {
    let site = paginated_site(3);
    site.build_ok();
    // The tactic groups by city: 杭州市 (7) runs over pages 1-3, 宁波市 (4) starts on page 3.
    let pages = listing_pages(&site, "tactics/zhi-yuan-fu-wu/index.html");
    let headings: Vec<Vec<String>> = pages
        .iter()
        .map(|(_, h)| {
            regex::Regex::new(r"<h2>([^<]+)(<small class=.continued.>（续）</small>)?")
                .unwrap()
                .captures_iter(main_of(h))
                .map(|c| {
                    format!(
                        "{}{}",
                        c[1].trim(),
                        if c.get(2).is_some() { "+" } else { "" }
                    )
                })
                .collect()
        })
        .collect();
    assert_eq!(
        headings,
        [
            vec!["杭州市"],
            vec!["杭州市+"],
            vec!["杭州市+", "宁波市"],
            vec!["宁波市+"],
        ]
    );
    // The "by city" line on page 1 jumps to 宁波市 where it starts, on page 3.
    let jump = regex::Regex::new(r#"<a href="([^"]+)">宁波市</a>"#)
        .unwrap()
        .captures(&pages[0].1)
        .map(|c| resolve_from(&pages[0].0, &c[1]));
    assert_eq!(
        jump.as_deref(),
        Some("tactics/zhi-yuan-fu-wu/page/3/index.html#city-ning-bo-shi")
    );
    let page3 = &pages[2].1;
    assert!(page3.contains(r#"id="city-ning-bo-shi""#));

    // Every listing (city, tactic, section) reaches every one of its reports.
    let mut reached: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for first in [
        "cities/hang-zhou-shi/index.html",
        "cities/ning-bo-shi/index.html",
        "sections/su-xie/index.html",
        "tactics/zhi-yuan-fu-wu/index.html",
    ] {
        for (path, html) in listing_pages(&site, first) {
            for href in listed(&html) {
                reached
                    .entry(first.to_string())
                    .or_default()
                    .insert(resolve_from(&path, &href));
            }
        }
    }
    let sizes: Vec<usize> = reached.values().map(BTreeSet::len).collect();
    assert_eq!(sizes, [7, 4, 11, 11], "{reached:?}");
}

#[test]
fn a_listing_that_fits_has_no_pagination_and_zero_turns_it_off() {
    for per in [100, 0] {
        let site = paginated_site(per);
        site.build_ok();
        let html = site.out("tactics/zhi-yuan-fu-wu/index.html");
        assert_eq!(listed(&html).len(), 11, "paginate_by {per}");
        assert!(!html.contains("rel=\"next\"") && !html.contains("class=\"pagination\""));
        assert!(!site.out_exists("tactics/zhi-yuan-fu-wu/page/2/index.html"));
    }
}
