//! Integration tests of the editors' scaffolding commands (issue 5): `casebook init` and
//! `casebook new report` produce sites that build and check clean, and never overwrite.

use std::fs;
use std::process::{Command, Output};

use crate::harness::{bin, repo, Site};

fn casebook(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run casebook")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `casebook init` into a fresh folder `site` under a temp dir.
fn init(args: &[&str]) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("site");
    let mut all = vec!["init", dir.to_str().unwrap()];
    all.extend_from_slice(args);
    let out = casebook(&all);
    assert!(out.status.success(), "{}", stderr(&out));
    (tmp, dir)
}

fn check_clean(dir: &std::path::Path) {
    let out = casebook(&["check", "--root", dir.to_str().unwrap()]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.ends_with("0 error(s), 0 warning(s)\n"), "{err}");
}

fn build_ok(dir: &std::path::Path) {
    let out = casebook(&["build", "--root", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn init_makes_a_site_that_builds_and_checks_clean() {
    let (_tmp, dir) = init(&[]);
    assert!(dir.join("site.yaml").is_file());
    assert!(dir.join("content/reports/sandun.md").is_file());
    assert!(!dir.join("themes").exists(), "no theme unless asked for");
    build_ok(&dir);
    assert!(dir.join("output/reports/sandun/index.html").is_file());
    check_clean(&dir);
}

#[test]
fn init_with_theme_copies_the_embedded_theme_which_still_builds() {
    let (_tmp, dir) = init(&["--with-theme"]);
    let base = dir.join("themes/default/templates/base.html");
    assert!(base.is_file());
    assert!(dir.join("themes/default/static/casebook.css").is_file());
    assert_eq!(
        fs::read_to_string(&base).unwrap(),
        fs::read_to_string(repo().join("themes/default/templates/base.html")).unwrap()
    );
    // The copy is the site's to edit: a change shows in the output.
    let text = fs::read_to_string(&base).unwrap();
    fs::write(&base, text.replace("<main", "<!-- edited theme --><main")).unwrap();
    build_ok(&dir);
    let home = fs::read_to_string(dir.join("output/index.html")).unwrap();
    assert!(home.contains("<!-- edited theme -->"));
    check_clean(&dir);
}

#[test]
fn init_never_overwrites() {
    let (_tmp, dir) = init(&[]);
    fs::write(dir.join("site.yaml"), "title: 我的站\n").unwrap();
    let out = casebook(&["init", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("already has site.yaml"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        fs::read_to_string(dir.join("site.yaml")).unwrap(),
        "title: 我的站\n"
    );
}

#[test]
fn new_report_with_tactics_builds_and_checks_clean() {
    let (_tmp, dir) = init(&[]);
    let root = dir.to_str().unwrap();
    let out = casebook(&[
        "new",
        "report",
        "liangzhu",
        "--town",
        "良渚街道",
        "--city",
        "杭州市",
        "--county",
        "余杭区",
        "--tactic",
        "网格化管理",
        "--tactic",
        "志愿者",
        "--date",
        "2024-05-01",
        "--root",
        root,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("created content/reports/liangzhu.md"));
    let text = fs::read_to_string(dir.join("content/reports/liangzhu.md")).unwrap();
    for line in [
        "title: 良渚街道",
        "town: 良渚街道",
        "county: 余杭区",
        "city: 杭州市",
        "date: 2024-05-01",
        "tactics: [网格化管理, 志愿者]",
        "# section: 重点报道 | 速写",
        "#   职工之家 — 建设职工之家、职工书屋等活动阵地。",
        "metrics:  # uncomment what the report gives; numbers only, the unit is in site.yaml",
        "  # members:         # 工会会员（人）",
        "  # membership_rate: # 职工入会率（%）",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing `{line}` in:\n{text}"
        );
    }
    build_ok(&dir);
    assert!(dir.join("output/reports/liangzhu/index.html").is_file());
    check_clean(&dir);
}

#[test]
fn new_report_without_tactics_is_flagged_by_check_until_filled_in() {
    let (_tmp, dir) = init(&[]);
    let root = dir.to_str().unwrap();
    let out = casebook(&[
        "new",
        "report",
        "xin",
        "--town",
        "新镇",
        "--city",
        "杭州市",
        "--root",
        root,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let path = dir.join("content/reports/xin.md");
    let text = fs::read_to_string(&path).unwrap();
    let date = text.lines().find(|l| l.starts_with("date: ")).unwrap();
    assert!(
        regex::Regex::new(r"^date: \d{4}-\d{2}-\d{2}$")
            .unwrap()
            .is_match(date),
        "today's date: {date}"
    );
    let line = text
        .lines()
        .position(|l| l.starts_with("tactics: []"))
        .unwrap()
        + 1;

    let out = casebook(&["check", "--root", root]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "content/reports/xin.md:{line}:1: error: `tactics` must list at least one tactic\n \
             {line} | tactics: []  # fill in at least one tactic (做法), e.g. [网格化管理, 志愿服务]\n"
        )),
        "{err}"
    );

    fs::write(&path, text.replace("tactics: []", "tactics: [职工之家]")).unwrap();
    check_clean(&dir);
}

#[test]
fn new_report_refuses_to_overwrite_and_bad_slugs() {
    let (_tmp, dir) = init(&[]);
    let root = dir.to_str().unwrap();
    let before = fs::read_to_string(dir.join("content/reports/sandun.md")).unwrap();
    let out = new_sandun("sandun", root);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("content/reports/sandun.md already exists"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        fs::read_to_string(dir.join("content/reports/sandun.md")).unwrap(),
        before
    );

    // A report with that slug in a sub-folder counts too.
    fs::create_dir_all(dir.join("content/reports/hangzhou")).unwrap();
    fs::rename(
        dir.join("content/reports/sandun.md"),
        dir.join("content/reports/hangzhou/sandun.md"),
    )
    .unwrap();
    let out = new_sandun("sandun", root);
    assert_eq!(out.status.code(), Some(2));
    assert!(!dir.join("content/reports/sandun.md").exists());

    let out = new_sandun("San Dun", root);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("try `san-dun`"), "{}", stderr(&out));
    let out = new_sandun("../x", root);
    assert_eq!(out.status.code(), Some(2));
    assert!(!dir.join("content/x.md").exists());
}

#[test]
fn new_report_warns_about_names_the_site_does_not_know() {
    let (_tmp, dir) = init(&[]);
    let root = dir.to_str().unwrap();
    let out = casebook(&[
        "new",
        "report",
        "a",
        "--town",
        "甲镇",
        "--city",
        "杭洲市",
        "--tactic",
        "志愿服物",
        "--root",
        root,
    ]);
    assert!(out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("city `杭洲市` is not listed in site.yaml; did you mean `杭州市`?"),
        "{err}"
    );
    assert!(
        err.contains(
            "tactic `志愿服物` is not in the vocabulary of site.yaml; did you mean `志愿服务`?"
        ),
        "{err}"
    );
}

#[test]
fn new_report_on_the_digest_lists_its_whole_registry() {
    let site = Site::new();
    fs::copy(repo().join("site.yaml"), site.root().join("site.yaml")).unwrap();
    let out = site.run(&[
        "new",
        "report",
        "xin",
        "--town",
        "新镇",
        "--city",
        "杭州市",
        "--tactic",
        "志愿服务",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = fs::read_to_string(site.root().join("content/reports/xin.md")).unwrap();
    let config = fs::read_to_string(repo().join("site.yaml")).unwrap();
    let registry = config
        .split("\nmetrics:\n")
        .nth(1)
        .unwrap()
        .split("\n\n")
        .next()
        .unwrap();
    let keys: Vec<&str> = registry
        .lines()
        .filter_map(|l| l.strip_prefix("  ")?.split(':').next())
        .filter(|k| !k.starts_with('#') && !k.is_empty())
        .collect();
    assert!(keys.len() >= 20, "{keys:?}");
    for key in keys {
        assert!(
            text.contains(&format!("  # {key}:")),
            "metric {key} missing:\n{text}"
        );
    }
    site.build_ok();
}

/// `casebook new report <slug> --town 三墩镇 --city 杭州市 --root <root>`.
fn new_sandun(slug: &str, root: &str) -> std::process::Output {
    casebook(&[
        "new",
        "report",
        slug,
        "--town",
        "三墩镇",
        "--city",
        "杭州市",
        "--root",
        root,
    ])
}
