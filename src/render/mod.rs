//! Render stage: `&Site` and `&Theme` become [`OutputFile`]s (pages, feeds, exports, static
//! files), handed to a sink as they are made. Nothing is written here.
//!
//! Entry points: [`render_into`] (the build streams pages to the write stage), [`render`] (the
//! same, collected: `check` and tests) and [`render_cached`] (`serve`: re-renders only pages whose
//! data changed). Each page kind lives in [`pages`], with its view struct and its jobs; Tera
//! set-up is in [`engine`], the page-job machinery in [`job`]. Templates are compiled once;
//! pages render in parallel; every link is relative to the page (see [`crate::urls`]), so the
//! output works at any sub-path and straight from disk.

mod assets;
mod cache;
mod charts;
mod engine;
mod exports;
mod fragments;
mod job;
mod pages;
mod tilemap;
pub(crate) mod views;

use std::collections::BTreeSet;
use std::sync::Mutex;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::model::Site;
use crate::output::{OutputFile, Reuse, Sink};
use crate::theme::Theme;
pub use cache::{render_cached, RenderCache, SharedFile};
pub use engine::compile;

/// The hash of what every page's key leaves out because it is the same for all: the templates,
/// the interface strings and the render options. `serve` renders again every page when it
/// changes; a build keeps no page made under another.
pub fn fingerprint(theme: &Theme, strings: &crate::i18n::Strings, options: &RenderOptions) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = crate::fingerprint::hasher();
    (&theme.templates, &theme.builtin_templates, &options.inject).hash(&mut h);
    strings.fingerprint().hash(&mut h);
    h.finish()
}
use pages::Pages;

/// Options that change rendered output.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    /// Extra HTML injected before `</body>` of every page (serve's live-reload script).
    pub inject: Option<String>,
}

/// Renders every file of the site into memory, in path order.
pub fn render(site: &Site, theme: &Theme, options: &RenderOptions) -> Result<Vec<OutputFile>> {
    let files = Mutex::new(Vec::new());
    render_into(
        site,
        theme,
        options,
        &|f| {
            files.lock().map_err(|_| Error::Poisoned("render"))?.push(f);
            Ok(())
        },
        None,
    )?;
    let mut files = files.into_inner().map_err(|_| Error::Poisoned("render"))?;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// Renders every file of the site, handing each to `sink` as soon as it is made instead of
/// collecting the site: a build then writes pages straight to disk and holds only the pages in
/// flight (at 100x the digest the rendered pages are some 300 MB).
///
/// With `reuse`, a page whose key (the hash of its template and data, as `serve` compares it)
/// is the one the previous build made it from, and which the output still holds, is kept
/// there: neither its context is built nor the page rendered. The keys hold within one epoch
/// ([`fingerprint`] and the site-wide inputs the build adds to it).
pub fn render_into(
    site: &Site,
    theme: &Theme,
    options: &RenderOptions,
    sink: &Sink<'_>,
    reuse: Option<&dyn Reuse>,
) -> Result<()> {
    let tera = engine::compile(theme, &site.strings)?;
    let site_view = views::site_view(site);
    let renderer = Pages::new(site, &tera, options, None, reuse.is_some())?;
    let jobs = pages::jobs(site, &site_view, &renderer);
    let paths: BTreeSet<String> = jobs.iter().map(|j| j.path.clone()).collect();
    // One task each, as serve's render does: left to rayon's default split, a thread went
    // through its last share of the list alone (a 100x build had 0.4 s on one core while the
    // other, done with the index, found nothing to steal).
    jobs.into_par_iter()
        .with_max_len(1)
        .map(|job| {
            let Some(reuse) = reuse else {
                // Without a probe a context is always built.
                let page = (job.context)(&tera, None)?.unwrap_or_default();
                return sink(OutputFile {
                    bytes: renderer.render(job.template, &job.path, page)?,
                    path: job.path,
                });
            };
            let (mut key, mut failed) = (None, None);
            let mut probe = |k: u64| match reuse.keep(&job.path, k) {
                Ok(kept) => {
                    key = Some(k);
                    !kept
                }
                Err(e) => {
                    failed = Some(e);
                    false
                }
            };
            let page = (job.context)(&tera, Some(&mut probe))?;
            if let Some(e) = failed {
                return Err(e);
            }
            let Some(page) = page else {
                return Ok(());
            };
            let file = OutputFile {
                bytes: renderer.render(job.template, &job.path, page)?,
                path: job.path,
            };
            match key {
                Some(key) => reuse.put_keyed(file, key),
                None => sink(file),
            }
        })
        .collect::<Result<()>>()?;
    let emit = |path, text: fragments::Text| {
        sink(OutputFile {
            path,
            bytes: text.into_bytes(),
        })
    };
    // The listing entries (at 1000x the digest 238 MB) are not needed past the pages.
    let fragments = renderer.into_fragments();
    // The compare data and the exports side by side: the exports' two tables are made one row
    // after the other, the last thing of a build (a 100x build had 0.1 s of them on one core).
    // A theme file replaces compare data of its path (it is put after it), and an export
    // replaces a theme file (a theme file of an export's path is not put).
    let (compared, exported) = rayon::join(
        || pages::compare_data(site, &fragments, &emit),
        || exports::each(site, &fragments, &emit, reuse),
    );
    compared.and(exported)?;
    let exports = [
        crate::urls::Route::ExportJson.path(),
        crate::urls::Route::ExportCsv.path(),
    ];
    let assets = assets::assets(theme, &site.strings, |p| paths.contains(p));
    for file in assets.into_iter().filter(|f| !exports.contains(&f.path)) {
        sink(file)?;
    }
    Ok(())
}
