//! What the server is serving, shared by the watch thread, the index thread and every
//! connection: the files of the last good build, the search index, the failure of the last
//! build if it failed, what the watcher could not watch, and the open event streams.
//! [`publish`] installs a rebuild's result; [`index_worker`] keeps the search index current.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use serde::Serialize;

use super::live;
use super::rebuild::{self, Build, Files};
use super::{Rebuilt, ServeEvent, INDEX_QUIET, STALE_LIMIT};
use crate::error::Diagnostic;
use crate::model::Site;

/// How serve's parts tell the caller what happened.
pub(super) type OnEvent = dyn Fn(ServeEvent) + Send + Sync;

/// The site being served and the browsers listening for news.
pub(super) struct Shared {
    /// URL path the site is served under (`/`, `/digest/`).
    pub(super) base_path: String,
    /// The live-reload script, for pages that serve writes itself (the placeholder before the
    /// first good build).
    pub(super) script: String,
    site: RwLock<Arc<Snapshot>>,
    search: RwLock<Arc<Files>>,
    failure: RwLock<Option<Arc<str>>>,
    watch: RwLock<Option<String>>,
    clients: Mutex<Vec<Sender<Arc<str>>>>,
    /// Rebuilds started after the first: the search index being made gives up when it changes.
    rebuilds: AtomicU64,
}

/// One successful build's files.
#[derive(Default)]
pub(super) struct Snapshot {
    /// Successful builds so far; 0 until the first.
    pub(super) generation: u64,
    /// Every file but the search index.
    pub(super) files: Arc<Files>,
}

/// A failed build as the overlay shows it.
#[derive(Serialize)]
struct Failure<'a> {
    diagnostics: &'a [Diagnostic],
    text: String,
}

impl Shared {
    /// Nothing built yet.
    pub(super) fn new(base_path: String, script: String) -> Self {
        Shared {
            base_path,
            script,
            site: RwLock::new(Arc::new(Snapshot::default())),
            search: RwLock::new(Arc::new(Files::default())),
            failure: RwLock::new(None),
            rebuilds: AtomicU64::new(0),
            watch: RwLock::new(None),
            clients: Mutex::new(Vec::new()),
        }
    }

    /// The files of the last good build.
    pub(super) fn snapshot(&self) -> Arc<Snapshot> {
        // A poisoned lock only means a thread panicked while holding it; the value is whole.
        Arc::clone(&self.site.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// A file of the site or of its search index.
    pub(super) fn lookup(&self, path: &str) -> Option<Arc<[u8]>> {
        if let Some(b) = self.snapshot().files.get(path) {
            return Some(Arc::clone(b));
        }
        let search = Arc::clone(&self.search.read().unwrap_or_else(|e| e.into_inner()));
        search.get(path).cloned()
    }

    /// Records what the watcher cannot watch (`None` when it watches everything it should).
    pub(super) fn set_watch_problem(&self, problem: Option<String>) {
        *self.watch.write().unwrap_or_else(|e| e.into_inner()) = problem;
    }

    /// The state as JSON, for `/__casebook/status` and the first event of a stream:
    /// `{"generation": N, "failure": {diagnostics, text} or null, "watch": what the watcher
    /// cannot watch (changes there go unseen) or null}`.
    pub(super) fn state_json(&self) -> String {
        let failure = self
            .failure
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let watch = self.watch.read().unwrap_or_else(|e| e.into_inner()).clone();
        // The failure is kept as JSON already (it is broadcast as is).
        format!(
            "{{\"generation\":{},\"failure\":{},\"watch\":{}}}",
            self.snapshot().generation,
            failure.as_deref().unwrap_or("null"),
            serde_json::Value::from(watch)
        )
    }

    /// Registers a new event stream; it gets every broadcast from now on.
    pub(super) fn subscribe(&self, client: Sender<Arc<str>>) {
        self.clients
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(client);
    }

    /// Sends one event to every open stream, forgetting streams that have gone.
    fn broadcast(&self, event: &str, data: &str) {
        let message: Arc<str> = live::message(event, data).into();
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        clients.retain(|c| c.send(Arc::clone(&message)).is_ok());
    }

    /// Notes that a rebuild starts: an index being made for an earlier build stops.
    pub(super) fn rebuild_started(&self) {
        self.rebuilds.fetch_add(1, Ordering::SeqCst);
    }

    fn rebuilds(&self) -> u64 {
        self.rebuilds.load(Ordering::SeqCst)
    }

    fn set_failure(&self, failure: Option<Arc<str>>) {
        *self.failure.write().unwrap_or_else(|e| e.into_inner()) = failure;
    }
}

/// Installs a rebuild's result, tells browsers, and queues the search index. `started` is when
/// the change that caused the rebuild happened (`None` for the first build); `sources` are the
/// files whose change it was, relative to the site root.
pub(super) fn publish(
    result: Result<Build, Vec<Diagnostic>>,
    started: Option<Instant>,
    sources: Vec<PathBuf>,
    shared: &Shared,
    index_tx: &Sender<IndexJob>,
    on_event: &OnEvent,
) {
    match result {
        Ok(build) => {
            let generation = shared.snapshot().generation + 1;
            let data = serde_json::json!({
                "generation": generation,
                "all": build.changed.all,
                "paths": build.changed.paths,
            })
            .to_string();
            let files = build.files.len();
            let previous = std::mem::replace(
                &mut *shared.site.write().unwrap_or_else(|e| e.into_inner()),
                Arc::new(Snapshot {
                    generation,
                    files: build.files,
                }),
            );
            shared.set_failure(None);
            shared.broadcast("reload", &data);
            // Freed once the reload is on its way: the last build's 48,000 files at 100x the
            // digest took 20 ms to free, inside the lock, before the reload.
            drop(previous);
            let since_change = started.map(|t| t.elapsed());
            let _ = index_tx.send((shared.rebuilds(), Some(Arc::clone(&build.site))));
            on_event(ServeEvent::Built(Rebuilt {
                first: started.is_none(),
                reports: build.site.reports.len(),
                files,
                rendered: build.rendered,
                reused: build.reused,
                changed_files: build.changed.paths.len(),
                timings: build.timings,
                since_change,
                changed: sources,
                warnings: build.site.diagnostics.clone(),
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
            shared.set_failure(Some(failure.as_str().into()));
            // No new site, but an index this rebuild stopped is still owed for the last good one.
            let _ = index_tx.send((shared.rebuilds(), None));
            shared.broadcast("failed", &failure);
            on_event(ServeEvent::Failed {
                diagnostics,
                changed: sources,
            });
        }
    }
}

/// What the index worker is told after each rebuild: the rebuild count when it ended
/// ([`Shared::rebuild_started`]) and its site, `None` if it failed.
pub(super) type IndexJob = (u64, Option<Arc<Site>>);

/// Rebuilds the search index for the newest site it is given; older requests still queued are
/// skipped, since only the newest matters. A job without a site (a failed rebuild) still counts:
/// an index that rebuild stopped is made again for the site being served.
pub(super) fn index_worker(rx: &Receiver<IndexJob>, shared: &Shared, on_event: &OnEvent) {
    // An index at 100x the digest is 4-5 s of CPU, and editors save more often than that: on the
    // global pool at normal priority it took a core from the next rebuild (and its jobs queued
    // before the rebuild's own), doubling save -> reload. It runs on a pool of its own at the
    // lowest priority, and stops when a rebuild starts: even at the lowest priority it slowed
    // saves at 100x by about 40% (median of ten saves 188 against 132 ms with no index beside
    // them), and what it was making is stale by then. But it stops only while search has been
    // behind the pages for less than `STALE_LIMIT`: an editor who saves more often than an
    // index takes still gets search caught up within seconds.
    lowest_priority();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .thread_name(|_| "casebook-index".into())
        .start_handler(|_| lowest_priority())
        .build();
    // The newest site not yet indexed, and since when search has been behind the pages.
    let mut owed: Option<Arc<Site>> = None;
    let mut behind_since: Option<Instant> = None;
    while let Ok((count, site)) = rx.recv() {
        // The rebuild count of the newest job: any rebuild since stops the index.
        let mut at = count;
        owed = site.or(owed);
        // Wait for a pause in the saving: at 10x the digest an index takes longer than a
        // rebuild, and it should not share the CPU with the next one.
        while let Ok((count, site)) = rx.recv_timeout(INDEX_QUIET) {
            (at, owed) = (count, site.or(owed));
        }
        let Some(site) = owed.take() else { continue };
        let t = Instant::now();
        let since = *behind_since.get_or_insert(t);
        // A rebuild started since this job (one may be running now) stops it at once.
        let may_stop = since.elapsed() < STALE_LIMIT;
        let go_on = || !may_stop || shared.rebuilds() == at;
        let files = match &pool {
            Ok(pool) => pool.install(|| rebuild::search_files(&site, &go_on)),
            Err(_) => rebuild::search_files(&site, &go_on),
        };
        match files {
            Ok(files) => {
                *shared.search.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(files);
                behind_since = None;
                on_event(ServeEvent::Indexed {
                    reports: site.reports.len(),
                    elapsed: t.elapsed(),
                });
            }
            // The rebuild that stopped it sends a job when it ends.
            Err(crate::error::Error::Superseded) => {
                owed = Some(site);
                on_event(ServeEvent::IndexStopped);
            }
            Err(e) => on_event(ServeEvent::IndexFailed(e.to_string())),
        }
    }
}

/// Lowers the calling thread to the lowest CPU priority (Linux: a thread's nice value, inherited
/// by the threads it starts, such as tantivy's writer threads).
fn lowest_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority only changes the scheduling weight of the calling thread (its id from
    // gettid); failure leaves the priority as it was, which is harmless.
    unsafe {
        let _ = libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, 19);
    }
}
