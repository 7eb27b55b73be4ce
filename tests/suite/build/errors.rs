//! Every front-matter problem is reported as `file:line:col: error: message`, all of them in one
//! run, with a non-zero exit and the output folder left alone.

use casebook::load::MAX_FILE_BYTES;

use super::util::*;
use crate::harness::Site;

/// A site with one valid report, so that errors come only from what a test adds.
fn site() -> Site {
    let site = Site::new();
    site.report("ok", "正常的报道", "三墩镇", "杭州市", &["网格化管理"]);
    site
}

/// Builds, expecting failure with exit code 1; returns stderr.
fn fails(site: &Site) -> String {
    let (code, stderr) = run(site, &["build"]);
    assert_eq!(code, Some(1), "expected exit code 1:\n{stderr}");
    assert!(
        !site.root().join("output").exists(),
        "a failed build wrote output:\n{stderr}"
    );
    stderr
}

/// Asserts that stderr has a line starting with `diag` (`path:line:col: error: message...`).
fn has(stderr: &str, diag: &str) {
    assert!(
        stderr.lines().any(|l| l.starts_with(diag)),
        "no line starting with\n  {diag}\nin:\n{stderr}"
    );
}

fn error_count(stderr: &str) -> usize {
    stderr.lines().filter(|l| l.contains(": error: ")).count()
}

#[test]
fn invalid_yaml_is_reported_at_its_line() {
    let site = site();
    site.write(
        "content/reports/bad.md",
        "---\ntitle: 好\ntown: 三墩: 镇\ncity: 杭州市\ntactics: [a]\n---\nx\n",
    );
    let err = fails(&site);
    has(
        &err,
        "content/reports/bad.md:3:9: error: invalid YAML in front matter: mapping values are not allowed",
    );
    assert!(!err.contains(" at line "), "one position, ours: {err}");
}

#[test]
fn unclosed_flow_list_is_reported_where_the_parser_stops() {
    let site = site();
    site.write(
        "content/reports/bad.md",
        "---\ntitle: 好\ntactics: [网格化管理\ncity: 杭州市\n---\nx\n",
    );
    let err = fails(&site);
    // The parser notices the missing `]` on the next line; the position is in file lines.
    has(&err, "content/reports/bad.md:4:");
    assert!(err.contains("invalid YAML in front matter"), "{err}");
}

#[test]
fn unknown_field_suggests_the_closest() {
    let site = site();
    site.write(
        "content/reports/bad.md",
        "---\ntitle: 好\ntown: 镇\ncity: 杭州市\ntactics: [a]\ntactic: [b]\nsumary: 摘要\n---\nx\n",
    );
    let err = fails(&site);
    has(
        &err,
        "content/reports/bad.md:6:1: error: unknown field `tactic`; did you mean `tactics`?",
    );
    has(
        &err,
        "content/reports/bad.md:7:1: error: unknown field `sumary`; did you mean `summary`?",
    );
    assert_eq!(error_count(&err), 2, "{err}");
}

#[test]
fn unknown_field_far_from_any_lists_the_known_ones() {
    let site = site();
    site.write(
        "content/reports/bad.md",
        "---\ntitle: 好\ntown: 镇\ncity: 杭州市\ntactics: [a]\nzzz: 1\n---\nx\n",
    );
    let err = fails(&site);
    has(
        &err,
        "content/reports/bad.md:6:1: error: unknown field `zzz`; expected one of: title, town",
    );
}

#[test]
fn wrong_types_each_name_the_expected_type() {
    let site = site();
    site.write(
        "content/reports/bad.md",
        "---\n\
         title: 好\n\
         town: 镇\n\
         city: 杭州市\n\
         tactics: 网格化管理\n\
         weight: heavy\n\
         draft: maybe\n\
         date: 2018-02-30\n\
         metrics:\n\
         \x20 members: 93%\n\
         \x20 workers: 1200\n\
         summary: [a, b]\n\
         ---\nx\n",
    );
    let err = fails(&site);
    let f = "content/reports/bad.md";
    has(
        &err,
        &format!("{f}:5:1: error: `tactics` must be a list of strings"),
    );
    has(
        &err,
        &format!("{f}:6:1: error: `weight` must be a whole number, found a string"),
    );
    has(
        &err,
        &format!("{f}:7:1: error: `draft` must be `true` or `false`, found a string"),
    );
    has(
        &err,
        &format!("{f}:8:1: error: `date` must be a real date written `YYYY-MM-DD`"),
    );
    has(
        &err,
        &format!(
            "{f}:10:3: error: metric `members` must be a number or empty, found a string `93%`"
        ),
    );
    has(
        &err,
        &format!("{f}:12:1: error: `summary` must be a string, found a list"),
    );
    // Several errors of one file, all reported, each once.
    assert_eq!(error_count(&err), 6, "{err}");
}

#[test]
fn metrics_that_are_not_a_map_are_reported() {
    let site = site();
    site.write(
        "content/reports/bad.md",
        "---\ntitle: 好\ntown: 镇\ncity: 杭州市\ntactics: [a]\nmetrics: [1, 2]\n---\nx\n",
    );
    let err = fails(&site);
    has(
        &err,
        "content/reports/bad.md:6:1: error: `metrics` must be a map of metric key to number",
    );
}

#[test]
fn missing_required_fields_are_each_reported() {
    let site = site();
    site.write("content/reports/bad.md", "---\ntitle: 只有标题\n---\nx\n");
    site.write(
        "content/reports/empty_list.md",
        "---\ntitle: 好\ntown: 镇\ncity: 杭州市\ntactics: []\n---\nx\n",
    );
    let err = fails(&site);
    for field in ["town", "city", "tactics"] {
        has(
            &err,
            &format!("content/reports/bad.md:2:1: error: missing required field `{field}`"),
        );
    }
    has(
        &err,
        "content/reports/empty_list.md:5:1: error: `tactics` must list at least one tactic",
    );
    assert_eq!(error_count(&err), 4, "{err}");
}

#[test]
fn empty_values_of_required_fields_are_errors() {
    let site = site();
    site.write(
        "content/reports/bad.md",
        "---\ntitle: \"  \"\ntown: 镇\ncity: 杭州市\ntactics: [a]\n---\nx\n",
    );
    let err = fails(&site);
    has(
        &err,
        "content/reports/bad.md:2:1: error: `title` must not be empty",
    );
}

#[test]
fn empty_file_and_missing_front_matter_are_explained() {
    let site = site();
    site.write("content/reports/empty.md", "");
    site.write("content/reports/blank.md", "\n  \n");
    site.write("content/reports/plain.md", "# 三墩镇\n\n只有正文。\n");
    site.write(
        "content/reports/open.md",
        "---\ntitle: 好\n\n正文没有结束线。\n",
    );
    let err = fails(&site);
    has(&err, "content/reports/empty.md:1:1: error: file is empty");
    has(&err, "content/reports/blank.md:1:1: error: file is empty");
    has(
        &err,
        "content/reports/plain.md:1:1: error: expected front matter",
    );
    has(
        &err,
        "content/reports/open.md:1:1: error: front matter is not closed",
    );
    assert_eq!(error_count(&err), 4, "{err}");
}

#[test]
fn yaml_that_is_not_a_map_is_refused() {
    let site = site();
    site.write("content/reports/list.md", "---\n- a\n- b\n---\nx\n");
    site.write("content/reports/scalar.md", "---\njust some text\n---\nx\n");
    let err = fails(&site);
    has(
        &err,
        "content/reports/list.md:2:1: error: front matter must be a YAML map of `key: value` lines, found a list",
    );
    has(
        &err,
        "content/reports/scalar.md:2:1: error: front matter must be a YAML map of `key: value` lines, found a string",
    );
}

#[test]
fn non_utf8_file_is_reported_at_the_bad_byte() {
    let site = site();
    let path = site.root().join("content/reports/latin1.md");
    let mut bytes = b"---\ntitle: caf".to_vec();
    bytes.push(0xe9); // `é` in Latin-1
    bytes.extend_from_slice(b"\ntown: x\n---\n");
    std::fs::write(path, bytes).unwrap();
    let err = fails(&site);
    has(
        &err,
        "content/reports/latin1.md:2:11: error: file is not valid UTF-8 (byte 0xe9",
    );
}

#[test]
fn slugs_with_path_tricks_are_refused() {
    let site = site();
    let report = |stem: &str, slug: &str| {
        site.write(
            &format!("content/reports/{stem}.md"),
            &format!(
                "---\ntitle: 好\ntown: 镇\ncity: 杭州市\ntactics: [a]\nslug: \"{slug}\"\n---\nx\n"
            ),
        );
    };
    report("slash", "a/b");
    report("up", "../../evil");
    report("dots", "..");
    report("backslash", "a\\\\b");
    report("upper", "Sandun");
    let err = fails(&site);
    for stem in ["slash", "up", "dots", "backslash"] {
        has(
            &err,
            &format!("content/reports/{stem}.md:6:1: error: `slug` must be one path segment"),
        );
    }
    has(
        &err,
        "content/reports/upper.md:6:1: error: `slug` may use only a-z, 0-9",
    );
    assert!(!site.root().join("evil").exists());
}

#[test]
fn duplicate_slugs_name_both_files() {
    let site = site();
    site.report("hangzhou/sandun", "杭州的三墩", "三墩镇", "杭州市", &["a"]);
    site.report("wenzhou/sandun", "温州的三墩", "三墩镇", "温州市", &["a"]);
    site.write(
        "content/reports/zz_explicit.md",
        "---\ntitle: 好\ntown: 镇\ncity: 杭州市\ntactics: [a]\nslug: ok\n---\nx\n",
    );
    let err = fails(&site);
    let line = err
        .lines()
        .find(|l| l.contains("duplicate slug `sandun`"))
        .unwrap_or_else(|| panic!("no duplicate error:\n{err}"));
    assert!(
        line.contains("content/reports/hangzhou/sandun.md")
            && line.contains("content/reports/wenzhou/sandun.md"),
        "both files named: {line}"
    );
    let line = err
        .lines()
        .find(|l| l.contains("duplicate slug `ok`"))
        .unwrap_or_else(|| panic!("no duplicate error for an explicit slug:\n{err}"));
    assert!(
        line.contains("content/reports/ok.md") && line.contains("content/reports/zz_explicit.md"),
        "{line}"
    );
    assert!(line.contains(":6:1:"), "points at the `slug:` line: {line}");
}

#[test]
fn huge_file_is_refused() {
    let site = site();
    let mut text = String::from("---\ntitle: 好\ntown: 镇\ncity: 杭州市\ntactics: [a]\n---\n");
    let pad = MAX_FILE_BYTES as usize + 1 - text.len();
    text.push_str(&"字".repeat(pad / 3 + 1));
    assert!(text.len() as u64 > MAX_FILE_BYTES);
    site.write("content/reports/huge.md", &text);
    let err = fails(&site);
    has(&err, "content/reports/huge.md: error: file is too large");
}

#[test]
fn all_errors_of_a_build_are_reported_together() {
    let site = Site::fixture("build/broken");
    let err = fails(&site);
    let f = "content/reports";
    // Two mistakes in one file, one each in others, and problems the model finds (slugs)
    // alongside problems the loader finds (YAML), all in one run.
    has(
        &err,
        &format!("{f}/a.md:5:1: error: unknown field `tactic`; did you mean `tactics`?"),
    );
    has(
        &err,
        &format!("{f}/a.md:6:1: error: `weight` must be a whole number"),
    );
    has(&err, &format!("{f}/b.md:1:1: error: file is empty"));
    has(&err, &format!("{f}/c.md:1:1: error: expected front matter"));
    has(&err, &format!("{f}/d.md:3:"));
    has(
        &err,
        &format!("{f}/e.md:6:1: error: `slug` must be one path segment"),
    );
    assert!(err.contains("duplicate slug `same`"), "{err}");
    has(
        &err,
        "content/pages/about.md:3:1: error: unknown field `lable`; did you mean `label`?",
    );
    assert_eq!(error_count(&err), 8, "{err}");
    let summary = err.lines().last().unwrap();
    assert!(summary.contains("8 error(s)"), "{summary}");
}

#[test]
fn site_yaml_errors_have_position_and_suggestion() {
    let site = site();
    site.write("site.yaml", "title: 测试\ncitys: [杭州市]\n");
    let err = fails(&site);
    has(&err, "site.yaml:2:1: error: unknown setting `citys`");
    assert!(err.contains("did you mean `cities`?"), "{err}");
}

#[test]
fn warnings_do_not_fail_the_build() {
    let site = site();
    site.write("site.yaml", "tactics:\n  网格化管理: {}\n");
    site.report("other", "别的", "镇", "杭州市", &["网格化管里"]);
    let stderr = site.build_ok();
    assert!(
        stderr.contains(
            "content/reports/other.md:5:11: warning: tactic `网格化管里` is not in the vocabulary"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `网格化管理`?"), "{stderr}");
}
