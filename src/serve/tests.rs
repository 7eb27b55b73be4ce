use super::*;
use crate::load::Project;

fn site(path: &str) -> bool {
    matches!(
        path,
        "index.html" | "reports/sandun/index.html" | "casebook.css" | "search/index.html"
    )
}

#[test]
fn paths_map_to_files_under_the_base_path() {
    assert_eq!(resolve("/", "/", site), Resolved::File("index.html".into()));
    assert_eq!(
        resolve("/", "/reports/sandun/?x=1#y", site),
        Resolved::File("reports/sandun/index.html".into())
    );
    assert_eq!(
        resolve("/", "/reports/sandun", site),
        Resolved::Redirect("/reports/sandun/".into())
    );
    assert_eq!(resolve("/", "/nope.html", site), Resolved::NotFound);
    assert_eq!(
        resolve("/digest/", "/digest/casebook.css", site),
        Resolved::File("casebook.css".into())
    );
    assert_eq!(
        resolve("/digest/", "/", site),
        Resolved::Redirect("/digest/".into())
    );
    assert_eq!(
        resolve("/digest/", "/digest", site),
        Resolved::Redirect("/digest/".into())
    );
    assert_eq!(
        resolve("/digest/", "/casebook.css", site),
        Resolved::NotFound
    );
    assert_eq!(
        resolve("/digest/", "/digest//index.html", site),
        Resolved::NotFound
    );
}

#[test]
fn traversal_is_refused_in_every_spelling() {
    for target in [
        "/../etc/passwd",
        "/reports/../../etc/passwd",
        "/%2e%2e/etc/passwd",
        "/%2E%2E/%2e%2e/etc/passwd",
        "/reports%2f..%2f..%2fetc",
        "/reports%5c..%5cetc",
        "/..\\..\\etc",
        "/./index.html",
        "/index.html%00.css",
        "/%ff%fe",
    ] {
        assert_eq!(resolve("/", target, site), Resolved::Forbidden, "{target}");
    }
    // Not traversal: dots inside names, encoded letters.
    assert_eq!(
        resolve("/", "/reports/%73andun/", site),
        Resolved::File("reports/sandun/index.html".into())
    );
}

#[test]
fn text_types_say_utf8() {
    for p in ["a.html", "b.css", "c.js", "d.json", "e.xml", "f.csv"] {
        assert!(content_type(p).ends_with("; charset=utf-8"), "{p}");
    }
    assert_eq!(content_type("x.woff2"), "font/woff2");
    assert_eq!(content_type("noext"), "application/octet-stream");
}

#[test]
fn base_paths_are_normalised() {
    assert_eq!(base_path(None).unwrap(), "/");
    assert_eq!(
        base_path(Some("http://127.0.0.1:1111/digest/")).unwrap(),
        "/digest/"
    );
    assert_eq!(base_path(Some("https://example.org/a/b")).unwrap(), "/a/b/");
    assert_eq!(base_path(Some("https://example.org")).unwrap(), "/");
    assert_eq!(base_path(Some("/digest")).unwrap(), "/digest/");
    assert!(base_path(Some("/a/../b/")).is_err());
}

#[test]
fn live_script_knows_the_base_path() {
    let s = live_script("/digest/");
    assert!(s.contains(r#"var base = "/digest";"#));
    assert!(s.contains(EVENTS_PATH));
}

fn options(root: &std::path::Path, port: u16) -> ServeOptions {
    ServeOptions {
        project: Project::new(root),
        bind: "127.0.0.1".parse().unwrap(),
        port,
        base_path: "/".into(),
        hosts: Vec::new(),
    }
}

#[test]
fn regression_a_port_in_use_is_a_typed_error_that_keeps_its_cause() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let err = serve(&options(dir.path(), port), |_| {}).unwrap_err();
    let Error::Bind { addr, source } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(addr.port(), port);
    assert_eq!(source.kind(), std::io::ErrorKind::AddrInUse);
    assert_eq!(
        err.to_string(),
        format!("cannot listen on 127.0.0.1:{port}")
    );
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn regression_an_unwatchable_project_is_a_typed_error_naming_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    let err = serve(&options(&missing, 0), |_| {}).unwrap_err();
    let Error::Watch { path, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(path.ends_with("missing"), "{}", path.display());
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn base_hosts_are_the_names_serve_answers_besides_loopback() {
    assert_eq!(base_host(None), None);
    assert_eq!(base_host(Some("/digest/")), None);
    assert_eq!(
        base_host(Some("http://Digest.Test:1111/a/")).as_deref(),
        Some("digest.test")
    );
    assert_eq!(
        base_host(Some("https://u:p@example.org?x")).as_deref(),
        Some("example.org")
    );
    assert_eq!(
        base_host(Some("http://[::1]:1111/")).as_deref(),
        Some("[::1]")
    );
}
