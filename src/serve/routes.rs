//! What each request path answers: a file of the site (by [`resolve`], which refuses every
//! spelling of a path that leaves the site), a redirect, the status JSON, the event stream, the
//! site's 404 page, or a placeholder that waits for the first good build.

use std::sync::Arc;

use percent_encoding::percent_decode_str;

use super::http::{Method, Request, Response};
use super::state::Shared;
use super::{EVENTS_PATH, STATUS_PATH};

/// What a request gets.
pub(super) enum Answer {
    /// A response with a known length.
    Response(Response),
    /// The server-sent-events stream, which takes over the connection.
    Events,
}

/// Answers one request that passed the transport's checks (size, time, `Host`).
pub(super) fn answer(shared: &Shared, request: &Request) -> Answer {
    if !matches!(request.method, Method::Get | Method::Head) {
        let mut r = Response::text(405, "casebook serve answers GET and HEAD only\n");
        r.headers.push(("Allow", "GET, HEAD".into()));
        return Answer::Response(r);
    }
    let target = request.target.as_str();
    let path = target.split(['?', '#']).next().unwrap_or("");
    if path == EVENTS_PATH && request.method == Method::Get {
        return Answer::Events;
    }
    if path == STATUS_PATH {
        return Answer::Response(Response::bytes(
            200,
            "application/json; charset=utf-8".into(),
            Arc::from(shared.state_json().into_bytes()),
        ));
    }
    Answer::Response(
        match resolve(&shared.base_path, target, |p| shared.lookup(p).is_some()) {
            Resolved::File(file) if another_index(shared, &file, target) => not_found(shared),
            Resolved::File(file) => match shared.lookup(&file) {
                Some(bytes) => Response::bytes(200, content_type(&file).into(), bytes),
                None => not_found(shared),
            },
            Resolved::Redirect(location) => Response::redirect(&location),
            Resolved::Forbidden => Response::text(403, "forbidden: the path leaves the site\n"),
            Resolved::NotFound => not_found(shared),
        },
    )
}

/// Whether `target` asks for a search index file of another version (`?v=`) than the index
/// served. The client asks for every file not named by its content with the version of the
/// manifest it read; a page open while the index is rebuilt holds the old manifest, and the
/// new index's files under the same names would mix with it silently, so they are not found,
/// as the files of a replaced index.
fn another_index(shared: &Shared, file: &str, target: &str) -> bool {
    if !file.starts_with("search/") {
        return false;
    }
    let query = target.split('#').next().and_then(|t| t.split_once('?'));
    let Some(asked) = query.and_then(|(_, q)| q.split('&').find_map(|kv| kv.strip_prefix("v=")))
    else {
        return false;
    };
    shared
        .lookup("search/manifest.js")
        .and_then(|m| manifest_version(&m).map(|v| v != asked.as_bytes()))
        .unwrap_or(false)
}

/// The `version` of a manifest: its field comes fourth, near the start (`index::format`), so
/// this reads a few dozen bytes, not the whole manifest, on each request for an index file.
fn manifest_version(manifest: &[u8]) -> Option<&[u8]> {
    const FIELD: &[u8] = b"\"version\":\"";
    let at = manifest.windows(FIELD.len()).position(|w| w == FIELD)? + FIELD.len();
    let len = manifest[at..].iter().position(|&b| b == b'"')?;
    Some(&manifest[at..at + len])
}

/// The site's own 404 page when there is one; while no build has succeeded yet, a page that
/// shows why (the live script puts the failure over it and reloads once it is fixed).
fn not_found(shared: &Shared) -> Response {
    let snapshot = shared.snapshot();
    if snapshot.generation == 0 {
        let page = format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>casebook serve</title>\
             </head><body><p>casebook: the site has not built yet.</p>{}</body></html>",
            shared.script
        );
        return Response::bytes(
            503,
            "text/html; charset=utf-8".into(),
            Arc::from(page.into_bytes()),
        );
    }
    match snapshot.files.get("404.html") {
        Some(page) => Response::bytes(404, "text/html; charset=utf-8".into(), Arc::clone(page)),
        None => Response::text(404, "not found\n"),
    }
}

/// Where a request path leads.
#[derive(Debug, PartialEq, Eq)]
pub enum Resolved {
    /// A file of the site, by its output path.
    File(String),
    /// Elsewhere (a folder without its `/`, or the server root when the site is under a path).
    Redirect(String),
    /// A path that tries to leave the site (`..`, encoded separators, backslashes).
    Forbidden,
    /// Nothing there.
    NotFound,
}

/// Maps a request target (path and query as sent) to a file of the site under `base_path`.
/// Everything that could name something outside the site is refused, even though the site is
/// only a map in memory: a browser or proxy may treat those paths differently from us.
pub fn resolve(base_path: &str, target: &str, exists: impl Fn(&str) -> bool) -> Resolved {
    let raw = target.split(['?', '#']).next().unwrap_or("");
    if !raw.starts_with('/') {
        return Resolved::NotFound;
    }
    let lower = raw.to_ascii_lowercase();
    // Refused before decoding: once decoded, an encoded separator looks like a real one.
    if raw.contains('\\') || ["%2f", "%5c", "%00"].iter().any(|e| lower.contains(e)) {
        return Resolved::Forbidden;
    }
    // Decoded once: `%252e` stays `%2e`, a name, not a dot. Not UTF-8 (`%ff`) is refused.
    let Ok(path) = percent_decode_str(raw).decode_utf8() else {
        return Resolved::Forbidden;
    };
    if path.chars().any(char::is_control)
        || path.split('/').any(|s| s == ".." || s == ".")
        || path.contains('\\')
    {
        return Resolved::Forbidden;
    }
    let Some(rel) = path.strip_prefix(base_path) else {
        return if path == "/" || format!("{path}/") == base_path {
            Resolved::Redirect(base_path.to_string())
        } else {
            Resolved::NotFound
        };
    };
    if rel.starts_with('/') {
        return Resolved::NotFound;
    }
    let file = if rel.is_empty() || rel.ends_with('/') {
        format!("{rel}index.html")
    } else {
        rel.to_string()
    };
    if exists(&file) {
        Resolved::File(file)
    } else if exists(&format!("{file}/index.html")) {
        Resolved::Redirect(format!("{raw}/"))
    } else {
        Resolved::NotFound
    }
}

/// The `Content-Type` for a file, by extension (from `mime_guess`); text types say they are
/// UTF-8, since every text file of a site is.
pub fn content_type(path: &str) -> String {
    let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
    // Where mime_guess's answer is an older registration than browsers and feed readers expect.
    let mime = match ext.to_ascii_lowercase().as_str() {
        "xml" => "application/xml",
        "mjs" => "text/javascript",
        "woff" => "font/woff",
        "md" => "text/plain",
        e => mime_guess::from_ext(e)
            .first_raw()
            .unwrap_or("application/octet-stream"),
    };
    let text = mime.starts_with("text/")
        || mime.ends_with("+xml")
        || mime.ends_with("+json")
        || matches!(
            mime,
            "application/json" | "application/xml" | "application/javascript"
        );
    if text {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_string()
    }
}
