//! Error and diagnostic types shared by every stage.
//!
//! Library code returns [`Error`]; problems in content are collected as [`Diagnostic`]s so that an
//! editor sees all of them at once (`file:line:col: level: message`), not only the first.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// Result alias for the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can stop a stage.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An I/O operation on `path` failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The content has errors; each is a diagnostic with path and position.
    #[error("{} error(s) in content", .0.iter().filter(|d| d.level == Level::Error).count())]
    Content(Vec<Diagnostic>),
    /// A template failed to parse or render.
    #[error("template {name}: {message}")]
    Template {
        /// Template name.
        name: String,
        /// The template engine's message, with its cause chain flattened.
        message: String,
    },
    /// The search index could not be built or read.
    #[error("search index: {0}")]
    Index(String),
    /// A command-line or configuration value is invalid.
    #[error("{0}")]
    Invalid(String),
    /// `casebook serve` cannot listen on its address (in use, or not this machine's).
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// `casebook serve` cannot watch a folder of the project, so changes there would go unseen.
    #[error("cannot watch {}", path.display())]
    Watch {
        /// The folder.
        path: PathBuf,
        /// The watcher's reason (inotify's watch limit, a folder that is not there, ...).
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A thread could not be started (the system is out of threads or memory).
    #[error("cannot start the {name} thread")]
    Thread {
        /// What the thread was for.
        name: &'static str,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// A file that a command would create is there already; nothing was overwritten.
    #[error("{} already {what}; not overwriting anything", path.display())]
    Exists {
        /// The file or folder.
        path: PathBuf,
        /// What is in the way (`has site.yaml`, `exists (pick another slug)`).
        what: String,
    },
    /// A file read again during a build (a report body the model did not keep) is not what it
    /// was when the build read it first: an editor saved it meanwhile.
    #[error("{}: changed while the build ran; build again", path.display())]
    Changed {
        /// The file.
        path: PathBuf,
    },
    /// A worker thread panicked while it held shared state; the run cannot be trusted.
    #[error("{0}: a worker thread panicked")]
    Poisoned(&'static str),
    /// A data export could not be encoded.
    #[error("cannot write the {what} export: {message}")]
    Export {
        /// Which export (`JSON`, `CSV`).
        what: &'static str,
        /// The encoder's message.
        message: String,
    },
    /// A file of the site would land outside the output folder (a path with `..`, absolute, or
    /// one of the output's own bookkeeping names).
    #[error("refusing to write outside the output folder: {0}")]
    OutsideOutput(String),
    /// Work given up because what it was for has been superseded (serve's search index, when
    /// a save arrives while it is made: the index of the next build replaces it anyway).
    #[error("superseded by a newer build")]
    Superseded,
    /// The output folder cannot be used; nothing was written or removed.
    #[error("cannot build into {}: {reason}", path.display())]
    Output {
        /// The output path as given.
        path: PathBuf,
        /// Why not.
        reason: OutputRefusal,
    },
}

/// Why a build refused its output folder.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OutputRefusal {
    /// The output is a folder of the site (or the home folder), or holds one.
    HoldsSite {
        /// Which folder ("the content folder").
        what: &'static str,
        /// Where it is.
        folder: PathBuf,
    },
    /// The output lies inside a folder the build reads.
    InsideInput {
        /// Which folder.
        what: &'static str,
        /// Where it is.
        folder: PathBuf,
    },
    /// A folder casebook did not create, with files in it.
    NotOurs {
        /// Its entries, sorted.
        entries: Vec<String>,
    },
    /// The path is a file, not a folder.
    NotAFolder,
    /// Another build is writing into it.
    Busy,
}

impl fmt::Display for OutputRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutputRefusal::HoldsSite { what, folder } => write!(
                f,
                "it is or holds {what} ({}), and a build replaces everything in its output; \
                 choose a folder of its own, e.g. --output output",
                folder.display()
            ),
            OutputRefusal::InsideInput { what, folder } => write!(
                f,
                "it lies inside {what} ({}), which the build reads; choose a folder outside it",
                folder.display()
            ),
            OutputRefusal::NotOurs { entries } => {
                let shown: Vec<&str> = entries.iter().take(5).map(String::as_str).collect();
                write!(
                    f,
                    "the folder holds files casebook did not write ({}{}) and a build would \
                     delete them; choose an empty or new folder, or pass --force to replace its \
                     contents",
                    shown.join(", "),
                    if entries.len() > shown.len() {
                        format!(" and {} more", entries.len() - shown.len())
                    } else {
                        String::new()
                    }
                )
            }
            OutputRefusal::NotAFolder => f.write_str(
                "it exists and is not a folder; move it away or choose another --output",
            ),
            OutputRefusal::Busy => f.write_str(
                "another casebook build is writing into it; run this one when that one has finished",
            ),
        }
    }
}

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Stops the build.
    Error,
    /// Reported; the build goes on (`check --strict` makes it an error).
    Warning,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Error => "error",
            Level::Warning => "warning",
        })
    }
}

/// One problem in one file, with a 1-based position (0 when unknown).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Diagnostic {
    /// The file, relative to the site root where possible.
    pub path: PathBuf,
    /// 1-based line; 0 when the problem concerns the whole file.
    pub line: usize,
    /// 1-based column; 0 when unknown.
    pub col: usize,
    /// Error or warning.
    pub level: Level,
    /// What is wrong, what was expected, and a suggestion where there is one.
    pub message: String,
}

impl Diagnostic {
    /// An error at a position.
    pub fn error(path: &Path, line: usize, col: usize, message: impl Into<String>) -> Self {
        Diagnostic {
            path: path.to_path_buf(),
            line,
            col,
            level: Level::Error,
            message: message.into(),
        }
    }

    /// A warning at a position.
    pub fn warning(path: &Path, line: usize, col: usize, message: impl Into<String>) -> Self {
        Diagnostic {
            level: Level::Warning,
            ..Diagnostic::error(path, line, col, message)
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
            if self.col > 0 {
                write!(f, ":{}", self.col)?;
            }
        }
        write!(f, ": {}: {}", self.level, self.message)
    }
}

/// Returns the known name closest to `input`, if it is close enough to be a likely typo.
pub fn suggest<'a>(input: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    known
        .into_iter()
        .map(|k| (strsim::jaro_winkler(input, k), k))
        .filter(|(score, _)| *score >= 0.75)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

/// 1-based (line, column) of a byte offset in `text`; columns count characters, not bytes.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}
