//! The tile map's positions in `site.yaml` (`cities: - { name, tile: [col, row] }`): two cities
//! on one tile, or a tile far off the map, are errors at the tile's line and column.

use std::collections::BTreeMap;
use std::path::Path;

use crate::config::{SiteConfig, MAX_TILE};
use crate::error::Diagnostic;

/// Every problem of the cities' tiles, positioned in `text` (the `site.yaml` read).
pub(super) fn check(config: &SiteConfig, path: &Path, text: &str) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let mut taken: BTreeMap<(u16, u16), &str> = BTreeMap::new();
    for city in &config.cities {
        let Some((col, row)) = city.tile() else {
            continue;
        };
        let name = city.name();
        let (line, column) = tile_position(text, name);
        if col > MAX_TILE || row > MAX_TILE {
            diags.push(Diagnostic::error(
                path,
                line,
                column,
                format!(
                    "tile [{col}, {row}] of city `{name}` is off the map: columns and rows run \
                     from 0 to {MAX_TILE}; place the cities next to each other from [0, 0]"
                ),
            ));
            continue;
        }
        if let Some(other) = taken.insert((col, row), name) {
            // Keep the first city on the tile, so a third duplicate names the first, too.
            taken.insert((col, row), other);
            diags.push(Diagnostic::error(
                path,
                line,
                column,
                format!(
                    "city `{name}` is on tile [{col}, {row}], which city `{other}` already \
                     takes; give each city its own tile{}",
                    free_near(&taken, col, row)
                        .map(|(c, r)| format!(" (e.g. [{c}, {r}] is free)"))
                        .unwrap_or_default()
                ),
            ));
        }
    }
    diags
}

/// A free tile next to `(col, row)`, for the suggestion.
fn free_near(taken: &BTreeMap<(u16, u16), &str>, col: u16, row: u16) -> Option<(u16, u16)> {
    let candidates = [
        (col.checked_add(1), Some(row)),
        (col.checked_sub(1), Some(row)),
        (Some(col), row.checked_add(1)),
        (Some(col), row.checked_sub(1)),
    ];
    candidates
        .into_iter()
        .filter_map(|(c, r)| Some((c?, r?)))
        .find(|t| t.0 <= MAX_TILE && t.1 <= MAX_TILE && !taken.contains_key(t))
}

/// The 1-based line and column of city `name`'s `tile` in the `cities:` block of `text` (its
/// name's position where `tile` cannot be found; the `cities:` key's as a last resort).
fn tile_position(text: &str, name: &str) -> (usize, usize) {
    let lines: Vec<&str> = text.lines().collect();
    let Some(start) = lines.iter().position(|l| l.starts_with("cities:")) else {
        return (1, 1);
    };
    let end = lines[start + 1..]
        .iter()
        .position(|l| !l.is_empty() && !l.starts_with([' ', '#', '-', '\t']))
        .map_or(lines.len(), |n| start + 1 + n);
    let Some((at, from)) = (start + 1..end).find_map(|i| name_at(lines[i], name).map(|b| (i, b)))
    else {
        return (start + 1, 1);
    };
    let item_indent = lines[at].len() - lines[at].trim_start().len();
    for (i, line) in lines.iter().enumerate().take(end).skip(at) {
        // A later item of the list ends this city's lines.
        let rest = line.trim_start();
        if i > at && rest.starts_with('-') && line.len() - rest.len() <= item_indent {
            break;
        }
        let search_from = if i == at { from } else { 0 };
        if let Some(b) = line[search_from..].find("tile") {
            return (i + 1, line[..search_from + b].chars().count() + 1);
        }
    }
    (at + 1, lines[at][..from].chars().count() + 1)
}

/// The byte offset of `name` in `line` as a whole value (not the start of a longer name).
fn name_at(line: &str, name: &str) -> Option<usize> {
    let mut offset = 0;
    while let Some(b) = line[offset..].find(name) {
        let at = offset + b;
        let before = line[..at].chars().next_back();
        let after = line[at + name.len()..].chars().next();
        let edge = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric() && c != '_');
        if edge(before) && edge(after) {
            return Some(at);
        }
        offset = at + name.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> SiteConfig {
        serde_yaml_ng::from_str(text).unwrap()
    }

    #[test]
    fn two_cities_on_one_tile_is_an_error_at_the_second_tile() {
        let text = "title: t\ncities:\n  - { name: 甲市, tile: [0, 0] }\n  - 乙市\n  - name: 甲市镇\n    tile: [0, 0]\nmetrics: {}\n";
        let diags = check(&config(text), Path::new("site.yaml"), text);
        assert_eq!(diags.len(), 1, "{diags:?}");
        let d = &diags[0];
        assert_eq!((d.line, d.col), (6, 5), "{d}");
        assert!(d.message.contains("`甲市镇`"), "{d}");
        assert!(d.message.contains("`甲市`"), "{d}");
        assert!(d.message.contains("[1, 0] is free"), "{d}");
    }

    #[test]
    fn flow_style_positions_and_far_tiles() {
        let text = "cities:\n  - 乙市\n  - { name: 甲市, tile: [2, 41] }\n";
        let diags = check(&config(text), Path::new("site.yaml"), text);
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!((diags[0].line, diags[0].col), (3, 17), "{}", diags[0]);
        assert!(diags[0].message.contains("off the map"), "{}", diags[0]);
    }

    #[test]
    fn distinct_tiles_and_plain_names_are_fine() {
        let text = "cities: [甲市, 乙市]\n";
        assert!(check(&config(text), Path::new("s"), text).is_empty());
        let text = "cities:\n  - { name: 甲市, tile: [0, 0] }\n  - { name: 乙市, tile: [1, 0] }\n";
        assert!(check(&config(text), Path::new("s"), text).is_empty());
    }
}
