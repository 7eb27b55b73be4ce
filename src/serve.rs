//! `casebook serve`: builds the site in memory, serves it on loopback, rebuilds when a source
//! changes and tells open pages to reload.
//!
//! Entry point: [`serve`]. The stages are the build's own (`load`, `model`, `render`, `index`);
//! serve only keeps their work between rebuilds: [`render::render_cached`] reuses every page
//! whose template context did not change and keeps the compiled templates until the theme
//! changes, and the search index is rebuilt on a worker thread after the pages are live, so a
//! reload never waits for it. Nothing is written into the project.
//!
//! Pages carry a small script ([`live_script`], injected only here, never by `build`) that
//! listens on a server-sent-events stream at [`EVENTS_PATH`]: `reload` after a rebuild that
//! changed the page, `failed` with the diagnostics of a rebuild that failed (shown as an overlay
//! over the last good page, which keeps being served). The library never prints: everything
//! worth telling the editor is a [`ServeEvent`] handed to the caller.

use std::collections::{HashMap, HashSet};
use std::io::{Cursor, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, RwLock};
use std::thread;
use std::time::{Duration, Instant};

use notify::{RecursiveMode, Watcher};
use serde::Serialize;
use tiny_http::{Header, Method, Request, Response, Server, StatusCode};

use crate::error::{Diagnostic, Error, Result};
use crate::load::{self, Project};
use crate::model::{self, Site};
use crate::output::OutputFile;
use crate::render::{self, RenderCache, RenderOptions};
use crate::{check, index};

/// Path of the server-sent-events stream the live script listens to.
pub const EVENTS_PATH: &str = "/__casebook/events";
/// Path of a JSON summary of the server's state (generation, current error), for tools and tests.
pub const STATUS_PATH: &str = "/__casebook/status";

/// After the first change, wait this long without another before rebuilding: an editor's save
/// is often several file events (write, rename, chmod), and a `git checkout` is hundreds.
const DEBOUNCE: Duration = Duration::from_millis(15);
/// Rebuild at the latest this long after the first change, even if events keep coming.
const DEBOUNCE_MAX: Duration = Duration::from_millis(300);
/// The search index is rebuilt once no rebuild has happened for this long.
const INDEX_QUIET: Duration = Duration::from_millis(300);
/// A comment line sent to idle event streams, so dead connections are noticed and closed.
const HEARTBEAT: Duration = Duration::from_secs(15);

/// The script every served HTML page gets before `</body>`; `__CASEBOOK_BASE__` becomes the
/// base path as a JSON string (see [`live_script`]).
const LIVE_SCRIPT: &str = r#"<script data-casebook-live>/* casebook serve: live reload. `casebook build` never adds this. */
(function () {
  "use strict";
  var generation = null;
  var es = new EventSource("/__casebook/events");
  function here() {
    var p = decodeURIComponent(location.pathname);
    var base = __CASEBOOK_BASE__;
    if (base && p.indexOf(base) === 0) p = p.slice(base.length);
    p = p.replace(/^\/+/, "");
    return p === "" || p.slice(-1) === "/" ? p + "index.html" : p;
  }
  function overlay(failure) {
    var old = document.getElementById("casebook-overlay");
    if (old) old.remove();
    if (!failure) return;
    var box = document.createElement("div");
    box.id = "casebook-overlay";
    box.setAttribute("role", "alert");
    box.style.cssText = "position:fixed;inset:0;z-index:2147483647;overflow:auto;background:rgba(20,20,20,.94);color:#eee;font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;padding:2em;";
    var h = document.createElement("h2");
    h.textContent = "casebook: the last change did not build";
    h.style.cssText = "margin:0 0 .3em;color:#ff8a80;font:bold 18px/1.4 system-ui,sans-serif;";
    var note = document.createElement("p");
    note.textContent = "This page is the last good version. Fix the file and save: this message goes away by itself.";
    note.style.cssText = "margin:0 0 1.5em;font:14px/1.4 system-ui,sans-serif;color:#bbb;";
    var pre = document.createElement("pre");
    pre.style.cssText = "white-space:pre-wrap;margin:0;";
    pre.textContent = failure.text;
    box.appendChild(h); box.appendChild(note); box.appendChild(pre);
    document.body.appendChild(box);
  }
  es.addEventListener("hello", function (e) {
    var d = JSON.parse(e.data);
    if (generation !== null && d.generation !== generation) { location.reload(); return; }
    generation = d.generation;
    overlay(d.failure);
  });
  es.addEventListener("reload", function (e) {
    var d = JSON.parse(e.data);
    generation = d.generation;
    if (d.all || d.paths.indexOf(here()) >= 0) location.reload(); else overlay(null);
  });
  es.addEventListener("failed", function (e) { overlay(JSON.parse(e.data)); });
})();
</script>
"#;

/// The live-reload script for a site served under `base_path`.
pub fn live_script(base_path: &str) -> String {
    LIVE_SCRIPT.replace(
        "__CASEBOOK_BASE__",
        &serde_json::Value::from(base_path.trim_end_matches('/')).to_string(),
    )
}

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
    /// The search index could not be rebuilt; the previous one stays.
    IndexFailed(String),
    /// The watcher reported an error (the server keeps running).
    WatchError(String),
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

/// Serves the project until the process ends. Fails only if the address cannot be bound or
/// the project cannot be watched; content errors are reported as [`ServeEvent::Failed`].
pub fn serve(
    options: &ServeOptions,
    on_event: impl Fn(ServeEvent) + Send + Sync + 'static,
) -> Result<()> {
    let on_event: Arc<dyn Fn(ServeEvent) + Send + Sync> = Arc::new(on_event);
    let server = Server::http(SocketAddr::new(options.bind, options.port)).map_err(|e| {
        Error::Invalid(format!(
            "cannot listen on {}: {e}",
            SocketAddr::new(options.bind, options.port)
        ))
    })?;
    let addr = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| Error::Invalid("the server has no IP address".into()))?;
    let url = format!("http://{addr}{}", options.base_path);

    let mut project = options.project.clone();
    // The feed, sitemap and 404 page use absolute URLs: point them at this server.
    project.base_url = Some(url.clone());
    let shared = Arc::new(Shared::new(options.base_path.clone()));

    // Watch before the first build, so a save during it is not missed.
    let (tx, rx) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(tx)
        .map_err(|e| Error::Invalid(format!("cannot watch the project: {e}")))?;
    let mut watched = Watched::new(&project);
    watched.start(&mut watcher)?;

    let (index_tx, index_rx) = mpsc::channel::<Arc<Site>>();
    {
        let shared = Arc::clone(&shared);
        let on_event = Arc::clone(&on_event);
        thread::Builder::new()
            .name("casebook-index".into())
            .spawn(move || index_worker(&index_rx, &shared, &*on_event))
            .map_err(|e| Error::Invalid(format!("cannot start the index thread: {e}")))?;
    }

    let mut pipeline = Pipeline::new(project.clone(), live_script(&options.base_path));
    let first = pipeline.rebuild(&mut |stage| on_event(ServeEvent::Progress(stage)));
    publish(first, None, Vec::new(), &shared, &index_tx, &*on_event);

    {
        let shared = Arc::clone(&shared);
        let on_event = Arc::clone(&on_event);
        thread::Builder::new()
            .name("casebook-watch".into())
            .spawn(move || {
                // The watcher must live as long as the loop that reads its events.
                let mut watcher = watcher;
                watch_loop(
                    &rx,
                    &mut watcher,
                    &mut watched,
                    &mut pipeline,
                    &shared,
                    &index_tx,
                    &*on_event,
                );
            })
            .map_err(|e| Error::Invalid(format!("cannot start the watch thread: {e}")))?;
    }

    on_event(ServeEvent::Listening { url });
    for request in server.incoming_requests() {
        let shared = Arc::clone(&shared);
        // One thread per request: event streams stay open for as long as a tab is, and a slow
        // or vanished client must never hold up anyone else.
        let spawned = thread::Builder::new()
            .name("casebook-http".into())
            .spawn(move || handle(&shared, request));
        if let Err(e) = spawned {
            on_event(ServeEvent::WatchError(format!(
                "cannot answer a request: {e}"
            )));
        }
    }
    Ok(())
}

/// The stages, with what they keep between rebuilds.
struct Pipeline {
    project: Project,
    cache: RenderCache,
    options: RenderOptions,
}

/// A successful build.
struct Build {
    site: Arc<Site>,
    files: Vec<OutputFile>,
    rendered: usize,
    reused: usize,
    /// Pages with the bytes the previous build gave them.
    reused_paths: HashSet<String>,
    timings: Vec<(&'static str, Duration)>,
}

impl Pipeline {
    fn new(project: Project, script: String) -> Self {
        Pipeline {
            project,
            cache: RenderCache::default(),
            options: RenderOptions {
                inject: Some(script),
            },
        }
    }

    /// Runs load, model and render; content problems come back as diagnostics.
    fn rebuild(
        &mut self,
        progress: &mut dyn FnMut(&'static str),
    ) -> std::result::Result<Build, Vec<Diagnostic>> {
        let mut timings = Vec::new();
        progress("loading");
        let t = Instant::now();
        let sources = load::load(&self.project)
            .map_err(|e| check::error_diagnostics(&self.project, "", e))?;
        timings.push(("load", t.elapsed()));

        progress("reading Markdown");
        let t = Instant::now();
        let site =
            model::build(&sources).map_err(|e| check::error_diagnostics(&self.project, "", e))?;
        timings.push(("model", t.elapsed()));

        progress("rendering");
        let t = Instant::now();
        let files = render::render_cached(&site, &sources.theme, &self.options, &mut self.cache)
            .map_err(|e| check::error_diagnostics(&self.project, &sources.config.theme, e))?;
        timings.push(("render", t.elapsed()));
        Ok(Build {
            site: Arc::new(site),
            files,
            rendered: self.cache.rendered,
            reused: self.cache.reused,
            reused_paths: self.cache.reused_paths.iter().cloned().collect(),
            timings,
        })
    }
}

/// The site being served and the browsers listening for news.
struct Shared {
    base_path: String,
    site: RwLock<Arc<Snapshot>>,
    search: RwLock<Arc<HashMap<String, Arc<Vec<u8>>>>>,
    failure: RwLock<Option<Arc<str>>>,
    clients: Mutex<Vec<Sender<Arc<str>>>>,
}

/// One successful build's files.
#[derive(Default)]
struct Snapshot {
    generation: u64,
    files: HashMap<String, Arc<Vec<u8>>>,
}

impl Shared {
    fn new(base_path: String) -> Self {
        Shared {
            base_path,
            site: RwLock::new(Arc::new(Snapshot::default())),
            search: RwLock::new(Arc::new(HashMap::new())),
            failure: RwLock::new(None),
            clients: Mutex::new(Vec::new()),
        }
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        Arc::clone(&self.site.read().unwrap_or_else(|e| e.into_inner()))
    }

    fn failure(&self) -> Option<Arc<str>> {
        self.failure
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn lookup(&self, path: &str) -> Option<Arc<Vec<u8>>> {
        if let Some(b) = self.snapshot().files.get(path) {
            return Some(Arc::clone(b));
        }
        let search = Arc::clone(&self.search.read().unwrap_or_else(|e| e.into_inner()));
        search.get(path).cloned()
    }

    /// Sends one event to every open stream, forgetting streams that have gone.
    fn broadcast(&self, event: &str, data: &str) {
        let message: Arc<str> = sse_message(event, data).into();
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        clients.retain(|c| c.send(Arc::clone(&message)).is_ok());
    }

    /// The first message of a new stream: the generation and the current failure, if any.
    fn hello(&self) -> String {
        let failure = self.failure();
        let data = format!(
            "{{\"generation\":{},\"failure\":{}}}",
            self.snapshot().generation,
            failure.as_deref().unwrap_or("null")
        );
        sse_message("hello", &data)
    }
}

fn sse_message(event: &str, data: &str) -> String {
    // Data is one line of JSON; a newline in it would end the event early.
    format!("event: {event}\ndata: {}\n\n", data.replace('\n', "\\n"))
}

/// A failed build as the overlay shows it.
#[derive(Serialize)]
struct Failure<'a> {
    diagnostics: &'a [Diagnostic],
    text: String,
}

/// Installs a build's result, tells browsers, and queues the search index. `started` is when
/// the change that caused the build was seen (`None` for the first build).
fn publish(
    result: std::result::Result<Build, Vec<Diagnostic>>,
    started: Option<Instant>,
    changed: Vec<PathBuf>,
    shared: &Shared,
    index_tx: &Sender<Arc<Site>>,
    on_event: &(dyn Fn(ServeEvent) + Send + Sync),
) {
    match result {
        Ok(build) => {
            let old = shared.snapshot();
            let files: HashMap<String, Arc<Vec<u8>>> = build
                .files
                .into_iter()
                .map(|f| (f.path, Arc::new(f.bytes)))
                .collect();
            let reused = &build.reused_paths;
            // Pages the cache reused are unchanged; compare only the rest (rendered pages,
            // exports, theme files) with what was served before.
            let mut paths: Vec<&str> = files
                .iter()
                .filter(|(p, b)| !reused.contains(*p) && old.files.get(*p).is_none_or(|o| o != *b))
                .map(|(p, _)| p.as_str())
                .chain(
                    old.files
                        .keys()
                        .filter(|p| !files.contains_key(*p))
                        .map(String::as_str),
                )
                .collect();
            paths.sort_unstable();
            // A changed stylesheet or script can change any page; and pages opened before the
            // first good build show a placeholder.
            let all = old.generation == 0
                || paths
                    .iter()
                    .any(|p| p.ends_with(".css") || p.ends_with(".js") || p.ends_with(".mjs"));
            let changed_files = paths.len();
            let generation = old.generation + 1;
            let data = serde_json::json!({ "generation": generation, "all": all, "paths": paths })
                .to_string();
            let reports = build.site.reports.len();
            let file_count = files.len();
            let warnings = build.site.diagnostics.clone();
            *shared.site.write().unwrap_or_else(|e| e.into_inner()) =
                Arc::new(Snapshot { generation, files });
            *shared.failure.write().unwrap_or_else(|e| e.into_inner()) = None;
            shared.broadcast("reload", &data);
            let since_change = started.map(|t| t.elapsed());
            let _ = index_tx.send(Arc::clone(&build.site));
            on_event(ServeEvent::Built(Rebuilt {
                first: started.is_none(),
                reports,
                files: file_count,
                rendered: build.rendered,
                reused: build.reused,
                changed_files,
                timings: build.timings,
                since_change,
                changed,
                warnings,
            }));
        }
        Err(diagnostics) => {
            let text = diagnostics
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n");
            let failure = serde_json::to_string(&Failure {
                diagnostics: &diagnostics,
                text,
            })
            .unwrap_or_else(|_| "{\"diagnostics\":[],\"text\":\"build failed\"}".into());
            *shared.failure.write().unwrap_or_else(|e| e.into_inner()) =
                Some(failure.as_str().into());
            shared.broadcast("failed", &failure);
            on_event(ServeEvent::Failed {
                diagnostics,
                changed,
            });
        }
    }
}

/// Rebuilds the search index for the newest site it is given; older requests still queued are
/// skipped, since only the newest matters.
fn index_worker(
    rx: &Receiver<Arc<Site>>,
    shared: &Shared,
    on_event: &(dyn Fn(ServeEvent) + Send + Sync),
) {
    while let Ok(mut site) = rx.recv() {
        // Wait for a pause in the saving: at 10x the digest an index takes longer than a
        // rebuild, and it should not share the CPU with the next one.
        while let Ok(newer) = rx.recv_timeout(INDEX_QUIET) {
            site = newer;
        }
        let t = Instant::now();
        match index::index(&site) {
            Ok(search) => {
                let files = search
                    .files
                    .into_iter()
                    .map(|f| (f.path, Arc::new(f.bytes)))
                    .collect();
                *shared.search.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(files);
                on_event(ServeEvent::Indexed {
                    reports: site.reports.len(),
                    elapsed: t.elapsed(),
                });
            }
            Err(e) => on_event(ServeEvent::IndexFailed(e.to_string())),
        }
    }
}

/// What the watcher looks at: the content folder, `site.yaml` and `themes/`.
struct Watched {
    root: PathBuf,
    content: PathBuf,
    themes: PathBuf,
    config: PathBuf,
    /// `content/` and `themes/`, each with whether it is watched (it may not exist yet).
    late: Vec<(PathBuf, bool)>,
}

impl Watched {
    fn new(project: &Project) -> Self {
        let abs = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
        let root = abs(&project.root);
        Watched {
            content: abs(&project.content),
            themes: root.join("themes"),
            config: root.join("site.yaml"),
            root,
            late: Vec::new(),
        }
    }

    /// Starts watching, and notes which of the folders is not there yet.
    fn start(&mut self, watcher: &mut impl Watcher) -> Result<()> {
        let mut watch = |p: &Path, mode| {
            watcher
                .watch(p, mode)
                .map_err(|e| Error::Invalid(format!("cannot watch {}: {e}", p.display())))
        };
        // The root itself, not only site.yaml: editors save by writing a new file and renaming
        // it over the old one, which a watch on the file would lose; and themes/ may appear later.
        watch(&self.root, RecursiveMode::NonRecursive)?;
        let mut late = Vec::new();
        for dir in [&self.content, &self.themes] {
            // Decided here, not later: the folder may appear between now and a later look.
            let now = dir.is_dir();
            if now {
                watch(dir, RecursiveMode::Recursive)?;
            }
            late.push((dir.clone(), now));
        }
        self.late = late;
        Ok(())
    }

    /// Watches the folders that have appeared since [`Watched::start`].
    fn catch_up(&mut self, watcher: &mut impl Watcher) {
        for (dir, is_watched) in &mut self.late {
            if !*is_watched && dir.is_dir() {
                *is_watched = watcher.watch(dir, RecursiveMode::Recursive).is_ok();
            }
        }
    }

    /// Whether a change to `path` can change the site.
    fn relevant(&self, path: &Path) -> bool {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        // Editor droppings: swap files, backups, vim's write test file.
        if name.starts_with('.')
            || name.ends_with('~')
            || name.ends_with(".swp")
            || name.ends_with(".swx")
            || name == "4913"
        {
            return false;
        }
        path == self.config || path.starts_with(&self.content) || path.starts_with(&self.themes)
    }
}

/// Adds the paths of a watcher event that can change the site to `changed`.
fn take(
    event: notify::Result<notify::Event>,
    watched: &Watched,
    changed: &mut Vec<PathBuf>,
    on_event: &(dyn Fn(ServeEvent) + Send + Sync),
) {
    match event {
        Ok(e) if !matches!(e.kind, notify::EventKind::Access(_)) => {
            changed.extend(e.paths.into_iter().filter(|p| watched.relevant(p)));
        }
        Ok(_) => {}
        Err(e) => on_event(ServeEvent::WatchError(e.to_string())),
    }
}

fn watch_loop(
    rx: &Receiver<notify::Result<notify::Event>>,
    watcher: &mut impl Watcher,
    watched: &mut Watched,
    pipeline: &mut Pipeline,
    shared: &Shared,
    index_tx: &Sender<Arc<Site>>,
    on_event: &(dyn Fn(ServeEvent) + Send + Sync),
) {
    loop {
        let mut changed: Vec<PathBuf> = Vec::new();
        // Wait for a change that matters: reading the project (our own rebuilds included)
        // makes the watcher report every file opened.
        while changed.is_empty() {
            let Ok(event) = rx.recv() else { return };
            take(event, watched, &mut changed, on_event);
        }
        let started = Instant::now();
        loop {
            let left = DEBOUNCE_MAX.saturating_sub(started.elapsed());
            match rx.recv_timeout(DEBOUNCE.min(left)) {
                Ok(e) => take(e, watched, &mut changed, on_event),
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return,
            }
            if started.elapsed() >= DEBOUNCE_MAX {
                break;
            }
        }
        watched.catch_up(watcher);
        changed.sort();
        changed.dedup();
        let shown: Vec<PathBuf> = changed
            .iter()
            .map(|p| p.strip_prefix(&watched.root).unwrap_or(p).to_path_buf())
            .collect();
        let result = pipeline.rebuild(&mut |_| {});
        publish(result, Some(started), shown, shared, index_tx, on_event);
    }
}

/// Where a request path leads.
#[derive(Debug, PartialEq, Eq)]
pub enum Resolved {
    /// A file of the site, by its output path.
    File(String),
    /// Elsewhere (a folder without its `/`, or the server root when the site is under a path).
    Redirect(String),
    /// A path that tries to leave the site (`..`, encoded separators, backslashes).
    Forbidden,
    /// Nothing there.
    NotFound,
}

/// Maps a request target (path and query as sent) to a file of the site under `base_path`.
/// Everything that could name something outside the site is refused, even though the site is
/// only a map in memory: a browser or proxy may treat those paths differently from us.
pub fn resolve(base_path: &str, target: &str, exists: impl Fn(&str) -> bool) -> Resolved {
    let raw = target.split(['?', '#']).next().unwrap_or("");
    if !raw.starts_with('/') {
        return Resolved::NotFound;
    }
    let lower = raw.to_ascii_lowercase();
    if raw.contains('\\') || ["%2f", "%5c", "%00"].iter().any(|e| lower.contains(e)) {
        return Resolved::Forbidden;
    }
    let Some(path) = percent_decode(raw) else {
        return Resolved::Forbidden;
    };
    if path.chars().any(char::is_control)
        || path.split('/').any(|s| s == ".." || s == ".")
        || path.contains('\\')
    {
        return Resolved::Forbidden;
    }
    let Some(rel) = path.strip_prefix(base_path) else {
        return if path == "/" || format!("{path}/") == base_path {
            Resolved::Redirect(base_path.to_string())
        } else {
            Resolved::NotFound
        };
    };
    if rel.starts_with('/') {
        return Resolved::NotFound;
    }
    let file = if rel.is_empty() || rel.ends_with('/') {
        format!("{rel}index.html")
    } else {
        rel.to_string()
    };
    if exists(&file) {
        Resolved::File(file)
    } else if exists(&format!("{file}/index.html")) {
        Resolved::Redirect(format!("{raw}/"))
    } else {
        Resolved::NotFound
    }
}

/// Decodes `%XX` escapes; `None` when the result is not UTF-8 or an escape is malformed.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The `Content-Type` for a file, by extension; text types say they are UTF-8.
pub fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
    match ext.to_ascii_lowercase().as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json; charset=utf-8",
        "xml" => "application/xml; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "txt" | "md" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml; charset=utf-8",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "pdf" => "application/pdf",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}

/// Bytes shared with the site map, readable without a copy.
struct SharedBytes(Arc<Vec<u8>>);

impl AsRef<[u8]> for SharedBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes())
        .unwrap_or_else(|_| Header::from_bytes("X-Casebook", "invalid-header").expect("static"))
}

fn bytes_response(
    status: u16,
    content_type: &str,
    bytes: Arc<Vec<u8>>,
) -> Response<Cursor<SharedBytes>> {
    let len = bytes.len();
    Response::new(
        StatusCode(status),
        vec![
            header("Content-Type", content_type),
            // Always fresh: the whole point of serve is to see the latest save.
            header("Cache-Control", "no-store"),
            header("X-Content-Type-Options", "nosniff"),
        ],
        Cursor::new(SharedBytes(bytes)),
        Some(len),
        None,
    )
    // Known lengths go out with Content-Length, never chunked.
    .with_chunked_threshold(usize::MAX)
}

fn text_response(status: u16, text: &str) -> Response<Cursor<SharedBytes>> {
    bytes_response(
        status,
        "text/plain; charset=utf-8",
        Arc::new(text.as_bytes().to_vec()),
    )
}

fn redirect(location: &str) -> Response<Cursor<SharedBytes>> {
    let mut r = text_response(302, &format!("see {location}\n"));
    r.add_header(header("Location", location));
    r
}

/// Answers one request. Errors writing the answer mean the client went away: nothing to do.
fn handle(shared: &Shared, request: Request) {
    if !matches!(request.method(), Method::Get | Method::Head) {
        let mut r = text_response(405, "casebook serve answers GET and HEAD only\n");
        r.add_header(header("Allow", "GET, HEAD"));
        let _ = request.respond(r);
        return;
    }
    let target = request.url().to_string();
    let path = target.split(['?', '#']).next().unwrap_or("");
    if path == EVENTS_PATH {
        return events(shared, request);
    }
    if path == STATUS_PATH {
        let failure = shared.failure();
        let body = format!(
            "{{\"generation\":{},\"failure\":{}}}",
            shared.snapshot().generation,
            failure.as_deref().unwrap_or("null")
        );
        let _ = request.respond(bytes_response(
            200,
            "application/json; charset=utf-8",
            Arc::new(body.into_bytes()),
        ));
        return;
    }
    let response = match resolve(&shared.base_path, &target, |p| shared.lookup(p).is_some()) {
        Resolved::File(file) => match shared.lookup(&file) {
            Some(bytes) => bytes_response(200, content_type(&file), bytes),
            None => not_found(shared),
        },
        Resolved::Redirect(location) => redirect(&location),
        Resolved::Forbidden => text_response(403, "forbidden: the path leaves the site\n"),
        Resolved::NotFound => not_found(shared),
    };
    let _ = request.respond(response);
}

/// The site's own 404 page when there is one; while no build has succeeded yet, a page that
/// shows why (the live script puts the failure over it and reloads once it is fixed).
fn not_found(shared: &Shared) -> Response<Cursor<SharedBytes>> {
    let snapshot = shared.snapshot();
    if snapshot.generation == 0 {
        let page = format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>casebook serve</title>\
             </head><body><p>casebook: the site has not built yet.</p>{}</body></html>",
            live_script(&shared.base_path)
        );
        return bytes_response(503, "text/html; charset=utf-8", Arc::new(page.into_bytes()));
    }
    match snapshot.files.get("404.html") {
        Some(page) => bytes_response(404, "text/html; charset=utf-8", Arc::clone(page)),
        None => text_response(404, "not found\n"),
    }
}

/// A server-sent-events stream: `hello` now, then every broadcast, until the client leaves.
///
/// tiny_http buffers bodies of unknown length into chunks, which would hold events back, so the
/// stream takes over the connection and writes the response itself.
fn events(shared: &Shared, request: Request) {
    let (tx, rx) = mpsc::channel::<Arc<str>>();
    // Register before saying hello, so no event can fall between the two.
    shared
        .clients
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(tx);
    let hello = shared.hello();
    let mut out = request.into_writer();
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n\
                Cache-Control: no-store\r\nConnection: close\r\nX-Accel-Buffering: no\r\n\r\n";
    if out
        .write_all(head.as_bytes())
        .and_then(|()| out.write_all(b"retry: 500\n\n"))
        .and_then(|()| out.write_all(hello.as_bytes()))
        .and_then(|()| out.flush())
        .is_err()
    {
        return;
    }
    loop {
        let message = match rx.recv_timeout(HEARTBEAT) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout) => ": still here\n\n".into(),
            Err(RecvTimeoutError::Disconnected) => return,
        };
        if out
            .write_all(message.as_bytes())
            .and_then(|()| out.flush())
            .is_err()
        {
            return;
        }
    }
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

#[cfg(test)]
#[path = "serve_tests.rs"]
mod tests;
