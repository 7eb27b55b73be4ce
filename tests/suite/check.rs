//! Integration tests of `casebook check` (issue 5): one fixture site per problem under
//! `tests/fixtures/check/`, asserting the exact diagnostics (file, line, column, suggestion) and
//! the exit status.

use crate::harness::Site;

/// Runs `casebook check` on a copy of `tests/fixtures/check/<case>`; returns (exit code, stdout,
/// stderr).
fn check(case: &str, args: &[&str]) -> (i32, String, String) {
    let site = Site::fixture(&format!("check/{case}"));
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    let out = site.run(&all);
    (
        out.status.code().expect("exit code"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The `file:line:col: level: message` lines of human output.
fn headers(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| {
            l.starts_with("content/") || l.starts_with("themes/") || l.starts_with("site.yaml")
        })
        .collect()
}

#[test]
fn a_clean_site_checks_clean() {
    let (code, stdout, stderr) = check("clean", &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.is_empty());
    assert!(headers(&stderr).is_empty(), "{stderr}");
    assert!(
        stderr.contains("checked 2 reports, 1 pages in ")
            && stderr.ends_with("0 error(s), 0 warning(s)\n"),
        "{stderr}"
    );
}

#[test]
fn dead_links_and_anchors_are_errors_with_position_and_suggestion() {
    let (code, _, stderr) = check("links", &[]);
    assert_eq!(code, 1, "{stderr}");
    let f = "content/reports/sandun.md";
    assert_eq!(
        headers(&stderr),
        [
            format!("{f}:11:2: error: link to unknown report `lianzhu`; did you mean `@/reports/liangzhu`?"),
            format!(
                "{f}:12:2: error: link `@/reports/liangzhu#网格`: no heading or anchor `#网格` on \
                 reports/liangzhu/index.html; did you mean `#网格服务`?"
            ),
            format!(
                "{f}:13:2: error: link `#志愿对伍`: no heading or anchor `#志愿对伍` on \
                 reports/sandun/index.html; did you mean `#志愿队伍`?"
            ),
            format!("{f}:14:2: error: link `../../reports/nope/index.html` points to nothing in the built site"),
            format!(
                "{f}:15:2: error: link `liangzhu.md` points to nothing in the built site; a link to \
                 a source file does not survive the build: write `@/reports/liangzhu`"
            ),
            format!(
                "{f}:16:2: error: `@/sections/x` is not a link to a report or page: write \
                 `@/reports/<slug>` or `@/pages/<slug>`"
            ),
            format!(
                "{f}:17:2: warning: link `/reports/liangzhu/` starts from the server root, so it \
                 breaks when the site is published under a sub-path or opened from disk; write \
                 `@/reports/liangzhu`"
            ),
            format!("{f}:18:2: error: link to unknown page `abuot`; did you mean `@/pages/about`?"),
        ]
    );
    assert!(stderr.ends_with("7 error(s), 1 warning(s)\n"), "{stderr}");
}

#[test]
fn each_diagnostic_shows_its_line_and_a_caret_under_the_column() {
    let (_, _, stderr) = check("links", &[]);
    let lines: Vec<&str> = stderr.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("content/reports/sandun.md:11:2:"))
        .unwrap();
    assert_eq!(lines[at + 1], " 11 | 见[良渚](@/reports/lianzhu)。");
    // `见` is two columns wide on a terminal: the caret sits under `[`.
    assert_eq!(lines[at + 2], "    |   ^");
    assert!(!stderr.contains('\x1b'), "no colour when piped");
}

#[test]
fn json_format_is_an_array_of_diagnostics_on_stdout() {
    let (code, stdout, stderr) = check("links", &["--format", "json"]);
    assert_eq!(code, 1);
    let diags: Vec<serde_json::Value> = serde_json::from_str(&stdout).expect("JSON on stdout");
    assert_eq!(diags.len(), 8);
    assert_eq!(
        diags[0],
        serde_json::json!({
            "path": "content/reports/sandun.md",
            "line": 11,
            "col": 2,
            "level": "error",
            "message": "link to unknown report `lianzhu`; did you mean `@/reports/liangzhu`?"
        })
    );
    assert_eq!(diags[6]["level"], "warning");
    assert!(
        headers(&stderr).is_empty(),
        "diagnostics only on stdout:\n{stderr}"
    );
}

#[test]
fn unknown_tactics_and_metrics_are_warnings_with_the_closest_name() {
    let (code, _, stderr) = check("vocabulary", &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        headers(&stderr),
        [
            "content/reports/sandun.md:5:16: warning: tactic `志愿服物` is not in the vocabulary of \
             site.yaml; did you mean `志愿服务`?",
            "content/reports/sandun.md:8:3: warning: metric `membrs` is not in the registry of \
             site.yaml; did you mean `members`?",
        ]
    );
    // The alias 网格化 is fine.
    assert!(!stderr.contains("`网格化`"));
}

#[test]
fn strict_makes_warnings_errors() {
    let (code, stdout, stderr) = check("vocabulary", &["--strict", "--format", "json"]);
    assert_eq!(code, 1, "{stderr}");
    let diags: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap();
    assert_eq!(diags.len(), 2);
    assert!(diags.iter().all(|d| d["level"] == "error"));
    assert!(stderr.ends_with("2 error(s), 0 warning(s)\n"), "{stderr}");
}

#[test]
fn two_reports_on_the_same_town_are_reported_once() {
    let (code, _, stderr) = check("same_town", &[]);
    assert_eq!(code, 0);
    assert_eq!(
        headers(&stderr),
        ["content/reports/b-sandun.md:4:1: warning: content/reports/a-sandun.md is about the same \
          town (三墩镇, 西湖区, 杭州市); merge the two reports, or correct `town`, `county` or \
          `city` in one of them"]
    );
}

#[test]
fn a_date_that_does_not_exist_is_an_error() {
    let (code, _, stderr) = check("bad_date", &[]);
    assert_eq!(code, 1);
    assert_eq!(
        headers(&stderr),
        ["content/reports/sandun.md:5:1: error: `date` must be a real date written `YYYY-MM-DD`, \
          found `2018-02-30`"]
    );
    // The rest of the site is still checked (here: nothing else).
    assert!(stderr.contains("checked 0 reports"), "{stderr}");
}

#[test]
fn pages_nothing_links_to_are_reported() {
    // The fixture's theme lists no pages on the home page or in the footer: `about` is linked from
    // nowhere, `history` from a report body.
    let (code, _, stderr) = check("orphan", &[]);
    assert_eq!(code, 0);
    assert_eq!(
        headers(&stderr),
        [
            "content/pages/about.md: warning: no page of the site links to this one \
          (pages/about/index.html): readers can reach it only by its address; link to it from \
          another page with `@/pages/about`"
        ]
    );
}

#[test]
fn template_errors_point_into_the_template() {
    let (code, _, stderr) = check("template", &[]);
    assert_eq!(code, 1);
    let h = headers(&stderr);
    assert_eq!(h.len(), 1, "{stderr}");
    assert!(
        h[0].starts_with(
            "themes/default/templates/report.html:3:21: error: template `report.html`: Failed to \
             parse 'report.html': expected "
        ),
        "{stderr}"
    );
    assert!(stderr.contains(" 3 | <h1>{{ report.title }</h1>\n   |                     ^\n"));
}

#[test]
fn check_never_writes() {
    let site = Site::fixture("check/clean");
    let before: Vec<_> = walkdir::WalkDir::new(site.root())
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .collect();
    assert!(site.run(&["check"]).status.success());
    let after: Vec<_> = walkdir::WalkDir::new(site.root())
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .collect();
    assert_eq!(before, after);
}

#[test]
fn the_digest_checks_without_errors() {
    let site = Site::new();
    crate::harness::copy_dir(
        &crate::harness::repo().join("content"),
        &site.root().join("content"),
    );
    std::fs::copy(
        crate::harness::repo().join("site.yaml"),
        site.root().join("site.yaml"),
    )
    .unwrap();
    let out = site.run(&["check"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("checked 119 reports"), "{stderr}");
}

#[test]
fn one_check_reports_load_errors_and_the_links_of_the_files_that_loaded() {
    let site = crate::harness::Site::new();
    site.write("site.yaml", "title: 全部\n");
    site.report("a", "甲", "甲镇", "杭州市", &["志愿服务"]);
    // A file that does not load, and one that loads with a dead link and a link to the broken
    // file (not reported: the broken file's own error is).
    site.write(
        "content/reports/broken.md",
        "---\ntitle: 坏\ntown: 坏镇\ncity: 杭州市\ntactics: [x]\ndate: 2018-02-30\n---\n",
    );
    site.write(
        "content/reports/c.md",
        "---\ntitle: 丙\ntown: 丙镇\ncity: 杭州市\ntactics: [志愿服务]\n---\n\n[死](@/reports/nope.md) [坏](@/reports/broken.md) [甲](@/reports/a.md)\n",
    );
    let out = site.run(&["check"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.contains(": error: ")).collect();
    assert_eq!(errors.len(), 2, "{stderr}");
    assert!(
        errors[0].starts_with("content/reports/broken.md:6:1: error: `date`"),
        "{stderr}"
    );
    assert!(
        errors[1].starts_with("content/reports/c.md:8:1: error: link to unknown report `nope`"),
        "{stderr}"
    );
    assert!(stderr.contains("checked 2 reports"), "{stderr}");
}
