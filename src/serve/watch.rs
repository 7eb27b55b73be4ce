//! Watching the project: `content/`, `themes/` and `static/` recursively, and the folders holding them
//! (the site root, which holds `site.yaml` too) on their own, through `notify-debouncer-full`,
//! which waits until a file has been quiet for [`DEBOUNCE`] before passing its events on (an
//! editor's save is several events, a `git checkout` hundreds).
//!
//! A folder can be replaced under a watch: moved away and back, or deleted and copied back, as
//! `git checkout` and some editors do. The watch followed the old folder (or died with it), so
//! after every batch of events the folders are *re-armed*: watched again when an event named the
//! folder itself or when the folder now there is not the one watched (another file id). The
//! watch on the parent folder is what sees the folder come back. A folder that is not there
//! yet (`themes/` often) is armed when it appears.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant};

use notify_debouncer_full::file_id::{get_file_id, FileId};
use notify_debouncer_full::notify::{
    self, Config, Event, EventHandler, EventKind, RecommendedWatcher, RecursiveMode, Watcher,
    WatcherKind,
};
use notify_debouncer_full::{new_debouncer_opt, DebounceEventResult, Debouncer, RecommendedCache};

use super::rebuild::Rebuilder;
use super::state::{self, OnEvent, Shared};
use super::ServeEvent;
use crate::error::{Error, Result};
use crate::load::Project;

/// Quiet time after a file's last event before it counts as changed. The debouncer looks every
/// [`TICK`], so a change is passed on 12 to 15 ms after its last event (the hand-written loop
/// this replaced waited 15 ms; the default tick, a quarter of this, would add up to 3.75 ms).
const DEBOUNCE: Duration = Duration::from_millis(12);
/// How often the debouncer looks for files that have gone quiet.
const TICK: Duration = Duration::from_millis(3);

/// The watcher and what it watches.
pub(super) struct Watch {
    debouncer: Debouncer<QuietWatcher, RecommendedCache>,
    events: Receiver<DebounceEventResult>,
    watched: Watched,
}

/// The paths that matter, by their real location.
struct Watched {
    root: PathBuf,
    /// The content folder as the project names it (its real path is the first of `folders`).
    content: PathBuf,
    config: PathBuf,
    /// `content/`, `themes/` and `static/`, watched recursively whenever they exist.
    folders: Vec<Folder>,
}

/// A folder watched recursively, and which folder it was when armed.
struct Folder {
    path: PathBuf,
    /// The file id of the folder being watched; `None` while it is not watched.
    armed: Option<FileId>,
}

impl Watch {
    /// Starts watching `project`. Fails when the site root (or the folder holding the content
    /// folder) cannot be watched: without that, no change would ever be seen.
    pub(super) fn start(project: &Project) -> Result<Self> {
        let (tx, events): (Sender<DebounceEventResult>, _) = mpsc::channel();
        let mut debouncer = new_debouncer_opt::<_, QuietWatcher, _>(
            DEBOUNCE,
            Some(TICK),
            tx,
            RecommendedCache::new(),
            Config::default(),
        )
        .map_err(|e| Error::Watch {
            path: project.root.clone(),
            source: Box::new(e),
        })?;
        let watched = Watched::new(project);
        let mut parents = vec![watched.root.clone()];
        for f in &watched.folders {
            if let Some(parent) = f.path.parent().filter(|p| !parents.iter().any(|q| q == p)) {
                parents.push(parent.to_path_buf());
            }
        }
        for parent in parents {
            debouncer
                .watch(&parent, RecursiveMode::NonRecursive)
                .map_err(|e| Error::Watch {
                    path: parent.clone(),
                    source: Box::new(e),
                })?;
        }
        let mut watch = Watch {
            debouncer,
            events,
            watched,
        };
        if let Some(problem) = watch.rearm(&[]) {
            return Err(problem);
        }
        Ok(watch)
    }

    /// Rebuilds after every change that matters, until the watcher stops.
    pub(super) fn run(
        mut self,
        rebuilder: &mut Rebuilder,
        shared: &Shared,
        index_tx: &Sender<state::IndexJob>,
        on_event: &OnEvent,
    ) {
        loop {
            let mut batch = Batch::default();
            // Wait for a change that matters (editor droppings and output folders do not).
            while batch.changed.is_empty() && batch.replaced.is_empty() {
                let Ok(events) = self.events.recv() else {
                    return;
                };
                batch.take(events, &self.watched, on_event);
            }
            // Events already waiting (a long checkout arrives in several batches) join this
            // rebuild rather than start another right after it.
            while let Ok(events) = self.events.try_recv() {
                batch.take(events, &self.watched, on_event);
            }
            let problem = self.rearm(&batch.replaced).map(|e| with_source(&e));
            if let Some(problem) = &problem {
                on_event(ServeEvent::WatchError(problem.clone()));
            }
            shared.set_watch_problem(problem);
            let mut changed = batch.changed;
            changed.sort();
            changed.dedup();
            let shown: Vec<PathBuf> = changed
                .iter()
                .map(|p| {
                    p.strip_prefix(&self.watched.root)
                        .unwrap_or(p)
                        .to_path_buf()
                })
                .collect();
            // A batch of content files only (a save) is read alone; anything else (a folder
            // replaced, events dropped, configuration, theme) has the project looked at again.
            let files = batch
                .replaced
                .is_empty()
                .then(|| self.watched.content_files(&changed))
                .flatten();
            // An index still being made for the last build is stale now: it stops (while search
            // is not too far behind), and the rebuild has both cores.
            shared.rebuild_started();
            let result = rebuilder.rebuild(files.as_deref(), &mut |_| {});
            state::publish(
                result,
                Some(batch.started.unwrap_or_else(Instant::now)),
                shown,
                shared,
                index_tx,
                on_event,
            );
        }
    }

    /// Watches each folder again if it was replaced or has appeared, and stops watching one that
    /// is gone; `touched` are paths an event named. Returns the first folder that exists but
    /// cannot be watched.
    fn rearm(&mut self, touched: &[PathBuf]) -> Option<Error> {
        let mut problem = None;
        for folder in &mut self.watched.folders {
            let now = folder
                .path
                .is_dir()
                .then(|| get_file_id(&folder.path).ok())
                .flatten();
            let named = touched.iter().any(|p| folder.path.starts_with(p));
            if !named && now == folder.armed {
                continue;
            }
            if folder.armed.take().is_some() {
                // Gone already if the folder was deleted or moved: the watcher dropped it then.
                let _ = self.debouncer.unwatch(&folder.path);
            }
            if now.is_none() {
                continue;
            }
            match self.debouncer.watch(&folder.path, RecursiveMode::Recursive) {
                Ok(()) => folder.armed = now,
                Err(e) => {
                    problem.get_or_insert(Error::Watch {
                        path: folder.path.clone(),
                        source: Box::new(e),
                    });
                }
            }
        }
        problem
    }
}

impl Watched {
    fn new(project: &Project) -> Self {
        // Events name real paths. A folder that is not there yet is named by its real parent.
        let abs = |p: &Path| {
            p.canonicalize()
                .or_else(|e| match (p.parent(), p.file_name()) {
                    (Some(parent), Some(name)) => parent.canonicalize().map(|d| d.join(name)),
                    _ => Err(e),
                })
                .unwrap_or_else(|_| p.to_path_buf())
        };
        let root = abs(&project.root);
        Watched {
            content: project.content.clone(),
            config: root.join("site.yaml"),
            folders: vec![
                Folder {
                    path: abs(&project.content),
                    armed: None,
                },
                Folder {
                    path: root.join("themes"),
                    armed: None,
                },
                // The site's own static files, published over the theme's.
                Folder {
                    path: root.join("static"),
                    armed: None,
                },
            ],
            root,
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
        path == self.config || self.folders.iter().any(|f| path.starts_with(&f.path))
    }

    /// `changed` (real paths) as the project names them, when they are all inside the content
    /// folder.
    fn content_files(&self, changed: &[PathBuf]) -> Option<Vec<PathBuf>> {
        let real = &self.folders.first()?.path;
        changed
            .iter()
            .map(|p| Some(self.content.join(p.strip_prefix(real).ok()?)))
            .collect()
    }

    /// Whether `path` is a watched folder or holds one (its replacement needs a new watch).
    fn holds_folder(&self, path: &Path) -> bool {
        self.folders.iter().any(|f| f.path.starts_with(path)) && path != self.root
    }
}

/// The system's watcher with access events (a file opened, read or closed) dropped before the
/// debouncer sees them: every rebuild opens every source file (2,400 events at 10x the digest),
/// and none of them is a change. A save also gives a modify event, which passes.
struct QuietWatcher(RecommendedWatcher);

impl Watcher for QuietWatcher {
    fn new<F: EventHandler>(mut handler: F, config: Config) -> notify::Result<Self> {
        let quiet = move |event: notify::Result<Event>| {
            if !matches!(&event, Ok(e) if matches!(e.kind, EventKind::Access(_))) {
                handler.handle_event(event);
            }
        };
        RecommendedWatcher::new(quiet, config).map(QuietWatcher)
    }

    fn watch(&mut self, path: &Path, mode: RecursiveMode) -> notify::Result<()> {
        self.0.watch(path, mode)
    }

    fn unwatch(&mut self, path: &Path) -> notify::Result<()> {
        self.0.unwatch(path)
    }

    fn configure(&mut self, option: Config) -> notify::Result<bool> {
        self.0.configure(option)
    }

    fn kind() -> WatcherKind {
        RecommendedWatcher::kind()
    }
}

/// `cannot watch content: reason`: an error with its cause, for a line of text.
fn with_source(e: &Error) -> String {
    match std::error::Error::source(e) {
        Some(source) => format!("{e}: {source}"),
        None => e.to_string(),
    }
}

/// The changes of one or more batches of events.
#[derive(Default)]
struct Batch {
    /// Files whose change can change the site.
    changed: Vec<PathBuf>,
    /// Watched folders (or folders holding them) that were created, removed or renamed.
    replaced: Vec<PathBuf>,
    /// When the earliest of those changes happened.
    started: Option<Instant>,
}

impl Batch {
    fn take(&mut self, events: DebounceEventResult, watched: &Watched, on_event: &OnEvent) {
        let events = match events {
            Ok(events) => events,
            Err(errors) => {
                for e in errors {
                    on_event(ServeEvent::WatchError(e.to_string()));
                }
                return;
            }
        };
        // Access events never get here (see `QuietWatcher`).
        for e in events {
            let before = self.changed.len() + self.replaced.len();
            if e.event.need_rescan() {
                // The system dropped events: anything may have changed, and any folder moved.
                let folders = watched.folders.iter().map(|f| f.path.clone());
                self.replaced.extend(folders.clone());
                self.changed.extend(folders);
            }
            for p in &e.event.paths {
                if watched.holds_folder(p) {
                    self.replaced.push(p.clone());
                }
                if watched.relevant(p) {
                    self.changed.push(p.clone());
                }
            }
            if self.changed.len() + self.replaced.len() > before {
                self.started = Some(self.started.map_or(e.time, |t| t.min(e.time)));
            }
        }
    }
}
