//! ASCII slugs for URLs: Chinese becomes tone-less pinyin, one syllable per hyphenated part
//! (杭州市 -> `hang-zhou-shi`), so every generated path is plain ASCII and stable across builds.

use pinyin::ToPinyin;

/// Turns any name into an ASCII slug of `[a-z0-9-]`.
pub fn slugify(name: &str) -> String {
    let mut out = String::new();
    let push_sep = |out: &mut String| {
        if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    };
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if let Some(p) = c.to_pinyin() {
            push_sep(&mut out);
            // `plain()` keeps the umlaut (女 -> `nü`); URLs must stay ASCII, and `v` is the usual
            // keyboard spelling that keeps 女 (nv) apart from 怒 (nu).
            out.extend(p.plain().chars().map(|c| if c == 'ü' { 'v' } else { c }));
            out.push('-');
        } else {
            push_sep(&mut out);
        }
    }
    let slug = out.trim_matches('-').to_string();
    if slug.is_empty() {
        "x".to_string()
    } else {
        slug
    }
}

/// Checks a slug written by an editor: it must be a single safe path segment.
pub fn validate(slug: &str) -> Result<(), String> {
    if slug.is_empty() {
        return Err("`slug` must not be empty".into());
    }
    if slug.contains(['/', '\\']) || slug == "." || slug == ".." || slug.contains("..") {
        return Err(format!(
            "`slug` must be one path segment without `/`, `\\` or `..`, found `{slug}`; \
             try `{}`",
            slugify(slug)
        ));
    }
    if !slug
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        return Err(format!(
            "`slug` may use only a-z, 0-9, `-` and `_`, found `{slug}`; try `{}`",
            slugify(slug)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_names_become_pinyin() {
        assert_eq!(slugify("杭州市"), "hang-zhou-shi");
        assert_eq!(slugify("杭工e家"), "hang-gong-e-jia");
        assert_eq!(slugify("5·1服务卡"), "5-1-fu-wu-ka");
        assert_eq!(slugify("《》"), "x");
        assert_eq!(slugify("女职工关爱"), "nv-zhi-gong-guan-ai");
        assert_eq!(slugify("法律维权"), "fa-lv-wei-quan");
    }

    #[test]
    fn path_tricks_are_refused() {
        assert!(validate("../etc").is_err());
        assert!(validate("a/b").is_err());
        assert!(validate("Ab").is_err());
        assert!(validate("san-dun_2").is_ok());
    }
}
