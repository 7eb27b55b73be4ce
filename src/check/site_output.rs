//! What the rendered site holds: its paths, the ids on each HTML page, and every page some
//! other page links to (for pages nothing links to).

use std::collections::{HashMap, HashSet};

use super::links::{resolve_relative, Target};
use crate::output::OutputFile;

/// What the rendered site holds: its paths, the ids on each HTML page, and every page some
/// other page links to.
pub(super) struct Output<'a> {
    pub(super) paths: HashSet<&'a str>,
    pub(super) ids: HashMap<&'a str, HashSet<String>>,
    pub(super) linked: HashSet<String>,
    /// Whether `ids` holds the ids of every page: false for a build, which knows the paths it
    /// wrote but does not read its pages back (anchors then count only in Markdown headings).
    pub(super) scanned: bool,
}

impl<'a> Output<'a> {
    /// The paths alone, as a build knows them.
    pub(super) fn paths(paths: impl IntoIterator<Item = &'a str>) -> Self {
        Output {
            paths: paths.into_iter().collect(),
            ids: HashMap::new(),
            linked: HashSet::new(),
            scanned: false,
        }
    }

    pub(super) fn new(files: &'a [OutputFile]) -> Self {
        let mut out = Output {
            paths: files.iter().map(|f| f.path.as_str()).collect(),
            ids: HashMap::new(),
            linked: HashSet::new(),
            scanned: true,
        };
        for f in files.iter().filter(|f| f.path.ends_with(".html")) {
            let html = String::from_utf8_lossy(&f.bytes);
            out.ids
                .insert(f.path.as_str(), attributes(&html, "id").collect());
            for href in attributes(&html, "href") {
                if let Some(Target::Relative(rel)) = Target::of(&href) {
                    if let Some(target) = resolve_relative(&f.path, &rel) {
                        let target = out.page_of(&target);
                        if target != f.path {
                            out.linked.insert(target);
                        }
                    }
                }
            }
        }
        out
    }

    /// The file a resolved link path opens: a folder means its `index.html`.
    pub(super) fn page_of(&self, path: &str) -> String {
        if path.is_empty() || path.ends_with('/') {
            format!("{path}index.html")
        } else if !self.paths.contains(path)
            && self.paths.contains(format!("{path}/index.html").as_str())
        {
            format!("{path}/index.html")
        } else {
            path.to_string()
        }
    }
}

/// Values of attribute `name` in HTML, character references decoded. Enough for the HTML our
/// templates and pulldown-cmark write: attributes always double-quoted, and Tera escaping `/`
/// as `&#x2F;` in every URL it prints.
pub(super) fn attributes<'h>(html: &'h str, name: &'h str) -> impl Iterator<Item = String> + 'h {
    let needle = format!(" {name}=\"");
    html.match_indices(needle.as_str())
        .map(|(i, _)| i)
        .collect::<Vec<_>>()
        .into_iter()
        .filter_map(move |i| {
            let start = i + name.len() + 3;
            let end = html[start..].find('"')? + start;
            Some(unescape(&html[start..end]))
        })
}

/// Decodes HTML character references: numeric ones and the five XML names.
pub(super) fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let decoded = rest.find(';').filter(|&end| end <= 10).and_then(|end| {
            let entity = &rest[1..end];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .map(|h| u32::from_str_radix(h, 16))
                    .or_else(|| entity.strip_prefix('#').map(str::parse::<u32>))
                    .and_then(|n| n.ok())
                    .and_then(char::from_u32),
            }?;
            Some((c, end + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}
