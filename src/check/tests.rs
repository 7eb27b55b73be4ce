use super::links::*;
use super::site_output::{attributes, unescape};
use super::*;

#[test]
fn link_targets_are_classified() {
    assert_eq!(Target::of("https://example.org"), None);
    assert_eq!(Target::of("mailto:a@b.c"), None);
    assert_eq!(Target::of("//cdn.example.org/x.js"), None);
    assert_eq!(
        Target::of("@/reports/hangzhou/sandun.md#网格"),
        Some(Target::Internal {
            kind: "reports".into(),
            slug: "sandun".into(),
            fragment: Some("网格".into())
        })
    );
    assert_eq!(Target::of("#a"), Some(Target::Fragment("a".into())));
    assert_eq!(Target::of("/x/"), Some(Target::Absolute("/x/".into())));
    assert_eq!(
        Target::of("../sandun/index.html"),
        Some(Target::Relative("../sandun/index.html".into()))
    );
    // A colon after a slash is not a scheme.
    assert_eq!(Target::of("a/b:c"), Some(Target::Relative("a/b:c".into())));
}

#[test]
fn relative_links_resolve_against_the_page() {
    let from = "reports/a/index.html";
    assert_eq!(
        resolve_relative(from, "../b/index.html#x").as_deref(),
        Some("reports/b/index.html")
    );
    assert_eq!(
        resolve_relative(from, "../../pages/about/").as_deref(),
        Some("pages/about/")
    );
    assert_eq!(resolve_relative(from, "../../").as_deref(), Some(""));
    assert_eq!(resolve_relative(from, "../../../x"), None);
    assert_eq!(
        resolve_relative("index.html", "%E4%B8%80.html").as_deref(),
        Some("一.html")
    );
}

#[test]
fn character_references_are_decoded() {
    assert_eq!(unescape("..&#x2F;a&#x2F;index.html"), "../a/index.html");
    assert_eq!(unescape("&#47;&amp;&lt;&quot;&#39;"), "/&<\"'");
    assert_eq!(unescape("a & b &nosuch; &#xZZ;"), "a & b &nosuch; &#xZZ;");
}

#[test]
fn attributes_are_found_and_unescaped() {
    let html =
        r#"<h2 id="a&amp;b">x</h2><a href="../x/index.html?a=1&amp;b=2">y</a><p data-id="no">"#;
    assert_eq!(attributes(html, "id").collect::<Vec<_>>(), ["a&b"]);
    assert_eq!(
        attributes(html, "href").collect::<Vec<_>>(),
        ["../x/index.html?a=1&b=2"]
    );
}

#[test]
fn template_errors_point_at_the_template_file() {
    let project = Project::new("/nonexistent-site");
    let d = template_diagnostic(
        &project,
        "default",
        "(theme)",
        "Failed to parse 'report.html': --> 3:7\n  |\n3 | {{ x\n  |       ^---\n  |\n  = expected `}}`",
    );
    assert_eq!(
        d.path,
        PathBuf::from("themes/default/templates/report.html")
    );
    assert_eq!((d.line, d.col), (3, 7));
    assert_eq!(
        d.message,
        "template `report.html` (built into casebook): Failed to parse 'report.html': expected `}}`"
    );
}

#[test]
fn links_are_decoded_as_a_browser_does_and_malformed_escapes_stay() {
    assert_eq!(percent_decode("%E4%B8%89%E5%A2%A9"), "三墩");
    assert_eq!(percent_decode("a%20b%2"), "a b%2");
    assert_eq!(percent_decode("%zz%"), "%zz%");
    // Not UTF-8 once decoded: left as written.
    assert_eq!(percent_decode("%ff.html"), "%ff.html");
}
