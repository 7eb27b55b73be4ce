//! The build command as a library function: runs every stage and reports timings.
//!
//! [`build_files`] runs load, model, render (and index) in memory; `build` writes the result and
//! `serve` serves it, so both always produce the same site.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::error::{Diagnostic, Result};
use crate::index;
use crate::load::{self, Project, Sources};
use crate::model::{self, Site};
use crate::render::{self, OutputFile, RenderOptions};
use crate::write;

/// What a build should do.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The project to read.
    pub project: Project,
    /// Where the site goes.
    pub output: PathBuf,
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
    /// Time per stage, in pipeline order.
    pub timings: Vec<(&'static str, Duration)>,
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
pub fn build(options: &BuildOptions) -> Result<BuildReport> {
    let built = build_files(&options.project, &RenderOptions::default())?;
    let mut timings = built.timings;
    let t = Instant::now();
    write::write(&options.output, &built.files, |_| Ok(()))?;
    timings.push(("write", t.elapsed()));
    Ok(BuildReport {
        reports: built.site.reports.len(),
        files: built.files.len(),
        warnings: built.site.diagnostics,
        timings,
    })
}
