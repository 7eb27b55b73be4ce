//! Terminal output for the binary (the library never prints): diagnostics as
//! `file:line:col: level: message` followed by the offending source line and a caret under the
//! column, in colour on a terminal and plain when piped or `NO_COLOR` is set; or as a JSON array
//! for tools. Also the transient progress line and the per-stage timing list of summary lines.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anstyle::{AnsiColor, Style};
use casebook::error::{Diagnostic, Level};
use unicode_width::UnicodeWidthChar;

/// How diagnostics are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// `file:line:col: level: message`, the source line and a caret, on stderr.
    Human,
    /// A JSON array of `{path, line, col, level, message}` on stdout.
    Json,
}

/// Whether stderr gets colour: only on a terminal, and never when `NO_COLOR` is set.
pub(crate) fn color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Prints `diags` in `format`; source lines are read from files relative to `root`.
pub(crate) fn print(diags: &[Diagnostic], root: &Path, format: Format) {
    match format {
        Format::Json => {
            let json = serde_json::to_string_pretty(diags).unwrap_or_else(|_| "[]".into());
            println!("{json}");
        }
        Format::Human => {
            let text = render_all(diags, root, color());
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(text.as_bytes());
        }
    }
}

/// Every diagnostic rendered, one after the other.
pub(crate) fn render_all(diags: &[Diagnostic], root: &Path, color: bool) -> String {
    let mut sources: HashMap<PathBuf, Option<String>> = HashMap::new();
    let mut out = String::new();
    for d in diags {
        let file = if d.path.is_absolute() {
            d.path.clone()
        } else {
            root.join(&d.path)
        };
        let text = sources
            .entry(file.clone())
            .or_insert_with(|| excerpt_source(&file));
        let line = match (d.line, text) {
            (0, _) | (_, None) => None,
            (n, Some(t)) => t.lines().nth(n - 1),
        };
        out.push_str(&render(d, line, color));
    }
    out
}

/// The position of a diagnostic.
const POSITION: Style = Style::new().bold();
/// The gutter with the line number.
const GUTTER: Style = AnsiColor::Blue.on_default().bold();
const ERROR: Style = AnsiColor::Red.on_default().bold();
const WARNING: Style = AnsiColor::Yellow.on_default().bold();

/// One diagnostic: the header line, then (when the line is known) the source line and a caret.
pub(crate) fn render(d: &Diagnostic, source_line: Option<&str>, color: bool) -> String {
    let paint = |style: Style, s: &str| {
        if color {
            format!("{style}{s}{style:#}")
        } else {
            s.to_string()
        }
    };
    let level_color = match d.level {
        Level::Error => ERROR,
        Level::Warning => WARNING,
    };
    let mut position = d.path.display().to_string();
    if d.line > 0 {
        let _ = write!(position, ":{}", d.line);
        if d.col > 0 {
            let _ = write!(position, ":{}", d.col);
        }
    }
    let mut out = format!(
        "{}: {}: {}\n",
        paint(POSITION, &position),
        paint(level_color, &d.level.to_string()),
        d.message
    );
    let Some(line) = source_line else {
        return out;
    };
    let (shown, caret_at) = excerpt(line.trim_start_matches('\u{feff}'), d.col);
    let number = d.line.to_string();
    let gutter = " ".repeat(number.len());
    let _ = writeln!(out, "{} {shown}", paint(GUTTER, &format!(" {number} |")));
    if let Some(pad) = caret_at {
        let _ = writeln!(
            out,
            "{} {}{}",
            paint(GUTTER, &format!(" {gutter} |")),
            " ".repeat(pad),
            paint(level_color, "^")
        );
    }
    out
}

/// Longest stretch of a source line shown, in display columns: a paragraph of Chinese is one
/// long line, and the caret should not be lost at the far end of it.
const MAX_WIDTH: usize = 90;
/// Columns kept before the caret when the line is cut.
const BEFORE: usize = 40;

/// The part of `line` to show (tabs expanded, long lines cut around the column with `…`) and
/// the display column of the caret (`None` when the column is unknown).
fn excerpt(line: &str, col: usize) -> (String, Option<usize>) {
    let chars: Vec<char> = line.chars().collect();
    let caret = col.checked_sub(1).map(|c| c.min(chars.len()));
    let total: usize = chars.iter().map(|&c| width(c)).sum();
    let (start, end) = if total <= MAX_WIDTH {
        (0, chars.len())
    } else {
        let at = caret.unwrap_or(0);
        // Walk back BEFORE columns from the caret, then forward to MAX_WIDTH columns.
        let mut start = at;
        let mut w = 0;
        while start > 0 && w + width(chars[start - 1]) <= BEFORE {
            start -= 1;
            w += width(chars[start]);
        }
        let mut end = start;
        let mut w = 0;
        while end < chars.len() && w + width(chars[end]) <= MAX_WIDTH {
            w += width(chars[end]);
            end += 1;
        }
        (start, end.max(at.min(chars.len())))
    };
    let mut shown = String::new();
    let mut pad = 0;
    if start > 0 {
        shown.push('…');
        pad += 1;
    }
    for (i, &c) in chars.iter().enumerate().take(end).skip(start) {
        if c == '\t' {
            shown.push_str("    ");
        } else {
            shown.push(c);
        }
        if caret.is_some_and(|k| i < k) {
            pad += width(c);
        }
    }
    if end < chars.len() {
        shown.push('…');
    }
    (shown, caret.map(|_| pad))
}

/// Display columns of a character on a terminal (Unicode's East Asian Width, as terminals use
/// it: 2 for CJK and full-width forms, 0 for combining marks), 4 for a tab (shown as four
/// spaces), and 1 for other control characters.
fn width(c: char) -> usize {
    if c == '\t' {
        return 4;
    }
    c.width().unwrap_or(1)
}

/// `load 33 ms, model 3 ms, ...`: the stages of a summary line.
pub(crate) fn stages(timings: &[(&'static str, Duration)]) -> String {
    timings
        .iter()
        .map(|(n, d)| format!("{n} {:.0} ms", d.as_secs_f64() * 1000.0))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Total of the stages, in milliseconds.
pub(crate) fn total_ms(timings: &[(&'static str, Duration)]) -> f64 {
    timings.iter().map(|(_, d)| d.as_secs_f64() * 1000.0).sum()
}

/// Erases the terminal line the cursor is on (a cursor command, not a style: anstyle has none).
const CLEAR_LINE: &str = "\x1b[2K";

/// A one-line progress display on a terminal (`checking: rendering…`), rewritten in place and
/// cleared before the next real output. Silent when stderr is not a terminal.
pub(crate) struct Progress {
    active: bool,
    shown: bool,
    what: &'static str,
}

impl Progress {
    /// Progress for a command named `what`.
    pub(crate) fn new(what: &'static str) -> Self {
        Progress {
            active: std::io::stderr().is_terminal(),
            shown: false,
            what,
        }
    }

    /// Shows the stage now running.
    pub(crate) fn stage(&mut self, stage: &str) {
        if self.active {
            eprint!("\r{CLEAR_LINE}{}: {stage}…", self.what);
            let _ = std::io::stderr().flush();
            self.shown = true;
        }
    }

    /// Removes the progress line.
    pub(crate) fn clear(&mut self) {
        if self.shown {
            eprint!("\r{CLEAR_LINE}");
            let _ = std::io::stderr().flush();
            self.shown = false;
        }
    }
}

/// The text of a file a diagnostic points into, for its excerpt: only a regular file within the
/// loader's size limit (a diagnostic may be about a FIFO, which would block, or a huge file).
fn excerpt_source(file: &std::path::Path) -> Option<String> {
    let meta = std::fs::metadata(file).ok()?;
    if !meta.is_file() || meta.len() > casebook::load::MAX_FILE_BYTES {
        return None;
    }
    std::fs::read_to_string(file).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diag(line: usize, col: usize, level: Level) -> Diagnostic {
        Diagnostic {
            path: PathBuf::from("content/reports/a.md"),
            line,
            col,
            level,
            message: "link to unknown report `sandan`; did you mean `@/reports/sandun`?".into(),
        }
    }

    #[test]
    fn plain_output_has_the_line_and_a_caret_under_the_column() {
        // Column 5 is `做`, after three wide characters and `[`: 7 terminal columns in.
        let d = diag(7, 5, Level::Error);
        let text = render(&d, Some("见三墩[做法](@/reports/sandan)。"), false);
        assert_eq!(
            text,
            "content/reports/a.md:7:5: error: link to unknown report `sandan`; did you mean \
             `@/reports/sandun`?\n 7 | 见三墩[做法](@/reports/sandan)。\n   |        ^\n"
        );
    }

    #[test]
    fn colour_only_when_asked() {
        let d = diag(1, 1, Level::Warning);
        assert!(!render(&d, Some("x"), false).contains('\x1b'));
        let coloured = render(&d, Some("x"), true);
        // Bold yellow, as anstyle writes it (bold and colour as two codes), then reset.
        assert!(coloured.contains("\x1b[1m\x1b[33mwarning\x1b[0m"));
        assert!(coloured.contains("\x1b[1m\x1b[33m^\x1b[0m"));
    }

    #[test]
    fn whole_file_problems_have_no_excerpt() {
        let d = diag(0, 0, Level::Warning);
        let text = render(&d, None, false);
        assert_eq!(text.lines().count(), 1);
        assert!(text.starts_with("content/reports/a.md: warning: "));
    }

    #[test]
    fn long_lines_are_cut_around_the_column() {
        let line = format!(
            "{}[x](@/reports/nope){}",
            "前".repeat(100),
            "后".repeat(100)
        );
        let (shown, pad) = excerpt(&line, 101);
        assert!(shown.starts_with('…') && shown.ends_with('…'));
        let pad = pad.unwrap();
        // The caret lands on the `[` of the link.
        let mut col = 0;
        for c in shown.chars() {
            if col == pad {
                assert_eq!(c, '[');
                break;
            }
            col += width(c);
        }
        assert!(shown.chars().map(width).sum::<usize>() <= MAX_WIDTH + 2);
    }
}
