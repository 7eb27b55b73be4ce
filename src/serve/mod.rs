//! `casebook serve`: builds the site in memory, serves it on loopback, rebuilds when a source
//! changes and tells open pages to reload. Nothing is written into the project.
//!
//! Entry point: [`serve`]. Its parts, one file each:
//!
//! - `rebuild`: one rebuild with the build's own stages (`load`, `model`,
//!   [`render_cached`](crate::render::render_cached)) and which output files it changed; the
//!   search index, built on a worker thread once saving pauses, so a reload never waits for it.
//! - `watch`: file events (debounced by `notify-debouncer-full`), which of them matter, and
//!   watching `content/` and `themes/` again when they are replaced.
//! - `http`: connections and request heads within limits, the `Host` check, responses.
//! - `routes`: what each path answers ([`resolve`] maps a path to a file of the site).
//! - `live`: the live-reload script ([`live_script`], a theme template added only by serve,
//!   never by `build`) and the server-sent-events stream at [`EVENTS_PATH`] it listens to:
//!   `reload` after a rebuild that changed the page, `failed` with the diagnostics of a rebuild
//!   that failed (shown as an overlay over the last good page, which keeps being served).
//! - `state`: what is being served, shared by all of the above.
//!
//! The library never prints: everything worth telling the editor is a [`ServeEvent`] handed to
//! the caller.

mod http;
mod live;
mod rebuild;
mod routes;
mod state;
mod watch;

use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crate::error::{Diagnostic, Error, Result};
use crate::load::Project;

pub use live::live_script;
pub use routes::{content_type, resolve, Resolved};

/// Path of the server-sent-events stream the live script listens to.
pub const EVENTS_PATH: &str = "/__casebook/events";
/// Path of a JSON summary of the server's state (generation, current error, watch problem), for
/// tools and tests.
pub const STATUS_PATH: &str = "/__casebook/status";

/// The search index is rebuilt once no rebuild has happened for this long.
const INDEX_QUIET: Duration = Duration::from_millis(300);

/// A rebuild stops the search index being made only while search has been behind the pages
/// for less than this: past it, the index runs to its end beside the rebuilds.
const STALE_LIMIT: Duration = Duration::from_secs(10);

/// What to serve and where.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The project; its `base_url` is replaced by the local address.
    pub project: Project,
    /// Address to listen on (loopback unless the editor asks otherwise).
    pub bind: IpAddr,
    /// Port; 0 picks a free one.
    pub port: u16,
    /// URL path the site is served under, starting and ending with `/` (`/digest/`).
    pub base_path: String,
    /// Host names answered besides loopback names and addresses and the bound address (the
    /// `--base-url` host, see [`base_host`]); requests naming any other host are refused.
    pub hosts: Vec<String>,
}

/// Something the editor should hear about; the caller decides how to show it.
#[derive(Debug)]
#[non_exhaustive]
pub enum ServeEvent {
    /// A stage of the first build is starting (for a progress line on a terminal).
    Progress(&'static str),
    /// The site is being served at `url`.
    Listening {
        /// Where, including the base path.
        url: String,
    },
    /// A build succeeded and its pages are live.
    Built(Rebuilt),
    /// A build failed; the last good site keeps being served.
    Failed {
        /// What is wrong.
        diagnostics: Vec<Diagnostic>,
        /// The files whose change started the build (empty for the first build).
        changed: Vec<PathBuf>,
    },
    /// The search index was rebuilt and swapped in.
    Indexed {
        /// Reports indexed.
        reports: usize,
        /// How long it took.
        elapsed: Duration,
    },
    /// The search index being made was stopped by a newer save; it is made again for the
    /// newest site once saving pauses, and the previous one is served until then.
    IndexStopped,
    /// The search index could not be rebuilt; the previous one stays.
    IndexFailed(String),
    /// The watcher reported an error, or a folder cannot be watched (the server keeps running;
    /// `/__casebook/status` says what is not watched).
    WatchError(String),
    /// A connection could not be served (a thread could not be started).
    ConnectionError(String),
}

/// What a successful build did.
#[derive(Debug)]
pub struct Rebuilt {
    /// Whether this is the first build of the session.
    pub first: bool,
    /// Reports in the site.
    pub reports: usize,
    /// Files served (without the search index, which follows).
    pub files: usize,
    /// Pages rendered by this build.
    pub rendered: usize,
    /// Pages reused unchanged from the previous build.
    pub reused: usize,
    /// Output files whose bytes changed (added and removed ones included).
    pub changed_files: usize,
    /// Time per stage.
    pub timings: Vec<(&'static str, Duration)>,
    /// From the first file event to browsers being told to reload (rebuilds only).
    pub since_change: Option<Duration>,
    /// The files whose change started the build.
    pub changed: Vec<PathBuf>,
    /// Warnings of the build.
    pub warnings: Vec<Diagnostic>,
}

/// Serves the project until the process ends. Fails only if the address cannot be bound
/// ([`Error::Bind`]), the project cannot be watched ([`Error::Watch`]) or a thread cannot be
/// started; content errors are reported as [`ServeEvent::Failed`].
pub fn serve(
    options: &ServeOptions,
    on_event: impl Fn(ServeEvent) + Send + Sync + 'static,
) -> Result<()> {
    let on_event: Arc<state::OnEvent> = Arc::new(on_event);
    let asked = SocketAddr::new(options.bind, options.port);
    let bind_error = |source| Error::Bind {
        addr: asked,
        source,
    };
    let listener = TcpListener::bind(asked).map_err(bind_error)?;
    let addr = listener.local_addr().map_err(bind_error)?;
    let url = format!("http://{addr}{}", options.base_path);

    let mut project = options.project.clone();
    // The feed, sitemap and 404 page use absolute URLs: point them at this server.
    project.base_url = Some(url.clone());
    let script = live_script(&options.base_path);
    let shared = Arc::new(state::Shared::new(
        options.base_path.clone(),
        script.clone(),
    ));

    // Watch before the first build, so a save during it is not missed.
    let watch = watch::Watch::start(&project)?;

    let (index_tx, index_rx) = mpsc::channel::<state::IndexJob>();
    spawn("index", {
        let shared = Arc::clone(&shared);
        let on_event = Arc::clone(&on_event);
        move || state::index_worker(&index_rx, &shared, &*on_event)
    })?;

    let mut rebuilder = rebuild::Rebuilder::new(project, script);
    let first = rebuilder.rebuild(None, &mut |stage| on_event(ServeEvent::Progress(stage)));
    state::publish(first, None, Vec::new(), &shared, &index_tx, &*on_event);

    spawn("watch", {
        let shared = Arc::clone(&shared);
        let on_event = Arc::clone(&on_event);
        move || watch.run(&mut rebuilder, &shared, &index_tx, &*on_event)
    })?;

    on_event(ServeEvent::Listening { url });
    let hosts = http::Hosts::new(addr.ip(), &options.hosts);
    http::run(&listener, &shared, &hosts, &*on_event);
    Ok(())
}

/// Starts a named thread of the server.
fn spawn(name: &'static str, f: impl FnOnce() + Send + 'static) -> Result<()> {
    thread::Builder::new()
        .name(format!("casebook-{name}"))
        .spawn(f)
        .map(drop)
        .map_err(|source| Error::Thread { name, source })
}

/// The URL path of a base URL (`http://127.0.0.1:1111/digest/` -> `/digest/`), always starting
/// and ending with `/`; refused when a segment could not be served (`..`, `%`, `\`).
pub fn base_path(base_url: Option<&str>) -> Result<String> {
    let Some(url) = base_url else {
        return Ok("/".into());
    };
    let path = match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => url,
    };
    let path = path.split(['?', '#']).next().unwrap_or("/");
    if path
        .split('/')
        .any(|s| s == ".." || s == "." || s.contains(['%', '\\']))
    {
        return Err(Error::Invalid(format!(
            "the base URL's path `{path}` cannot be served: use plain folder names"
        )));
    }
    let mut p = String::from("/");
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        p.push_str(seg);
        p.push('/');
    }
    Ok(p)
}

/// The host name of a base URL (`http://digest.test:1111/a/` -> `digest.test`), which serve
/// answers to as well as loopback; `None` for a URL without one (`/digest/`).
pub fn base_host(base_url: Option<&str>) -> Option<String> {
    let (_, rest) = base_url?.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    // `user:password@host:port`: the host is after the last `@`, before the port.
    let host = authority.rsplit('@').next()?;
    let host = if host.starts_with('[') {
        &host[..=host.find(']')?]
    } else {
        host.split(':').next()?
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

#[cfg(test)]
mod tests;
