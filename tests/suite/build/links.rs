//! Every link of the built site works from disk (`file://`) and under a sub-path: a walker reads
//! every `href`, `src` and `action` of every page and resolves it against the output tree.

use std::path::Path;

use super::util::*;
use crate::harness::Site;

const BASE: &str = "https://example.org/digest/";

/// Asserts that no page links root-absolute and that the sitemap and feed use `BASE`.
fn assert_sub_path_ready(site: &Site) {
    let out = out_dir(site);
    for (rel, bytes) in snapshot(&out) {
        if !rel.ends_with(".html") {
            continue;
        }
        let html = String::from_utf8_lossy(&bytes);
        for link in links(&html) {
            assert!(
                !link.starts_with('/'),
                "{rel}: root-absolute link `{link}` breaks under {BASE}"
            );
        }
    }
    let sitemap = site.out("sitemap.xml");
    let doc = roxmltree::Document::parse(&sitemap).expect("sitemap.xml is well-formed");
    let locs: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("loc"))
        .filter_map(|n| n.text())
        .collect();
    assert!(locs.len() > 5, "{locs:?}");
    for loc in locs {
        let rel = loc
            .strip_prefix(BASE)
            .unwrap_or_else(|| panic!("sitemap entry {loc} is not under {BASE}"));
        assert!(
            out.join(rel).is_file(),
            "sitemap entry {loc}: no file {rel}"
        );
    }
    let atom = site.out("atom.xml");
    let doc = roxmltree::Document::parse(&atom).expect("atom.xml is well-formed");
    let hrefs: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("link"))
        .filter_map(|n| n.attribute("href"))
        .collect();
    assert!(hrefs.len() > 2, "{hrefs:?}");
    for href in hrefs {
        let rel = href
            .strip_prefix(BASE)
            .unwrap_or_else(|| panic!("feed link {href} is not under {BASE}"));
        assert!(out.join(rel).is_file(), "feed link {href}: no file {rel}");
    }
}

#[test]
fn fixture_links_resolve_from_disk() {
    let site = fixture_site();
    site.build_ok();
    assert_links_resolve(&out_dir(&site));
}

#[test]
fn fixture_works_under_a_sub_path() {
    let site = fixture_site();
    let (code, stderr) = run(&site, &["build", "--base-url", BASE]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_links_resolve(&out_dir(&site));
    assert_sub_path_ready(&site);
}

#[test]
fn base_url_without_trailing_slash_is_joined_with_one() {
    let site = fixture_site();
    let (code, stderr) = run(&site, &["build", "--base-url", BASE.trim_end_matches('/')]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_sub_path_ready(&site);
}

#[test]
fn base_url_from_site_yaml_is_used() {
    let site = fixture_site();
    let config = std::fs::read_to_string(site.root().join("site.yaml")).unwrap();
    site.write("site.yaml", &format!("{config}\nbase_url: {BASE}\n"));
    site.build_ok();
    assert_sub_path_ready(&site);
}

/// The walker itself: a broken link, a root-absolute link, a folder link and a missing
/// fragment are each caught (so a passing walk means something).
#[test]
fn walker_catches_broken_links() {
    let site = Site::new();
    site.write(
        "output/a/index.html",
        r#"<p id="x"><a href="../b.html#x">ok</a></p>"#,
    )
    .write(
        "output/b.html",
        r#"<a id="x" href="a/index.html#x"></a><a href="a/missing.html"></a>
<a href="/a/index.html"></a><a href="a/"></a><a href="a/index.html#nope"></a>
<img src="../up.png"><a href="https://example.org/x"></a><a href="mailto:a@b.c"></a>"#,
    );
    let problems = broken_links(Path::new(&out_dir(&site)));
    let joined = problems.join("\n");
    assert_eq!(problems.len(), 5, "{joined}");
    for needle in [
        "missing.html",
        "root-absolute",
        "folder",
        "no id `nope`",
        "climbs above",
    ] {
        assert!(
            joined.contains(needle),
            "`{needle}` not reported:\n{joined}"
        );
    }
}

#[test]
fn real_digest_links_resolve_from_disk_and_under_a_sub_path() {
    let site = real_digest();
    site.build_ok();
    let out = out_dir(&site);
    // Every report file of the digest became a page.
    let sources = walkdir::WalkDir::new(site.root().join("content/reports"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .count();
    let pages = std::fs::read_dir(out.join("reports")).unwrap().count();
    assert!(sources > 100, "the digest has {sources} reports");
    assert_eq!(pages, sources);
    assert_links_resolve(&out);

    let (code, stderr) = run(&site, &["build", "--base-url", BASE]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_links_resolve(&out);
    assert_sub_path_ready(&site);
}
