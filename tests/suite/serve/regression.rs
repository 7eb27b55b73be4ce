//! Regression tests for the dev server's faults found in issue 10: a replaced `content/` no
//! longer watched, request heads of any size, half-sent requests held open for good, a thread for
//! every connection, and answers to any `Host` (DNS rebinding).

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use super::{small_site, Server};
use crate::harness::copy_dir;

/// Status and body of the answer to `request`, sent byte for byte on a fresh connection.
fn send(addr: &str, request: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    // The server may answer and close before it has read everything (a head that is too long):
    // a failed write is part of the test, the answer is what counts.
    let _ = stream.write_all(request);
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn status(server: &Server) -> serde_json::Value {
    serde_json::from_str(&server.get("/__casebook/status").body).unwrap()
}

/// Changes the body of `content/reports/sandun.md` and waits for the page to show it.
fn edit_is_served(site: &crate::harness::Site, server: &Server, text: &str) {
    let path = site.root().join("content/reports/sandun.md");
    let old = std::fs::read_to_string(&path).unwrap();
    let start = old.find("---\n\n").unwrap() + 5;
    std::fs::write(&path, format!("{}{text}\n", &old[..start])).unwrap();
    server.wait_for("/reports/sandun/", Duration::from_secs(5), |r| {
        r.body.contains(text)
    });
}

#[test]
fn regression_serve_watches_content_again_after_it_is_moved_away_and_back() {
    let site = small_site();
    let server = Server::start(&site, &[]);
    let content = site.root().join("content");
    let away = site.root().join("content.away");
    // As an editor or a tool that swaps folders does: the folder leaves and comes back.
    std::fs::rename(&content, &away).unwrap();
    thread::sleep(Duration::from_millis(300));
    std::fs::rename(&away, &content).unwrap();
    thread::sleep(Duration::from_millis(300));
    edit_is_served(&site, &server, "搬回来以后改的正文。");
    edit_is_served(&site, &server, "再改一次。");
    let state = status(&server);
    assert_eq!(state["failure"], serde_json::Value::Null, "{state}");
    assert_eq!(state["watch"], serde_json::Value::Null, "{state}");
}

#[test]
fn regression_serve_watches_content_again_after_it_is_deleted_and_copied_back() {
    let site = small_site();
    let server = Server::start(&site, &[]);
    let content = site.root().join("content");
    let saved = tempfile::tempdir().unwrap();
    copy_dir(&content, saved.path());

    // As `git checkout` of a branch without the folder does: gone, then back as new files.
    // Without content the site is empty (a warning, not an error): the page goes away.
    std::fs::remove_dir_all(&content).unwrap();
    server.wait_for("/reports/sandun/", Duration::from_secs(5), |r| {
        r.status == 404
    });
    let generation = status(&server)["generation"].as_u64().unwrap();

    copy_dir(saved.path(), &content);
    server.wait_for("/reports/sandun/", Duration::from_secs(5), |r| {
        r.status == 200
    });
    let back = status(&server);
    assert!(back["generation"].as_u64().unwrap() > generation, "{back}");
    assert_eq!(back["failure"], serde_json::Value::Null, "{back}");
    edit_is_served(&site, &server, "复制回来以后改的正文。");
    edit_is_served(&site, &server, "又改了一次。");
    assert_eq!(status(&server)["watch"], serde_json::Value::Null);
}

#[test]
fn regression_serve_refuses_request_heads_past_its_limits() {
    let site = small_site();
    let server = Server::start(&site, &[]);
    let addr = &server.addr;

    let long_url = format!(
        "GET /{} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n",
        "a".repeat(10 * 1024)
    );
    assert_eq!(send(addr, long_url.as_bytes()).0, 414);
    let big_header = format!(
        "GET / HTTP/1.1\r\nHost: {addr}\r\nX-Big: {}\r\nConnection: close\r\n\r\n",
        "b".repeat(20 * 1024)
    );
    assert_eq!(send(addr, big_header.as_bytes()).0, 431);
    let many = format!(
        "GET / HTTP/1.1\r\nHost: {addr}\r\n{}Connection: close\r\n\r\n",
        (0..200)
            .map(|i| format!("X-{i}: 1\r\n"))
            .collect::<String>()
    );
    assert_eq!(send(addr, many.as_bytes()).0, 431);

    // A header that never ends: the server stops reading long before memory is at stake.
    let rss = |pid: u32| -> u64 {
        let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        s.lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    };
    let pid = server.child.id();
    let before = rss(pid);
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_write_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(stream, "GET / HTTP/1.1\r\nHost: {addr}\r\nX-Endless: ").unwrap();
    let chunk = vec![b'c'; 1 << 20];
    let mut sent = 0usize;
    while sent < 256 << 20 && stream.write_all(&chunk).is_ok() {
        sent += chunk.len();
    }
    assert!(
        sent < 64 << 20,
        "the server read {} MiB of one header",
        sent >> 20
    );
    let grown = rss(pid).saturating_sub(before);
    assert!(grown < 32 * 1024, "the server grew by {grown} KiB");
    drop(stream);
    assert_eq!(server.get("/").status, 200, "the server survived");
}

#[test]
fn regression_serve_closes_a_half_sent_request() {
    let site = small_site();
    let server = Server::start(&site, &[]);
    let mut stream = TcpStream::connect(&server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream.write_all(b"GET / HTTP/1.1\r\nHo").unwrap();
    let start = Instant::now();
    let mut answer = Vec::new();
    let read = stream.read_to_end(&mut answer);
    let took = start.elapsed();
    assert!(
        read.is_ok() && took < Duration::from_secs(15),
        "still open after {took:?}: {read:?}"
    );
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    // An idle connection that never sent a byte is closed too.
    let mut idle = TcpStream::connect(&server.addr).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let start = Instant::now();
    let _ = idle.read_to_end(&mut Vec::new());
    assert!(start.elapsed() < Duration::from_secs(15));
}

#[test]
fn regression_serve_caps_its_connections_instead_of_a_thread_each() {
    let site = small_site();
    let server = Server::start(&site, &[]);
    let threads = |pid: u32| {
        std::fs::read_dir(format!("/proc/{pid}/task"))
            .map(|d| d.count())
            .unwrap_or(0)
    };
    let pid = server.child.id();
    let base = threads(pid);
    let mut held = Vec::new();
    for _ in 0..400 {
        let mut s = TcpStream::connect(&server.addr).unwrap();
        let _ = s.write_all(b"GET / HTTP/1.1\r\n");
        held.push(s);
    }
    thread::sleep(Duration::from_millis(500));
    let during = threads(pid);
    assert!(
        during < base + 150,
        "{during} threads for 400 connections (was {base})"
    );
    // Past the cap a connection gets a short answer at once, not a wait.
    let (code, body) = send(
        &server.addr,
        format!(
            "GET / HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            server.addr
        )
        .as_bytes(),
    );
    assert_eq!(code, 503, "{body}");
    for s in &held {
        let _ = s.shutdown(Shutdown::Both);
    }
    drop(held);
    server.wait_for("/", Duration::from_secs(5), |r| r.status == 200);
}

#[test]
fn regression_serve_answers_only_its_own_host_names() {
    let site = small_site();
    let server = Server::start(&site, &["--base-url", "http://digest.test:1111/"]);
    let addr = &server.addr;
    let port = addr.rsplit_once(':').unwrap().1;
    let ask = |host: &str, path: &str| {
        send(
            addr,
            format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
    };
    // A page on another site whose name was made to point at 127.0.0.1 (DNS rebinding).
    for host in [
        format!("evil.example:{port}"),
        "evil.example".into(),
        format!("127.0.0.1.evil.example:{port}"),
        format!("localhost.evil.example:{port}"),
    ] {
        for path in ["/", "/__casebook/status", "/__casebook/events"] {
            let (code, body) = ask(&host, path);
            assert_eq!(code, 421, "{host} {path}: {body}");
            assert!(!body.contains("测试汇编"), "{host} {path}");
            assert!(body.len() < 400, "{body}");
        }
    }
    for host in [
        addr.clone(),
        format!("localhost:{port}"),
        format!("LocalHost:{port}"),
        format!("[::1]:{port}"),
        format!("digest.test:{port}"),
        "digest.test".into(),
    ] {
        assert_eq!(ask(&host, "/").0, 200, "{host}");
    }
    // HTTP/1.1 requires a Host; a request without one is refused.
    let (code, _) = send(addr, b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
    assert_eq!(code, 400);
}
