//! Issue 15 (part B): every report page offers GB/T 7714-2015 and APA 7 citations, and a BibTeX
//! and a CSL-JSON file to download, carried in the page as `data:` URLs (no file per report).
//!
//! The BibTeX is read back with a small parser written here (entries, brace-balanced fields,
//! the escapes undone), the CSL-JSON with serde_json; both must give back the front matter.

use std::collections::BTreeMap;

use regex::Regex;
use serde_json::Value;

use crate::harness::{unescape, Site};

/// A title with every BibTeX special character and some HTML.
const NASTY: &str = r"50% & $5 #1 a_b ^ ~ {x} \ <b>y</b>";

fn cite_site(base_url: Option<&str>) -> Site {
    let site = Site::new();
    let mut config = "title: 乡镇振兴篇\n".to_string();
    if let Some(u) = base_url {
        config.push_str(&format!("base_url: {u}\n"));
    }
    site.write("site.yaml", &config);
    site.write(
        "content/reports/full.md",
        "---\ntitle: 洋山镇：“聚人气”\ntown: 洋山镇\ncity: 舟山市\ntactics: [志愿服务]\nauthor: 何悦\ndate: 2018-12-10\n\
         source: 《浙江工运》2018年第5-6期 第79页\n---\n\n正文。\n",
    );
    site.write(
        "content/reports/bare.md",
        &format!(
            "---\ntitle: '{}'\ntown: 芝英镇\ncity: 金华市\ntactics: [志愿服务]\nsource: 浙江工人日报\n---\n\n正文。\n",
            NASTY.replace('\'', "''")
        ),
    );
    site.build_ok();
    site
}

/// The citations of a report page as plain text, by (style, what is cited), and the raw HTML
/// of each (to check escaping).
fn citations(html: &str) -> BTreeMap<(String, String), (String, String)> {
    let form = Regex::new(
        r#"(?s)<dt>([^<]+) <small>([^<]+)</small></dt>\s*<dd><p class="cite-text" id="cite-\d+">(.*?)</p>"#,
    )
    .unwrap();
    let tags = Regex::new(r"<[^>]+>").unwrap();
    form.captures_iter(html)
        .map(|c| {
            let raw = c[3].to_string();
            let text = unescape(&tags.replace_all(&raw, ""));
            ((unescape(&c[1]), c[2].to_string()), (text, raw))
        })
        .collect()
}

fn get<'a>(c: &'a BTreeMap<(String, String), (String, String)>, style: &str, of: &str) -> &'a str {
    &c.get(&(style.to_string(), of.to_string()))
        .unwrap_or_else(|| panic!("no {style} {of} citation in {c:?}"))
        .0
}

#[test]
fn gbt_and_apa_with_author_date_and_url() {
    let site = cite_site(Some("https://example.org/digest"));
    let html = site.out("reports/full/index.html");
    let c = citations(&html);
    // The citation date is a placeholder the page's script replaces with today's date.
    assert_eq!(
        get(&c, "GB/T 7714-2015", "本页"),
        "何悦. 洋山镇：“聚人气”[EB/OL]. 乡镇振兴篇, (2018-12-10)[引用日期]. \
         https://example.org/digest/reports/full/."
    );
    assert_eq!(
        get(&c, "APA 7", "本页"),
        "何悦. (2018, December 10). 洋山镇：“聚人气”. 乡镇振兴篇. https://example.org/digest/reports/full/"
    );
    assert_eq!(
        get(&c, "GB/T 7714-2015", "原刊"),
        "何悦. 洋山镇：“聚人气”[J]. 浙江工运, 2018(5/6): 79."
    );
    assert_eq!(
        get(&c, "APA 7", "原刊"),
        "何悦. (2018). 洋山镇：“聚人气”. 浙江工运, (5–6), 79."
    );
    // APA sets the page title and the journal in italics.
    let apa = &c[&("APA 7".to_string(), "本页".to_string())].1;
    assert!(apa.contains("<i>洋山镇：“聚人气”</i>"), "{apa}");
    assert!(!html.contains("本站未公布网址"));
    // One copy button per citation, pointing at it; hidden until the script can copy.
    let buttons = Regex::new(r#"<button type="button" class="button secondary cite-copy" data-copy="(cite-\d+)"[^>]* hidden>"#)
        .unwrap();
    let targets: Vec<String> = buttons
        .captures_iter(&html)
        .map(|m| m[1].to_string())
        .collect();
    assert_eq!(targets, ["cite-1", "cite-2", "cite-3", "cite-4"]);
    assert!(html.contains(r#"download="full.bib">BibTeX</a>"#), "{html}");
    assert!(
        html.contains(r#"download="full.json">CSL-JSON</a>"#),
        "{html}"
    );
    assert!(!site.root().join("output/data/cite").exists());
}

/// The file a report page's download link named `<slug>.<ext>` gives: the text of its `data:`
/// URL, which must be UTF-8 text of type `mime` in base64.
fn download(site: &Site, slug: &str, ext: &str, mime: &str) -> String {
    use base64::Engine as _;
    let html = site.out(&format!("reports/{slug}/index.html"));
    let link = Regex::new(&format!(
        r#"<a href="data:([^;"]+);charset=utf-8;base64,([A-Za-z0-9+/=]*)" download="{slug}\.{ext}">"#
    ))
    .unwrap();
    let c = link
        .captures(&html)
        .unwrap_or_else(|| panic!("no {ext} download on {slug}'s page"));
    assert_eq!(&c[1], mime);
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&c[2])
        .unwrap();
    String::from_utf8(bytes).unwrap()
}

fn bib(site: &Site, slug: &str) -> String {
    download(site, slug, "bib", "application/x-bibtex")
}

fn csl(site: &Site, slug: &str) -> String {
    download(
        site,
        slug,
        "json",
        "application/vnd.citationstyles.csl+json",
    )
}

#[test]
fn without_author_date_or_base_url() {
    let site = cite_site(None);
    let html = site.out("reports/bare/index.html");
    let c = citations(&html);
    assert_eq!(
        get(&c, "GB/T 7714-2015", "本页"),
        format!("{NASTY}[EB/OL]. 乡镇振兴篇.")
    );
    assert_eq!(
        get(&c, "APA 7", "本页"),
        format!("{NASTY}. (n.d.). 乡镇振兴篇.")
    );
    // A newspaper name is no journal issue: no citation of an original.
    assert_eq!(c.len(), 2, "{c:?}");
    // The page says why there is no URL.
    assert!(html.contains("本站未公布网址"));
    // Escaped: the title's markup is text.
    assert!(!html.contains("<b>y</b>"));
    // Without base_url no citation anywhere has a URL.
    let full = citations(&site.out("reports/full/index.html"));
    assert_eq!(
        get(&full, "GB/T 7714-2015", "本页"),
        "何悦. 洋山镇：“聚人气”[EB/OL]. 乡镇振兴篇, (2018-12-10)."
    );
    assert!(full.values().all(|(t, _)| !t.contains("http")));
}

/// A BibTeX entry: type, key, fields (names lower-cased, values with escapes undone).
#[derive(Debug)]
struct Entry {
    kind: String,
    key: String,
    fields: BTreeMap<String, String>,
}

/// Parses `@type{key, name = {value}, ...}` entries; values are brace-delimited with nesting
/// and backslash escapes, as casebook writes them. Panics on anything malformed.
fn parse_bibtex(src: &str) -> Vec<Entry> {
    let chars: Vec<char> = src.chars().collect();
    let mut i = 0;
    let mut entries = Vec::new();
    let skip_ws = |i: &mut usize| {
        while *i < chars.len() && chars[*i].is_whitespace() {
            *i += 1;
        }
    };
    let word = |i: &mut usize| {
        let start = *i;
        while *i < chars.len() && (chars[*i].is_ascii_alphanumeric() || "-_:".contains(chars[*i])) {
            *i += 1;
        }
        chars[start..*i].iter().collect::<String>()
    };
    loop {
        skip_ws(&mut i);
        if i == chars.len() {
            break;
        }
        assert_eq!(chars[i], '@', "expected @ at {i}");
        i += 1;
        let kind = word(&mut i).to_lowercase();
        assert_eq!(chars[i], '{', "expected {{ after @{kind}");
        i += 1;
        let key = word(&mut i);
        assert!(!key.is_empty(), "entry without key");
        let mut fields = BTreeMap::new();
        loop {
            skip_ws(&mut i);
            match chars[i] {
                ',' => i += 1,
                '}' => {
                    i += 1;
                    break;
                }
                _ => panic!("unexpected {:?} in entry {key}", chars[i]),
            }
            skip_ws(&mut i);
            if chars[i] == '}' {
                i += 1;
                break;
            }
            let name = word(&mut i).to_lowercase();
            skip_ws(&mut i);
            assert_eq!(chars[i], '=', "expected = after {name}");
            i += 1;
            skip_ws(&mut i);
            assert_eq!(chars[i], '{', "field {name} is not braced");
            i += 1;
            let mut depth = 1;
            let mut raw = String::new();
            while depth > 0 {
                let c = chars[i];
                i += 1;
                match c {
                    '\\' => {
                        raw.push(c);
                        raw.push(chars[i]);
                        i += 1;
                        continue;
                    }
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth > 0 {
                    raw.push(c);
                }
            }
            let value = raw
                .replace(r"\textbackslash{}", "\u{0}")
                .replace(r"\^{}", "^")
                .replace(r"\~{}", "~")
                .replace(r"\{", "{")
                .replace(r"\}", "}")
                .replace(r"\%", "%")
                .replace(r"\&", "&")
                .replace(r"\$", "$")
                .replace(r"\#", "#")
                .replace(r"\_", "_")
                .replace('\u{0}', "\\");
            assert!(fields.insert(name.clone(), value).is_none(), "{name} twice");
        }
        entries.push(Entry { kind, key, fields });
    }
    entries
}

#[test]
fn bibtex_parses_and_gives_back_the_front_matter() {
    let site = cite_site(Some("https://example.org/digest/"));
    let full = parse_bibtex(&bib(&site, "full"));
    assert_eq!(full.len(), 2);
    assert_eq!(
        (full[0].kind.as_str(), full[0].key.as_str()),
        ("online", "full")
    );
    let f = &full[0].fields;
    assert_eq!(f["author"], "何悦");
    assert_eq!(f["title"], "洋山镇：“聚人气”");
    assert_eq!(f["organization"], "乡镇振兴篇");
    assert_eq!(f["date"], "2018-12-10");
    assert_eq!(f["url"], "https://example.org/digest/reports/full/");
    assert_eq!(
        (full[1].kind.as_str(), full[1].key.as_str()),
        ("article", "full-source")
    );
    let a = &full[1].fields;
    assert_eq!(
        (
            a["journal"].as_str(),
            a["year"].as_str(),
            a["number"].as_str(),
            a["pages"].as_str()
        ),
        ("浙江工运", "2018", "5-6", "79")
    );

    // Every special character survives the round trip; fields absent from front matter are
    // absent from the entry.
    let bare = parse_bibtex(&bib(&site, "bare"));
    assert_eq!(bare.len(), 1);
    assert_eq!(bare[0].fields["title"], NASTY);
    assert!(!bare[0].fields.contains_key("author"));
    assert!(!bare[0].fields.contains_key("date"));
}

#[test]
fn csl_json_parses_with_the_right_fields() {
    let site = cite_site(Some("https://example.org/digest/"));
    let items: Value = serde_json::from_str(&csl(&site, "full")).unwrap();
    let page = &items[0];
    assert_eq!(page["id"], "full");
    assert_eq!(page["type"], "webpage");
    assert_eq!(page["title"], "洋山镇：“聚人气”");
    assert_eq!(page["author"][0]["literal"], "何悦");
    assert_eq!(page["container-title"], "乡镇振兴篇");
    assert_eq!(
        page["issued"]["date-parts"],
        serde_json::json!([[2018, 12, 10]])
    );
    assert_eq!(page["URL"], "https://example.org/digest/reports/full/");
    let article = &items[1];
    assert_eq!(article["type"], "article-journal");
    assert_eq!(article["container-title"], "浙江工运");
    assert_eq!(article["issue"], "5-6");
    assert_eq!(article["page"], "79");
    assert_eq!(article["issued"]["date-parts"], serde_json::json!([[2018]]));

    let bare: Value = serde_json::from_str(&csl(&site, "bare")).unwrap();
    assert_eq!(bare.as_array().unwrap().len(), 1);
    assert_eq!(bare[0]["title"], NASTY);
    for absent in ["author", "issued"] {
        assert!(bare[0].get(absent).is_none(), "{absent} in {}", bare[0]);
    }
    let without = cite_site(None);
    let items: Value = serde_json::from_str(&csl(&without, "full")).unwrap();
    assert!(items[0].get("URL").is_none());
}
