//! Makes the digest with one photo per report, for `benches/photo_bench.sh`: every report
//! `content/reports/<city>/<stem>.md` of `<repo>` becomes the page bundle
//! `<out>/content/reports/<city>/<stem>/index.md` with a generated JPEG (`--width` × 2/3 of it,
//! photo-like: gradients and grain, so it compresses as a photo does) shown after its first
//! paragraph. Pages and `site.yaml` are copied as they are.
//!
//!     cargo run --release --example photo_site -- <repo> <out> [width]

use std::fs;
use std::io::Cursor;
use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (repo, out) = match args.as_slice() {
        [repo, out, ..] => (Path::new(repo), Path::new(out)),
        _ => {
            eprintln!("usage: photo_site <repo> <out> [width]");
            std::process::exit(2);
        }
    };
    let width: u32 = args.get(2).and_then(|w| w.parse().ok()).unwrap_or(3000);
    let _ = fs::remove_dir_all(out);
    fs::create_dir_all(out.join("content")).expect("create output");
    fs::copy(repo.join("site.yaml"), out.join("site.yaml")).expect("copy site.yaml");
    copy(&repo.join("content/pages"), &out.join("content/pages"));
    let mut n = 0u32;
    for e in walkdir::WalkDir::new(repo.join("content/reports")).sort_by_file_name() {
        let e = e.expect("walk");
        let p = e.path();
        if p.extension().is_none_or(|x| x != "md") {
            continue;
        }
        let rel = p.strip_prefix(repo.join("content/reports")).expect("rel");
        let dir = out.join("content/reports").join(rel.with_extension(""));
        fs::create_dir_all(&dir).expect("bundle dir");
        let text = fs::read_to_string(p).expect("read report");
        // After the front matter and the first paragraph.
        let body_at = text[3..].find("\n---").map_or(0, |i| i + 7);
        let body = &text[body_at..];
        let lead = body.len() - body.trim_start().len();
        let para_end = body_at + lead + body[lead..].find("\n\n").unwrap_or(body.len() - lead);
        let with_photo = format!(
            "{}\n\n![现场照片](photo.jpg \"试点现场\")\n{}",
            &text[..para_end],
            &text[para_end..]
        );
        fs::write(dir.join("index.md"), with_photo).expect("write report");
        fs::write(dir.join("photo.jpg"), photo(width, width * 2 / 3, n)).expect("write photo");
        n += 1;
    }
    eprintln!(
        "{n} reports with a {width} px photo each in {}",
        out.display()
    );
}

/// A photo-like JPEG: smooth gradients with grain (a xorshift per pixel), seeded by `seed`.
fn photo(w: u32, h: u32, seed: u32) -> Vec<u8> {
    let mut s = 0x9E37_79B9u32 ^ seed.wrapping_mul(0x85EB_CA6B);
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        let grain = (s & 31) as i32 - 16;
        let px = |base: i32| (base + grain).clamp(0, 255) as u8;
        image::Rgb([
            px((x * 200 / w) as i32 + 30),
            px((y * 180 / h) as i32 + 40),
            px(((x + y + seed * 37) % 255) as i32 / 2 + 60),
        ])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Jpeg)
        .expect("encode JPEG");
    out
}

fn copy(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from) {
        let e = e.expect("walk");
        let dest = to.join(e.path().strip_prefix(from).expect("rel"));
        if e.file_type().is_dir() {
            fs::create_dir_all(&dest).expect("mkdir");
        } else {
            fs::copy(e.path(), &dest).expect("copy");
        }
    }
}
