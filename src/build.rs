//! The build command as a library function: runs every stage and reports timings.
//!
//! [`build_files`] runs load, model, render (and index) in memory; `build` writes the result and
//! `serve` serves it, so both always produce the same site.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::error::{Diagnostic, Result};
use crate::index;
use crate::load::{self, Project, Sources};
use crate::model::{self, Site};
use crate::output::OutputFile;
use crate::render::{self, RenderOptions};
use crate::write;

/// What a build should do.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The project to read.
    pub project: Project,
    /// Where the site goes.
    pub output: PathBuf,
    /// Replace the contents of an output folder that casebook did not create.
    pub force: bool,
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
    /// Time per stage, in pipeline order (render and index overlap: each is its own wall time).
    pub timings: Vec<(&'static str, Duration)>,
    /// Wall time of the whole build.
    pub total: Duration,
}

/// A site built in memory.
#[derive(Debug)]
pub struct Built {
    /// What was read.
    pub sources: Sources,
    /// The model.
    pub site: Site,
    /// Every output file (pages, exports, static files, the browser search index).
    pub files: Vec<OutputFile>,
    /// Time per stage.
    pub timings: Vec<(&'static str, Duration)>,
}

/// Runs load, model, render and index in memory.
pub fn build_files(project: &Project, options: &RenderOptions) -> Result<Built> {
    let mut timings = Vec::new();
    let t = Instant::now();
    let sources = load::load(project)?;
    timings.push(("load", t.elapsed()));

    let t = Instant::now();
    let site = model::build(&sources)?;
    timings.push(("model", t.elapsed()));

    let t = Instant::now();
    let mut files = render::render(&site, &sources.theme, options)?;
    timings.push(("render", t.elapsed()));

    let t = Instant::now();
    let search = index::index(&site)?;
    files.extend(search.files);
    files.sort_by(|a, b| a.path.cmp(&b.path));
    timings.push(("index", t.elapsed()));

    Ok(Built {
        sources,
        site,
        files,
        timings,
    })
}

/// Builds the site into `options.output`, replacing it only when everything succeeded.
///
/// Pages and index files stream into a staging folder as they are produced (at 100x the digest
/// the site is some 470 MB: holding it all before writing cost more memory than the build
/// itself); the staging folder replaces the output only at the end.
pub fn build(options: &BuildOptions) -> Result<BuildReport> {
    let start = Instant::now();
    let mut timings = Vec::new();
    // The output is claimed first: a refused or busy output stops the build before any work,
    // and the commit of a build that was killed is finished before this one reads anything.
    let project = &options.project;
    let policy = write::OutputPolicy::for_site(&project.root, &project.content, options.force);
    let staging = write::Staging::new(&options.output, &policy)?;
    let t = Instant::now();
    let sources = load::load(&options.project)?;
    timings.push(("load", t.elapsed()));

    let t = Instant::now();
    let site = model::build(&sources)?;
    // The model holds every body, parsed; the sources' raw Markdown is not needed past here
    // (at 100x the digest some 60 MB).
    let Sources { theme, .. } = sources;
    timings.push(("model", t.elapsed()));

    let files = AtomicUsize::new(0);
    let sink = |f: OutputFile| {
        files.fetch_add(1, Ordering::Relaxed);
        staging.put(&f)
    };
    // Render and index run side by side: the index's tantivy writer is one thread, and render
    // leaves part of a core idle on its few big pages, so together they take less wall time.
    let (rendered, indexed) = rayon::join(
        || {
            let t = Instant::now();
            render::render_into(&site, &theme, &RenderOptions::default(), &sink)
                .map(|()| t.elapsed())
        },
        || {
            let t = Instant::now();
            index::index_into(&site, &sink).map(|()| t.elapsed())
        },
    );
    timings.push(("render", rendered?));
    timings.push(("index", indexed?));

    let t = Instant::now();
    staging.commit()?;
    timings.push(("write", t.elapsed()));
    Ok(BuildReport {
        reports: site.reports.len(),
        files: files.into_inner(),
        warnings: site.diagnostics,
        timings,
        total: start.elapsed(),
    })
}
