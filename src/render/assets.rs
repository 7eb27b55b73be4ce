//! What the site carries besides templated pages and exports: the theme's static files (with a classic-script copy of the search module for pages opened from disk).

use crate::i18n::Strings;
use crate::output::OutputFile;
use crate::theme::Theme;

/// The static files, in path order, leaving out any path that `is_page` (a rendered page keeps
/// its path over a static file of the same name; an export, made after them, replaces one).
pub(crate) fn assets(
    theme: &Theme,
    strings: &Strings,
    is_page: impl Fn(&str) -> bool,
) -> Vec<OutputFile> {
    let mut files = vec![OutputFile {
        path: "search/strings.js".into(),
        bytes: strings_script(strings).into_bytes(),
    }];
    for (path, bytes) in &theme.statics {
        files.push(OutputFile {
            path: path.clone(),
            bytes: bytes.clone(),
        });
    }
    if let Some(module) = theme.statics.get("search/search.js") {
        let rank = theme.statics.get("search/search-rank.js");
        files.push(OutputFile {
            path: "search/search-classic.js".into(),
            bytes: classic_script(
                &String::from_utf8_lossy(module),
                rank.map(|r| String::from_utf8_lossy(r)).as_deref(),
            )
            .into_bytes(),
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files.dedup_by(|a, b| a.path == b.path);
    files.retain(|f| !is_page(&f.path));
    files
}

/// The search client is an ES module, but Chromium refuses module scripts on `file://` pages; a
/// classic copy (everything above the module footer, wrapped in a function, exported as
/// `globalThis.casebook`) works there and from any host. The ranking script the module imports
/// (`search-rank.js`, a plain script) comes first inside it: one file for the page to fetch, as
/// many bytes as when it was part of the module.
fn classic_script(module: &str, rank: Option<&str>) -> String {
    const FOOTER: &str = "// @module-footer";
    let body = module.split(FOOTER).next().unwrap_or(module);
    let rank = rank.unwrap_or_default();
    format!(
        "(function () {{\n{rank}\n{body}\n__setBase(document.currentScript && document.currentScript.src);\n\
         globalThis.casebook = {{ createSearch, tokenize, queryTerms, normalize }};\n}})();\n"
    )
}

/// The search client's interface strings (`js.*`) as a classic script, so that pages opened from
/// `file://` can load it too: `window.casebookStrings = {...}`. The JSON is made safe for a
/// script: `<` is escaped (no `</script>`), and so are U+2028 and U+2029.
fn strings_script(strings: &Strings) -> String {
    let json = serde_json::to_string(&strings.with_prefix("js.")).unwrap_or_else(|_| "{}".into());
    let json = json
        .replace('<', "\\u003c")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029");
    format!("window.casebookStrings = {json};\n")
}
