//! Front matter: splits a Markdown file into its YAML block and body, and turns the YAML into
//! typed metadata while collecting *every* problem with its file position.
//!
//! The YAML is first parsed into a generic mapping (syntax errors stop here, with the parser's
//! position shifted to the file's line numbers); then each key is checked and deserialized on its
//! own, so one file with three mistakes yields three diagnostics rather than the first.
//! serde_yaml_ng is used because serde_yaml is archived; it is a maintained fork with the same API,
//! and no other module depends on it.

use std::path::Path;

use indexmap::IndexMap;
use serde::de::DeserializeOwned;
use serde_yaml_ng::{Mapping, Value};

use super::yaml_guard::{check_value, too_deep, too_deep_diagnostic};
use crate::error::{suggest, Diagnostic};

/// A file split at its front matter.
#[derive(Debug)]
pub(crate) struct Split<'a> {
    /// The YAML between the `---` fences.
    pub(crate) yaml: &'a str,
    /// 1-based file line on which the YAML starts.
    pub(crate) yaml_line: usize,
    /// The Markdown after the closing fence.
    pub(crate) body: &'a str,
    /// 1-based file line on which the body starts.
    pub(crate) body_line: usize,
}

/// Splits `text` into front matter and body, or explains why it cannot.
pub(crate) fn split<'a>(path: &Path, text: &'a str) -> Result<Split<'a>, Diagnostic> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(Diagnostic::error(
            path,
            1,
            1,
            "file is empty: expected front matter between `---` lines, then the Markdown body",
        ));
    }
    let first_end = text.find('\n').unwrap_or(text.len());
    if text[..first_end].trim_end() != "---" {
        return Err(Diagnostic::error(
            path,
            1,
            1,
            "expected front matter: the file must start with a `---` line, then YAML such as \
             `title: ...`, then a closing `---` line",
        ));
    }
    let yaml_start = (first_end + 1).min(text.len());
    let mut offset = yaml_start;
    for (line, raw) in (2..).zip(text[yaml_start..].split_inclusive('\n')) {
        let trimmed = raw.trim_end();
        if trimmed == "---" || trimmed == "..." {
            let body_start = offset + raw.len();
            return Ok(Split {
                yaml: &text[yaml_start..offset],
                yaml_line: 2,
                body: &text[body_start..],
                body_line: line + 1,
            });
        }
        offset += raw.len();
    }
    Err(Diagnostic::error(
        path,
        1,
        1,
        "front matter is not closed: add a `---` line after the last YAML line",
    ))
}

/// A value of the front matter with the position of its key.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub(crate) value: Value,
    pub(crate) line: usize,
    pub(crate) col: usize,
    /// The key's line within the YAML block (1-based), when it was found there.
    found: Option<usize>,
}

/// Front matter parsed into a mapping whose keys carry their file position.
#[derive(Debug, Default)]
pub(crate) struct Fields {
    fields: IndexMap<String, Field>,
    /// Where the block starts, for problems with no key of their own (a missing field).
    pub(crate) start_line: usize,
    /// The YAML block itself, to find the positions of nested keys (metrics).
    yaml: String,
    /// Keys suggested for unknown ones (`tactic:` suggests `tactics`): their absence is already
    /// reported as the misspelling, not again as a missing field.
    suggested: Vec<String>,
}

/// Parses the YAML block of `split` into [`Fields`], checking the keys against `allowed`.
pub(crate) fn parse_fields(
    path: &Path,
    split: &Split<'_>,
    allowed: &[&str],
    diags: &mut Vec<Diagnostic>,
) -> Option<Fields> {
    if let Some(offset) = too_deep(split.yaml) {
        diags.push(too_deep_diagnostic(
            path,
            split.yaml,
            offset,
            split.yaml_line,
        ));
        return None;
    }
    let value: Value = match serde_yaml_ng::from_str(split.yaml) {
        Ok(v) => v,
        Err(e) => {
            let (line, col) = e.location().map_or((split.yaml_line, 1), |l| {
                (l.line() + split.yaml_line - 1, l.column())
            });
            diags.push(Diagnostic::error(
                path,
                line,
                col,
                format!(
                    "invalid YAML in front matter: {}",
                    strip_location(&e.to_string())
                ),
            ));
            return None;
        }
    };
    let map = match value {
        Value::Mapping(m) => m,
        Value::Null => Mapping::new(),
        other => {
            diags.push(Diagnostic::error(
                path,
                split.yaml_line,
                1,
                format!(
                    "front matter must be a YAML map of `key: value` lines, found {}",
                    kind(&other)
                ),
            ));
            return None;
        }
    };
    let mut fields = Fields {
        fields: IndexMap::new(),
        start_line: split.yaml_line,
        yaml: split.yaml.to_string(),
        suggested: Vec::new(),
    };
    // A value with a control character or a tag is reported and the file left out, so that a
    // lenient reader (`check`, `serve`) never passes it on.
    let mut bad_values = false;
    // The top-level lines once, not once per key: finding every key's line took a scan of
    // the whole block each (2% of a 10x build's instructions with the list items' positions).
    let top = top_lines(split.yaml);
    for (k, v) in map {
        let Some(key) = k.as_str().map(str::to_owned) else {
            diags.push(Diagnostic::error(
                path,
                split.yaml_line,
                1,
                format!("front matter keys must be strings, found {}", kind(&k)),
            ));
            continue;
        };
        let found = top_key_position(&top, &key);
        let (line, col) = found.map_or((split.yaml_line, 1), |(l, c)| (l + split.yaml_line - 1, c));
        if !allowed.contains(&key.as_str()) {
            let near = suggest(&key, allowed.iter().copied());
            fields.suggested.extend(near.map(str::to_owned));
            let hint = near
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_else(|| format!("; expected one of: {}", allowed.join(", ")));
            diags.push(Diagnostic::error(
                path,
                line,
                col,
                format!("unknown field `{key}`{hint}"),
            ));
            continue;
        }
        let mut problems = Vec::new();
        check_value(&v, &format!("`{key}`"), &mut problems);
        bad_values |= !problems.is_empty();
        diags.extend(
            problems
                .into_iter()
                .map(|p| Diagnostic::error(path, line, col, p)),
        );
        fields.fields.insert(
            key,
            Field {
                value: v,
                line,
                col,
                found: found.map(|(l, _)| l),
            },
        );
    }
    (!bad_values).then_some(fields)
}

impl Fields {
    /// Takes an optional field, deserialized as `T`; a type error becomes a diagnostic.
    pub(crate) fn get<T: DeserializeOwned>(
        &self,
        path: &Path,
        key: &str,
        expected: &str,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<T> {
        let field = self.fields.get(key)?;
        if field.value.is_null() {
            return None;
        }
        match serde_yaml_ng::from_value::<T>(field.value.clone()) {
            Ok(v) => Some(v),
            Err(e) => {
                diags.push(Diagnostic::error(
                    path,
                    field.line,
                    field.col,
                    format!(
                        "`{key}` must be {expected}, found {} ({})",
                        kind(&field.value),
                        strip_location(&e.to_string())
                    ),
                ));
                None
            }
        }
    }

    /// Takes a required field; its absence is a diagnostic.
    pub(crate) fn require<T: DeserializeOwned>(
        &self,
        path: &Path,
        key: &str,
        expected: &str,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<T> {
        if self.fields.get(key).is_none_or(|f| f.value.is_null()) {
            if self.suggested.iter().any(|k| k == key) && !self.fields.contains_key(key) {
                return None;
            }
            diags.push(Diagnostic::error(
                path,
                self.start_line,
                1,
                format!("missing required field `{key}` ({expected})"),
            ));
            return None;
        }
        self.get(path, key, expected, diags)
    }

    /// The front matter's first line: where a missing key is reported.
    pub(crate) fn start_line(&self) -> usize {
        self.start_line
    }

    /// Whether the file has `key`.
    pub(crate) fn has(&self, key: &str) -> bool {
        self.fields.contains_key(key)
    }

    /// The position of a key, for diagnostics raised after parsing.
    pub(crate) fn position(&self, key: &str) -> (usize, usize) {
        self.fields
            .get(key)
            .map_or((self.start_line, 1), |f| (f.line, f.col))
    }

    /// The strings of list `key` (nothing when it is not a list).
    pub(crate) fn strings(&self, key: &str) -> Vec<String> {
        match self.fields.get(key).map(|f| &f.value) {
            Some(Value::Sequence(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(|s| s.trim().to_string()))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The string keys of map `key` (nothing when it is not a map).
    pub(crate) fn keys(&self, key: &str) -> Vec<String> {
        match self.fields.get(key).map(|f| &f.value) {
            Some(Value::Mapping(m)) => m
                .keys()
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Where `key` stands under the map `parent` (a metric's key under `metrics:`), or the
    /// parent's own position when it cannot be found.
    pub(crate) fn nested_position(&self, parent: &str, key: &str) -> (usize, usize) {
        key_position(&self.yaml, key, Some(parent))
            .map(|(l, c)| (l + self.start_line - 1, c))
            .unwrap_or_else(|| self.position(parent))
    }

    /// Where `item` stands in the list `parent` (a tactic in `tactics: [a, b]` or in a block
    /// list of `- a` lines), or the parent's own position when it cannot be found.
    pub(crate) fn item_position(&self, parent: &str, item: &str) -> (usize, usize) {
        let start = self.fields.get(parent).and_then(|f| f.found);
        start
            .and_then(|start| item_position(&self.yaml, start, item))
            .map(|(l, c)| (l + self.start_line - 1, c))
            .unwrap_or_else(|| self.position(parent))
    }

    /// Takes a map of metric key to optional number, checking each entry.
    pub(crate) fn metrics(
        &self,
        path: &Path,
        diags: &mut Vec<Diagnostic>,
    ) -> IndexMap<String, Option<f64>> {
        let mut out = IndexMap::new();
        let Some(field) = self.fields.get("metrics") else {
            return out;
        };
        let map = match &field.value {
            Value::Null => return out,
            Value::Mapping(m) => m,
            other => {
                diags.push(Diagnostic::error(
                    path,
                    field.line,
                    field.col,
                    format!(
                        "`metrics` must be a map of metric key to number (e.g. `members: 1200`), found {}",
                        kind(other)
                    ),
                ));
                return out;
            }
        };
        for (k, v) in map {
            let key = match k {
                Value::String(s) => s.clone(),
                other => serde_yaml_ng::to_string(other)
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
            };
            // Only a problem needs the key's place (its line is also found for the model's
            // positions; looking for it here too was a second scan per metric).
            let at = || self.nested_position("metrics", &key);
            let value = match v {
                Value::Null => None,
                // `.inf`, `.nan` and `1e999` are YAML numbers, but no count or rate is infinite;
                // they reached the charts as "NaN人" and widths a template could not compute.
                Value::Number(n) if n.as_f64().is_some_and(|x| !x.is_finite()) => {
                    let (line, col) = at();
                    diags.push(Diagnostic::error(
                        path,
                        line,
                        col,
                        format!(
                            "metric `{key}` must be a finite number, found `{}`; write the \
                             figure as printed, or leave it empty",
                            serde_yaml_ng::to_string(v).unwrap_or_default().trim()
                        ),
                    ));
                    continue;
                }
                Value::Number(n) => n.as_f64(),
                Value::String(s) if s.trim().is_empty() => None,
                other => {
                    let (line, col) = at();
                    diags.push(Diagnostic::error(
                        path,
                        line,
                        col,
                        format!(
                            "metric `{key}` must be a number or empty, found {} `{}`; write the \
                             unit in the registry, not the value (e.g. `93` rather than `93%`)",
                            kind(other),
                            serde_yaml_ng::to_string(other).unwrap_or_default().trim()
                        ),
                    ));
                    continue;
                }
            };
            out.insert(key, value);
        }
        out
    }
}

/// Finds the 1-based (line, col) of `key:` within the YAML text; top-level keys start at
/// column 1, keys under `parent:` are the first indented occurrence after it.
pub(crate) fn key_position(yaml: &str, key: &str, parent: Option<&str>) -> Option<(usize, usize)> {
    let Some(p) = parent else {
        return top_key_position(&top_lines(yaml), key);
    };
    let mut in_parent = false;
    for (i, line) in yaml.lines().enumerate() {
        let indent = line.len() - line.trim_start().len();
        let rest = line.trim_start();
        if indent == 0 {
            in_parent = rest.strip_prefix(p).is_some_and(|r| r.starts_with(':'));
            // Flow style `metrics: { a: 1 }` keeps keys on the parent's line.
            if in_parent && line.contains(&format!("{key}:")) {
                let col = line[..line.find(&format!("{key}:"))?].chars().count() + 1;
                return Some((i + 1, col));
            }
        } else if in_parent && is_key(rest, key) {
            return Some((i + 1, line[..indent].chars().count() + 1));
        }
    }
    None
}

/// Whether `rest` (a line without its indent) reads `key:`, `"key":` or `'key':`, spaces
/// allowed before the colon; without building the quoted forms for every line.
fn is_key(rest: &str, key: &str) -> bool {
    let quoted = |q: char| {
        rest.strip_prefix(q)
            .and_then(|r| r.strip_prefix(key))
            .and_then(|r| r.strip_prefix(q))
    };
    rest.strip_prefix(key)
        .or_else(|| quoted('"'))
        .or_else(|| quoted('\''))
        .is_some_and(|r| r.trim_start().starts_with(':'))
}

/// The lines of `yaml` that start at column 1, each with its 0-based index.
fn top_lines(yaml: &str) -> Vec<(usize, &str)> {
    yaml.lines()
        .enumerate()
        .filter(|(_, line)| line.len() == line.trim_start().len())
        .collect()
}

/// The 1-based (line, col) of top-level `key` among the `top_lines` of a block: the first
/// that reads as the key ([`is_key`]).
fn top_key_position(top: &[(usize, &str)], key: &str) -> Option<(usize, usize)> {
    top.iter()
        .find(|(_, line)| is_key(line, key))
        .map(|&(i, _)| (i + 1, 1))
}

/// Finds the 1-based (line, col) of list item `item` of the top-level key on line `start`
/// (1-based), in flow style on the key's line or in block style on the indented `- ` lines
/// after it.
fn item_position(yaml: &str, start: usize, item: &str) -> Option<(usize, usize)> {
    let col_of = |line: &str, from: usize| {
        let bytes = line.as_bytes();
        line[from..]
            .match_indices(item)
            .map(|(i, _)| i + from)
            .find(|&at| {
                // A whole item: bounded by a list delimiter, a quote or the line's ends.
                let before = line[..at].trim_end_matches(['"', '\'']).chars().next_back();
                let end = at + item.len();
                let after = line[end..].trim_start_matches(['"', '\'']).chars().next();
                matches!(before, None | Some('[' | ',' | ' ' | '-'))
                    && matches!(after, None | Some(']' | ',' | ' ' | '#'))
                    && bytes.get(at).is_some()
            })
    };
    let mut lines = yaml.lines().enumerate().skip(start - 1);
    let (i, first) = lines.next()?;
    let colon = first.find(':')? + 1;
    if let Some(at) = col_of(first, colon) {
        return Some((i + 1, first[..at].chars().count() + 1));
    }
    for (i, line) in lines {
        let indent = line.len() - line.trim_start().len();
        if indent == 0 && !line.trim_start().starts_with('-') && !line.trim().is_empty() {
            break;
        }
        if let Some(at) = col_of(line, 0) {
            return Some((i + 1, line[..at].chars().count() + 1));
        }
    }
    None
}

/// Removes serde_yaml_ng's " at line X column Y" suffix: we print our own, shifted position.
pub(super) fn strip_location(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// A word for a YAML value's type, for "found ..." messages.
pub(super) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a map",
        Value::Tagged(_) => "a tagged value",
    }
}

/// Parses a whole YAML document (site.yaml) into `T`, reporting the error position.
pub(crate) fn parse_document<T: DeserializeOwned>(
    path: &Path,
    text: &str,
) -> Result<T, Diagnostic> {
    serde_yaml_ng::from_str(text).map_err(|e| {
        let (line, col) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
        let msg = strip_location(&e.to_string());
        let msg = match unknown_field_hint(&msg) {
            Some(hint) => format!("{msg}{hint}"),
            None => msg,
        };
        Diagnostic::error(path, line, col, msg)
    })
}

/// serde says "unknown field `x`, expected one of `a`, `b`"; add the closest as a suggestion.
pub(super) fn unknown_field_hint(msg: &str) -> Option<String> {
    let rest = msg.strip_prefix("unknown field `")?;
    let (field, rest) = rest.split_once('`')?;
    let known: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
    suggest(field, known).map(|s| format!("; did you mean `{s}`?"))
}

#[cfg(test)]
#[path = "front_matter_tests.rs"]
mod tests;
