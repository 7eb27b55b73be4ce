//! The build command as a library function: runs every stage and reports timings.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::error::{Diagnostic, Result};
use crate::load::{self, Project};
use crate::model;
use crate::render::{self, RenderOptions};
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

/// Builds the site into `options.output`, replacing it only when everything succeeded.
pub fn build(options: &BuildOptions) -> Result<BuildReport> {
    let mut report = BuildReport::default();
    let t = Instant::now();
    let sources = load::load(&options.project)?;
    report.timings.push(("load", t.elapsed()));

    let t = Instant::now();
    let site = model::build(&sources)?;
    report.timings.push(("model", t.elapsed()));

    let t = Instant::now();
    let files = render::render(&site, &sources.theme, &RenderOptions::default())?;
    report.timings.push(("render", t.elapsed()));

    let t = Instant::now();
    write::write(&options.output, &files, |_| Ok(()))?;
    report.timings.push(("write", t.elapsed()));

    report.reports = site.reports.len();
    report.files = files.len();
    report.warnings = site.diagnostics;
    Ok(report)
}
