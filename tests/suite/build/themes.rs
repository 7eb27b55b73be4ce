//! The embedded default theme, and per-file overrides from the site's `themes/<name>/`.

use super::util::*;
use crate::harness::{repo, Site};

/// A folder with nothing but two reports.
fn bare() -> Site {
    let site = Site::new();
    site.report(
        "sandun",
        "三墩镇：网格",
        "三墩镇",
        "杭州市",
        &["网格化管理", "志愿服务"],
    );
    site.report("三墩", "中文文件名", "塘栖镇", "杭州市", &["志愿服务"]);
    site
}

#[test]
fn reports_alone_build_with_the_embedded_theme() {
    let site = bare();
    assert!(!site.root().join("site.yaml").exists() && !site.root().join("themes").exists());
    site.build_ok();
    let home = site.out("index.html");
    assert!(home.contains(r#"<html lang="zh-CN""#), "{home}");
    assert!(home.contains("案例汇编"), "default title: {home}");
    assert!(site
        .out("reports/sandun/index.html")
        .contains("三墩镇：网格"));
    // A Chinese file name becomes an ASCII slug.
    assert!(site
        .out("reports/san-dun/index.html")
        .contains("中文文件名"));
    // The stylesheet is the repository's theme, embedded in the binary.
    let css = std::fs::read(out_dir(&site).join("casebook.css")).unwrap();
    let theme_css = std::fs::read(repo().join("themes/default/static/casebook.css")).unwrap();
    assert_eq!(css, theme_css);
    assert_links_resolve(&out_dir(&site));
}

#[test]
fn an_override_replaces_one_template_and_can_extend_the_builtin() {
    let site = bare();
    site.write(
        "themes/default/templates/report.html",
        "{% extends \"builtin/report.html\" %}\
         {% block main %}<p class=\"override-marker\">本站覆盖</p>{{ super() }}{% endblock main %}",
    );
    site.write("themes/default/static/casebook.css", "/* site css */\n");
    site.build_ok();
    let report = site.out("reports/sandun/index.html");
    assert!(
        report.contains(r#"<p class="override-marker">本站覆盖</p>"#),
        "{report}"
    );
    // The built-in block is still rendered through super(), inside the built-in shell.
    assert!(text(main_of(&report)).contains("三墩镇：网格"), "{report}");
    assert_links_to(&report, "../../tactics/zhi-yuan-fu-wu/index.html");
    assert!(report.contains(r#"<html lang="zh-CN""#));
    // Other templates are untouched.
    let city = site.out("cities/hang-zhou-shi/index.html");
    assert!(!city.contains("override-marker"));
    assert!(city.contains("三墩镇：网格"));
    assert_eq!(site.out("casebook.css"), "/* site css */\n");
}

#[test]
fn the_theme_named_in_site_yaml_is_used() {
    let site = bare();
    site.write("site.yaml", "theme: plain\n");
    site.write(
        "themes/plain/templates/page.html",
        "{% extends \"builtin/page.html\" %}{% block main %}<p id=\"plain-page\"></p>{{ super() }}{% endblock main %}",
    );
    site.write(
        "themes/default/templates/page.html",
        "not used: the site names another theme",
    );
    site.write(
        "content/pages/about.md",
        "---\ntitle: 关于\n---\n\n说明。\n",
    );
    site.build_ok();
    let page = site.out("pages/about/index.html");
    assert!(page.contains(r#"<p id="plain-page"></p>"#), "{page}");
    assert!(page.contains("说明。"), "{page}");
}

#[test]
fn a_broken_override_fails_the_build_with_its_name() {
    let site = bare();
    site.write("themes/default/templates/report.html", "{% if %}");
    let stderr = site.build_err();
    assert!(stderr.contains("report.html"), "{stderr}");
    assert!(!out_dir(&site).exists());
}
