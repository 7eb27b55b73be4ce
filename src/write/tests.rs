use super::*;

fn file(path: &str, text: &str) -> OutputFile {
    OutputFile {
        path: path.into(),
        bytes: text.as_bytes().to_vec(),
    }
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap()
}

fn siblings(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_build_changes_the_output_only_at_commit_and_leaves_unchanged_files_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("output");
    write(
        &out,
        &OutputPolicy::default(),
        &[
            file("a/index.html", "same"),
            file("b.html", "old"),
            file("c/d.html", "gone soon"),
            file("x", "a file that becomes a folder"),
        ],
        |_| Ok(()),
    )
    .unwrap();

    let staging = Staging::new(&out, &OutputPolicy::default()).unwrap();
    staging.put(&file("a/index.html", "same")).unwrap();
    staging.put(&file("b.html", "new")).unwrap();
    // A second file for one path replaces the first.
    staging.put(&file("a/index.html", "changed")).unwrap();
    assert_eq!(read(&staging.path().join("a/index.html")), "changed");
    drop(staging); // a failed build: no commit
    assert_eq!(read(&out.join("a/index.html")), "same");
    assert_eq!(read(&out.join("b.html")), "old");
    assert_eq!(
        siblings(tmp.path()),
        ["output"],
        "staging folder left behind"
    );

    #[cfg(unix)]
    let ino = |p: &Path| std::os::unix::fs::MetadataExt::ino(&fs::metadata(p).unwrap());
    #[cfg(unix)]
    let before = ino(&out.join("a/index.html"));
    let staging = Staging::new(&out, &OutputPolicy::default()).unwrap();
    staging.put(&file("a/index.html", "same")).unwrap();
    assert!(
        !staging.path().join("a/index.html").exists(),
        "an unchanged file is not staged"
    );
    staging.put(&file("b.html", "new")).unwrap();
    staging.put(&file("e/f/g.html", "in a new folder")).unwrap();
    staging.put(&file("x/index.html", "a folder now")).unwrap();
    assert_eq!(
        read(&out.join("b.html")),
        "old",
        "nothing moves before commit"
    );
    staging.commit().unwrap();
    #[cfg(unix)]
    assert_eq!(ino(&out.join("a/index.html")), before, "left alone");
    assert_eq!(read(&out.join("a/index.html")), "same");
    assert_eq!(read(&out.join("b.html")), "new");
    assert_eq!(read(&out.join("e/f/g.html")), "in a new folder");
    assert_eq!(read(&out.join("x/index.html")), "a folder now");
    assert!(
        !out.join("c").exists(),
        "files not put again are gone, folders too"
    );
    assert_eq!(siblings(tmp.path()), ["output"]);
    assert_eq!(siblings(&out), [MARKER, "a", "b.html", "e", "x"]);
}

#[test]
fn an_output_path_that_is_a_file_is_refused_and_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("output");
    fs::write(&out, "not a site").unwrap();
    let err = Staging::new(&out, &OutputPolicy::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a folder"), "{err}");
    assert_eq!(read(&out), "not a site");
}

#[test]
fn paths_outside_the_output_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let staging = Staging::new(&tmp.path().join("output"), &OutputPolicy::default()).unwrap();
    for bad in ["../x.html", "/etc/x", "a/../../x"] {
        assert!(staging.put(&file(bad, "x")).is_err(), "{bad}");
    }
    assert!(!tmp.path().join("x.html").exists());
}

#[cfg(unix)]
#[test]
fn files_under_a_linked_folder_are_staged_not_lost() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("output");
    let real = tmp.path().join("real");
    fs::create_dir_all(&out).unwrap();
    fs::create_dir_all(&real).unwrap();
    fs::write(real.join("a.html"), "same").unwrap();
    std::os::unix::fs::symlink(&real, out.join("reports")).unwrap();
    fs::write(out.join(MARKER), "").unwrap(); // an output of an earlier build

    let staging = Staging::new(&out, &OutputPolicy::default()).unwrap();
    staging.put(&file("reports/a.html", "same")).unwrap();
    staging.put(&file("reports/b.html", "new")).unwrap();
    staging.commit().unwrap();
    assert!(!fs::symlink_metadata(out.join("reports"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(read(&out.join("reports/a.html")), "same");
    assert_eq!(read(&out.join("reports/b.html")), "new");
    assert_eq!(
        read(&real.join("a.html")),
        "same",
        "the link's target is left alone"
    );
}

#[cfg(unix)]
#[test]
fn an_output_that_links_to_a_folder_is_updated_where_it_points() {
    let tmp = tempfile::tempdir().unwrap();
    let real = tmp.path().join("elsewhere/site");
    fs::create_dir_all(&real).unwrap();
    fs::write(real.join("gone.html"), "old").unwrap();
    fs::write(real.join(MARKER), "").unwrap(); // an output of an earlier build
    let out = tmp.path().join("output");
    std::os::unix::fs::symlink(&real, &out).unwrap();
    write(
        &out,
        &OutputPolicy::default(),
        &[file("b.html", "new")],
        |_| Ok(()),
    )
    .unwrap();
    assert!(fs::symlink_metadata(&out).unwrap().file_type().is_symlink());
    assert_eq!(read(&real.join("b.html")), "new");
    assert!(!real.join("gone.html").exists());
    assert_eq!(siblings(tmp.path()), ["elsewhere", "output"]);
    assert_eq!(siblings(&tmp.path().join("elsewhere")), ["site"]);
}

#[cfg(unix)]
#[test]
fn stale_folders_with_names_that_are_not_utf8_are_removed() {
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("output");
    let odd = out.join(std::ffi::OsStr::from_bytes(b"\xff"));
    fs::create_dir_all(&odd).unwrap();
    fs::write(odd.join(std::ffi::OsStr::from_bytes(b"\xfe.html")), "x").unwrap();
    fs::write(out.join(MARKER), "").unwrap(); // an output of an earlier build
    write(
        &out,
        &OutputPolicy::default(),
        &[file("a//b.html", "new")],
        |_| Ok(()),
    )
    .unwrap();
    assert_eq!(siblings(&out), [MARKER, "a"]);
    assert_eq!(read(&out.join("a/b.html")), "new");
    // Written again unchanged: the `a//b.html` key matches the file on disk, nothing is lost.
    write(
        &out,
        &OutputPolicy::default(),
        &[file("a//b.html", "new")],
        |_| Ok(()),
    )
    .unwrap();
    assert_eq!(read(&out.join("a/b.html")), "new");
}

fn policy_for(root: &Path) -> OutputPolicy {
    OutputPolicy::for_site(root, &root.join("content"), false)
}

#[test]
fn the_site_its_folders_and_their_ancestors_are_never_an_output() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("site");
    fs::create_dir_all(root.join("content/reports")).unwrap();
    fs::create_dir_all(root.join("themes/default")).unwrap();
    fs::write(root.join("content/reports/a.md"), "keep").unwrap();
    let mut policy = policy_for(&root);
    policy.force = true; // refused even so
    for bad in [
        root.clone(),
        root.join("content"),
        root.join("content/"),
        root.join("themes"),
        tmp.path().to_path_buf(),
        root.join("output/.."),
        root.join("content/reports"),
        root.join("content/new-folder"),
        root.join("themes/default/static"),
    ] {
        let err = Staging::new(&bad, &policy).unwrap_err();
        assert!(
            matches!(err, Error::Output { .. }),
            "{}: {err}",
            bad.display()
        );
    }
    assert_eq!(read(&root.join("content/reports/a.md")), "keep");
    assert!(!root.join("content/new-folder").exists());
    assert!(!root.join(MARKER).exists() && !root.join("content").join(MARKER).exists());
    // The default output, inside the root, is fine.
    Staging::new(&root.join("output"), &policy).unwrap();
}

#[cfg(unix)]
#[test]
fn a_link_to_the_site_is_judged_as_the_site() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("site");
    fs::create_dir_all(root.join("content")).unwrap();
    fs::write(root.join("content/a.md"), "keep").unwrap();
    std::os::unix::fs::symlink(&root, tmp.path().join("link")).unwrap();
    let err = Staging::new(&tmp.path().join("link"), &policy_for(&root)).unwrap_err();
    assert!(err.to_string().contains("the site root"), "{err}");
    assert_eq!(read(&root.join("content/a.md")), "keep");
}

#[test]
fn a_folder_casebook_did_not_make_is_cleared_only_with_force() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("site");
    let out = tmp.path().join("x");
    fs::create_dir_all(&out).unwrap();
    fs::write(out.join("id_rsa"), "secret").unwrap();
    let err = Staging::new(&out, &policy_for(&root))
        .unwrap_err()
        .to_string();
    assert!(err.contains("id_rsa") && err.contains("--force"), "{err}");
    assert_eq!(read(&out.join("id_rsa")), "secret");
    assert!(!out.join(MARKER).exists(), "a refused folder is not marked");

    // An empty folder is taken (and marked).
    let empty = tmp.path().join("empty");
    fs::create_dir_all(&empty).unwrap();
    write(&empty, &policy_for(&root), &[file("a.html", "x")], |_| {
        Ok(())
    })
    .unwrap();
    assert_eq!(siblings(&empty), [MARKER, "a.html"]);

    // With --force the folder becomes an output like any other.
    let mut force = policy_for(&root);
    force.force = true;
    write(&out, &force, &[file("a.html", "x")], |_| Ok(())).unwrap();
    assert_eq!(siblings(&out), [MARKER, "a.html"]);
    // ... and needs no --force again.
    write(&out, &policy_for(&root), &[file("b.html", "y")], |_| Ok(())).unwrap();
    assert_eq!(siblings(&out), [MARKER, "b.html"]);
}

#[test]
fn a_failed_first_build_leaves_no_output_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("output");
    let staging = Staging::new(&out, &OutputPolicy::default()).unwrap();
    staging.put(&file("a.html", "x")).unwrap();
    drop(staging);
    assert!(!out.exists());
}

#[test]
fn a_second_build_of_one_output_is_refused_while_the_first_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("output");
    let first = Staging::new(&out, &OutputPolicy::default()).unwrap();
    let err = Staging::new(&out, &OutputPolicy::default()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Output {
                reason: crate::error::OutputRefusal::Busy,
                ..
            }
        ),
        "{err}"
    );
    first.put(&file("a.html", "x")).unwrap();
    first.commit().unwrap();
    // Free again once the first is done.
    Staging::new(&out, &OutputPolicy::default()).unwrap();
}

/// The files of an output with their contents, the marker and staging folder left out.
fn contents(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_entry(|e| e.file_name() != STAGING)
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file() && e.file_name() != MARKER)
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap();
            (key_of(rel), read(e.path()))
        })
        .collect();
    files.sort();
    files
}

#[test]
fn a_commit_cut_short_is_finished_by_the_next_build() {
    let old = [
        file("a/index.html", "old a"),
        file("b.html", "old b"),
        file("gone/index.html", "gone"),
        file("x", "a file that becomes a folder"),
    ];
    let new = [
        file("a/index.html", "new a"),
        file("b.html", "old b"),
        file("c/d/e.html", "new folder"),
        file("x/index.html", "a folder now"),
    ];
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("output");
    write(&out, &OutputPolicy::default(), &new, |_| Ok(())).unwrap();
    let want_new = contents(&out);
    let total = {
        write(&out, &OutputPolicy::default(), &old, |_| Ok(())).unwrap();
        let staging = Staging::new(&out, &OutputPolicy::default()).unwrap();
        for f in &new {
            staging.put(f).unwrap();
        }
        let dir = staging.path().to_path_buf();
        let mut ops = moves(&dir, &out).unwrap();
        ops.extend(stale(&out, &staging.put.lock().unwrap()).unwrap());
        ops.len()
    };
    assert!(total >= 5, "{total} ops");
    for cut in 0..=total {
        write(&out, &OutputPolicy::default(), &old, |_| Ok(())).unwrap();
        let want_old = contents(&out);
        // Stage the new site and run only the first `cut` steps of its commit, as a kill would.
        let mut staging = Staging::new(&out, &OutputPolicy::default()).unwrap();
        for f in &new {
            staging.put(f).unwrap();
        }
        let dir = staging.dir.take().unwrap();
        let put = std::mem::take(&mut *staging.put.lock().unwrap());
        let mut ops = moves(&dir, &out).unwrap();
        ops.extend(stale(&out, &put).unwrap());
        journal::write(&dir, &ops).unwrap();
        journal::run(&out, &dir, &ops[..cut]).unwrap();
        drop(staging); // the lock goes with the process
        if cut == 0 {
            assert_eq!(contents(&out), want_old, "nothing moved yet");
        } else {
            assert_ne!(contents(&out), want_old, "cut after {cut}: mixed");
        }
        // The next build finishes the commit before it does anything else.
        let next = Staging::new(&out, &OutputPolicy::default()).unwrap();
        assert_eq!(contents(&out), want_new, "cut after {cut} of {total} steps");
        drop(next);
        assert_eq!(siblings(&out)[0], MARKER);
    }
}

#[test]
fn a_build_killed_before_its_commit_leaves_the_old_site() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("output");
    write(
        &out,
        &OutputPolicy::default(),
        &[file("a.html", "old")],
        |_| Ok(()),
    )
    .unwrap();
    let mut staging = Staging::new(&out, &OutputPolicy::default()).unwrap();
    staging.put(&file("a.html", "new")).unwrap();
    staging.put(&file("b.html", "new")).unwrap();
    // A kill: the staging folder stays, with no journal.
    let dir = staging.dir.take().unwrap();
    drop(staging);
    assert!(dir.exists());
    let next = Staging::new(&out, &OutputPolicy::default()).unwrap();
    assert_eq!(contents(&out), [("a.html".to_string(), "old".to_string())]);
    drop(next);
    assert_eq!(siblings(&out), [MARKER, "a.html"], "leftovers swept");
}

#[test]
fn the_cache_survives_commits_refuses_odd_keys_and_keeps_only_what_a_build_used() {
    use crate::output::Cache;
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("output");
    let staging = Staging::new(&out, &OutputPolicy::default()).unwrap();
    let cache = staging.cache("images");
    cache.put("aa11.size", b"10 20");
    cache.put("bb22.size", b"30 40");
    // A key is a file name of ours: nothing that climbs out or hides.
    cache.put("../escape", b"x");
    cache.put(".hidden", b"x");
    assert_eq!(cache.get("../escape"), None);
    // The cache is not the site: not publishable, not stale.
    assert!(staging
        .put(&file(".casebook-cache/images/aa11.size", "forged"))
        .is_err());
    staging.put(&file("index.html", "page")).unwrap();
    staging.commit().unwrap();
    cache.prune().unwrap();
    let dir = out.join(CACHE).join("images");
    assert_eq!(siblings(&dir), ["aa11.size", "bb22.size"]);
    assert!(!tmp.path().join("escape").exists());

    // The next build asks for one of them: the other goes.
    let staging = Staging::new(&out, &OutputPolicy::default()).unwrap();
    let cache = staging.cache("images");
    assert_eq!(cache.get("aa11.size").as_deref(), Some(&b"10 20"[..]));
    staging.put(&file("index.html", "page")).unwrap();
    staging.commit().unwrap();
    cache.prune().unwrap();
    assert_eq!(siblings(&dir), ["aa11.size"]);
    assert_eq!(read(&out.join("index.html")), "page");
}
