//! One photo: decoded, turned upright by its EXIF orientation, resized and encoded from its
//! pixels alone (so nothing of the source's metadata survives), or taken from the cache.
//!
//! WebP is encoded lossy by libwebp (the `webp` crate): the `image` crate's own WebP encoder
//! is lossless only, which makes photos larger than the JPEG they came from, and the pure-Rust
//! lossy encoders are young or not under a licence the project can ship (zenwebp is AGPL).
//! libwebp builds from C once (some 40 s on two cores) and encodes a 1600 px photo in tens of
//! milliseconds. The fallback is a baseline JPEG (or PNG for a PNG source, keeping its alpha).

use std::io::Cursor;
use std::sync::atomic::{AtomicUsize, Ordering};

use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageReader};
use sha2::{Digest, Sha256};

use super::WIDTHS;
use crate::output::Cache;

/// Settings that change the encoded bytes: part of every cache key, so changing one of them
/// re-encodes every image once instead of serving stale files.
const SETTINGS: &str = "casebook-photo-v1 webp-q78 jpeg-q84 png catmullrom 480,960,1600";
const WEBP_QUALITY: f32 = 78.0;
const JPEG_QUALITY: u8 = 84;

/// A processed photo: its upright size, its WebP variants (width, bytes), narrowest first, and
/// the re-encoded original.
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
        let d = h.finalize();
        d.iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    if let Some(p) = cached(&key, cache) {
        return Ok(p);
    }
    let photo = encode_photo(bytes, png)?;
    encoded.fetch_add(photo.variants.len() + 1, Ordering::Relaxed);
    cache.put(
        &format!("{key}.size"),
        format!("{} {}", photo.width, photo.height).as_bytes(),
    );
    for (w, b) in &photo.variants {
        cache.put(&format!("{key}-{w}.webp"), b);
    }
    cache.put(&format!("{key}.fallback"), &photo.fallback);
    Ok(photo)
}

/// The photo under `key`, if the cache has its size and all of its files.
fn cached(key: &str, cache: &dyn Cache) -> Option<Photo> {
    let size = String::from_utf8(cache.get(&format!("{key}.size"))?).ok()?;
    let (w, h) = size.split_once(' ')?;
    let (width, height): (u32, u32) = (w.parse().ok()?, h.parse().ok()?);
    let variants = widths(width)
        .into_iter()
        .map(|w| Some((w, cache.get(&format!("{key}-{w}.webp"))?)))
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
    let mut img = DynamicImage::from_decoder(decoder).map_err(broken)?;
    img.apply_orientation(orientation);
    let (width, height) = (img.width(), img.height());
    if width == 0 || height == 0 {
        return Err("this image has no pixels".into());
    }
    let alpha = png && img.color().has_alpha();
    let img = if alpha {
        DynamicImage::ImageRgba8(img.into_rgba8())
    } else {
        DynamicImage::ImageRgb8(img.into_rgb8())
    };
    // Widest first, each from the one before: a 960 px copy of the 1600 px one looks the same
    // as one from a 4000 px original and costs a fraction of it.
    let mut variants = Vec::new();
    let mut from = img.clone();
    for w in widths(width).into_iter().rev() {
        let copy = if w == from.width() {
            from.clone()
        } else {
            from.resize_exact(w, scaled(width, height, w), FilterType::CatmullRom)
        };
        variants.push((w, webp(&copy)?));
        from = copy;
    }
    variants.reverse();
    let mut fallback = Vec::new();
    if png {
        img.write_to(&mut Cursor::new(&mut fallback), image::ImageFormat::Png)
            .map_err(|e| format!("cannot encode PNG: {e}"))?;
    } else {
        let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut fallback, JPEG_QUALITY);
        img.write_with_encoder(enc)
            .map_err(|e| format!("cannot encode JPEG: {e}"))?;
    }
    Ok(Photo {
        width,
        height,
        variants,
        fallback,
    })
}

fn webp(img: &DynamicImage) -> Result<Vec<u8>, String> {
    let enc = match img {
        DynamicImage::ImageRgba8(p) => webp::Encoder::from_rgba(p.as_raw(), p.width(), p.height()),
        DynamicImage::ImageRgb8(p) => webp::Encoder::from_rgb(p.as_raw(), p.width(), p.height()),
        other => return webp(&DynamicImage::ImageRgb8(other.to_rgb8())),
    };
    enc.encode_simple(false, WEBP_QUALITY)
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
