//! What the site carries besides templated pages: the data exports and the theme's static
//! files (with a classic-script copy of the search module for pages opened from disk).

use std::collections::BTreeSet;

use super::exports;
use crate::error::Result;
use crate::model::Site;
use crate::output::OutputFile;
use crate::theme::Theme;

/// The exports and static files, in path order, leaving out any path in `pages` (a rendered
/// page keeps its path over a static file of the same name).
pub(crate) fn assets(
    site: &Site,
    theme: &Theme,
    pages: &BTreeSet<String>,
) -> Result<Vec<OutputFile>> {
    let mut files = exports::exports(site)?;
    for (path, bytes) in &theme.statics {
        files.push(OutputFile {
            path: path.clone(),
            bytes: bytes.clone(),
        });
    }
    if let Some(module) = theme.statics.get("search/search.js") {
        files.push(OutputFile {
            path: "search/search-classic.js".into(),
            bytes: classic_script(&String::from_utf8_lossy(module)).into_bytes(),
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files.dedup_by(|a, b| a.path == b.path);
    files.retain(|f| !pages.contains(&f.path));
    Ok(files)
}

/// The search client is an ES module, but Chromium refuses module scripts on `file://` pages; a
/// classic copy (everything above the module footer, wrapped in a function, exported as
/// `globalThis.casebook`) works there and from any host.
fn classic_script(module: &str) -> String {
    const FOOTER: &str = "// @module-footer";
    let body = module.split(FOOTER).next().unwrap_or(module);
    format!(
        "(function () {{\n{body}\n__setBase(document.currentScript && document.currentScript.src);\n\
         globalThis.casebook = {{ createSearch, tokenize, queryTerms, normalize }};\n}})();\n"
    )
}
