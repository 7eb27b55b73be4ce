//! One run of the pipeline, load → model → render ∥ index → write, shared by every command:
//! `build` runs all of it ([`build`]), `check` and `serve` the front of it ([`model`]) and then
//! their own back end. An [`Observer`] hears each stage start and end (timings for the summary
//! line, progress on a terminal), so no command times stages on its own.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::{Diagnostic, Error, Level, Result};
use crate::index;
use crate::load::{self, Project, Sources};
use crate::model::{self, Site};
use crate::output::OutputFile;
use crate::render::{self, RenderOptions};
use crate::write;

/// A stage of the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Reading the project.
    Load,
    /// Building the model (Markdown parsed once here).
    Model,
    /// Publishing bundle files, processing their images.
    Images,
    /// Rendering pages.
    Render,
    /// Indexing for search.
    Index,
    /// Committing the output.
    Write,
    /// `check`'s own checks.
    Check,
}

impl Stage {
    /// The stage's name in summaries (`load 12 ms, ...`).
    pub fn name(self) -> &'static str {
        match self {
            Stage::Load => "load",
            Stage::Model => "model",
            Stage::Images => "images",
            Stage::Render => "render",
            Stage::Index => "index",
            Stage::Write => "write",
            Stage::Check => "check",
        }
    }
}

/// Hears the stages of a run. Render and index run side by side, so calls may come from two
/// threads.
pub trait Observer: Sync {
    /// `stage` starts.
    fn started(&self, _stage: Stage) {}
    /// `stage` ended after `took`.
    fn finished(&self, _stage: Stage, _took: Duration) {}
    /// `files` files of the site are made so far (told now and then, not for every file).
    fn produced(&self, _files: usize) {}
}

/// An observer that hears nothing.
#[derive(Debug, Default)]
pub struct Quiet;

impl Observer for Quiet {}

/// Collects each stage's time, in the order stages end, and passes every call on to `inner`.
#[derive(Debug)]
pub struct Timings<'a, O: Observer + ?Sized = Quiet> {
    stages: Mutex<Vec<(&'static str, Duration)>>,
    inner: &'a O,
}

impl<'a, O: Observer + ?Sized> Timings<'a, O> {
    /// Timings that also tell `inner`.
    pub fn around(inner: &'a O) -> Self {
        Timings {
            stages: Mutex::new(Vec::new()),
            inner,
        }
    }

    /// The stages timed so far.
    pub fn take(&self) -> Vec<(&'static str, Duration)> {
        self.stages
            .lock()
            .map(|mut s| std::mem::take(&mut *s))
            .unwrap_or_default()
    }
}

impl Timings<'static, Quiet> {
    /// Timings alone.
    pub fn new() -> Self {
        Timings::around(&Quiet)
    }
}

impl Default for Timings<'static, Quiet> {
    fn default() -> Self {
        Timings::new()
    }
}

impl<O: Observer + ?Sized> Observer for Timings<'_, O> {
    fn started(&self, stage: Stage) {
        self.inner.started(stage);
    }

    fn finished(&self, stage: Stage, took: Duration) {
        if let Ok(mut s) = self.stages.lock() {
            s.push((stage.name(), took));
        }
        self.inner.finished(stage, took);
    }

    fn produced(&self, files: usize) {
        self.inner.produced(files);
    }
}

/// Runs `f` as `stage`, telling `observer` when it starts and how long it took (also when it
/// fails: the time is real).
pub fn timed<T>(observer: &dyn Observer, stage: Stage, f: impl FnOnce() -> T) -> T {
    observer.started(stage);
    let t = Instant::now();
    let out = f();
    observer.finished(stage, t.elapsed());
    out
}

/// The front of every run: the project loaded and modelled.
pub fn model(project: &Project, observer: &dyn Observer) -> Result<(Sources, Site)> {
    let sources = timed(observer, Stage::Load, || load::load(project))?;
    let site = timed(observer, Stage::Model, || model::build(&sources))?;
    Ok((sources, site))
}

/// [`model`] as a build runs it: bodies lean past [`HELD_BODIES_MIB`] of Markdown (`build`, and
/// `search`, which reads every body once).
pub fn model_lean(project: &Project, observer: &dyn Observer) -> Result<(Sources, Site)> {
    let mut sources = timed(observer, Stage::Load, || load::load(project))?;
    let bodies = bodies_for(project, &sources);
    let site = timed(observer, Stage::Model, || {
        model::build_lean(&mut sources, &bodies)
    })?;
    Ok((sources, site))
}

/// Reports whose Markdown totals more than this many MiB keep lean bodies through a build
/// ([`model::Bodies::Lean`]): whole bodies (HTML and text) take about twice their Markdown, so
/// at 100x the digest (26 MB of Markdown) they are held, some 50 MB, and at 1000x (263 MB) they
/// would be 470 MB of a 1 GiB budget. Lean bodies cost a second and third parse of each (its
/// page and print volume, the index): time spent to keep memory in line with the pages in
/// flight. `CASEBOOK_HELD_BODIES_MB` sets another limit (0: always lean).
const HELD_BODIES_MIB: usize = 64;

/// How a build of `sources` keeps report bodies (also `examples/model_stage`, which times the
/// stages as a build runs them).
pub fn bodies_for(project: &Project, sources: &Sources) -> model::Bodies {
    let limit = std::env::var("CASEBOOK_HELD_BODIES_MB")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(HELD_BODIES_MIB);
    let markdown: usize = sources.reports.iter().map(|r| r.body.len()).sum();
    if markdown > limit << 20 {
        model::Bodies::Lean {
            root: project.root.clone(),
        }
    } else {
        model::Bodies::Held
    }
}

/// What a build should do.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The project to read.
    pub project: Project,
    /// Where the site goes.
    pub output: PathBuf,
    /// Replace the contents of an output folder that casebook did not create.
    pub force: bool,
    /// Refuse to publish a site with warnings, as with errors.
    pub strict: bool,
}

/// What a build did.
#[derive(Debug, Default)]
pub struct BuildReport {
    /// Warnings (errors fail the build instead).
    pub warnings: Vec<Diagnostic>,
    /// Reports built.
    pub reports: usize,
    /// Files written.
    pub files: usize,
    /// Bundle images processed.
    pub images: usize,
    /// Image files encoded (variants and fallbacks not found in the output's cache).
    pub images_encoded: usize,
    /// Pages and index files kept from the previous build, neither made nor written again.
    pub kept: usize,
    /// Files written; the others are the previous output's, kept or found unchanged.
    pub written: usize,
}

/// Builds the site into `options.output`, replacing it only when everything succeeded.
///
/// Pages and index files stream into a staging folder as they are produced (at 100x the digest
/// the site is some 470 MB: holding it all before writing cost more memory than the build
/// itself); the staging folder replaces the output only at the end.
pub fn build(options: &BuildOptions, observer: &dyn Observer) -> Result<BuildReport> {
    // The output is claimed first: a refused or busy output stops the build before any work,
    // and the commit of a build that was killed is finished before this one reads anything.
    let project = &options.project;
    let policy = write::OutputPolicy::for_site(&project.root, &project.content, options.force);
    let mut staging = write::Staging::new(&options.output, &policy)?;
    let (mut sources, mut site) = model_lean(project, observer)?;
    let refuse = |mut diags: Vec<Diagnostic>| {
        if options.strict {
            for d in &mut diags {
                d.level = Level::Error;
            }
        }
        if diags.iter().any(|d| d.level == Level::Error) {
            diags.sort();
            return Err(Error::Content(diags));
        }
        Ok(diags)
    };
    // Under --strict the model's warnings stop the build before anything is rendered.
    let warnings = refuse(site.diagnostics.clone())?;
    // The model holds every body, parsed; the sources' raw Markdown is not needed past here
    // (at 100x the digest some 60 MB). It is freed as the index starts, beside the render (on
    // its own it was 20 ms on one core before either began).
    let theme = std::mem::take(&mut sources.theme);
    staging.remember(epoch(project, &site, &theme));

    let out = Out {
        staging: &staging,
        observer,
        files: AtomicUsize::new(0),
        kept: AtomicUsize::new(0),
        written: Mutex::new(Vec::new()),
    };
    let sink = |f: OutputFile| out.put(f);
    // Before render and index: pages need each image's size and variants, search the thumbs.
    let cache = staging.cache("images");
    let developed = timed(observer, Stage::Images, || {
        crate::media::develop(&site, &cache, &sink)
    })?;
    site.media = developed.media;
    let images = site.media.len();
    // Render and index run side by side: a chunk's inversion is one thread (its result
    // documents take the other core meanwhile), and render fills whatever the index leaves.
    let (rendered, indexed) = rayon::join(
        || {
            timed(observer, Stage::Render, || {
                render::render_into(&site, &theme, &RenderOptions::default(), &sink, Some(&out))
            })
        },
        || {
            drop(sources);
            timed(observer, Stage::Index, || out.index(&site))
        },
    );
    rendered?;
    indexed?;
    // Dead links fail the build, as in Zola: a reader would meet them. The staging folder is
    // dropped and the published site stays as it was.
    let kept = out.kept.load(Ordering::Relaxed);
    let (files, written) = out.into_parts()?;
    let mut all = warnings;
    all.extend(crate::check::dead_links(
        &site,
        written.iter().map(String::as_str),
    ));
    let warnings = refuse(all)?;
    let reports = site.reports.len();
    // The model is freed beside the commit: at 100x the digest its 11,900 reports' bodies,
    // views and positions took 20 ms to free, on one core, at the very end of the build.
    let (committed, ()) = rayon::join(
        || timed(observer, Stage::Write, || staging.commit()),
        move || drop(site),
    );
    let written_files = committed?;
    cache.prune()?;
    Ok(BuildReport {
        reports,
        files,
        warnings,
        images,
        images_encoded: developed.encoded,
        kept,
        written: written_files,
    })
}

/// The hash of everything site-wide that a page's key (see [`render::render_into`]) leaves out,
/// under which a build keeps the pages and index of the previous one: the code that made them
/// (a new binary may render the same data otherwise), the theme, the strings, the configuration
/// and the options that change what is built.
fn epoch(project: &Project, site: &Site, theme: &crate::theme::Theme) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = crate::fingerprint::hasher();
    // Set by build.rs from the binary's source, lock file and compiler.
    env!("CASEBOOK_BUILD_ID").hash(&mut h);
    render::fingerprint(theme, &site.strings, &RenderOptions::default()).hash(&mut h);
    theme.statics.hash(&mut h);
    serde_json::to_string(&site.config)
        .unwrap_or_default()
        .hash(&mut h);
    (project.drafts, &project.base_url).hash(&mut h);
    // Tera's `get_env` lets a template show the environment, which no page's data holds: a
    // theme that calls it keeps pages only while the whole environment is the same.
    if theme.templates.values().any(|t| t.contains("get_env")) {
        let mut vars: Vec<_> = std::env::vars_os().collect();
        vars.sort();
        vars.hash(&mut h);
    }
    h.finish()
}

/// The build's output: files go to the staging folder, each path noted for the link check
/// and counted for progress.
struct Out<'a> {
    staging: &'a write::Staging,
    observer: &'a dyn Observer,
    files: AtomicUsize,
    /// Files kept from the previous build.
    kept: AtomicUsize,
    /// Every path written (a path per page: at 1000x the digest some 10 MB).
    written: Mutex<Vec<String>>,
}

impl Out<'_> {
    fn put(&self, f: OutputFile) -> Result<()> {
        self.staging.put(&f)?;
        self.note(f.path)
    }

    /// The search index: the previous build's when it was made from the same documents and is
    /// still in the output, else made anew, its files noted for the next build.
    fn index(&self, site: &Site) -> Result<()> {
        let key = index::key(site);
        if let Some(paths) = self.staging.keep_index(key)? {
            self.kept.fetch_add(paths.len(), Ordering::Relaxed);
            return paths.into_iter().try_for_each(|p| self.note(p));
        }
        let made = IndexOut {
            out: self,
            paths: Mutex::new(Vec::new()),
        };
        index::index_into(site, &|f| made.put(f), Some(self.staging.path()))?;
        let paths = made
            .paths
            .into_inner()
            .map_err(|_| Error::Poisoned("index paths"))?;
        self.staging.made_index(key, paths)
    }

    fn note(&self, path: String) -> Result<()> {
        let n = self.files.fetch_add(1, Ordering::Relaxed) + 1;
        if n.is_multiple_of(256) {
            self.observer.produced(n);
        }
        self.written
            .lock()
            .map_err(|_| Error::Poisoned("written paths"))?
            .push(path);
        Ok(())
    }

    /// How many files were put, and their paths.
    fn into_parts(self) -> Result<(usize, Vec<String>)> {
        let written = self
            .written
            .into_inner()
            .map_err(|_| Error::Poisoned("written paths"))?;
        Ok((self.files.into_inner(), written))
    }
}

impl crate::output::Reuse for Out<'_> {
    fn keep(&self, path: &str, key: u64) -> Result<bool> {
        if !self.staging.keep(path, key)? {
            return Ok(false);
        }
        self.kept.fetch_add(1, Ordering::Relaxed);
        self.note(path.to_string())?;
        Ok(true)
    }

    fn put_keyed(&self, file: OutputFile, key: u64) -> Result<()> {
        self.staging.put_keyed(&file, key)?;
        self.note(file.path)
    }

    fn put_written(
        &self,
        path: &str,
        key: u64,
        write: &mut dyn FnMut(&mut dyn std::io::Write) -> Result<()>,
    ) -> Result<()> {
        self.staging.put_written(path, key, write)?;
        self.note(path.to_string())
    }
}

/// The build's output as the index sees it: each path also noted as the index's.
struct IndexOut<'a> {
    out: &'a Out<'a>,
    paths: Mutex<Vec<String>>,
}

impl IndexOut<'_> {
    fn put(&self, f: OutputFile) -> Result<()> {
        self.paths
            .lock()
            .map_err(|_| Error::Poisoned("index paths"))?
            .push(f.path.clone());
        self.out.put(f)
    }
}
