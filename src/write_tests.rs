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
