use super::*;

fn report(title: &str) -> String {
    format!("---\ntitle: {title}\ntown: 镇\ncity: 市\ntactics: [做法]\n---\n\n正文。\n")
}

/// A site of `count` reports, `r0.md`... titled `报告0`...; its folder and reports folder.
fn site(count: usize) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("content/reports");
    std::fs::create_dir_all(&dir).unwrap();
    for n in 0..count {
        std::fs::write(dir.join(format!("r{n}.md")), report(&format!("报告{n}"))).unwrap();
    }
    (tmp, dir)
}

#[test]
fn only_changed_files_are_read_again() {
    let (tmp, dir) = site(5);
    let project = Project::new(tmp.path());
    let mut cache = LoadCache::default();
    let first = read_cached(&project, &mut cache);
    assert_eq!((first.reports.len(), cache.read), (5, 5));

    let again = read_cached(&project, &mut cache);
    assert_eq!(cache.read, 0, "nothing changed");
    assert!(Arc::ptr_eq(&first.reports[0], &again.reports[0]));

    std::fs::write(dir.join("r2.md"), report("改过的")).unwrap();
    std::fs::remove_file(dir.join("r4.md")).unwrap();
    std::fs::write(dir.join("r5.md"), "---\ntitle: [\n---\n").unwrap();
    let edited = read_cached(&project, &mut cache);
    assert_eq!(cache.read, 2, "the edited and the new file");
    let titles: Vec<&str> = edited
        .reports
        .iter()
        .map(|r| r.meta.title.as_str())
        .collect();
    assert_eq!(titles, ["报告0", "报告1", "改过的", "报告3"]);
    assert!(edited.diagnostics.iter().any(|d| d.path.ends_with("r5.md")));
    // A broken file is not read again until it changes, and keeps its diagnostics.
    let still = read_cached(&project, &mut cache);
    assert_eq!(cache.read, 0);
    assert_eq!(still.diagnostics, edited.diagnostics);
}

#[test]
fn named_content_files_are_read_alone_and_anything_else_looks_at_the_project() {
    let (tmp, dir) = site(4);
    let project = Project::new(tmp.path());
    let mut cache = LoadCache::default();
    let first = read_changed(&project, &mut cache, Some(&[dir.join("r0.md")]));
    assert_eq!(
        (first.reports.len(), cache.read),
        (4, 4),
        "no last look: all"
    );

    // A save the watcher names: that file alone is looked at and read.
    std::fs::write(dir.join("r1.md"), report("改一")).unwrap();
    std::fs::write(dir.join("r2.md"), report("未报")).unwrap();
    let saved = read_changed(&project, &mut cache, Some(&[dir.join("r1.md")]));
    assert_eq!(cache.read, 1);
    let titles: Vec<&str> = saved
        .reports
        .iter()
        .map(|r| r.meta.title.as_str())
        .collect();
    assert_eq!(titles, ["报告0", "改一", "报告2", "报告3"]);
    assert!(Arc::ptr_eq(&first.reports[3], &saved.reports[3]));

    // A new file, a deleted one, or no list at all: the whole project, stamps and all.
    std::fs::write(dir.join("r9.md"), report("新的")).unwrap();
    let added = read_changed(&project, &mut cache, Some(&[dir.join("r9.md")]));
    assert_eq!(
        cache.read, 2,
        "the new file and the unnamed edit, found by its stamp"
    );
    assert_eq!(added.reports.len(), 5);
    std::fs::remove_file(dir.join("r0.md")).unwrap();
    let deleted = read_changed(&project, &mut cache, Some(&[dir.join("r0.md")]));
    assert_eq!((deleted.reports.len(), cache.read), (4, 0));
    std::fs::write(
        tmp.path().join("site.yaml"),
        "title: 改名\nlimits: { max_file_mb: 1 }\n",
    )
    .unwrap();
    let configured = read_changed(&project, &mut cache, None);
    assert_eq!(configured.config.title, "改名");
}

#[test]
fn positions_name_keys_items_and_missing_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("content/reports");
    std::fs::create_dir_all(&dir).unwrap();
    let text = "---\ntitle: 题\ntown: 镇\ncity: 市\ntactics:\n  - 甲\n  - 乙\nmetrics:\n  members: 3\n---\n\n正文。\n";
    std::fs::write(dir.join("r.md"), text).unwrap();
    let sources = load(&Project::new(tmp.path())).unwrap();
    let r = &sources.reports[0];
    assert_eq!(r.positions.get("town"), Some((3, 1)));
    assert_eq!(r.position("tactics.乙"), (7, 5));
    assert_eq!(r.position("metrics.members"), (9, 3));
    // An allowed key the file leaves out is reported where the front matter starts; an item
    // not written falls back to its key; anything else has no place.
    assert_eq!(r.positions.get("county"), Some((2, 1)));
    assert_eq!(r.position("tactics.丙"), (5, 1));
    assert_eq!(r.positions.get("nonsense"), None);
    assert_eq!(r.position("nonsense"), (0, 0));
}
