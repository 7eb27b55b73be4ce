//! Machine-readable exports: `data/reports.json` (all front matter, body text excluded) and
//! `data/reports.csv` (one row per report, one column per metric), its text cells neutralised
//! against formula injection ([`csv_text`]).

use rayon::prelude::*;
use serde::Serialize;

use super::fragments::{Emit, FragmentCache, KeptRow, Text};
use super::job::key_of;
use super::pages::Fragments;
use crate::cite;
use crate::error::{Error, Result};
use crate::model::{Report, Site};
use crate::render::views::{cite_work, report_url};
use crate::urls::Route;

#[derive(Serialize)]
struct ExportReport<'a> {
    slug: &'a str,
    url: String,
    path: String,
    #[serde(flatten)]
    meta: &'a crate::load::ReportMeta,
}

/// A text cell made safe for spreadsheets (OWASP's advice on CSV injection): a cell that starts
/// with `=`, `+`, `-`, `@`, a tab or a carriage return is read as a formula by Excel and
/// LibreOffice (`=HYPERLINK(...)`, `+cmd|' /c calc'!A0`), so it gets a leading `'`, which they
/// show as text. Text cells only: JSON keeps every value exact.
pub(crate) fn csv_text(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

/// Hands every export to `emit`: each report's citation files (in parallel), then the JSON and
/// the CSV table, one after the other, so a build never holds them all (at 1000x the digest the
/// citations were some 160 MB, the tables 115 and 60 MB). With `serve`'s cache, a report's
/// citations are remade only when its fingerprint changed, and the tables only when some
/// report's did, then put together from the rows of the others as they were.
pub(super) fn each(site: &Site, fragments: &Fragments<'_>, emit: &Emit<'_>) -> Result<()> {
    // The citation files name the site and its URL besides the report (`crate::cite`).
    let cited = (&site.config.title, &site.config.base_url);
    (0..site.reports.len()).into_par_iter().try_for_each(|i| {
        let r = &site.reports[i];
        let key = fragments.fingerprint(i).map(|f| (f, cited));
        let url = report_url(site, r);
        let work = || cite_work(site, r, url.as_deref());
        let bibtex = fragments.cached("cite-bibtex", key, || Ok(cite::bibtex(&work())))?;
        emit(Route::CiteBibtex(&r.slug).path(), bibtex)?;
        let csl = fragments.cached("cite-csl", key, || {
            serde_json::to_string_pretty(&cite::csl_items(&work())).map_err(|e| Error::Export {
                what: "CSL-JSON",
                message: e.to_string(),
            })
        })?;
        emit(Route::CiteCsl(&r.slug).path(), csl)
    })?;
    let all = fragments.site_fingerprint(site);
    let Some(cache) = fragments.cache else {
        // One table after the other: a build never holds both.
        emit(
            "data/reports.json".into(),
            Text::Made(json_of(site.reports.iter().map(json_row))?),
        )?;
        let rows = site.reports.iter().map(|r| csv_row(site, r));
        return emit("data/reports.csv".into(), Text::Made(csv_of(site, rows)?));
    };
    let mut made: Option<[String; 2]> = None;
    let mut table = |k: usize| -> Result<String> {
        if made.is_none() {
            made = Some(tables(site, fragments, cache)?);
        }
        Ok(made
            .as_mut()
            .map(|t| std::mem::take(&mut t[k]))
            .unwrap_or_default())
    };
    emit(
        "data/reports.json".into(),
        fragments.cached("reports-json", all, || table(0))?,
    )?;
    emit(
        "data/reports.csv".into(),
        fragments.cached("reports-csv", all, || table(1))?,
    )
}

/// Both tables for `serve`, put together from each report's rows, of which only those of
/// reports whose fingerprint changed are made again (see `FragmentCache::rows`).
fn tables(site: &Site, fragments: &Fragments<'_>, cache: &FragmentCache) -> Result<[String; 2]> {
    use std::hash::{Hash, Hasher};
    let columns: Vec<&str> = site.metrics.iter().map(|m| m.key.as_str()).collect();
    let columns = key_of("row", &columns);
    let old = cache
        .rows
        .lock()
        .map(|mut rows| std::mem::take(&mut *rows))
        .map_err(|_| Error::Poisoned("export rows"))?;
    // Where each slug's row was, built only if some report is not where it was.
    let moved = std::sync::OnceLock::new();
    let find = |i: usize, slug: &str| match old.get(i) {
        Some((s, row)) if s == slug => Some(row),
        _ => moved
            .get_or_init(|| {
                old.iter()
                    .enumerate()
                    .map(|(k, (s, _))| (s.as_str(), k))
                    .collect::<foldhash::HashMap<&str, usize>>()
            })
            .get(slug)
            .map(|&k| &old[k].1),
    };
    let rows: Vec<(String, KeptRow)> = (0..site.reports.len())
        .into_par_iter()
        .map(|i| {
            let r = &site.reports[i];
            let mut h = crate::fingerprint::hasher();
            (fragments.fingerprint(i), columns).hash(&mut h);
            let key = h.finish();
            let row = match find(i, &r.slug) {
                Some((k, row)) if *k == key => row.clone(),
                _ => [indented(&json_row(r)?).into(), csv_row(site, r)?.into()],
            };
            Ok((r.slug.clone(), (key, row)))
        })
        .collect::<Result<_>>()?;
    drop(old);
    let json = json_list(rows.iter().map(|(_, (_, row))| &*row[0]));
    let csv = csv_of(site, rows.iter().map(|(_, (_, row))| Ok(&*row[1])))?;
    if let Ok(mut kept) = cache.rows.lock() {
        *kept = rows;
    }
    Ok([json, csv])
}

/// One report's object of `data/reports.json`, pretty-printed on its own.
fn json_row(r: &Report) -> Result<String> {
    let row = ExportReport {
        slug: &r.slug,
        url: Route::Report(&r.slug).path(),
        path: r.path.to_string_lossy().replace('\\', "/"),
        meta: &r.meta,
    };
    serde_json::to_string_pretty(&row).map_err(|e| Error::Export {
        what: "JSON",
        message: e.to_string(),
    })
}

/// The site's reports as one JSON list (`data/reports.json`) of `rows` (from [`json_row`]),
/// laid out as `serde_json` pretty-prints a list: each row one level deeper.
fn json_of<S: AsRef<str>>(rows: impl Iterator<Item = Result<S>>) -> Result<String> {
    let mut json = String::from("[");
    let mut empty = true;
    for row in rows {
        json.push_str(if empty { "\n" } else { ",\n" });
        empty = false;
        indent_into(&mut json, row?.as_ref());
    }
    json.push_str(if empty { "]" } else { "\n]" });
    Ok(json)
}

/// `row` one level deeper, as [`json_of`] lays it out (JSON strings escape line breaks, so
/// every line break is the layout's).
fn indent_into(json: &mut String, row: &str) {
    for (n, line) in row.split('\n').enumerate() {
        if n > 0 {
            json.push('\n');
        }
        json.push_str("  ");
        json.push_str(line);
    }
}

/// A row of [`json_row`] indented for [`json_list`].
fn indented(row: &str) -> String {
    let mut out = String::with_capacity(row.len() + row.len() / 8);
    indent_into(&mut out, row);
    out
}

/// [`json_of`] of rows already [`indented`], sized once: serve puts the table together on
/// every save that changes a report's row (12 MB at 100x the digest).
fn json_list<'r>(rows: impl Iterator<Item = &'r str> + Clone) -> String {
    let size: usize = rows.clone().map(|r| r.len() + 2).sum();
    let mut json = String::with_capacity(size + 4);
    json.push('[');
    let mut empty = true;
    for row in rows {
        json.push_str(if empty { "\n" } else { ",\n" });
        empty = false;
        json.push_str(row);
    }
    json.push_str(if empty { "]" } else { "\n]" });
    json
}

fn csv_err(e: impl std::fmt::Display) -> Error {
    Error::Export {
        what: "CSV",
        message: e.to_string(),
    }
}

/// Records as CSV text (the writer is given `String`s only, so its bytes are UTF-8).
fn csv_records(records: &[Vec<String>]) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for record in records {
        w.write_record(record).map_err(csv_err)?;
    }
    let bytes = w.into_inner().map_err(csv_err)?;
    String::from_utf8(bytes).map_err(csv_err)
}

/// One report's line of `data/reports.csv`, metrics as columns.
fn csv_row(site: &Site, r: &Report) -> Result<String> {
    let m = &r.meta;
    let text: Vec<String> = vec![
        r.slug.clone(),
        m.title.clone(),
        m.town.clone(),
        m.county.clone().unwrap_or_default(),
        m.city.clone(),
        m.section.clone().unwrap_or_default(),
        m.level.clone().unwrap_or_default(),
        m.author.clone().unwrap_or_default(),
        m.date.clone().unwrap_or_default(),
        m.source.clone().unwrap_or_default(),
        m.tactics.join(";"),
        m.summary.clone().unwrap_or_default(),
        Route::Report(&r.slug).path(),
    ];
    let mut row: Vec<String> = text.iter().map(|t| csv_text(t)).collect();
    // Metric cells are numbers we format from an `f64` (`-5`, `1.5`): a spreadsheet reads
    // them as numbers, never as formulas, so they stay as they are and stay summable.
    row.extend(site.metrics.iter().map(|k| {
        site.metric(r, &k.key)
            .map(crate::render::views::fmt_num)
            .unwrap_or_default()
    }));
    csv_records(&[row])
}

/// The site's reports as one CSV table (`data/reports.csv`) of `rows` (from [`csv_row`]) under
/// the header.
fn csv_of<S: AsRef<str>>(site: &Site, rows: impl Iterator<Item = Result<S>>) -> Result<String> {
    let mut header: Vec<String> = [
        "slug", "title", "town", "county", "city", "section", "level", "author", "date", "source",
        "tactics", "summary", "url",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend(site.metrics.iter().map(|m| m.key.clone()));
    let header: Vec<String> = header.iter().map(|h| csv_text(h)).collect();
    // BOM: spreadsheet apps then read UTF-8 Chinese right.
    let mut csv = format!("\u{feff}{}", csv_records(&[header])?);
    for row in rows {
        csv.push_str(row?.as_ref());
    }
    Ok(csv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_of_indented_rows_is_the_table_of_rows() {
        let rows = ["{\n  \"a\": 1\n}", "{\n  \"b\": \"x\\ny\"\n}"];
        let whole = json_of(rows.iter().map(|r| Ok(*r))).unwrap();
        let kept: Vec<String> = rows.iter().map(|r| indented(r)).collect();
        assert_eq!(json_list(kept.iter().map(String::as_str)), whole);
        assert_eq!(
            json_list(std::iter::empty()),
            json_of(std::iter::empty::<Result<&str>>()).unwrap()
        );
        // The layout serde_json gives a list of these objects.
        let values: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| serde_json::from_str(r).unwrap())
            .collect();
        assert_eq!(whole, serde_json::to_string_pretty(&values).unwrap());
    }
}
