use std::path::{Path, PathBuf};

use super::*;
use crate::load::{self, LoadCache, Project};
use crate::model::{build, build_cached};

/// A copy of the build fixture's site.
fn fixture() -> tempfile::TempDir {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/build/site");
    let dir = tempfile::tempdir().unwrap();
    for entry in walkdir::WalkDir::new(&from) {
        let entry = entry.unwrap();
        let to = dir.path().join(entry.path().strip_prefix(&from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else {
            std::fs::copy(entry.path(), &to).unwrap();
        }
    }
    dir
}

/// A copy of the fixture, loaded and modelled as serve's first build does.
fn served() -> (tempfile::TempDir, Project, LoadCache, ModelCache) {
    let dir = fixture();
    let project = Project::new(dir.path());
    let (mut loaded, mut cache) = (LoadCache::default(), ModelCache::default());
    let sources = load::read_changed(&project, &mut loaded, None);
    build_cached(&sources, &mut cache).unwrap();
    assert!(!cache.patched);
    (dir, project, loaded, cache)
}

/// Everything of a model but its interface strings, whose maps print in no fixed order
/// (compared by fingerprint instead).
fn shape(site: &Site) -> String {
    format!(
        "{:#?}",
        (
            &site.config,
            &site.reports,
            &site.pages,
            &site.news,
            &site.cities,
            &site.tactics,
            &site.sections,
            &site.metrics,
            &site.diagnostics,
            site.strings.fingerprint(),
        )
    )
}

/// `serve`'s edits of one report, each followed by the cached model (as serve builds it) and
/// a model built anew from the same sources: the two must be alike, and the cached one must
/// have been patched exactly when the edit left every report's place as it was.
#[test]
fn a_patched_model_is_the_model_built_anew() {
    let (dir, project, mut loaded, mut cache) = served();
    assert!(!cache.patched);
    let reports = dir.path().join("content/reports/hangzhou");
    let (sandun, tangqi) = (reports.join("sandun.md"), reports.join("tangqi.md"));
    let edits: &[(&str, &PathBuf, &str, &str, bool)] = &[
        (
            "body",
            &sandun,
            "三墩镇总工会的开篇段落。",
            "三墩镇总工会的第一段。",
            true,
        ),
        (
            "title",
            &sandun,
            "title: 三墩镇：网格连着职工心",
            "title: 三墩镇：网格",
            true,
        ),
        (
            "metric value",
            &sandun,
            "members: 1200",
            "members: 1300",
            true,
        ),
        (
            "summary",
            &sandun,
            "summary: 三墩镇把工会建在网格上。",
            "summary: 网格。",
            true,
        ),
        (
            "date",
            &sandun,
            "date: 2018-12-10",
            "date: 2019-01-02",
            true,
        ),
        ("metric emptied", &sandun, "stations: 5", "stations:", false),
        ("metric given", &sandun, "stations:", "stations: 6", false),
        // 志愿服务 and 女职工关爱 are in the vocabulary, 文体活动 is not but another report names
        // it, 调解 no report names: only a tactic new to the site changes the names.
        (
            "tactic dropped",
            &sandun,
            "tactics: [网格化, 志愿服务]",
            "tactics: [网格化]",
            true,
        ),
        (
            "tactic taken",
            &sandun,
            "tactics: [网格化]",
            "tactics: [网格化, 女职工关爱]",
            true,
        ),
        (
            "tactics reordered",
            &sandun,
            "tactics: [网格化, 女职工关爱]",
            "tactics: [女职工关爱, 网格化]",
            true,
        ),
        (
            "tactic new to the site",
            &sandun,
            "tactics: [女职工关爱, 网格化]",
            "tactics: [女职工关爱, 网格化, 调解]",
            false,
        ),
        (
            "tactic no other report names dropped",
            &sandun,
            "tactics: [女职工关爱, 网格化, 调解]",
            "tactics: [女职工关爱, 网格化]",
            false,
        ),
        (
            "tactic another report names taken",
            &sandun,
            "tactics: [女职工关爱, 网格化]",
            "tactics: [女职工关爱, 网格化, 文体活动]",
            true,
        ),
        (
            "tactic another report names dropped",
            &sandun,
            "tactics: [女职工关爱, 网格化, 文体活动]",
            "tactics: [女职工关爱]",
            true,
        ),
        ("county", &sandun, "county: 西湖区", "county: 余杭区", false),
        (
            "section",
            &sandun,
            "section: 特别报道",
            "section: 速写",
            false,
        ),
        // Tangqi's rank becomes Liangzhu's (速写, 杭州市, weight 20): titles order them.
        ("weight", &tangqi, "weight: 10", "weight: 20", false),
        (
            "title kept before",
            &tangqi,
            "title: 塘栖镇：园区服务站",
            "title: 塘栖镇：服务站",
            true,
        ),
        (
            "title moved after",
            &tangqi,
            "title: 塘栖镇：服务站",
            "title: 芦墟：服务站",
            false,
        ),
        (
            "title moved back",
            &tangqi,
            "title: 芦墟：服务站",
            "title: 塘栖镇",
            false,
        ),
        (
            "draft",
            &tangqi,
            "weight: 20",
            "weight: 20\ndraft: true",
            false,
        ),
    ];
    for (name, file, from, to, patched) in edits {
        let text = std::fs::read_to_string(file).unwrap();
        assert!(
            text.contains(from),
            "{name}: {from} not in {}",
            file.display()
        );
        std::fs::write(file, text.replacen(from, to, 1)).unwrap();
        let named = [(*file).clone()];
        let sources = load::read_changed(&project, &mut loaded, Some(&named));
        let cached = build_cached(&sources, &mut cache).unwrap();
        assert_eq!(cache.patched, *patched, "{name}: patched");
        let anew = build(&sources).unwrap();
        assert_eq!(shape(&cached), shape(&anew), "{name}");
    }
}

/// A patch that would have to report an error leaves it to the model built anew, which
/// reports it with everything else; the next edit is patched again.
#[test]
fn an_edit_that_breaks_the_model_is_built_anew_and_reported() {
    let (dir, project, mut loaded, mut cache) = served();
    let file = dir.path().join("content/reports/hangzhou/sandun.md");
    let text = std::fs::read_to_string(&file).unwrap();
    let edit = |text: &str, loaded: &mut LoadCache| {
        std::fs::write(&file, text).unwrap();
        load::read_changed(&project, loaded, Some(std::slice::from_ref(&file)))
    };
    // A photo the body names but the folder does not have.
    let broken = text.replacen("开篇段落。", "开篇段落。\n\n![图](missing.jpg)", 1);
    let sources = edit(&broken, &mut loaded);
    match build_cached(&sources, &mut cache) {
        Err(crate::error::Error::Content(d)) => {
            assert!(d.iter().any(|d| d.message.contains("missing.jpg")), "{d:?}")
        }
        other => panic!("{:?}", other.map(|s| s.diagnostics)),
    }
    assert!(!cache.patched);
    // Put right: built anew (the last good model is not the one to patch), then patched.
    let sources = edit(&text, &mut loaded);
    let site = build_cached(&sources, &mut cache).unwrap();
    assert_eq!(shape(&site), shape(&build(&sources).unwrap()));
    let sources = edit(&text.replacen("开篇段落", "第一段", 1), &mut loaded);
    let site = build_cached(&sources, &mut cache).unwrap();
    assert!(cache.patched);
    assert_eq!(shape(&site), shape(&build(&sources).unwrap()));
}
