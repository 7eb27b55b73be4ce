//! Issue 14: a build refuses what is broken. Dead internal links fail `build` with
//! file:line:col and a suggestion (a draft's only warn), `--strict` turns warnings into errors,
//! and carets point at the item that is wrong.

use crate::harness::Site;

fn site() -> Site {
    let site = Site::new();
    site.write(
        "site.yaml",
        "title: 链接\ntactics:\n  志愿服务: {}\nmetrics:\n  members: { label: 会员 }\n",
    );
    site.report("a", "甲", "甲镇", "杭州市", &["志愿服务"]);
    site.report("b", "乙", "乙镇", "杭州市", &["志愿服务"]);
    site
}

fn with_body(site: &Site, body: &str, draft: bool) {
    site.write(
        "content/reports/c.md",
        &format!(
            "---\ntitle: 丙\ntown: 丙镇\ncity: 杭州市\ntactics: [志愿服务]\ndraft: {draft}\n---\n\n{body}\n"
        ),
    );
}

#[test]
fn a_dead_internal_link_fails_the_build_and_keeps_the_output() {
    let site = site();
    site.build_ok();
    let before = site.out("index.html");
    with_body(&site, "见[乙](@/reports/bb.md)。", false);
    let err = site.build_err();
    assert!(
        err.contains("content/reports/c.md:9:2: error: link to unknown report `bb`")
            && err.contains("did you mean `@/reports/b`?"),
        "{err}"
    );
    assert!(
        !site.out_exists("reports/c/index.html"),
        "nothing published"
    );
    assert_eq!(site.out("index.html"), before);
}

#[test]
fn a_dead_relative_link_fails_the_build() {
    let site = site();
    with_body(
        &site,
        "[乙](../bb/index.html) 与 [甲](../a/index.html)",
        false,
    );
    let err = site.build_err();
    assert!(
        err.contains("content/reports/c.md:9:1: error: link `../bb/index.html` points to nothing"),
        "{err}"
    );
    let errors = err.lines().filter(|l| l.contains(": error: ")).count();
    assert_eq!(errors, 1, "a live link is not reported: {err}");
}

#[test]
fn a_dead_anchor_on_an_internal_link_fails_the_build_with_the_headings() {
    let site = site();
    site.write(
        "content/reports/b.md",
        "---\ntitle: 乙\ntown: 乙镇\ncity: 杭州市\ntactics: [志愿服务]\n---\n\n## 做法\n\n正文。\n",
    );
    with_body(&site, "见[乙](@/reports/b.md#做发)。", false);
    let err = site.build_err();
    assert!(
        err.contains("no heading or anchor `#做发`") && err.contains("`#做法`"),
        "{err}"
    );
}

#[test]
fn a_dead_link_in_a_draft_is_a_warning_when_drafts_are_built() {
    let site = site();
    with_body(&site, "见[乙](@/reports/bb.md)。", true);
    let out = site.run(&["build", "--drafts"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("c.md:9:2: warning: link to unknown report `bb`"),
        "{stderr}"
    );
}

#[test]
fn strict_build_refuses_warnings_and_publishes_nothing() {
    let site = site();
    site.report("d", "丁", "丁镇", "杭州市", &["志愿服物"]);
    site.build_ok();
    let out = site.run(&["build", "--strict"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error: tactic `志愿服物` is not in the vocabulary")
            && stderr.contains("did you mean `志愿服务`?"),
        "{stderr}"
    );
}

#[test]
fn carets_point_at_the_metric_key_and_the_tactic_item() {
    let site = site();
    site.write(
        "content/reports/e.md",
        "---\ntitle: 戊\ntown: 戊镇\ncity: 杭州市\ntactics:\n  - 志愿服务\n  - 网格化管理\n\
         metrics:\n  members: 5\n  membrs: 3\n---\n\n正文。\n",
    );
    site.write(
        "content/reports/f.md",
        "---\ntitle: 己\ntown: 己镇\ncity: 杭州市\ntactics: [志愿服务, 网格化管里]\nmetrics: { membrs: 3 }\n---\n",
    );
    let stderr = site.build_ok();
    for want in [
        "content/reports/e.md:7:5: warning: tactic `网格化管理`",
        "content/reports/e.md:10:3: warning: metric `membrs`",
        "content/reports/f.md:5:17: warning: tactic `网格化管里`",
        "content/reports/f.md:6:12: warning: metric `membrs`",
    ] {
        assert!(stderr.contains(want), "{want} in:\n{stderr}");
    }
}

#[test]
fn a_misspelt_required_key_is_one_error() {
    let site = site();
    site.write(
        "content/reports/g.md",
        "---\ntitle: 庚\ntown: 庚镇\ncity: 杭州市\ntactic: [志愿服务]\n---\n",
    );
    let err = site.build_err();
    assert!(
        err.contains("g.md:5:1: error: unknown field `tactic`; did you mean `tactics`?"),
        "{err}"
    );
    assert!(!err.contains("missing required field"), "{err}");
}
