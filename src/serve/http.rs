//! HTTP/1.1 for the dev server: connections, request heads, responses.
//!
//! Parsing is `httparse`'s; this module bounds what a client can make the server hold. At most
//! [`MAX_CONNECTIONS`] connections are served at once, a thread each (event streams stay open as
//! long as a tab does, and a slow client must never hold up another); past that a connection
//! gets a 503 at once. A request head must arrive within [`HEAD_TIMEOUT`] and fit
//! [`MAX_TARGET`] (the URL) and [`MAX_HEADERS`] (the header fields), or the connection gets
//! 408, 414 or 431 and is closed, so neither a half-sent request nor an endless header can pin
//! a thread or memory. A request must name this server in `Host` (see [`Hosts`]), so that a web
//! page whose name an attacker points at 127.0.0.1 (DNS rebinding) cannot read the site.
//!
//! tiny_http, used before, can do none of this: it reads header lines of any length, gives no
//! way to set socket timeouts (it accepts connections itself), and starts a thread for every
//! connection.

use std::borrow::Cow;
use std::io::{self, Read, Write};
use std::net::{IpAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use super::live;
use super::routes::{self, Answer};
use super::state::{OnEvent, Shared};
use super::ServeEvent;

/// Longest request target (path and query) answered; longer gets 414.
pub(super) const MAX_TARGET: usize = 8 * 1024;
/// Most bytes of header fields (after the request line) read; more gets 431.
pub(super) const MAX_HEADERS: usize = 16 * 1024;
/// Most header fields read; more gets 431. Browsers send about 20.
const MAX_FIELDS: usize = 64;
/// Time for a request head to arrive, from the connection (or the previous answer) on.
pub(super) const HEAD_TIMEOUT: Duration = Duration::from_secs(5);
/// Time a client may take to accept an answer before the connection is dropped.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// Connections served at once: ample for a few browsers with many tabs (each tab holds an event
/// stream, and a browser opens up to six connections to a host).
pub(super) const MAX_CONNECTIONS: usize = 128;

/// Request methods serve tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Method {
    /// `GET`.
    Get,
    /// `HEAD`: the answer to `GET` without its body.
    Head,
    /// Anything else (answered 405).
    Other,
}

/// A parsed request head.
#[derive(Debug)]
pub(super) struct Request {
    pub(super) method: Method,
    /// The request target as sent (`/reports/sandun/?x=1`).
    pub(super) target: String,
    /// The `Host` field, if sent.
    host: Option<String>,
    /// HTTP/1.1 (else 1.0).
    http11: bool,
    /// The connection ends after the answer (asked by the client, HTTP/1.0, or a request body
    /// serve does not read).
    close: bool,
}

/// An answer with a known length (sent with `Content-Length`, never chunked).
pub(super) struct Response {
    status: u16,
    content_type: Cow<'static, str>,
    /// Headers beside the usual ones.
    pub(super) headers: Vec<(&'static str, String)>,
    body: Arc<[u8]>,
}

impl Response {
    /// Bytes of the given type.
    pub(super) fn bytes(status: u16, content_type: Cow<'static, str>, body: Arc<[u8]>) -> Self {
        Response {
            status,
            content_type,
            headers: Vec::new(),
            body,
        }
    }

    /// A line or two of plain text.
    pub(super) fn text(status: u16, text: &str) -> Self {
        Response::bytes(
            status,
            "text/plain; charset=utf-8".into(),
            Arc::from(text.as_bytes()),
        )
    }

    /// A 302 to `location`.
    pub(super) fn redirect(location: &str) -> Self {
        let mut r = Response::text(302, &format!("see {location}\n"));
        r.headers.push(("Location", location.to_string()));
        r
    }

    /// Writes the answer; without the body for `HEAD`.
    fn write_to(&self, out: &mut TcpStream, head_only: bool, close: bool) -> io::Result<()> {
        let mut head = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n\
             Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n",
            self.status,
            reason(self.status),
            self.content_type,
            self.body.len()
        );
        // Always fresh (no-store): the whole point of serve is to see the latest save.
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(if close {
            "Connection: close\r\n\r\n"
        } else {
            "Connection: keep-alive\r\n\r\n"
        });
        out.write_all(head.as_bytes())?;
        if !head_only {
            out.write_all(&self.body)?;
        }
        out.flush()
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        302 => "Found",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        414 => "URI Too Long",
        421 => "Misdirected Request",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "",
    }
}

/// The `Host` names serve answers: loopback names and addresses, the address it is bound to
/// (any address when bound to all of them: an address cannot be re-pointed like a name), and
/// names given by the editor (the `--base-url` host).
#[derive(Debug, Clone)]
pub(super) struct Hosts {
    bound: IpAddr,
    names: Vec<String>,
}

impl Hosts {
    /// Hosts for a server bound to `bound`, answering `names` as well.
    pub(super) fn new(bound: IpAddr, names: &[String]) -> Self {
        Hosts {
            bound,
            names: names.iter().map(|n| normalise(n).to_string()).collect(),
        }
    }

    /// Whether a `Host` field (`localhost:1111`, `[::1]:1111`) names this server.
    pub(super) fn allows(&self, host: &str) -> bool {
        let name = normalise(strip_port(host));
        if name.is_empty() {
            return false;
        }
        let ip = name
            .strip_prefix('[')
            .and_then(|n| n.strip_suffix(']'))
            .unwrap_or(&name)
            .parse::<IpAddr>();
        if let Ok(ip) = ip {
            return ip.is_loopback() || ip == self.bound || self.bound.is_unspecified();
        }
        // `*.localhost` resolves to loopback in browsers themselves (RFC 6761), never via DNS.
        name == "localhost" || name.ends_with(".localhost") || self.names.contains(&name)
    }
}

/// `host:port` -> `host` (`[::1]:80` -> `[::1]`).
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.find(']').map_or(host, |i| &host[..=i]);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

/// Lower case, without a trailing dot (`LocalHost.` is `localhost`).
fn normalise(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// Counts open connections; a slot is given back when its guard is dropped.
struct Slot(Arc<AtomicUsize>);

impl Slot {
    fn take(open: &Arc<AtomicUsize>) -> Option<Slot> {
        let taken = open.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < MAX_CONNECTIONS).then_some(n + 1)
        });
        taken.ok().map(|_| Slot(Arc::clone(open)))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Accepts connections until the process ends.
pub(super) fn run(listener: &TcpListener, shared: &Arc<Shared>, hosts: &Hosts, on_event: &OnEvent) {
    let open = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let mut stream = match stream {
            Ok(s) => s,
            Err(_) => {
                // Out of file descriptors, or a connection reset before it was accepted: wait
                // a moment rather than spin.
                thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        let Some(slot) = Slot::take(&open) else {
            let mut r = Response::text(503, "casebook serve: too many connections; retry\n");
            r.headers.push(("Retry-After", "1".into()));
            // On the accepting thread: no waiting for the client beyond what is already there.
            refuse(&mut stream, &r, Duration::ZERO);
            continue;
        };
        let shared = Arc::clone(shared);
        let hosts = hosts.clone();
        let spawned = thread::Builder::new()
            .name("casebook-http".into())
            .spawn(move || {
                let _slot = slot;
                connection(stream, &shared, &hosts);
            });
        if let Err(e) = spawned {
            on_event(ServeEvent::ConnectionError(format!(
                "cannot answer a request: {e}"
            )));
        }
    }
}

/// Serves the requests of one connection. Errors writing an answer mean the client went away:
/// nothing to do but stop.
fn connection(mut stream: TcpStream, shared: &Shared, hosts: &Hosts) {
    // Answers go out in two writes (head, body): without this, Nagle's algorithm and the
    // client's delayed acknowledgement can hold the body back for 40 ms.
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
    let mut buffer = Vec::new();
    loop {
        let request = match read_head(&mut stream, &mut buffer, HEAD_TIMEOUT) {
            Head::Request(r) => r,
            Head::Closed => return,
            Head::Refused(status, text) => {
                return refuse(&mut stream, &Response::text(status, text), LINGER);
            }
        };
        if let Some(refusal) = check_host(&request, hosts) {
            return refuse(&mut stream, &refusal, LINGER);
        }
        match routes::answer(shared, &request) {
            Answer::Events => return live::stream(stream, shared),
            Answer::Response(r) => {
                let head_only = request.method == Method::Head;
                if r.write_to(&mut stream, head_only, request.close).is_err() || request.close {
                    return;
                }
            }
        }
    }
}

/// How long a refused client is given to stop sending before its connection is dropped.
const LINGER: Duration = Duration::from_secs(1);

/// Answers and ends a connection whose request is not read to its end. Closing a socket that
/// has unread bytes makes the system reset the connection, and the client may then lose the
/// answer; so the sending side is shut first and what the client still sends is read and
/// dropped, for up to `linger` and 64 KiB (not at all with a zero `linger`: only what is there).
fn refuse(stream: &mut TcpStream, response: &Response, linger: Duration) {
    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
    if response.write_to(stream, false, true).is_err() {
        return;
    }
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let deadline = Instant::now() + linger;
    if linger.is_zero() {
        let _ = stream.set_nonblocking(true);
    }
    let mut sink = [0u8; 4096];
    let mut drained = 0;
    while drained < 64 * 1024 {
        let left = deadline.saturating_duration_since(Instant::now());
        if !linger.is_zero() && (left.is_zero() || stream.set_read_timeout(Some(left)).is_err()) {
            return;
        }
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => return,
            Ok(n) => drained += n,
        }
    }
}

/// The answer for a request whose `Host` is missing or names another server.
fn check_host(request: &Request, hosts: &Hosts) -> Option<Response> {
    match &request.host {
        Some(host) if hosts.allows(host) => None,
        // HTTP/1.0 clients may leave Host out; a browser never does.
        None if !request.http11 => None,
        None => Some(Response::text(
            400,
            "casebook serve: the request has no Host\n",
        )),
        Some(host) => Some(Response::text(
            421,
            &format!(
                "casebook serve answers requests for localhost and this machine's addresses, not \
                 for `{}`; to use another name, pass it in --base-url\n",
                host.chars().take(100).collect::<String>()
            ),
        )),
    }
}

/// What reading a request head gave.
#[derive(Debug)]
enum Head {
    Request(Request),
    /// The client closed the connection or stayed silent between requests: nothing to answer.
    Closed,
    /// A head that cannot be answered: the status and a line saying why.
    Refused(u16, &'static str),
}

/// Reads one request head from `stream` into `buffer` (which keeps bytes already received of a
/// next request), within `timeout` and the size limits.
fn read_head(stream: &mut TcpStream, buffer: &mut Vec<u8>, timeout: Duration) -> Head {
    let deadline = Instant::now() + timeout;
    let limit = MAX_TARGET + MAX_HEADERS + 64;
    let mut chunk = [0u8; 4096];
    loop {
        if !buffer.is_empty() {
            match parse(buffer) {
                Parsed::Partial => {}
                Parsed::Done(request, len) => {
                    buffer.drain(..len);
                    return request;
                }
            }
        }
        if buffer.len() > limit {
            return too_long(buffer);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return timed_out(buffer);
        }
        let want = chunk.len().min(limit + 1 - buffer.len());
        match stream.read(&mut chunk[..want]) {
            Ok(0) => return Head::Closed,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return timed_out(buffer)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return Head::Closed,
        }
    }
}

fn timed_out(buffer: &[u8]) -> Head {
    if buffer.is_empty() {
        Head::Closed
    } else {
        Head::Refused(408, "casebook serve: the request did not arrive in time\n")
    }
}

fn too_long(buffer: &[u8]) -> Head {
    if buffer.iter().take(MAX_TARGET + 64).any(|&b| b == b'\n') {
        Head::Refused(
            431,
            "casebook serve: the request's header fields are too large\n",
        )
    } else {
        Head::Refused(414, "casebook serve: the URL is too long\n")
    }
}

enum Parsed {
    Partial,
    /// A head (or its refusal) and the bytes it took.
    Done(Head, usize),
}

/// Parses the head at the start of `buffer`, if it is all there.
fn parse(buffer: &[u8]) -> Parsed {
    let mut fields = [httparse::EMPTY_HEADER; MAX_FIELDS];
    let mut req = httparse::Request::new(&mut fields);
    let len = match req.parse(buffer) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Parsed::Partial,
        Err(httparse::Error::TooManyHeaders) => {
            let refusal = Head::Refused(431, "casebook serve: the request has too many fields\n");
            return Parsed::Done(refusal, buffer.len());
        }
        Err(_) => {
            let refusal = Head::Refused(400, "casebook serve: the request is not HTTP/1.1\n");
            return Parsed::Done(refusal, buffer.len());
        }
    };
    let (Some(method), Some(target), Some(version)) = (req.method, req.path, req.version) else {
        return Parsed::Partial;
    };
    let line = buffer.iter().position(|&b| b == b'\n').unwrap_or(len) + 1;
    if target.len() > MAX_TARGET {
        return Parsed::Done(
            Head::Refused(414, "casebook serve: the URL is too long\n"),
            len,
        );
    }
    if len - line > MAX_HEADERS {
        let refusal = Head::Refused(
            431,
            "casebook serve: the request's header fields are too large\n",
        );
        return Parsed::Done(refusal, len);
    }
    let field = |name: &str| {
        req.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).into_owned())
    };
    let connection = field("connection").unwrap_or_default().to_ascii_lowercase();
    // A body serve does not read would be taken for the next request: end the connection.
    let body = field("transfer-encoding").is_some()
        || field("content-length").is_some_and(|l| l.trim() != "0");
    let http11 = version == 1;
    let request = Request {
        method: match method {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            _ => Method::Other,
        },
        target: target.to_string(),
        host: field("host"),
        http11,
        close: connection.contains("close") || !http11 || body,
    };
    Parsed::Done(Head::Request(request), len)
}

#[cfg(test)]
#[path = "http_tests.rs"]
mod tests;
