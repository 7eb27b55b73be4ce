use std::path::Path;

use super::*;

#[test]
fn split_reports_body_line() {
    let text = "---\ntitle: a\ncity: b\n---\nbody\n";
    let s = split(Path::new("x.md"), text).unwrap();
    assert_eq!(s.yaml, "title: a\ncity: b\n");
    assert_eq!(s.body, "body\n");
    assert_eq!(s.body_line, 5);
}

#[test]
fn unclosed_front_matter_is_an_error() {
    let err = split(Path::new("x.md"), "---\ntitle: a\n").unwrap_err();
    assert!(err.message.contains("not closed"), "{}", err.message);
}

#[test]
fn yaml_error_line_is_shifted_to_file_lines() {
    let text = "---\ntitle: a\ntactics: [a\n---\n";
    let s = split(Path::new("x.md"), text).unwrap();
    let mut diags = Vec::new();
    assert!(parse_fields(Path::new("x.md"), &s, &["title", "tactics"], &mut diags).is_none());
    assert_eq!(diags.len(), 1);
    assert!(diags[0].line >= 3, "{:?}", diags[0]);
}

#[test]
fn unknown_key_suggests_the_closest() {
    let text = "---\ntitle: a\ntactic: [x]\n---\n";
    let s = split(Path::new("x.md"), text).unwrap();
    let mut diags = Vec::new();
    parse_fields(Path::new("x.md"), &s, &["title", "tactics"], &mut diags).unwrap();
    assert_eq!(diags[0].line, 3);
    assert!(
        diags[0].message.contains("did you mean `tactics`"),
        "{}",
        diags[0].message
    );
}

#[test]
fn key_positions_find_plain_and_quoted_keys() {
    let yaml = "title: x\n\"town\": y\n'city' : z\ntitles: no\nmetrics:\n  a: 1\n  'b': 2\n";
    assert_eq!(key_position(yaml, "title", None), Some((1, 1)));
    assert_eq!(key_position(yaml, "town", None), Some((2, 1)));
    assert_eq!(key_position(yaml, "city", None), Some((3, 1)));
    assert_eq!(key_position(yaml, "titles", None), Some((4, 1)));
    assert_eq!(key_position(yaml, "a", Some("metrics")), Some((6, 3)));
    assert_eq!(key_position(yaml, "b", Some("metrics")), Some((7, 3)));
    assert_eq!(
        key_position(yaml, "a", None),
        None,
        "nested keys are not top-level"
    );
}
