use super::*;

/// The body as a report page shows it.
fn on_report(body: &Body) -> String {
    body.html
        .for_page(&Route::Report("here"), &Media::default())
}

#[test]
fn chinese_headings_get_unique_stable_ids() {
    let body = render("## 制度与时代“合拍”\n\ntext\n\n## 制度与时代“合拍”\n", 1);
    assert_eq!(body.headings[0].id, "制度与时代-合拍");
    assert_eq!(body.headings[1].id, "制度与时代-合拍-1");
    let html = on_report(&body);
    assert!(html.contains(r#"<h2 id="制度与时代-合拍">"#), "{html}");
}

#[test]
fn tables_footnotes_strikethrough() {
    let body = render(
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n~~x~~ y[^1]\n\n[^1]: note\n",
        1,
    );
    let html = on_report(&body);
    assert!(html.contains("<table>"));
    assert!(html.contains("<del>x</del>"));
    assert!(html.contains("footnote"));
}

#[test]
fn internal_links_are_rewritten_and_positioned() {
    let body = render("first\n\nsee [三墩](@/reports/sandun.md#a)\n", 5);
    let html = on_report(&body);
    assert!(
        html.contains(r#"href="../../reports/sandun/index.html#a""#),
        "{html}"
    );
    // On a page one folder deep the same link is one `../` shorter: bodies keep routes.
    let on_print = body.html.for_page(&Route::Print, &Media::default());
    assert!(
        on_print.contains(r#"href="../reports/sandun/index.html#a""#),
        "{on_print}"
    );
    assert_eq!(body.links[0].line, 7);
    assert_eq!(body.links[0].col, 5);
}

#[test]
fn plain_text_has_block_breaks() {
    let body = render("# 标题\n\n一段**加粗**文字\n", 1);
    assert_eq!(body.text, "标题\n\n一段加粗文字");
}

#[test]
fn plain_text_keeps_line_breaks_and_table_cells() {
    let md =
        "## 做法\n\n一行\n二行\n\n| 指标 | 数值 |\n| --- | --- |\n| 入会率 | 93% |\n\n- 甲\n- 乙\n";
    assert_eq!(
        render(md, 1).text,
        "做法\n\n一行\n二行\n\n指标 | 数值\n\n入会率 | 93%\n\n甲\n\n乙"
    );
}

#[test]
fn in_print_report_links_become_anchors_and_page_links_stay_relative() {
    let body = render(
        "[a](@/reports/sandun#x) [b](https://e.org) [c](@/pages/about)",
        1,
    );
    assert_eq!(
        body.html.for_print(&Route::Print, &Media::default()),
        "<p><a href=\"#report-sandun\">a</a> <a href=\"https://e.org\">b</a> \
         <a href=\"../pages/about/index.html\">c</a></p>\n"
    );
}

#[test]
fn regression_twenty_thousand_equal_headings_get_ids_h_to_h_19999() {
    let body = render(&"## h\n".repeat(20_000), 1);
    let ids: Vec<&str> = body.headings.iter().map(|h| h.id.as_str()).collect();
    let expected: Vec<String> = std::iter::once("h".to_string())
        .chain((1..20_000).map(|n| format!("h-{n}")))
        .collect();
    assert_eq!(ids, expected);
}

#[test]
fn heading_ids_skip_suffixes_given_explicitly() {
    let body = render("## h {#h-2}\n\n## h\n\n## h\n\n## h\n\n## h-1\n", 1);
    let ids: Vec<&str> = body.headings.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids, ["h-2", "h", "h-1", "h-3", "h-1-1"]);
}

#[test]
fn bundle_images_become_figures_and_files_resolve_from_every_page() {
    let src = "文字。\n\n![甲&乙 <丙>](<照片 1.jpg> \"说明 <b>&\")\n\n行内 ![小](a.png) 图，\
               [附件](table.pdf#page=2) 与 [外部](https://e.org/x.pdf) 和 [本页](#top)。\n";
    let body = render_in(src, 3, Some("reports/sandun/"));
    let media = Media::default();
    let page = body.html.for_page(&Route::Report("sandun"), &media);
    // Alone in its paragraph: a figure instead of the paragraph, alt and caption escaped, the
    // file name escaped for a URL.
    assert!(
        page.contains(
            "<figure class=\"photo\"><img src=\"../../reports/sandun/%E7%85%A7%E7%89%87%201.jpg\" \
             alt=\"甲&amp;乙 &lt;丙&gt;\" loading=\"lazy\" decoding=\"async\">\
             <figcaption>说明 &lt;b&gt;&amp;</figcaption></figure>"
        ),
        "{page}"
    );
    assert!(!page.contains("<p><figure"));
    // Inline in text: no figure.
    assert!(page.contains("行内 <img src=\"../../reports/sandun/a.png\" alt=\"小\""));
    assert!(page.contains("<a href=\"../../reports/sandun/table.pdf#page=2\">附件</a>"));
    assert!(page.contains("<a href=\"https://e.org/x.pdf\">外部</a>"));
    // Resolved from the print edition, one folder up.
    let print = body.html.for_print(&Route::Print, &media);
    assert!(print.contains("<a href=\"../reports/sandun/table.pdf#page=2\">"));
    assert!(print.contains("src=\"../reports/sandun/a.png\""));
    // Bundle files are assets with positions, not links for `check` to resolve.
    let names: Vec<(&str, bool, usize, usize)> = body
        .assets
        .iter()
        .map(|a| (a.name.as_str(), a.image, a.line, a.col))
        .collect();
    assert_eq!(
        names,
        [
            ("照片 1.jpg", true, 5, 1),
            ("a.png", true, 7, 4),
            ("table.pdf", false, 7, 18)
        ]
    );
    assert!(body.links.iter().all(|l| !l.dest.contains("table.pdf")));
    assert_eq!(body.html.images().collect::<Vec<_>>().len(), 2);
}

#[test]
fn a_page_without_a_bundle_keeps_its_links_and_notes_its_images() {
    let body = render("![照片](photo.jpg)\n\n[文件](table.pdf)\n", 1);
    assert_eq!(body.assets.len(), 1);
    assert!(body.assets[0].image);
    assert_eq!(body.links[0].dest, "table.pdf");
    let page = on_report(&body);
    assert!(
        page.contains("<img src=\"photo.jpg\" alt=\"照片\" />"),
        "{page}"
    );
}

#[test]
fn a_lean_body_is_parsed_again_from_its_file_and_refuses_a_changed_one() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.md");
    let text = "---\ntitle: 题\n---\n\n## 做法\n\n正文见[另一篇](@/reports/b.md)。\n";
    std::fs::write(&file, text).unwrap();
    let whole = render("\n## 做法\n\n正文见[另一篇](@/reports/b.md)。\n", 4);
    let lean = whole.clone().lean(Origin {
        file: file.clone(),
        bundle: None,
    });
    assert!(lean.text.is_empty() && lean.html.is_empty());
    assert_eq!(lean.headings.len(), 1);
    assert_eq!(lean.text_chars, whole.text_chars);
    let again = lean.whole().unwrap();
    assert_eq!(again.text, whole.text);
    assert_eq!(lean.whole_text().unwrap(), whole.text);
    let media = crate::media::Media::default();
    let on = Route::Report("a");
    assert_eq!(
        again.html.for_page(&on, &media),
        whole.html.for_page(&on, &media)
    );
    // An editor saves the file while the build runs: its body is not the one the model read.
    std::fs::write(&file, text.replace("正文", "新的正文")).unwrap();
    let err = lean.whole().unwrap_err().to_string();
    assert!(err.contains("changed while the build ran"), "{err}");
    assert!(lean.whole_text().is_err());
}
