//! `site.yaml`: parsed key by key, so that every problem is reported in one run at its own
//! position, in words rather than serde's type names (split from `front_matter.rs`, whose
//! YAML helpers it shares).

use std::path::Path;

use serde::de::DeserializeOwned;
use serde_yaml_ng::{Mapping, Value};

use super::front_matter::{key_position, kind, strip_location, unknown_field_hint};
use super::yaml_guard::{check_value, too_deep, too_deep_diagnostic};
use crate::config::SiteConfig;
use crate::error::{suggest, Diagnostic};

/// The keys of `site.yaml` with what each must be, in words for messages.
const SITE_KEYS: &[(&str, &str)] = &[
    ("title", "a string"),
    ("subtitle", "a string"),
    ("description", "a string"),
    ("language", "a language tag such as `zh-CN`"),
    ("base_url", "a URL such as `https://example.org/digest/`"),
    ("theme", "a folder name under themes/"),
    (
        "sections",
        "a list of section names or `{ name: ..., by_city: true, description: ... }` maps",
    ),
    ("cities", "a list of city names"),
    (
        "metrics",
        "a map of metric key to `{ label: ..., unit: ..., aggregate: sum }`",
    ),
    (
        "tactics",
        "a map of tactic name to `{ description: ..., aliases: [...] }`",
    ),
    (
        "paginate_by",
        "a whole number (0 keeps each listing on one page)",
    ),
    (
        "limits",
        "a map such as `{ print_volume: 500, contents_page: 2000, metrics_table: 500, \
         max_file_mb: 64 }`",
    ),
    (
        "nouns",
        "a map of noun to the site's word, e.g. `{ report: 案例, county: 区县 }`",
    ),
    (
        "og_image",
        "a path in the site, e.g. `share.png` (from static/)",
    ),
];

/// Parses `site.yaml` key by key, so that every problem is reported in one run, each at the
/// line of its key (entries of `metrics`, `tactics` and `limits` at their own line), in words
/// rather than serde's type names. What is wrong is left at its default.
pub(super) fn parse_config(path: &Path, text: &str, diags: &mut Vec<Diagnostic>) -> SiteConfig {
    if let Some(offset) = too_deep(text) {
        diags.push(too_deep_diagnostic(path, text, offset, 1));
        return SiteConfig::default();
    }
    let value: Value = match serde_yaml_ng::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let (line, col) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
            diags.push(Diagnostic::error(
                path,
                line,
                col,
                format!("invalid YAML: {}", strip_location(&e.to_string())),
            ));
            return SiteConfig::default();
        }
    };
    let map = match value {
        Value::Mapping(m) => m,
        Value::Null => return SiteConfig::default(),
        other => {
            diags.push(Diagnostic::error(
                path,
                1,
                1,
                format!(
                    "site.yaml must be a map of `key: value` lines, found {}",
                    kind(&other)
                ),
            ));
            return SiteConfig::default();
        }
    };
    let mut accepted = Mapping::new();
    for (k, v) in map {
        let Some(key) = k.as_str().map(str::to_owned) else {
            diags.push(Diagnostic::error(
                path,
                1,
                1,
                format!("site.yaml keys must be strings, found {}", kind(&k)),
            ));
            continue;
        };
        let (line, col) = key_position(text, &key, None).unwrap_or((1, 1));
        let Some(&(_, expected)) = SITE_KEYS.iter().find(|(k, _)| *k == key) else {
            let known = SITE_KEYS.iter().map(|(k, _)| *k);
            let hint = suggest(&key, known.clone())
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_else(|| {
                    format!(
                        "; expected one of: {}",
                        known.collect::<Vec<_>>().join(", ")
                    )
                });
            diags.push(Diagnostic::error(
                path,
                line,
                col,
                format!("unknown setting `{key}`{hint}"),
            ));
            continue;
        };
        let before = diags.len();
        // Controls and tags first (see `check_value`), entry by entry where entries have lines.
        let bad = |value: &Value, what: String, at: (usize, usize), diags: &mut Vec<Diagnostic>| {
            let mut problems = Vec::new();
            check_value(value, &what, &mut problems);
            let found = !problems.is_empty();
            diags.extend(
                problems
                    .into_iter()
                    .map(|p| Diagnostic::error(path, at.0, at.1, p)),
            );
            found
        };
        let at = |entry: &str| key_position(text, entry, Some(&key)).unwrap_or((line, col));
        match (&v, key.as_str()) {
            // Each entry on its own, so that three bad entries are three messages at their lines.
            (Value::Mapping(entries), "metrics" | "tactics" | "limits") => {
                for (name, def) in entries {
                    let Some(name) = name.as_str().map(str::to_owned) else {
                        diags.push(Diagnostic::error(
                            path,
                            line,
                            col,
                            format!("`{key}` keys must be strings, found {}", kind(name)),
                        ));
                        continue;
                    };
                    let (l, c) = at(&name);
                    if bad(def, format!("`{key}.{name}`"), (l, c), diags)
                        | bad(
                            &Value::String(name.clone()),
                            format!("`{key}`"),
                            (l, c),
                            diags,
                        )
                    {
                        continue;
                    }
                    let check = match key.as_str() {
                        "metrics" => check_as::<crate::config::MetricDef>(
                            def,
                            def,
                            "a map with `label`, and optionally `unit` and `aggregate` (sum, \
                             mean or max)",
                        ),
                        "tactics" => check_as::<crate::config::TacticDef>(
                            def,
                            def,
                            "a map with `description` and `aliases`, e.g. `{ description: ..., \
                             aliases: [...] }`",
                        ),
                        _ => {
                            let mut one = Mapping::new();
                            one.insert(Value::String(name.clone()), def.clone());
                            check_as::<crate::config::Limits>(
                                &Value::Mapping(one),
                                def,
                                "a whole number",
                            )
                        }
                    };
                    if let Err(msg) = check {
                        diags.push(Diagnostic::error(
                            path,
                            l,
                            c,
                            format!("`{key}.{name}`: {msg}"),
                        ));
                    }
                }
            }
            (Value::Sequence(items), "sections") => {
                for (i, item) in items.iter().enumerate() {
                    if bad(
                        item,
                        format!("`sections` entry {}", i + 1),
                        (line, col),
                        diags,
                    ) {
                        continue;
                    }
                    if let Err(msg) = check_as::<crate::config::SectionDef>(item, item, expected) {
                        diags.push(Diagnostic::error(
                            path,
                            line,
                            col,
                            format!("`sections` entry {}: {msg}", i + 1),
                        ));
                    }
                }
            }
            _ => {
                if bad(&v, format!("`{key}`"), (line, col), diags) {
                    continue;
                }
                let mut one = Mapping::new();
                one.insert(k.clone(), v.clone());
                if let Err(msg) = check_as::<SiteConfig>(&Value::Mapping(one), &v, expected) {
                    diags.push(Diagnostic::error(
                        path,
                        line,
                        col,
                        format!("`{key}`: {msg}"),
                    ));
                }
            }
        }
        if diags.len() == before {
            accepted.insert(k, v);
        }
    }
    // Every accepted key deserialized on its own; together they cannot fail, but should they,
    // the message still has a place.
    serde_yaml_ng::from_value(Value::Mapping(accepted)).unwrap_or_else(|e| {
        diags.push(Diagnostic::error(
            path,
            1,
            1,
            strip_location(&e.to_string()),
        ));
        SiteConfig::default()
    })
}

/// Deserializes `value` as `T` to see whether `shown` (the value as written, `value` itself or
/// the one entry of it) fits, with serde's message made plain: no type names of ours ("struct
/// TacticDef") or of Rust's ("usize"), "must be ..., found ..." for a wrong value, and the
/// closest name for an unknown field.
fn check_as<T: DeserializeOwned>(
    value: &Value,
    shown: &Value,
    expected: &str,
) -> Result<(), String> {
    let Err(e) = serde_yaml_ng::from_value::<T>(value.clone()) else {
        return Ok(());
    };
    let msg = strip_location(&e.to_string());
    if let Some(hint) = unknown_field_hint(&msg) {
        return Err(format!("{msg}{hint}"));
    }
    if msg.starts_with("unknown field") || msg.starts_with("unknown variant") {
        return Err(msg);
    }
    let wrong = msg.starts_with("invalid type") || msg.starts_with("invalid value");
    let ours = msg.contains("struct ") || msg.contains("enum ") || msg.contains("any variant");
    let found = match shown {
        Value::Mapping(_) | Value::Sequence(_) | Value::Null => kind(shown).to_string(),
        v => format!(
            "{} `{}`",
            kind(v),
            serde_yaml_ng::to_string(v).unwrap_or_default().trim()
        ),
    };
    if ours || (wrong && !matches!(shown, Value::Mapping(_) | Value::Sequence(_))) {
        return Err(format!("must be {expected}, found {found}"));
    }
    // A field inside a map (`aliases: 3`): serde's words, with Rust's type names made plain.
    let mut msg = msg;
    for (rust, plain) in [
        ("usize", "a whole number"),
        ("u64", "a whole number"),
        ("i64", "a whole number"),
        ("f64", "a number"),
        ("a sequence", "a list"),
        ("sequence", "a list"),
    ] {
        msg = msg.replace(rust, plain);
    }
    Err(msg)
}
