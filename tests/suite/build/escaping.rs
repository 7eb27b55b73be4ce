//! Every value from content that reaches HTML or XML is escaped; raw HTML written in a Markdown
//! body is the editor's own and passes through.

use super::util::*;
use crate::harness::Site;

const SCRIPT: &str = "<script>alert(1)</script>";
const QUOTE: &str = r#"x" onmouseover="alert(2)"#;

/// A site whose report carries hostile values in every field that is shown.
fn hostile() -> Site {
    let site = Site::new();
    site.write(
        "content/reports/x.md",
        &format!(
            "---\n\
             title: '{SCRIPT}'\n\
             town: '{SCRIPT}'\n\
             county: '{SCRIPT}'\n\
             city: 杭州市\n\
             section: 速写\n\
             tactics: ['{SCRIPT}', 网格化管理]\n\
             summary: '{SCRIPT} {QUOTE}'\n\
             author: '{SCRIPT}'\n\
             source: '{SCRIPT}'\n\
             date: 2018-12-10\n\
             ---\n\n\
             正文<span class=\"raw-span\">原样</span>。\n\n\
             <aside class=\"editor-box\">编辑的 HTML</aside>\n"
        ),
    );
    site.report("y", "另一篇", "塘栖镇", "杭州市", &["网格化管理"]);
    site
}

#[test]
fn hostile_values_render_as_text_everywhere() {
    let site = hostile();
    site.build_ok();
    let files = snapshot(&out_dir(&site));
    let mut pages = 0;
    for (rel, bytes) in &files {
        if !(rel.ends_with(".html") || rel.ends_with(".xml")) {
            continue;
        }
        pages += 1;
        let text = String::from_utf8_lossy(bytes);
        assert!(
            !text.contains(SCRIPT),
            "{rel} contains a live <script> from content"
        );
        assert!(
            !text.contains(r#"onmouseover="alert(2)""#),
            "{rel} lets a quote end an attribute"
        );
    }
    assert!(pages > 10);

    // The values are still there, as text: on the report page, in listings and in the feed.
    let report = site.out("reports/x/index.html");
    let t = text(main_of(&report));
    assert!(
        t.matches(SCRIPT).count() >= 4,
        "title, town, county, tactic, summary: {t}"
    );
    assert!(t.contains(QUOTE), "{t}");
    for listing in [
        "cities/hang-zhou-shi/index.html",
        "tactics/wang-ge-hua-guan-li/index.html",
        "contents/index.html",
        "tactics/index.html",
    ] {
        let html = site.out(listing);
        assert!(
            text(main_of(&html)).contains(SCRIPT),
            "{listing} lost the value:\n{html}"
        );
    }
    // The hostile tactic has an ASCII page of its own.
    let tactic = files
        .keys()
        .find(|k| k.starts_with("tactics/script") && k.ends_with("/index.html"))
        .unwrap_or_else(|| panic!("no page for the tactic: {:?}", files.keys()));
    assert!(tactic.is_ascii());

    let atom = site.out("atom.xml");
    let doc = roxmltree::Document::parse(&atom).expect("feed stays well-formed XML");
    let titles: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("entry"))
        .filter_map(|e| e.children().find(|c| c.has_tag_name("title"))?.text())
        .collect();
    assert!(titles.contains(&SCRIPT), "{titles:?}");

    let json: serde_json::Value =
        serde_json::from_str(&site.out("data/reports.json")).expect("export stays valid JSON");
    let x = json
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["slug"] == "x")
        .unwrap();
    assert_eq!(x["title"], SCRIPT);
    assert_eq!(x["summary"], format!("{SCRIPT} {QUOTE}"));
}

#[test]
fn raw_html_in_a_body_passes_through() {
    let site = hostile();
    site.build_ok();
    let html = site.out("reports/x/index.html");
    assert!(
        html.contains(r#"<span class="raw-span">原样</span>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<aside class="editor-box">编辑的 HTML</aside>"#),
        "{html}"
    );
}
