//! Issue 12: past `limits` in site.yaml the contents, the print edition and the metrics split:
//! an overview with one part per section (or city of a section listed by city), each part
//! paginated; print volumes with a cover and contents of their own; a metrics table per city.
//! Tested with small limits on a small site, so that every split happens.

use std::collections::BTreeSet;

use super::util::*;
use crate::harness::Site;

/// Eleven reports in two cities (7 + 4) of one section listed by city, plus two in a section
/// of its own; every one with a metric.
fn large_site(limits: &str) -> Site {
    let site = Site::new();
    site.write(
        "site.yaml",
        &format!(
            "title: 分册\ncities: [杭州市, 宁波市]\nlimits: {limits}\n\
             metrics:\n  members: {{ label: 会员, unit: 人 }}\n\
             sections:\n  - 重点\n  - {{ name: 速写, by_city: true }}\n"
        ),
    );
    let mut n = 0;
    for (city, count, section) in [
        ("杭州市", 7, "速写"),
        ("宁波市", 4, "速写"),
        ("杭州市", 2, "重点"),
    ] {
        for _ in 0..count {
            n += 1;
            site.write(
                &format!("content/reports/r{n:02}.md"),
                &format!(
                    "---\ntitle: 报告{n:02}\ntown: 镇{n:02}\ncounty: 县\ncity: {city}\n\
                     section: {section}\nweight: {n}\ntactics: [志愿服务]\n\
                     metrics:\n  members: {n}\n---\n\n正文{n}。\n"
                ),
            );
        }
    }
    site
}

/// Report pages linked from `html`'s `<main>`, resolved against `path`, in order.
fn reports_linked(path: &str, html: &str) -> Vec<String> {
    links(main_of(html))
        .into_iter()
        .filter(|l| l.contains("reports/"))
        .map(|l| resolve(path, &l))
        .collect()
}

fn resolve(from: &str, href: &str) -> String {
    let href = href.split('#').next().unwrap_or_default();
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for seg in href.split('/') {
        if seg == ".." {
            parts.pop();
        } else {
            parts.push(seg);
        }
    }
    parts.join("/")
}

/// The order of the unsplit contents page: what every split must keep.
fn printed_order() -> Vec<String> {
    let site = large_site("{}");
    site.build_ok();
    reports_linked("contents/index.html", &site.out("contents/index.html"))
}

#[test]
fn contents_splits_into_parts_in_printed_order() {
    let whole = printed_order();
    assert_eq!(whole.len(), 13);
    let site = large_site("{ contents_page: 4 }");
    site.build_ok();
    let overview = site.out("contents/index.html");
    assert!(reports_linked("contents/index.html", &overview).is_empty());
    let parts: Vec<String> = links(main_of(&overview))
        .into_iter()
        .filter(|l| l.starts_with("../contents/") || l.contains("/contents/"))
        .map(|l| resolve("contents/index.html", &l))
        .collect();
    assert_eq!(
        parts,
        [
            "contents/zhong-dian/index.html",
            "contents/su-xie/hang-zhou-shi/index.html",
            "contents/su-xie/ning-bo-shi/index.html",
        ]
    );
    // Following each part's pages in turn gives back the printed order.
    let rel_next = regex::Regex::new(r#"<link rel="next" href="([^"]+)">"#).unwrap();
    let mut order = Vec::new();
    for first in &parts {
        let mut path = first.clone();
        loop {
            let html = site.out(&path);
            order.extend(reports_linked(&path, &html));
            let next = rel_next.captures(&html).map(|c| resolve(&path, &c[1]));
            match next {
                Some(n) => path = n,
                None => break,
            }
        }
    }
    assert_eq!(order, whole);
    assert!(site.out_exists("contents/su-xie/hang-zhou-shi/page/2/index.html"));
    assert!(!site.out_exists("contents/su-xie/hang-zhou-shi/page/3/index.html"));
}

#[test]
fn print_edition_becomes_volumes_with_covers_and_contents() {
    let whole = printed_order();
    let site = large_site("{ print_volume: 3 }");
    site.build_ok();
    let index = site.out("print/index.html");
    let volumes: Vec<String> = links(main_of(&index))
        .into_iter()
        .filter(|l| !l.starts_with('#') && l.contains("print/"))
        .map(|l| resolve("print/index.html", &l))
        .collect();
    assert_eq!(
        volumes,
        [
            "print/zhong-dian/index.html",
            "print/su-xie/hang-zhou-shi/index.html",
            "print/su-xie/hang-zhou-shi/part/2/index.html",
            "print/su-xie/hang-zhou-shi/part/3/index.html",
            "print/su-xie/ning-bo-shi/index.html",
            "print/su-xie/ning-bo-shi/part/2/index.html",
        ]
    );
    let article =
        regex::Regex::new(r#"<article class="print-report" id="report-([^"]+)""#).unwrap();
    let toc = regex::Regex::new(r##"<li><a href="#report-([^"]+)">"##).unwrap();
    let mut printed = Vec::new();
    for v in &volumes {
        let html = site.out(v);
        assert!(
            html.contains(r#"<section class="print-cover""#),
            "{v}: no cover"
        );
        let articles: Vec<String> = article
            .captures_iter(&html)
            .map(|c| c[1].to_string())
            .collect();
        let listed: Vec<String> = toc.captures_iter(&html).map(|c| c[1].to_string()).collect();
        assert!(
            articles.len() <= 3 && !articles.is_empty(),
            "{v}: {articles:?}"
        );
        assert_eq!(listed, articles, "{v}: its contents lists its articles");
        printed.extend(
            articles
                .into_iter()
                .map(|s| format!("reports/{s}/index.html")),
        );
    }
    assert_eq!(
        printed, whole,
        "every report printed once, in printed order"
    );
    let unique: BTreeSet<&String> = printed.iter().collect();
    assert_eq!(unique.len(), 13);
}

#[test]
fn metrics_become_an_overview_and_a_table_per_city() {
    let site = large_site("{ metrics_table: 5 }");
    site.build_ok();
    let overview = site.out("metrics/index.html");
    assert!(
        !overview.contains("id=\"metrics-table\""),
        "no row of every report"
    );
    let row = regex::Regex::new(r#"<tr><th scope="row" class="text"><a href="([^"]+)""#).unwrap();
    let mut rows = BTreeSet::new();
    for (path, pages) in [("metrics/hang-zhou-shi/", 2), ("metrics/ning-bo-shi/", 1)] {
        for n in 1..=pages {
            let page = if n == 1 {
                format!("{path}index.html")
            } else {
                format!("{path}page/{n}/index.html")
            };
            assert!(overview.contains(&format!("{path}index.html")) || n > 1);
            let html = site.out(&page);
            for c in row.captures_iter(&html) {
                assert!(rows.insert(resolve(&page, &c[1])), "{page}: a row twice");
            }
        }
        assert!(!site.out_exists(&format!("{path}page/{}/index.html", pages + 1)));
    }
    assert_eq!(
        rows.len(),
        13,
        "every report has its row in its city's table"
    );
    assert_links_resolve(&site.root().join("output"));
}
