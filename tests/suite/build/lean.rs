//! Issue 12: a build whose report bodies would take too much memory keeps them lean (headings,
//! links, images, digest) and parses each again where a page or the index needs its HTML or
//! text. `CASEBOOK_HELD_BODIES_MB` sets the limit (0: always lean). Lean or whole, the site
//! is the same, byte for byte.

use std::collections::BTreeSet;
use std::fs;
use std::process::Command;

use super::util::real_digest;
use crate::harness::{bin, Site};
use crate::photos::{jpeg_with_exif, output_files};

/// Builds `site` with `held` as the limit (`None`: the default); every output file.
fn build(site: &Site, held: Option<&str>) -> Vec<(String, Vec<u8>)> {
    let mut cmd = Command::new(bin());
    cmd.args(["build", "--root"])
        .arg(site.root())
        .env("NO_COLOR", "1");
    match held {
        Some(mb) => cmd.env("CASEBOOK_HELD_BODIES_MB", mb),
        None => cmd.env_remove("CASEBOOK_HELD_BODIES_MB"),
    };
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "build failed:\n{stderr}");
    output_files(site.root())
}

#[test]
fn lean_bodies_build_the_same_site_as_whole_ones() {
    // The digest (internal links, headings, long bodies with a table of contents, the print
    // edition) and a bundle whose body shows a photo and links a file, which resolve on every
    // page as the image stage has them.
    let site = real_digest();
    site.write(
        "content/reports/zz-bundle/index.md",
        "---\ntitle: 捆绑镇\ntown: 捆绑镇\ncity: 杭州市\nsection: 速写\ntactics: [经费保障]\n---\n\n\
         ## 做法\n\n开头一段，见[板桥镇](@/reports/banqiao.md)。\n\n![职工议事](photo.jpg \"议事会\")\n\n\
         附表见[附件](table.pdf)。\n",
    );
    let dir = site.root().join("content/reports/zz-bundle");
    fs::write(dir.join("photo.jpg"), jpeg_with_exif(1200, 800, 1)).unwrap();
    fs::write(dir.join("table.pdf"), b"%PDF-1.4 test").unwrap();

    let whole = build(&site, None);
    let lean = build(&site, Some("0"));
    assert!(whole.len() > 900, "{} files", whole.len());
    let paths = |files: &[(String, Vec<u8>)]| -> BTreeSet<String> {
        files.iter().map(|f| f.0.clone()).collect()
    };
    let (w, l) = (paths(&whole), paths(&lean));
    assert!(
        w == l,
        "only whole: {:?}; only lean: {:?}",
        w.difference(&l).collect::<Vec<_>>(),
        l.difference(&w).collect::<Vec<_>>()
    );
    let differ: Vec<&str> = whole
        .iter()
        .zip(&lean)
        .filter(|(a, b)| a.1 != b.1)
        .map(|(a, _)| a.0.as_str())
        .collect();
    assert!(differ.is_empty(), "lean bodies changed {differ:?}");
    // The bundle's photo is on its page, from the lean body.
    let page = whole
        .iter()
        .find(|f| f.0 == "reports/zz-bundle/index.html")
        .map(|f| String::from_utf8_lossy(&f.1).into_owned())
        .unwrap();
    assert!(
        page.contains("<picture>") && page.contains("table.pdf"),
        "{page}"
    );
}
