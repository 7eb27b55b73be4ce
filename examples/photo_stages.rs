//! Where one photo's CPU goes, stage by stage, and what each alternative of a stage costs
//! (issue 14): decode, resize (image's CatmullRom against fast_image_resize's filters, each
//! width from the full image or cascaded), WebP encode by libwebp `method` (time and bytes),
//! and the fallback JPEG (image's encoder against jpeg-encoder, full size against 1600 px).
//! One thread, the median of `runs` runs; for `benches/photo_bench.sh`.
//!
//!     cargo run --release --example photo_stages -- <photo.jpg> [runs]

use std::time::{Duration, Instant};

use fast_image_resize::{images::Image, FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::imageops::FilterType as ImageFilter;
use image::{DynamicImage, RgbImage};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: photo_stages <photo.jpg> [runs]");
        std::process::exit(2);
    };
    let runs: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(3);
    let bytes = std::fs::read(path).expect("read photo");
    let time = |name: &str, f: &mut dyn FnMut() -> usize| {
        let mut times: Vec<Duration> = Vec::new();
        let mut out = 0;
        for _ in 0..runs {
            let t = Instant::now();
            out = f();
            times.push(t.elapsed());
        }
        times.sort();
        let ms = times[runs / 2].as_secs_f64() * 1000.0;
        if out > 0 {
            println!("{name:<52} {ms:8.1} ms {out:>9} bytes");
        } else {
            println!("{name:<52} {ms:8.1} ms");
        }
    };
    let decode = || image::load_from_memory(&bytes).expect("decode").into_rgb8();
    let full = decode();
    let (w, h) = full.dimensions();
    println!("{path}: {w} x {h}, {} bytes, {runs} runs each", bytes.len());
    time("decode (image -> zune-jpeg), to RGB8", &mut || {
        decode();
        0
    });
    let scaled =
        |width: u32| ((u64::from(h) * u64::from(width) + u64::from(w) / 2) / u64::from(w)) as u32;

    let image_resize = |from: &RgbImage, width: u32| {
        image::imageops::resize(from, width, scaled(width), ImageFilter::CatmullRom)
    };
    time("resize image CatmullRom, cascade 1600>960>480", &mut || {
        let a = image_resize(&full, 1600);
        let b = image_resize(&a, 960);
        image_resize(&b, 480);
        0
    });
    time("resize image CatmullRom, each from full", &mut || {
        for width in [1600, 960, 480] {
            image_resize(&full, width);
        }
        0
    });
    let fir = |from: &RgbImage, width: u32, filter: FilterType| {
        let src = fast_image_resize::images::ImageRef::new(
            from.width(),
            from.height(),
            from.as_raw(),
            PixelType::U8x3,
        )
        .expect("view");
        let mut dst = Image::new(width, scaled(width), PixelType::U8x3);
        Resizer::new()
            .resize(
                &src,
                &mut dst,
                &ResizeOptions::new().resize_alg(ResizeAlg::Convolution(filter)),
            )
            .expect("resize");
        RgbImage::from_raw(width, scaled(width), dst.into_vec()).expect("buffer")
    };
    for (name, filter) in [
        ("CatmullRom", FilterType::CatmullRom),
        ("Lanczos3", FilterType::Lanczos3),
        ("Hamming", FilterType::Hamming),
    ] {
        time(
            &format!("resize fast_image_resize {name}, cascade"),
            &mut || {
                let a = fir(&full, 1600, filter);
                let b = fir(&a, 960, filter);
                fir(&b, 480, filter);
                0
            },
        );
        time(
            &format!("resize fast_image_resize {name}, each from full"),
            &mut || {
                for width in [1600, 960, 480] {
                    fir(&full, width, filter);
                }
                0
            },
        );
    }
    let v1600 = fir(&full, 1600, FilterType::CatmullRom);
    let v960 = fir(&v1600, 960, FilterType::CatmullRom);
    let v480 = fir(&v960, 480, FilterType::CatmullRom);
    for method in 0..=6 {
        time(
            &format!("webp q78 method {method}, 1600+960+480"),
            &mut || {
                [&v1600, &v960, &v480]
                    .iter()
                    .map(|v| {
                        let mut config = webp::WebPConfig::new().expect("config");
                        config.quality = 78.0;
                        config.method = method;
                        webp::Encoder::from_rgb(v.as_raw(), v.width(), v.height())
                            .encode_advanced(&config)
                            .expect("webp")
                            .len()
                    })
                    .sum()
            },
        );
    }
    let image_jpeg = |img: &RgbImage| {
        let mut out = Vec::new();
        let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 84);
        DynamicImage::ImageRgb8(img.clone())
            .write_with_encoder(enc)
            .expect("jpeg");
        out.len()
    };
    let fast_jpeg = |img: &RgbImage| {
        let mut out = Vec::new();
        jpeg_encoder::Encoder::new(&mut out, 84)
            .encode(
                img.as_raw(),
                img.width() as u16,
                img.height() as u16,
                jpeg_encoder::ColorType::Rgb,
            )
            .expect("jpeg");
        out.len()
    };
    time("fallback jpeg q84, image, full size", &mut || {
        image_jpeg(&full)
    });
    time("fallback jpeg q84, image, 1600 px", &mut || {
        image_jpeg(&v1600)
    });
    time("fallback jpeg q84, jpeg-encoder, full size", &mut || {
        fast_jpeg(&full)
    });
    time("fallback jpeg q84, jpeg-encoder, 1600 px", &mut || {
        fast_jpeg(&v1600)
    });
}
