use super::*;

fn head(text: &str) -> Head {
    match parse(text.as_bytes()) {
        Parsed::Done(head, _) => head,
        Parsed::Partial => panic!("partial: {text:?}"),
    }
}

#[test]
fn a_request_head_is_parsed_with_what_serve_needs() {
    let Head::Request(r) = head("GET /a?b HTTP/1.1\r\nHost: localhost:1111\r\n\r\n") else {
        panic!()
    };
    assert_eq!(r.method, Method::Get);
    assert_eq!(r.target, "/a?b");
    assert_eq!(r.host.as_deref(), Some("localhost:1111"));
    assert!(r.http11 && !r.close);
    let Head::Request(r) = head("HEAD / HTTP/1.0\r\n\r\n") else {
        panic!()
    };
    assert!(r.method == Method::Head && r.close && r.host.is_none());
    // A body serve does not read ends the connection after the answer.
    let Head::Request(r) = head("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
    else {
        panic!()
    };
    assert!(r.method == Method::Other && r.close);
    assert!(matches!(
        parse(b"GET / HTTP/1.1\r\nHost: x\r\n"),
        Parsed::Partial
    ));
}

#[test]
fn heads_past_the_limits_are_refused_with_their_status() {
    let long = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(MAX_TARGET));
    assert!(matches!(head(&long), Head::Refused(414, _)));
    let big = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "b".repeat(MAX_HEADERS));
    assert!(matches!(head(&big), Head::Refused(431, _)));
    let many: String = (0..=MAX_FIELDS).map(|i| format!("X-{i}: 1\r\n")).collect();
    assert!(matches!(
        head(&format!("GET / HTTP/1.1\r\n{many}\r\n")),
        Head::Refused(431, _)
    ));
    assert!(matches!(head("NOT HTTP\r\n\r\n"), Head::Refused(400, _)));
    // A head cut off at the buffer's limit: still in the URL, or past it.
    assert!(matches!(too_long(&[b'a'; 100]), Head::Refused(414, _)));
    assert!(matches!(
        too_long(b"GET / HTTP/1.1\r\nX: bbbb"),
        Head::Refused(431, _)
    ));
}

#[test]
fn only_this_servers_names_are_answered() {
    let hosts = Hosts::new("127.0.0.1".parse().unwrap(), &["Digest.Test".into()]);
    for ok in [
        "127.0.0.1:1111",
        "127.0.0.1",
        "127.1.2.3:80",
        "localhost",
        "LOCALHOST:1111",
        "localhost.:1111",
        "app.localhost:1111",
        "[::1]:1111",
        "[::1]",
        "digest.test:1111",
    ] {
        assert!(hosts.allows(ok), "{ok}");
    }
    for refused in [
        "evil.example",
        "evil.example:1111",
        "127.0.0.1.evil.example",
        "localhost.evil.example:1111",
        "10.0.0.5:1111",
        "",
        ":1111",
    ] {
        assert!(!hosts.allows(refused), "{refused}");
    }
    // Bound to every address: any address may name it, names still may not.
    let all = Hosts::new("0.0.0.0".parse().unwrap(), &[]);
    assert!(all.allows("10.0.0.5:1111"));
    assert!(!all.allows("evil.example:1111"));
}
