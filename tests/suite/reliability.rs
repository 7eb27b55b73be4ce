//! Regression tests of issue 10 (reliability), one per item, each running the real binary on a
//! small site: hostile or unusual input gets a clear `file:line:col` error (or builds right),
//! never a hang, an abort, a quadratic wait or unescaped output.

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{bin, Site};

/// A site with one valid report.
fn site() -> Site {
    let site = Site::new();
    site.report("ok", "正常的报道", "三墩镇", "杭州市", &["网格化管理"]);
    site
}

/// Front matter of a valid report with `extra` lines added, then `body`.
fn report(extra: &str, body: &str) -> String {
    format!(
        "---\ntitle: 报道\ntown: 某镇\ncity: 杭州市\ntactics: [网格化管理]\n{extra}---\n\n{body}\n"
    )
}

/// `casebook build`, expecting exit code 1 and no output; returns stderr.
fn fails(site: &Site) -> String {
    let out = run_limited(site, &["build"], Duration::from_secs(120));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(1),
        "expected exit code 1:\n{stderr}"
    );
    assert!(
        !site.root().join("output/index.html").exists(),
        "a failed build wrote output"
    );
    stderr
}

/// Asserts that stderr has a line starting with `diag`.
fn has(stderr: &str, diag: &str) {
    assert!(
        stderr.lines().any(|l| l.starts_with(diag)),
        "no line starting with\n  {diag}\nin:\n{stderr}"
    );
}

/// Runs `casebook <args> --root SITE`, killing it (and failing) past `limit`: a hang must fail
/// the test, not stall the suite.
fn run_limited(site: &Site, args: &[&str], limit: Duration) -> Output {
    let mut child = Command::new(bin())
        .args(args)
        .arg("--root")
        .arg(site.root())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run casebook");
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().expect("wait");
            panic!(
                "casebook {args:?} still running after {limit:?}:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

fn symlink(target: &str, link: &Path) {
    fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(target, link).unwrap();
}

#[test]
fn regression_twenty_thousand_equal_headings_build_with_ids_h_to_h_19999() {
    let site = site();
    site.write(
        "content/reports/h.md",
        &report("", &"## h\n".repeat(20_000)),
    );
    site.build_ok();
    let page = site.out("reports/h/index.html");
    for id in ["h", "h-1", "h-2", "h-9999", "h-19999"] {
        assert!(page.contains(&format!("id=\"{id}\"")), "no heading id {id}");
    }
    assert!(!page.contains("id=\"h-20000\""));
}

#[test]
fn regression_deeply_nested_yaml_is_refused_at_its_line() {
    let site = site();
    let deep = format!("extra: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    site.write("content/reports/deep.md", &report(&deep, "x"));
    let err = fails(&site);
    has(
        &err,
        "content/reports/deep.md:6:71: error: YAML nested more than 64 levels deep",
    );
    // Deep but legal nesting, brackets inside quotes and block text are not counted.
    let site = self::site();
    let fine = format!(
        "extra:\n  a: {{ b: [[1, 2], {{ c: [3] }}] }}\n  t: \"{}\"\n  s: |\n    {}\n",
        "[".repeat(200),
        "{".repeat(200)
    );
    site.write("content/reports/fine.md", &report(&fine, "x"));
    site.build_ok();
    // site.yaml too.
    let site = self::site();
    site.write(
        "site.yaml",
        &format!("title: x\nsubtitle: {}\n", "[".repeat(5000)),
    );
    let err = fails(&site);
    has(
        &err,
        "site.yaml:2:74: error: YAML nested more than 64 levels deep",
    );
}

#[test]
fn regression_non_finite_metrics_are_refused_at_their_key() {
    let site = site();
    site.write(
        "content/reports/m.md",
        &report(
            "metrics:\n  members: .inf\n  share: .nan\n  big: -.Inf\n  fine: 3\n",
            "x",
        ),
    );
    let err = fails(&site);
    has(
        &err,
        "content/reports/m.md:7:3: error: metric `members` must be a finite number, found `.inf`",
    );
    has(
        &err,
        "content/reports/m.md:8:3: error: metric `share` must be a finite number, found `.nan`",
    );
    has(
        &err,
        "content/reports/m.md:9:3: error: metric `big` must be a finite number, found `-.inf`",
    );
    assert!(!err.contains("city.html"), "{err}");
}

#[test]
fn regression_a_metric_sum_that_overflows_is_an_error_naming_the_metric() {
    let site = site();
    site.write(
        "content/reports/a.md",
        &report("metrics:\n  big: 1e308\n", "x"),
    );
    site.write(
        "content/reports/b.md",
        &report("slug: b\nmetrics:\n  big: 1.5e308\n", "x"),
    );
    let err = fails(&site);
    has(
        &err,
        "content/reports/b.md:7:1: error: metric `big`: the sum over 杭州市 overflows",
    );
    assert!(!err.contains("NaN") && !err.contains("city.html"), "{err}");
}

#[test]
fn regression_negative_metrics_draw_no_negative_bar_widths() {
    let site = Site::new();
    site.write(
        "content/reports/a.md",
        &report("metrics:\n  growth: -5\n", "x"),
    );
    site.write(
        "content/reports/b.md",
        &report("slug: b\nmetrics:\n  growth: 10\n", "x").replace("杭州市", "宁波市"),
    );
    site.build_ok();
    let mut charts = 0;
    for entry in walkdir::WalkDir::new(site.root().join("output")) {
        let entry = entry.unwrap();
        if entry.path().extension().is_some_and(|x| x == "html") {
            let html = fs::read_to_string(entry.path()).unwrap();
            charts += html.matches("<svg").count();
            assert!(
                !html.contains("width=\"-"),
                "negative width in {}",
                entry.path().display()
            );
        }
    }
    assert!(charts > 0, "no chart drawn");
    assert!(site.out("data/reports.csv").contains(",-5"));
}

#[test]
fn regression_csv_cells_that_spreadsheets_run_as_formulas_are_neutralised() {
    let site = Site::new();
    site.write(
        "content/reports/c.md",
        "---\ntitle: \"=HYPERLINK(\\\"http://e.org\\\",\\\"x\\\")\"\ntown: \"+cmd|' /c calc'!A0\"\n\
         city: 杭州市\ncounty: \"-2+3\"\nsummary: \"@SUM(1)\"\nauthor: \"\\tx\"\ntactics: [a]\n\
         metrics:\n  growth: -5\n  \"=m\": 2\n---\nx\n",
    );
    site.build_ok();
    let csv_text = site.out("data/reports.csv");
    let mut reader = csv::Reader::from_reader(csv_text.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let row = reader.records().next().unwrap().unwrap();
    let cell = |name: &str| row[header.iter().position(|h| h == name).unwrap()].to_string();
    assert_eq!(cell("title"), "'=HYPERLINK(\"http://e.org\",\"x\")");
    assert_eq!(cell("town"), "'+cmd|' /c calc'!A0");
    assert_eq!(cell("county"), "'-2+3");
    assert_eq!(cell("summary"), "'@SUM(1)");
    assert_eq!(cell("author"), "'\tx");
    // A metric cell is a number we formatted: it stays one, sign and all.
    assert_eq!(cell("growth"), "-5");
    // A header from content is text like any other.
    assert!(header.iter().any(|h| h == "'=m"), "{header:?}");
    // JSON keeps every value exact.
    let json: serde_json::Value = serde_json::from_str(&site.out("data/reports.json")).unwrap();
    assert_eq!(json[0]["title"], "=HYPERLINK(\"http://e.org\",\"x\")");
    assert_eq!(json[0]["county"], "-2+3");
    assert_eq!(json[0]["metrics"]["growth"], -5.0);
}

#[test]
fn regression_print_running_heads_never_carry_content_into_css() {
    let site = Site::new();
    let hostile = r#"速写\n\"; } body { background-image: url(//evil.example/x) } </style><script>x</script> @page a { content: \""#;
    site.write("site.yaml", &format!("title: \"乡镇{hostile}\"\n"));
    site.write(
        "content/reports/a.md",
        &report(&format!("section: \"{hostile}\"\n"), "x"),
    );
    site.build_ok();
    let page = site.out("print/index.html");
    let start = page.find("<style>").expect("running heads") + "<style>".len();
    let style = &page[start..start + page[start..].find("</style>").unwrap()];
    assert!(
        !page[start..].contains("<script>"),
        "the style element was left"
    );
    // Every string closes on its line; outside the strings only our own rules remain.
    let strings = regex::Regex::new(r#""(?:[^"\\\n]|\\.)*""#).unwrap();
    let rules = strings.replace_all(style, "S");
    for bad in ["\"", "background", "evil", "url(", "script", "\\"] {
        assert!(
            !rules.contains(bad),
            "{bad:?} outside a CSS string:\n{rules}"
        );
    }
    assert!(style.contains("\\a "), "the newline is escaped:\n{style}");
}

#[test]
fn regression_control_characters_are_refused_at_their_line() {
    let site = site();
    site.write(
        "content/reports/k.md",
        &report("summary: \"a\\0b\\u0007\"\nextra: { note: \"\\e\" }\n", "x"),
    );
    site.write(
        "content/reports/raw.md",
        &report("slug: raw\n", "正文\u{7}响铃"),
    );
    site.write("site.yaml", "title: \"站\\u0001\"\n");
    let err = fails(&site);
    has(
        &err,
        "content/reports/k.md:6:1: error: `summary` contains the control character U+0000",
    );
    has(
        &err,
        "content/reports/k.md:7:1: error: `extra` contains the control character U+001B",
    );
    has(
        &err,
        "content/reports/raw.md:9:3: error: control character U+0007 in the file",
    );
    has(
        &err,
        "site.yaml:1:1: error: `title` contains the control character U+0001",
    );
    // Tabs and newlines are text.
    let site = self::site();
    site.write(
        "content/reports/t.md",
        &report("summary: \"a\\tb\\nc\"\n", "x\ty"),
    );
    site.build_ok();
}

#[test]
fn regression_search_limit_is_bounded() {
    let site = site();
    for limit in ["18446744073709551615", "4294967296", "0"] {
        let out = run_limited(
            &site,
            &["search", "--limit", limit, "x"],
            Duration::from_secs(30),
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "--limit {limit}:\n{stderr}");
        assert!(
            stderr.contains("--limit") && stderr.contains("1..=10000"),
            "--limit {limit}:\n{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn regression_recursive_theme_macro_is_an_error_naming_the_template() {
    let site = site();
    site.write("site.yaml", "theme: t\n");
    site.write(
        "themes/t/templates/rec.html",
        "{% macro r(n) %}{{ self::r(n=n) }}{% endmacro r %}\n",
    );
    site.write(
        "themes/t/templates/404.html",
        "{% import \"rec.html\" as rec %}{{ rec::r(n=1) }}\n",
    );
    let err = fails(&site);
    has(
        &err,
        "themes/t/templates/rec.html:1:4: error: macro `r` calls itself (rec.html::r → rec.html::r)",
    );
}

#[test]
fn regression_theme_template_syntax_error_is_reported_at_file_line_col() {
    let site = site();
    site.write("site.yaml", "theme: t\n");
    site.write("themes/t/templates/404.html", "line1\n{{ foo( }}\n");
    let err = fails(&site);
    has(
        &err,
        "themes/t/templates/404.html:2:9: error: template `404.html`: Failed to parse '404.html': \
         expected an identifier",
    );
}

#[test]
fn regression_long_slugs_are_refused_at_load_naming_the_markdown_file() {
    let site = site();
    site.write(
        "content/reports/s.md",
        &report(&format!("slug: {}\n", "a".repeat(300)), "x"),
    );
    // Sixty Chinese characters make a 183-byte file name and a slug of some 270 bytes.
    let name = "镇".repeat(60);
    site.write(&format!("content/reports/{name}.md"), &report("", "x"));
    let err = fails(&site);
    has(
        &err,
        "content/reports/s.md:6:1: error: slug is 300 bytes long; the limit is 200",
    );
    has(
        &err,
        &format!("content/reports/{name}.md:2:1: error: slug (made from the file name) is"),
    );
    assert!(
        !err.contains("File name too long") && !err.contains("staging"),
        "{err}"
    );
}

#[test]
fn regression_site_yaml_problems_are_all_reported_with_positions_and_plain_words() {
    let site = site();
    site.write(
        "site.yaml",
        "title: 测试\n\
         tactics:\n  网格化管理: [a, b]\n  志愿服务:\n    descripton: x\n\
         metrics:\n  members: { label: 会员, aggregat: sum }\n\
         sections:\n  - !tagged { name: x }\n  - { nme: y }\n\
         paginate_by: -1\n\
         limits: { print_volume: many }\n\
         titel: x\n",
    );
    let err = fails(&site);
    has(&err, "site.yaml:3:3: error: `tactics.网格化管理`: must be a map with `description` and `aliases`");
    has(
        &err,
        "site.yaml:4:3: error: `tactics.志愿服务`: unknown field `descripton`",
    );
    has(
        &err,
        "site.yaml:7:3: error: `metrics.members`: unknown field `aggregat`",
    );
    has(
        &err,
        "site.yaml:8:1: error: `sections` entry 1 has the YAML tag `!tagged`",
    );
    has(
        &err,
        "site.yaml:8:1: error: `sections` entry 2: must be a list of section names",
    );
    has(&err, "site.yaml:11:1: error: `paginate_by`: must be a whole number (0 keeps each listing on one page), found a number `-1`");
    has(&err, "site.yaml:12:11: error: `limits.print_volume`: must be a whole number, found a string `many`");
    has(
        &err,
        "site.yaml:13:1: error: unknown setting `titel`; did you mean `title`?",
    );
    for internal in [
        "TacticDef",
        "MetricDef",
        "SectionDef",
        "Limits",
        "struct",
        "a map, found a map",
    ] {
        assert!(!err.contains(internal), "{internal} in:\n{err}");
    }
    assert!(err.contains("did you mean `description`?"), "{err}");
}

#[test]
fn regression_unknown_theme_is_an_error_listing_the_themes_found() {
    let site = site();
    site.write("site.yaml", "title: x\ntheme: defualt\n");
    site.write("themes/mine/templates/404.html", "x");
    let err = fails(&site);
    has(
        &err,
        "site.yaml:2:1: error: no theme `defualt`: there is no folder themes/defualt/; did you \
         mean `default`? themes found: default, mine",
    );
}

#[test]
fn regression_fifos_and_devices_are_refused_not_read() {
    let site = site();
    let fifo = site.root().join("site.yaml");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let report_fifo = site.root().join("content/reports/pipe.md");
    assert!(Command::new("mkfifo")
        .arg(&report_fifo)
        .status()
        .unwrap()
        .success());
    let err = fails(&site);
    has(&err, "site.yaml: error: not a regular file");
    has(&err, "content/reports/pipe.md: error: not a regular file");
    // A link to a device is a link out of the site.
    let site = self::site();
    symlink("/dev/zero", &site.root().join("content/reports/zero.md"));
    let err = fails(&site);
    has(
        &err,
        "content/reports/zero.md: error: links to /dev/zero, outside the site: refused",
    );
}

#[test]
fn regression_symlinked_reports_and_theme_files_are_followed_inside_the_site() {
    let site = site();
    site.write("shared/in.md", &report("slug: linked\n", "链接的正文"));
    symlink(
        "../../shared/in.md",
        &site.root().join("content/reports/in.md"),
    );
    site.write("site.yaml", "theme: t\n");
    site.write("assets/extra.css", "body { color: red }\n");
    symlink(
        "../../../assets/extra.css",
        &site.root().join("themes/t/static/extra.css"),
    );
    site.build_ok();
    assert!(site.out("reports/linked/index.html").contains("链接的正文"));
    assert_eq!(site.out("extra.css"), "body { color: red }\n");

    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("out.md"), report("slug: out\n", "x")).unwrap();
    fs::write(outside.path().join("x.css"), "x").unwrap();
    let out_md = outside.path().join("out.md");
    let out_css = outside.path().join("x.css");
    symlink(
        out_md.to_str().unwrap(),
        &site.root().join("content/reports/out.md"),
    );
    symlink(
        out_css.to_str().unwrap(),
        &site.root().join("themes/t/static/x.css"),
    );
    let out = site.run(&["build"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    has(&err, "content/reports/out.md: error: links to ");
    has(&err, "themes/t/static/x.css: error: links to ");
    assert!(err.contains("outside the site: refused"), "{err}");

    // A linked folder leads out of the site too: the reports in it are refused, each by name
    // (discovery resolves only paths that went through a link, and must not skip these).
    let site = self::site();
    let folder = tempfile::tempdir().unwrap();
    fs::create_dir_all(folder.path().join("deep")).unwrap();
    fs::write(
        folder.path().join("deep/far.md"),
        report("slug: far\n", "x"),
    )
    .unwrap();
    symlink(
        folder.path().to_str().unwrap(),
        &site.root().join("content/reports/linked"),
    );
    let out = site.run(&["build"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    has(&err, "content/reports/linked/deep/far.md: error: links to ");
}

#[test]
fn regression_large_reports_build_and_the_file_cap_is_configurable() {
    // 11 MB, past the old 8 MiB cap: a long appendix.
    let site = site();
    let row = "| 镇 | 1200 | 95% |\n";
    let table = format!(
        "| 名 | 数 | 率 |\n|---|---|---|\n{}",
        row.repeat(11_000_000 / row.len())
    );
    site.write("content/reports/big.md", &report("", &table));
    site.build_ok();
    assert!(site.out_exists("reports/big/index.html"));
    // A limit of 1 MiB refuses a 1.5 MB file, saying how to raise it.
    let site = self::site();
    site.write("site.yaml", "limits: { max_file_mb: 1 }\n");
    site.write("content/reports/big.md", &report("", &"字".repeat(500_000)));
    let err = fails(&site);
    has(
        &err,
        "content/reports/big.md: error: file is too large (1.4 MiB; the limit is 1 MiB)",
    );
    assert!(err.contains("max_file_mb"), "{err}");
}

#[test]
fn regression_windows_reserved_slugs_are_refused_with_a_suggestion() {
    let site = site();
    site.write("content/reports/Con.md", &report("", "x"));
    site.write("content/reports/p.md", &report("slug: lpt1\n", "x"));
    let err = fails(&site);
    has(
        &err,
        "content/reports/Con.md:2:1: error: slug `con` (made from the file name) is a device name \
         Windows reserves",
    );
    has(
        &err,
        "content/reports/p.md:6:1: error: slug `lpt1` is a device name Windows reserves",
    );
    assert!(
        err.contains("e.g. `con-1`") && err.contains("e.g. `lpt1-1`"),
        "{err}"
    );
}

#[test]
fn regression_group_slugs_from_long_or_reserved_names_stay_portable() {
    // Names have no `slug:` to fix them, so their slugs are made portable rather than refused.
    let site = Site::new();
    let tactic = "网".repeat(80);
    site.report("a", "报道", "某镇", "Con", &[&tactic]);
    site.build_ok();
    let out = site.root().join("output");
    let mut folders = Vec::new();
    for entry in walkdir::WalkDir::new(&out) {
        let entry = entry.unwrap();
        let name = entry.file_name().to_str().unwrap().to_string();
        assert!(name.len() <= 200, "{}", entry.path().display());
        assert!(
            !casebook::slug::is_windows_reserved(&name),
            "{}",
            entry.path().display()
        );
        folders.push(name);
    }
    assert!(folders.iter().any(|f| f == "con-1"), "{folders:?}");
}
