//! All or nothing: a failed build leaves the previous output byte for byte, a rebuild leaves no
//! stale page behind, and nothing is written outside the output folder.

use super::util::*;
use std::collections::BTreeMap;
use std::path::Path;

use crate::harness::Site;

#[test]
fn failed_build_leaves_previous_output_byte_for_byte() {
    let site = fixture_site();
    site.build_ok();
    let before = snapshot(&out_dir(&site));
    assert!(before.contains_key("reports/sandun/index.html"));

    // Change a report (so a successful build would differ) and break another.
    site.report(
        "hangzhou/sandun",
        "改过的标题",
        "三墩镇",
        "杭州市",
        &["志愿服务"],
    );
    site.write("content/reports/broken.md", "---\ntitle: [\n---\n");
    site.build_err();
    assert_eq!(
        snapshot(&out_dir(&site)),
        before,
        "output changed by a failed build"
    );
    assert_eq!(
        tree(site.root(), "output"),
        tree(
            &crate::harness::repo().join("tests/fixtures/build/site"),
            ""
        )
        .into_iter()
        .chain(["content/reports/broken.md".to_string()])
        .collect(),
        "a failed build left files beside the output"
    );
}

#[test]
fn rebuild_after_deleting_a_report_leaves_no_stale_page() {
    let site = fixture_site();
    site.build_ok();
    assert!(site.out_exists("reports/xikou/index.html"));
    assert!(site.out_exists("cities/ning-bo-shi/index.html"));

    std::fs::remove_file(site.root().join("content/reports/ningbo/xikou.md")).unwrap();
    site.build_ok();
    assert!(!site.out_exists("reports/xikou"), "stale report page");
    // 宁波市 had only that report: its city page goes too, and nothing links to either.
    assert!(!site.out_exists("cities/ning-bo-shi"), "stale city page");
    for (rel, bytes) in snapshot(&out_dir(&site)) {
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("reports/xikou/"),
            "{rel} still links the deleted report"
        );
    }
    assert_links_resolve(&out_dir(&site));
}

#[test]
fn nothing_is_written_outside_the_output_folder() {
    let site = fixture_site();
    let before = tree(site.root(), "output");
    site.build_ok();
    site.build_ok(); // the second build swaps out an existing output
    assert_eq!(
        tree(site.root(), "output"),
        before,
        "files appeared beside the output"
    );

    // With --output elsewhere, the site root is untouched and the output's folder holds only it.
    let elsewhere = Site::new();
    let target = elsewhere.root().join("public");
    let (code, stderr) = run(&site, &["build", "--output", target.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(target.join("index.html").is_file());
    assert_eq!(tree(elsewhere.root(), "public"), Default::default());
    assert_eq!(tree(site.root(), "output"), before);
}

#[test]
fn output_folder_holds_only_the_site() {
    let site = fixture_site();
    site.build_ok();
    // Stray files in an old output are not carried over: the folder is replaced, not patched.
    site.write("output/stale.html", "old");
    site.write("output/reports/gone/index.html", "old");
    site.build_ok();
    assert!(!site.out_exists("stale.html"));
    assert!(!site.out_exists("reports/gone"));
}

/// Asserts two folder snapshots are equal, naming the paths that differ (not their bytes).
fn assert_same(got: &BTreeMap<String, Vec<u8>>, want: &BTreeMap<String, Vec<u8>>, what: &str) {
    let differ: Vec<&String> = got
        .keys()
        .chain(want.keys())
        .filter(|k| got.get(*k) != want.get(*k))
        .collect();
    assert!(differ.is_empty(), "{what}: these paths differ: {differ:?}");
}

/// Issue 10 (critical): `--output` deleted whatever folder it was given. Each case below lost
/// files before the fix; now each is refused with exit status 1, and the folder is unchanged.
fn assert_output_refused(site: &Site, output: &Path, env: &[(&str, &Path)], want: &str) {
    // The folder itself, unless it is an ancestor of the site (a shared temp folder).
    let watched = if output.is_dir() && !site.root().starts_with(output) {
        output
    } else {
        site.root()
    };
    let before = snapshot(watched);
    let root_before = snapshot(site.root());
    let mut cmd = std::process::Command::new(crate::harness::bin());
    cmd.args(["build", "--root"])
        .arg(site.root())
        .arg("--output")
        .arg(output)
        .env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}: {stderr}", output.display());
    assert!(
        stderr.contains("cannot build into") && stderr.contains(want),
        "{}: {stderr}",
        output.display()
    );
    assert_same(&snapshot(watched), &before, &output.display().to_string());
    assert_same(&snapshot(site.root()), &root_before, "the site");
}

#[test]
fn regression_output_never_deletes_the_site_its_content_or_themes() {
    let site = fixture_site();
    site.write("themes/mine/templates/base.html", "{{ 1 }}");
    let root = site.root().to_path_buf();
    for (out, what) in [
        (root.clone(), "the site root"),
        (root.join("content"), "the content folder"),
        (root.join("content/reports"), "inside the content folder"),
        (root.join("themes"), "the themes folder"),
        (root.parent().unwrap().to_path_buf(), "the site root"),
        (root.join("output/.."), "the site root"),
    ] {
        assert_output_refused(&site, &out, &[], what);
    }
    // Relative to the working folder too: `--output content` run inside the site.
    let out = std::process::Command::new(crate::harness::bin())
        .args(["build", "--output", "content"])
        .current_dir(site.root())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(site.root().join("content/reports").is_dir());
}

#[test]
fn regression_output_never_deletes_the_home_folder_or_a_folder_of_other_files() {
    let site = fixture_site();
    let home = Site::new();
    home.write("id_rsa", "secret").write("x/id_rsa", "secret");
    let env = [("HOME", home.root())];
    assert_output_refused(&site, home.root(), &env, "the home folder");
    assert_output_refused(&site, &home.root().join("x"), &env, "id_rsa");
    assert_eq!(
        std::fs::read_to_string(home.root().join("x/id_rsa")).unwrap(),
        "secret"
    );
}

#[cfg(unix)]
#[test]
fn regression_output_link_is_judged_as_the_folder_it_points_to() {
    let site = fixture_site();
    let other = Site::new();
    other.write("notes.txt", "mine");
    std::os::unix::fs::symlink(other.root(), site.root().join("output")).unwrap();
    assert_output_refused(&site, &site.root().join("output"), &[], "notes.txt");
    // A link to the content folder is the content folder.
    std::fs::remove_file(site.root().join("output")).unwrap();
    std::os::unix::fs::symlink(site.root().join("content"), site.root().join("output")).unwrap();
    assert_output_refused(
        &site,
        &site.root().join("output"),
        &[],
        "the content folder",
    );
}

#[test]
fn force_replaces_a_folder_casebook_did_not_create_and_marks_it() {
    let site = fixture_site();
    site.write("public/old.txt", "from another tool");
    let target = site.root().join("public");
    let (code, stderr) = run(&site, &["build", "--output", target.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("old.txt") && stderr.contains("--force"),
        "{stderr}"
    );
    let (code, stderr) = run(
        &site,
        &["build", "--force", "--output", target.to_str().unwrap()],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!target.join("old.txt").exists());
    assert!(target.join(".casebook").is_file() && target.join("index.html").is_file());
    // Marked now: the next build needs no --force.
    let (code, stderr) = run(&site, &["build", "--output", target.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stderr}");
}

/// Issue 10: a kill during the commit left a mix of old and new pages for good. The commit is
/// journalled now: killed at any step, the output is the old site or, once the next command has
/// run (here a build that fails on purpose and writes nothing of its own), the new one.
#[test]
fn regression_a_build_killed_during_its_commit_is_finished_by_the_next_one() {
    let site = fixture_site();
    let edit = |site: &Site| {
        site.report(
            "hangzhou/sandun",
            "改过的标题",
            "三墩镇",
            "杭州市",
            &["志愿服务"],
        );
        let _ = std::fs::remove_file(site.root().join("content/reports/ningbo/xikou.md"));
    };
    // The site after the edit, built cleanly: what a finished commit must leave. (The build's
    // table of what it made holds each file's inode and time: the reference's are its own.)
    let site_files = |dir: &Path| {
        let mut s = snapshot(dir);
        s.retain(|k, _| !k.starts_with(".casebook-cache/"));
        s
    };
    let reference = fixture_site();
    edit(&reference);
    reference.build_ok();
    let want = site_files(&out_dir(&reference));

    for cut in [0, 1, 5, 40, 100000] {
        let site = fixture_site();
        site.build_ok();
        let old = snapshot(&out_dir(&site));
        edit(&site);
        let killed = std::process::Command::new(crate::harness::bin())
            .args(["build", "--root"])
            .arg(site.root())
            .env("CASEBOOK_TEST_FAULT", format!("commit:{cut}"))
            .output()
            .unwrap();
        let finished = killed.status.success();
        if !finished {
            assert_eq!(killed.status.code(), None, "killed by a signal at {cut}");
        }
        let staging = out_dir(&site).join(".casebook-staging");
        assert_eq!(
            staging.exists(),
            !finished,
            "journal left for the next build"
        );
        if cut == 0 {
            let mut now = snapshot(&out_dir(&site));
            now.retain(|k, _| !k.starts_with(".casebook-staging"));
            assert_same(&now, &old, "killed before the first step: the old site");
        }
        site.write("content/reports/broken.md", "---\ntitle: [\n---\n");
        site.build_err();
        std::fs::remove_file(site.root().join("content/reports/broken.md")).unwrap();
        assert_same(
            &site_files(&out_dir(&site)),
            &want,
            &format!("killed at step {cut}"),
        );
    }
    let _ = site;
}

/// Issue 10: three builds of one site at once corrupted the search index while each said
/// "built". One build holds the output's lock; the others refuse clearly, and the site is whole.
#[test]
fn regression_concurrent_builds_of_one_output_never_mix() {
    let site = fixture_site();
    site.build_ok();
    let published = || {
        let mut s = snapshot(&out_dir(&site));
        s.retain(|k, _| !k.starts_with(".casebook"));
        s
    };
    let want = published();
    // Held by another process: refused, with the reason.
    let lock = std::fs::File::open(out_dir(&site).join(".casebook")).unwrap();
    lock.lock().unwrap();
    let (code, stderr) = run(&site, &["build"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("another casebook build"), "{stderr}");
    drop(lock);

    for _ in 0..4 {
        let children: Vec<_> = (0..3)
            .map(|_| {
                std::process::Command::new(crate::harness::bin())
                    .args(["build", "--root"])
                    .arg(site.root())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            let out = c.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.success() || stderr.contains("another casebook build"),
                "{stderr}"
            );
        }
        assert_same(&published(), &want, "after three builds at once");
    }
}
