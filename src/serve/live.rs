//! Live reload: the script serve adds to every page it serves, and the server-sent-events
//! stream that script listens to at [`EVENTS_PATH`](super::EVENTS_PATH).
//!
//! The script is a theme asset, the built-in template [`LIVE_TEMPLATE`] (`build` never renders
//! it; serve hands it to render as the text to inject). It hears `hello` when it connects (the
//! generation and the current failure), `reload` after a rebuild (with the changed paths), and
//! `failed` with the diagnostics of a rebuild that failed, which it shows over the page.

use std::io::Write;
use std::net::TcpStream;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

use super::state::Shared;
use crate::theme::Theme;

/// The built-in template of the live-reload script.
pub(super) const LIVE_TEMPLATE: &str = "serve/live-reload.html";

/// A comment line sent to idle event streams, so dead connections are noticed and closed.
const HEARTBEAT: Duration = Duration::from_secs(15);

/// The live-reload script for a site served under `base_path`.
pub fn live_script(base_path: &str) -> String {
    // A JSON string is a JavaScript string literal; `<` is escaped as well, so that no base
    // path can end the script element early.
    let base = serde_json::Value::from(base_path.trim_end_matches('/'))
        .to_string()
        .replace('<', "\\u003c");
    let mut context = tera::Context::new();
    context.insert("base", &base);
    // The template is compiled into the binary and rendered by this module's tests: it cannot
    // fail at run time, and a page without live reload is still the right page.
    Theme::builtin_template(LIVE_TEMPLATE)
        .and_then(|source| tera::Tera::one_off(source, &context, false).ok())
        .unwrap_or_default()
}

/// One server-sent event.
pub(super) fn message(event: &str, data: &str) -> String {
    // Data is one line of JSON; a newline in it would end the event early.
    format!("event: {event}\ndata: {}\n\n", data.replace('\n', "\\n"))
}

/// Streams events to `out` until the client leaves: `hello` now, then every broadcast, and a
/// comment line when nothing happened for a while (a write to a vanished client fails, which is
/// how its thread learns to stop).
pub(super) fn stream(mut out: TcpStream, shared: &Shared) {
    let (tx, rx) = mpsc::channel::<Arc<str>>();
    // Register before saying hello, so no event can fall between the two.
    shared.subscribe(tx);
    let hello = message("hello", &shared.state_json());
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n\
                Cache-Control: no-store\r\nConnection: close\r\nX-Accel-Buffering: no\r\n\r\n";
    if out
        .write_all(head.as_bytes())
        .and_then(|()| out.write_all(b"retry: 500\n\n"))
        .and_then(|()| out.write_all(hello.as_bytes()))
        .and_then(|()| out.flush())
        .is_err()
    {
        return;
    }
    loop {
        let message = match rx.recv_timeout(HEARTBEAT) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout) => ": still here\n\n".into(),
            Err(RecvTimeoutError::Disconnected) => return,
        };
        if out
            .write_all(message.as_bytes())
            .and_then(|()| out.flush())
            .is_err()
        {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::EVENTS_PATH;

    #[test]
    fn the_script_comes_from_the_theme_and_listens_to_the_event_stream() {
        let s = live_script("/");
        assert!(s.starts_with("<script data-casebook-live>"), "{s}");
        assert!(s.ends_with("</script>\n"), "{s}");
        assert!(s.contains(r#"var base = "";"#));
        assert!(s.contains(&format!("new EventSource(\"{EVENTS_PATH}\")")));
        assert!(!s.contains("{{") && !s.contains("{#"));
        // The overlay speaks the page's language: Chinese on a zh page, English elsewhere.
        assert!(s.contains("最近一次修改未能构建") && s.contains("the last change did not build"));
    }

    #[test]
    fn no_base_path_can_end_the_script_early() {
        let s = live_script("/a</script><b/");
        assert!(
            s.contains(r#"var base = "/a\u003c/script>\u003cb";"#),
            "{s}"
        );
        assert_eq!(s.matches("</script>").count(), 1);
    }

    #[test]
    fn event_data_stays_on_one_line() {
        assert_eq!(
            message("failed", "{\"text\":\"a\nb\"}"),
            "event: failed\ndata: {\"text\":\"a\\nb\"}\n\n"
        );
    }
}
