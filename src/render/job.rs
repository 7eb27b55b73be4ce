//! A page to render ([`Job`]): its route, template and a closure that builds its context when
//! the page is rendered; and the hash of a page's data that lets `serve` skip unchanged pages.

use std::hash::{Hash, Hasher};

use serde::Serialize;
use tera::{Context, Tera};

use super::views::SiteView;
use crate::error::Result;
use crate::urls::Route;

/// The hasher of page and fragment keys.
pub(crate) type KeyHasher = crate::fingerprint::Hasher;

/// A page to render: template, output path, context.
pub(crate) struct Job<'a> {
    pub(crate) template: &'static str,
    pub(crate) path: String,
    /// Builds the page's context. Called when the page is rendered, not when it is listed: all
    /// contexts at once (every report's body, every listing) were most of the build's memory at
    /// 100x the digest.
    ///
    /// With a probe (`render_cached`), the page's data is hashed first and the context is
    /// built only if the probe, given the hash, says the page must be rendered; otherwise `None`.
    /// Without one, the context is always built.
    pub(crate) context: BuildContext<'a>,
}

/// Builds a page's context (see [`Job::context`]); templates are at hand for pages that render
/// fragments of their own.
pub(crate) type BuildContext<'a> =
    Box<dyn FnOnce(&Tera, Option<Probe<'_>>) -> Result<Option<PageData>> + Send + 'a>;

/// Told the hash of a page's template and data; answers whether the page must be rendered.
pub(crate) type Probe<'p> = &'p mut dyn FnMut(u64) -> bool;

/// A page's template context, and the HTML of the `OWN` fragments its markers stand for.
#[derive(Default)]
pub(crate) struct PageData {
    pub(crate) context: Context,
    pub(crate) fragments: Vec<super::fragments::Text>,
}

/// The context every page shares.
#[derive(Serialize)]
struct Common<'a> {
    site: &'a SiteView<'a>,
    /// From this page up to the site root, e.g. `../../`; empty at the root.
    root: String,
    /// This page's path relative to the root.
    path: &'a str,
    /// The `<title>` of the page (without the site title).
    page_title: &'a str,
}

impl<'a> Common<'a> {
    fn new(site: &'a SiteView<'a>, path: &'a str, page_title: &'a str) -> Self {
        Common {
            site,
            root: crate::urls::root_of(path),
            path,
            page_title,
        }
    }
}

fn ctx<T: Serialize>(common: Common<'_>, data: &T) -> Context {
    let mut c = Context::from_serialize(data).unwrap_or_default();
    c.extend(Context::from_serialize(common).unwrap_or_default());
    c
}

/// The hash of everything a page's context is made of: the template, the shared part and the
/// page's data (see [`key_of`]).
fn page_key<T: Serialize>(template: &str, common: &Common<'_>, data: &T) -> u64 {
    key_of(template, &(common, data))
}

thread_local! {
    /// Set while [`key_of`] serializes: views with large parts (a body) then write a digest of
    /// them instead of the text itself.
    static KEYING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether the value being serialized is being keyed, not put into a template context.
pub(crate) fn keying() -> bool {
    KEYING.with(std::cell::Cell::get)
}

/// The hash of a template and the data of its context, serialized straight into the hasher
/// (no JSON text, no `Value` tree). Two contexts with one key render alike: that is what lets
/// `serve` reuse a page or a fragment instead of rendering it.
pub(crate) fn key_of<T: Serialize + ?Sized>(template: &str, data: &T) -> u64 {
    let mut h = KeyHasher::new();
    template.hash(&mut h);
    let mut w = HashWriter::new(&mut h);
    KEYING.with(|k| k.set(true));
    // Serializing our own view structs into a writer that never fails cannot fail either; if it
    // ever did, the partial hash only costs a needless re-render.
    let _ = serde_json::to_writer(&mut w, data);
    KEYING.with(|k| k.set(false));
    let _ = std::io::Write::flush(&mut w);
    h.finish()
}

/// The context of a page, unless `probe` says the page need not be rendered.
fn probed_ctx<T: Serialize>(
    template: &str,
    common: Common<'_>,
    data: &T,
    probe: Option<Probe<'_>>,
) -> Option<Context> {
    if let Some(probe) = probe {
        if !probe(page_key(template, &common, data)) {
            return None;
        }
    }
    Some(ctx(common, data))
}

/// A page whose context is built now (small data used by more than one page).
pub(crate) fn job<'a, T: Serialize>(
    sv: &'a SiteView<'a>,
    template: &'static str,
    route: Route<'_>,
    page_title: &'a str,
    data: &T,
) -> Job<'a> {
    let path = route.path();
    let common = Common::new(sv, &path, page_title);
    let key = page_key(template, &common, data);
    let context = ctx(common, data);
    Job {
        template,
        path,
        context: Box::new(move |_: &Tera, probe: Option<Probe<'_>>| {
            if let Some(probe) = probe {
                if !probe(key) {
                    return Ok(None);
                }
            }
            Ok(Some(PageData {
                context,
                fragments: Vec::new(),
            }))
        }),
    }
}

/// A page whose data and context are built only when it is rendered.
pub(crate) fn lazy_job<'a, T: Serialize>(
    sv: &'a SiteView<'a>,
    template: &'static str,
    route: Route<'_>,
    page_title: &'a str,
    data: impl FnOnce() -> T + Send + 'a,
) -> Job<'a> {
    fragment_job(sv, template, route, page_title, move || {
        Ok((data(), Vec::new()))
    })
}

/// A page whose key is known without building its data: `key` stands for everything the data
/// is made of (the caller computes it from fingerprints of what the page shows), so an
/// unchanged page costs `serve` a comparison, not a build and a hash of its data.
pub(crate) fn keyed_job<'a, T: Serialize>(
    sv: &'a SiteView<'a>,
    template: &'static str,
    route: Route<'_>,
    page_title: &'a str,
    key: u64,
    data: impl FnOnce() -> T + Send + 'a,
) -> Job<'a> {
    let path = route.path();
    let own_path = path.clone();
    Job {
        template,
        path,
        context: Box::new(move |_: &Tera, probe: Option<Probe<'_>>| {
            if let Some(probe) = probe {
                let mut h = KeyHasher::new();
                (template, key, &own_path, page_title, sv.key).hash(&mut h);
                if !probe(h.finish()) {
                    return Ok(None);
                }
            }
            let common = Common::new(sv, &own_path, page_title);
            Ok(Some(PageData {
                context: ctx(common, &data()),
                fragments: Vec::new(),
            }))
        }),
    }
}

/// A page with fragments of its own: `build` returns the page's data, whose markers stand for
/// the fragments it returns with it (see `fragments`). Built only when the page is rendered.
pub(crate) fn fragment_job<'a, T: Serialize>(
    sv: &'a SiteView<'a>,
    template: &'static str,
    route: Route<'_>,
    page_title: &'a str,
    build: impl FnOnce() -> Result<(T, Vec<super::fragments::Text>)> + Send + 'a,
) -> Job<'a> {
    keyed_fragment_job(sv, template, route, page_title, None, build)
}

/// [`fragment_job`] whose key, when there is one, is known without building its data or its
/// fragments (as [`keyed_job`]'s): an unchanged page (a print volume of hundreds of articles)
/// then costs `serve` a comparison.
pub(crate) fn keyed_fragment_job<'a, T: Serialize>(
    sv: &'a SiteView<'a>,
    template: &'static str,
    route: Route<'_>,
    page_title: &'a str,
    key: Option<u64>,
    build: impl FnOnce() -> Result<(T, Vec<super::fragments::Text>)> + Send + 'a,
) -> Job<'a> {
    let path = route.path();
    let own_path = path.clone();
    Job {
        template,
        path,
        context: Box::new(move |_: &Tera, mut probe: Option<Probe<'_>>| {
            // Probed here with the key, or below with the data: once either way (the cache
            // keeps the last value probed).
            if let Some(key) = key {
                if let Some(probe) = probe.take() {
                    let mut h = KeyHasher::new();
                    (template, key, &own_path, page_title, sv.key).hash(&mut h);
                    if !probe(h.finish()) {
                        return Ok(None);
                    }
                }
            }
            let common = Common::new(sv, &own_path, page_title);
            let (data, fragments) = build()?;
            Ok(probed_ctx(template, common, &data, probe)
                .map(|context| PageData { context, fragments }))
        }),
    }
}

/// Feeds serialized bytes to a hasher in large blocks, so a context is hashed without building
/// its JSON text, and without a hasher call for every one of its tokens (millions per site).
struct HashWriter<'a> {
    hasher: &'a mut KeyHasher,
    buf: Vec<u8>,
}

impl<'a> HashWriter<'a> {
    const BLOCK: usize = 64 * 1024;

    fn new(hasher: &'a mut KeyHasher) -> Self {
        HashWriter {
            hasher,
            buf: Vec::with_capacity(Self::BLOCK + 1024),
        }
    }

    /// Hashes the buffer, all of it or (`all` false) all but a tail that may be the start of a
    /// marker the next write completes. A fragment's marker is hashed without this process's
    /// nonce: the rest of it (table, place and a hash of the fragment's HTML) says what the
    /// page shows, and a build keeps the page of the last build, another process, by this key.
    /// Markers are looked for here, a block at a time, not in each of serde's small writes.
    fn drain(&mut self, all: bool) {
        let prefix = super::fragments::prefix().as_bytes();
        let mut from = 0;
        for at in marker_finder().find_iter(&self.buf) {
            self.hasher.update(&self.buf[from..at]);
            // `OPEN` (three bytes) stands for the whole prefix.
            self.hasher.update(&prefix[..3]);
            from = at + prefix.len();
        }
        let mut end = self.buf.len();
        if !all {
            // A prefix cut by the block's end begins with OPEN's first byte (0xEE).
            let tail = end.saturating_sub(prefix.len() - 1).max(from);
            if let Some(p) = self.buf[tail..].iter().position(|&b| b == 0xEE) {
                end = tail + p;
            }
        }
        self.hasher.update(&self.buf[from..end]);
        self.buf.drain(..end);
    }
}

/// Finds this process's marker prefix (`fragments::prefix`).
fn marker_finder() -> &'static memchr::memmem::Finder<'static> {
    static FINDER: std::sync::OnceLock<memchr::memmem::Finder<'static>> =
        std::sync::OnceLock::new();
    FINDER.get_or_init(|| {
        memchr::memmem::Finder::new(super::fragments::prefix().as_bytes()).into_owned()
    })
}

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(buf);
        if self.buf.len() >= Self::BLOCK {
            self.drain(false);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.drain(true);
        Ok(())
    }
}
