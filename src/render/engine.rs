//! Tera set-up: the theme's templates compiled once, HTML escaping, rendering one template with
//! errors that name it.

use tera::{Context, Tera};

use crate::error::{Error, Result};
use crate::theme::Theme;

/// Compiles the theme's templates (overrides by name, built-ins also as `builtin/<name>`).
pub fn compile(theme: &Theme) -> Result<Tera> {
    let mut tera = Tera::default();
    tera.autoescape_on(vec![".html", ".xml"]);
    tera.set_escape_fn(escape_html);
    tera.register_filter("css_string", css_string_filter);
    let mut all: Vec<(String, String)> = theme
        .builtin_templates
        .iter()
        .map(|(k, v)| (format!("builtin/{k}"), v.clone()))
        .collect();
    all.extend(theme.templates.iter().map(|(k, v)| (k.clone(), v.clone())));
    tera.add_raw_templates(all)
        .map_err(|e| template_error("(theme)", &e))?;
    Ok(tera)
}

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
