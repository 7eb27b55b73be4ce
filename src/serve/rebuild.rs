//! One rebuild of the site in memory, and what it changed; and the search index, built apart.
//!
//! This is the part of serve that runs the build's own stages (load, model,
//! [`render::render_cached`], index), timed through the pipeline's observer. Its interface is
//! three things: [`Rebuilder::new`], [`Rebuilder::rebuild`] (returning a [`Build`]: the site,
//! its files and which of them changed) and [`search_files`]. Everything else in serve
//! (watching, HTTP, live reload) only consumes those.
//!
//! What a rebuild keeps from the last one, so that a save costs what it changed: the load cache
//! (only files whose stamp changed are read again), the model cache (only their bodies are
//! parsed again), the render cache (compiled templates and every page's data fingerprint, so an
//! unchanged page is reused, not rendered) and the files of the last good build (to tell which
//! paths changed, so that only the tabs showing them reload).

use std::sync::Arc;
use std::time::Duration;

use crate::error::{Diagnostic, Error, Level};
use crate::load::{self, LoadCache, Project};
use crate::model::{self, ModelCache, Site};
use crate::pipeline::{timed, Stage, Timings};
use crate::render::{self, RenderCache, RenderOptions};
use crate::{check, index};

/// Files of a build by output path (`reports/sandun/index.html`), shared without copying.
pub(super) type Files = foldhash::HashMap<String, Arc<[u8]>>;

/// Runs the stages and keeps what they can reuse between rebuilds.
pub(super) struct Rebuilder {
    project: Project,
    loaded: LoadCache,
    modelled: ModelCache,
    cache: RenderCache,
    /// Encoded images, by the hash of their source and settings, for as long as serve runs.
    images: crate::output::MemoryCache,
    options: RenderOptions,
    /// The files of the last good build (none before the first).
    last: Option<Arc<Files>>,
}

/// A successful rebuild.
pub(super) struct Build {
    /// The model, for the search index.
    pub(super) site: Arc<Site>,
    /// Every file of the site but the search index.
    pub(super) files: Arc<Files>,
    /// What differs from the last good build.
    pub(super) changed: Changed,
    /// Pages rendered by this build.
    pub(super) rendered: usize,
    /// Pages reused unchanged from the previous build.
    pub(super) reused: usize,
    /// Time per stage.
    pub(super) timings: Vec<(&'static str, Duration)>,
}

/// Output paths whose bytes changed since the last good build.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Changed {
    /// Added, changed and removed files, sorted.
    pub(super) paths: Vec<String>,
    /// Every page should reload: a stylesheet or script changed, or this is the first good build
    /// (open pages show a placeholder until then).
    pub(super) all: bool,
}

impl Rebuilder {
    /// A rebuilder for `project` whose HTML pages get `inject` before `</body>`.
    pub(super) fn new(project: Project, inject: String) -> Self {
        Rebuilder {
            project,
            loaded: LoadCache::default(),
            modelled: ModelCache::default(),
            cache: RenderCache::default(),
            images: crate::output::MemoryCache::default(),
            options: RenderOptions {
                inject: Some(inject),
            },
            last: None,
        }
    }

    /// Runs load, model and render, naming each stage to `progress` as it starts; content
    /// problems come back as diagnostics, and the last good build stays the one compared with.
    /// `changed`: the content files changed since the last call, when the watcher knows that
    /// nothing else did (`load::read_changed`); `None` looks at the whole project.
    pub(super) fn rebuild(
        &mut self,
        changed: Option<&[std::path::PathBuf]>,
        progress: &mut dyn FnMut(&'static str),
    ) -> Result<Build, Vec<Diagnostic>> {
        let timings = Timings::new();
        let project = &self.project;
        progress("loading");
        let sources = timed(&timings, Stage::Load, || {
            load::read_changed(project, &mut self.loaded, changed)
        });
        if sources.diagnostics.iter().any(|d| d.level == Level::Error) {
            let e = Error::Content(sources.diagnostics);
            return Err(check::error_diagnostics(project, "", e));
        }
        progress("reading Markdown");
        let mut site = timed(&timings, Stage::Model, || {
            model::build_cached(&sources, &mut self.modelled)
        })
        .map_err(|e| check::error_diagnostics(project, "", e))?;
        progress("processing images");
        let bundled = std::sync::Mutex::new(Vec::new());
        let developed = timed(&timings, Stage::Images, || {
            crate::media::develop(&site, &self.images, &|f| {
                bundled
                    .lock()
                    .map_err(|_| Error::Poisoned("images"))?
                    .push(f);
                Ok(())
            })
        })
        .map_err(|e| check::error_diagnostics(project, "", e))?;
        site.media = developed.media;
        let (options, cache) = (&self.options, &mut self.cache);
        progress("rendering");
        let rendered = timed(&timings, Stage::Render, || {
            render::render_cached(&site, &sources.theme, options, cache)
        })
        .map_err(|e| check::error_diagnostics(project, &sources.config.theme, e))?;
        let timings = timings.take();

        let bundled = bundled.into_inner().unwrap_or_default();
        // Photos are encoded again on each rebuild (from the image cache): always new files.
        let mut fresh = std::mem::take(&mut self.cache.fresh);
        fresh.extend(bundled.iter().map(|f| f.path.clone()));
        // Sized first: grown by doubling, the table of 48,000 files was built twice over.
        let mut files =
            Files::with_capacity_and_hasher(bundled.len() + rendered.len(), Default::default());
        files.extend(
            bundled
                .into_iter()
                .map(|f| (f.path, Arc::from(f.bytes)))
                .chain(rendered),
        );
        let files = Arc::new(files);
        let changed = changes(self.last.as_deref(), &files, &fresh);
        self.last = Some(Arc::clone(&files));
        Ok(Build {
            site: Arc::new(site),
            files,
            changed,
            rendered: self.cache.rendered,
            reused: self.cache.reused,
            timings,
        })
    }
}

/// What differs between the last good build's files and this one's. `fresh` are the paths of
/// the files made anew (`RenderCache::fresh`, photos): every other file is the very allocation
/// the last build had at its path, so only these are looked up and compared, not all 48,000
/// files of 100x the digest (20 ms of each save, spent waiting on memory).
fn changes(old: Option<&Files>, new: &Files, fresh: &[String]) -> Changed {
    let Some(old) = old else {
        let mut paths: Vec<String> = new.keys().cloned().collect();
        paths.sort_unstable();
        return Changed { paths, all: true };
    };
    let mut paths = Vec::new();
    let mut known = 0;
    for p in fresh {
        let Some(b) = new.get(p) else { continue };
        match old.get(p) {
            Some(o) => {
                known += 1;
                if !Arc::ptr_eq(o, b) && o[..] != b[..] {
                    paths.push(p.clone());
                }
            }
            None => paths.push(p.clone()),
        }
    }
    // The other files' paths are all the last build's: the two builds have the same paths when
    // they have as many and every fresh path was there before. Otherwise some are gone.
    if known < fresh.len() || new.len() != old.len() {
        paths.extend(old.keys().filter(|p| !new.contains_key(*p)).cloned());
    }
    paths.sort_unstable();
    // A changed stylesheet or script can change how any page looks or behaves.
    let all = paths
        .iter()
        .any(|p| p.ends_with(".css") || p.ends_with(".js") || p.ends_with(".mjs"));
    Changed { paths, all }
}

/// The search index of `site` as files to serve beside the pages, unless `go_on` stops it.
pub(super) fn search_files(site: &Site, go_on: index::GoOn<'_>) -> crate::error::Result<Files> {
    Ok(index::index_while(site, go_on)?
        .files
        .into_iter()
        .map(|f| (f.path, Arc::from(f.bytes)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[(&str, &str)]) -> Files {
        list.iter()
            .map(|(p, b)| (p.to_string(), Arc::from(b.as_bytes())))
            .collect()
    }

    #[test]
    fn only_changed_added_and_removed_files_are_named() {
        let old = files(&[("a.html", "1"), ("b.html", "2"), ("gone.html", "3")]);
        let new = files(&[("a.html", "1"), ("b.html", "22"), ("new.html", "4")]);
        let fresh: Vec<String> = ["b.html", "new.html"].map(String::from).into();
        let changed = changes(Some(&old), &new, &fresh);
        assert_eq!(
            changed,
            Changed {
                paths: vec!["b.html".into(), "gone.html".into(), "new.html".into()],
                all: false
            }
        );
    }

    #[test]
    fn a_file_made_again_alike_is_unchanged_and_a_same_sized_rename_is_seen() {
        let old = files(&[("a.html", "1"), ("b.html", "2")]);
        // Made anew with the same bytes: not a change.
        let new = files(&[("a.html", "1"), ("b.html", "2")]);
        let changed = changes(Some(&old), &new, &["b.html".to_string()]);
        assert!(changed.paths.is_empty(), "{changed:?}");
        // As many files, one renamed: both paths are named.
        let new = files(&[("a.html", "1"), ("c.html", "2")]);
        let changed = changes(Some(&old), &new, &["c.html".to_string()]);
        assert_eq!(changed.paths, ["b.html", "c.html"]);
    }

    #[test]
    fn a_stylesheet_or_the_first_build_reloads_everything() {
        let old = files(&[("a.css", "x")]);
        let new = files(&[("a.css", "y")]);
        assert!(changes(Some(&old), &new, &["a.css".to_string()]).all);
        assert!(changes(None, &old, &[]).all);
    }
}
