//! Machine-readable exports: `data/reports.json` (all front matter, body text excluded) and
//! `data/reports.csv` (one row per report, one column per metric), its text cells neutralised
//! against formula injection ([`csv_text`]).

use rayon::prelude::*;
use serde::Serialize;

use std::sync::Arc;

use super::fragments::{Emit, FragmentCache, KeptTables, Placed, Text};
use super::job::key_of;
use super::pages::Fragments;
use crate::error::{Error, Result};
use crate::model::{Report, Site};
use crate::output::Reuse;
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

/// Hands both exports to `emit`: the JSON and the CSV table, one after the other, so a build
/// never holds both (at 1000x the digest 115 and 60 MB). A build that writes to disk (`reuse`)
/// writes them straight to their files, a batch of rows at a time, and keeps the last build's
/// when no report's row changed. With `serve`'s cache, the tables are remade only when some
/// report's fingerprint changed, then put together from the rows of the others as they were.
/// (A report's citation files ride in its page: `views::cite_view`.)
pub(super) fn each(
    site: &Site,
    fragments: &Fragments<'_>,
    emit: &Emit<'_>,
    reuse: Option<&dyn Reuse>,
) -> Result<()> {
    if let Some(cache) = fragments.cache {
        let [json, csv] = tables(site, fragments, cache)?;
        emit(Route::ExportJson.path(), json)?;
        return emit(Route::ExportCsv.path(), csv);
    }
    let written = reuse.zip(tables_key(site, fragments));
    for table in [Table::Json, Table::Csv] {
        let path = table.path();
        match written {
            Some((reuse, key)) if reuse.keep(&path, key)? => {}
            Some((reuse, key)) => reuse.put_written(&path, key, &mut |w| table.write(site, w))?,
            // `check`: in memory.
            None => {
                let mut bytes = Vec::new();
                table.write(site, &mut bytes)?;
                let text = String::from_utf8(bytes).map_err(|e| Error::Export {
                    what: table.name(),
                    message: e.to_string(),
                })?;
                emit(path, Text::Made(text))?;
            }
        }
    }
    Ok(())
}

/// What both tables are made from: every report's fingerprint (which covers its row) and the
/// metric columns; `None` where reports have no fingerprints.
fn tables_key(site: &Site, fragments: &Fragments<'_>) -> Option<u64> {
    let prints: Option<Vec<u64>> = (0..site.reports.len())
        .map(|i| fragments.fingerprint(i))
        .collect();
    let columns: Vec<&str> = site.metrics.iter().map(|m| m.key.as_str()).collect();
    Some(key_of("export-tables", &(prints?, columns)))
}

/// Reports whose rows are made at once, in parallel, before they are written in order: the
/// JSON rows of a batch at 1000x the digest are about 8 MB.
const BATCH: usize = 8192;

/// One of the two export tables.
#[derive(Clone, Copy)]
enum Table {
    Json,
    Csv,
}

impl Table {
    fn path(self) -> String {
        match self {
            Table::Json => Route::ExportJson.path(),
            Table::Csv => Route::ExportCsv.path(),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Table::Json => "JSON",
            Table::Csv => "CSV",
        }
    }

    /// Writes the table to `w`, a batch of rows made in parallel at a time. Made whole, the
    /// JSON table at 1000x the digest grew by doubling to 115 MB beside everything else alive at
    /// the end of the build: the build's peak memory (+320 MB).
    fn write(self, site: &Site, w: &mut dyn std::io::Write) -> Result<()> {
        let io = |e| Error::io(std::path::Path::new(&self.path()), e);
        let mut layout = JsonList::default();
        let head = match self {
            Table::Json => JsonList::START.to_string(),
            Table::Csv => csv_head(site)?,
        };
        w.write_all(head.as_bytes()).map_err(io)?;
        for batch in site.reports.chunks(BATCH) {
            let rows: Vec<String> = batch
                .par_iter()
                .map(|r| match self {
                    Table::Json => Ok(indented(&json_row(r)?)),
                    Table::Csv => csv_row(site, r),
                })
                .collect::<Result<_>>()?;
            for row in &rows {
                if let Table::Json = self {
                    w.write_all(layout.before_row().as_bytes()).map_err(io)?;
                }
                w.write_all(row.as_bytes()).map_err(io)?;
            }
        }
        match self {
            Table::Json => w.write_all(layout.end().as_bytes()).map_err(io),
            Table::Csv => Ok(()),
        }
    }
}

/// The layout `serde_json` gives a list when it pretty-prints it, around rows already
/// [`indented`]: `[`, each row on its own lines after a comma, `]`.
#[derive(Default)]
struct JsonList {
    rows: usize,
}

impl JsonList {
    const START: &'static str = "[";

    /// What goes before the next row.
    fn before_row(&mut self) -> &'static str {
        self.rows += 1;
        if self.rows == 1 {
            "\n"
        } else {
            ",\n"
        }
    }

    /// What closes the list.
    fn end(&self) -> &'static str {
        if self.rows == 0 {
            "]"
        } else {
            "\n]"
        }
    }
}

/// Both tables for `serve`: the last rebuild's when no report's row changed, else put together
/// from the last tables' text, where each unchanged row is copied from, and the rows of the
/// reports whose fingerprint changed, made again (see `FragmentCache::tables`). Reading each
/// row from its own allocation, and keeping 24,000 of them, was most of a title edit's 25-40 ms
/// here at 100x the digest.
fn tables(site: &Site, fragments: &Fragments<'_>, cache: &FragmentCache) -> Result<[Text; 2]> {
    use std::hash::{Hash, Hasher};
    let columns: Vec<&str> = site.metrics.iter().map(|m| m.key.as_str()).collect();
    let columns = key_of("row", &columns);
    let keys: Vec<u64> = (0..site.reports.len())
        .map(|i| {
            let mut h = crate::fingerprint::hasher();
            (fragments.fingerprint(i), columns).hash(&mut h);
            h.finish()
        })
        .collect();
    let old = cache
        .tables
        .lock()
        .map(|mut t| t.take())
        .map_err(|_| Error::Poisoned("export tables"))?;
    let keep = |kept: KeptTables| -> Result<[Text; 2]> {
        let texts = [
            Text::Kept(Arc::clone(&kept.json.0)),
            Text::Kept(Arc::clone(&kept.csv.0)),
        ];
        *cache
            .tables
            .lock()
            .map_err(|_| Error::Poisoned("export tables"))? = Some(kept);
        Ok(texts)
    };
    let old = match old {
        Some(old) if old.keys == keys => return keep(old),
        old => old,
    };
    let placed = old
        .as_ref()
        .map(|old| Placed::new(old.keys.len(), |j| old.keys[j]));
    let find = |i: usize, key: u64| placed.as_ref()?.find(i, key);
    // Each row: where it was in the last tables, or made now.
    let rows: Vec<Row> = (0..site.reports.len())
        .into_par_iter()
        .map(|i| match find(i, keys[i]) {
            Some(j) => Ok(Ok(j)),
            None => {
                let r = &site.reports[i];
                Ok(Err([indented(&json_row(r)?), csv_row(site, r)?]))
            }
        })
        .collect::<Result<_>>()?;
    type Row = std::result::Result<usize, [String; 2]>;
    fn text<'t>(old: &'t Option<KeptTables>, k: usize, row: &'t Row) -> &'t str {
        match (row, old) {
            (Ok(j), Some(old)) => {
                let (text, at) = if k == 0 { &old.json } else { &old.csv };
                &text[at[*j].clone()]
            }
            (Err(made), _) => &made[k],
            (Ok(_), None) => "",
        }
    }
    let mut json_at = Vec::with_capacity(rows.len());
    let json = json_list(rows.iter().map(|row| text(&old, 0, row)), &mut json_at);
    let mut csv = csv_head(site)?;
    let mut csv_at = Vec::with_capacity(rows.len());
    csv.reserve(old.as_ref().map_or(0, |o| o.csv.0.len()));
    for row in &rows {
        let start = csv.len();
        csv.push_str(text(&old, 1, row));
        csv_at.push(start..csv.len());
    }
    drop(placed);
    drop(old);
    let kept = KeptTables {
        keys,
        json: (Arc::from(json), json_at),
        csv: (Arc::from(csv), csv_at),
    };
    let [json, csv] = keep(kept)?;
    // Made by this rebuild: new files, not the last rebuild's.
    Ok([json.fresh(), csv.fresh()])
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

/// `row` one level deeper, as a pretty-printed list holds it ([`JsonList`]; JSON strings
/// escape line breaks, so every line break is the layout's).
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

/// The JSON table of rows already [`indented`] ([`JsonList`]), sized once: serve puts the
/// table together on every save that changes a report's row (12 MB at 100x the digest). `at`
/// gets where each row is in the table.
fn json_list<'r>(
    rows: impl Iterator<Item = &'r str> + Clone,
    at: &mut Vec<std::ops::Range<usize>>,
) -> String {
    let size: usize = rows.clone().map(|r| r.len() + 2).sum();
    let mut json = String::with_capacity(size + 4);
    json.push_str(JsonList::START);
    let mut layout = JsonList::default();
    for row in rows {
        json.push_str(layout.before_row());
        let start = json.len();
        json.push_str(row);
        at.push(start..json.len());
    }
    json.push_str(layout.end());
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

/// The header line of `data/reports.csv`, after a BOM (spreadsheet apps then read UTF-8
/// Chinese right); the rows follow it (from [`csv_row`]).
fn csv_head(site: &Site) -> Result<String> {
    let mut header: Vec<String> = [
        "slug", "title", "town", "county", "city", "section", "level", "author", "date", "source",
        "tactics", "summary", "url",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend(site.metrics.iter().map(|m| m.key.clone()));
    let header: Vec<String> = header.iter().map(|h| csv_text(h)).collect();
    Ok(format!("\u{feff}{}", csv_records(&[header])?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JSON list of `rows`, each made one level deeper as it is added: what `json_list` must
    /// give for rows indented beforehand.
    fn json_of<S: AsRef<str>>(rows: impl Iterator<Item = Result<S>>) -> Result<String> {
        let mut json = String::from(JsonList::START);
        let mut layout = JsonList::default();
        for row in rows {
            json.push_str(layout.before_row());
            indent_into(&mut json, row?.as_ref());
        }
        json.push_str(layout.end());
        Ok(json)
    }

    #[test]
    fn a_table_of_indented_rows_is_the_table_of_rows() {
        let rows = ["{\n  \"a\": 1\n}", "{\n  \"b\": \"x\\ny\"\n}"];
        let whole = json_of(rows.iter().map(|r| Ok(*r))).unwrap();
        let kept: Vec<String> = rows.iter().map(|r| indented(r)).collect();
        let mut at = Vec::new();
        let list = json_list(kept.iter().map(String::as_str), &mut at);
        assert_eq!(list, whole);
        assert_eq!(&list[at[1].clone()], kept[1]);
        assert_eq!(
            json_list(std::iter::empty(), &mut Vec::new()),
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
