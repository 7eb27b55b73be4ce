//! Issue 16: news items (`content/news/*.md`) — follow-ups from the press that name the reports
//! they concern — get an index, a page each, a place on those reports' pages, the feed and the
//! sitemap; a slug that names no report is an error with the closest one.

use crate::harness::Site;

const ITEM: &str = "---\ntitle: 三墩<b>后续</b>\ndate: 2018-06\nsource: 浙江工人日报\n\
                    reports: [sandun, xikou]\ntactics: [网格化]\nsummary: 一段摘要。\n---\n\n\
                    正文，见[三墩](@/reports/sandun.md)。\n";

fn site_with_news(item: &str) -> Site {
    let site = Site::fixture("build/site");
    site.write("content/news/sandun-followup.md", item);
    site
}

#[test]
fn news_items_get_an_index_a_page_and_a_place_on_their_reports_pages() {
    let site = site_with_news(ITEM);
    site.build_ok();

    let index = site.out("news/index.html");
    assert!(
        index.contains("href=\"../news/sandun-followup/index.html\""),
        "{index}"
    );
    assert!(
        index.contains("三墩&lt;b&gt;后续&lt;/b&gt;"),
        "title escaped: {index}"
    );
    assert!(!index.contains("<b>后续"), "markup from content: {index}");

    let page = site.out("news/sandun-followup/index.html");
    for report in ["sandun", "xikou"] {
        let href = format!("href=\"../../reports/{report}/index.html\"");
        assert!(page.contains(&href), "{href} missing: {page}");
    }
    assert!(
        page.contains("浙江工人日报") && page.contains("2018-06"),
        "{page}"
    );
    // The alias 网格化 is shown by its vocabulary name and links to the tactic.
    assert!(page.contains(">网格化管理<"), "{page}");

    for report in ["sandun", "xikou"] {
        let html = site.out(&format!("reports/{report}/index.html"));
        assert!(
            html.contains("href=\"../../news/sandun-followup/index.html\""),
            "{report}'s page does not name its follow-up"
        );
    }
    let other = site.out("reports/tangqi/index.html");
    assert!(
        !other.contains("news/sandun-followup"),
        "a report the item does not name"
    );

    let feed = site.out("atom.xml");
    roxmltree::Document::parse(&feed).expect("feed is well-formed XML");
    assert!(feed.contains("news/sandun-followup/index.html"), "{feed}");
    assert!(site
        .out("sitemap.xml")
        .contains("news/sandun-followup/index.html"));
    assert!(
        site.out("index.html").contains("news/index.html"),
        "footer links the news"
    );
}

#[test]
fn a_site_without_news_has_no_news_pages_or_links() {
    let site = Site::fixture("build/site");
    site.build_ok();
    assert!(!site.out_exists("news/index.html"));
    assert!(!site.out("index.html").contains("news/index.html"));
}

#[test]
fn a_news_item_naming_an_unknown_report_fails_with_the_closest_slug() {
    let site = site_with_news(&ITEM.replace("xikou]", "xikuo]"));
    let err = site.build_err();
    assert!(
        err.contains("content/news/sandun-followup.md:5:1")
            && err.contains("`xikuo`")
            && err.contains("did you mean `xikou`?"),
        "{err}"
    );
}

#[test]
fn a_news_date_may_be_a_year_or_a_month_but_must_be_real() {
    let site = site_with_news(&ITEM.replace("2018-06", "2018-13"));
    let err = site.build_err();
    assert!(err.contains("content/news/sandun-followup.md:3:1"), "{err}");
    assert!(err.contains("`YYYY`, `YYYY-MM` or `YYYY-MM-DD`"), "{err}");
    let site = site_with_news(&ITEM.replace("2018-06", "2018"));
    site.build_ok();
}
