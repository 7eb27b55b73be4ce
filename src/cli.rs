//! Command line: clap types, validated into options, then dispatched to the library.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};

use casebook::build::{build, BuildOptions};
use casebook::error::{Diagnostic, Error, Level};
use casebook::load::Project;

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
    /// Search the built site's index (as the browser would rank it).
    Search(SearchArgs),
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
    /// Output folder [default: ROOT/output].
    #[arg(long)]
    pub(crate) output: Option<PathBuf>,
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
    }
}

/// `casebook search`.
#[derive(Debug, Args)]
pub(crate) struct SearchArgs {
    /// Site root.
    #[arg(long, default_value = ".")]
    pub(crate) root: PathBuf,
    /// Output folder of the build to search [default: ROOT/output].
    #[arg(long)]
    pub(crate) output: Option<PathBuf>,
    /// Print `[{"slug","title","score"}]` as JSON, best first.
    #[arg(long)]
    pub(crate) json: bool,
    /// How many results.
    #[arg(long, default_value_t = 10)]
    pub(crate) limit: usize,
    /// The query: words separated by spaces; every word must match, Chinese as an exact phrase.
    pub(crate) query: String,
}

fn run_search(args: SearchArgs) -> Result<i32> {
    let output = args.output.unwrap_or_else(|| args.root.join("output"));
    let dir = output.join(casebook::index::TANTIVY_DIR);
    let hits = casebook::search::search(&dir, &args.query, args.limit)?;
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
    let options = BuildOptions { project, output };
    match build(&options) {
        Ok(report) => {
            print_diagnostics(&report.warnings);
            let stages: Vec<String> = report
                .timings
                .iter()
                .map(|(n, d)| format!("{n} {:.0} ms", d.as_secs_f64() * 1000.0))
                .collect();
            let total: f64 = report.timings.iter().map(|(_, d)| d.as_secs_f64()).sum();
            eprintln!(
                "built {} reports, {} files into {} in {:.0} ms ({}){}",
                report.reports,
                report.files,
                options.output.display(),
                total * 1000.0,
                stages.join(", "),
                if report.warnings.is_empty() {
                    String::new()
                } else {
                    format!(", {} warning(s)", report.warnings.len())
                }
            );
            Ok(0)
        }
        Err(Error::Content(diags)) => {
            print_diagnostics(&diags);
            let errors = diags.iter().filter(|d| d.level == Level::Error).count();
            eprintln!(
                "build failed: {errors} error(s); {} left unchanged",
                options.output.display()
            );
            Ok(1)
        }
        Err(e) => Err(e).context("build failed"),
    }
}

/// Prints diagnostics, one per line, coloured on a terminal.
pub(crate) fn print_diagnostics(diags: &[Diagnostic]) {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    for d in diags {
        if color {
            let (code, _) = match d.level {
                Level::Error => ("\x1b[1;31m", ""),
                Level::Warning => ("\x1b[1;33m", ""),
            };
            let loc = d.to_string();
            let head = loc.split(": ").next().unwrap_or_default();
            eprintln!(
                "\x1b[1m{head}\x1b[0m: {code}{}\x1b[0m: {}",
                d.level, d.message
            );
        } else {
            eprintln!("{d}");
        }
    }
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
