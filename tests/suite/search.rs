//! Integration tests of search from the command line: `casebook search --json` answers from a
//! tantivy index of the site's sources with exact phrase semantics for Chinese, and the build
//! writes the browser index.

use crate::harness::{repo, Site};

fn fixture() -> Site {
    let site = Site::new();
    crate::harness::copy_dir(&repo().join("tests/fixtures/search/site"), site.root());
    site.build_ok();
    site
}

fn search(site: &Site, q: &str) -> Vec<serde_json::Value> {
    let out = site.run(&["search", "--json", q]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON array")
}

fn slugs(hits: &[serde_json::Value]) -> Vec<String> {
    let mut s: Vec<String> = hits
        .iter()
        .map(|h| h["slug"].as_str().unwrap().to_string())
        .collect();
    s.sort();
    s
}

#[test]
fn chinese_query_is_an_exact_phrase() {
    let site = fixture();
    // decoy.md has 小板 and 板凳 but never 小板凳.
    assert_eq!(slugs(&search(&site, "小板凳")), ["bandeng", "xss"]);
    assert_eq!(slugs(&search(&site, "长板凳")), ["decoy"]);
    assert_eq!(slugs(&search(&site, "凳")), ["bandeng", "decoy", "xss"]);
    // A character inside a run is no term of its own, only the start of a bigram: still found.
    assert_eq!(slugs(&search(&site, "板")), ["bandeng", "decoy", "xss"]);
    assert_eq!(slugs(&search(&site, "小")), ["bandeng", "decoy", "xss"]);
}

#[test]
fn mixed_and_full_width_queries_fold() {
    let site = fixture();
    for q in ["杭工e家", "杭工E家", "ＡＰＰ", "app", "93"] {
        assert_eq!(slugs(&search(&site, q)), ["app"], "{q}");
    }
}

#[test]
fn json_hits_are_best_first_with_titles_and_scores() {
    let site = fixture();
    let hits = search(&site, "小板凳");
    assert_eq!(hits[0]["slug"], "bandeng", "title match ranks first");
    let scores: Vec<f64> = hits.iter().map(|h| h["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    assert_eq!(hits[0]["title"], "泗门镇：“小板凳”职工议事会");
    let limited = site.run(&["search", "--json", "--limit", "1", "凳"]);
    let limited: Vec<serde_json::Value> = serde_json::from_slice(&limited.stdout).unwrap();
    assert_eq!(limited.len(), 1);
}

#[test]
fn build_writes_the_browser_index() {
    let site = fixture();
    let manifest = site.out("search/manifest.js");
    assert!(
        manifest.starts_with("__casebook_search(\"manifest.js\","),
        "{manifest}"
    );
    assert!(site.out_exists("search/search.js"));
    assert!(site.out_exists("search/search-classic.js"));
    assert!(site.out_exists("search/search-ui.js"));
    let classic = site.out("search/search-classic.js");
    assert!(
        !classic.contains("import.meta") && !classic.contains("\nexport "),
        "classic script has module syntax"
    );
    // it carries the ranking script the module imports, ahead of the engine that reads it
    let rank = classic
        .find("globalThis.__casebookRank =")
        .expect("ranking inside");
    let engine = classic
        .find("function createSearch")
        .expect("engine inside");
    assert!(rank < engine);
    assert!(site.out_exists("search/search-rank.js"), "for the module");
    // the title with markup stays data inside the index files
    let dir = site.root().join("output/search");
    let mut found = false;
    for e in walkdir::WalkDir::new(&dir)
        .into_iter()
        .filter_map(Result::ok)
    {
        if e.path().extension().is_some_and(|x| x == "js")
            && e.path().to_string_lossy().contains("/d/")
        {
            let text = std::fs::read_to_string(e.path()).unwrap();
            assert!(
                !text.contains("<script"),
                "raw `<script` in {}",
                e.path().display()
            );
            found |= text.contains("\\u003cscript>alert(1)");
        }
    }
    assert!(found, "the escaped title is in a document file");
}

/// `casebook search` reads the sources, not a build: it answers before any build, as the next
/// build's search will, and writes nothing; a site that does not load is refused with its
/// errors.
#[test]
fn search_needs_no_build_and_writes_nothing() {
    let site = Site::new();
    crate::harness::copy_dir(&repo().join("tests/fixtures/search/site"), site.root());
    assert!(!search(&site, "凳").is_empty());
    assert!(!site.root().join("output").exists());
    site.write("content/reports/broken.md", "---\ntitle: [\n---\n");
    let out = site.run(&["search", "凳"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken.md"), "{err}");
}

/// The manifest's JSON (the script's second argument).
fn manifest(site: &Site) -> serde_json::Value {
    let text = site.out("search/manifest.js");
    let json = text
        .trim_end()
        .strip_prefix("__casebook_search(\"manifest.js\",")
        .and_then(|t| t.strip_suffix(");"))
        .expect("manifest script");
    serde_json::from_str(json).unwrap()
}

/// FNV-1a (64 bits) of `s`'s UTF-8 in 16 hex digits, written out here apart from
/// `index::format::shard_file`: the file of the term shard whose first term is `s`.
fn shard_file(s: &str) -> String {
    let mut h: u64 = 14_695_981_039_346_656_037;
    for b in s.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(1_099_511_628_211);
    }
    format!("{h:016x}")
}

/// The shard tables the manifest lists, and the term shards they list, after checking that
/// every one exists under its name (a table's number, a shard's first term's hash), and that
/// the folder holds no other.
fn listed_index_files(site: &Site) -> (Vec<String>, Vec<String>) {
    let m = manifest(site);
    let dir = m["dir"].as_str().unwrap();
    let on_disk = |kind: char| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(site.root().join("output/search").join(dir))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(kind))
            .collect();
        v.sort();
        v
    };
    let mut tables = Vec::new();
    let mut shards = Vec::new();
    for (k, t) in m["tables"].as_array().unwrap().iter().enumerate() {
        assert_eq!(t["file"], k.to_string(), "tables by number");
        let text = site.out(&format!("search/{dir}/s{k}.js"));
        let json = &text[text.find(',').unwrap() + 1..text.trim_end().len() - 2];
        let table: serde_json::Value = serde_json::from_str(json).unwrap();
        let list = table["shards"].as_array().unwrap();
        assert_eq!(
            list[0]["first"], t["first"],
            "a table starts where its first shard does"
        );
        for s in list {
            let first = s["first"].as_str().unwrap();
            let text = site.out(&format!("search/{dir}/t{}.js", shard_file(first)));
            assert!(
                text.contains(&format!(
                    "\"terms\":[{{\"term\":{}",
                    serde_json::to_string(first).unwrap()
                )),
                "the shard named by {first} starts with it"
            );
            shards.push(format!("t{}.js", shard_file(first)));
        }
        tables.push(format!("s{k}.js"));
    }
    tables.sort();
    shards.sort();
    assert_eq!(on_disk('s'), tables, "tables on disk and listed");
    assert_eq!(on_disk('t'), shards, "shards on disk and listed");
    (tables, shards)
}

#[test]
fn index_files_are_named_by_what_they_hold() {
    let site = fixture();
    let first = manifest(&site);
    assert_eq!(first["format"], 8);
    assert_eq!(first["dir"], "idx");
    let version = first["version"].as_str().unwrap().to_string();
    let (_, shards) = listed_index_files(&site);
    assert!(!shards.is_empty());
    assert!(site.out_exists("search/idx/f0.js"), "facet chunk");
    assert!(site.out_exists(&format!(
        "search/{}",
        first["fold"]["file"].as_str().unwrap()
    )));

    site.build_ok();
    assert_eq!(
        manifest(&site)["version"],
        version.as_str(),
        "same content, same version"
    );
    assert_eq!(
        listed_index_files(&site).1,
        shards,
        "same content, same names"
    );
    let docs_before = doc_files(&site);
    assert_eq!(docs_before.len(), 4, "{docs_before:?}");

    let path = site.root().join("content/reports/decoy.md");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{text}\n又一段新文字。\n")).unwrap();
    site.build_ok();
    assert_ne!(
        manifest(&site)["version"],
        version.as_str(),
        "a changed body changes the version"
    );
    // New words, new shards; the old shards that no table lists are gone.
    let (_, after) = listed_index_files(&site);
    assert!(after.iter().any(|s| !shards.contains(s)), "{after:?}");
    // Result documents are named by number: only the edited one changed (the client asks for
    // them with the index's version, so no cache serves old ones).
    let docs_after = doc_files(&site);
    let changed: Vec<_> = docs_before
        .iter()
        .filter(|(name, text)| docs_after.get(*name) != Some(text))
        .map(|(name, _)| name)
        .collect();
    assert_eq!(changed.len(), 1, "{changed:?}");
}

/// The result documents, `search/d/<doc>.js`, with their content.
fn doc_files(site: &Site) -> std::collections::BTreeMap<String, String> {
    std::fs::read_dir(site.root().join("output/search/d"))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(e.path()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_site_without_reports_has_an_empty_index_the_client_can_load() {
    let site = Site::new();
    std::fs::create_dir_all(site.root().join("content/reports")).unwrap();
    site.build_ok();
    let m = manifest(&site);
    assert_eq!(m["docs"], 0);
    assert_eq!(m["tables"], serde_json::json!([]));
    assert!(!site.root().join("output/search/d").exists());
}

#[test]
fn traditional_and_simplified_find_each_other_and_prefixes_rank_after_exact() {
    let site = Site::new();
    crate::harness::copy_dir(&repo().join("tests/fixtures/search/scripts"), site.root());
    site.build_ok();
    assert_eq!(slugs(&search(&site, "工會")), slugs(&search(&site, "工会")));
    assert_eq!(slugs(&search(&site, "志願服務")), ["qingxi", "shuiting"]);
    assert_eq!(slugs(&search(&site, "诗画畲乡丰收景宁")), ["shuiting"]);
    let app = search(&site, "app");
    let order: Vec<(&str, bool)> = app
        .iter()
        .map(|h| (h["slug"].as_str().unwrap(), h["exact"].as_bool().unwrap()))
        .collect();
    assert_eq!(order, [("jiazhen", true), ("yizhen", false)]);
    assert!(
        search(&site, "app ").len() == 1,
        "a trailing space closes the word"
    );
}

/// Every file of the published index is as readable as the pages beside it, and the output holds
/// no server-side index: a static host serves only what the browser reads.
#[cfg(unix)]
#[test]
fn the_published_index_files_are_as_readable_as_the_pages() {
    use std::os::unix::fs::PermissionsExt;
    let site = fixture();
    let out = site.root().join("output");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let page = mode(&out.join("index.html"));
    let files: Vec<_> = walkdir::WalkDir::new(out.join("search"))
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .collect();
    assert!(files.len() > 10, "{}", files.len());
    for f in &files {
        assert_eq!(mode(f.path()), page, "{}", f.path().display());
    }
    assert!(!out.join("search/tantivy").exists());
    // And the index answers.
    assert!(!search(&site, "凳").is_empty());
}
