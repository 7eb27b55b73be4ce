//! All or nothing: a failed build leaves the previous output byte for byte, a rebuild leaves no
//! stale page behind, and nothing is written outside the output folder.

use super::util::*;
use crate::harness::Site;

#[test]
fn failed_build_leaves_previous_output_byte_for_byte() {
    let site = fixture_site();
    site.build_ok();
    let before = snapshot(&out_dir(&site));
    assert!(before.contains_key("reports/sandun/index.html"));

    // Change a report (so a successful build would differ) and break another.
    site.report(
        "hangzhou/sandun",
        "改过的标题",
        "三墩镇",
        "杭州市",
        &["志愿服务"],
    );
    site.write("content/reports/broken.md", "---\ntitle: [\n---\n");
    site.build_err();
    assert_eq!(
        snapshot(&out_dir(&site)),
        before,
        "output changed by a failed build"
    );
    assert_eq!(
        tree(site.root(), "output"),
        tree(
            &crate::harness::repo().join("tests/fixtures/build/site"),
            ""
        )
        .into_iter()
        .chain(["content/reports/broken.md".to_string()])
        .collect(),
        "a failed build left files beside the output"
    );
}

#[test]
fn rebuild_after_deleting_a_report_leaves_no_stale_page() {
    let site = fixture_site();
    site.build_ok();
    assert!(site.out_exists("reports/xikou/index.html"));
    assert!(site.out_exists("cities/ning-bo-shi/index.html"));

    std::fs::remove_file(site.root().join("content/reports/ningbo/xikou.md")).unwrap();
    site.build_ok();
    assert!(!site.out_exists("reports/xikou"), "stale report page");
    // 宁波市 had only that report: its city page goes too, and nothing links to either.
    assert!(!site.out_exists("cities/ning-bo-shi"), "stale city page");
    for (rel, bytes) in snapshot(&out_dir(&site)) {
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("reports/xikou/"),
            "{rel} still links the deleted report"
        );
    }
    assert_links_resolve(&out_dir(&site));
}

#[test]
fn nothing_is_written_outside_the_output_folder() {
    let site = fixture_site();
    let before = tree(site.root(), "output");
    site.build_ok();
    site.build_ok(); // the second build swaps out an existing output
    assert_eq!(
        tree(site.root(), "output"),
        before,
        "files appeared beside the output"
    );

    // With --output elsewhere, the site root is untouched and the output's folder holds only it.
    let elsewhere = Site::new();
    let target = elsewhere.root().join("public");
    let (code, stderr) = run(&site, &["build", "--output", target.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(target.join("index.html").is_file());
    assert_eq!(tree(elsewhere.root(), "public"), Default::default());
    assert_eq!(tree(site.root(), "output"), before);
}

#[test]
fn output_folder_holds_only_the_site() {
    let site = fixture_site();
    // Stray files in an old output are not carried over: the folder is replaced, not patched.
    site.write("output/stale.html", "old");
    site.write("output/reports/gone/index.html", "old");
    site.build_ok();
    assert!(!site.out_exists("stale.html"));
    assert!(!site.out_exists("reports/gone"));
}
