//! Each page type of the fixture digest (`tests/fixtures/build/site`), with its content.
//!
//! The fixture has six published reports in three cities (configured order 温州市, 杭州市, 宁波市),
//! three sections (速写 grouped by city), a metric registry using sum, mean and max, a tactics
//! vocabulary with an alias (网格化 -> 网格化管理), one tactic outside the vocabulary (文体活动),
//! one metric outside the registry (volunteers), four pages and one draft.

use super::util::*;

const REPORTS: &[&str] = &[
    "sandun", "tangqi", "liangzhu", "longgang", "hongqiao", "xikou",
];

#[test]
fn every_page_type_is_written_at_its_url() {
    let site = fixture_site();
    site.build_ok();
    let mut expected: Vec<String> = [
        "index.html",
        "404.html",
        "sitemap.xml",
        "atom.xml",
        "data/reports.json",
        "data/reports.csv",
        "contents/index.html",
        "metrics/index.html",
        "cities/index.html",
        "cities/wen-zhou-shi/index.html",
        "cities/hang-zhou-shi/index.html",
        "cities/ning-bo-shi/index.html",
        "tactics/index.html",
        "tactics/zhi-yuan-fu-wu/index.html",
        "tactics/wang-ge-hua-guan-li/index.html",
        "tactics/nv-zhi-gong-guan-ai/index.html",
        "tactics/wen-ti-huo-dong/index.html",
        "sections/te-bie-bao-dao/index.html",
        "sections/zhong-dian-bao-dao/index.html",
        "sections/su-xie/index.html",
        "pages/foreword/index.html",
        "pages/about/index.html",
    ]
    .map(String::from)
    .to_vec();
    expected.extend(REPORTS.iter().map(|r| format!("reports/{r}/index.html")));
    for rel in &expected {
        assert!(site.out_exists(rel), "missing {rel}");
    }
    // The alias is not a tactic of its own, and the draft is left out without --drafts.
    assert!(!site.out_exists("tactics/wang-ge-hua/index.html"));
    assert!(!site.out_exists("reports/draft/index.html"));
    assert!(!site.out("contents/index.html").contains("草稿镇"));
}

#[test]
fn every_generated_path_is_ascii() {
    let site = fixture_site();
    site.build_ok();
    let names = tree(&out_dir(&site), "");
    assert!(names.len() > 30, "{names:?}");
    let bad: Vec<&String> = names.iter().filter(|n| !n.is_ascii()).collect();
    assert!(bad.is_empty(), "non-ASCII output paths: {bad:?}");
    let bad: Vec<&String> = names
        .iter()
        .filter(|n| {
            n.starts_with("cities/") || n.starts_with("tactics/") || n.starts_with("sections/")
        })
        .filter(|n| {
            !n.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-/.".contains(c))
        })
        .collect();
    assert!(bad.is_empty(), "slugs outside [a-z0-9-]: {bad:?}");
}

#[test]
fn drafts_are_built_with_the_flag() {
    let site = fixture_site();
    let (code, stderr) = run(&site, &["build", "--drafts"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(site.out("reports/draft/index.html").contains("草稿镇"));
}

#[test]
fn home_has_title_figures_intro_and_entry_points() {
    let site = fixture_site();
    site.build_ok();
    let html = site.out("index.html");
    assert!(html.contains(r#"<html lang="zh-CN""#), "{html}");
    let main = main_of(&html);
    let t = text(main);
    assert!(t.contains("测试汇编"), "{t}");
    // Figures at a glance: reports, cities, towns, tactics.
    for figure in ["试点 6", "地市 3", "乡镇 6", "做法 4"] {
        assert!(t.contains(figure), "no `{figure}` in {t}");
    }
    // Intro from the first front page, with a link to it.
    assert!(
        t.contains("点亮一盏灯") && t.contains("卷首语的摘要。"),
        "{t}"
    );
    assert_links_to(main, "pages/foreword/index.html");
    for entry in [
        "contents/index.html",
        "cities/hang-zhou-shi/index.html",
        "tactics/zhi-yuan-fu-wu/index.html",
        "sections/su-xie/index.html",
        "metrics/index.html",
    ] {
        assert_links_to(&html, entry);
    }
    for index in [
        "cities/index.html",
        "tactics/index.html",
        "sections/index.html",
    ] {
        assert_links_to(&html, index);
    }
}

#[test]
fn report_page_has_breadcrumb_tactics_metrics_and_body() {
    let site = fixture_site();
    site.build_ok();
    let html = site.out("reports/sandun/index.html");
    let main = main_of(&html);
    let t = text(main);
    assert!(html.contains("<title>三墩镇：网格连着职工心"), "{html}");
    assert!(t.contains("三墩镇：网格连着职工心"));
    // Breadcrumb: home, city (linked), county, town.
    let crumb = &main[..main.find("</nav>").unwrap()];
    assert_in_order(&text(crumb), &["杭州市", "西湖区", "三墩镇"]);
    assert_links_to(crumb, "../../cities/hang-zhou-shi/index.html");
    assert_links_to(crumb, "../../index.html");
    // Section and level.
    assert!(t.contains("特别报道") && t.contains("省级试点"), "{t}");
    assert_links_to(main, "../../sections/te-bie-bao-dao/index.html");
    // Tactics as links, the alias resolved to the vocabulary's name.
    assert_links_to(main, "../../tactics/wang-ge-hua-guan-li/index.html");
    assert_links_to(main, "../../tactics/zhi-yuan-fu-wu/index.html");
    assert!(t.contains("网格化管理") && !t.contains("网格化 "), "{t}");
    // Metrics card: label, value, unit, in registry order.
    assert_in_order(&t, &["工会会员 1200 人", "入会率 90 %", "服务站点 5 个"]);
    // Body: tables, footnotes, strikethrough, raw HTML, heading ids.
    assert!(
        main.contains("<table>") && main.contains("<td>网格工会</td>"),
        "{main}"
    );
    assert!(main.contains("<del>旧办法</del>"), "{main}");
    assert!(
        main.contains("footnote") && t.contains("脚注的内容。"),
        "{main}"
    );
    assert!(main.contains(r#"<div class="raw-box">编辑自己的<em>原始</em>HTML</div>"#));
    assert!(main.contains(r#"<h2 id="组织-建到网格上">"#), "{main}");
    // Same heading text twice: distinct ids.
    assert!(main.contains(r#"<h2 id="服务-送到家门口">"#), "{main}");
    assert!(main.contains(r#"<h3 id="服务-送到家门口-1">"#), "{main}");
    // Internal `@/` links became relative links.
    assert_links_to(main, "../../reports/longgang/index.html");
    assert_links_to(main, "../../pages/about/index.html");
    // Author, date, source.
    assert!(t.contains("张三") && t.contains("2018-12-10"), "{t}");
    assert!(t.contains("《浙江工运》2018年第5-6期 第3页"), "{t}");
}

#[test]
fn long_report_has_a_table_of_contents_short_one_has_none() {
    let site = fixture_site();
    site.build_ok();
    let long = site.out("reports/sandun/index.html");
    let main = main_of(&long);
    // Every heading of the body is listed, by its id, before the body.
    let body_start = main.find(r#"<h2 id="组织-建到网格上">"#).unwrap();
    let toc = &main[..body_start];
    for id in [
        "组织-建到网格上",
        "服务-送到家门口",
        "服务-送到家门口-1",
        "成效",
    ] {
        assert!(
            links(toc).iter().any(|l| *l == format!("#{id}")),
            "no TOC link to #{id} in:\n{toc}"
        );
    }
    let short = site.out("reports/tangqi/index.html");
    assert!(
        !links(main_of(&short)).iter().any(|l| l.starts_with('#')),
        "short report has a TOC:\n{short}"
    );
}

#[test]
fn prev_and_next_stay_within_the_city() {
    let site = fixture_site();
    site.build_ok();
    // 杭州市 in contents order: sandun (特别报道), then tangqi and liangzhu (速写, by weight).
    let prev_next = |slug: &str| {
        let html = site.out(&format!("reports/{slug}/index.html"));
        let main = main_of(&html).to_string();
        let pick = |rel: &str| {
            regex::Regex::new(&format!(r#"rel="{rel}"\s+href="([^"]+)""#))
                .unwrap()
                .captures(&main)
                .map(|c| decode(&c[1]))
        };
        (pick("prev"), pick("next"))
    };
    assert_eq!(
        prev_next("sandun"),
        (None, Some("../../reports/tangqi/index.html".into()))
    );
    assert_eq!(
        prev_next("tangqi"),
        (
            Some("../../reports/sandun/index.html".into()),
            Some("../../reports/liangzhu/index.html".into())
        )
    );
    assert_eq!(
        prev_next("liangzhu"),
        (Some("../../reports/tangqi/index.html".into()), None)
    );
    // The only report of its city has neither.
    assert_eq!(prev_next("xikou"), (None, None));
}

#[test]
fn related_reports_share_tactics_best_first() {
    let site = fixture_site();
    site.build_ok();
    let html = site.out("reports/sandun/index.html");
    let main = main_of(&html);
    let related = &main[main.find("相关").expect("no related section")..];
    let t = text(related);
    // longgang shares both tactics (网格化管理 is rarer than 志愿服务), so it comes first.
    assert_in_order(&t, &["龙港镇：小城市大工会", "良渚街道：文化工会"]);
    assert!(t.contains("网格化管理、志愿服务"), "{t}");
    assert!(
        !t.contains("三墩镇：网格连着职工心"),
        "a report is not related to itself: {t}"
    );
}

#[test]
fn cities_index_and_city_pages_grouped_by_county() {
    let site = fixture_site();
    site.build_ok();
    let index = site.out("cities/index.html");
    let t = text(main_of(&index));
    // Configured order with report counts.
    assert_in_order(&t, &["温州市 2", "杭州市 3", "宁波市 1"]);
    assert_links_to(&index, "hang-zhou-shi/index.html");

    let city = site.out("cities/hang-zhou-shi/index.html");
    let t = text(main_of(&city));
    // Counties in order of first appearance, each with its reports in contents order.
    assert_in_order(
        &t,
        &[
            "西湖区",
            "三墩镇：网格连着职工心",
            "余杭区",
            "塘栖镇：园区服务站",
            "良渚街道：文化工会",
        ],
    );
    assert!(!t.contains("龙港镇"), "another city's report: {t}");
    assert_links_to(&city, "../../reports/tangqi/index.html");
}

#[test]
fn tactics_index_counts_most_used_first_and_tactic_pages_list_reports() {
    let site = fixture_site();
    site.build_ok();
    let index = site.out("tactics/index.html");
    let t = text(main_of(&index));
    // Ties keep vocabulary order; tactics outside the vocabulary come after.
    assert_in_order(
        &t,
        &["志愿服务 5", "网格化管理 3", "女职工关爱 1", "文体活动 1"],
    );
    assert!(
        t.contains("把工会工作嵌入网格。"),
        "descriptions shown: {t}"
    );

    let page = site.out("tactics/wang-ge-hua-guan-li/index.html");
    let main = main_of(&page);
    let t = text(main);
    assert!(
        t.contains("网格化管理") && t.contains("把工会工作嵌入网格。"),
        "{t}"
    );
    for slug in ["sandun", "liangzhu", "longgang"] {
        assert_links_to(main, &format!("../../reports/{slug}/index.html"));
    }
    for slug in ["tangqi", "hongqiao", "xikou"] {
        assert!(
            !links(main)
                .iter()
                .any(|l| l.contains(&format!("reports/{slug}/"))),
            "{slug} does not use 网格化管理:\n{main}"
        );
    }
    // A tactic outside the vocabulary still has its page, labelled by its name.
    let other = site.out("tactics/wen-ti-huo-dong/index.html");
    assert!(text(main_of(&other)).contains("文体活动"));
    assert_links_to(main_of(&other), "../../reports/hongqiao/index.html");
}

#[test]
fn section_pages_list_their_reports_by_city_where_configured() {
    let site = fixture_site();
    site.build_ok();
    let special = site.out("sections/te-bie-bao-dao/index.html");
    let t = text(main_of(&special));
    assert!(t.contains("特别报道") && t.contains("省级试点"), "{t}");
    assert!(
        t.contains("三墩镇：网格连着职工心") && !t.contains("龙港镇"),
        "{t}"
    );

    let sketches = site.out("sections/su-xie/index.html");
    let t = text(main_of(&sketches));
    assert_in_order(
        &t,
        &[
            "温州市",
            "虹桥镇：三张网",
            "杭州市",
            "塘栖镇：园区服务站",
            "良渚街道：文化工会",
            "宁波市",
            "溪口镇：景区工会",
        ],
    );
    assert!(!t.contains("三墩镇"), "{t}");
}

#[test]
fn contents_follow_the_printed_order() {
    let site = fixture_site();
    site.build_ok();
    let html = site.out("contents/index.html");
    let t = text(main_of(&html));
    // Front pages by weight, then sections in configured order (速写 grouped by city in the
    // configured city order), then back pages; unlisted pages are not in the contents.
    assert_in_order(
        &t,
        &[
            "点亮一盏灯",
            "试点综述",
            "特别报道",
            "三墩镇：网格连着职工心",
            "重点报道",
            "龙港镇：小城市大工会",
            "速写",
            "温州市",
            "虹桥镇：三张网",
            "杭州市",
            "塘栖镇：园区服务站",
            "良渚街道：文化工会",
            "宁波市",
            "溪口镇：景区工会",
            "编后记",
        ],
    );
    assert!(
        !t.contains("关于本站"),
        "placement: none is not listed: {t}"
    );
    for slug in REPORTS {
        assert_links_to(&html, &format!("../reports/{slug}/index.html"));
    }
}

#[test]
fn metrics_table_is_complete_without_javascript() {
    let site = fixture_site();
    site.build_ok();
    let html = site.out("metrics/index.html");
    let main = main_of(&html);

    // One row per report, one column per metric: registry order, then unknown keys by name.
    let rows = table_rows(main, "reports/sandun/");
    assert_eq!(rows.len(), 1 + REPORTS.len(), "{rows:#?}");
    assert_in_order(
        &rows[0].join("|"),
        &["工会会员", "入会率", "服务站点", "volunteers"],
    );
    assert_eq!(
        row(&rows, "三墩镇"),
        // Issue 15: a figure the report does not give is marked, apart from 0.
        ["三墩镇", "杭州市", "1200", "90", "5", "—"]
    );
    assert_eq!(
        row(&rows, "良渚街道"),
        ["良渚街道", "杭州市", "—", "—", "—", "—"]
    );
    assert_eq!(
        row(&rows, "溪口镇"),
        ["溪口镇", "宁波市", "—", "—", "—", "30"]
    );
    // Sortable in the browser: numeric cells carry their value.
    assert!(main.contains(r#"data-value="1200""#), "{main}");

    // Per-city aggregates per the registry: members sum, rate mean, stations max.
    // Each says how many of the city's reports it covers (issue 15); the city its count.
    let cities = table_rows(main, "cities/hang-zhou-shi/");
    let hz = "3 个试点中 2 个报告";
    assert_eq!(
        row(&cities, "杭州市 3"),
        [
            "杭州市 3".to_string(),
            format!("2000 2/3 （{hz}）"),
            format!("85 2/3 （{hz}）"),
            format!("7 2/3 （{hz}）"),
            "—".into()
        ]
    );
    let wz = "2 个试点中 1 个报告";
    assert_eq!(
        row(&cities, "温州市 2"),
        [
            "温州市 2".to_string(),
            format!("500 1/2 （{wz}）"),
            format!("70 1/2 （{wz}）"),
            format!("2 1/2 （{wz}）"),
            "—".into()
        ]
    );
    assert_eq!(
        row(&cities, "宁波市 1"),
        ["宁波市 1", "—", "—", "—", "30 1/1 （1 个试点中 1 个报告）"]
    );
}

#[test]
fn pages_and_404_are_rendered() {
    let site = fixture_site();
    site.build_ok();
    let foreword = site.out("pages/foreword/index.html");
    assert!(text(main_of(&foreword)).contains("卷首语正文。"));
    let overview = site.out("pages/overview/index.html");
    assert_links_to(main_of(&overview), "../../reports/sandun/index.html");

    let not_found = site.out("404.html");
    assert!(not_found.contains(r#"<html lang="zh-CN""#));
    assert_links_to(main_of(&not_found), "index.html");
}

#[test]
fn sitemap_and_feed_list_every_report() {
    let site = fixture_site();
    site.build_ok();
    let sitemap = site.out("sitemap.xml");
    let doc = roxmltree::Document::parse(&sitemap).expect("sitemap.xml is well-formed XML");
    let locs: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("loc"))
        .filter_map(|n| n.text())
        .collect();
    for page in REPORTS
        .iter()
        .map(|r| format!("reports/{r}/index.html"))
        .chain([
            "cities/hang-zhou-shi/index.html".into(),
            "contents/index.html".into(),
        ])
    {
        assert!(
            locs.iter().any(|l| l.ends_with(&page)),
            "{page} not in {locs:?}"
        );
    }
    for loc in &locs {
        assert!(
            site.out_exists(loc),
            "sitemap entry {loc} is not a file of the output"
        );
    }

    let atom = site.out("atom.xml");
    let doc = roxmltree::Document::parse(&atom).expect("atom.xml is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "feed");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2005/Atom")
    );
    let titles: Vec<&str> = root
        .children()
        .filter(|n| n.has_tag_name("entry"))
        .filter_map(|e| e.children().find(|c| c.has_tag_name("title"))?.text())
        .collect();
    assert_eq!(titles.len(), REPORTS.len(), "{titles:?}");
    assert!(titles.contains(&"三墩镇：网格连着职工心"), "{titles:?}");
}

#[test]
fn exports_hold_all_front_matter_and_metrics() {
    let site = fixture_site();
    site.build_ok();
    let json: serde_json::Value =
        serde_json::from_str(&site.out("data/reports.json")).expect("valid JSON");
    let list = json.as_array().expect("a list of reports");
    assert_eq!(list.len(), REPORTS.len());
    let sandun = list.iter().find(|r| r["slug"] == "sandun").expect("sandun");
    assert_eq!(sandun["title"], "三墩镇：网格连着职工心");
    assert_eq!(sandun["county"], "西湖区");
    assert_eq!(sandun["level"], "省级试点");
    assert_eq!(sandun["date"], "2018-12-10");
    assert_eq!(
        sandun["tactics"],
        serde_json::json!(["网格化管理", "志愿服务"])
    );
    assert_eq!(sandun["metrics"]["members"], 1200.0);
    assert_eq!(sandun["url"], "reports/sandun/index.html");

    let csv = site.out("data/reports.csv");
    let mut lines = csv.trim_start_matches('\u{feff}').lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    for col in [
        "slug",
        "title",
        "town",
        "county",
        "city",
        "tactics",
        "members",
        "volunteers",
    ] {
        assert!(header.contains(&col), "no column {col} in {header:?}");
    }
    let row: Vec<&str> = lines
        .find(|l| l.starts_with("sandun,"))
        .unwrap()
        .split(',')
        .collect();
    let get = |col: &str| row[header.iter().position(|h| *h == col).unwrap()];
    assert_eq!(get("town"), "三墩镇");
    assert_eq!(get("members"), "1200");
    assert_eq!(get("membership_rate"), "90");
    assert_eq!(get("volunteers"), "");
}

/// Reports without a `section` are still listed in the contents and the print edition (they
/// were left out when every report had a section but these), as one last group. Where no
/// report names a section, that group is not shown as a section (issue 15; see
/// `reader::a_site_without_sections_shows_none`).
#[test]
fn reports_without_a_section_are_in_the_contents_and_print() {
    let site = crate::harness::Site::new();
    site.report("a", "甲镇报告", "甲镇", "杭州市", &["志愿服务"])
        .report("b", "乙镇报告", "乙镇", "宁波市", &["志愿服务"]);
    site.build_ok();
    let contents = site.out("contents/index.html");
    assert!(
        contents.contains("甲镇报告") && contents.contains("乙镇报告"),
        "{contents}"
    );
    let print = site.out("print/index.html");
    assert!(print.contains("id=\"report-a\"") && print.contains("id=\"report-b\""));
    assert!(!site.out_exists("sections/other/index.html"));
}
