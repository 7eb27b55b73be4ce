//! Interface strings in the site's language: the theme's `strings/<language>.yaml` (zh-CN and en
//! built in, a site's theme may add a language or override keys), with the domain's nouns from
//! `site.yaml` (`nouns:`) laid over them. Templates call `t(k="key", n=..., name=...)`; Rust
//! code (page titles, charts) calls [`Strings::get`] and [`Strings::count`].
//!
//! Plurals: a key with a count has `<key>.one` and `<key>.other` forms; English picks `one` for
//! 1, Chinese always `other`. `{n}` stands for the count, `{name}` for any other argument.

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};

use crate::config::SiteConfig;
use crate::theme::Theme;

/// The language whose strings stand in when the theme has none for the site's language.
const FALLBACK_LANGUAGE: &str = "zh-CN";

/// The interface strings of one site.
#[derive(Debug, Clone, Default)]
pub struct Strings {
    /// The BCP 47 tag the strings were chosen for (`zh-CN`, `en`).
    pub language: String,
    map: BTreeMap<String, String>,
}

impl Strings {
    /// The theme's strings for the site's language (`en-GB` falls back to `en`, an unknown
    /// language to zh-CN), with `site.yaml`'s nouns over them.
    pub fn new(theme: &Theme, config: &SiteConfig) -> Self {
        let lang = config.language.as_str();
        let primary = lang.split('-').next().unwrap_or(lang);
        let map = theme
            .strings
            .get(lang)
            .or_else(|| theme.strings.get(primary))
            .or_else(|| theme.strings.get(FALLBACK_LANGUAGE))
            .cloned()
            .unwrap_or_default();
        let mut strings = Strings {
            language: lang.to_string(),
            map,
        };
        for (noun, text) in &config.nouns {
            strings.map.insert(format!("noun.{noun}"), text.clone());
        }
        // Nouns are filled in once here, so every lookup sees the site's words.
        let filled: Vec<(String, String)> = strings
            .map
            .iter()
            .filter(|(_, v)| v.contains("oun."))
            .map(|(k, v)| (k.clone(), strings.nouns(v.clone())))
            .collect();
        strings.map.extend(filled);
        strings
    }

    /// The string for `key`, or the key itself (visible on the page, so a missing string is
    /// noticed rather than silently empty).
    pub fn get<'a>(&'a self, key: &'a str) -> &'a str {
        self.map.get(key).map_or(key, String::as_str)
    }

    /// The title of a page kind (`title.<kind>`), or the kind where the theme has none.
    pub fn title<'s>(&'s self, kind: &'s str) -> &'s str {
        self.map
            .get(&format!("title.{kind}"))
            .map_or(kind, String::as_str)
    }

    /// The strings whose keys start with `prefix` (the search client's `js.*`).
    pub fn with_prefix(&self, prefix: &str) -> BTreeMap<&str, &str> {
        self.map
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    /// Whether the theme has `key`.
    pub fn has(&self, key: &str) -> bool {
        self.map.contains_key(key) || self.map.contains_key(&format!("{key}.other"))
    }

    /// `key` for the count `n`, `{n}` written as the language writes numbers.
    pub fn count(&self, key: &str, n: u64) -> String {
        self.format(key, Some(n), &[])
    }

    /// `key` (its plural form for `n`, if given) with `{n}` and `{name}` placeholders filled.
    pub fn format(&self, key: &str, n: Option<u64>, args: &[(&str, String)]) -> String {
        let form = n.map(|n| self.plural(n));
        let text = match form {
            Some(form) => self
                .map
                .get(&format!("{key}.{form}"))
                .or_else(|| self.map.get(&format!("{key}.other")))
                .or_else(|| self.map.get(key))
                .map_or(key, String::as_str),
            None => self.get(key),
        };
        let mut out = text.to_string();
        if let Some(n) = n {
            out = out.replace("{n}", &self.number(n));
        }
        for (name, value) in args {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        out
    }

    /// Fills `{noun.report}` with the site's noun and `{Noun.report}` with it capitalised (for
    /// the start of an English heading).
    fn nouns(&self, mut text: String) -> String {
        while let Some(start) = text.find("{noun.").or_else(|| text.find("{Noun.")) {
            let Some(len) = text[start..].find('}') else {
                break;
            };
            let key = &text[start + 1..start + len];
            let noun = self
                .map
                .get(&format!("noun.{}", &key[5..]))
                .cloned()
                .unwrap_or_default();
            let noun = if key.starts_with('N') {
                let mut c = noun.chars();
                c.next()
                    .map(|f| f.to_uppercase().chain(c).collect())
                    .unwrap_or_default()
            } else {
                noun
            };
            text.replace_range(start..start + len + 1, &noun);
        }
        text
    }

    /// The plural category of `n`: English and most European languages have `one` and
    /// `other`; Chinese, Japanese and Korean do not inflect.
    fn plural(&self, n: u64) -> &'static str {
        let uninflected = ["zh", "ja", "ko", "vi", "th", "id", "ms"];
        let primary = self.language.split('-').next().unwrap_or_default();
        if n == 1 && !uninflected.contains(&primary) {
            "one"
        } else {
            "other"
        }
    }

    /// A whole number as the language writes it: digit groups with the theme's
    /// `format.thousands` separator (none unless set).
    pub fn number(&self, n: u64) -> String {
        let digits = n.to_string();
        let sep = self.map.get("format.thousands").map_or("", String::as_str);
        if sep.is_empty() || digits.len() <= 4 {
            return digits;
        }
        let mut out = String::with_capacity(digits.len() + digits.len() / 3 * sep.len());
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push_str(sep);
            }
            out.push(c);
        }
        out
    }

    /// A hash of the strings, for caches of what was rendered with them.
    pub fn fingerprint(&self) -> u64 {
        let mut h = crate::fingerprint::hasher();
        (&self.language, &self.map).hash(&mut h);
        h.finish()
    }
}

/// The `t` function of the templates: `t(k="nav.contents")`, `t(k="count.reports", n=3)`,
/// `t(k="report.by", name=author)`. Its text is escaped like any other value.
pub(crate) struct Translate(pub(crate) std::sync::Arc<Strings>);

impl tera::Function for Translate {
    fn call(&self, args: &HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
        let key = args
            .get("k")
            .and_then(tera::Value::as_str)
            .ok_or_else(|| tera::Error::msg("t() needs the key: t(k=\"nav.home\")"))?;
        let n = match args.get("n") {
            None | Some(tera::Value::Null) => None,
            Some(v) => Some(
                v.as_u64()
                    .or_else(|| v.as_f64().map(|f| f as u64))
                    .ok_or_else(|| {
                        tera::Error::msg(format!("t(k=\"{key}\"): `n` must be a whole number"))
                    })?,
            ),
        };
        let rest: Vec<(&str, String)> = args
            .iter()
            .filter(|(name, _)| !matches!(name.as_str(), "k" | "n"))
            .map(|(name, v)| {
                let text = match v {
                    tera::Value::String(s) => s.clone(),
                    tera::Value::Null => String::new(),
                    // `share | round` is a float: 57, not 57.0.
                    tera::Value::Number(n) if n.as_f64().is_some_and(|f| f.fract() == 0.0) => {
                        format!("{}", n.as_f64().unwrap_or_default() as i64)
                    }
                    other => other.to_string(),
                };
                (name.as_str(), text)
            })
            .collect();
        Ok(tera::Value::String(self.0.format(key, n, &rest)))
    }

    fn is_safe(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(language: &str) -> Strings {
        let mut config = SiteConfig {
            language: language.into(),
            ..SiteConfig::default()
        };
        config.nouns.insert("report".into(), "案例".into());
        Strings::new(&Theme::embedded(), &config)
    }

    #[test]
    fn english_counts_have_singular_and_plural_and_group_digits() {
        let en = strings("en");
        assert_eq!(en.count("count.reports", 1), "1 案例");
        assert_eq!(en.count("count.reports", 2), "2 reports");
        assert_eq!(en.count("count.reports", 12345), "12,345 reports");
        assert_eq!(
            en.count("count.pieces", 1),
            "1 案例",
            "the noun of site.yaml"
        );
    }

    #[test]
    fn chinese_counts_do_not_inflect_or_group() {
        let zh = strings("zh-CN");
        assert_eq!(zh.count("count.reports", 1), "1 个案例");
        assert_eq!(zh.count("count.reports", 12345), "12345 个案例");
    }

    #[test]
    fn a_regional_tag_falls_back_to_its_language_and_nouns_override() {
        assert_eq!(strings("en-GB").get("title.contents"), "Contents");
        assert_eq!(strings("zh-CN").get("noun.report"), "案例");
    }

    #[test]
    fn the_built_in_languages_have_the_same_keys() {
        let theme = Theme::embedded();
        let keys = |l: &str| theme.strings[l].keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys("en"), keys("zh-CN"));
    }
}
