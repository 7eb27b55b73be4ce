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

use crate::config::SiteConfig;
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

/// Deepest nesting of YAML collections accepted. Front matter and `site.yaml` nest three or four
/// levels; serde_yaml_ng gives up at 128, but only after its parser has spent time quadratic in
/// the depth (100,000 brackets in 200 KB took 29 s), so the depth is measured first.
pub(crate) const MAX_YAML_DEPTH: usize = 64;

/// The byte offset in `yaml` where collections nest deeper than [`MAX_YAML_DEPTH`], found in one
/// pass. The count over-estimates rather than misses (flow brackets outside quoted scalars and
/// comments, block indentation levels, compact `- - ` entries on one line); a real document
/// stays far below the cap either way.
pub(crate) fn too_deep(yaml: &str) -> Option<usize> {
    let b = yaml.as_bytes();
    let mut flow = 0usize;
    let mut indents: Vec<usize> = Vec::new();
    let mut quote: Option<u8> = None;
    // Indentation of the line that opened a `|` or `>` block scalar: deeper lines are its text.
    let mut block_scalar: Option<usize> = None;
    let mut start = 0;
    while start < b.len() {
        let end = b[start..]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(b.len(), |i| start + i);
        let line = &b[start..end];
        let next = end + 1;
        let indent = line.iter().take_while(|&&c| c == b' ').count();
        let blank = line[indent..].iter().all(|c| c.is_ascii_whitespace());
        if let Some(parent) = block_scalar {
            if blank || indent > parent {
                start = next;
                continue;
            }
            block_scalar = None;
        }
        let mut j = indent;
        let mut compact = 0;
        if quote.is_none() && flow == 0 && !blank {
            while indents.last().is_some_and(|&t| t > indent) {
                indents.pop();
            }
            if indents.last() != Some(&indent) {
                indents.push(indent);
            }
            while j + 1 < line.len() && matches!(line[j], b'-' | b'?') && line[j + 1] == b' ' {
                compact += 1;
                j += 2;
                while j < line.len() && line[j] == b' ' {
                    j += 1;
                }
            }
            if indents.len() + compact > MAX_YAML_DEPTH {
                return Some(start + j.min(line.len()));
            }
        }
        let mut prev = if j == 0 { b'\n' } else { line[j - 1] };
        while j < line.len() {
            let c = line[j];
            let token_start = matches!(prev, b' ' | b'\t' | b'\n' | b'[' | b'{' | b',' | b':');
            match quote {
                Some(b'"') if c == b'\\' => {
                    j += 2;
                    prev = b'x';
                    continue;
                }
                Some(q) if c == q => {
                    if q == b'\'' && line.get(j + 1) == Some(&b'\'') {
                        j += 2;
                        continue;
                    }
                    quote = None;
                }
                Some(_) => {}
                None => match c {
                    b'#' if token_start => break,
                    b'"' | b'\'' if token_start => quote = Some(c),
                    b'[' | b'{' if flow > 0 || token_start => {
                        flow += 1;
                        if flow + indents.len() + compact > MAX_YAML_DEPTH {
                            return Some(start + j);
                        }
                    }
                    b']' | b'}' => flow = flow.saturating_sub(1),
                    b'|' | b'>' if flow == 0 && token_start => {
                        let rest = String::from_utf8_lossy(&line[j + 1..]);
                        let rest = rest.trim_start_matches(|c: char| {
                            c.is_ascii_digit() || c == '+' || c == '-'
                        });
                        let rest = rest.trim_start();
                        if rest.is_empty() || rest.starts_with('#') {
                            block_scalar = Some(indent);
                            break;
                        }
                    }
                    _ => {}
                },
            }
            prev = c;
            j += 1;
        }
        start = next;
    }
    None
}

/// The diagnostic for a document nested past [`MAX_YAML_DEPTH`] at byte `offset` of `yaml`,
/// which starts on file line `first_line`.
fn too_deep_diagnostic(path: &Path, yaml: &str, offset: usize, first_line: usize) -> Diagnostic {
    let (line, col) = crate::error::line_col(yaml, offset);
    Diagnostic::error(
        path,
        line + first_line - 1,
        col,
        format!(
            "YAML nested more than {MAX_YAML_DEPTH} levels deep: flatten this value (a map of \
             lists is plenty)"
        ),
    )
}

/// Control characters other than tab and newline have no place in a title or a name: they make
/// `atom.xml` ill-formed XML (a NUL or a bell is not allowed there at all) and put NUL into
/// HTML. YAML's escapes (`"\0"`, `"\u0007"`) let them in where the raw text has none, so the
/// parsed values are checked. Also refuses YAML tags (`!x`), which no field of ours reads and
/// which made serde's messages contradict themselves ("must be a map, found a map").
pub(crate) fn check_value(value: &Value, what: &str, problems: &mut Vec<String>) {
    match value {
        Value::String(s) => {
            if let Some(c) = s.chars().find(|&c| is_bad_control(c)) {
                problems.push(format!(
                    "{what} contains the control character U+{:04X}: remove it (only tab and \
                     newline are allowed)",
                    c as u32
                ));
            }
        }
        Value::Sequence(items) => {
            for v in items {
                check_value(v, what, problems);
            }
        }
        Value::Mapping(m) => {
            for (k, v) in m {
                check_value(k, what, problems);
                check_value(v, what, problems);
            }
        }
        Value::Tagged(t) => problems.push(format!(
            "{what} has the YAML tag `{}`: tags are not supported, remove it",
            t.tag
        )),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// A C0 control character other than tab and newline (and DEL).
pub(crate) fn is_bad_control(c: char) -> bool {
    (c.is_ascii_control() && c != '\t' && c != '\n') || c == '\u{7f}'
}

/// A value of the front matter with the position of its key.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub(crate) value: Value,
    pub(crate) line: usize,
    pub(crate) col: usize,
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
        let (line, col) = key_position(split.yaml, &key, None)
            .map_or((split.yaml_line, 1), |(l, c)| (l + split.yaml_line - 1, c));
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
        item_position(&self.yaml, parent, item)
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
            let (line, col) = key_position(&self.yaml, &key, Some("metrics"))
                .map_or((field.line, field.col), |(l, c)| {
                    (l + self.start_line - 1, c)
                });
            let value = match v {
                Value::Null => None,
                // `.inf`, `.nan` and `1e999` are YAML numbers, but no count or rate is infinite;
                // they reached the charts as "NaN人" and widths a template could not compute.
                Value::Number(n) if n.as_f64().is_some_and(|x| !x.is_finite()) => {
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
    let mut in_parent = parent.is_none();
    for (i, line) in yaml.lines().enumerate() {
        let indent = line.len() - line.trim_start().len();
        let rest = line.trim_start();
        // `key:`, `"key":` or `'key':`, without building the quoted forms for every line.
        let quoted = |q: char| {
            rest.strip_prefix(q)
                .and_then(|r| r.strip_prefix(key))
                .and_then(|r| r.strip_prefix(q))
        };
        let is_key = rest
            .strip_prefix(key)
            .or_else(|| quoted('"'))
            .or_else(|| quoted('\''))
            .is_some_and(|r| r.trim_start().starts_with(':'));
        match parent {
            None if indent == 0 && is_key => return Some((i + 1, 1)),
            Some(p) => {
                if indent == 0 {
                    in_parent = rest.strip_prefix(p).is_some_and(|r| r.starts_with(':'));
                    // Flow style `metrics: { a: 1 }` keeps keys on the parent's line.
                    if in_parent && line.contains(&format!("{key}:")) {
                        let col = line[..line.find(&format!("{key}:"))?].chars().count() + 1;
                        return Some((i + 1, col));
                    }
                } else if in_parent && is_key {
                    return Some((i + 1, line[..indent].chars().count() + 1));
                }
            }
            None => {}
        }
    }
    None
}

/// Finds the 1-based (line, col) of list item `item` under the top-level key `parent`, in flow
/// style on the key's line or in block style on the indented `- ` lines after it.
fn item_position(yaml: &str, parent: &str, item: &str) -> Option<(usize, usize)> {
    let (start, _) = key_position(yaml, parent, None)?;
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
fn strip_location(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// A word for a YAML value's type, for "found ..." messages.
fn kind(v: &Value) -> &'static str {
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

/// The keys of `site.yaml` with what each must be, in words for messages.
const SITE_KEYS: &[(&str, &str)] = &[
    ("title", "a string"),
    ("subtitle", "a string"),
    ("description", "a string"),
    ("language", "a language tag such as `zh-CN`"),
    ("base_url", "a URL such as `https://example.org/digest/`"),
    ("theme", "a folder name under themes/"),
    (
        "sections",
        "a list of section names or `{ name: ..., by_city: true, description: ... }` maps",
    ),
    ("cities", "a list of city names"),
    (
        "metrics",
        "a map of metric key to `{ label: ..., unit: ..., aggregate: sum }`",
    ),
    (
        "tactics",
        "a map of tactic name to `{ description: ..., aliases: [...] }`",
    ),
    (
        "paginate_by",
        "a whole number (0 keeps each listing on one page)",
    ),
    (
        "limits",
        "a map such as `{ print_volume: 500, contents_page: 2000, metrics_table: 500, \
         max_file_mb: 64 }`",
    ),
    (
        "nouns",
        "a map of noun to the site's word, e.g. `{ report: 案例, county: 区县 }`",
    ),
    (
        "og_image",
        "a path in the site, e.g. `share.png` (from static/)",
    ),
];

/// Parses `site.yaml` key by key, so that every problem is reported in one run, each at the
/// line of its key (entries of `metrics`, `tactics` and `limits` at their own line), in words
/// rather than serde's type names. What is wrong is left at its default.
pub(crate) fn parse_config(path: &Path, text: &str, diags: &mut Vec<Diagnostic>) -> SiteConfig {
    if let Some(offset) = too_deep(text) {
        diags.push(too_deep_diagnostic(path, text, offset, 1));
        return SiteConfig::default();
    }
    let value: Value = match serde_yaml_ng::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let (line, col) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
            diags.push(Diagnostic::error(
                path,
                line,
                col,
                format!("invalid YAML: {}", strip_location(&e.to_string())),
            ));
            return SiteConfig::default();
        }
    };
    let map = match value {
        Value::Mapping(m) => m,
        Value::Null => return SiteConfig::default(),
        other => {
            diags.push(Diagnostic::error(
                path,
                1,
                1,
                format!(
                    "site.yaml must be a map of `key: value` lines, found {}",
                    kind(&other)
                ),
            ));
            return SiteConfig::default();
        }
    };
    let mut accepted = Mapping::new();
    for (k, v) in map {
        let Some(key) = k.as_str().map(str::to_owned) else {
            diags.push(Diagnostic::error(
                path,
                1,
                1,
                format!("site.yaml keys must be strings, found {}", kind(&k)),
            ));
            continue;
        };
        let (line, col) = key_position(text, &key, None).unwrap_or((1, 1));
        let Some(&(_, expected)) = SITE_KEYS.iter().find(|(k, _)| *k == key) else {
            let known = SITE_KEYS.iter().map(|(k, _)| *k);
            let hint = suggest(&key, known.clone())
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_else(|| {
                    format!(
                        "; expected one of: {}",
                        known.collect::<Vec<_>>().join(", ")
                    )
                });
            diags.push(Diagnostic::error(
                path,
                line,
                col,
                format!("unknown setting `{key}`{hint}"),
            ));
            continue;
        };
        let before = diags.len();
        // Controls and tags first (see `check_value`), entry by entry where entries have lines.
        let bad = |value: &Value, what: String, at: (usize, usize), diags: &mut Vec<Diagnostic>| {
            let mut problems = Vec::new();
            check_value(value, &what, &mut problems);
            let found = !problems.is_empty();
            diags.extend(
                problems
                    .into_iter()
                    .map(|p| Diagnostic::error(path, at.0, at.1, p)),
            );
            found
        };
        let at = |entry: &str| key_position(text, entry, Some(&key)).unwrap_or((line, col));
        match (&v, key.as_str()) {
            // Each entry on its own, so that three bad entries are three messages at their lines.
            (Value::Mapping(entries), "metrics" | "tactics" | "limits") => {
                for (name, def) in entries {
                    let Some(name) = name.as_str().map(str::to_owned) else {
                        diags.push(Diagnostic::error(
                            path,
                            line,
                            col,
                            format!("`{key}` keys must be strings, found {}", kind(name)),
                        ));
                        continue;
                    };
                    let (l, c) = at(&name);
                    if bad(def, format!("`{key}.{name}`"), (l, c), diags)
                        | bad(
                            &Value::String(name.clone()),
                            format!("`{key}`"),
                            (l, c),
                            diags,
                        )
                    {
                        continue;
                    }
                    let check = match key.as_str() {
                        "metrics" => check_as::<crate::config::MetricDef>(
                            def,
                            def,
                            "a map with `label`, and optionally `unit` and `aggregate` (sum, \
                             mean or max)",
                        ),
                        "tactics" => check_as::<crate::config::TacticDef>(
                            def,
                            def,
                            "a map with `description` and `aliases`, e.g. `{ description: ..., \
                             aliases: [...] }`",
                        ),
                        _ => {
                            let mut one = Mapping::new();
                            one.insert(Value::String(name.clone()), def.clone());
                            check_as::<crate::config::Limits>(
                                &Value::Mapping(one),
                                def,
                                "a whole number",
                            )
                        }
                    };
                    if let Err(msg) = check {
                        diags.push(Diagnostic::error(
                            path,
                            l,
                            c,
                            format!("`{key}.{name}`: {msg}"),
                        ));
                    }
                }
            }
            (Value::Sequence(items), "sections") => {
                for (i, item) in items.iter().enumerate() {
                    if bad(
                        item,
                        format!("`sections` entry {}", i + 1),
                        (line, col),
                        diags,
                    ) {
                        continue;
                    }
                    if let Err(msg) = check_as::<crate::config::SectionDef>(item, item, expected) {
                        diags.push(Diagnostic::error(
                            path,
                            line,
                            col,
                            format!("`sections` entry {}: {msg}", i + 1),
                        ));
                    }
                }
            }
            _ => {
                if bad(&v, format!("`{key}`"), (line, col), diags) {
                    continue;
                }
                let mut one = Mapping::new();
                one.insert(k.clone(), v.clone());
                if let Err(msg) = check_as::<SiteConfig>(&Value::Mapping(one), &v, expected) {
                    diags.push(Diagnostic::error(
                        path,
                        line,
                        col,
                        format!("`{key}`: {msg}"),
                    ));
                }
            }
        }
        if diags.len() == before {
            accepted.insert(k, v);
        }
    }
    // Every accepted key deserialized on its own; together they cannot fail, but should they,
    // the message still has a place.
    serde_yaml_ng::from_value(Value::Mapping(accepted)).unwrap_or_else(|e| {
        diags.push(Diagnostic::error(
            path,
            1,
            1,
            strip_location(&e.to_string()),
        ));
        SiteConfig::default()
    })
}

/// Deserializes `value` as `T` to see whether `shown` (the value as written, `value` itself or
/// the one entry of it) fits, with serde's message made plain: no type names of ours ("struct
/// TacticDef") or of Rust's ("usize"), "must be ..., found ..." for a wrong value, and the
/// closest name for an unknown field.
fn check_as<T: DeserializeOwned>(
    value: &Value,
    shown: &Value,
    expected: &str,
) -> Result<(), String> {
    let Err(e) = serde_yaml_ng::from_value::<T>(value.clone()) else {
        return Ok(());
    };
    let msg = strip_location(&e.to_string());
    if let Some(hint) = unknown_field_hint(&msg) {
        return Err(format!("{msg}{hint}"));
    }
    if msg.starts_with("unknown field") || msg.starts_with("unknown variant") {
        return Err(msg);
    }
    let wrong = msg.starts_with("invalid type") || msg.starts_with("invalid value");
    let ours = msg.contains("struct ") || msg.contains("enum ") || msg.contains("any variant");
    let found = match shown {
        Value::Mapping(_) | Value::Sequence(_) | Value::Null => kind(shown).to_string(),
        v => format!(
            "{} `{}`",
            kind(v),
            serde_yaml_ng::to_string(v).unwrap_or_default().trim()
        ),
    };
    if ours || (wrong && !matches!(shown, Value::Mapping(_) | Value::Sequence(_))) {
        return Err(format!("must be {expected}, found {found}"));
    }
    // A field inside a map (`aliases: 3`): serde's words, with Rust's type names made plain.
    let mut msg = msg;
    for (rust, plain) in [
        ("usize", "a whole number"),
        ("u64", "a whole number"),
        ("i64", "a whole number"),
        ("f64", "a number"),
        ("a sequence", "a list"),
        ("sequence", "a list"),
    ] {
        msg = msg.replace(rust, plain);
    }
    Err(msg)
}

/// serde says "unknown field `x`, expected one of `a`, `b`"; add the closest as a suggestion.
fn unknown_field_hint(msg: &str) -> Option<String> {
    let rest = msg.strip_prefix("unknown field `")?;
    let (field, rest) = rest.split_once('`')?;
    let known: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
    suggest(field, known).map(|s| format!("; did you mean `{s}`?"))
}

#[cfg(test)]
#[path = "front_matter_tests.rs"]
mod tests;
