//! Helpers for reading built sites: entity decoding, text of elements, tables, link walking.
//! HTML is examined with a few regexes rather than a parser: the theme's output is regular, and
//! a failed match shows the page in the assertion message.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::{Component, Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;

use crate::harness::{copy_dir, repo, Site};

/// The fixture digest of `tests/fixtures/build/site`, copied to a temp folder.
pub(super) fn fixture_site() -> Site {
    Site::fixture("build/site")
}

/// A copy of the repository's real digest (`content/` and `site.yaml`) in a temp folder.
pub(super) fn real_digest() -> Site {
    let site = Site::new();
    copy_dir(&repo().join("content"), &site.root().join("content"));
    fs::copy(repo().join("site.yaml"), site.root().join("site.yaml")).unwrap();
    site
}

/// Decodes the character references that Tera and pulldown-cmark write (`&#x2F;`, `&amp;`...).
pub(super) fn decode(s: &str) -> String {
    static REF: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"&(#[xX][0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);").unwrap());
    REF.replace_all(s, |c: &regex::Captures<'_>| {
        let r = &c[1];
        let ch = if let Some(hex) = r.strip_prefix("#x").or_else(|| r.strip_prefix("#X")) {
            u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
        } else if let Some(dec) = r.strip_prefix('#') {
            dec.parse().ok().and_then(char::from_u32)
        } else {
            match r {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                _ => None,
            }
        };
        ch.map_or_else(|| c[0].to_string(), String::from)
    })
    .into_owned()
}

/// Decodes `%XX` escapes (fragments of Chinese heading ids may be written either way).
pub(super) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The `<main>` element of a page (the part that differs between pages).
pub(super) fn main_of(html: &str) -> &str {
    let start = html
        .find("<main")
        .unwrap_or_else(|| panic!("no <main> in:\n{html}"));
    let end = html[start..]
        .find("</main>")
        .map_or(html.len(), |e| start + e + "</main>".len());
    &html[start..end]
}

/// Text content: tags become spaces, references are decoded, whitespace is collapsed.
pub(super) fn text(html: &str) -> String {
    static TAG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?s)<[^>]*>").unwrap());
    let plain = decode(&TAG.replace_all(html, " "));
    plain.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Asserts that `needles` occur in `hay` in this order.
pub(super) fn assert_in_order(hay: &str, needles: &[&str]) {
    let mut from = 0;
    for n in needles {
        match hay[from..].find(n) {
            Some(i) => from += i + n.len(),
            None => panic!("`{n}` missing or out of order (expected order {needles:?}) in:\n{hay}"),
        }
    }
}

/// The `<table>` whose opening tag or caption region contains `marker`, as rows of cell texts.
pub(super) fn table_rows(html: &str, marker: &str) -> Vec<Vec<String>> {
    static TABLE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?s)<table\b[^>]*>.*?</table>").unwrap());
    static ROW: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?s)<tr\b[^>]*>(.*?)</tr>").unwrap());
    static CELL: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?s)<t[hd]\b[^>]*>(.*?)</t[hd]>").unwrap());
    let table = TABLE
        .find_iter(html)
        .map(|m| m.as_str())
        .find(|t| decode(t).contains(marker))
        .unwrap_or_else(|| panic!("no table with `{marker}` in:\n{html}"));
    ROW.captures_iter(table)
        .map(|r| CELL.captures_iter(&r[1]).map(|c| text(&c[1])).collect())
        .collect()
}

/// The row whose first cell is `first`.
pub(super) fn row<'a>(rows: &'a [Vec<String>], first: &str) -> &'a [String] {
    rows.iter()
        .find(|r| r.first().is_some_and(|c| c == first))
        .unwrap_or_else(|| panic!("no row `{first}` in {rows:#?}"))
}

/// Every `href`, `src` and `action` value of a page, decoded.
pub(super) fn links(html: &str) -> Vec<String> {
    static ATTR: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"\s(?:href|src|action)\s*=\s*(?:"([^"]*)"|'([^']*)')"#).unwrap()
    });
    ATTR.captures_iter(html)
        .map(|c| decode(c.get(1).or_else(|| c.get(2)).unwrap().as_str()))
        .collect()
}

/// Every `id` of a page, decoded.
pub(super) fn ids(html: &str) -> BTreeSet<String> {
    static ID: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"\sid\s*=\s*(?:"([^"]*)"|'([^']*)')"#).unwrap());
    ID.captures_iter(html)
        .map(|c| decode(c.get(1).or_else(|| c.get(2)).unwrap().as_str()))
        .collect()
}

/// Every file under `dir` (relative `/`-separated path -> bytes).
pub(super) fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap();
            (
                rel.to_string_lossy().replace('\\', "/"),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// Every entry (files and folders) under `dir`, relative, skipping `skip` at the top level.
pub(super) fn tree(dir: &Path, skip: &str) -> BTreeSet<String> {
    walkdir::WalkDir::new(dir)
        .min_depth(1)
        .into_iter()
        .filter_entry(|e| !(e.depth() == 1 && e.file_name() == skip))
        .map(|e| {
            let e = e.unwrap();
            e.path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

/// Resolves a link of page `from` (relative to `out`) to an output-relative path; `Err` says why
/// it cannot work from disk or under a sub-path. `Ok(None)` for links that leave the site.
fn resolve(from: &str, link: &str) -> Result<Option<(String, String)>, String> {
    let l = link.trim();
    if l.is_empty() {
        return Err("empty link".into());
    }
    let lower = l.to_ascii_lowercase();
    if ["http:", "https:", "mailto:", "data:"]
        .iter()
        .any(|s| lower.starts_with(s))
    {
        return Ok(None);
    }
    if l.starts_with('/') || l.starts_with('\\') {
        return Err("root-absolute link (breaks under a sub-path and from file://)".into());
    }
    let before_slash = l.split(['/', '?', '#']).next().unwrap_or_default();
    if before_slash.contains(':') {
        return Err("unexpected URL scheme".into());
    }
    let (path, fragment) = l.split_once('#').unwrap_or((l, ""));
    let path = path.split('?').next().unwrap_or_default();
    let path = percent_decode(path);
    if path.is_empty() {
        return Ok(Some((from.to_string(), percent_decode(fragment))));
    }
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop(); // the page's own file name
    for c in Path::new(&path).components() {
        match c {
            Component::Normal(s) => parts.push(s.to_str().unwrap()),
            Component::ParentDir => {
                if parts.pop().is_none() {
                    return Err("climbs above the output folder".into());
                }
            }
            Component::CurDir => {}
            _ => return Err("not a relative path".into()),
        }
    }
    let mut target = parts.join("/");
    if path.ends_with('/') || target.is_empty() {
        // A folder link needs a server to pick index.html; from file:// it shows a listing.
        return Err("links to a folder, not a file (breaks from file://)".into());
    }
    if target.ends_with('/') {
        target.pop();
    }
    Ok(Some((target, percent_decode(fragment))))
}

/// Walks every `.html` file under `out` and returns each link that does not resolve to a file of
/// the output (or to an `id` of the target page, for `#fragment`s), as `page: link: why`.
pub(super) fn broken_links(out: &Path) -> Vec<String> {
    let files = snapshot(out);
    let mut id_cache: HashMap<String, BTreeSet<String>> = HashMap::new();
    let mut problems = Vec::new();
    let mut checked = 0;
    for (rel, bytes) in files.iter().filter(|(p, _)| p.ends_with(".html")) {
        let html = String::from_utf8_lossy(bytes);
        for link in links(&html) {
            checked += 1;
            let (target, fragment) = match resolve(rel, &link) {
                Ok(Some(t)) => t,
                Ok(None) => continue,
                Err(why) => {
                    problems.push(format!("{rel}: `{link}`: {why}"));
                    continue;
                }
            };
            let Some(target_bytes) = files.get(&target) else {
                problems.push(format!("{rel}: `{link}`: no file {target}"));
                continue;
            };
            if !fragment.is_empty() && target.ends_with(".html") {
                let ids = id_cache
                    .entry(target.clone())
                    .or_insert_with(|| ids(&String::from_utf8_lossy(target_bytes)));
                if !ids.contains(&fragment) {
                    problems.push(format!("{rel}: `{link}`: no id `{fragment}` in {target}"));
                }
            }
        }
    }
    assert!(checked > 0, "no links found under {}", out.display());
    problems
}

/// Asserts that every link of the site under `out` resolves.
pub(super) fn assert_links_resolve(out: &Path) {
    let problems = broken_links(out);
    assert!(
        problems.is_empty(),
        "{} broken link(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The output folder of a site.
pub(super) fn out_dir(site: &Site) -> PathBuf {
    site.root().join("output")
}

/// Runs a command on the site and returns (success, exit code, stderr).
pub(super) fn run(site: &Site, args: &[&str]) -> (Option<i32>, String) {
    let out = site.run(args);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Asserts that a link of `html` (decoded) points at `target` (a suffix such as
/// `reports/sandun/index.html`).
pub(super) fn assert_links_to(html: &str, target: &str) {
    assert!(
        links(html).iter().any(|l| l.ends_with(target)),
        "no link to {target} in:\n{html}"
    );
}
