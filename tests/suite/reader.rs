//! Issue 6, the reader's features: the print edition, the metric charts, the tactics map and
//! related reports, asserted on the generated files of small fixture sites.
//!
//! Expected values are computed here from the fixtures' own front matter (a deliberately small
//! parser for the fixtures' one-line YAML), not read back from casebook, so a wrong aggregate,
//! count or order in the build fails these tests.

use std::collections::BTreeMap;
use std::fs;

use regex::Regex;

use crate::harness::unescape;
use crate::harness::{repo, Site};

/// A report of a fixture, as its front matter says.
#[derive(Debug, Clone)]
struct Fx {
    slug: String,
    title: String,
    town: String,
    city: String,
    section: String,
    weight: i64,
    /// Tactic names as written (aliases not yet resolved).
    tactics: Vec<String>,
    /// Metric values given (nulls left out).
    metrics: BTreeMap<String, f64>,
}

/// The fixture's configuration parts the tests need.
#[derive(Debug)]
struct Config {
    sections: Vec<(String, bool)>,
    cities: Vec<String>,
    /// (key, label, unit, aggregate) in registry order.
    metrics: Vec<(String, String, String, String)>,
    /// (name, aliases) in vocabulary order.
    tactics: Vec<(String, Vec<String>)>,
}

impl Config {
    fn canonical(&self, t: &str) -> String {
        self.tactics
            .iter()
            .find(|(name, aliases)| name == t || aliases.iter().any(|a| a == t))
            .map(|(name, _)| name.clone())
            .unwrap_or_else(|| t.to_string())
    }

    fn city_rank(&self, city: &str) -> usize {
        self.cities.iter().position(|c| c == city).unwrap()
    }
}

fn list(s: &str) -> Vec<String> {
    s.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split(',')
        .map(|x| x.trim().trim_matches('"').to_string())
        .filter(|x| !x.is_empty())
        .collect()
}

fn read_config(fixture: &str) -> Config {
    let text = fs::read_to_string(
        repo()
            .join("tests/fixtures")
            .join(fixture)
            .join("site.yaml"),
    )
    .unwrap();
    let mut part = "";
    let mut config = Config {
        sections: Vec::new(),
        cities: Vec::new(),
        metrics: Vec::new(),
        tactics: Vec::new(),
    };
    let field = |line: &str, key: &str| -> Option<String> {
        let re = Regex::new(&format!(r#"{key}:\s*("[^"]*"|[^,}}]+)"#)).unwrap();
        re.captures(line)
            .map(|c| c[1].trim().trim_matches('"').to_string())
    };
    let aliases_re = Regex::new(r"aliases:\s*(\[[^\]]*\])").unwrap();
    for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
        if let Some(rest) = line.strip_prefix("cities:") {
            config.cities = list(rest);
        } else if !line.starts_with(' ') && line.ends_with(':') {
            part = line.trim_end_matches(':');
        } else if part == "sections" && line.trim_start().starts_with('-') {
            let name = field(line, "name").unwrap();
            config.sections.push((name, line.contains("by_city: true")));
        } else if part == "metrics" && line.starts_with("  ") {
            let key = line.trim().split(':').next().unwrap().to_string();
            config.metrics.push((
                key,
                field(line, "label").unwrap(),
                field(line, "unit").unwrap_or_default(),
                field(line, "aggregate").unwrap(),
            ));
        } else if part == "tactics" && line.starts_with("  ") {
            let name = line.trim().split(':').next().unwrap().to_string();
            let aliases = aliases_re
                .captures(line)
                .map(|c| list(&c[1]))
                .unwrap_or_default();
            config.tactics.push((name, aliases));
        }
    }
    config
}

fn read_reports(fixture: &str) -> Vec<Fx> {
    let dir = repo()
        .join("tests/fixtures")
        .join(fixture)
        .join("content/reports");
    let mut out = Vec::new();
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = fs::read_to_string(&path).unwrap();
        let front = text.split("---").nth(1).unwrap();
        let get = |k: &str| {
            front
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{k}:")))
                .map(|v| v.trim().to_string())
        };
        let metrics = get("metrics")
            .map(|m| {
                m.trim_matches(|c| c == '{' || c == '}')
                    .split(',')
                    .filter_map(|kv| {
                        let (k, v) = kv.split_once(':')?;
                        Some((k.trim().to_string(), v.trim().parse::<f64>().ok()?))
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.push(Fx {
            slug: path.file_stem().unwrap().to_string_lossy().into_owned(),
            title: get("title").unwrap(),
            town: get("town").unwrap(),
            city: get("city").unwrap(),
            section: get("section").unwrap_or_default(),
            weight: get("weight").map(|w| w.parse().unwrap()).unwrap_or(0),
            tactics: get("tactics").map(|t| list(&t)).unwrap_or_default(),
            metrics,
        });
    }
    out
}

/// The printed order: sections as configured; within a section by weight (then city), or, in a
/// section laid out by city, by city (then weight); then title and slug.
fn contents_order(config: &Config, reports: &[Fx]) -> Vec<String> {
    let mut rs: Vec<&Fx> = reports.iter().collect();
    rs.sort_by_key(|r| {
        let (si, by_city) = config
            .sections
            .iter()
            .enumerate()
            .find(|(_, (name, _))| *name == r.section)
            .map(|(i, (_, b))| (i, *b))
            .unwrap();
        let city = config.city_rank(&r.city) as i64;
        let (a, b) = if by_city {
            (city, r.weight)
        } else {
            (r.weight, city)
        };
        (si, a, b, r.title.clone(), r.slug.clone())
    });
    rs.into_iter().map(|r| r.slug.clone()).collect()
}

/// A number as the site prints it: whole numbers bare, others with up to two decimals.
fn shown(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{}", v as i64)
    } else {
        format!("{v:.2}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    }
}

fn aggregate(how: &str, values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    Some(match how {
        "sum" => values.iter().sum(),
        "mean" => values.iter().sum::<f64>() / values.len() as f64,
        "max" => values.iter().copied().fold(f64::MIN, f64::max),
        other => panic!("unknown aggregate {other}"),
    })
}

/// One drawn bar: label, value (data attribute), width in SVG units, the printed value.
#[derive(Debug)]
struct DrawnBar {
    label: String,
    value: f64,
    width: f64,
    shown: String,
}

/// The bars of chart `chart-<key>` on a page, and its whole `<figure>` markup.
fn chart(html: &str, key: &str) -> Option<(Vec<DrawnBar>, String)> {
    let start = html.find(&format!(r#"<figure class="chart" id="chart-{key}">"#))?;
    let end = start + html[start..].find("</figure>").unwrap();
    let fig = &html[start..end];
    let bar = Regex::new(
        r#"(?s)<g class="bar"[^>]*data-label="([^"]*)" data-value="([^"]*)">.*?<rect[^>]*width="([^"]*)".*?<text class="bar-value"[^>]*>([^<]*)</text>"#,
    )
    .unwrap();
    let bars = bar
        .captures_iter(fig)
        .map(|c| DrawnBar {
            label: unescape(&c[1]),
            value: c[2].parse().unwrap(),
            width: c[3].parse().unwrap(),
            shown: c[4].trim().to_string(),
        })
        .collect();
    Some((bars, fig.to_string()))
}

/// Asserts a chart draws exactly `expected` (label, value) rows, bars proportional to values,
/// with a title, a text alternative and the data table.
fn assert_chart(page: &str, html: &str, key: &str, label: &str, expected: &[(String, f64)]) {
    let Some((bars, fig)) = chart(html, key) else {
        assert!(
            expected.is_empty(),
            "{page}: no chart for {key}, expected {expected:?}"
        );
        return;
    };
    assert!(
        !expected.is_empty(),
        "{page}: chart for {key} though no report gives it"
    );
    let got: Vec<(String, String)> = bars
        .iter()
        .map(|b| (b.label.clone(), b.shown.clone()))
        .collect();
    let want: Vec<(String, String)> = expected
        .iter()
        .map(|(l, v)| (l.clone(), shown(*v)))
        .collect();
    assert_eq!(got, want, "{page}: bars of {key}");
    let max = expected.iter().map(|e| e.1).fold(0.0, f64::max);
    let widest = bars.iter().map(|b| b.width).fold(0.0, f64::max);
    assert!(widest > 0.0, "{page}: {key} draws no bar");
    for (b, (_, v)) in bars.iter().zip(expected) {
        assert!(
            (b.value - v).abs() < 1e-9,
            "{page}: {key} {} data-value {} != {v}",
            b.label,
            b.value
        );
        let ratio = b.width / widest;
        assert!(
            (ratio - v / max).abs() < 0.002,
            "{page}: {key} bar {} is {ratio:.3} of the widest, value says {:.3}",
            b.label,
            v / max
        );
    }
    assert!(
        fig.contains("<title id=") && fig.contains(label),
        "{page}: {key} chart has no title"
    );
    let desc = Regex::new(r"(?s)<desc[^>]*>(.*?)</desc>")
        .unwrap()
        .captures(&fig)
        .unwrap()[1]
        .to_string();
    for (l, v) in expected {
        assert!(
            desc.contains(&format!("{l} {}", shown(*v))),
            "{page}: {key} desc lacks {l}: {desc}"
        );
    }
    // An aggregate's table has a third column, its coverage (checked by the metrics test).
    let rows =
        Regex::new(r#"<tr><th scope="row">([^<]*)</th><td>([^<]*)</td>(?:<td>[^<]*</td>)?</tr>"#)
            .unwrap();
    let table: Vec<(String, String)> = rows
        .captures_iter(&fig)
        .map(|c| (unescape(&c[1]), c[2].to_string()))
        .collect();
    assert_eq!(table, want, "{page}: {key} data table");
}

/// A row of the drawn tactics map: the city and, per tactic, the count and the cell's link.
type MapRow = (String, Vec<(usize, Option<String>)>);

fn digest() -> (Site, Config, Vec<Fx>) {
    let site = Site::fixture("reader/digest");
    site.build_ok();
    (
        site,
        read_config("reader/digest"),
        read_reports("reader/digest"),
    )
}

#[test]
fn print_edition_has_every_report_in_contents_order() {
    let (site, config, reports) = digest();
    let order = contents_order(&config, &reports);
    // The fixture is built so that this order differs from file, title and slug order.
    assert_eq!(
        order,
        [
            "special",
            "key-b",
            "key-a",
            "s-jia-early",
            "s-jia-late",
            "s-yi",
            "s-bing"
        ]
    );

    let print = unescape(&site.out("print/index.html"));
    assert!(
        print.contains(r#"<link rel="stylesheet" href="../print.css">"#),
        "print page does not link the print stylesheet"
    );
    let css = site.out("print.css");
    assert!(
        css.contains("@page") && css.contains("size: A4"),
        "print.css sets no A4 page"
    );
    assert!(
        css.contains("break-before: page"),
        "print.css starts no report on a new page"
    );

    let articles: Vec<String> =
        Regex::new(r#"<article class="print-report" id="report-([a-z0-9-]+)""#)
            .unwrap()
            .captures_iter(&print)
            .map(|c| c[1].to_string())
            .collect();
    assert_eq!(articles, order, "print edition order");

    // The table of contents comes first and lists the same reports in the same order.
    let toc_at = print
        .find(r#"class="print-toc""#)
        .expect("no table of contents");
    let first_report = print.find(r#"<article class="print-report""#).unwrap();
    assert!(toc_at < first_report);
    let toc = &print[toc_at..first_report];
    let toc_links: Vec<String> = Regex::new(r##"href="#report-([a-z0-9-]+)""##)
        .unwrap()
        .captures_iter(toc)
        .map(|c| c[1].to_string())
        .collect();
    assert_eq!(toc_links, order, "print table of contents");

    // The same order as the contents page.
    let contents = unescape(&site.out("contents/index.html"));
    let listed: Vec<String> = Regex::new(r#"href="\.\./reports/([a-z0-9-]+)/index\.html""#)
        .unwrap()
        .captures_iter(&contents)
        .map(|c| c[1].to_string())
        .collect();
    assert_eq!(listed, order, "contents page order");

    // Front matter pages before the reports, back matter after; every body inline.
    let front = print
        .find(r#"id="page-foreword""#)
        .expect("front page missing");
    let back = print
        .find(r#"id="page-afterword""#)
        .expect("back page missing");
    let last_report = print.rfind(r#"<article class="print-report""#).unwrap();
    assert!(front < first_report && last_report < back);
    for r in &reports {
        assert!(
            print.contains(&format!("{}的正文", r.town)),
            "{} body missing",
            r.slug
        );
    }
    // A link to another report points inside the document.
    assert!(
        print.contains(r##"href="#report-key-a""##),
        "cross-report link not made in-document"
    );
    assert!(
        !print.contains("../reports/key-a/"),
        "print edition links out to a report page"
    );

    // Reached from the home and contents pages.
    for page in ["index.html", "contents/index.html"] {
        let html = unescape(&site.out(page));
        assert!(
            html.contains("print/index.html"),
            "{page} does not link the print edition"
        );
        assert!(
            html.contains("打印版"),
            "{page} does not name the print edition"
        );
    }
}

#[test]
fn print_running_heads_survive_a_hostile_title() {
    let site = Site::new();
    site.write(
        "site.yaml",
        "title: 'A\"B</style><script>alert(1)</script>'\nsections: [{ name: 速写, by_city: true }]\n",
    );
    site.write(
        "content/reports/a.md",
        "---\ntitle: 甲镇：标题\ntown: 甲镇\ncity: 甲市\nsection: 速写\ntactics: [志愿服务]\n---\n\n正文。\n",
    );
    site.build_ok();
    let print = site.out("print/index.html");
    let head = &print[..print.find("</head>").unwrap()];
    assert!(
        !head.contains("<script>alert"),
        "title escaped the running-head style: {head}"
    );
    let style = Regex::new(r"(?s)<style>(.*?)</style>")
        .unwrap()
        .captures(head)
        .unwrap()[1]
        .to_string();
    assert!(
        style.contains("@page s1c1"),
        "no running head for the city: {style}"
    );
    // Every CSS string in the block is closed on its line.
    for line in style.lines().filter(|l| l.contains("content:")) {
        assert_eq!(line.matches('"').count(), 2, "broken CSS string: {line}");
    }
}

#[test]
fn metric_charts_draw_the_aggregates_per_city() {
    let (site, config, reports) = digest();
    let html = site.out("metrics/index.html");
    for (key, label, _, how) in &config.metrics {
        let expected: Vec<(String, f64)> = config
            .cities
            .iter()
            .filter_map(|city| {
                let values: Vec<f64> = reports
                    .iter()
                    .filter(|r| &r.city == city)
                    .filter_map(|r| r.metrics.get(key).copied())
                    .collect();
                Some((city.clone(), aggregate(how, &values)?))
            })
            .collect();
        assert_chart("metrics", &html, key, label, &expected);
    }
    // The fixture covers all three aggregates, a mean over decimals, a null that a mean must
    // skip, and a city without any value (丙市 has no `peak`).
    let (peak, _) = chart(&html, "peak").unwrap();
    assert_eq!(
        peak.iter().map(|b| b.label.as_str()).collect::<Vec<_>>(),
        ["甲市", "乙市"]
    );
    let (rate, _) = chart(&html, "rate").unwrap();
    assert_eq!(rate[0].shown, "92.75");
}

#[test]
fn city_charts_draw_each_report_of_the_city() {
    let (site, config, reports) = digest();
    let order = contents_order(&config, &reports);
    let map = unescape(&site.out("tactics/map/index.html"));
    for city in &config.cities {
        let slug = Regex::new(&format!(
            r#"href="\.\./\.\./cities/([a-z0-9-]+)/index\.html">{city}<"#
        ))
        .unwrap()
        .captures(&map)
        .unwrap_or_else(|| panic!("no link to {city}"))[1]
            .to_string();
        let page = format!("cities/{slug}/index.html");
        let html = site.out(&page);
        for (key, label, _, _) in &config.metrics {
            let expected: Vec<(String, f64)> = order
                .iter()
                .map(|s| reports.iter().find(|r| &r.slug == s).unwrap())
                .filter(|r| &r.city == city)
                .filter_map(|r| Some((r.town.clone(), *r.metrics.get(key)?)))
                .collect();
            assert_chart(&page, &html, key, label, &expected);
        }
    }
}

#[test]
fn tactics_map_counts_match_the_front_matter() {
    let (site, config, reports) = digest();
    // Tactics as the site resolves them: aliases to names, each once per report.
    let resolved: Vec<(&Fx, Vec<String>)> = reports
        .iter()
        .map(|r| {
            let mut ts: Vec<String> = Vec::new();
            for t in &r.tactics {
                let c = config.canonical(t);
                if !ts.contains(&c) {
                    ts.push(c);
                }
            }
            (r, ts)
        })
        .collect();
    let total = |t: &str| {
        resolved
            .iter()
            .filter(|(_, ts)| ts.iter().any(|x| x == t))
            .count()
    };
    // Columns: most used first, ties in vocabulary order.
    let mut columns: Vec<String> = config.tactics.iter().map(|(n, _)| n.clone()).collect();
    columns.retain(|t| total(t) > 0);
    columns.sort_by_key(|t| std::cmp::Reverse(total(t)));

    let html = unescape(&site.out("tactics/map/index.html"));
    let head = &html[html.find("<thead>").unwrap()..html.find("</thead>").unwrap()];
    let drawn_columns: Vec<String> =
        Regex::new(r#"<th scope="col"><a href="[^"]*">([^<]*)</a></th>"#)
            .unwrap()
            .captures_iter(head)
            .map(|c| c[1].to_string())
            .collect();
    assert_eq!(drawn_columns, columns, "map columns");

    let body = &html[html.find("<tbody>").unwrap()..html.find("</tbody>").unwrap()];
    let row_re =
        Regex::new(r#"(?s)<tr><th scope="row"><a href="[^"]*">([^<]*)</a>(.*?)</tr>"#).unwrap();
    let cell_re = Regex::new(r#"<td[^>]*data-count="(\d+)">(?:<a href="([^"]*)")?"#).unwrap();
    let rows: Vec<MapRow> = row_re
        .captures_iter(body)
        .map(|c| {
            let cells = cell_re
                .captures_iter(&c[2])
                .map(|cc| {
                    (
                        cc[1].parse().unwrap(),
                        cc.get(2).map(|m| m.as_str().to_string()),
                    )
                })
                .collect();
            (c[1].to_string(), cells)
        })
        .collect();
    assert_eq!(
        rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>(),
        config.cities,
        "map rows"
    );
    let title_re = Regex::new(r#"class="report-title" href="[^"]*/reports/([a-z0-9-]+)/"#).unwrap();
    let mut nonzero = 0;
    for (city, cells) in &rows {
        assert_eq!(cells.len(), columns.len(), "{city}: one cell per tactic");
        for ((count, link), tactic) in cells.iter().zip(&columns) {
            let behind: Vec<&Fx> = resolved
                .iter()
                .filter(|(r, ts)| &r.city == city && ts.contains(tactic))
                .map(|(r, _)| *r)
                .collect();
            assert_eq!(*count, behind.len(), "{city} × {tactic}");
            match (behind.as_slice(), link) {
                ([], None) => {}
                ([only], Some(href)) => {
                    assert_eq!(
                        href,
                        &format!("../../reports/{}/index.html", only.slug),
                        "{city} × {tactic}"
                    )
                }
                (several, Some(href)) => {
                    nonzero += 1;
                    // The tactic page, at this city's list, which holds exactly these reports.
                    let (path, anchor) = href.split_once('#').expect("anchor");
                    let page = unescape(&site.out(path.trim_start_matches("../../")));
                    let at = page
                        .find(&format!(r#"id="{anchor}""#))
                        .expect("anchor target");
                    let section = &page[at..at + page[at..].find("</section>").unwrap()];
                    let mut listed: Vec<String> = title_re
                        .captures_iter(section)
                        .map(|c| c[1].to_string())
                        .collect();
                    let mut want: Vec<String> = several.iter().map(|r| r.slug.clone()).collect();
                    listed.sort();
                    want.sort();
                    assert_eq!(listed, want, "{city} × {tactic}: reports behind the cell");
                }
                (b, l) => panic!("{city} × {tactic}: {} reports but link {l:?}", b.len()),
            }
        }
    }
    assert!(
        nonzero >= 3,
        "the fixture should have cells with several reports"
    );

    // The totals row.
    let foot = &html[html.find("<tfoot>").unwrap()..html.find("</tfoot>").unwrap()];
    let totals: Vec<usize> = Regex::new(r"<td>(\d+)</td>")
        .unwrap()
        .captures_iter(foot)
        .map(|c| c[1].parse().unwrap())
        .collect();
    assert_eq!(totals, columns.iter().map(|t| total(t)).collect::<Vec<_>>());
}

/// (slug, `同用：...`) of the related list on a report page.
fn related(site: &Site, slug: &str) -> Vec<(String, String)> {
    let html = unescape(&site.out(&format!("reports/{slug}/index.html")));
    let Some(at) = html.find(r#"<section class="related""#) else {
        return Vec::new();
    };
    let section = &html[at..at + html[at..].find("</section>").unwrap()];
    Regex::new(r#"(?s)class="report-title" href="\.\./\.\./reports/([a-z0-9-]+)/index\.html".*?<span class="why">([^<]*)</span>"#)
        .unwrap()
        .captures_iter(section)
        .map(|c| (c[1].to_string(), c[2].to_string()))
        .collect()
}

#[test]
fn related_reports_weigh_rare_tactics_then_county_then_city() {
    let site = Site::fixture("reader/related");
    site.build_ok();
    // 8 reports: 普遍做法 in all (weight ln 8/8 = 0), 中等做法 in 4 (ln 2), 稀有做法 in 2 (ln 4).
    // `me` shares the rare tactic with rare-mate only, which outranks three reports that share
    // two tactics (中等 + 普遍); among those, same county (mid-a) before same city (mid-b) before
    // neither (mid-c); the fifth place goes to the same-city report among those sharing only the
    // tactic everyone uses (z-other), although its slug sorts last.
    assert_eq!(
        related(&site, "me"),
        [
            (
                "rare-mate".to_string(),
                "同用：稀有做法、普遍做法".to_string()
            ),
            ("mid-a".into(), "同用：中等做法、普遍做法".into()),
            ("mid-b".into(), "同用：中等做法、普遍做法".into()),
            ("mid-c".into(), "同用：中等做法、普遍做法".into()),
            ("z-other".into(), "同用：普遍做法".into()),
        ]
    );
    // rare-mate has no county: after `me`, ties go to its city (乙市: d-other, mid-c, by slug),
    // then to slug order among the rest (c-other, mid-a).
    let slugs = |list: Vec<(String, String)>| list.into_iter().map(|x| x.0).collect::<Vec<_>>();
    assert_eq!(
        slugs(related(&site, "rare-mate")),
        ["me", "d-other", "mid-c", "c-other", "mid-a"]
    );
    // mid-a: `me` (same county) before mid-b (same city) before mid-c at equal score.
    assert_eq!(
        slugs(related(&site, "mid-a")),
        ["me", "mid-b", "mid-c", "z-other", "c-other"]
    );
    // Never itself, never twice, at most five, on every page.
    for entry in fs::read_dir(site.root().join("content/reports")).unwrap() {
        let slug = entry
            .unwrap()
            .path()
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let list = slugs(related(&site, &slug));
        assert!(!list.contains(&slug), "{slug} is related to itself");
        assert_eq!(
            list.len(),
            5,
            "{slug}: every report shares 普遍做法 with the 7 others"
        );
        let mut dedup = list.clone();
        dedup.sort();
        dedup.dedup();
        assert_eq!(dedup.len(), list.len(), "{slug}: a report listed twice");
    }
}

#[test]
fn related_reports_are_deterministic() {
    let a = Site::fixture("reader/related");
    a.build_ok();
    let b = Site::fixture("reader/related");
    b.build_ok();
    for slug in [
        "me",
        "rare-mate",
        "mid-a",
        "mid-b",
        "mid-c",
        "c-other",
        "d-other",
        "z-other",
    ] {
        assert_eq!(related(&a, slug), related(&b, slug), "{slug}");
    }
}

/// The `<table>` of the metrics page that follows heading `id`.
fn table_after<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!(r#"id="{id}""#))
        .unwrap_or_else(|| panic!("no #{id}"));
    let t = start + html[start..].find("<table").unwrap();
    &html[t..t + html[t..].find("</table>").unwrap()]
}

/// Issue 15: every city aggregate says how many of the city's reports it covers, a figure not
/// reported is marked apart from 0, and the charts say the coverage too. Counts come from the
/// fixture's front matter, not from casebook.
#[test]
fn metrics_say_how_many_reports_each_aggregate_covers() {
    let (site, config, reports) = digest();
    let html = site.out("metrics/index.html");
    let keys: Vec<&str> = config.metrics.iter().map(|m| m.0.as_str()).collect();

    // By city: one row per city, one cell per metric with (value, reported, of).
    let by_city = table_after(&html, "by-city-h");
    let row_re = Regex::new(
        r#"(?s)<tr><th scope="row" class="text"><a [^>]*>([^<]+)</a>.*?</th>(.*?)</tr>"#,
    )
    .unwrap();
    let cell_re = Regex::new(r#"<td( class="na")? data-value="([^"]*)" data-reported="(\d+)" data-of="(\d+)"[^>]*>([^<]*)"#).unwrap();
    let rows: Vec<_> = row_re.captures_iter(by_city).collect();
    let cities: Vec<&String> = config
        .cities
        .iter()
        .filter(|c| reports.iter().any(|r| &r.city == *c))
        .collect();
    assert_eq!(rows.len(), cities.len());
    for (row, city) in rows.iter().zip(&cities) {
        assert_eq!(&row[1], city.as_str());
        let of = reports.iter().filter(|r| &r.city == *city).count();
        let cells: Vec<_> = cell_re.captures_iter(&row[2]).collect();
        assert_eq!(cells.len(), keys.len(), "{city}: {}", &row[2]);
        for ((key, _, _, how), c) in config.metrics.iter().zip(&cells) {
            let values: Vec<f64> = reports
                .iter()
                .filter(|r| &r.city == *city)
                .filter_map(|r| r.metrics.get(key).copied())
                .collect();
            assert_eq!(
                c[3].parse::<usize>().unwrap(),
                values.len(),
                "{city} {key} reported"
            );
            assert_eq!(c[4].parse::<usize>().unwrap(), of, "{city} {key} of");
            match aggregate(how, &values) {
                Some(v) => {
                    assert!(c.get(1).is_none(), "{city} {key} marked not reported");
                    assert_eq!(c[5].trim(), shown(v), "{city} {key}");
                    // The coverage shows under the figure and in words for screen readers.
                    let tail = &row[2][c.get(0).unwrap().end()..];
                    let expected = format!("{}/{of}</small>", values.len());
                    assert!(
                        tail.starts_with(&format!(
                            r#"<small class="cov" aria-hidden="true">{expected}"#
                        )),
                        "{city} {key}: {tail}"
                    );
                }
                None => {
                    assert!(c.get(1).is_some(), "{city} {key}: no value, not marked");
                    assert_eq!(&c[5], "—");
                    assert_eq!(&c[3], "0");
                }
            }
        }
    }

    // Every report's row: a figure given is its value (0 included), one not given is the mark.
    let all = table_after(&html, "all-h");
    let report_re = Regex::new(r#"(?s)<tr><th scope="row" class="text"><a href="[^"]*reports/([^/"]+)/[^"]*">.*?</td>(.*?)</tr>"#).unwrap();
    let value_re =
        Regex::new(r#"<td( class="na")? data-value="([^"]*)"[^>]*>([^<]*)</td>"#).unwrap();
    let mut seen = 0;
    for row in report_re.captures_iter(all) {
        let r = reports.iter().find(|r| r.slug == row[1]).unwrap();
        let cells: Vec<_> = value_re.captures_iter(&row[2]).collect();
        assert_eq!(cells.len(), keys.len());
        for (key, c) in keys.iter().zip(&cells) {
            match r.metrics.get(*key) {
                Some(v) => assert_eq!((c.get(1).is_none(), &c[3]), (true, shown(*v).as_str())),
                None => assert_eq!((c.get(1).is_some(), &c[3]), (true, "—"), "{} {key}", r.slug),
            }
        }
        seen += 1;
    }
    assert_eq!(seen, reports.len());
    // Its header gives each column's coverage over the whole site.
    for key in &keys {
        let n = reports
            .iter()
            .filter(|r| r.metrics.contains_key(*key))
            .count();
        let th = Regex::new(&format!(r#"(?s)data-key="{key}"[^>]*>.*?<small class="cov" aria-hidden="true">(\d+)/(\d+)</small>"#)).unwrap();
        let c = th.captures(all).unwrap();
        assert_eq!(
            (
                c[1].parse::<usize>().unwrap(),
                c[2].parse::<usize>().unwrap()
            ),
            (n, reports.len()),
            "{key}"
        );
    }

    // The group row: 组织 over the two grouped metrics, 其他 over the rest.
    let groups: Vec<(String, String)> =
        Regex::new(r#"<th scope="colgroup" colspan="(\d+)">([^<]+)</th>"#)
            .unwrap()
            .captures_iter(by_city)
            .map(|c| (c[2].to_string(), c[1].to_string()))
            .collect();
    assert_eq!(
        groups,
        [("组织".into(), "2".into()), ("其他".into(), "1".into())]
    );

    // Each chart's caption gives the site-wide coverage, each bar its city's.
    for key in &keys {
        let Some((bars, fig)) = chart(&html, key) else {
            continue;
        };
        let n = reports
            .iter()
            .filter(|r| r.metrics.contains_key(*key))
            .count();
        let total = reports.len();
        let words = if n == total && total > 1 {
            format!("{total} 个试点都报告")
        } else {
            format!("{total} 个试点中 {n} 个报告")
        };
        assert!(
            fig.contains(&format!(r#"<small class="coverage">全部 {words}"#)),
            "{key}: {fig}"
        );
        for b in bars {
            let of = reports.iter().filter(|r| r.city == b.label).count();
            let given = reports
                .iter()
                .filter(|r| r.city == b.label && r.metrics.contains_key(*key))
                .count();
            assert!(
                fig.contains(&format!(r#"text-anchor="end">{given}/{of}</text>"#)),
                "{key} {}",
                b.label
            );
        }
    }
}

/// Issue 15: a site whose reports name no section shows no sections at all: no sections index
/// or section page, no 栏目 link, no section label, nothing in the sitemap; its reports are
/// still all in the contents and the print edition. One sectioned report brings them back.
#[test]
fn a_site_without_sections_shows_none() {
    let site = Site::new();
    site.report("a", "甲镇报告", "甲镇", "甲市", &["网格化管理"])
        .report("b", "乙镇报告", "乙镇", "乙市", &["志愿服务"]);
    site.build_ok();
    let files: Vec<String> = walkdir::WalkDir::new(site.root().join("output"))
        .into_iter()
        .map(|e| e.unwrap().path().to_string_lossy().into_owned())
        .collect();
    assert!(
        !files.iter().any(|f| f.contains("/sections/")),
        "section pages: {:?}",
        files
            .iter()
            .filter(|f| f.contains("/sections/"))
            .collect::<Vec<_>>()
    );
    for page in [
        "index.html",
        "reports/a/index.html",
        "contents/index.html",
        "cities/index.html",
        "metrics/index.html",
    ] {
        let html = site.out(page);
        assert!(!html.contains("栏目"), "{page} names sections");
        assert!(
            !html.contains("sections&#x2F;") && !html.contains("sections/"),
            "{page} links a section"
        );
        assert!(!html.contains(">其他<"), "{page} shows a 其他 group");
    }
    assert!(!site.out("sitemap.xml").contains("sections/"));
    let contents = site.out("contents/index.html");
    assert!(contents.contains("甲镇报告") && contents.contains("乙镇报告"));
    assert!(site.out("print/index.html").contains("乙镇报告"));
    let kicker = Regex::new(r#"<p class="kicker">([^\n]*)</p>"#).unwrap();
    assert_eq!(
        &kicker.captures(&site.out("reports/a/index.html")).unwrap()[1],
        ""
    );

    // With one report in a section, the sections (and 其他 for the rest) are back.
    site.write(
        "content/reports/a.md",
        "---\ntitle: 甲镇报告\ntown: 甲镇\ncity: 甲市\nsection: 特写\ntactics: [网格化管理]\n---\n\n正文。\n",
    );
    site.build_ok();
    assert!(site.out_exists("sections/index.html"));
    assert!(site.out("index.html").contains("栏目"));
    assert!(site.out("sections/index.html").contains(">其他<"));
}
