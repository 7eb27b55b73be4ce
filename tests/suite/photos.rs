//! Issue 14, photos and files beside a report: page bundles (`<slug>/index.md` with its files),
//! the site's `static/` folder, images processed at build time (orientation applied, metadata
//! gone, WebP variants, cached across builds), missing files reported at their position, and
//! the share metadata (Open Graph, Twitter) of every page.

use std::fs;
use std::io::Cursor;
use std::path::Path;

use crate::harness::Site;

/// A JPEG of `w` × `h` pixels, left half red and right half blue as stored, carrying an EXIF
/// block (APP1) with `orientation` and a GPS position (latitude 30° N, longitude 120° E, the
/// place name "SECRET-PLACE" in GPSAreaInformation), as a phone writes it.
pub fn jpeg_with_exif(w: u32, h: u32, orientation: u16) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, _| {
        if x < w / 2 {
            image::Rgb([220, 20, 20])
        } else {
            image::Rgb([20, 20, 220])
        }
    });
    let mut jpeg = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
        .unwrap();
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8]);
    let mut out = jpeg[..2].to_vec();
    out.extend(app1(orientation));
    out.extend(&jpeg[2..]);
    out
}

/// An APP1 segment: `Exif\0\0`, a big-endian TIFF header, IFD0 with Orientation and a pointer
/// to a GPS IFD that holds GPSLatitudeRef, GPSLatitude, GPSLongitudeRef, GPSLongitude and
/// GPSAreaInformation.
fn app1(orientation: u16) -> Vec<u8> {
    let mut t: Vec<u8> = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
    let entry = |t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        t.extend(tag.to_be_bytes());
        t.extend(kind.to_be_bytes());
        t.extend(count.to_be_bytes());
        t.extend(value);
    };
    // IFD0 at 8: 2 entries (2 + 2 * 12 + 4 = 30 bytes), GPS IFD at 38.
    let gps_at: u32 = 8 + 30;
    t.extend(2u16.to_be_bytes());
    let o = orientation.to_be_bytes();
    entry(&mut t, 0x0112, 3, 1, [o[0], o[1], 0, 0]);
    entry(&mut t, 0x8825, 4, 1, gps_at.to_be_bytes());
    t.extend(0u32.to_be_bytes());
    // GPS IFD: 5 entries (2 + 5 * 12 + 4 = 66 bytes); data after it.
    let data_at = gps_at + 66;
    let area = b"ASCII\x00\x00\x00SECRET-PLACE";
    t.extend(5u16.to_be_bytes());
    entry(&mut t, 0x0001, 2, 2, *b"N\x00\x00\x00");
    entry(&mut t, 0x0002, 5, 3, data_at.to_be_bytes());
    entry(&mut t, 0x0003, 2, 2, *b"E\x00\x00\x00");
    entry(&mut t, 0x0004, 5, 3, (data_at + 24).to_be_bytes());
    entry(
        &mut t,
        0x001C,
        7,
        area.len() as u32,
        (data_at + 48).to_be_bytes(),
    );
    t.extend(0u32.to_be_bytes());
    for deg in [30u32, 120] {
        for (n, d) in [(deg, 1u32), (0, 1), (0, 1)] {
            t.extend(n.to_be_bytes());
            t.extend(d.to_be_bytes());
        }
    }
    t.extend(area);
    let mut seg = vec![0xFF, 0xE1];
    let len = (2 + 6 + t.len()) as u16;
    seg.extend(len.to_be_bytes());
    seg.extend(b"Exif\x00\x00");
    seg.extend(t);
    seg
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// A site with one page-bundle report holding a photo (stored sideways: EXIF orientation 6
/// turns it upright), a PDF and a photo that no page shows.
fn bundle_site() -> Site {
    let site = Site::new();
    site.write(
        "content/reports/sandun/index.md",
        "---\ntitle: 三墩镇\ntown: 三墩镇\ncity: 杭州市\ntactics: [网格化管理]\n\
         summary: 三墩镇的\"小板凳\"<议事>\n---\n\n开头一段。\n\n\
         ![职工在议事](photo.jpg \"三墩镇职工议事会，2018 年\")\n\n\
         附表见[附件](table.pdf)。\n",
    );
    site.report("other", "另一镇", "另一镇", "杭州市", &["网格化管理"]);
    let dir = site.root().join("content/reports/sandun");
    // Stored 2000 × 1000 (wide), shown 1000 × 2000 (tall) after orientation 6.
    fs::write(dir.join("photo.jpg"), jpeg_with_exif(2000, 1000, 6)).unwrap();
    fs::write(dir.join("table.pdf"), b"%PDF-1.4 test").unwrap();
    site
}

/// Every file under the output (cache and marker left out), by path relative to it.
pub(crate) fn output_files(root: &Path) -> Vec<(String, Vec<u8>)> {
    let out = root.join("output");
    walkdir::WalkDir::new(&out)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() != 1 || !e.file_name().to_string_lossy().starts_with('.'))
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(&out)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, fs::read(e.path()).unwrap())
        })
        .collect()
}

#[test]
fn a_page_bundle_publishes_its_photo_upright_without_metadata_in_webp_variants() {
    let site = bundle_site();
    let stderr = site.build_ok();
    // The bundle's folder names the report, not `index`.
    assert!(site.out_exists("reports/sandun/index.html"), "{stderr}");
    assert!(!site.out_exists("reports/index/index.html"));
    let page = site.out("reports/sandun/index.html");

    // 1000 px wide upright: variants 480 and 960, never wider than the photo.
    for (w, h) in [(480u32, 960u32), (960, 1920)] {
        let bytes = fs::read(
            site.root()
                .join(format!("output/reports/sandun/photo-{w}w.webp")),
        )
        .unwrap();
        let img = image::load_from_memory(&bytes).unwrap();
        assert_eq!((img.width(), img.height()), (w, h), "variant {w}");
    }
    assert!(!site.out_exists("reports/sandun/photo-1600w.webp"));
    // The fallback: the photo re-encoded at its own size (narrower than 1600 px), upright (the
    // left half of the stored image, red, is the top after a quarter turn clockwise).
    let fallback = image::load_from_memory(
        &fs::read(site.root().join("output/reports/sandun/photo.jpg")).unwrap(),
    )
    .unwrap()
    .to_rgb8();
    assert_eq!(fallback.dimensions(), (1000, 2000));
    let top = fallback.get_pixel(500, 100);
    let bottom = fallback.get_pixel(500, 1900);
    assert!(top[0] > 150 && top[2] < 100, "top should be red: {top:?}");
    assert!(
        bottom[2] > 150 && bottom[0] < 100,
        "bottom should be blue: {bottom:?}"
    );

    // No output image keeps the EXIF block or the GPS position.
    let files = output_files(site.root());
    let images: Vec<_> = files
        .iter()
        .filter(|(p, _)| p.ends_with(".jpg") || p.ends_with(".webp") || p.ends_with(".png"))
        .collect();
    assert_eq!(
        images.len(),
        3,
        "{:?}",
        files.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for (path, bytes) in &images {
        assert!(!contains(bytes, b"Exif"), "{path} has an EXIF block");
        assert!(!contains(bytes, b"SECRET-PLACE"), "{path} has the GPS area");
        assert!(!contains(bytes, b"\xFF\xE1"), "{path} has an APP1 segment");
    }
    // The source had them (the test would prove nothing otherwise).
    let source = fs::read(site.root().join("content/reports/sandun/photo.jpg")).unwrap();
    assert!(contains(&source, b"Exif") && contains(&source, b"SECRET-PLACE"));

    // The figure: picture with srcset, sizes, the fallback with its size, lazy, caption.
    assert!(page.contains("<figure class=\"photo\"><picture><source type=\"image/webp\" \
         srcset=\"../../reports/sandun/photo-480w.webp 480w, ../../reports/sandun/photo-960w.webp 960w\" \
         sizes=\""), "{page}");
    assert!(page.contains(
        "<img src=\"../../reports/sandun/photo.jpg\" alt=\"职工在议事\" width=\"1000\" height=\"2000\" \
         loading=\"lazy\" decoding=\"async\"></picture><figcaption>三墩镇职工议事会，2018 年</figcaption></figure>"
    ));
    // Not inside a paragraph.
    assert!(!page.contains("<p><figure"));
    // The linked file is copied as it is and linked relative to the page.
    assert_eq!(
        fs::read(site.root().join("output/reports/sandun/table.pdf")).unwrap(),
        b"%PDF-1.4 test"
    );
    assert!(page.contains("<a href=\"../../reports/sandun/table.pdf\">附件</a>"));

    // The print edition lives one folder up: the same files, resolved from there.
    let print = site.out("print/index.html");
    assert!(print.contains("srcset=\"../reports/sandun/photo-480w.webp 480w"));
    assert!(print.contains("<img src=\"../reports/sandun/photo.jpg\""));
    assert!(print.contains("href=\"../reports/sandun/table.pdf\""));

    // Search results get the thumbnail: the narrowest variant.
    let docs: Vec<String> = (0..2)
        .map(|i| site.out(&format!("search/d/{i}.js")))
        .collect();
    assert!(
        docs.iter()
            .any(|d| d.contains("\"thumb\":\"reports/sandun/photo-480w.webp\"")),
        "{docs:?}"
    );
    assert!(docs.iter().filter(|d| d.contains("\"thumb\"")).count() == 1);
}

#[test]
fn a_rebuild_encodes_nothing_and_a_changed_photo_is_encoded_again() {
    let site = bundle_site();
    let first = site.build_ok();
    assert!(first.contains("1 images (3 files encoded)"), "{first}");
    let before = output_files(site.root());
    let second = site.build_ok();
    assert!(second.contains("1 images (0 files encoded)"), "{second}");
    let after = output_files(site.root());
    let changed: Vec<&String> = before
        .iter()
        .zip(&after)
        .filter(|(a, b)| a != b)
        .map(|(a, _)| &a.0)
        .collect();
    assert!(
        before.len() == after.len() && changed.is_empty(),
        "a cached build differs: {changed:?}"
    );
    // The cache lives in the output's own folder, never in the site.
    assert!(site.root().join("output/.casebook-cache/images").is_dir());
    assert!(!site
        .root()
        .join("content/reports/sandun/.casebook-cache")
        .exists());

    fs::write(
        site.root().join("content/reports/sandun/photo.jpg"),
        jpeg_with_exif(600, 300, 1),
    )
    .unwrap();
    let third = site.build_ok();
    assert!(third.contains("1 images (2 files encoded)"), "{third}");
    let page = site.out("reports/sandun/index.html");
    assert!(page.contains("width=\"600\" height=\"300\""));
    assert!(!site.out_exists("reports/sandun/photo-960w.webp"));
    // The old photo's cached files are gone with it.
    let cached = fs::read_dir(site.root().join("output/.casebook-cache/images"))
        .unwrap()
        .count();
    assert_eq!(cached, 3, "size, one variant, fallback");
}

/// A photo wider upright than the widest variant: resized before it is turned, its fallback
/// at 1600 px (no reader needs more), and the cache keeps its three variants (the fallback's
/// width alone would name two).
#[test]
fn a_wide_photo_gets_a_1600_px_fallback_and_its_variants_survive_the_cache() {
    let site = bundle_site();
    // Stored 1000 × 2000 (tall), shown 2000 × 1000 after orientation 6: the stored left half
    // (red) becomes the top.
    fs::write(
        site.root().join("content/reports/sandun/photo.jpg"),
        jpeg_with_exif(1000, 2000, 6),
    )
    .unwrap();
    let first = site.build_ok();
    assert!(first.contains("1 images (4 files encoded)"), "{first}");
    for (w, h) in [(480u32, 240u32), (960, 480), (1600, 800)] {
        let bytes = fs::read(
            site.root()
                .join(format!("output/reports/sandun/photo-{w}w.webp")),
        )
        .unwrap();
        let img = image::load_from_memory(&bytes).unwrap();
        assert_eq!((img.width(), img.height()), (w, h), "variant {w}");
    }
    let fallback = image::load_from_memory(
        &fs::read(site.root().join("output/reports/sandun/photo.jpg")).unwrap(),
    )
    .unwrap()
    .to_rgb8();
    assert_eq!(fallback.dimensions(), (1600, 800));
    let (top, bottom) = (fallback.get_pixel(800, 100), fallback.get_pixel(800, 700));
    assert!(top[0] > 150 && top[2] < 100, "top should be red: {top:?}");
    assert!(
        bottom[2] > 150 && bottom[0] < 100,
        "bottom should be blue: {bottom:?}"
    );
    let srcset = "photo-960w.webp 960w, ../../reports/sandun/photo-1600w.webp 1600w\"";
    let page = site.out("reports/sandun/index.html");
    assert!(page.contains(srcset), "{page}");
    assert!(page.contains("width=\"1600\" height=\"800\""), "{page}");

    let second = site.build_ok();
    assert!(second.contains("1 images (0 files encoded)"), "{second}");
    let page = site.out("reports/sandun/index.html");
    assert!(page.contains(srcset), "{page}");
    assert!(page.contains("width=\"1600\" height=\"800\""), "{page}");
}

#[test]
fn a_missing_photo_or_file_is_reported_at_its_position_with_the_near_name() {
    let site = bundle_site();
    site.write(
        "content/reports/sandun/index.md",
        "---\ntitle: 三墩镇\ntown: 三墩镇\ncity: 杭州市\ntactics: [网格化管理]\n---\n\n\
         开头。\n\n![照片](phot.jpg)\n\n见[附件](tabel.pdf)与[别处](nothing-like-it.doc)。\n",
    );
    let stderr = site.build_err();
    let shown = Path::new("content/reports/sandun/index.md")
        .display()
        .to_string();
    assert!(
        stderr.contains(&format!(
            "{shown}:10:1: error: image `phot.jpg` is not in this report's folder; did you mean `photo.jpg`?"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "{shown}:12:2: error: file `tabel.pdf` is not in this report's folder; did you mean `table.pdf`?"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("file `nothing-like-it.doc` is not in this report's folder; put it in"));
    // `check` says the same.
    let out = site.run(&["check"]);
    let check = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        check.contains(&format!("{shown}:10:1: error: image `phot.jpg`")),
        "{check}"
    );

    // A photo in a report that is no bundle has nothing to come from.
    let site = Site::new();
    site.write(
        "content/reports/plain.md",
        "---\ntitle: 平\ntown: 平镇\ncity: 杭州市\ntactics: [网格化管理]\n---\n\n![照片](photo.jpg)\n",
    );
    let stderr = site.build_err();
    assert!(
        stderr.contains("plain.md:8:1: error: image `photo.jpg` has nothing to come from"),
        "{stderr}"
    );
    assert!(stderr.contains("`plain/index.md`"));
}

#[test]
fn the_site_static_folder_overrides_the_theme_and_adds_files() {
    let site = Site::new();
    site.report("a", "甲", "甲镇", "杭州市", &["网格化管理"]);
    site.write("static/casebook.css", "/* the site's own */\n");
    site.write("static/files/说明 1.txt", "hello\n");
    site.write("themes/default/static/extra.js", "// theme\n");
    site.write("static/extra.js", "// site wins\n");
    site.build_ok();
    assert_eq!(site.out("casebook.css"), "/* the site's own */\n");
    assert_eq!(site.out("files/说明 1.txt"), "hello\n");
    assert_eq!(site.out("extra.js"), "// site wins\n");
    // Theme files the site does not override are still there.
    assert!(site.out("search/search.js").contains("createSearch"));
}

#[test]
fn an_export_replaces_a_static_file_and_a_static_file_replaces_compare_data() {
    // The build makes compare data and exports side by side and the static files between:
    // what the site ends with must not depend on which finishes first.
    let site = Site::new();
    site.report("a", "甲", "甲镇", "杭州市", &["网格化管理"]);
    site.build_ok();
    let compare = std::fs::read_dir(site.root().join("output/data/compare"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .next()
        .expect("a compare data file");
    site.write("static/data/reports.csv", "the site's own\n");
    site.write(
        &format!("static/data/compare/{compare}"),
        "// the site's own\n",
    );
    for _ in 0..3 {
        site.build_ok();
        assert!(site.out("data/reports.csv").contains("甲镇"));
        assert_eq!(
            site.out(&format!("data/compare/{compare}")),
            "// the site's own\n"
        );
    }
}

#[test]
fn every_page_has_share_metadata_escaped_and_absolute_only_with_a_base_url() {
    let site = bundle_site();
    site.write(
        "site.yaml",
        "title: 汇编 \"甲\" <乙>\ndescription: 全省 & 各地\n",
    );
    site.build_ok();
    let page = site.out("reports/sandun/index.html");
    assert!(
        page.contains("<meta property=\"og:type\" content=\"article\">"),
        "{page}"
    );
    assert!(page.contains("<meta property=\"og:title\" content=\"三墩镇\">"));
    assert!(page.contains(
        "<meta property=\"og:description\" content=\"三墩镇的&quot;小板凳&quot;&lt;议事&gt;\">"
    ));
    assert!(page
        .contains("<meta property=\"og:site_name\" content=\"汇编 &quot;甲&quot; &lt;乙&gt;\">"));
    // No base URL: nothing relative pretends to be a share URL.
    assert!(!page.contains("og:url") && !page.contains("og:image") && !page.contains("canonical"));
    assert!(page.contains("<meta name=\"twitter:card\" content=\"summary\">"));
    let home = site.out("index.html");
    assert!(home.contains("<meta property=\"og:type\" content=\"website\">"));
    assert!(home.contains("<meta property=\"og:description\" content=\"全省 &amp; 各地\">"));

    site.write(
        "site.yaml",
        "title: 汇编\nbase_url: https://example.org/digest\nog_image: static-card.png\n",
    );
    site.build_ok();
    let page = site.out("reports/sandun/index.html");
    assert!(page.contains(
        "<meta property=\"og:url\" content=\"https://example.org/digest/reports/sandun/index.html\">"
    ));
    assert!(page.contains(
        "<link rel=\"canonical\" href=\"https://example.org/digest/reports/sandun/index.html\">"
    ));
    // The report's photo is its share image; other pages get the site's.
    assert!(page.contains(
        "<meta property=\"og:image\" content=\"https://example.org/digest/reports/sandun/photo.jpg\">"
    ));
    assert!(page.contains("<meta name=\"twitter:card\" content=\"summary_large_image\">"));
    let other = site.out("reports/other/index.html");
    assert!(other.contains(
        "<meta property=\"og:image\" content=\"https://example.org/digest/static-card.png\">"
    ));
    assert!(site
        .out("index.html")
        .contains("og:image\" content=\"https://example.org/digest/static-card.png\""));
}

#[test]
fn a_broken_photo_stops_the_build_and_a_failed_first_build_leaves_no_output() {
    let site = bundle_site();
    fs::write(
        site.root().join("content/reports/sandun/second.jpg"),
        b"not a JPEG at all",
    )
    .unwrap();
    let stderr = site.build_err();
    let shown = Path::new("content/reports/sandun/second.jpg")
        .display()
        .to_string();
    assert!(
        stderr.contains(&format!("{shown}: error: cannot read this image")),
        "{stderr}"
    );
    // The good photo was encoded and cached before the build failed; neither the cache nor
    // the marker is left behind in the folder the build created.
    assert!(!site.root().join("output").exists(), "{stderr}");
}
