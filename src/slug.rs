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

/// Longest slug accepted, in bytes. A slug is a folder name in the output (and in the staging
/// folder inside it); most file systems stop at 255 bytes, and a longer slug failed the build
/// with "File name too long" naming the staging path rather than the Markdown file.
pub const MAX_SLUG_BYTES: usize = 200;

/// Names Windows reserves for devices, in any case and with any extension: a folder `con/` or
/// `aux/` cannot be opened there, so a site copied to a USB stick would break.
const WINDOWS_RESERVED: &[&str] = &["con", "prn", "aux", "nul"];

/// Whether `name` is a Windows device name (`con`, `NUL`, `com1`, `lpt9`, `aux.md`...).
pub fn is_windows_reserved(name: &str) -> bool {
    let stem = name
        .split('.')
        .next()
        .unwrap_or_default()
        .trim_end_matches(' ');
    let stem = stem.to_ascii_lowercase();
    if WINDOWS_RESERVED.contains(&stem.as_str()) {
        return true;
    }
    // `com0`..`com9` and `lpt0`..`lpt9`; Windows also reserves the superscript digits ¹²³.
    let (prefix, digit) = stem.split_at(stem.len().min(3));
    matches!(prefix, "com" | "lpt")
        && matches!(
            digit,
            "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9" | "¹" | "²" | "³"
        )
}

/// Checks that a slug makes a folder every system can hold: not too long, not a Windows device
/// name. `written` says whether it came from `slug:` (else from the file name), for the message.
pub fn portable(slug: &str, written: bool) -> Result<(), String> {
    let origin = if written {
        String::new()
    } else {
        " (made from the file name)".to_string()
    };
    if slug.len() > MAX_SLUG_BYTES {
        let short: String = slug.chars().take(60).collect();
        return Err(format!(
            "slug{origin} is {} bytes long; the limit is {MAX_SLUG_BYTES} (longer folder names \
             fail on most file systems): set a shorter `slug:`, e.g. `{}`",
            slug.len(),
            short.trim_end_matches('-')
        ));
    }
    if is_windows_reserved(slug) {
        return Err(format!(
            "slug `{slug}`{origin} is a device name Windows reserves, and a site copied there \
             could not open its folder: set another `slug:`, e.g. `{slug}-1`"
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

    #[test]
    fn windows_device_names_are_recognised_in_any_case_and_with_an_extension() {
        for name in [
            "con",
            "CON",
            "Aux",
            "nul",
            "prn",
            "com1",
            "COM9",
            "lpt1",
            "lpt9",
            "con.txt",
            "nul.tar.gz",
            "aux ",
            "com0",
            "lpt²",
        ] {
            assert!(is_windows_reserved(name), "{name}");
        }
        for name in [
            "con-1", "console", "com", "com10", "lpt", "nul_", "icon", "x",
        ] {
            assert!(!is_windows_reserved(name), "{name}");
        }
        let err = portable("con", true).unwrap_err();
        assert!(err.contains("`con-1`"), "{err}");
    }

    #[test]
    fn slugs_past_the_byte_limit_are_refused() {
        assert!(portable(&"a".repeat(MAX_SLUG_BYTES), true).is_ok());
        let err = portable(&"a".repeat(MAX_SLUG_BYTES + 1), false).unwrap_err();
        assert!(
            err.contains("201 bytes") && err.contains("file name"),
            "{err}"
        );
    }
}
