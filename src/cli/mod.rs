//! Command line: clap types, validated into options, then dispatched to the library.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};

use casebook::error::{Diagnostic, Error, Level};
use casebook::load::Project;
use casebook::pipeline::{self, BuildOptions, Observer, Stage, Timings};

use crate::diagnostics_print::{self, Format, Progress};

mod serve;
use serve::{run_serve, ServeArgs};

/// casebook: turns a folder of Markdown case reports into a browsable, searchable static site.
#[derive(Debug, Parser)]
#[command(name = "casebook", version, about, long_about = None)]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Build the site into the output folder (replaced only when the build succeeds).
    Build(BuildArgs),
    /// Search the site's reports, ranked as the built site's search ranks them.
    Search(SearchArgs),
    /// Serve the site on loopback, rebuild on every change and reload open pages.
    Serve(ServeArgs),
    /// Check the site: everything a build reports, plus dead links and anchors, a town reported
    /// twice, pages nothing links to. Exit status 1 when there are errors.
    Check(CheckArgs),
    /// Create a new report, with the site's tactics and metrics listed in it.
    New(NewArgs),
    /// Create a new site in a folder: site.yaml and one sample report.
    Init(InitArgs),
}

/// Where the site is.
#[derive(Debug, Args, Clone)]
pub(crate) struct SiteArgs {
    /// Site root: holds site.yaml, content/ and themes/.
    #[arg(long, default_value = ".")]
    pub(crate) root: PathBuf,
    /// Content folder [default: ROOT/content].
    #[arg(long)]
    pub(crate) content: Option<PathBuf>,
    /// Include reports and pages marked `draft: true`.
    #[arg(long)]
    pub(crate) drafts: bool,
    /// Published URL (only the feed, sitemap and 404 page use it; links are relative).
    #[arg(long)]
    pub(crate) base_url: Option<String>,
}

/// `casebook build`.
#[derive(Debug, Args)]
pub(crate) struct BuildArgs {
    #[command(flatten)]
    pub(crate) site: SiteArgs,
    /// Output folder [default: ROOT/output]. Everything in it is replaced by the build.
    #[arg(long)]
    pub(crate) output: Option<PathBuf>,
    /// Replace the contents of an output folder that casebook did not create (it holds files
    /// but no `.casebook` marker). Folders of the site itself are refused even so.
    #[arg(long)]
    pub(crate) force: bool,
    /// No progress display, only the summary line (as when stderr is not a terminal).
    #[arg(long, short)]
    pub(crate) quiet: bool,
    /// Treat warnings as errors: publish nothing while there is any (as `check --strict`).
    #[arg(long)]
    pub(crate) strict: bool,
}

impl SiteArgs {
    /// Validates the arguments into a project.
    pub(crate) fn project(&self) -> Result<Project> {
        if !self.root.is_dir() {
            anyhow::bail!("site root {} is not a folder", self.root.display());
        }
        let mut project = Project::new(&self.root);
        if let Some(c) = &self.content {
            project.content = c.clone();
        }
        project.drafts = self.drafts;
        if let Some(url) = &self.base_url {
            if !(url.starts_with("http://") || url.starts_with("https://") || url.starts_with('/'))
            {
                anyhow::bail!("--base-url must start with http://, https:// or /, found `{url}`");
            }
            project.base_url = Some(url.clone());
        }
        Ok(project)
    }
}

/// Runs the command; returns the process exit code.
pub(crate) fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Build(args) => run_build(args),
        Command::Search(args) => run_search(args),
        Command::Serve(args) => run_serve(args),
        Command::Check(args) => run_check(args),
        Command::New(args) => run_new(args),
        Command::Init(args) => run_init(args),
    }
}

/// Most results `casebook search --limit` may ask for.
const MAX_SEARCH_LIMIT: u64 = 10_000;

/// `casebook search`.
#[derive(Debug, Args)]
pub(crate) struct SearchArgs {
    #[command(flatten)]
    pub(crate) site: SiteArgs,
    /// Print `[{"slug","title","score"}]` as JSON, best first.
    #[arg(long)]
    pub(crate) json: bool,
    /// How many results (1 to 10000).
    // Bounded: `usize::MAX` overflowed a capacity and 2^32 aborted out of memory in the search
    // library; no one reads more than a few thousand results on a terminal.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=MAX_SEARCH_LIMIT))]
    pub(crate) limit: u64,
    /// The query: words separated by spaces; every word must match, Chinese as an exact phrase.
    pub(crate) query: String,
}

/// Searches the site's sources as the build would index them: no output is read or written, so
/// the answer is what the next build's search will find (a tantivy index made in memory: about
/// a second at 100x the digest).
fn run_search(args: SearchArgs) -> Result<i32> {
    let project = args.site.project()?;
    // The sources are dropped here, before the index is made.
    let site = match pipeline::model_lean(&project, &pipeline::Quiet) {
        Ok((_, site)) => site,
        Err(Error::Content(diags)) => {
            print_diagnostics(&diags, &project.root);
            eprintln!("search failed: {} error(s) in the site", errors(&diags));
            return Ok(1);
        }
        Err(e) => return Err(e.into()),
    };
    let index = casebook::index::tantivy_index(&site)?;
    let hits = casebook::search::search(&index, &args.query, args.limit as usize)?;
    if args.json {
        println!("{}", serde_json::to_string(&hits.hits)?);
    } else {
        println!("{} result(s) for {:?}", hits.total, args.query);
        for (i, h) in hits.hits.iter().enumerate() {
            println!("{:>3}. {:<28} {:>8.4}  {}", i + 1, h.slug, h.score, h.title);
        }
    }
    Ok(0)
}

fn run_build(args: BuildArgs) -> Result<i32> {
    let project = args.site.project()?;
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| project.root.join("output"));
    let options = BuildOptions {
        project,
        output,
        force: args.force,
        strict: args.strict,
    };
    let started = std::time::Instant::now();
    let progress = BuildProgress::new(args.quiet);
    let timings = Timings::around(&progress);
    let built = pipeline::build(&options, &timings);
    progress.bar.finish_and_clear();
    match built {
        Ok(report) => {
            print_diagnostics(&report.warnings, &options.project.root);
            // The encode count tells a cached rebuild from a slow one (and tests read it).
            let images = if report.images > 0 {
                format!(
                    ", {} images ({} files encoded)",
                    report.images, report.images_encoded
                )
            } else {
                String::new()
            };
            // Tells a rebuild that kept most of the site from one that made it all, and how much
            // it wrote (a file made again with the same bytes is not).
            let kept = if report.kept > 0 || report.written < report.files {
                format!(
                    " ({} kept from the last build, {} written)",
                    report.kept, report.written
                )
            } else {
                String::new()
            };
            eprintln!(
                "built {} reports, {} files{kept}{images} into {} in {:.0} ms ({}){}",
                report.reports,
                report.files,
                options.output.display(),
                started.elapsed().as_secs_f64() * 1000.0,
                diagnostics_print::stages(&timings.take()),
                if report.warnings.is_empty() {
                    String::new()
                } else {
                    format!(", {} warning(s)", report.warnings.len())
                }
            );
            Ok(0)
        }
        Err(Error::Content(diags)) => {
            print_diagnostics(&diags, &options.project.root);
            eprintln!(
                "build failed: {} error(s); {} left unchanged",
                errors(&diags),
                options.output.display()
            );
            Ok(1)
        }
        // As `check` reports it: on the template's file, at Tera's position when it gives one.
        Err(Error::Template { name, message }) => {
            let theme = casebook::load::config(&options.project)
                .map(|c| c.theme)
                .unwrap_or_default();
            let diag =
                casebook::check::template_diagnostic(&options.project, &theme, &name, &message);
            print_diagnostics(&[diag], &options.project.root);
            eprintln!(
                "build failed: 1 error(s); {} left unchanged",
                options.output.display()
            );
            Ok(1)
        }
        Err(e) => Err(e).context("build failed"),
    }
}

/// Prints diagnostics on stderr: `file:line:col: level: message`, the source line (read from
/// `root`) and a caret, coloured on a terminal.
pub(crate) fn print_diagnostics(diags: &[Diagnostic], root: &Path) {
    diagnostics_print::print(diags, root, Format::Human);
}

/// How many of `diags` are errors.
fn errors(diags: &[Diagnostic]) -> usize {
    diags.iter().filter(|d| d.level == Level::Error).count()
}

/// A build's progress on a terminal: the stages running and the files made so far, on one
/// line that is cleared before the summary. Hidden when stderr is not a terminal or `--quiet`.
struct BuildProgress {
    bar: indicatif::ProgressBar,
    running: Mutex<Vec<&'static str>>,
}

impl BuildProgress {
    fn new(quiet: bool) -> Self {
        let bar = if quiet {
            indicatif::ProgressBar::hidden()
        } else {
            indicatif::ProgressBar::new_spinner()
        };
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} building: {msg} · {pos} files · {elapsed}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        BuildProgress {
            bar,
            running: Mutex::new(Vec::new()),
        }
    }

    fn show(&self, running: &[&'static str]) {
        self.bar.set_message(running.join(" · "));
    }
}

impl Observer for BuildProgress {
    fn started(&self, stage: Stage) {
        if let Ok(mut r) = self.running.lock() {
            r.push(stage.name());
            self.show(&r);
        }
    }

    fn finished(&self, stage: Stage, _took: std::time::Duration) {
        if let Ok(mut r) = self.running.lock() {
            r.retain(|s| *s != stage.name());
            self.show(&r);
        }
    }

    fn produced(&self, files: usize) {
        self.bar.set_position(files as u64);
    }
}

/// The terminal's progress line as a pipeline observer: each stage's name as it starts.
struct StageProgress(Mutex<Progress>);

impl Observer for StageProgress {
    fn started(&self, stage: Stage) {
        let what = match stage {
            Stage::Load => "loading",
            Stage::Model => "reading Markdown",
            Stage::Images => "processing images",
            Stage::Render => "rendering",
            Stage::Index => "indexing",
            Stage::Write => "writing",
            Stage::Check => "checking links",
        };
        if let Ok(mut p) = self.0.lock() {
            p.stage(what);
        }
    }
}

/// `casebook check`.
#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    #[command(flatten)]
    pub(crate) site: SiteArgs,
    /// Treat warnings as errors (exit status 1 if there is any).
    #[arg(long)]
    pub(crate) strict: bool,
    /// `human`: file:line:col, the line and a caret, on stderr; `json`: an array on stdout.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub(crate) format: Format,
}

fn run_check(args: CheckArgs) -> Result<i32> {
    let project = args.site.project()?;
    let started = std::time::Instant::now();
    let progress = StageProgress(Mutex::new(Progress::new("checking")));
    let checked = casebook::check::check_project(&project, &progress).context("check failed")?;
    progress.0.lock().map(|mut p| p.clear()).ok();
    let mut diags = checked.diagnostics;
    if args.strict {
        for d in &mut diags {
            d.level = Level::Error;
        }
    }
    diagnostics_print::print(&diags, &project.root, args.format);
    let errors = errors(&diags);
    let warnings = diags.len() - errors;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    match checked.stopped_at {
        None => eprintln!(
            "checked {} reports, {} pages in {ms:.0} ms ({}): {errors} error(s), {warnings} \
             warning(s)",
            checked.reports,
            checked.pages,
            diagnostics_print::stages(&checked.timings),
        ),
        Some(stage) => eprintln!(
            "check stopped at {stage} after {ms:.0} ms: {errors} error(s), {warnings} warning(s); \
             these stop a build too, and the rest is checked once they are fixed"
        ),
    }
    Ok(i32::from(errors > 0))
}

/// `casebook new`.
#[derive(Debug, Args)]
pub(crate) struct NewArgs {
    /// What to create.
    #[command(subcommand)]
    pub(crate) what: NewCommand,
}

/// What `casebook new` creates.
#[derive(Debug, Subcommand)]
pub(crate) enum NewCommand {
    /// Write content/reports/<SLUG>.md with every field to fill (never overwrites).
    Report(NewReportArgs),
}

/// `casebook new report`.
#[derive(Debug, Args)]
pub(crate) struct NewReportArgs {
    /// URL segment and file name: a-z, 0-9, `-` and `_` (e.g. `sandun`).
    pub(crate) slug: String,
    /// Township, e.g. 三墩镇.
    #[arg(long)]
    pub(crate) town: String,
    /// Prefecture-level city, e.g. 杭州市.
    #[arg(long)]
    pub(crate) city: String,
    /// County-level unit, e.g. 西湖区.
    #[arg(long)]
    pub(crate) county: Option<String>,
    /// A tactic from the vocabulary; repeat for several. Without one, `tactics: []` is left to
    /// fill in (and `check` says so).
    #[arg(long = "tactic", value_name = "TACTIC")]
    pub(crate) tactics: Vec<String>,
    /// Date of the report, YYYY-MM-DD [default: today].
    #[arg(long)]
    pub(crate) date: Option<String>,
    /// Site root: holds site.yaml and content/.
    #[arg(long, default_value = ".")]
    pub(crate) root: PathBuf,
    /// Content folder [default: ROOT/content].
    #[arg(long)]
    pub(crate) content: Option<PathBuf>,
}

fn run_new(args: NewArgs) -> Result<i32> {
    let NewCommand::Report(args) = args.what;
    if !args.root.is_dir() {
        anyhow::bail!("site root {} is not a folder", args.root.display());
    }
    let mut project = Project::new(&args.root);
    if let Some(c) = &args.content {
        project.content = c.clone();
    }
    let report = casebook::new::NewReport {
        slug: args.slug,
        town: args.town,
        city: args.city,
        county: args.county,
        tactics: args.tactics,
        date: args.date,
    };
    let created = match casebook::new::new_report(&project, &report) {
        Ok(c) => c,
        Err(Error::Content(diags)) => {
            print_diagnostics(&diags, &project.root);
            anyhow::bail!("cannot read site.yaml");
        }
        Err(e) => return Err(e.into()),
    };
    print_diagnostics(&created.warnings, &project.root);
    let next = if report.tactics.is_empty() {
        "fill in its tactics, title and text, then run `casebook check`"
    } else {
        "fill in its title and text, then run `casebook check`"
    };
    eprintln!("created {}; {next}", created.path.display());
    Ok(0)
}

/// `casebook init`.
#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// Folder of the new site (created if missing; existing files are never overwritten).
    pub(crate) dir: PathBuf,
    /// Also copy the built-in theme into themes/default/ to edit it.
    #[arg(long)]
    pub(crate) with_theme: bool,
}

fn run_init(args: InitArgs) -> Result<i32> {
    let files = casebook::new::init(&args.dir, args.with_theme)?;
    let theme = if args.with_theme {
        format!(
            ", and the theme ({} files) in themes/default/",
            files.iter().filter(|f| f.starts_with("themes")).count()
        )
    } else {
        String::new()
    };
    eprintln!(
        "created a site in {}: site.yaml, content/reports/sandun.md{theme}",
        args.dir.display()
    );
    eprintln!(
        "next: casebook serve --root {0}   (or casebook build --root {0})",
        args.dir.display()
    );
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }
}
