//! HTML rendered once and placed into pages by reference.
//!
//! A page that lists thousands of reports (a tactic, the 速写 section, the metrics table, the
//! print edition) would otherwise carry every listed report's HTML, or every field it is made
//! from, through Tera as JSON values: at 100x the digest that was most of the render stage's
//! time and peak memory (the print edition's context alone was ~75 MB). Instead such a page's
//! context holds short markers; each marker's HTML is rendered separately (once per report for
//! listing entries, in parallel for a page's own fragments), and [`Marks::splice`] puts it in
//! place after Tera has rendered the page. This is Hugo's `partialCached`, done for the theme.
//!
//! A marker is a private-use character, a nonce drawn once per process, a table letter, an index
//! and a check value, closed by another private-use character. Content cannot forge one (it does
//! not know the nonce), HTML escaping leaves it untouched, and the check value (a hash of the
//! fragment) makes a page's data change whenever a fragment it shows changes, which is what the
//! incremental render of `serve` compares.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use crate::error::{Error, Result};

const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';

/// Listing entries shared by every page (`report_item.html`, one per report), for pages two
/// folders deep (a listing's first page).
pub(crate) const ITEMS: char = 'i';
/// The same entries for pages four folders deep (`<kind>/<slug>/page/<n>/`).
pub(crate) const DEEP_ITEMS: char = 'j';
/// A page's own fragments (print articles, metrics rows).
pub(crate) const OWN: char = 'p';
/// Where the path to the site root goes in a fragment that pages at several depths share.
const ROOT: char = 'r';

/// A fragment to put in place of a marker: its HTML, and the path to the site root that
/// replaces [`Marks::root`] in it when it is shared by pages at several depths.
pub(crate) type Fragment<'f> = (&'f str, Option<&'f str>);

/// `OPEN` and this process's nonce: what every marker begins with.
pub(crate) fn prefix() -> &'static str {
    static PREFIX: OnceLock<String> = OnceLock::new();
    PREFIX.get_or_init(|| {
        let nonce = std::collections::hash_map::RandomState::new().hash_one(0);
        format!("{OPEN}{nonce:016x}")
    })
}

/// Makes markers and replaces them.
#[derive(Debug, Clone)]
pub(crate) struct Marks {
    /// `OPEN` and the nonce.
    prefix: String,
    /// Finds `prefix`, compiled once: `str::find` with a string pattern sets up a two-way
    /// searcher on every call, and splicing calls it for every page and listing entry.
    find_prefix: memchr::memmem::Finder<'static>,
    /// Finds [`Marks::root`]'s placeholder.
    find_root: memchr::memmem::Finder<'static>,
}

impl Marks {
    /// Markers with this process's nonce: stable across the rebuilds of one `serve`, so unchanged
    /// pages keep their data hash; unknown to content.
    pub(crate) fn new() -> Self {
        let prefix = prefix().to_string();
        let root = root_of(&prefix);
        Marks {
            find_prefix: memchr::memmem::Finder::new(prefix.as_bytes()).into_owned(),
            find_root: memchr::memmem::Finder::new(root.as_bytes()).into_owned(),
            prefix,
        }
    }

    /// The marker of fragment `index` of `table`, whose HTML is `html`.
    pub(crate) fn mark(&self, table: char, index: usize, html: &str) -> String {
        let mut h = crate::fingerprint::hasher();
        // Without the nonce of the root placeholders in it, so the check value is the same in
        // every process (a build keeps the last build's page by it).
        for piece in html.split(self.prefix.as_str()) {
            piece.hash(&mut h);
        }
        format!("{}{table}{index}.{:x}{CLOSE}", self.prefix, h.finish())
    }

    /// The placeholder for the path to the site root in a fragment shared by pages at several
    /// depths (listing entries): one rendering per report serves them all, and [`Marks::splice`]
    /// writes each page's own path. Content cannot forge it (it carries the nonce).
    pub(crate) fn root(&self) -> String {
        root_of(&self.prefix)
    }

    /// Replaces every marker in `html` by its fragment, `resolve(table, index)`, with the
    /// fragment's [`Marks::root`] placeholders made the given path. A marker that does not
    /// resolve is left as it is (it cannot come from content; see the module docs).
    pub(crate) fn splice<'f>(
        &self,
        html: String,
        resolve: impl Fn(char, usize) -> Option<Fragment<'f>>,
    ) -> String {
        if self.find_prefix.find(html.as_bytes()).is_none() {
            return html;
        }
        let placeholder = self.root();
        let roots_in = |f: &str| self.find_root.find_iter(f.as_bytes()).count();
        // Two passes: the first sizes the result, so a 25 MB page is not grown by doubling.
        let mut size = html.len();
        self.each(
            &html,
            |piece| {
                if let Piece::Fragment(marker, (f, root)) = piece {
                    let roots = root.map_or(0, |_| roots_in(f));
                    let root_len = root.map_or(0, str::len);
                    size = size + f.len() + roots * root_len
                        - roots * placeholder.len()
                        - marker.len();
                }
            },
            &resolve,
        );
        let mut out = String::with_capacity(size);
        self.each(
            &html,
            |piece| match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Fragment(_, (f, None)) => out.push_str(f),
                Piece::Fragment(_, (f, Some(root))) => {
                    let mut rest = f;
                    while let Some(at) = self.find_root.find(rest.as_bytes()) {
                        out.push_str(&rest[..at]);
                        out.push_str(root);
                        rest = &rest[at + placeholder.len()..];
                    }
                    out.push_str(rest);
                }
            },
            &resolve,
        );
        out
    }

    /// Calls `f` with the text between markers and each resolved marker, in order.
    fn each<'h, 'f>(
        &self,
        html: &'h str,
        mut f: impl FnMut(Piece<'h, 'f>),
        resolve: &impl Fn(char, usize) -> Option<Fragment<'f>>,
    ) {
        let mut rest = html;
        // Positions are char boundaries: both patterns begin with a whole character.
        while let Some(at) = self.find_prefix.find(rest.as_bytes()) {
            let after = &rest[at + self.prefix.len()..];
            let parsed = after.find(CLOSE).and_then(|end| {
                let body = &after[..end];
                let mut chars = body.chars();
                let table = chars.next()?;
                let index = chars.as_str().split('.').next()?.parse().ok()?;
                Some((end, resolve(table, index)?))
            });
            match parsed {
                Some((end, fragment)) => {
                    let marker_end = at + self.prefix.len() + end + CLOSE.len_utf8();
                    f(Piece::Text(&rest[..at]));
                    f(Piece::Fragment(&rest[at..marker_end], fragment));
                    rest = &rest[marker_end..];
                }
                None => {
                    let skip = at + self.prefix.len();
                    f(Piece::Text(&rest[..skip]));
                    rest = &rest[skip..];
                }
            }
        }
        f(Piece::Text(rest));
    }
}

/// The root placeholder of markers that begin with `prefix`.
fn root_of(prefix: &str) -> String {
    format!("{prefix}{ROOT}{CLOSE}")
}

enum Piece<'h, 'f> {
    Text(&'h str),
    /// The marker's text and its fragment.
    Fragment(&'h str, Fragment<'f>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_replaced_and_forgeries_are_not() {
        let m = Marks::new();
        let items = ["<li>a</li>".to_string(), "<li>bb</li>".to_string()];
        let own = ["<p>x</p>".to_string()];
        let page = format!(
            "<ul>{}{}</ul>{}{OPEN}0000000000000000i0.0{CLOSE}{}",
            m.mark(ITEMS, 1, &items[1]),
            m.mark(ITEMS, 0, &items[0]),
            m.mark(OWN, 0, &own[0]),
            m.mark(ITEMS, 7, "missing"),
        );
        let out = m.splice(page, |t, i| match t {
            ITEMS => items.get(i).map(|h| (h.as_str(), None)),
            OWN => own.get(i).map(|h| (h.as_str(), None)),
            _ => None,
        });
        assert!(
            out.starts_with("<ul><li>bb</li><li>a</li></ul><p>x</p>"),
            "{out}"
        );
        // A marker without the nonce (as content could write) and an unknown index stay text.
        assert!(
            out.contains(&format!("{OPEN}0000000000000000i0.0{CLOSE}")),
            "{out}"
        );
        assert!(out.ends_with(&m.mark(ITEMS, 7, "missing")), "{out}");
    }

    #[test]
    fn a_shared_fragment_gets_each_pages_root_and_a_forged_root_stays_text() {
        let m = Marks::new();
        let item = format!("<a href=\"{0}r/a/\">{0}</a>", m.root());
        let forged = format!("{OPEN}0000000000000000{ROOT}{CLOSE}");
        let own = format!("<p>{forged}</p>");
        let page = format!(
            "{}|{}|{}",
            m.mark(ITEMS, 0, &item),
            m.mark(DEEP_ITEMS, 0, &item),
            m.mark(OWN, 0, &own)
        );
        let out = m.splice(page, |t, _| match t {
            ITEMS => Some((item.as_str(), Some("../../"))),
            DEEP_ITEMS => Some((item.as_str(), Some("../../../../"))),
            OWN => Some((own.as_str(), None)),
            _ => None,
        });
        let want = format!(
            "<a href=\"../../r/a/\">../../</a>|<a href=\"../../../../r/a/\">../../../../</a>|<p>{forged}</p>"
        );
        assert_eq!(out, want);
        assert_eq!(out.capacity(), out.len(), "sized exactly in the first pass");
    }

    #[test]
    fn a_kept_thing_is_found_at_its_place_or_by_key_and_the_map_only_when_needed() {
        let keys = [10u64, 20, 30];
        let looked = std::cell::Cell::new(0);
        let placed = Placed::new(keys.len(), |j| {
            looked.set(looked.get() + 1);
            keys[j]
        });
        assert_eq!(placed.find(1, 20), Some(1));
        assert_eq!(placed.find(2, 30), Some(2));
        assert_eq!(looked.get(), 2, "at their places: no map");
        // Moved, new, and past the end of the old list.
        assert_eq!(placed.find(0, 30), Some(2));
        assert_eq!(placed.find(1, 99), None);
        assert_eq!(placed.find(5, 10), Some(0));
        // One look at its own place each (none past the end), and the map built once.
        assert_eq!(looked.get(), 2 + (1 + 3) + 1);
    }

    #[test]
    fn a_changed_fragment_changes_its_marker() {
        let m = Marks::new();
        assert_ne!(m.mark(ITEMS, 0, "a"), m.mark(ITEMS, 0, "b"));
        assert_eq!(m.mark(ITEMS, 0, "a"), Marks::new().mark(ITEMS, 0, "a"));
        let plain = "<p>no markers</p>".to_string();
        assert_eq!(m.splice(plain.clone(), |_, _| None), plain);
    }
}

/// Takes a file made of [`Text`] (path, content): the build writes it, `serve` keeps it.
pub(crate) type Emit<'a> = dyn Fn(String, Text) -> Result<()> + Sync + 'a;

/// Text a stage makes once and may share: a fragment, a data file, an export. The build makes
/// each one once and owns it; `serve` keeps it from one rebuild to the next and shares it
/// between the cache, the pages that splice it in and the files it serves, without copies.
#[derive(Debug, Clone)]
pub(crate) enum Text {
    /// Made now, by a build without a cache.
    Made(String),
    /// `serve`: the very text of the last rebuild, taken from the cache.
    Kept(Arc<str>),
    /// `serve`: made by this rebuild, and kept in the cache for the next.
    Fresh(Arc<str>),
}

impl std::ops::Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            Text::Made(s) => s,
            Text::Kept(s) | Text::Fresh(s) => s,
        }
    }
}

impl Text {
    /// The bytes of a file to write (a copy only for kept text).
    pub(crate) fn into_bytes(self) -> Vec<u8> {
        match self {
            Text::Made(s) => s.into_bytes(),
            Text::Kept(s) | Text::Fresh(s) => s.as_bytes().to_vec(),
        }
    }

    /// The bytes of a file to serve from memory (a copy only for text made now).
    pub(crate) fn into_shared(self) -> Arc<[u8]> {
        match self {
            Text::Made(s) => Arc::from(s.into_bytes()),
            Text::Kept(s) | Text::Fresh(s) => Arc::from(s),
        }
    }

    /// The same text, counted as made by this rebuild.
    pub(crate) fn fresh(self) -> Text {
        match self {
            Text::Kept(s) => Text::Fresh(s),
            t => t,
        }
    }

    /// Whether the text was made by this rebuild (not the last rebuild's very text).
    pub(crate) fn is_new(&self) -> bool {
        !matches!(self, Text::Kept(_))
    }
}

/// Fragments rendered by the last rebuild of `serve`, by the key of their template and context
/// (see `job::key_of`): a listing entry, print article or metrics row whose context is the
/// same is taken from here instead of rendered again.
///
/// One table kept from rebuild to rebuild, each entry marked with the last rebuild that used
/// it: a rebuild marks what it takes, adds what it made, and drops what it did not use. Moving
/// the 60,000 entries of 100x the digest into a new table on every save, and freeing the old
/// one, was some 10 ms of each save.
#[derive(Debug, Default)]
pub(crate) struct FragmentCache {
    /// Fragments by key (already a hash: see [`Unhashed`]), each with the generation of the
    /// last rebuild that used it.
    kept: HashMap<u64, (Arc<str>, AtomicU32), BuildHasherDefault<Unhashed>>,
    /// Made by this rebuild, to keep if it succeeds.
    made: Mutex<Vec<(u64, Arc<str>)>>,
    /// This rebuild's generation.
    generation: u32,
    /// Each report's fingerprint of the last rebuild, in report order, with what it was made
    /// from (looked for at the report's own place first: reports rarely move).
    pub(crate) prints: Vec<Print>,
    /// This rebuild's, for the next one.
    pub(crate) next_prints: Mutex<Vec<Print>>,
    /// The JSON and CSV tables of the last rebuild, with where each report's row is in them:
    /// when one report changes they are put together again from the last tables' text and
    /// that report's new rows, instead of made again (85 ms at 100x the digest).
    pub(crate) tables: Mutex<Option<KeptTables>>,
    /// The listing entries of the last rebuild (taken by the next one while it renders).
    pub(crate) items: Mutex<Option<KeptItems>>,
}

/// Every report's listing entry of a rebuild, in report order: the fingerprint it was made
/// for, its HTML and its markers (which name its place).
#[derive(Debug)]
pub(crate) struct KeptItems {
    pub(crate) prints: Vec<u64>,
    pub(crate) html: Vec<Arc<str>>,
    pub(crate) marks: Vec<String>,
    pub(crate) deep: Option<Vec<String>>,
}

/// The hasher of [`FragmentCache`]'s keys, which are xxh3 hashes already: hashing them again
/// (SipHash, the standard map's) was a visible part of each save's profile.
#[derive(Debug, Default)]
pub(crate) struct Unhashed(u64);

impl Hasher for Unhashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `u64` keys are hashed here; anything else is folded in, still correct.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// The JSON and CSV tables (`data/reports.json`, `data/reports.csv`) of a rebuild: each
/// report's row key (its fingerprint and the metric columns), in report order, and each
/// table's text with the range of every report's row in it.
#[derive(Debug)]
pub(crate) struct KeptTables {
    pub(crate) keys: Vec<u64>,
    pub(crate) json: (Arc<str>, Vec<std::ops::Range<usize>>),
    pub(crate) csv: (Arc<str>, Vec<std::ops::Range<usize>>),
}

/// Where each thing of `serve`'s last rebuild kept in report order (a report's print, listing
/// entry, table rows) was, for a report of this one: at the report's own place first, since
/// reports rarely move, else by key, in a map built only the first time one is not where it
/// was. A key stands for the thing's whole content, so any place with the key will do.
pub(crate) struct Placed<F> {
    len: usize,
    key: F,
    moved: OnceLock<foldhash::HashMap<u64, usize>>,
}

impl<F: Fn(usize) -> u64> Placed<F> {
    /// The last rebuild's `len` things, the key of thing `j` being `key(j)`.
    pub(crate) fn new(len: usize, key: F) -> Self {
        Placed {
            len,
            key,
            moved: OnceLock::new(),
        }
    }

    /// Where the thing with `key` was, for the report now at place `i`.
    pub(crate) fn find(&self, i: usize, key: u64) -> Option<usize> {
        if i < self.len && (self.key)(i) == key {
            return Some(i);
        }
        self.moved
            .get_or_init(|| (0..self.len).map(|j| ((self.key)(j), j)).collect())
            .get(&key)
            .copied()
    }
}

/// A report's fingerprint (`Fragments::new`) and what it was made from: its front matter and
/// body (the very allocations, which the model keeps while the file is unchanged) and a hash
/// of the rest of what its view takes from the report and the site.
#[derive(Debug, Clone)]
pub(crate) struct Print {
    pub(crate) meta: Arc<crate::load::ReportMeta>,
    pub(crate) body: Arc<crate::markdown::Body>,
    pub(crate) rest: u64,
    pub(crate) fingerprint: u64,
    /// Its [`ReportRef::hash_named`](crate::render::views::ReportRef::hash_named).
    pub(crate) named: u64,
}

impl FragmentCache {
    /// The fragment of `key`, from the last rebuild, or rendered now; shared, not copied (at
    /// 100x the digest a rebuild takes some 60,000 fragments and data files from here).
    pub(crate) fn get_or_render(
        &self,
        key: u64,
        render: impl FnOnce() -> Result<String>,
    ) -> Result<Text> {
        if let Some((html, used)) = self.kept.get(&key) {
            used.store(self.generation, Ordering::Relaxed);
            return Ok(Text::Kept(Arc::clone(html)));
        }
        let html: Arc<str> = render()?.into();
        self.made
            .lock()
            .map_err(|_| Error::Poisoned("fragment cache"))?
            .push((key, Arc::clone(&html)));
        Ok(Text::Fresh(html))
    }

    /// Starts a rebuild. What a rebuild that failed had made is forgotten: what the next
    /// rebuild takes from here must be what the last good one used (`serve` counts a kept text
    /// as a file unchanged since then). What it marked is kept, as the last good one left it.
    pub(crate) fn begin(&mut self) {
        if let Ok(made) = self.made.get_mut() {
            made.clear();
        }
        self.generation = self.generation.wrapping_add(1);
    }

    /// Keeps what this rebuild used and made, for the next one; drops the rest.
    pub(crate) fn rotate(&mut self) {
        let now = self.generation;
        self.kept.retain(|_, (_, used)| *used.get_mut() == now);
        if let Ok(made) = self.made.get_mut() {
            self.kept.extend(
                made.drain(..)
                    .map(|(key, html)| (key, (html, AtomicU32::new(now)))),
            );
        }
        self.prints = self
            .next_prints
            .get_mut()
            .map(std::mem::take)
            .unwrap_or_default();
    }
}
