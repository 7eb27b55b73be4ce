//! Integration tests on the real digest (issue 4): the repository's `content/` and `site.yaml`,
//! copied to a temp folder and built with the binary. The expected tables below were counted by
//! hand from the printed contents (目录) and the report headings of
//! `../shared/seeds/001_ea2ebf79660602d1.txt`, not from the content files, so a report that is
//! lost, misfiled or moved shows up here.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use unicode_normalization::UnicodeNormalization;

use crate::harness::unescape;
use crate::harness::{copy_dir, repo, Site};

/// The printed contents, in print order: (page, city, county, town). Page 6 is the special report
/// (特别报道, 省级试点), pages 10-28 the ten featured reports (重点报道), pages 30-97 the 108
/// sketches (速写) grouped by city. Two towns on one page are listed left to right as printed.
/// The contents spells 淳安县“临歧镇”; the report heading and the town's real name are 临岐镇.
const CONTENTS: &[(u32, &str, &str, &str)] = &[
    (6, "金华市", "义乌市", "佛堂镇"),
    (10, "杭州市", "西湖区", "三墩镇"),
    (12, "宁波市", "余姚市", "泗门镇"),
    (14, "温州市", "乐清市", "虹桥镇"),
    (16, "湖州市", "德清县", "莫干山镇"),
    (18, "嘉兴市", "平湖市", "新仓镇"),
    (20, "绍兴市", "诸暨市", "店口镇"),
    (22, "金华市", "东阳市", "湖溪镇"),
    (24, "衢州市", "衢江区", "大洲镇"),
    (26, "台州市", "天台县", "南屏乡"),
    (28, "丽水市", "云和县", "紧水滩镇"),
    (30, "杭州市", "富阳区", "新登镇"),
    (31, "杭州市", "萧山区", "瓜沥镇"),
    (31, "杭州市", "余杭区", "塘栖镇"),
    (32, "杭州市", "余杭区", "瓶窑镇"),
    (32, "杭州市", "富阳区", "龙门镇"),
    (33, "杭州市", "临安区", "板桥镇"),
    (33, "杭州市", "临安区", "天目山镇"),
    (34, "杭州市", "桐庐县", "分水镇"),
    (34, "杭州市", "桐庐县", "合村乡"),
    (35, "杭州市", "淳安县", "临岐镇"),
    (35, "杭州市", "淳安县", "石林镇"),
    (36, "杭州市", "建德市", "乾潭镇"),
    (36, "杭州市", "建德市", "航头镇"),
    (37, "宁波市", "海曙区", "集士港镇"),
    (38, "宁波市", "鄞州区", "咸祥镇"),
    (39, "宁波市", "慈溪市", "周巷镇"),
    (40, "宁波市", "鄞州区", "云龙镇"),
    (40, "宁波市", "奉化区", "松岙镇"),
    (41, "宁波市", "奉化区", "尚田镇"),
    (41, "宁波市", "余姚市", "梁弄镇"),
    (42, "宁波市", "宁海县", "长街镇"),
    (42, "宁波市", "宁海县", "前童镇"),
    (43, "温州市", "文成县", "百丈漈镇"),
    (44, "温州市", "平阳县", "昆阳镇"),
    (45, "温州市", "泰顺县", "司前畲族镇"),
    (46, "温州市", "瑞安市", "马屿镇"),
    (46, "温州市", "苍南县", "龙港镇"),
    (47, "湖州市", "德清县", "钟管镇"),
    (48, "湖州市", "长兴县", "煤山镇"),
    (49, "湖州市", "吴兴区", "织里镇"),
    (49, "湖州市", "吴兴区", "八里店镇"),
    (50, "湖州市", "南浔区", "练市镇"),
    (50, "湖州市", "南浔区", "双林镇"),
    (51, "湖州市", "长兴县", "李家巷镇"),
    (51, "湖州市", "安吉县", "天荒坪镇"),
    (52, "嘉兴市", "南湖区", "凤桥镇"),
    (53, "嘉兴市", "嘉善县", "姚庄镇"),
    (54, "嘉兴市", "嘉善县", "大云镇"),
    (55, "嘉兴市", "海宁市", "长安镇"),
    (56, "嘉兴市", "秀洲区", "油车港镇"),
    (56, "嘉兴市", "海盐县", "澉浦镇"),
    (57, "嘉兴市", "海盐县", "于城镇"),
    (57, "嘉兴市", "桐乡市", "屠甸镇"),
    (58, "绍兴市", "诸暨市", "枫桥镇"),
    (59, "绍兴市", "新昌县", "儒岙镇"),
    (60, "绍兴市", "新昌县", "沙溪镇"),
    (61, "绍兴市", "越城区", "皋埠镇"),
    (61, "绍兴市", "上虞区", "崧厦镇"),
    (62, "绍兴市", "上虞区", "长塘镇"),
    (62, "绍兴市", "诸暨市", "山下湖镇"),
    (63, "绍兴市", "嵊州市", "仙岩镇"),
    (63, "绍兴市", "嵊州市", "下王镇"),
    (64, "绍兴市", "袍江开发区", "孙端镇"),
    (64, "绍兴市", "滨海新城", "沥海镇"),
    (65, "金华市", "东阳市", "巍山镇"),
    (66, "金华市", "金华开发区", "汤溪镇"),
    (67, "金华市", "婺城区", "琅琊镇"),
    (67, "金华市", "金东区", "岭下镇"),
    (68, "金华市", "金东区", "澧浦镇"),
    (68, "金华市", "兰溪市", "游埠镇"),
    (69, "金华市", "义乌市", "大陈镇"),
    (69, "金华市", "永康市", "芝英镇"),
    (70, "金华市", "浦江县", "郑宅镇"),
    (70, "金华市", "磐安县", "方前镇"),
    (71, "金华市", "磐安县", "盘峰乡"),
    (71, "金华市", "金华山旅游经济区", "赤松镇"),
    (72, "衢州市", "江山市", "峡口镇"),
    (73, "衢州市", "常山县", "青石镇"),
    (74, "衢州市", "柯城区", "沟溪乡"),
    (74, "衢州市", "衢江区", "廿里镇"),
    (75, "衢州市", "衢江区", "莲花镇"),
    (75, "衢州市", "常山县", "新昌乡"),
    (76, "衢州市", "常山县", "同弓乡"),
    (76, "衢州市", "开化县", "马金镇"),
    (77, "衢州市", "开化县", "齐溪镇"),
    (77, "衢州市", "开化县", "池淮镇"),
    (78, "舟山市", "普陀区", "六横镇"),
    (79, "舟山市", "嵊泗县", "洋山镇"),
    (80, "舟山市", "定海区", "干览镇"),
    (80, "舟山市", "岱山县", "岱东镇"),
    (81, "舟山市", "岱山县", "秀山乡"),
    (81, "舟山市", "嵊泗县", "五龙乡"),
    (82, "台州市", "温岭市", "石塘镇"),
    (83, "台州市", "仙居县", "横溪镇"),
    (84, "台州市", "椒江区", "大陈镇"),
    (84, "台州市", "黄岩区", "宁溪镇"),
    (85, "台州市", "临海市", "杜桥镇"),
    (85, "台州市", "玉环市", "干江镇"),
    (86, "台州市", "天台县", "白鹤镇"),
    (86, "台州市", "仙居县", "淡竹乡"),
    (87, "台州市", "玉环市", "芦浦镇"),
    (88, "台州市", "玉环市", "沙门镇"),
    (89, "丽水市", "龙泉市", "安仁镇"),
    (90, "丽水市", "松阳县", "古市镇"),
    (91, "丽水市", "莲都区", "碧湖镇"),
    (91, "丽水市", "龙泉市", "住龙镇"),
    (92, "丽水市", "青田县", "山口镇"),
    (92, "丽水市", "青田县", "章旦乡"),
    (93, "丽水市", "云和县", "赤石乡"),
    (93, "丽水市", "庆元县", "竹口镇"),
    (94, "丽水市", "缙云县", "新建镇"),
    (94, "丽水市", "缙云县", "胡源乡"),
    (95, "丽水市", "遂昌县", "石练镇"),
    (95, "丽水市", "遂昌县", "高坪乡"),
    (96, "丽水市", "松阳县", "四都乡"),
    (96, "丽水市", "松阳县", "大东坝镇"),
    (97, "丽水市", "景宁畲族自治县", "东坑镇"),
    (97, "丽水市", "景宁畲族自治县", "大漈乡"),
];

/// Pilots per city, counted from the contents (sketches per page) plus the special and featured
/// reports filed under each city; the total is the 综述's 1 + 10 + 108 = 119.
const PILOTS_PER_CITY: &[(&str, usize)] = &[
    ("杭州市", 14),
    ("宁波市", 10),
    ("温州市", 6),
    ("湖州市", 9),
    ("嘉兴市", 9),
    ("绍兴市", 12),
    ("金华市", 14),
    ("衢州市", 11),
    ("舟山市", 6),
    ("台州市", 11),
    ("丽水市", 17),
];

/// Length of the shortest run of characters that counts as copied from a seed (issue 16).
const COPY_RUN: usize = 15;

/// Window length for the closeness share: a character inside an 8-character window that also
/// stands in a seed counts as shared.
const SHARE_WINDOW: usize = 8;

/// Most of a file's characters (quoted spans left out) that may lie inside shared windows.
const MAX_SHARE: f64 = 0.30;

/// One report file of the digest, front matter parsed.
struct Report {
    path: PathBuf,
    fm: serde_yaml_ng::Value,
}

impl Report {
    fn str(&self, key: &str) -> &str {
        self.fm
            .get(key)
            .and_then(|v| v.as_str())
            .unwrap_or_else(|| panic!("{}: `{key}` missing or not a string", self.path.display()))
    }

    fn tactics(&self) -> Vec<String> {
        match self.fm.get("tactics") {
            Some(serde_yaml_ng::Value::Sequence(items)) => items
                .iter()
                .map(|t| t.as_str().unwrap_or_default().to_string())
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// Splits `---\n<yaml>\n---\n<body>`.
fn split_front_matter(path: &Path, text: &str) -> (serde_yaml_ng::Value, String) {
    let text = text.replace("\r\n", "\n");
    let rest = text
        .strip_prefix("---\n")
        .unwrap_or_else(|| panic!("{}: no front matter", path.display()));
    let end = rest
        .find("\n---\n")
        .unwrap_or_else(|| panic!("{}: front matter not closed", path.display()));
    let fm = serde_yaml_ng::from_str(&rest[..end])
        .unwrap_or_else(|e| panic!("{}: front matter: {e}", path.display()));
    (fm, rest[end + 5..].to_string())
}

/// Markdown files under a folder, sorted.
fn markdown_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.expect("walk content"))
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    files.sort();
    files
}

fn load_reports(root: &Path) -> Vec<Report> {
    markdown_files(&root.join("content/reports"))
        .into_iter()
        .map(|path| {
            let text = fs::read_to_string(&path).unwrap();
            let (fm, _) = split_front_matter(&path, &text);
            Report { path, fm }
        })
        .collect()
}

fn site_config() -> serde_yaml_ng::Value {
    let text = fs::read_to_string(repo().join("site.yaml")).expect("site.yaml");
    serde_yaml_ng::from_str(&text).expect("site.yaml parses")
}

/// Keys of a mapping in `site.yaml`.
fn config_keys(config: &serde_yaml_ng::Value, key: &str) -> BTreeSet<String> {
    config
        .get(key)
        .and_then(|v| v.as_mapping())
        .unwrap_or_else(|| panic!("site.yaml: `{key}` is not a mapping"))
        .keys()
        .map(|k| k.as_str().expect("string key").to_string())
        .collect()
}

/// The repository's digest copied to a temp folder and built; returns the site and stderr.
fn built_digest() -> (Site, String) {
    let site = Site::new();
    copy_dir(&repo().join("content"), &site.root().join("content"));
    fs::copy(repo().join("site.yaml"), site.root().join("site.yaml")).unwrap();
    let stderr = site.build_ok();
    (site, stderr)
}

/// The `<main>` element of a page (navigation and footers stay out of the counts).
fn main_of(html: &str) -> &str {
    let start = html.find("<main").unwrap_or(0);
    let end = html[start..]
        .find("</main>")
        .map_or(html.len(), |i| start + i);
    &html[start..end]
}

/// (href, text) of every link to a report page, in document order.
fn report_links(html: &str) -> Vec<(String, String)> {
    let re = regex::Regex::new(r#"<a\b[^>]*\bhref="([^"]*)"[^>]*>([^<]*)</a>"#).unwrap();
    re.captures_iter(&unescape(html))
        .map(|c| (c[1].to_string(), c[2].trim().to_string()))
        .filter(|(href, _)| href.contains("reports/") && !href.ends_with("reports/index.html"))
        .collect()
}

/// Text of the first `<h1>`, without nested markup such as the count.
fn h1_text(html: &str) -> String {
    let re = regex::Regex::new(r"(?s)<h1[^>]*>(.*?)</h1>").unwrap();
    let inner = re
        .captures(html)
        .map(|c| c[1].to_string())
        .unwrap_or_default();
    let tags = regex::Regex::new(r"(?s)<small.*?</small>|<[^>]+>").unwrap();
    unescape(tags.replace_all(&inner, "").trim())
}

/// Pages `<dir>/*/index.html` whose `<h1>` is one of `names`: name -> main element.
fn pages_named(dir: &Path, names: &BTreeSet<String>) -> BTreeMap<String, Vec<String>> {
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let page = entry.unwrap().path().join("index.html");
        if !page.is_file() {
            continue;
        }
        let html = fs::read_to_string(&page).unwrap();
        let main = main_of(&html).to_string();
        let title = h1_text(&main);
        if names.contains(&title) {
            found.entry(title).or_default().push(main);
        }
    }
    found
}

#[test]
fn digest_counts_match_the_printed_contents() {
    let reports = load_reports(&repo());
    assert_eq!(reports.len(), 119, "report files in content/reports");
    assert_eq!(CONTENTS.len(), 119);
    assert_eq!(
        PILOTS_PER_CITY.iter().map(|(_, n)| n).sum::<usize>(),
        119,
        "the expected table itself"
    );

    // Every printed entry has exactly one report, with the facts the contents gives.
    let mut position: HashMap<u32, u32> = HashMap::new();
    for &(page, city, county, town) in CONTENTS {
        let pos = position.entry(page).or_insert(0);
        let matches: Vec<&Report> = reports
            .iter()
            .filter(|r| r.str("town") == town && r.str("county") == county)
            .collect();
        assert_eq!(matches.len(), 1, "{county}{town}: reports found");
        let r = matches[0];
        let (section, level) = match page {
            6 => ("特别报道", "省级试点"),
            10..=28 => ("重点报道", "市、县(市、区)级试点"),
            _ => ("速写", "县(市、区)级试点"),
        };
        let source = format!("《浙江工运》2018年第5-6期 第{page}页");
        let want: [(&str, &str); 4] = [
            ("city", city),
            ("section", section),
            ("level", level),
            ("source", &source),
        ];
        for (key, value) in want {
            assert_eq!(r.str(key), value, "{}: {key}", r.path.display());
        }
        let weight = r.fm.get("weight").and_then(|w| w.as_u64());
        assert_eq!(
            weight,
            Some(u64::from(page * 10 + *pos)),
            "{}: weight",
            r.path.display()
        );
        let date = r.fm.get("date").map(|d| match d {
            serde_yaml_ng::Value::String(s) => s.clone(),
            other => format!("{other:?}"),
        });
        assert_eq!(
            date.as_deref(),
            Some("2018-12-10"),
            "{}: date",
            r.path.display()
        );
        *pos += 1;
    }

    // Pilots per city, from the front matter.
    let mut per_city: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &reports {
        *per_city.entry(r.str("city")).or_default() += 1;
    }
    let expected: BTreeMap<&str, usize> = PILOTS_PER_CITY.iter().copied().collect();
    assert_eq!(per_city, expected, "pilots per city in the front matter");

    // No report without tactics (2 to 6 each).
    for r in &reports {
        let n = r.tactics().len();
        assert!(
            (2..=6).contains(&n),
            "{}: {n} tactics (want 2 to 6)",
            r.path.display()
        );
    }
}

#[test]
fn built_digest_has_one_page_per_report_city_and_tactic_and_no_warnings() {
    let (site, stderr) = built_digest();
    assert!(
        !stderr.to_lowercase().contains("warning"),
        "the digest builds with warnings:\n{stderr}"
    );
    let reports = load_reports(site.root());
    let out = site.root().join("output");

    // 119 report pages.
    let report_pages = fs::read_dir(out.join("reports"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().join("index.html").is_file())
        .count();
    assert_eq!(report_pages, 119, "output/reports/*/index.html");

    // 11 city pages, each listing that city's pilots.
    let cities: BTreeSet<String> = PILOTS_PER_CITY.iter().map(|(c, _)| c.to_string()).collect();
    let city_pages = pages_named(&out.join("cities"), &cities);
    assert_eq!(
        city_pages.keys().cloned().collect::<BTreeSet<_>>(),
        cities,
        "city pages"
    );
    for (city, want) in PILOTS_PER_CITY {
        let pages = &city_pages[*city];
        assert_eq!(pages.len(), 1, "{city}: one page");
        let listed: BTreeSet<String> = report_links(&pages[0])
            .into_iter()
            .map(|(href, _)| href)
            .collect();
        assert_eq!(listed.len(), *want, "{city}: reports on its page");
    }

    // One page per tactic used, listing the reports that use it.
    let mut used: BTreeMap<String, usize> = BTreeMap::new();
    for r in &reports {
        for t in r.tactics() {
            *used.entry(t).or_default() += 1;
        }
    }
    let names: BTreeSet<String> = config_keys(&site_config(), "tactics")
        .into_iter()
        .chain(used.keys().cloned())
        .collect();
    let tactic_pages = pages_named(&out.join("tactics"), &names);
    assert_eq!(
        tactic_pages.keys().cloned().collect::<BTreeSet<_>>(),
        used.keys().cloned().collect::<BTreeSet<_>>(),
        "tactic pages vs tactics used"
    );
    for (tactic, n) in &used {
        let pages = &tactic_pages[tactic];
        assert_eq!(pages.len(), 1, "{tactic}: one page");
        let listed: BTreeSet<String> = report_links(&pages[0])
            .into_iter()
            .map(|(href, _)| href)
            .collect();
        assert_eq!(listed.len(), *n, "{tactic}: reports on its page");
    }
}

#[test]
fn contents_page_follows_the_printed_contents() {
    let (site, _) = built_digest();
    let reports = load_reports(site.root());
    // Link text is the report title; titles are unique, so they identify the report.
    let by_title: HashMap<&str, &Report> = reports.iter().map(|r| (r.str("title"), r)).collect();
    assert_eq!(by_title.len(), reports.len(), "report titles are unique");

    let html = site.out("contents/index.html");
    let order: Vec<String> = report_links(main_of(&html))
        .into_iter()
        .map(|(href, text)| {
            let r = by_title
                .get(text.as_str())
                .unwrap_or_else(|| panic!("contents links {href} with unknown text {text:?}"));
            format!("{}{}", r.str("county"), r.str("town"))
        })
        .collect();
    let expected: Vec<String> = CONTENTS
        .iter()
        .map(|(_, _, county, town)| format!("{county}{town}"))
        .collect();
    assert_eq!(
        order, expected,
        "order of report links on contents/index.html"
    );
}

#[test]
fn tactics_and_metrics_are_declared_in_site_yaml() {
    let config = site_config();
    let vocabulary = config_keys(&config, "tactics");
    let registry = config_keys(&config, "metrics");
    for r in load_reports(&repo()) {
        for t in r.tactics() {
            assert!(
                vocabulary.contains(&t),
                "{}: tactic {t} not in site.yaml",
                r.path.display()
            );
        }
        if let Some(metrics) = r.fm.get("metrics").and_then(|m| m.as_mapping()) {
            for (key, value) in metrics {
                let key = key.as_str().unwrap_or_default();
                assert!(
                    registry.contains(key),
                    "{}: metric {key} not in site.yaml",
                    r.path.display()
                );
                assert!(
                    value.is_number() || value.is_null(),
                    "{}: metric {key} is not a number: {value:?}",
                    r.path.display()
                );
            }
        }
    }
}

/// NFKC-folded, with everything but letters and digits removed: a comma's width, a line break
/// or a space can no longer hide a copy.
fn fold(text: &str) -> String {
    text.nfkc().filter(|c| c.is_alphanumeric()).collect()
}

/// Opening and closing marks of the quoted spans that are left out of the comparison: names,
/// slogans and titles carry over from the seeds as they are.
const QUOTES: &[(char, char)] = &[
    ('“', '”'),
    ('《', '》'),
    ('「', '」'),
    ('『', '』'),
    ('‘', '’'),
];

/// The text outside quoted spans, as separate segments (a window never spans a quotation). An
/// opening mark without its closing mark on the same paragraph quotes nothing.
fn unquoted(text: &str) -> Vec<String> {
    let mut segments = vec![String::new()];
    let mut rest = text;
    while let Some((i, open)) = rest
        .char_indices()
        .find(|(_, c)| QUOTES.iter().any(|q| q.0 == *c))
    {
        let close = QUOTES.iter().find(|q| q.0 == open).map(|q| q.1).unwrap();
        let after = &rest[i + open.len_utf8()..];
        let para_end = after.find("\n\n").unwrap_or(after.len());
        match after[..para_end].find(close) {
            Some(j) => {
                segments.last_mut().unwrap().push_str(&rest[..i]);
                segments.push(String::new());
                rest = &after[j + close.len_utf8()..];
            }
            None => {
                segments
                    .last_mut()
                    .unwrap()
                    .push_str(&rest[..i + open.len_utf8()]);
                rest = after;
            }
        }
    }
    segments.last_mut().unwrap().push_str(rest);
    segments
        .into_iter()
        .map(|s| fold(&s))
        .filter(|s| !s.is_empty())
        .collect()
}

/// The text a reader sees: Markdown markers (headings, quotes, list bullets, emphasis, code)
/// dropped so that they cannot split a copied run.
fn plain(markdown: &str) -> String {
    let bullet = regex::Regex::new(r"^\s*(?:#{1,6}\s|>\s?|[-*+]\s|\d+[.)]\s)").unwrap();
    markdown
        .lines()
        .map(|line| {
            let line = bullet.replace(line, "");
            line.replace(['*', '_', '`'], "")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The `n`-character windows of `s`, as (first char index, text).
fn windows(s: &str, n: usize) -> impl Iterator<Item = (usize, &str)> {
    let bounds: Vec<usize> = s
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(s.len()))
        .collect();
    (0..(bounds.len() - 1).saturating_sub(n - 1)).map(move |i| (i, &s[bounds[i]..bounds[i + n]]))
}

/// Every `n`-character window of the seeds, each seed folded on its own (no window spans two).
fn seed_grams(seeds: &[String], n: usize) -> HashSet<&str> {
    seeds
        .iter()
        .flat_map(|s| windows(s, n).map(|(_, w)| w))
        .collect()
}

/// How close one text is to the seeds.
#[derive(Debug, Default)]
struct Closeness {
    /// Characters outside quoted spans.
    chars: usize,
    /// Of those, characters inside an `SHARE_WINDOW` window that also stands in a seed.
    shared: usize,
    /// `COPY_RUN`-character runs that stand in a seed.
    runs: Vec<String>,
}

impl Closeness {
    fn of(text: &str, long: &HashSet<&str>, short: &HashSet<&str>) -> Closeness {
        let mut c = Closeness::default();
        for seg in unquoted(text) {
            let len = seg.chars().count();
            c.chars += len;
            let mut covered = vec![false; len];
            for (i, w) in windows(&seg, SHARE_WINDOW) {
                if short.contains(w) {
                    covered[i..i + SHARE_WINDOW]
                        .iter_mut()
                        .for_each(|x| *x = true);
                }
            }
            c.shared += covered.iter().filter(|x| **x).count();
            let mut last_hit = None;
            for (i, w) in windows(&seg, COPY_RUN) {
                // One entry per run of overlapping windows.
                if long.contains(w) {
                    if last_hit.is_none_or(|l: usize| i > l + COPY_RUN) {
                        c.runs.push(w.to_string());
                    }
                    last_hit = Some(i);
                }
            }
        }
        c
    }

    fn share(&self) -> f64 {
        if self.chars == 0 {
            0.0
        } else {
            self.shared as f64 / self.chars as f64
        }
    }
}

/// The seeds folder: `$CASEBOOK_SEEDS`, else `shared/seeds` beside the repository or beside one
/// of its ancestors (a CI clone may sit deeper than the working copy).
fn seeds_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CASEBOOK_SEEDS") {
        return PathBuf::from(dir);
    }
    let repo = repo();
    repo.ancestors()
        .skip(1)
        .map(|a| a.join("shared/seeds"))
        .find(|d| d.is_dir())
        .unwrap_or_else(|| {
            panic!(
                "the seeds folder was not found (looked for shared/seeds beside {} and its \
                 ancestors; set CASEBOOK_SEEDS): the own-words rules cannot be checked without it",
                repo.display()
            )
        })
}

/// Every seed, folded.
fn folded_seeds() -> Vec<String> {
    let dir = seeds_dir();
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 5,
        "expected the five seeds in {}",
        dir.display()
    );
    files
        .iter()
        .map(|p| fold(&fs::read_to_string(p).unwrap()))
        .collect()
}

/// Every Markdown file of the digest's content with its summary and body, as a reader sees them.
fn digest_texts() -> Vec<(String, String)> {
    let mut texts = Vec::new();
    for path in markdown_files(&repo().join("content")) {
        if path.file_name().is_some_and(|n| n == "README.md") {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap();
        let (fm, body) = split_front_matter(&path, &text);
        let summary = fm.get("summary").and_then(|v| v.as_str()).unwrap_or("");
        let name = path.strip_prefix(repo()).unwrap().display().to_string();
        texts.push((name, format!("{summary}\n\n{}", plain(&body))));
    }
    texts
}

#[test]
fn digest_is_in_our_own_words() {
    let seeds = folded_seeds();
    let long = seed_grams(&seeds, COPY_RUN);
    let short = seed_grams(&seeds, SHARE_WINDOW);
    let texts = digest_texts();
    assert!(texts.len() >= 119 + 4, "reports and pages read");

    let mut rows: Vec<(f64, String, Closeness)> = texts
        .iter()
        .map(|(name, text)| {
            let c = Closeness::of(text, &long, &short);
            (c.share(), name.clone(), c)
        })
        .collect();
    rows.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mean = rows.iter().map(|r| r.0).sum::<f64>() / rows.len() as f64;
    // The whole table, for editors rewriting a file (`-- --nocapture`).
    eprintln!("share of characters in shared {SHARE_WINDOW}-character windows (mean {mean:.3}):");
    for (share, name, c) in &rows {
        eprintln!("{share:.3} {:>2} run(s) {name}", c.runs.len());
    }

    let mut problems = Vec::new();
    for (share, name, c) in &rows {
        for run in &c.runs {
            problems.push(format!(
                "{name}: {COPY_RUN}+ characters shared with a seed: {run}"
            ));
        }
        if *share > MAX_SHARE {
            problems.push(format!(
                "{name}: {:.0}% of its characters lie in {SHARE_WINDOW}-character windows shared \
                 with a seed (at most {:.0}%)",
                share * 100.0,
                MAX_SHARE * 100.0
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "the digest is not in our own words ({} problems):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn own_words_rules_catch_copies_and_spare_quotes() {
    let seed = fold("改革是推进工会工作创新发展的根本要求，基层工会是工会改革的重点和关键。");
    let seeds = vec![seed];
    let long = seed_grams(&seeds, COPY_RUN);
    let short = seed_grams(&seeds, SHARE_WINDOW);

    // A lifted run is found across punctuation, full-width forms and line breaks.
    let lifted = Closeness::of(
        "他说:改革是推进工会工作\n创新发展的, 根本要求。",
        &long,
        &short,
    );
    assert_eq!(lifted.runs.len(), 1, "{lifted:?}");
    // Our own words share nothing.
    let own = Closeness::of(
        "他说改革是工会创新发展的根本，基层工会是重点。",
        &long,
        &short,
    );
    assert!(own.runs.is_empty() && own.shared == 0, "{own:?}");
    // A quoted span is left out: quoting the sentence is not copying it.
    let quoted = Closeness::of(
        "卷首语写道：“改革是推进工会工作创新发展的根本要求”。",
        &long,
        &short,
    );
    assert!(quoted.runs.is_empty() && quoted.shared == 0, "{quoted:?}");
    // An unclosed quotation mark quotes nothing.
    let unclosed = Closeness::of(
        "“改革是推进工会工作创新发展的根本要求\n\n下文",
        &long,
        &short,
    );
    assert_eq!(unclosed.runs.len(), 1, "{unclosed:?}");
    // The share: 8 of 12 characters sit in a shared window.
    let close = Closeness::of("基层工会是工会改革甲乙丙丁", &long, &short);
    assert_eq!((close.chars, close.shared), (13, 9), "{close:?}");
    assert_eq!(
        fold(&plain("## 标题\n- **加粗**项")),
        fold("标题\n加粗项"),
        "markdown markers are dropped"
    );
}
