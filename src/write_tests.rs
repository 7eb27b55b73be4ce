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

#[test]
fn unchanged_files_are_linked_and_the_old_output_is_never_written_through() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("output");
    write(
        &out,
        &[file("a/index.html", "same"), file("b.html", "old")],
        |_| Ok(()),
    )
    .unwrap();

    let staging = Staging::new(&out).unwrap();
    staging.put(&file("a/index.html", "same")).unwrap();
    staging.put(&file("b.html", "new")).unwrap();
    // A second file for a linked path replaces the link, not the old file's bytes.
    staging.put(&file("a/index.html", "changed")).unwrap();
    assert_eq!(read(&staging.path().join("a/index.html")), "changed");
    drop(staging); // a failed build: no commit
    assert_eq!(read(&out.join("a/index.html")), "same");
    assert_eq!(read(&out.join("b.html")), "old");
    let left: Vec<_> = fs::read_dir(tmp.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "staging folder left behind: {left:?}");

    let staging = Staging::new(&out).unwrap();
    staging.put(&file("a/index.html", "same")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let ino = |p: &Path| fs::metadata(p).unwrap().ino();
        assert_eq!(
            ino(&staging.path().join("a/index.html")),
            ino(&out.join("a/index.html")),
            "an unchanged file is a link, not a copy"
        );
    }
    staging.commit().unwrap();
    assert_eq!(read(&out.join("a/index.html")), "same");
    assert!(!out.join("b.html").exists(), "files not put again are gone");
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
