//! The build command as a library function: runs every stage and reports timings.
//!
//! [`build_files`] runs load, model, render (and index) in memory; `build` writes the result and
//! `serve` serves it, so both always produce the same site.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Diagnostic, Error, Result};
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
    /// The tantivy index, in a temporary folder.
    pub tantivy: tempfile::TempDir,
    /// Time per stage.
    pub timings: Vec<(&'static str, Duration)>,
}

/// Runs load, model, render and index in memory; the tantivy index goes to a temporary folder
/// under `workdir`.
pub fn build_files(project: &Project, options: &RenderOptions, workdir: &Path) -> Result<Built> {
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
    let search = index::index(&site, workdir)?;
    files.extend(search.files);
    files.sort_by(|a, b| a.path.cmp(&b.path));
    timings.push(("index", t.elapsed()));

    Ok(Built {
        sources,
        site,
        files,
        tantivy: search.tantivy,
        timings,
    })
}

/// Builds the site into `options.output`, replacing it only when everything succeeded.
pub fn build(options: &BuildOptions) -> Result<BuildReport> {
    let workdir = output_parent(&options.output)?;
    let built = build_files(&options.project, &RenderOptions::default(), &workdir)?;
    let mut timings = built.timings;
    let t = Instant::now();
    let tantivy = built.tantivy;
    write::write(&options.output, &built.files, |staging| {
        let dest = staging.join(index::TANTIVY_DIR);
        std::fs::rename(tantivy.path(), &dest).map_err(|e| crate::Error::io(&dest, e))?;
        // The folder now lives in the staging tree; don't let the TempDir guard delete it.
        let _ = tantivy.keep();
        Ok(())
    })?;
    timings.push(("write", t.elapsed()));
    Ok(BuildReport {
        reports: built.site.reports.len(),
        files: built.files.len(),
        warnings: built.site.diagnostics,
        timings,
    })
}

/// The folder that holds the output folder (created if missing): temporary folders go there so
/// that moving them into the output is a rename on one file system.
fn output_parent(output: &Path) -> Result<PathBuf> {
    let parent = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
    Ok(parent)
}
