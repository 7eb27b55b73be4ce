//! Issue 14: a site in any language. The English fixture's interface carries no Han character,
//! counts inflect with the nouns of site.yaml ("1 case", "2 cases"), the language reaches the
//! pages, and a
//! site's theme can override one string.

use super::util::*;
use crate::harness::Site;

fn han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
        || matches!(
            c,
            '，' | '。' | '：' | '；' | '、' | '（' | '）' | '“' | '”'
        )
}

#[test]
fn an_english_site_has_no_chinese_in_its_pages_feed_or_sitemap() {
    let site = Site::fixture("build/english");
    site.build_ok();
    let out = out_dir(&site);
    let mut checked = 0;
    for (rel, bytes) in snapshot(&out) {
        if !(rel.ends_with(".html") || rel.ends_with(".xml") || rel.ends_with(".css")) {
            continue;
        }
        let text = String::from_utf8_lossy(&bytes);
        if let Some((i, c)) = text.char_indices().find(|&(_, c)| han(c)) {
            let from = text[..i].char_indices().rev().nth(40).map_or(0, |(j, _)| j);
            panic!("{rel}: `{c}` in …{}…", &text[from..(i + c.len_utf8())]);
        }
        checked += 1;
    }
    assert!(checked > 20, "only {checked} files checked");
    let home = site.out("index.html");
    assert!(home.contains("<html lang=\"en\">"), "{home}");
}

#[test]
fn english_counts_inflect_and_chinese_ones_do_not() {
    let site = Site::fixture("build/english");
    site.build_ok();
    assert!(site
        .out("cities/leeds/index.html")
        .contains("<small class=\"count\">2 cases</small>"));
    assert!(site
        .out("cities/bristol/index.html")
        .contains("<small class=\"count\">1 case</small>"));
    let print = site.out("print/index.html");
    assert!(print.contains("3 cases · 2 cities · 2 boroughs"), "{print}");

    let zh = Site::fixture("build/site");
    zh.build_ok();
    let city = zh.out("cities/ning-bo-shi/index.html");
    assert!(
        city.contains("<small class=\"count\">1 篇</small>"),
        "{city}"
    );
}

#[test]
fn a_site_theme_overrides_one_string_and_the_rest_stay() {
    let site = Site::fixture("build/english");
    site.write(
        "themes/default/strings/en.yaml",
        "nav.feed: \"News feed\"\n",
    );
    site.build_ok();
    let home = site.out("index.html");
    assert!(home.contains(">News feed</a>"), "{home}");
    assert!(home.contains(">Contents</a>"), "{home}");
}

#[test]
fn a_language_without_strings_falls_back_to_its_base_language() {
    let site = Site::fixture("build/english");
    let yaml = std::fs::read_to_string(site.root().join("site.yaml")).unwrap();
    site.write(
        "site.yaml",
        &yaml.replace("language: en", "language: en-GB"),
    );
    site.build_ok();
    assert!(site.out("index.html").contains(">Contents</a>"));
    assert!(site.out("index.html").contains("<html lang=\"en-GB\">"));
}
