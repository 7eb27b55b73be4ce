//! Incremental rendering for `serve`: [`render_cached`] keeps the compiled templates and every
//! page's output between rebuilds, and re-renders a page only when its data changed.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use rayon::prelude::*;

use super::fragments::FragmentCache;
use super::pages::{self, Pages};
use super::{assets, engine, exports, views, RenderOptions};
use crate::error::Result;
use crate::model::Site;
use crate::output::OutputFile;
use crate::theme::Theme;

/// What [`render_cached`] keeps between rebuilds: the compiled templates and every page's
/// output with the hash of what produced it.
#[derive(Default)]
pub struct RenderCache {
    /// Fingerprint of the templates and options, and the templates compiled from them.
    tera: Option<(u64, tera::Tera)>,
    /// Page path -> (hash of template name and context, output).
    pages: HashMap<String, (u64, Vec<u8>)>,
    /// Fragments of the last call.
    fragments: FragmentCache,
    /// The exports of the last call, with the fingerprint of every report they were made from.
    exports: Option<(u64, Vec<OutputFile>)>,
    /// Pages rendered by the last call.
    pub rendered: usize,
    /// Pages reused from the previous call by the last call.
    pub reused: usize,
    /// Paths of the pages the last call reused: their bytes are those of the call before.
    pub reused_paths: Vec<String>,
}

impl std::fmt::Debug for RenderCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderCache")
            .field("pages", &self.pages.len())
            .field("rendered", &self.rendered)
            .field("reused", &self.reused)
            .finish()
    }
}

/// Renders like `render`, but re-renders only the pages whose template context changed since
/// the previous call with the same cache, and recompiles templates only when the theme changed.
///
/// The page list and every page's data are built exactly as `render` builds them; a page is
/// reused when the hash of its template name and serialized data (the data its context is made
/// of) is the one it had last time, and then its context is not even built. So a
/// change to one report re-renders that report and the pages that show something of it (lists,
/// neighbours, related reports, the print edition), whatever the templates do, without a
/// dependency graph to keep in sync with them. Output is byte-identical to `render`.
pub fn render_cached(
    site: &Site,
    theme: &Theme,
    options: &RenderOptions,
    cache: &mut RenderCache,
) -> Result<Vec<OutputFile>> {
    let fingerprint = {
        let mut h = DefaultHasher::new();
        (&theme.templates, &theme.builtin_templates, &options.inject).hash(&mut h);
        site.strings.fingerprint().hash(&mut h);
        h.finish()
    };
    let tera = match &mut cache.tera {
        Some((f, tera)) if *f == fingerprint => &*tera,
        slot => {
            // Forget the old pages and templates first: if the new templates do not compile,
            // nothing rendered with the old ones may be reused with them later.
            cache.pages.clear();
            cache.fragments = FragmentCache::default();
            *slot = None;
            &slot
                .insert((fingerprint, engine::compile(theme, &site.strings)?))
                .1
        }
    };
    let mut old = std::mem::take(&mut cache.pages);
    let site_view = views::site_view(site);
    let renderer = Pages::new(site, tera, options, Some(&cache.fragments))?;
    let mut jobs = pages::jobs(site, &site_view, &renderer);
    // Biggest pages last time first, one task each: the print edition alone takes as long as
    // hundreds of small pages, and must not be the one left running at the end.
    jobs.sort_by_key(|j| std::cmp::Reverse(old.get(&j.path).map_or(usize::MAX, |(_, b)| b.len())));
    let pages: Vec<(OutputFile, u64, bool)> = jobs
        .into_par_iter()
        .with_max_len(1)
        .map(|job| {
            let previous = old.get(&job.path);
            let mut key = 0;
            let mut probe = |k: u64| {
                key = k;
                previous.is_none_or(|(old_key, _)| *old_key != k)
            };
            let Some(page) = (job.context)(tera, Some(&mut probe))? else {
                let bytes = previous.map(|(_, b)| b.clone()).unwrap_or_default();
                let file = OutputFile {
                    path: job.path,
                    bytes,
                };
                return Ok((file, key, true));
            };
            let file = OutputFile {
                bytes: renderer.render(job.template, &job.path, page)?,
                path: job.path,
            };
            Ok((file, key, false))
        })
        .collect::<Result<_>>()?;
    let exports_key = renderer.fragments.site_fingerprint(site);
    // One small file per report, keyed by the report's fingerprint (see `pages/compare.rs`).
    let compare_data = std::sync::Mutex::new(Vec::new());
    pages::compare_data(site, &renderer.fragments, &|f| {
        compare_data
            .lock()
            .map_err(|_| crate::error::Error::Poisoned("compare data"))?
            .push(f);
        Ok(())
    })?;
    let compare_data = compare_data
        .into_inner()
        .map_err(|_| crate::error::Error::Poisoned("compare data"))?;
    drop(renderer);
    cache.fragments.rotate();
    cache.reused = pages.iter().filter(|p| p.2).count();
    cache.rendered = pages.len() - cache.reused;
    cache.reused_paths.clear();
    let mut files = Vec::with_capacity(pages.len());
    for (file, key, reused) in pages {
        // A reused page's bytes move over from the old cache; only new ones are copied.
        let kept = match old.remove(&file.path) {
            Some(entry) if reused => {
                cache.reused_paths.push(file.path.clone());
                entry
            }
            _ => (key, file.bytes.clone()),
        };
        cache.pages.insert(file.path.clone(), kept);
        files.push(file);
    }
    let paths = files.iter().map(|f| f.path.clone()).collect();
    files.extend(compare_data);
    let exports = match (&cache.exports, exports_key) {
        (Some((key, files)), Some(now)) if *key == now => files.clone(),
        _ => exports::exports(site)?,
    };
    cache.exports = exports_key.map(|k| (k, exports.clone()));
    files.extend(assets::assets(exports, theme, &site.strings, &paths));
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}
