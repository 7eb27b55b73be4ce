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
        &[
            file("a/index.html", "same"),
            file("b.html", "old"),
            file("c/d.html", "gone soon"),
            file("x", "a file that becomes a folder"),
        ],
        |_| Ok(()),
    )
    .unwrap();

    let staging = Staging::new(&out).unwrap();
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
    let staging = Staging::new(&out).unwrap();
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
    assert_eq!(siblings(&out), ["a", "b.html", "e", "x"]);
}

#[test]
fn an_output_path_that_is_a_file_is_refused_and_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("output");
    fs::write(&out, "not a site").unwrap();
    let err = Staging::new(&out).unwrap_err().to_string();
    assert!(err.contains("not a folder"), "{err}");
    assert_eq!(read(&out), "not a site");
}

#[test]
fn paths_outside_the_output_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let staging = Staging::new(&tmp.path().join("output")).unwrap();
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

    let staging = Staging::new(&out).unwrap();
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
    let out = tmp.path().join("output");
    std::os::unix::fs::symlink(&real, &out).unwrap();
    write(&out, &[file("b.html", "new")], |_| Ok(())).unwrap();
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
    write(&out, &[file("a//b.html", "new")], |_| Ok(())).unwrap();
    assert_eq!(siblings(&out), ["a"]);
    assert_eq!(read(&out.join("a/b.html")), "new");
    // Written again unchanged: the `a//b.html` key matches the file on disk, nothing is lost.
    write(&out, &[file("a//b.html", "new")], |_| Ok(())).unwrap();
    assert_eq!(read(&out.join("a/b.html")), "new");
}
