//! `casebook serve`: its arguments, and what it prints while it runs.

use std::net::IpAddr;

use casebook::serve::{ServeEvent, ServeOptions};

use super::*;

/// `casebook serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    pub(crate) site: SiteArgs,
    /// Port to listen on; 0 picks a free one (the URL is printed).
    #[arg(long, default_value_t = 1111)]
    pub(crate) port: u16,
    /// Address to listen on. Anything but loopback shows the site to the whole network.
    #[arg(long, default_value = "127.0.0.1")]
    pub(crate) bind: IpAddr,
    /// Open the site in the default browser once it is served.
    #[arg(long)]
    pub(crate) open: bool,
}

pub(super) fn run_serve(args: ServeArgs) -> Result<i32> {
    let project = args.site.project()?;
    let base_path = casebook::serve::base_path(args.site.base_url.as_deref())?;
    if !args.bind.is_loopback() {
        eprintln!(
            "warning: listening on {}: anyone who can reach this machine can read the site",
            args.bind
        );
    }
    let options = ServeOptions {
        project,
        bind: args.bind,
        port: args.port,
        base_path,
        hosts: casebook::serve::base_host(args.site.base_url.as_deref())
            .into_iter()
            .collect(),
    };
    let printer = ServePrinter {
        root: options.project.root.clone(),
        open: args.open,
        state: Mutex::new((Progress::new("building"), Vec::new())),
    };
    casebook::serve::serve(&options, move |event| printer.event(event))?;
    Ok(0)
}

/// Tells the editor what serve is doing; one summary line per build.
struct ServePrinter {
    root: PathBuf,
    open: bool,
    /// The progress line, and the warnings last shown (shown again only when they change).
    state: Mutex<(Progress, Vec<Diagnostic>)>,
}

impl ServePrinter {
    fn event(&self, event: ServeEvent) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (progress, shown) = &mut *state;
        if !matches!(event, ServeEvent::Progress(_)) {
            progress.clear();
        }
        match event {
            ServeEvent::Progress(stage) => progress.stage(stage),
            ServeEvent::Listening { url } => {
                eprintln!("serving {url} (Ctrl-C to stop)");
                if self.open {
                    open_browser(&url);
                }
            }
            ServeEvent::Built(b) => {
                if b.warnings != *shown {
                    print_diagnostics(&b.warnings, &self.root);
                    *shown = b.warnings.clone();
                }
                let warnings = if b.warnings.is_empty() {
                    String::new()
                } else {
                    format!(", {} warning(s)", b.warnings.len())
                };
                let stages = diagnostics_print::stages(&b.timings);
                let total = diagnostics_print::total_ms(&b.timings);
                if b.first {
                    eprintln!(
                        "built {} reports, {} files in memory in {total:.0} ms ({stages}){warnings}",
                        b.reports, b.files
                    );
                } else {
                    eprintln!(
                        "rebuilt {} reports, {} files in {total:.0} ms ({stages}; {} pages \
                         re-rendered, {} unchanged; {} files changed){warnings}; reload sent {:.0} ms \
                         after the change to {}",
                        b.reports,
                        b.files,
                        b.rendered,
                        b.reused,
                        b.changed_files,
                        b.since_change.unwrap_or_default().as_secs_f64() * 1000.0,
                        list_paths(&b.changed),
                    );
                }
            }
            ServeEvent::Failed {
                diagnostics,
                changed,
            } => {
                print_diagnostics(&diagnostics, &self.root);
                *shown = Vec::new();
                let errors = diagnostics
                    .iter()
                    .filter(|d| d.level == Level::Error)
                    .count();
                if changed.is_empty() {
                    eprintln!(
                        "build failed: {errors} error(s); pages show them until the files are fixed"
                    );
                } else {
                    eprintln!(
                        "rebuild failed after the change to {}: {errors} error(s); still serving \
                         the last good site",
                        list_paths(&changed)
                    );
                }
            }
            ServeEvent::Indexed { reports, elapsed } => eprintln!(
                "search index updated: {reports} reports in {:.0} ms",
                elapsed.as_secs_f64() * 1000.0
            ),
            ServeEvent::IndexStopped => {
                eprintln!(
                    "search index: stopped for a newer save; it catches up when saving pauses"
                )
            }
            ServeEvent::IndexFailed(e) => eprintln!("warning: search index not updated: {e}"),
            ServeEvent::WatchError(e) | ServeEvent::ConnectionError(e) => {
                eprintln!("warning: {e}")
            }
            _ => {}
        }
    }
}

fn list_paths(paths: &[PathBuf]) -> String {
    let mut shown: Vec<String> = paths
        .iter()
        .take(3)
        .map(|p| p.display().to_string())
        .collect();
    if paths.len() > 3 {
        shown.push(format!("{} more", paths.len() - 3));
    }
    shown.join(", ")
}

/// Opens `url` in the desktop's browser; failing that, says so (the URL is printed anyway).
fn open_browser(url: &str) {
    let mut command = if cfg!(target_os = "macos") {
        std::process::Command::new("open")
    } else if cfg!(windows) {
        let mut c = std::process::Command::new("cmd");
        c.args(["/C", "start", ""]);
        c
    } else {
        std::process::Command::new("xdg-open")
    };
    crate::huge_pages::back_on_in(&mut command);
    if let Err(e) = command.arg(url).spawn() {
        eprintln!("warning: cannot open a browser ({e}); open {url} yourself");
    }
}
