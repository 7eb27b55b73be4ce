//! Incremental rendering for `serve`: [`render_cached`] keeps the compiled templates and every
//! page's output between rebuilds, and re-renders a page only when its data changed.

use std::sync::Arc;

use rayon::prelude::*;

use super::fragments::{FragmentCache, Text};
use super::pages::{self, Pages};
use super::{assets, engine, exports, views, RenderOptions};
use crate::error::Result;
use crate::model::Site;
use crate::theme::Theme;

/// A file of [`render_cached`]'s site: its path and its bytes, shared with the cache (an
/// unchanged page is the same allocation from one rebuild to the next).
pub type SharedFile = (String, Arc<[u8]>);

/// What [`render_cached`] keeps between rebuilds: the compiled templates and every page's
/// output with the hash of what produced it.
#[derive(Default)]
pub struct RenderCache {
    /// Fingerprint of the templates and options, and the templates compiled from them.
    tera: Option<(u64, tera::Tera)>,
    /// Page path -> (hash of template name and context, output).
    pages: foldhash::HashMap<String, (u64, Arc<[u8]>)>,
    /// Fragments of the last call.
    fragments: FragmentCache,
    /// Pages rendered by the last call.
    pub rendered: usize,
    /// Pages reused from the previous call by the last call.
    pub reused: usize,
    /// Paths of the files the last call made anew; every other file it returned is the very
    /// allocation the last successful call before it returned for the same path (the first
    /// call's are all new).
    pub fresh: Vec<String>,
    /// A hash of the theme files' paths of the last successful call: a theme file added or
    /// removed can shadow or uncover a data file of the same path, so then every data file
    /// counts as new.
    assets: u64,
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
/// dependency graph to keep in sync with them. The files are `render`'s, byte for byte, in no
/// particular order; where two have one path (a theme file over compare data), the later one
/// is the file, as when a build writes them in this order.
pub fn render_cached(
    site: &Site,
    theme: &Theme,
    options: &RenderOptions,
    cache: &mut RenderCache,
) -> Result<Vec<SharedFile>> {
    let fingerprint = super::fingerprint(theme, &site.strings, options);
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
    cache.fragments.begin();
    cache.fresh.clear();
    let site_view = views::site_view(site);
    let renderer = Pages::new(site, tera, options, Some(&cache.fragments), true)?;
    let old = &cache.pages;
    // Each page's entry of the last rebuild, looked up once.
    let mut jobs: Vec<_> = pages::jobs(site, &site_view, &renderer)
        .into_iter()
        .map(|job| {
            let previous = old.get(&job.path);
            (job, previous)
        })
        .collect();
    // Biggest pages last time first, one task each: the print edition alone takes as long as
    // hundreds of small pages, and must not be the one left running at the end.
    jobs.sort_by_key(|(_, previous)| {
        std::cmp::Reverse(previous.map_or(usize::MAX, |(_, b)| b.len()))
    });
    let pages: Vec<(String, Arc<[u8]>, u64, bool)> = jobs
        .into_par_iter()
        .with_max_len(1)
        .map(|(job, previous)| {
            let mut key = 0;
            let mut probe = |k: u64| {
                key = k;
                previous.is_none_or(|(old_key, _)| *old_key != k)
            };
            let Some(page) = (job.context)(tera, Some(&mut probe))? else {
                // Unchanged: the last rebuild's bytes, shared.
                let bytes = previous.map_or_else(|| Arc::from(Vec::new()), |(_, b)| Arc::clone(b));
                return Ok((job.path, bytes, key, true));
            };
            let bytes = Arc::from(renderer.render(job.template, &job.path, page)?);
            Ok((job.path, bytes, key, false))
        })
        .collect::<Result<_>>()?;
    // Every report's compare data and exports: from the fragment cache (shared, not copied)
    // where the report's fingerprint is unchanged.
    let made = std::sync::Mutex::new(Vec::new());
    let emit = |path: String, text: Text| {
        let new = text.is_new();
        made.lock()
            .map_err(|_| crate::error::Error::Poisoned("exports"))?
            .push((path, text.into_shared(), new));
        Ok(())
    };
    let fragments = renderer.into_fragments();
    pages::compare_data(site, &fragments, &emit)?;
    let compare_data = std::mem::take(
        &mut *made
            .lock()
            .map_err(|_| crate::error::Error::Poisoned("exports"))?,
    );
    exports::each(site, &fragments, &emit, None)?;
    let exports = made
        .into_inner()
        .map_err(|_| crate::error::Error::Poisoned("exports"))?;
    drop(fragments);
    cache.fragments.rotate();
    cache.reused = pages.iter().filter(|p| p.3).count();
    cache.rendered = pages.len() - cache.reused;
    // The page table is updated in place: a reused page's entry is already what it would be
    // written as, so an edit touches the entries of the pages it rendered, not 12,700 of them.
    let mut added = false;
    for (path, bytes, key, reused) in &pages {
        if !reused {
            match cache.pages.get_mut(path) {
                Some(entry) => *entry = (*key, Arc::clone(bytes)),
                None => {
                    cache.pages.insert(path.clone(), (*key, Arc::clone(bytes)));
                    added = true;
                }
            }
        }
    }
    if added || cache.pages.len() != pages.len() {
        let now: foldhash::HashSet<&str> = pages.iter().map(|p| p.0.as_str()).collect();
        cache.pages.retain(|p, _| now.contains(p.as_str()));
    }
    let mut files: Vec<SharedFile> =
        Vec::with_capacity(pages.len() + compare_data.len() + exports.len() + 16);
    let fresh = &mut cache.fresh;
    let mut take = |(path, bytes, new): (String, Arc<[u8]>, bool)| {
        if new {
            fresh.push(path.clone());
        }
        files.push((path, bytes));
    };
    for (path, bytes, _, reused) in pages {
        take((path, bytes, !reused));
    }
    let is_page = |p: &str| cache.pages.contains_key(p);
    let assets = assets::assets(theme, &site.strings, is_page);
    let paths = crate::fingerprint::of(&assets.iter().map(|f| &f.path).collect::<Vec<_>>());
    let uncovered = std::mem::replace(&mut cache.assets, paths) != paths;
    for (path, bytes, new) in compare_data {
        take((path, bytes, new || uncovered));
    }
    // An export replaces a theme file of the same path, as in the build (written after it).
    let names: foldhash::HashSet<&str> = assets.iter().map(|f| f.path.as_str()).collect();
    let shadowed: foldhash::HashSet<String> = exports
        .iter()
        .filter(|e| names.contains(e.0.as_str()))
        .map(|e| e.0.clone())
        .collect();
    drop(names);
    for f in assets.into_iter().filter(|f| !shadowed.contains(&f.path)) {
        take((f.path, Arc::from(f.bytes), true));
    }
    for (path, bytes, new) in exports {
        take((path, bytes, new || uncovered));
    }
    Ok(files)
}
