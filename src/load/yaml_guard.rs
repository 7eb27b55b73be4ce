//! Guards run on YAML before and after parsing: a nesting depth past which parsing would take
//! quadratic time (checked on the text, before serde_yaml_ng sees it), and values carrying
//! control characters or tags. Shared by front matter and `site.yaml`.

use std::path::Path;

use serde_yaml_ng::Value;

use crate::error::Diagnostic;

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
pub(crate) fn too_deep_diagnostic(
    path: &Path,
    yaml: &str,
    offset: usize,
    first_line: usize,
) -> Diagnostic {
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
