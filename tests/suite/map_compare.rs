//! Issue 15 part A: the tile map of the cities (home page and the index of cities) and compare
//! side by side (its page and one data file per report), on small sites written here, so the
//! expected tiles, links and figures come from the test's own front matter.

use std::collections::BTreeMap;

use regex::Regex;
use serde_json::Value;

use crate::harness::{unescape, Site};

/// A report with a county, and `extra` front matter (one tactic unless it gives some).
fn report(site: &Site, slug: &str, town: &str, city: &str, extra: &str) {
    let extra = if extra.contains("tactics:") {
        extra.to_string()
    } else {
        format!("tactics: [职工之家]\n{extra}")
    };
    site.write(
        &format!("content/reports/{slug}.md"),
        &format!(
            "---\ntitle: \"{town}：试点\"\ntown: {town}\ncounty: 某县\ncity: {city}\n{extra}\n---\n\n{town}的正文。\n"
        ),
    );
}

const METRICS: &str = "metrics:\n  members: { label: 工会会员, unit: 人, aggregate: sum }\n  rate: { label: 入会率, unit: \"%\", aggregate: mean }\n";

/// Three cities with tiles; 甲市 has two reports, one without members.
fn site_with_tiles() -> Site {
    let site = Site::new();
    site.write(
        "site.yaml",
        &format!(
            "title: 地图\ncities:\n  - {{ name: 甲市, tile: [0, 1] }}\n  - {{ name: 乙市, tile: [2, 0] }}\n  - name: 丙市\n    tile: [1, 1]\n{METRICS}"
        ),
    );
    report(
        &site,
        "a1",
        "甲一镇",
        "甲市",
        "metrics: { members: 100, rate: 90 }",
    );
    report(&site, "a2", "甲二镇", "甲市", "metrics: { rate: 80 }");
    report(&site, "b1", "乙一镇", "乙市", "metrics: { members: 500 }");
    report(&site, "c1", "丙一镇", "丙市", "metrics: { rate: 70 }");
    site
}

/// Each tile of a page's map: name -> its attributes and the rect's position.
fn tiles(html: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let tile = Regex::new(
        r#"(?s)<a class="tile (b\d)" href="([^"]+)"([^>]*)>.*?<rect x="(\d+)" y="(\d+)""#,
    )
    .unwrap();
    let attr = Regex::new(r#"data-([a-z]+)="([^"]*)""#).unwrap();
    tile.captures_iter(html)
        .map(|c| {
            let mut a: BTreeMap<String, String> = attr
                .captures_iter(&c[3])
                .map(|d| (d[1].to_string(), unescape(&d[2])))
                .collect();
            a.insert("class".into(), c[1].to_string());
            a.insert("href".into(), c[2].to_string());
            a.insert("x".into(), c[4].to_string());
            a.insert("y".into(), c[5].to_string());
            (a["name"].clone(), a)
        })
        .collect()
}

#[test]
fn the_tile_map_places_links_and_colours_every_city_as_configured() {
    let site = site_with_tiles();
    site.build_ok();
    let row =
        Regex::new(r#"<tr><th scope="row"><a href="([^"]+)">([^<]+)</a></th>(.*?)</tr>"#).unwrap();
    for (page, up) in [("index.html", ""), ("cities/index.html", "../")] {
        let html = site.out(page);
        let t = tiles(&html);
        assert_eq!(t.len(), 3, "{page}: {t:?}");
        // Tiles are 72 wide with 6 between: [col, row] -> (78 col, 78 row).
        for (city, (x, y)) in [("甲市", (0, 78)), ("乙市", (156, 0)), ("丙市", (78, 78))] {
            assert_eq!(
                (t[city]["x"].as_str(), t[city]["y"].as_str()),
                (x.to_string().as_str(), y.to_string().as_str()),
                "{page} {city}"
            );
            let href = &t[city]["href"];
            assert!(
                href.starts_with(&format!("{up}cities/")) && href.ends_with("/index.html"),
                "{href}"
            );
            assert!(
                site.out_exists(href.trim_start_matches("../")),
                "{page}: {href}"
            );
        }
        // Measures: reports, members (sum), rate (mean); figures per city in that order.
        assert_eq!(t["甲市"]["values"], "2,100,85");
        assert_eq!(t["乙市"]["values"], "1,500,");
        assert_eq!(t["丙市"]["values"], "1,,70");
        assert_eq!(t["甲市"]["counts"], "2,1,2");
        // Reports 1..2: 甲市 darkest, the others lightest; no figure is step 0.
        assert_eq!(t["甲市"]["bins"], "5,1,5");
        assert_eq!(t["乙市"]["bins"], "1,5,0");
        assert_eq!(t["丙市"]["class"], "b1");
        assert_eq!(t["甲市"]["class"], "b5");
        // The picker lists the metrics with data; the legend says who reported what.
        assert!(html.contains(">工会会员（合计）</option>"), "{page}");
        assert!(html.contains(">入会率（平均）</option>"), "{page}");
        assert!(html.contains("4 个试点中有 2 个报告了工会会员"), "{page}");
        assert!(html.contains("4 个试点中有 3 个报告了入会率"), "{page}");
        // The table alternative: a row per city with the same figures, linked to the city.
        let table = &html[html.find("<details class=\"tilemap-data\">").expect(page)..];
        let table = &table[..table.find("</details>").unwrap()];
        let rows: Vec<(String, String, String)> = row
            .captures_iter(table)
            .map(|c| (c[1].to_string(), c[2].to_string(), c[3].to_string()))
            .collect();
        assert_eq!(rows.len(), 3, "{table}");
        let jia = rows.iter().find(|r| r.1 == "甲市").unwrap();
        assert_eq!(jia.0, t["甲市"]["href"]);
        assert_eq!(
            jia.2,
            "<td>2</td><td>100 <small>(1)</small></td><td>85 <small>(2)</small></td>"
        );
        let yi = rows.iter().find(|r| r.1 == "乙市").unwrap();
        assert!(yi.2.ends_with("<td>—</td>"), "{}", yi.2);
    }
}

#[test]
fn without_positions_the_map_is_a_near_square_grid_in_printed_order() {
    let site = Site::new();
    site.write(
        "site.yaml",
        "title: 网格\ncities: [戊市, 丁市, 丙市, 乙市, 甲市]\n",
    );
    for (i, city) in ["甲市", "乙市", "丙市", "丁市", "戊市"].iter().enumerate() {
        report(&site, &format!("r{i}"), &format!("{city}镇"), city, "");
    }
    site.build_ok();
    let t = tiles(&site.out("cities/index.html"));
    // Five cities: three columns, in the configured order, row by row.
    let at = |c: &str| {
        (
            t[c]["x"].parse::<usize>().unwrap() / 78,
            t[c]["y"].parse::<usize>().unwrap() / 78,
        )
    };
    assert_eq!(at("戊市"), (0, 0));
    assert_eq!(at("丁市"), (1, 0));
    assert_eq!(at("丙市"), (2, 0));
    assert_eq!(at("乙市"), (0, 1));
    assert_eq!(at("甲市"), (1, 1));
    // Without metrics the picker offers the number of reports alone, and the one step.
    let html = site.out("cities/index.html");
    assert_eq!(html.matches("<option ").count(), 1);
}

#[test]
fn a_city_without_a_tile_goes_under_the_placed_ones() {
    let site = Site::new();
    site.write(
        "site.yaml",
        "cities:\n  - { name: 甲市, tile: [1, 0] }\n  - 乙市\n",
    );
    report(&site, "a", "甲镇", "甲市", "");
    report(&site, "b", "乙镇", "乙市", "");
    report(&site, "c", "丙镇", "丙市", "");
    site.build_ok();
    let t = tiles(&site.out("index.html"));
    assert_eq!(
        (t["甲市"]["x"].as_str(), t["甲市"]["y"].as_str()),
        ("78", "0")
    );
    assert_eq!(
        (t["乙市"]["x"].as_str(), t["乙市"]["y"].as_str()),
        ("0", "78")
    );
    assert_eq!(
        (t["丙市"]["x"].as_str(), t["丙市"]["y"].as_str()),
        ("78", "78")
    );
}

#[test]
fn two_cities_on_one_tile_fail_the_build_at_the_second_tile() {
    let site = Site::new();
    site.write(
        "site.yaml",
        "title: 重叠\ncities:\n  - { name: 甲市, tile: [0, 0] }\n  - { name: 乙市, tile: [0, 0] }\n",
    );
    report(&site, "a", "甲镇", "甲市", "");
    let err = site.build_err();
    assert!(err.contains("site.yaml:4:17"), "{err}");
    assert!(
        err.contains("city `乙市` is on tile [0, 0], which city `甲市` already takes"),
        "{err}"
    );
    assert!(err.contains("[1, 0] is free"), "{err}");
}

/// The compare page's pattern of data files and number of buckets.
fn compare_files(site: &Site) -> (String, u32) {
    let html = site.out("compare/index.html");
    let attrs = Regex::new(r#"data-pattern="\.\./([^"]+)" data-buckets="(\d+)""#).unwrap();
    let c = attrs.captures(&html).unwrap_or_else(|| panic!("{html}"));
    (c[1].to_string(), c[2].parse().unwrap())
}

/// FNV-1a (32 bits) of `s`'s UTF-8 bytes, written out here apart from `urls::compare_bucket`.
fn fnv1a(s: &str) -> u32 {
    let mut h: u32 = 2_166_136_261;
    for b in s.as_bytes() {
        h ^= u32::from(*b);
        h = h.wrapping_mul(16_777_619);
    }
    h
}

/// Every report a compare data file registers, in order, after checking each call around it.
fn registered(text: &str) -> Vec<(String, Value)> {
    text.split_inclusive('\n')
        .map(|line| {
            let call = line
                .strip_prefix("__casebook_compare(")
                .and_then(|t| t.strip_suffix(");\n"))
                .unwrap_or_else(|| panic!("not a compare data call: {line}"));
            let mut de = serde_json::Deserializer::from_str(call).into_iter::<Value>();
            let slug = de.next().unwrap().unwrap();
            let rest = call[de.byte_offset()..].strip_prefix(',').unwrap();
            (
                slug.as_str().unwrap().to_string(),
                serde_json::from_str(rest).unwrap(),
            )
        })
        .collect()
}

/// The JSON the compare data file of `slug`'s bucket registers for it.
fn compare_data(site: &Site, slug: &str) -> Value {
    let (pattern, buckets) = compare_files(site);
    let file = pattern.replace("{bucket}", &(fnv1a(slug) % buckets).to_string());
    registered(&site.out(&file))
        .into_iter()
        .find(|(s, _)| s == slug)
        .unwrap_or_else(|| panic!("{slug} not in {file}"))
        .1
}

#[test]
fn each_report_has_a_compare_data_file_with_what_the_page_shows() {
    let site = site_with_tiles();
    site.write(
        "content/reports/a1.md",
        "---\ntitle: \"甲一镇：试点\"\ntown: 甲一镇\ncounty: 某县\ncity: 甲市\nlevel: 县级试点\nsummary: 第一句话。第二句话。\ntactics: [网格化, 职工之家]\nmetrics: { members: 100, rate: 90.5 }\n---\n\n正文。\n",
    );
    site.build_ok();
    let d = compare_data(&site, "a1");
    assert_eq!(d["slug"], "a1");
    assert_eq!(d["url"], "reports/a1/index.html");
    assert_eq!(d["title"], "甲一镇：试点");
    assert_eq!(d["town"], "甲一镇");
    assert_eq!(d["county"], "某县");
    assert_eq!(d["city"]["name"], "甲市");
    assert_eq!(d["level"], "县级试点");
    assert_eq!(d["line"], "第一句话。");
    let tactics: Vec<&str> = d["tactics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(tactics, ["网格化", "职工之家"]);
    let m = d["metrics"].as_array().unwrap();
    assert_eq!(m.len(), 2);
    assert_eq!(
        (
            m[0]["key"].as_str(),
            m[0]["label"].as_str(),
            m[0]["unit"].as_str(),
            m[0]["display"].as_str()
        ),
        (Some("members"), Some("工会会员"), Some("人"), Some("100"))
    );
    assert_eq!(
        (m[1]["key"].as_str(), m[1]["display"].as_str()),
        (Some("rate"), Some("90.5"))
    );
    // Every report is in the file of its bucket, once, and nothing else is there.
    let (pattern, buckets) = compare_files(&site);
    assert_eq!(pattern, "data/compare/{bucket}.js");
    let mut seen = Vec::new();
    for e in std::fs::read_dir(site.root().join("output/data/compare")).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        let bucket: u32 = name.strip_suffix(".js").unwrap().parse().unwrap();
        for (slug, data) in registered(&site.out(&format!("data/compare/{name}"))) {
            assert_eq!(fnv1a(&slug) % buckets, bucket, "{slug} in {name}");
            assert_eq!(data["slug"], slug.as_str());
            seen.push(slug);
        }
    }
    seen.sort();
    assert_eq!(seen, ["a1", "a2", "b1", "c1"]);
}

#[test]
fn compare_data_files_hold_a_bucket_of_reports_each() {
    let site = Site::new();
    for i in 0..40 {
        site.write(
            &format!("content/reports/r{i}.md"),
            &format!("---\ntitle: 试点{i}\ntown: 某镇{i}\ncity: 甲市\ntactics: [网格化]\n---\n\n正文。\n"),
        );
    }
    site.build_ok();
    let (_, buckets) = compare_files(&site);
    assert_eq!(buckets, 2, "40 reports: one bucket per 16, a power of two");
    let files = std::fs::read_dir(site.root().join("output/data/compare")).unwrap();
    let counts: Vec<usize> = files
        .map(|e| registered(&std::fs::read_to_string(e.unwrap().path()).unwrap()).len())
        .collect();
    assert_eq!(counts.len(), 2);
    assert_eq!(counts.iter().sum::<usize>(), 40);
    for i in 0..40 {
        assert_eq!(
            compare_data(&site, &format!("r{i}"))["town"],
            format!("某镇{i}")
        );
    }
}

#[test]
fn compare_data_cannot_break_out_of_its_script() {
    let site = Site::new();
    site.write(
        "content/reports/x.md",
        "---\ntitle: \"</script><script>alert(1)</script> & \u{2028}\"\ntown: 某镇\ncity: 甲市\nsummary: \"<!-- 注释 -->\u{2029}\"\ntactics: [\"</b>\"]\n---\n\n正文。\n",
    );
    site.build_ok();
    let (pattern, buckets) = compare_files(&site);
    let text = site.out(&pattern.replace("{bucket}", &(fnv1a("x") % buckets).to_string()));
    assert!(
        !text.contains('<') && !text.contains('>') && !text.contains('&'),
        "{text}"
    );
    assert!(
        !text.contains('\u{2028}') && !text.contains('\u{2029}'),
        "{text}"
    );
    let d = compare_data(&site, "x");
    // The same text as the JSON export holds (YAML may fold the line separator's space).
    let export: Value = serde_json::from_str(&site.out("data/reports.json")).unwrap();
    assert_eq!(d["title"], export[0]["title"]);
    assert!(d["title"]
        .as_str()
        .unwrap()
        .starts_with("</script><script>alert(1)</script> &"));
    assert_eq!(d["tactics"][0]["name"], "</b>");
    // Listings carry the toggle with the title escaped for its attribute.
    let listing = site.out("cities/jia-shi/index.html");
    assert!(
        listing.contains("data-title=\"&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp;"),
        "{listing}"
    );
}

#[test]
fn the_compare_page_explains_itself_without_javascript_and_knows_the_registry() {
    let site = site_with_tiles();
    site.build_ok();
    let html = site.out("compare/index.html");
    let noscript = &html[html.find("<noscript>").unwrap()..html.find("</noscript>").unwrap()];
    assert!(noscript.contains("需要启用 JavaScript"), "{noscript}");
    assert!(
        noscript.contains("href=\"../metrics/index.html\""),
        "{noscript}"
    );
    assert!(site.out_exists("metrics/index.html"));
    assert!(
        html.contains("data-pattern=\"../data/compare/{bucket}.js\" data-buckets=\"1\""),
        "{html}"
    );
    let registry =
        Regex::new(r#"(?s)<script type="application/json" id="compare-registry">(.*?)</script>"#)
            .unwrap();
    let json: Value = serde_json::from_str(&registry.captures(&html).unwrap()[1]).unwrap();
    let keys: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["members", "rate"]);
    // Toggles on listings and report pages, for the reader's script to show; the footer links here.
    for page in ["cities/jia-shi/index.html", "reports/a1/index.html"] {
        let p = site.out(page);
        assert!(
            p.contains("class=\"compare-toggle\" data-compare=\"a1\""),
            "{page}"
        );
    }
    assert!(site
        .out("index.html")
        .contains("href=\"compare/index.html\">试点对比</a>"));
}
