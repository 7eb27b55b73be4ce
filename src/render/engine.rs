//! Tera set-up: the theme's templates compiled once, HTML escaping, rendering one template with
//! errors that name it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;
use tera::{Context, Tera};

use crate::error::{Diagnostic, Error, Result};
use crate::i18n::{Strings, Translate};
use crate::theme::Theme;

/// Compiles the theme's templates (overrides by name; a built-in also as `builtin/<name>` where
/// a template names it).
pub fn compile(theme: &Theme, strings: &std::sync::Arc<Strings>) -> Result<Tera> {
    let mut all: Vec<(String, String)> = theme
        .templates
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    // The built-ins as `builtin/<name>`, only those a template names (an override extending
    // its original) and what they name in turn: parsing templates is most of compiling them,
    // and most themes name none, so every template was parsed twice (a tenth of a digest build).
    let mut i = 0;
    while i < all.len() {
        if all[i].1.contains("builtin/") {
            let named: Vec<(String, String)> = theme
                .builtin_templates
                .iter()
                .map(|(k, v)| (format!("builtin/{k}"), v))
                .filter(|(name, _)| {
                    all[i].1.contains(name.as_str()) && all.iter().all(|(n, _)| n != name)
                })
                .map(|(name, v)| (name, v.clone()))
                .collect();
            all.extend(named);
        }
        i += 1;
    }
    let folded: Vec<(String, String)> = all
        .iter()
        .map(|(name, source)| (name.clone(), fold_translations(name, source, strings)))
        .collect();
    let tera = match with_functions(strings, folded) {
        Ok(tera) => tera,
        // A theme's error is reported against the sources as written.
        Err(_) => with_functions(strings, all).map_err(|e| template_error("(theme)", &e))?,
    };
    check_recursion(&tera, theme)?;
    Ok(tera)
}

/// Suffixes of the templates whose output Tera escapes.
const ESCAPED: [&str; 2] = [".html", ".xml"];

/// A Tera with casebook's function, filter and escaping, and `templates`.
fn with_functions(
    strings: &std::sync::Arc<Strings>,
    templates: Vec<(String, String)>,
) -> tera::Result<Tera> {
    let mut tera = Tera::default();
    tera.register_function("t", Translate(std::sync::Arc::clone(strings)));
    tera.autoescape_on(ESCAPED.to_vec());
    tera.set_escape_fn(escape_html);
    tera.register_filter("css_string", css_string_filter);
    tera.add_raw_templates(templates)?;
    Ok(tera)
}

/// `source` with every `{{ t(k="key") }}` (a fixed key, no arguments, no filter) replaced by
/// what it renders: the site's text for the key, escaped. The strings are fixed for a compiled
/// Tera (serve compiles again when they change), and a page calls some fifty of these: each
/// call built its arguments' map, the text and its escaped copy, on each of 12,700 pages at
/// 100x the digest.
///
/// Tera escapes by the name of the page's own template, wherever the call sits; casebook's page
/// templates are all `.html` or `.xml` (`render/pages/`), so the text is escaped, and only in
/// `.html` and `.xml` files (another file may be included where a future page does not escape).
/// Left to the call: templates with a raw block (their calls are text); calls inside tags (a
/// string literal) and macro bodies (a macro called in `set` or as an argument renders
/// unescaped); texts that could read as template syntax, and texts that are empty or begin or
/// end with white space (a neighbour's `-}}` or `{%-` would trim them).
fn fold_translations(name: &str, source: &str, strings: &Strings) -> String {
    static RAW: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\{%-?\s*raw\s*-?%\}").expect("valid regex"));
    static KEEP: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?s)\{%-?\s*macro\s.*?\{%-?\s*endmacro\b.*?%\}|\{%.*?%\}|\{#.*?#\}")
            .expect("valid regex")
    });
    if !ESCAPED.iter().any(|e| name.ends_with(e)) || RAW.is_match(source) {
        return source.to_string();
    }
    let mut out = String::with_capacity(source.len());
    let mut at = 0;
    for keep in KEEP.find_iter(source) {
        out.push_str(&fold_calls(&source[at..keep.start()], strings));
        out.push_str(keep.as_str());
        at = keep.end();
    }
    out.push_str(&fold_calls(&source[at..], strings));
    out
}

/// [`fold_translations`] of template text outside tags, comments and macros.
fn fold_calls<'s>(text: &'s str, strings: &Strings) -> std::borrow::Cow<'s, str> {
    static CALL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"\{\{ *t\(k="([A-Za-z0-9_.-]+)"\) *\}\}"#).expect("valid regex")
    });
    CALL.replace_all(text, |c: &regex::Captures<'_>| {
        let folded = escape_html(&strings.format(&c[1], None, &[]));
        // `%`, `#` or `-` first could join a `{` written before the call into a tag.
        let literal = !folded.is_empty()
            && !folded.contains(['{', '}'])
            && !folded.starts_with(['%', '#', '-'])
            && !folded.starts_with(char::is_whitespace)
            && !folded.ends_with(char::is_whitespace);
        if literal {
            folded
        } else {
            c[0].to_string()
        }
    })
}

/// Where a template comes from, for messages: the site's file, or the embedded theme's.
fn template_file(theme: &Theme, name: &str) -> PathBuf {
    match name.strip_prefix("builtin/") {
        Some(builtin) => Path::new("(built-in theme)")
            .join("templates")
            .join(builtin),
        None => theme
            .template_files
            .get(name)
            .cloned()
            .unwrap_or_else(|| Path::new("(built-in theme)").join("templates").join(name)),
    }
}

/// Refuses templates that recurse: a macro that calls itself (directly or through others), or
/// templates that include each other. Tera has no depth limit, so such a template overflowed
/// the stack and aborted the process; refusing every cycle (bounded recursion included) is the
/// one check that cannot miss, and a theme writes repetition with `for` loops.
///
/// The calls are read from the Debug form of Tera's syntax tree (`MacroCall { namespace, name }`,
/// `Include(.., [names], ..)`): its types are hidden from Tera's documentation, and walking every
/// expression kind by hand would break as silently when they change. `cycle_is_found_in_tera_asts`
/// below fails if the form changes.
fn check_recursion(tera: &Tera, theme: &Theme) -> Result<()> {
    static CALL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"MacroCall \{ namespace: "((?:[^"\\]|\\.)*)", name: "((?:[^"\\]|\\.)*)""#)
            .expect("valid regex")
    });
    static INCLUDE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"Include\(WS \{ left: \w+, right: \w+ \}, \[([^\]]*)\]").expect("valid regex")
    });
    static QUOTED: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#""((?:[^"\\]|\\.)*)""#).expect("valid regex"));
    // Nodes: `file` (a template's own content) and `file::macro`.
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for name in tera.get_template_names() {
        let Ok(tpl) = tera.get_template(name) else {
            continue;
        };
        let namespaces: BTreeMap<&str, &str> = tpl
            .imported_macro_files
            .iter()
            .map(|(file, ns)| (ns.as_str(), file.as_str()))
            .collect();
        let targets = |debug: &str| -> BTreeSet<String> {
            let mut out = BTreeSet::new();
            for c in CALL.captures_iter(debug) {
                let file = if &c[1] == "self" {
                    Some(name)
                } else {
                    namespaces.get(&c[1]).copied()
                };
                if let Some(file) = file {
                    out.insert(format!("{file}::{}", &c[2]));
                }
            }
            for inc in INCLUDE.captures_iter(debug) {
                out.extend(QUOTED.captures_iter(&inc[1]).map(|q| q[1].to_string()));
            }
            out
        };
        let own: Vec<_> = tpl
            .ast
            .iter()
            .filter(|n| !matches!(n, tera::ast::Node::MacroDefinition(..)))
            .collect();
        let mut top = targets(&format!("{own:?}"));
        top.extend(tpl.parent.clone());
        edges.insert(name.to_string(), top);
        for (m, def) in &tpl.macros {
            edges.insert(format!("{name}::{m}"), targets(&format!("{:?}", def.body)));
        }
    }
    let Some(cycle) = find_cycle(&edges) else {
        return Ok(());
    };
    let first = &cycle[0];
    let (file, what) = match first.split_once("::") {
        Some((file, m)) => (file, format!("macro `{m}`")),
        None => (first.as_str(), format!("template `{first}`")),
    };
    let source = match file.strip_prefix("builtin/") {
        Some(b) => theme.builtin_templates.get(b),
        None => theme.templates.get(file),
    }
    .map_or("", String::as_str);
    let needle = match first.split_once("::") {
        Some((_, m)) => format!("macro {m}"),
        None => "include".to_string(),
    };
    let (line, col) = source
        .find(&needle)
        .map_or((0, 0), |at| crate::error::line_col(source, at));
    Err(Error::Content(vec![Diagnostic::error(
        &template_file(theme, file),
        line,
        col,
        format!(
            "{what} calls itself ({}): recursion in templates is refused, as one that never \
             stopped would abort the build; repeat with a `for` loop instead",
            cycle.join(" → ")
        ),
    )]))
}

/// A cycle of `edges` as the path from its first node back to it, if there is one.
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    let mut marks: BTreeMap<&str, Mark> = BTreeMap::new();
    for start in edges.keys() {
        if marks.contains_key(start.as_str()) {
            continue;
        }
        // Iterative depth-first search: a theme's own call graph must not overflow our stack.
        let mut path: Vec<&str> = vec![start];
        let mut stack: Vec<std::collections::btree_set::Iter<'_, String>> =
            vec![edges[start].iter()];
        marks.insert(start, Mark::Open);
        while let Some(next) = stack.last_mut().map(Iterator::next) {
            match next {
                Some(n) => match marks.get(n.as_str()) {
                    Some(Mark::Open) => {
                        let from = path.iter().position(|p| *p == n.as_str()).unwrap_or(0);
                        let mut cycle: Vec<String> =
                            path[from..].iter().map(|s| s.to_string()).collect();
                        cycle.push(n.clone());
                        return Some(cycle);
                    }
                    Some(Mark::Done) => {}
                    None => {
                        marks.insert(n, Mark::Open);
                        path.push(n);
                        stack.push(edges.get(n).map_or_else(|| EMPTY.iter(), |e| e.iter()));
                    }
                },
                None => {
                    stack.pop();
                    if let Some(done) = path.pop() {
                        marks.insert(done, Mark::Done);
                    }
                }
            }
        }
    }
    None
}

static EMPTY: BTreeSet<String> = BTreeSet::new();

/// Escaping for HTML and XML lives with the Markdown renderer, which writes figures too.
pub(crate) use crate::markdown::escape_html;

/// Escapes text for the inside of a double-quoted CSS string in a `<style>` element: every
/// character that could end the string, the declaration or the element (quotes, backslash,
/// `<`, `>`, `&`, `;`, braces) and every control character (a newline ends a CSS string) is
/// written as a CSS escape (`\3c `). Letters, digits, spaces and other text pass unchanged.
pub(crate) fn css_string(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for c in input.chars() {
        let unsafe_char = c.is_control()
            || matches!(
                c,
                '"' | '\''
                    | '\\'
                    | '<'
                    | '>'
                    | '&'
                    | ';'
                    | '{'
                    | '}'
                    | '/'
                    | '\u{2028}'
                    | '\u{2029}'
            );
        if unsafe_char {
            out.push_str(&format!("\\{:x} ", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

fn css_string_filter(
    value: &tera::Value,
    _: &std::collections::HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    let text = tera::try_get_value!("css_string", "value", String, value);
    Ok(tera::Value::String(css_string(&text)))
}

/// Renders one template (a page or a fragment), naming the template in the error.
pub(crate) fn render_one(tera: &Tera, template: &str, context: &Context) -> Result<String> {
    tera.render(template, context)
        .map_err(|e| template_error(template, &e))
}

/// A template error with its cause chain flattened into the message.
pub(crate) fn template_error(name: &str, e: &tera::Error) -> Error {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    Error::Template {
        name: name.to_string(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_quotes_only() {
        assert_eq!(
            escape_html(r#"<a href="x" title='y'>&</a> ../a/b"#),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt; ../a/b"
        );
        assert_eq!(escape_html("中文/路径"), "中文/路径");
    }

    fn theme_with(templates: &[(&str, &str)]) -> Theme {
        let mut theme = Theme::embedded();
        for (name, text) in templates {
            theme.templates.insert(name.to_string(), text.to_string());
            theme
                .template_files
                .insert(name.to_string(), Path::new("themes/t/templates").join(name));
        }
        theme
    }

    #[test]
    fn dotted_and_bracketed_lookups_find_their_values() {
        // The vendored Tera splits plain dotted paths itself and leaves the rest (brackets,
        // quotes) to Tera's own walk: both must find what a template names.
        let theme = theme_with(&[(
            "look.html",
            "{{ r.city.name }}|{{ r.tags.1 }}|{{ r.tags.1.x }}|{{ r[\"city\"].name }}|\
             {{ r[\"城市\"] }}|{% for t in r.tags %}{{ loop.index }}{% if t.x %}{{ t.x }}{% endif %}{% endfor %}|\
             {{ root }}{% set k = \"city\" %}|{{ r[k].name }}|{{ r.missing | default(value=\"-\") }}",
        )]);
        let tera = compile(&theme, &std::sync::Arc::new(Strings::default())).unwrap();
        let data = serde_json::json!({
            "r": {"city": {"name": "杭州市"}, "tags": [{"x": "a"}, {"x": "b"}], "城市": "宁波市"},
            "root": "../"
        });
        let html = render_one(&tera, "look.html", &Context::from_value(data).unwrap()).unwrap();
        assert_eq!(html, "杭州市|[object]|b|杭州市|宁波市|1a2b|../|杭州市|-");
    }

    fn compile_error(theme: &Theme) -> String {
        match compile(theme, &std::sync::Arc::new(Strings::default())) {
            Err(Error::Content(d)) => d[0].to_string(),
            Err(e) => panic!("not a diagnostic: {e}"),
            Ok(_) => panic!("compiled"),
        }
    }

    #[test]
    fn regression_recursive_macros_and_includes_are_refused_by_name() {
        let direct = theme_with(&[(
            "rec.html",
            "{% macro r(n) %}{{ self::r(n=n) }}{% endmacro r %}",
        )]);
        let msg = compile_error(&direct);
        assert!(msg.starts_with("themes/t/templates/rec.html:1:4: error: macro `r` calls itself (rec.html::r → rec.html::r)"), "{msg}");
        // Through another file and a condition: Tera cannot bound either.
        let mutual = theme_with(&[
            ("a.html", "{% import \"b.html\" as b %}{% macro x(n) %}{% if n %}{{ b::y(n=n) }}{% endif %}{% endmacro x %}"),
            ("b.html", "{% import \"a.html\" as a %}{% macro y(n) %}{{ a::x(n=n) }}{% endmacro y %}"),
        ]);
        let msg = compile_error(&mutual);
        assert!(msg.contains("a.html::x → b.html::y → a.html::x"), "{msg}");
        let include = theme_with(&[("inc.html", "x{% include \"inc.html\" %}")]);
        let msg = compile_error(&include);
        assert!(msg.contains("template `inc.html` calls itself"), "{msg}");
        // The embedded theme itself has no cycle, and a macro calling another is fine.
        let fine = theme_with(&[(
            "m.html",
            "{% macro a() %}{{ self::b() }}{% endmacro a %}{% macro b() %}b{% endmacro b %}",
        )]);
        assert!(compile(&fine, &std::sync::Arc::new(Strings::default())).is_ok());
    }

    #[test]
    fn translations_with_fixed_keys_are_folded_and_render_as_the_calls_do() {
        let mut theme = theme_with(&[
            (
                "f.html",
                r#"<a title="{{ t(k="x.quote") }}">{{ t(k="x.plain") }}</a>{{ t(k="x.brace") }}{{t(k="x.missing")}}{{ t(k="x.plain") | upper }}"#,
            ),
            ("f.txt", r#"{{ t(k="x.quote") }}|{{ t(k="x.plain", n=2) }}"#),
            (
                "r.html",
                r#"{% raw %}{{ t(k="x.plain") }}{% endraw %}{{ t(k="x.plain") }}"#,
            ),
            // Where Tera's escaping is not the file's own: an included file of another suffix
            // and a macro rendered into `set`.
            ("inc.html", r#"{% include "p.inc" %}"#),
            ("p.inc", r#"{{ t(k="x.quote") }}"#),
            (
                "m.html",
                r#"{% macro f() %}{{ t(k="x.quote") }}{% endmacro f %}{% set y = self::f() %}{{ y }}|{{ self::f() }}"#,
            ),
            ("raw2.html", r#"{%raw%}{{ t(k="x.plain") }}{%endraw%}"#),
            // White space a neighbour trims, and a call inside a string literal.
            (
                "ws.html",
                r#"{{ "a" -}}{{ t(k="x.space") }}|{{ t(k="x.space") }}{%- if true %}b{% endif %}|{{ t(k="x.trail") }}{{- "c" }}"#,
            ),
            ("lit.html", r#"{% set s = '{{ t(k="x.plain") }}' %}{{ s }}"#),
        ]);
        let mut zh = BTreeMap::new();
        zh.insert("x.quote".to_string(), r#"Tom's <"工会"> & co"#.to_string());
        zh.insert("x.plain".to_string(), "乡镇".to_string());
        zh.insert("x.brace".to_string(), "{{ oops }}".to_string());
        zh.insert("x.space".to_string(), " and the ".to_string());
        zh.insert("x.trail".to_string(), "and ".to_string());
        theme.strings.insert("zh-CN".to_string(), zh);
        let strings = std::sync::Arc::new(Strings::new(&theme, &Default::default()));
        // Folded where the text cannot read as syntax, the calls left elsewhere.
        let folded = fold_translations("f.html", &theme.templates["f.html"], &strings);
        assert!(folded.starts_with(r#"<a title="Tom&#39;s &lt;&quot;工会&quot;&gt; &amp; co">乡镇</a>{{ t(k="x.brace") }}"#), "{folded}");
        assert!(
            folded.ends_with(r#"{{ t(k="x.plain") | upper }}"#),
            "{folded}"
        );
        assert_eq!(
            fold_translations("f.txt", &theme.templates["f.txt"], &strings),
            theme.templates["f.txt"]
        );
        assert_eq!(
            fold_translations("r.html", &theme.templates["r.html"], &strings),
            theme.templates["r.html"]
        );
        // What the folded templates render is what the calls render.
        let tera = compile(&theme, &strings).unwrap();
        let plain = with_functions(
            &strings,
            theme
                .templates
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )
        .unwrap();
        let names = [
            "f.html",
            "f.txt",
            "r.html",
            "inc.html",
            "m.html",
            "raw2.html",
            "ws.html",
            "lit.html",
            "report.html",
        ];
        for name in names {
            if name == "report.html" {
                let calls = |t: &Tera| {
                    format!("{:?}", t.get_template(name).unwrap().ast)
                        .matches("FunctionCall")
                        .count()
                };
                assert!(
                    calls(&tera) < calls(&plain),
                    "the embedded theme's calls are folded"
                );
                continue;
            }
            let c = Context::new();
            assert_eq!(
                render_one(&tera, name, &c).unwrap(),
                render_one(&plain, name, &c).unwrap(),
                "{name}"
            );
        }
    }

    #[test]
    fn only_the_builtins_a_template_names_are_compiled() {
        let strings = std::sync::Arc::new(Strings::default());
        let builtins = |tera: &Tera| {
            let mut names: Vec<String> = tera
                .get_template_names()
                .filter(|n| n.starts_with("builtin/"))
                .map(String::from)
                .collect();
            names.sort();
            names
        };
        let plain = compile(&Theme::embedded(), &strings).unwrap();
        assert!(builtins(&plain).is_empty(), "{:?}", builtins(&plain));
        let extending = theme_with(&[(
            "report.html",
            r#"{% extends "builtin/report.html" %}{% block main %}{{ super() }}{% endblock main %}"#,
        )]);
        let tera = compile(&extending, &strings).unwrap();
        assert_eq!(builtins(&tera), ["builtin/report.html"]);
    }

    #[test]
    fn css_strings_cannot_be_left() {
        assert_eq!(css_string("速写 · 杭州市"), "速写 · 杭州市");
        let hostile = "a\"; } body { background: url(//e.org/x) } </style><script>\n\\";
        let escaped = css_string(hostile);
        for bad in ['"', ';', '{', '}', '<', '>', '/', '\n'] {
            assert!(!escaped.contains(bad), "{bad:?} in {escaped}");
        }
        assert!(escaped.starts_with("a\\22 "), "{escaped}");
    }
}
