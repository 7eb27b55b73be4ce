//! Lean bodies: what a large build keeps of a body ([`Body::lean`]), and the whole body parsed
//! again from its file where a page or the index needs it ([`Body::whole`]).

use std::borrow::Cow;
use std::path::PathBuf;

use super::{parse, Body, HtmlPart};
use crate::error::{Error, Result};

/// The file a lean body is parsed again from, and its bundle folder.
#[derive(Debug, Clone)]
pub struct Origin {
    /// The Markdown file.
    pub file: PathBuf,
    /// The site folder of its bundle, as [`super::render_in`] takes it.
    pub bundle: Option<String>,
}

impl Body {
    /// The body without its HTML and text, which `origin` gives back parsed again when a page
    /// or the index needs them ([`Body::whole`]). Everything else stays: headings, links,
    /// assets, the images the HTML shows (for thumbnails), the digest, the text's length. A
    /// build of a large site keeps its bodies this way, so that memory grows with the pages in
    /// flight, not with the collection (at 1000x the digest HTML and text were 470 MB).
    pub fn lean(mut self, origin: Origin) -> Body {
        self.html.parts.retain(|p| matches!(p, HtmlPart::Image(_)));
        self.html.parts.shrink_to_fit();
        self.text = String::new();
        self.origin = Some(Box::new(origin));
        self
    }

    /// The whole body: this one, or for a lean body its file read and parsed again. A file
    /// whose body is no longer the one the digest was taken of is an error: the build would
    /// mix two versions of it.
    pub fn whole(&self) -> Result<Cow<'_, Body>> {
        match &self.origin {
            None => Ok(Cow::Borrowed(self)),
            Some(origin) => again(origin, self.digest, true).map(Cow::Owned),
        }
    }

    /// The body's plain text: this one's, or for a lean body its file's, parsed again without
    /// making its HTML (the index needs no more).
    pub fn whole_text(&self) -> Result<Cow<'_, str>> {
        match &self.origin {
            None => Ok(Cow::Borrowed(&self.text)),
            Some(origin) => again(origin, self.digest, false).map(|b| Cow::Owned(b.text)),
        }
    }
}

/// The body of `origin`'s file parsed again (with `html` or without), if its digest is still
/// `digest`.
fn again(origin: &Origin, digest: u64, html: bool) -> Result<Body> {
    let (source, line) = crate::load::read_body(&origin.file)?;
    let body = parse(&source, line, origin.bundle.as_deref(), html);
    if body.digest != digest {
        return Err(Error::Changed {
            path: origin.file.clone(),
        });
    }
    Ok(body)
}
