//! One photo: decoded, resized, turned upright by its EXIF orientation and encoded from its
//! pixels alone (so nothing of the source's metadata survives), or taken from the cache.
//!
//! Where a first build's time goes (issue 14, `examples/photo_stages.rs`): decoding a 6 MP JPEG
//! (image's zune-jpeg) is now the largest part. Resizing is fast_image_resize (pure Rust, SIMD),
//! cascaded 1600 -> 960 -> 480. WebP is encoded lossy by libwebp (the `webp` crate): the `image`
//! crate's own WebP encoder is lossless only, which makes photos larger than the JPEG they came
//! from, and the pure-Rust lossy encoders are young or not under a licence the project can ship
//! (zenwebp is AGPL). libwebp builds from C once (some 40 s on two cores). Its `method` 2 takes
//! a third of the time of the default 4 for some 5% more bytes. The fallback is a baseline JPEG
//! by jpeg-encoder (or PNG for a PNG source, keeping its alpha) at the widest variant's size.
use std::io::Cursor;
use std::sync::atomic::{AtomicUsize, Ordering};

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageReader};
use sha2::{Digest, Sha256};

use super::WIDTHS;
use crate::output::Cache;

/// Settings that change the encoded bytes: part of every cache key, so changing one of them
/// re-encodes every image once instead of serving stale files.
const SETTINGS: &str =
    "casebook-photo-v2 webp-q78-m2 jpeg-encoder-q84 png fir-catmullrom 480,960,1600 fallback<=1600";
const WEBP_QUALITY: f32 = 78.0;
/// libwebp's speed/size trade-off, 0 (fastest) to 6; see the module's note.
const WEBP_METHOD: i32 = 2;
const JPEG_QUALITY: u8 = 84;

/// A processed photo: its fallback's size (upright, at most the widest variant's), its WebP
/// variants (width, bytes), narrowest first, and the fallback.
pub(super) struct Photo {
    pub(super) width: u32,
    pub(super) height: u32,
    pub(super) variants: Vec<(u32, Vec<u8>)>,
    pub(super) fallback: Vec<u8>,
}

/// Whether a bundle file is a photo this stage processes (by its extension).
pub(super) fn is_photo(name: &str) -> bool {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    matches!(ext.as_deref(), Some("jpg" | "jpeg" | "png"))
}

/// The widths of an image's variants: [`WIDTHS`] below its own width, or its own width alone
/// when it is narrower than all of them.
pub(super) fn widths(width: u32) -> Vec<u32> {
    let below: Vec<u32> = WIDTHS.iter().copied().filter(|w| *w < width).collect();
    if below.is_empty() {
        vec![width]
    } else {
        below
    }
}

/// The height of a `width`-wide copy of a `w` × `h` image (at least 1 pixel).
fn scaled(w: u32, h: u32, width: u32) -> u32 {
    ((u64::from(h) * u64::from(width) + u64::from(w) / 2) / u64::from(w)).max(1) as u32
}

/// Processes `bytes` (the file `name`), from the cache when it holds every file of this photo;
/// `encoded` counts the files encoded now. The error is a message for the editor.
pub(super) fn photo(
    bytes: &[u8],
    name: &str,
    cache: &dyn Cache,
    encoded: &AtomicUsize,
) -> Result<Photo, String> {
    let png = name.to_ascii_lowercase().ends_with(".png");
    let key = {
        let mut h = Sha256::new();
        h.update(SETTINGS);
        h.update([u8::from(png)]);
        h.update(bytes);
        crate::fingerprint::hex(&h.finalize()[..16])
    };
    if let Some(p) = cached(&key, cache) {
        return Ok(p);
    }
    let photo = encode_photo(bytes, png)?;
    encoded.fetch_add(photo.variants.len() + 1, Ordering::Relaxed);
    let widths: Vec<String> = photo.variants.iter().map(|(w, _)| w.to_string()).collect();
    cache.put(
        &format!("{key}.size"),
        format!("{} {} {}", photo.width, photo.height, widths.join(",")).as_bytes(),
    );
    for (w, b) in &photo.variants {
        cache.put(&format!("{key}-{w}.webp"), b);
    }
    cache.put(&format!("{key}.fallback"), &photo.fallback);
    Ok(photo)
}

/// The photo under `key`, if the cache has its size (`width height 480,960,...`: the variants
/// are named, since the fallback's width does not tell them) and all of its files.
fn cached(key: &str, cache: &dyn Cache) -> Option<Photo> {
    let size = String::from_utf8(cache.get(&format!("{key}.size"))?).ok()?;
    let mut parts = size.split(' ');
    let (width, height): (u32, u32) = (parts.next()?.parse().ok()?, parts.next()?.parse().ok()?);
    let variants = parts
        .next()?
        .split(',')
        .map(|w| {
            let w: u32 = w.parse().ok()?;
            Some((w, cache.get(&format!("{key}-{w}.webp"))?))
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Photo {
        width,
        height,
        variants,
        fallback: cache.get(&format!("{key}.fallback"))?,
    })
}

fn encode_photo(bytes: &[u8], png: bool) -> Result<Photo, String> {
    let broken = |e: image::ImageError| format!("cannot read this image: {e}");
    let mut decoder = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| format!("cannot read this image: {e}"))?
        .into_decoder()
        .map_err(broken)?;
    // A camera stores a photo as its sensor saw it and says how to turn it: applied here,
    // since the re-encoded files carry no EXIF to say it again.
    let orientation = decoder.orientation().map_err(broken)?;
    let img = DynamicImage::from_decoder(decoder).map_err(broken)?;
    if img.width() == 0 || img.height() == 0 {
        return Err("this image has no pixels".into());
    }
    let img = if png && img.color().has_alpha() {
        DynamicImage::ImageRgba8(img.into_rgba8())
    } else {
        DynamicImage::ImageRgb8(img.into_rgb8())
    };
    let turned = matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    );
    let (width, height) = if turned {
        (img.height(), img.width())
    } else {
        (img.width(), img.height())
    };
    let mut resizer = Resizer::new();
    // The fallback is the widest variant's size, not the original's: no page asks for more, a
    // share card neither, and a 1600 px copy is a third of the pixels of a phone photo to
    // encode. It is resized before it is turned, so the turn moves that third only.
    let top = width.min(WIDTHS[WIDTHS.len() - 1]);
    let mut from = if top == width {
        img
    } else {
        let (w, h) = (top, scaled(width, height, top));
        let (w, h) = if turned { (h, w) } else { (w, h) };
        resize(&mut resizer, &img, w, h)?
    };
    from.apply_orientation(orientation);
    let fallback = fallback(&from, png)?;
    // Widest first, each from the one before: a 960 px copy of the 1600 px one looks the same
    // as one from a 4000 px original and costs a fraction of it.
    let mut variants = Vec::new();
    for w in widths(width).into_iter().rev() {
        if w != from.width() {
            from = resize(&mut resizer, &from, w, scaled(width, height, w))?;
        }
        variants.push((w, webp(&from)?));
    }
    variants.reverse();
    Ok(Photo {
        width: top,
        height: scaled(width, height, top),
        variants,
        fallback,
    })
}

/// A `w` × `h` copy of `img` (RGB8 or RGBA8), by fast_image_resize's Catmull-Rom filter: the
/// same filter image's resize used, on SIMD, an order of magnitude faster.
fn resize(
    resizer: &mut Resizer,
    img: &DynamicImage,
    w: u32,
    h: u32,
) -> Result<DynamicImage, String> {
    let failed = |e: &dyn std::fmt::Display| format!("cannot resize this image: {e}");
    let pixels = if img.color().has_alpha() {
        PixelType::U8x4
    } else {
        PixelType::U8x3
    };
    let src =
        ImageRef::new(img.width(), img.height(), img.as_bytes(), pixels).map_err(|e| failed(&e))?;
    let mut dst = Image::new(w, h, pixels);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::CatmullRom));
    resizer
        .resize(&src, &mut dst, &options)
        .map_err(|e| failed(&e))?;
    let buffer = dst.into_vec();
    let out = if img.color().has_alpha() {
        image::RgbaImage::from_raw(w, h, buffer).map(DynamicImage::ImageRgba8)
    } else {
        image::RgbImage::from_raw(w, h, buffer).map(DynamicImage::ImageRgb8)
    };
    out.ok_or_else(|| failed(&"buffer size"))
}

/// The `<img>` fallback of `img`: PNG for a PNG source (its alpha kept), else a baseline JPEG by
/// jpeg-encoder (AVX2, a third of the time of image's own encoder). Written from the pixels
/// alone, it carries no metadata of the source.
fn fallback(img: &DynamicImage, png: bool) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    if png {
        img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
            .map_err(|e| format!("cannot encode PNG: {e}"))?;
        return Ok(out);
    }
    let (Ok(w), Ok(h)) = (u16::try_from(img.width()), u16::try_from(img.height())) else {
        return Err("this image is too large for a JPEG".into());
    };
    let rgb;
    let pixels = match img {
        DynamicImage::ImageRgb8(p) => p.as_raw(),
        other => {
            rgb = other.to_rgb8();
            rgb.as_raw()
        }
    };
    jpeg_encoder::Encoder::new(&mut out, JPEG_QUALITY)
        .encode(pixels, w, h, jpeg_encoder::ColorType::Rgb)
        .map_err(|e| format!("cannot encode JPEG: {e}"))?;
    Ok(out)
}

fn webp(img: &DynamicImage) -> Result<Vec<u8>, String> {
    let enc = match img {
        DynamicImage::ImageRgba8(p) => webp::Encoder::from_rgba(p.as_raw(), p.width(), p.height()),
        DynamicImage::ImageRgb8(p) => webp::Encoder::from_rgb(p.as_raw(), p.width(), p.height()),
        other => return webp(&DynamicImage::ImageRgb8(other.to_rgb8())),
    };
    let mut config =
        webp::WebPConfig::new().map_err(|()| "cannot set up the WebP encoder".to_string())?;
    config.quality = WEBP_QUALITY;
    config.method = WEBP_METHOD;
    config.alpha_compression = 1;
    enc.encode_advanced(&config)
        .map(|m| m.to_vec())
        .map_err(|e| format!("cannot encode WebP: {e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_never_upscale() {
        assert_eq!(widths(4000), vec![480, 960, 1600]);
        assert_eq!(widths(1600), vec![480, 960]);
        assert_eq!(widths(700), vec![480]);
        assert_eq!(widths(300), vec![300]);
        assert_eq!(scaled(4000, 3000, 480), 360);
        assert_eq!(scaled(3, 1000, 1), 333);
    }
}
