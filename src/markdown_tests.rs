use super::*;

/// The body as a report page shows it.
fn on_report(body: &Body) -> String {
    body.html.for_page(&Route::Report("here"))
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
    let on_print = body.html.for_page(&Route::Print);
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
        body.html.for_print(&Route::Print),
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
