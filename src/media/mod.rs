//! Image stage: the files of page bundles are published beside their pages, and their photos
//! become what a browser should load: the orientation applied, every piece of metadata dropped
//! (a photo's GPS position must not be published), resized WebP variants for `srcset` and a
//! JPEG (PNG) fallback at the widest variant's size.
//!
//! Entry point: [`develop`], between model and render: pages need each image's size and
//! variants ([`Media`]), search needs the thumbnails. Encoded files are kept in a [`Cache`] by a
//! hash of the source bytes and the settings, so a rebuild encodes nothing that it encoded
//! before. Images are processed in parallel, one image per task.

mod encode;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::AtomicUsize;

use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Diagnostic, Error, Result};
use crate::load::Bundle;
use crate::model::Site;
use crate::output::{Cache, OutputFile, Sink};
use crate::urls::Route;

/// What the pages know of the site's processed images.
#[derive(Debug, Clone, Default)]
pub struct Media {
    /// By the image's path in the site (`reports/<slug>/photo.jpg`).
    images: BTreeMap<String, ImageInfo>,
    /// A hash of all of it: keyed pages (serve) depend on it.
    key: u64,
}

/// One processed image.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ImageInfo {
    /// Width of the fallback after orientation, in pixels: the photo's own, or the widest
    /// variant's when the photo is wider.
    pub width: u32,
    /// Height of the fallback after orientation, in pixels.
    pub height: u32,
    /// The fallback, re-encoded (same path as the source file: links to it keep working).
    pub fallback: String,
    /// WebP variants, narrowest first.
    pub variants: Vec<Variant>,
}

/// A resized WebP copy of an image.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Variant {
    /// Width in pixels.
    pub width: u32,
    /// Path in the site.
    pub path: String,
}

impl ImageInfo {
    /// The narrowest variant: the thumbnail of search results.
    pub fn thumb(&self) -> &str {
        self.variants.first().map_or(&self.fallback, |v| &v.path)
    }
}

impl Media {
    /// The image at site path `path`, if it was processed.
    pub fn get(&self, path: &str) -> Option<&ImageInfo> {
        self.images.get(path)
    }

    /// How many images were processed.
    pub fn len(&self) -> usize {
        self.images.len()
    }

    /// Whether no image was processed.
    pub fn is_empty(&self) -> bool {
        self.images.is_empty()
    }

    /// A hash of every image's size and variants.
    pub fn key(&self) -> u64 {
        self.key
    }

    /// The first processed image that `paths` name: a page's share image and thumbnail.
    pub fn first<'a>(&self, mut paths: impl Iterator<Item = &'a str>) -> Option<&ImageInfo> {
        paths.find_map(|p| self.get(p))
    }
}

/// Widths of the WebP variants; an image narrower than the first gets one variant at its own
/// width (never upscaled).
pub const WIDTHS: [u32; 3] = [480, 960, 1600];

/// What [`develop`] did.
#[derive(Debug, Default)]
pub struct Developed {
    /// The images, for render and index.
    pub media: Media,
    /// Files encoded (not taken from the cache): variants and fallbacks.
    pub encoded: usize,
    /// Bundle files published.
    pub files: usize,
}

/// A photo is decoded into buffers of tens of megabytes, each freed a moment later. glibc serves
/// such sizes by mmap, and hands freed heap tops back to the kernel, so every photo touched its
/// pages afresh: 1.25 million page faults and 2.4 s of system time in a first build of the digest
/// with a 6 MP photo per report (benches/photo_bench.sh), against 24,000 and 0.8 s with the
/// buffers kept in the heap for the next photo. The cost, up to 128 MB held after a peak and
/// more fragmentation (a 100x build without photos peaked 5-10% higher), is paid only by a site
/// with photos.
fn keep_large_buffers() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets the allocator's parameters, under glibc's own lock.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 64 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 128 << 20);
    }
}

/// Publishes every bundle file of the site into `sink` (images processed, other files as they
/// are), taking encoded files from `cache` where it has them.
pub fn develop(site: &Site, cache: &dyn Cache, sink: &Sink<'_>) -> Result<Developed> {
    let bundles: Vec<(&Path, String, &Bundle)> = site
        .reports
        .iter()
        .filter_map(|r| {
            Some((
                r.path.as_path(),
                folder(&Route::Report(&r.slug)),
                r.bundle.as_ref()?,
            ))
        })
        .chain(site.pages.iter().filter_map(|p| {
            Some((
                p.path.as_path(),
                folder(&Route::Page(&p.slug)),
                p.bundle.as_ref()?,
            ))
        }))
        .collect();
    let tasks: Vec<(&Path, &str, &Bundle, &str)> = bundles
        .iter()
        .flat_map(|(src, folder, b)| {
            b.files
                .iter()
                .map(move |f| (*src, folder.as_str(), *b, f.as_str()))
        })
        .collect();
    if tasks.iter().any(|t| encode::is_photo(t.3)) {
        keep_large_buffers();
    }
    let encoded = AtomicUsize::new(0);
    let results: Vec<std::result::Result<Option<(String, ImageInfo)>, Diagnostic>> = tasks
        .par_iter()
        .map(|&(src, folder, bundle, name)| {
            let shown = src.parent().unwrap_or(Path::new("")).join(name);
            let bytes = bundle
                .read(name)
                .map_err(|e| Diagnostic::error(&shown, 0, 0, format!("cannot read: {e}")))?;
            let path = format!("{folder}{name}");
            if !encode::is_photo(name) {
                sink(OutputFile { path, bytes })
                    .map_err(|e| Diagnostic::error(&shown, 0, 0, e.to_string()))?;
                return Ok(None);
            }
            let photo = encode::photo(&bytes, name, cache, &encoded)
                .map_err(|m| Diagnostic::error(&shown, 0, 0, m))?;
            let stem = path.rsplit_once('.').map_or(path.as_str(), |(s, _)| s);
            let variants: Vec<Variant> = photo
                .variants
                .iter()
                .map(|(w, _)| Variant {
                    width: *w,
                    path: format!("{stem}-{w}w.webp"),
                })
                .collect();
            let put = |path: &str, bytes: Vec<u8>| {
                sink(OutputFile {
                    path: path.to_string(),
                    bytes,
                })
                .map_err(|e| Diagnostic::error(&shown, 0, 0, e.to_string()))
            };
            for (v, (_, bytes)) in variants.iter().zip(photo.variants) {
                put(&v.path, bytes)?;
            }
            put(&path, photo.fallback)?;
            let info = ImageInfo {
                width: photo.width,
                height: photo.height,
                fallback: path.clone(),
                variants,
            };
            Ok(Some((path, info)))
        })
        .collect();
    let mut images = BTreeMap::new();
    let mut problems = Vec::new();
    let mut files = 0;
    for r in results {
        match r {
            Ok(Some((path, info))) => {
                images.insert(path, info);
                files += 1;
            }
            Ok(None) => files += 1,
            Err(d) => problems.push(d),
        }
    }
    if !problems.is_empty() {
        problems.sort();
        return Err(Error::Content(problems));
    }
    let key = crate::fingerprint::of(&images);
    Ok(Developed {
        media: Media { images, key },
        encoded: encoded.into_inner(),
        files,
    })
}

/// The site folder of a page, where its bundle's files go: `reports/<slug>/`.
pub fn folder(route: &Route<'_>) -> String {
    let path = route.path();
    match path.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/"),
        None => String::new(),
    }
}

/// Checks the bundle files a body names against the bundle: a missing one (or an image of a
/// page that is no bundle) is an error at its position, with the nearest name as a suggestion.
pub fn check_assets(
    path: &Path,
    body: &crate::markdown::Body,
    bundle: Option<&Bundle>,
    diags: &mut Vec<Diagnostic>,
) {
    for a in &body.assets {
        let Some(bundle) = bundle else {
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("report");
            diags.push(Diagnostic::error(
                path,
                a.line,
                a.col,
                format!(
                    "image `{}` has nothing to come from: a report's images sit beside it in a \
                     page bundle; move this file to `{stem}/index.md` and put the image in \
                     that folder",
                    a.name
                ),
            ));
            continue;
        };
        if bundle.files.contains(&a.name) {
            continue;
        }
        let what = if a.image { "image" } else { "file" };
        let hint = crate::error::suggest(&a.name, bundle.files.iter().map(String::as_str))
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_else(|| {
                format!(
                    "; put it in {}",
                    path.parent().unwrap_or(Path::new("")).display()
                )
            });
        diags.push(Diagnostic::error(
            path,
            a.line,
            a.col,
            format!("{what} `{}` is not in this report's folder{hint}", a.name),
        ));
    }
}
