//! A build keeps what the previous build made when it would make it again from the same key
//! (`.casebook-cache/made`): the result must be what a build from scratch makes, byte for byte,
//! after edits, additions, deletions, a theme change and files changed in the output by hand.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use super::util::*;
use crate::harness::Site;

/// The site's files, without what a build keeps for itself.
fn published(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    snapshot(dir)
        .into_iter()
        .filter(|(p, _)| !p.starts_with(".casebook"))
        .collect()
}

/// The same site built from scratch into a fresh folder.
fn from_scratch(site: &Site) -> BTreeMap<String, Vec<u8>> {
    let fresh = tempfile::tempdir().unwrap();
    let out = fresh.path().join("site");
    let run = site.run(&["build", "--output", out.to_str().unwrap()]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    published(&out)
}

/// How many files the summary line says were kept.
fn kept(summary: &str) -> usize {
    summary
        .split(" kept from the last build")
        .next()
        .and_then(|head| head.rsplit('(').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

/// How many files the summary line says were written.
fn written(summary: &str) -> usize {
    summary
        .split(" written)")
        .next()
        .and_then(|head| head.rsplit(", ").next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no count of files written: {summary}"))
}

/// The browser index's files (`search/idx/`) by name, with their inode numbers and content.
fn index_files(site: &Site) -> BTreeMap<String, (u64, Vec<u8>)> {
    use std::os::unix::fs::MetadataExt;
    fs::read_dir(out_dir(site).join("search/idx"))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            let bytes = fs::read(e.path()).unwrap();
            (name, (e.metadata().unwrap().ino(), bytes))
        })
        .collect()
}

fn assert_as_from_scratch(site: &Site, what: &str) {
    let got = published(&out_dir(site));
    let want = from_scratch(site);
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "{what}: other files than a build from scratch"
    );
    for (path, bytes) in &want {
        assert!(
            got[path] == *bytes,
            "{what}: {path} differs from a build from scratch"
        );
    }
}

#[test]
fn a_rebuild_keeps_what_is_unchanged_and_makes_what_a_build_from_scratch_makes() {
    let site = fixture_site();
    let first = site.build_ok();
    assert_eq!(kept(&first), 0, "{first}");
    let index = site.out("search/manifest.js");

    // Nothing changed: everything is kept, the index too (counted below).
    let again = site.build_ok();
    let files: usize = again
        .split(" files")
        .next()
        .unwrap()
        .rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    // The theme's static files and compare data are compared, not kept; pages, the export
    // tables and the index are.
    assert!(kept(&again) > files / 2, "{again}");
    // Every page and index file, listings and print pages too (their fragments' markers are
    // keyed without the process's nonce), and both export tables (keyed by every report).
    let made_by_keys = snapshot(&out_dir(&site))
        .keys()
        .filter(|p| !p.starts_with(".casebook"))
        .filter(|p| {
            p.ends_with(".html")
                || p.ends_with(".xml")
                || p.starts_with("search/d/")
                || p.starts_with("search/idx/")
                || p.starts_with("search/fold-")
                || *p == "search/manifest.js"
                || *p == "data/reports.json"
                || *p == "data/reports.csv"
        })
        .count();
    assert_eq!(kept(&again), made_by_keys, "{again}");
    assert_eq!(written(&again), 0, "{again}");
    assert_as_from_scratch(&site, "nothing changed");

    // A sentence added to one report's body: its page, the pages that show its text and the
    // index are made again, the rest kept.
    let sandun = site.root().join("content/reports/hangzhou/sandun.md");
    let text = fs::read_to_string(&sandun).unwrap();
    fs::write(&sandun, format!("{text}\n新加的一句话。\n")).unwrap();
    let edited = site.build_ok();
    assert!(
        written(&edited) > 0 && written(&edited) < files / 2,
        "{edited}"
    );
    assert!(
        kept(&edited) > 0 && kept(&edited) < kept(&again),
        "kept {} then {}",
        kept(&again),
        kept(&edited)
    );
    // The index's version names what it was made from.
    assert_ne!(
        site.out("search/manifest.js"),
        index,
        "a changed index was kept"
    );
    assert!(site
        .out("reports/sandun/index.html")
        .contains("新加的一句话"));
    assert_as_from_scratch(&site, "after a body edit");

    // An edited title, a new report, a deleted one.
    let text = fs::read_to_string(&sandun).unwrap();
    fs::write(
        &sandun,
        text.replace("三墩镇：网格连着职工心", "三墩镇：网格连着职工的心"),
    )
    .unwrap();
    site.report(
        "xinzhen",
        "新镇：新来的报道",
        "新镇",
        "杭州市",
        &["志愿服务"],
    );
    fs::remove_file(site.root().join("content/reports/ningbo/xikou.md")).unwrap();
    site.build_ok();
    assert!(site
        .out("reports/sandun/index.html")
        .contains("网格连着职工的心"));
    assert!(!site.out_exists("reports/xikou"));
    assert_as_from_scratch(&site, "after an edit, an addition and a deletion");
    let hits = site.run(&["search", "--json", "新来的报道"]);
    assert!(String::from_utf8_lossy(&hits.stdout).contains("xinzhen"));

    // A template of the site's theme: every page that uses it is made again.
    site.write(
        "themes/default/templates/report.html",
        "{% extends \"builtin/report.html\" %}\
         {% block main %}<p class=\"reuse-marker\">改</p>{{ super() }}{% endblock main %}",
    );
    site.build_ok();
    assert!(site
        .out("reports/hongqiao/index.html")
        .contains("reuse-marker"));
    assert_as_from_scratch(&site, "after a template change");
}

/// A site of 40 reports, each with words of its own (`w<i>a`, `w<i>b`, ...), so that an edit of
/// one report changes a few term shards of the index and leaves the others as they were.
fn words_site() -> Site {
    let site = Site::new();
    site.write("site.yaml", "title: 词\n");
    for i in 0..40 {
        let words: Vec<String> = ('a'..='z').map(|c| format!("w{i}{c}")).collect();
        site.write(
            &format!("content/reports/r{i:02}.md"),
            &format!(
                "---\ntitle: R{i}\ntown: 镇{i}\ncity: 甲市\ntactics: [网格化]\n---\n\n{}\n",
                words.join(" ")
            ),
        );
    }
    site
}

#[test]
fn an_edit_writes_only_the_index_files_whose_content_it_changed() {
    let site = words_site();
    site.build_ok();
    let before = index_files(&site);
    let path = site.root().join("content/reports/r17.md");
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, text.replace("w17k", "w17k w17kk")).unwrap();
    site.build_ok();
    let after = index_files(&site);
    // A term shard keeps its name while its first term stays, and is written again only when
    // its content changed: one of the same name and bytes is the same file (the same inode).
    let shards: Vec<&String> = after.keys().filter(|n| n.starts_with('t')).collect();
    let changed = shards
        .iter()
        .filter(|n| before.get(**n).is_none_or(|b| b.1 != after[**n].1))
        .count();
    assert!(shards.len() >= 8, "{:?}", after.keys());
    assert!(changed >= 1, "no term shard changed");
    assert!(
        changed * 3 <= shards.len(),
        "{changed} of {} term shards changed",
        shards.len()
    );
    for (name, (ino, bytes)) in &after {
        if let Some((old_ino, old_bytes)) = before.get(name) {
            if old_bytes == bytes {
                assert_eq!(ino, old_ino, "{name} was written again");
            }
        }
    }
    assert_as_from_scratch(&site, "after an edit of one report's words");
    let hits = site.run(&["search", "--json", "w17kk"]);
    assert!(String::from_utf8_lossy(&hits.stdout).contains("r17"));
}

#[test]
fn a_kept_file_changed_or_removed_in_the_output_is_made_again() {
    let site = fixture_site();
    site.build_ok();
    let out = out_dir(&site);
    // The same length, so only the file's stamp can tell.
    let page = out.join("reports/sandun/index.html");
    let len = fs::metadata(&page).unwrap().len() as usize;
    fs::write(&page, "x".repeat(len)).unwrap();
    fs::remove_file(out.join("tactics/zhi-yuan-fu-wu/index.html")).unwrap();
    // Edited in place and its time set back, as `touch -r` or `rsync --inplace -t` leave it:
    // only the change time (which nothing sets back) tells.
    let item = out.join("reports/hongqiao/index.html");
    let when = fs::metadata(&item).unwrap().modified().unwrap();
    let mut bytes = fs::read(&item).unwrap();
    bytes[0] = if bytes[0] == b'<' { b' ' } else { b'<' };
    let f = fs::File::options().write(true).open(&item).unwrap();
    std::os::unix::fs::FileExt::write_all_at(&f, &bytes[..1], 0).unwrap();
    f.set_modified(when).unwrap();
    drop(f);
    let doc = fs::read_dir(out.join("search/d"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    fs::write(&doc, "broken").unwrap();
    let summary = site.build_ok();
    assert!(kept(&summary) > 0, "{summary}");
    assert_as_from_scratch(&site, "after files changed in the output");
}

#[test]
fn a_table_of_another_binary_or_configuration_keeps_nothing() {
    let site = fixture_site();
    site.build_ok();
    assert!(kept(&site.build_ok()) > 0);
    // The configuration changes what pages show without changing their data's keys.
    let yaml = site.root().join("site.yaml");
    let config = fs::read_to_string(&yaml).unwrap();
    fs::write(
        &yaml,
        format!("{config}\nbase_url: https://example.org/digest/\n"),
    )
    .unwrap();
    let summary = site.build_ok();
    assert_eq!(kept(&summary), 0, "{summary}");
    assert_as_from_scratch(&site, "after a configuration change");
}

#[test]
fn a_theme_that_reads_the_environment_keeps_pages_only_in_the_same_environment() {
    let site = fixture_site();
    site.write(
        "themes/default/templates/report.html",
        "{% extends \"builtin/report.html\" %}\
         {% block main %}<p class=\"env\">{{ get_env(name=\"CB_REUSE_TEST\", default=\"none\") }}</p>{{ super() }}{% endblock main %}",
    );
    let build = |value: &str| {
        let run = std::process::Command::new(crate::harness::bin())
            .args(["build", "--root"])
            .arg(site.root())
            .env("CB_REUSE_TEST", value)
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        String::from_utf8_lossy(&run.stderr).into_owned()
    };
    build("one");
    assert!(kept(&build("one")) > 0);
    build("two");
    assert!(site
        .out("reports/sandun/index.html")
        .contains(r#"<p class="env">two</p>"#));
}
