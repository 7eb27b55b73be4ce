//! Integration tests of `casebook serve` (issue 5): a real server on a free loopback port,
//! spoken to with a tiny HTTP client over `std::net`. Every test stops its server (see
//! [`Server`]'s `Drop`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::harness::{bin, repo, Site};

/// A running `casebook serve`; killed when dropped, even when the test fails.
struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT/base/`.
    url: String,
    /// `127.0.0.1:PORT`.
    addr: String,
    log: Arc<Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts `casebook serve --port 0` on `site` and waits for the URL it prints.
    fn start(site: &Site, extra: &[&str]) -> Server {
        let mut child = Command::new(bin())
            .args(["serve", "--port", "0", "--root"])
            .arg(site.root())
            .args(extra)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start casebook serve");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        {
            let log = Arc::clone(&log);
            thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if let Some(rest) = line.strip_prefix("serving ") {
                        let url = rest.split_whitespace().next().unwrap_or("").to_string();
                        let _ = tx.send(url);
                    }
                    let mut l = log.lock().unwrap();
                    l.push_str(&line);
                    l.push('\n');
                }
            });
        }
        let mut server = Server {
            child,
            url: String::new(),
            addr: String::new(),
            log,
        };
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(url) => {
                server.addr = url
                    .strip_prefix("http://")
                    .and_then(|r| r.split('/').next())
                    .unwrap()
                    .to_string();
                server.url = url;
            }
            Err(_) => panic!("serve printed no URL:\n{}", server.log()),
        }
        server
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// `GET` with the request target sent exactly as given (no normalisation).
    fn get(&self, target: &str) -> Reply {
        get(&self.addr, target)
    }

    /// Polls `target` until `pred` holds; returns the time it took, or panics after `limit`.
    fn wait_for(&self, target: &str, limit: Duration, pred: impl Fn(&Reply) -> bool) -> Duration {
        let start = Instant::now();
        loop {
            let reply = self.get(target);
            if pred(&reply) {
                return start.elapsed();
            }
            if start.elapsed() > limit {
                panic!(
                    "{target} did not change within {limit:?}; last reply {} {}\nserver log:\n{}",
                    reply.status,
                    reply.body.chars().take(300).collect::<String>(),
                    self.log()
                );
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Opens the live-reload event stream.
    fn events(&self) -> Events {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        write!(
            stream,
            "GET /__casebook/events HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\n\r\n",
            self.addr
        )
        .unwrap();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut reader = BufReader::new(stream);
            let mut event = String::new();
            let mut data = String::new();
            let mut line = String::new();
            while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                let l = line.trim_end_matches(['\r', '\n']);
                if let Some(e) = l.strip_prefix("event: ") {
                    event = e.to_string();
                } else if let Some(d) = l.strip_prefix("data: ") {
                    data = d.to_string();
                } else if l.is_empty()
                    && !event.is_empty()
                    && tx
                        .send((std::mem::take(&mut event), std::mem::take(&mut data)))
                        .is_err()
                {
                    return;
                }
                line.clear();
            }
        });
        Events { rx }
    }
}

/// Events of one `/__casebook/events` stream, as (event, data).
struct Events {
    rx: Receiver<(String, String)>,
}

impl Events {
    /// The next event named `name` within `limit` (others are skipped).
    fn expect(&self, name: &str, limit: Duration) -> serde_json::Value {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok((e, data)) if e == name => return serde_json::from_str(&data).unwrap(),
                Ok(_) => {}
                Err(_) => panic!("no `{name}` event within {limit:?}"),
            }
        }
    }
}

/// A parsed HTTP response.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One `GET` over a fresh connection; the target goes on the wire byte for byte.
fn get(addr: &str, target: &str) -> Reply {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if let Some(len) = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
    {
        assert_eq!(body.len(), len, "body of {target} is cut short");
        body.truncate(len);
    }
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// A small site: two reports in one city, a page.
fn small_site() -> Site {
    let site = Site::new();
    site.write(
        "site.yaml",
        "title: 测试汇编\ncities: [杭州市]\ntactics:\n  网格化管理: {}\n  志愿服务: {}\n",
    );
    site.report("sandun", "三墩镇", "三墩镇", "杭州市", &["网格化管理"]);
    site.report("liangzhu", "良渚街道", "良渚街道", "杭州市", &["志愿服务"]);
    site.write(
        "content/pages/about.md",
        "---\ntitle: 关于\nplacement: none\n---\n\n关于本站。\n",
    );
    site
}

#[test]
fn serves_pages_from_memory_with_utf8_content_types() {
    let site = small_site();
    let server = Server::start(&site, &[]);
    assert!(
        server.url.starts_with("http://127.0.0.1:"),
        "{}",
        server.url
    );
    assert!(server.url.ends_with('/'));

    let home = server.get("/");
    assert_eq!(home.status, 200);
    assert_eq!(
        home.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(home.body.contains("测试汇编"));
    assert!(
        home.body.contains("data-casebook-live"),
        "live script injected"
    );

    let page = server.get("/reports/sandun/");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("三墩镇的正文。"));
    let redirect = server.get("/reports/sandun");
    assert_eq!(redirect.status, 302);
    assert_eq!(redirect.header("location"), Some("/reports/sandun/"));

    let css = server.get("/casebook.css");
    assert_eq!(css.status, 200);
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    let js = server.get("/casebook.js");
    assert_eq!(
        js.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    let csv = server.get("/data/reports.csv");
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(csv.body.contains("三墩镇"));
    let feed = server.get("/atom.xml");
    assert_eq!(
        feed.header("content-type"),
        Some("application/xml; charset=utf-8")
    );
    // The feed's absolute links point at this server (Tera escapes `/` as `&#x2F;`).
    let feed = feed.body.replace("&#x2F;", "/");
    assert!(
        feed.contains(&format!("{}reports/sandun/index.html", server.url)),
        "{feed}"
    );

    let missing = server.get("/no/such/page.html");
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("页面不存在") || missing.body.contains("404"));

    // Nothing was written into the project, and `build` never carries the script.
    assert!(!site.root().join("output").exists());
    site.build_ok();
    for entry in walkdir::WalkDir::new(site.root().join("output")) {
        let entry = entry.unwrap();
        if entry.path().extension().is_some_and(|e| e == "html") {
            let html = std::fs::read_to_string(entry.path()).unwrap();
            assert!(!html.contains("__casebook"), "{}", entry.path().display());
        }
    }
}

#[test]
fn a_saved_report_is_served_within_a_second_and_pages_are_told_to_reload() {
    let site = small_site();
    let server = Server::start(&site, &[]);
    let events = server.events();
    let hello = events.expect("hello", Duration::from_secs(10));
    assert_eq!(hello["failure"], serde_json::Value::Null);

    site.report("sandun", "三墩镇", "三墩镇", "杭州市", &["网格化管理"]);
    let path = site.root().join("content/reports/sandun.md");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("三墩镇的正文。", "三墩镇改过的正文。")).unwrap();
    let took = server.wait_for("/reports/sandun/", Duration::from_secs(1), |r| {
        r.body.contains("三墩镇改过的正文。")
    });
    eprintln!("change served after {took:?}");

    let reload = events.expect("reload", Duration::from_secs(1));
    let paths: Vec<&str> = reload["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(paths.contains(&"reports/sandun/index.html"), "{paths:?}");
    // The other report's page did not change: open tabs on it are left alone.
    assert!(!paths.contains(&"reports/liangzhu/index.html"), "{paths:?}");
    assert!(reload["generation"].as_u64().unwrap() >= 2);
    let log = server.log();
    assert!(
        log.contains("rebuilt 2 reports") && log.contains("content/reports/sandun.md"),
        "{log}"
    );
}

#[test]
fn a_broken_file_shows_its_error_and_the_last_good_site_stays_until_it_is_fixed() {
    let site = small_site();
    let server = Server::start(&site, &[]);
    let events = server.events();
    events.expect("hello", Duration::from_secs(10));
    let path = site.root().join("content/reports/sandun.md");
    let good = std::fs::read_to_string(&path).unwrap();

    std::fs::write(&path, good.replace("town: 三墩镇", "town: [三墩镇")).unwrap();
    let failed = events.expect("failed", Duration::from_secs(5));
    let diags = failed["diagnostics"].as_array().unwrap();
    assert_eq!(diags[0]["path"], "content/reports/sandun.md");
    assert_eq!(diags[0]["level"], "error");
    assert!(diags[0]["line"].as_u64().unwrap() >= 3, "{failed}");
    assert!(failed["text"]
        .as_str()
        .unwrap()
        .starts_with("content/reports/sandun.md:"));

    // The old page is still served, and a newly opened page learns about the failure at once.
    let page = server.get("/reports/sandun/");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("三墩镇的正文。"));
    let status: serde_json::Value =
        serde_json::from_str(&server.get("/__casebook/status").body).unwrap();
    assert_eq!(
        status["failure"]["diagnostics"][0]["path"],
        "content/reports/sandun.md"
    );
    let late = server.events();
    let hello = late.expect("hello", Duration::from_secs(5));
    assert_eq!(
        hello["failure"]["diagnostics"][0]["path"],
        "content/reports/sandun.md"
    );
    assert!(server.log().contains("still serving the last good site"));

    std::fs::write(&path, good.replace("三墩镇的正文。", "修好了。")).unwrap();
    events.expect("reload", Duration::from_secs(5));
    server.wait_for("/reports/sandun/", Duration::from_secs(1), |r| {
        r.body.contains("修好了。")
    });
    let status: serde_json::Value =
        serde_json::from_str(&server.get("/__casebook/status").body).unwrap();
    assert_eq!(status["failure"], serde_json::Value::Null);
}

#[test]
fn a_site_that_does_not_build_at_start_is_served_once_fixed() {
    let site = small_site();
    site.write(
        "content/reports/bad.md",
        "---\ntitle: 坏\ntown: 坏镇\ncity: 杭州市\ntactics: []\n---\n",
    );
    let server = Server::start(&site, &[]);
    let page = server.get("/");
    assert_eq!(page.status, 503);
    assert!(page.body.contains("data-casebook-live"));
    assert!(server
        .log()
        .contains("content/reports/bad.md:5:1: error: `tactics` must list at least one tactic"));
    std::fs::remove_file(site.root().join("content/reports/bad.md")).unwrap();
    server.wait_for("/", Duration::from_secs(5), |r| r.status == 200);
}

#[test]
fn theme_files_are_watched_even_when_the_themes_folder_appears_later() {
    let site = small_site();
    let server = Server::start(&site, &[]);
    assert_eq!(server.get("/extra.css").status, 404);
    site.write("themes/default/static/extra.css", "body { color: red }\n");
    server.wait_for("/extra.css", Duration::from_secs(5), |r| {
        r.status == 200 && r.body.contains("color: red")
    });
    site.write("themes/default/static/extra.css", "body { color: blue }\n");
    server.wait_for("/extra.css", Duration::from_secs(5), |r| {
        r.body.contains("blue")
    });
    // A template override re-renders the pages with it.
    site.write(
        "themes/default/templates/page.html",
        "{% extends \"base.html\" %}{% block main %}<p>自定义页面模板</p>{% endblock main %}",
    );
    server.wait_for("/pages/about/", Duration::from_secs(5), |r| {
        r.body.contains("自定义页面模板")
    });
}

/// A page open while the search index is rebuilt holds the old manifest: the files it asks
/// for with the old version are not found (not the new index's files under the same names).
#[test]
fn search_files_of_another_index_version_are_not_found() {
    let site = small_site();
    let server = Server::start(&site, &[]);
    server.wait_for("/search/manifest.js", Duration::from_secs(60), |r| {
        r.status == 200
    });
    let manifest = server.get("/search/manifest.js").body;
    let version = manifest
        .split("\"version\":\"")
        .nth(1)
        .and_then(|v| v.split('"').next())
        .unwrap()
        .to_string();
    let table = "/search/idx/s0.js";
    assert_eq!(server.get(&format!("{table}?v={version}")).status, 200);
    assert_eq!(server.get(table).status, 200, "no version: no check");
    assert_eq!(server.get(&format!("{table}?v=0000000000")).status, 404);
    assert_eq!(server.get("/search/d/0.js?v=0000000000").status, 404);
    // After an edit the index is rebuilt: the old version's files are gone.
    append(&site, "content/reports/sandun.md", "\n新的一段。\n");
    server.wait_for(
        &format!("{table}?v={version}"),
        Duration::from_secs(60),
        |r| r.status == 404,
    );
}

/// A save stops the search index being made for the build before it; a save that breaks the
/// build stops it too, and the index is made again for the last good build, the one served:
/// search ends as a fresh build of that state makes it (same version), never as the build
/// before it.
#[test]
fn after_a_good_save_and_a_broken_one_search_serves_the_last_good_build() {
    let site = small_site();
    // Enough text that the index is still being made when the broken save arrives, 300 ms
    // after it starts (at 60 repeats the index of 1,500 reports took 0.3 s in a release build
    // once a character inside a run was no token: too short; at 240, about a second).
    let body = "镇总工会开展职工技能比武，建立服务驿站，推动企业与职工协商。".repeat(240);
    for k in 0..1500 {
        site.write(
            &format!("content/reports/extra-{k}.md"),
            &format!(
                "---\ntitle: 第{k}镇\ntown: 第{k}镇\ncity: 杭州市\ntactics: [志愿服务]\n---\n\n{body}\n"
            ),
        );
    }
    let version = |manifest: &str| {
        manifest
            .split("\"version\":\"")
            .nth(1)
            .and_then(|v| v.split('"').next())
            .unwrap()
            .to_string()
    };
    // The good state's index as a build makes it, beforehand (serve ignores the output).
    let sandun = site.root().join("content/reports/sandun.md");
    let before = std::fs::read_to_string(&sandun).unwrap();
    let save = "\n镇里新办了职工书屋。\n";
    append(&site, "content/reports/sandun.md", save);
    site.build_ok();
    let good = version(&site.out("search/manifest.js"));
    std::fs::write(&sandun, &before).unwrap();

    let server = Server::start(&site, &[]);
    server.wait_for("/search/manifest.js", Duration::from_secs(60), |r| {
        r.status == 200
    });
    assert_ne!(good, version(&server.get("/search/manifest.js").body));
    let events = server.events();
    events.expect("hello", Duration::from_secs(30));
    append(&site, "content/reports/sandun.md", save);
    events.expect("reload", Duration::from_secs(30));
    // Into the index of the good save (it starts after a pause of `INDEX_QUIET`, 300 ms).
    thread::sleep(Duration::from_millis(600));
    replace(&site, "content/reports/liangzhu.md", "title:", "title: [");
    events.expect("failed", Duration::from_secs(30));
    server.wait_for("/search/manifest.js", Duration::from_secs(60), |r| {
        version(&r.body) == good
    });
    let log = server.log();
    assert!(
        log.contains("search index: stopped for a newer save"),
        "the broken save stopped the index:\n{log}"
    );
}

#[test]
fn paths_outside_the_site_are_refused() {
    let site = small_site();
    let server = Server::start(&site, &[]);
    for target in [
        "/../site.yaml",
        "/../../../../etc/passwd",
        "/reports/../../site.yaml",
        "/%2e%2e/site.yaml",
        "/%2E%2E/%2e%2e/etc/passwd",
        "/.%2e/site.yaml",
        "/reports%2f..%2f..%2fsite.yaml",
        "/..%5csite.yaml",
        "/..\\site.yaml",
        "/%252e%252e/site.yaml",
        "/index.html%00",
        "/./index.html",
    ] {
        let reply = server.get(target);
        assert!(
            reply.status == 403 || reply.status == 404,
            "{target}: {} {}",
            reply.status,
            reply.body
        );
        assert!(
            !reply.body.contains("title: 测试汇编"),
            "{target} leaked site.yaml"
        );
    }
    assert_eq!(server.get("/").status, 200, "the server survived");
}

#[test]
fn serves_under_the_base_url_path() {
    let site = small_site();
    let server = Server::start(&site, &["--base-url", "http://127.0.0.1:1111/digest/"]);
    assert!(server.url.ends_with("/digest/"), "{}", server.url);
    let home = server.get("/digest/");
    assert_eq!(home.status, 200);
    assert!(home.body.contains("测试汇编"));
    assert_eq!(server.get("/digest/reports/sandun/index.html").status, 200);
    assert_eq!(server.get("/digest/casebook.css").status, 200);
    let root = server.get("/");
    assert_eq!(root.status, 302);
    assert_eq!(root.header("location"), Some("/digest/"));
    assert_eq!(server.get("/digest").status, 302);
    assert_eq!(server.get("/casebook.css").status, 404);
    assert_eq!(server.get("/reports/sandun/index.html").status, 404);
    // The live script strips the base path to know which page it is on.
    assert!(home.body.contains(r#"var base = "/digest";"#));
    let feed = server.get("/digest/atom.xml").body.replace("&#x2F;", "/");
    assert!(feed.contains(&format!("{}reports/", server.url)), "{feed}");
}

#[test]
fn concurrent_and_vanishing_clients_do_not_stop_the_server() {
    let site = small_site();
    let server = Server::start(&site, &[]);
    let addr = server.addr.clone();
    // Clients that hang up: before sending a full request, and in the middle of a response.
    for _ in 0..20 {
        let mut s = TcpStream::connect(&addr).unwrap();
        let _ = s.write_all(b"GET /print/index.html HTTP/1.1\r\nHo");
        drop(s);
        let mut s = TcpStream::connect(&addr).unwrap();
        let _ = write!(s, "GET /print/index.html HTTP/1.1\r\nHost: x\r\n\r\n");
        let mut first = [0u8; 16];
        let _ = s.read(&mut first);
        drop(s);
        let s = TcpStream::connect(&addr).unwrap();
        drop(s);
    }
    // An event stream that goes away.
    drop(server.events());
    let workers: Vec<_> = (0..16)
        .map(|i| {
            let addr = addr.clone();
            thread::spawn(move || {
                let target = if i % 2 == 0 { "/" } else { "/reports/sandun/" };
                (0..5)
                    .map(|_| get(&addr, target).status)
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for w in workers {
        assert!(w.join().unwrap().iter().all(|&s| s == 200));
    }
    assert_eq!(server.get("/").status, 200);
}

/// Paths where serve's files (`render_cached`) and a build's (`render`) differ, in order.
fn differing<'a>(
    cached: &'a [casebook::render::SharedFile],
    full: &[casebook::output::OutputFile],
) -> Vec<&'a str> {
    // Serve's files come in no particular order (it keeps them by path); a build's are sorted.
    let mut cached: Vec<&casebook::render::SharedFile> = cached.iter().collect();
    cached.sort_by(|a, b| a.0.cmp(&b.0));
    let mut differ: Vec<&str> = cached
        .iter()
        .zip(full)
        .filter(|(a, b)| a.0 != b.path || a.1[..] != b.bytes[..])
        .map(|(a, _)| a.0.as_str())
        .collect();
    if cached.len() != full.len() {
        differ.push("(the number of files)");
    }
    differ
}

/// Asserts that serve's files are a build's, byte for byte.
fn assert_same(cached: &[casebook::render::SharedFile], full: &[casebook::output::OutputFile]) {
    let differ = differing(cached, full);
    assert!(differ.is_empty(), "these files differ: {differ:?}");
}

/// Incremental rendering is an optimisation only: on the real digest, `render_cached` gives the
/// bytes `render` gives, reuses every page when nothing changed, and after a change to one
/// report's body re-renders that report's page and the pages that show its text, nothing else.
#[test]
fn cached_rendering_matches_full_rendering_on_the_digest() {
    use casebook::render::{render, render_cached, RenderCache, RenderOptions};
    let project = casebook::load::Project::new(repo());
    let mut sources = casebook::load::load(&project).unwrap();
    let site = casebook::model::build(&sources).unwrap();
    let options = RenderOptions {
        inject: Some("<script>live()</script>".into()),
    };
    let mut cache = RenderCache::default();
    let full = render(&site, &sources.theme, &options).unwrap();
    assert_same(
        &render_cached(&site, &sources.theme, &options, &mut cache).unwrap(),
        &full,
    );
    assert_eq!(cache.reused, 0);
    assert_same(
        &render_cached(&site, &sources.theme, &options, &mut cache).unwrap(),
        &full,
    );
    assert_eq!(cache.rendered, 0);

    let i = sources
        .reports
        .iter()
        .position(|r| r.body.contains('。'))
        .unwrap();
    let edited = sources.reports[i].body.replacen('。', "。新加的一句。", 1);
    std::sync::Arc::make_mut(&mut sources.reports[i]).body = edited;
    let changed = casebook::model::build(&sources).unwrap();
    let full = render(&changed, &sources.theme, &options).unwrap();
    assert_same(
        &render_cached(&changed, &sources.theme, &options, &mut cache).unwrap(),
        &full,
    );
    // The report's page and the print edition carry the body; nothing else does.
    assert_eq!(cache.rendered, 2, "re-rendered {} pages", cache.rendered);
}

/// A theme file at a data file's path replaces it, as in a build; when the theme file goes, the
/// data file it uncovers is named as made anew, so serve tells the pages showing it to reload.
#[test]
fn a_data_file_uncovered_by_a_removed_theme_file_counts_as_new() {
    use casebook::render::{render, render_cached, RenderCache, RenderOptions};
    let project = casebook::load::Project::new(repo());
    let mut sources = casebook::load::load(&project).unwrap();
    let site = casebook::model::build(&sources).unwrap();
    let options = RenderOptions { inject: None };
    let slug = &site.reports[0].slug;
    let buckets = casebook::urls::compare_buckets(site.reports.len());
    let bucket = casebook::urls::compare_bucket(slug, buckets).to_string();
    let shadowed = casebook::urls::Route::CompareData(&bucket).path();
    let mut cache = RenderCache::default();
    render_cached(&site, &sources.theme, &options, &mut cache).unwrap();
    sources
        .theme
        .statics
        .insert(shadowed.clone(), b"/* theme */".to_vec());
    let files = render_cached(&site, &sources.theme, &options, &mut cache).unwrap();
    let served = files.iter().rev().find(|f| f.0 == shadowed).unwrap();
    assert_eq!(&served.1[..], b"/* theme */");
    sources.theme.statics.remove(&shadowed);
    let files = render_cached(&site, &sources.theme, &options, &mut cache).unwrap();
    assert!(cache.fresh.contains(&shadowed), "{:?}", cache.fresh.len());
    assert_same(&files, &render(&site, &sources.theme, &options).unwrap());
}

/// Issue 12: a rebuild of `serve` reads only what changed, parses only changed bodies and
/// renders only pages whose data changed; that must never show. After each step of a sequence
/// of edits (a body, a title, a tactic, a metric, a weight), additions and deletions (a report,
/// a page) and a configuration change, the cached pipeline's output equals a fresh build's,
/// byte for byte, on a fixture small enough to paginate.
#[test]
fn incremental_rebuilds_equal_full_rebuilds_after_edits_additions_and_deletions() {
    use casebook::load::{self, LoadCache, Project};
    use casebook::model::{self, ModelCache};
    use casebook::render::{render, render_cached, RenderCache, RenderOptions};

    let site = Site::fixture("build/site");
    // Small limits, so listings paginate and the print edition and metrics split.
    let config = site.root().join("site.yaml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        format!("{text}\npaginate_by: 2\nlimits: {{ print_volume: 2, contents_page: 3, metrics_table: 2 }}\n"),
    )
    .unwrap();
    let project = Project::new(site.root());
    let options = RenderOptions {
        inject: Some("<script>live()</script>".into()),
    };
    let (mut loaded, mut modelled, mut rendered) = (
        LoadCache::default(),
        ModelCache::default(),
        RenderCache::default(),
    );
    let report = site.root().join("content/reports/hangzhou/sandun.md");
    let original = std::fs::read_to_string(&report).unwrap();
    let mut steps: Vec<(&str, Step)> = vec![
        ("first", Box::new(|_| {})),
        ("nothing", Box::new(|_| {})),
        (
            "body",
            Box::new(|s| append(s, "content/reports/hangzhou/sandun.md", "\n新加一段。\n")),
        ),
        (
            "title",
            Box::new(|s| {
                replace(
                    s,
                    "content/reports/hangzhou/sandun.md",
                    "title: ",
                    "title: 改：",
                )
            }),
        ),
        (
            "tactic",
            Box::new(|s| {
                replace(
                    s,
                    "content/reports/hangzhou/sandun.md",
                    "tactics: [",
                    "tactics: [女职工关爱, ",
                )
            }),
        ),
        (
            "metric",
            Box::new(|s| {
                replace(
                    s,
                    "content/reports/hangzhou/sandun.md",
                    "members: ",
                    "members: 1",
                )
            }),
        ),
        (
            // The same metrics in another order: the JSON export lists them as written.
            "metric order",
            Box::new(|s| {
                replace(
                    s,
                    "content/reports/hangzhou/sandun.md",
                    "  membership_rate: 90\n  stations: 5\n",
                    "  stations: 5\n  membership_rate: 90\n",
                )
            }),
        ),
        (
            "weight",
            Box::new(|s| {
                replace(
                    s,
                    "content/reports/hangzhou/sandun.md",
                    "---\ntitle",
                    "---\nweight: -5\ntitle",
                )
            }),
        ),
        (
            // A report no other report relates to (its only tactic is its own): its
            // neighbours' pages name it through prev/next alone.
            "add",
            Box::new(|s| {
                s.report(
                    "hangzhou/zz-new",
                    "新的报告",
                    "新镇",
                    "杭州市",
                    &["独有做法"],
                );
            }),
        ),
        (
            "page",
            Box::new(|s| append(s, "content/pages/about.md", "\n又一段。\n")),
        ),
        (
            "delete",
            Box::new(|s| {
                std::fs::remove_file(s.root().join("content/reports/ningbo/xikou.md")).unwrap();
            }),
        ),
        (
            "config",
            Box::new(|s| replace(s, "site.yaml", "title: 测试汇编", "title: 改过的汇编")),
        ),
        (
            // Reports whose files did not change get other tactics' names.
            "vocabulary",
            Box::new(|s| {
                replace(
                    s,
                    "site.yaml",
                    "志愿服务: { description: 组建工会志愿者队伍。 }",
                    "志愿服务: { description: 组建工会志愿者队伍。, aliases: [文体活动] }",
                )
            }),
        ),
        (
            "restore",
            Box::new(move |s| {
                std::fs::write(
                    s.root().join("content/reports/hangzhou/sandun.md"),
                    &original,
                )
                .unwrap();
            }),
        ),
    ];
    // A metric of each report that has one: a city's charts, on its listing's first page, sum
    // the reports of every page.
    for (rel, from, to) in [
        ("hangzhou/sandun", "  stations: ", "  stations: 1"),
        ("hangzhou/tangqi", "  stations: ", "  stations: 1"),
        ("hangzhou/liangzhu", "  members:\n", "  members: 5\n"),
        ("wenzhou/longgang", "  stations: ", "  stations: 1"),
    ] {
        steps.push((
            "a metric",
            Box::new(move |s| replace(s, &format!("content/reports/{rel}.md"), from, to)),
        ));
    }
    // Then the title of every report in turn (the one added above included): whatever a
    // report's neighbours and related reports are, every page that names it must follow.
    let mut reports = vec!["content/reports/hangzhou/zz-new.md".to_string()];
    for entry in walkdir::WalkDir::new(site.root().join("content/reports")) {
        let path = entry.unwrap().into_path();
        if path.extension().is_some_and(|e| e == "md") && !path.ends_with("xikou.md") {
            let rel = path.strip_prefix(site.root()).unwrap();
            reports.push(rel.to_str().unwrap().to_string());
        }
    }
    for rel in reports {
        steps.push((
            "a title",
            Box::new(move |s| replace(s, &rel, "title: ", "title: 新")),
        ));
    }
    for (what, step) in steps {
        step(&site);
        let sources = load::read_cached(&project, &mut loaded);
        assert!(
            sources
                .diagnostics
                .iter()
                .all(|d| d.level != casebook::error::Level::Error),
            "{what}: {:?}",
            sources.diagnostics
        );
        let site_model = model::build_cached(&sources, &mut modelled).unwrap();
        let cached = render_cached(&site_model, &sources.theme, &options, &mut rendered).unwrap();
        let fresh_sources = load::load(&project).unwrap();
        let fresh_model = model::build(&fresh_sources).unwrap();
        let fresh = render(&fresh_model, &fresh_sources.theme, &options).unwrap();
        assert_eq!(cached.len(), fresh.len(), "{what}: file count");
        let differ = differing(&cached, &fresh);
        assert!(
            differ.is_empty(),
            "after `{what}` these files differ: {differ:?}"
        );
        if what == "nothing" {
            assert_eq!(rendered.rendered, 0, "nothing changed, nothing rendered");
        }
    }
    assert!(!site.root().join("output").exists());
}

/// One change to a site in the incremental rebuild test.
type Step = Box<dyn Fn(&Site)>;

fn append(site: &Site, rel: &str, text: &str) {
    let path = site.root().join(rel);
    let old = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{old}{text}")).unwrap();
}

fn replace(site: &Site, rel: &str, from: &str, to: &str) {
    let path = site.root().join(rel);
    let old = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
    assert!(old.contains(from), "{rel} has no `{from}`");
    std::fs::write(&path, old.replacen(from, to, 1)).unwrap();
}

/// The number in README's "For editors": from saving one report to the reload event reaching a
/// connected page, with the digest copied N times over (`CASEBOOK_SERVE_SCALE`, default 10:
/// 1,190 reports). Ten saves, cycling through what an editor changes: the body, the title, a
/// tactic, a metric. A measurement, not a pass/fail test:
/// `cargo test --release --test suite serve::rebuild_time -- --ignored --nocapture`.
#[test]
#[ignore]
fn rebuild_time() {
    let scale: usize = std::env::var("CASEBOOK_SERVE_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let site = Site::new();
    std::fs::copy(repo().join("site.yaml"), site.root().join("site.yaml")).unwrap();
    crate::harness::copy_dir(
        &repo().join("content/pages"),
        &site.root().join("content/pages"),
    );
    let reports = repo().join("content/reports");
    let mut target = None;
    let mut count = 0;
    for entry in walkdir::WalkDir::new(&reports) {
        let entry = entry.unwrap();
        if entry.path().extension().is_none_or(|e| e != "md") {
            continue;
        }
        let rel = entry.path().strip_prefix(&reports).unwrap();
        let text = std::fs::read_to_string(entry.path()).unwrap();
        for k in 0..scale {
            let stem = rel.file_stem().unwrap().to_str().unwrap();
            let dest = site
                .root()
                .join("content/reports")
                .join(rel.parent().unwrap())
                .join(format!("{stem}-{k}.md"));
            std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
            std::fs::write(&dest, &text).unwrap();
            count += 1;
            // A report with metrics and a sketch's place in a long listing.
            if target.is_none() && text.contains("\nmetrics:\n  ") && text.contains("速写") {
                target = Some(dest);
            }
        }
    }
    let target = target.unwrap();
    let server = Server::start(&site, &[]);
    let events = server.events();
    events.expect("hello", Duration::from_secs(300));
    // Let the first search index finish so it does not share the CPU with the first rebuild.
    thread::sleep(Duration::from_secs(3 + scale as u64 / 10));
    // CPU time of the server process (user + system, in clock ticks of 10 ms), so that the
    // number means something on a machine busy with other work too.
    let cpu = |pid: u32| -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let fields: Vec<&str> = stat
            .rsplit_once(") ")
            .map(|(_, r)| r.split(' ').collect())
            .unwrap_or_default();
        fields
            .get(11)
            .and_then(|u| u.parse::<u64>().ok())
            .unwrap_or(0)
            + fields
                .get(12)
                .and_then(|s| s.parse::<u64>().ok())
                .unwrap_or(0)
    };
    let pid = server.child.id();
    let mut times: Vec<(&str, Duration)> = Vec::new();
    let mut ticks = 0;
    for i in 0..10 {
        let text = std::fs::read_to_string(&target).unwrap();
        let (kind, edited) = edit(&text, i);
        let before = cpu(pid);
        let saved = Instant::now();
        std::fs::write(&target, edited).unwrap();
        events.expect("reload", Duration::from_secs(60));
        times.push((kind, saved.elapsed()));
        ticks += cpu(pid) - before;
        thread::sleep(Duration::from_secs(2));
    }
    for (kind, t) in &times {
        eprintln!("{kind:>6}: {t:?}");
    }
    let mut sorted: Vec<Duration> = times.iter().map(|t| t.1).collect();
    sorted.sort();
    eprintln!(
        "CPU time of the server from save to reload event: {} ms per rebuild (both cores together)",
        ticks * 10 / sorted.len() as u64
    );
    let log = server.log();
    eprintln!(
        "{}",
        log.lines()
            .filter(|l| l.starts_with("rebuilt"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    eprintln!(
        "save -> reload event at {scale}x ({count} reports): min {:?}, median {:?}, max {:?}",
        sorted[0],
        sorted[sorted.len() / 2],
        sorted[sorted.len() - 1]
    );
    assert!(log.contains(&format!("rebuilt {count} reports")), "{log}");
}

/// Save `i` of the rebuild-time measurement: the body, the title, a tactic or a metric.
fn edit(text: &str, i: usize) -> (&'static str, String) {
    match i % 4 {
        0 => ("body", format!("{text}\n第{i}次修改。\n")),
        1 => {
            let title = text.lines().find(|l| l.starts_with("title: ")).unwrap();
            (
                "title",
                text.replacen(title, &format!("{title}（第{i}次）"), 1),
            )
        }
        2 => {
            let tactics = text.lines().find(|l| l.starts_with("tactics: [")).unwrap();
            let toggled = match tactics.strip_suffix(", 文体活动]") {
                Some(rest) => format!("{rest}]"),
                None => tactics.replacen(']', ", 文体活动]", 1),
            };
            ("tactic", text.replacen(tactics, &toggled, 1))
        }
        _ => {
            let at = text.find("\nmetrics:\n  ").unwrap() + "\nmetrics:\n  ".len();
            let line_end = at + text[at..].find('\n').unwrap();
            let (key, value) = text[at..line_end].split_once(':').unwrap();
            let value: f64 = value.trim().parse().unwrap_or(0.0);
            let line = format!("{key}: {}", value + 1.0);
            (
                "metric",
                format!("{}{line}{}", &text[..at], &text[line_end..]),
            )
        }
    }
}

mod regression;

/// `serve`'s model keeps each unchanged report's warnings for unknown names from one rebuild to
/// the next, but not past a change of site.yaml: a tactic added to the vocabulary stops being
/// warned about in reports that did not change.
#[test]
fn unknown_name_warnings_follow_the_vocabulary_between_rebuilds() {
    use casebook::load::{self, LoadCache, Project};
    use casebook::model::{self, ModelCache};

    let site = Site::fixture("build/site");
    site.report(
        "hangzhou/zz-new",
        "新的报告",
        "新镇",
        "杭州市",
        &["独有做法"],
    );
    let project = Project::new(site.root());
    let (mut loaded, mut modelled) = (LoadCache::default(), ModelCache::default());
    let mut warned = || {
        let sources = load::read_changed(&project, &mut loaded, None);
        let built = model::build_cached(&sources, &mut modelled).unwrap();
        built
            .diagnostics
            .iter()
            .filter(|d| d.message.contains("独有做法"))
            .map(|d| d.path.to_string_lossy().replace('\\', "/"))
            .collect::<Vec<_>>()
    };
    assert_eq!(warned(), ["content/reports/hangzhou/zz-new.md"]);
    // Nothing changed: the same warning, from the kept one.
    assert_eq!(warned(), ["content/reports/hangzhou/zz-new.md"]);
    replace(
        &site,
        "site.yaml",
        "  志愿服务: { description: 组建工会志愿者队伍。 }\n",
        "  志愿服务: { description: 组建工会志愿者队伍。 }\n  独有做法: { description: 只此一家。 }\n",
    );
    assert!(warned().is_empty(), "the vocabulary knows it now");
    replace(
        &site,
        "site.yaml",
        "  独有做法: { description: 只此一家。 }\n",
        "",
    );
    assert_eq!(warned(), ["content/reports/hangzhou/zz-new.md"]);
}
