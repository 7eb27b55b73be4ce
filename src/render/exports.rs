//! Machine-readable exports: `data/reports.json` (all front matter, body text excluded) and
//! `data/reports.csv` (one row per report, one column per metric), its text cells neutralised
//! against formula injection ([`csv_text`]).

use rayon::prelude::*;
use serde::Serialize;

use super::fragments::Emit;
use super::pages::Fragments;
use crate::cite;
use crate::error::{Error, Result};
use crate::model::Site;
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

/// Hands every export to `emit`: each report's [`citation`] files (in parallel), then
/// [`json_table`] and [`csv_table`], one after the other, so a build never holds them all (at
/// 1000x the digest the citations were some 160 MB, the tables 115 and 60 MB). With `serve`'s
/// cache, a report's citations are remade only when its fingerprint changed, and the tables
/// only when some report's did.
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
    emit(
        "data/reports.json".into(),
        fragments.cached("reports-json", all, || json_table(site))?,
    )?;
    emit(
        "data/reports.csv".into(),
        fragments.cached("reports-csv", all, || csv_table(site))?,
    )
}

/// The site's reports as one JSON file (`data/reports.json`).
fn json_table(site: &Site) -> Result<String> {
    let list: Vec<ExportReport<'_>> = site
        .reports
        .iter()
        .map(|r| ExportReport {
            slug: &r.slug,
            url: crate::urls::Route::Report(&r.slug).path(),
            path: r.path.to_string_lossy().replace('\\', "/"),
            meta: &r.meta,
        })
        .collect();
    serde_json::to_string_pretty(&list).map_err(|e| Error::Export {
        what: "JSON",
        message: e.to_string(),
    })
}

/// The site's reports as one CSV table (`data/reports.csv`), metrics as columns.
fn csv_table(site: &Site) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = [
        "slug", "title", "town", "county", "city", "section", "level", "author", "date", "source",
        "tactics", "summary", "url",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend(site.metrics.iter().map(|m| m.key.clone()));
    let header: Vec<String> = header.iter().map(|h| csv_text(h)).collect();
    let csv_err = |e: csv::Error| Error::Export {
        what: "CSV",
        message: e.to_string(),
    };
    w.write_record(&header).map_err(csv_err)?;
    for r in &site.reports {
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
            crate::urls::Route::Report(&r.slug).path(),
        ];
        let mut row: Vec<String> = text.iter().map(|t| csv_text(t)).collect();
        // Metric cells are numbers we format from an `f64` (`-5`, `1.5`): a spreadsheet reads
        // them as numbers, never as formulas, so they stay as they are and stay summable.
        row.extend(site.metrics.iter().map(|k| {
            site.metric(r, &k.key)
                .map(crate::render::views::fmt_num)
                .unwrap_or_default()
        }));
        w.write_record(&row).map_err(csv_err)?;
    }
    let table = w.into_inner().map_err(|e| Error::Export {
        what: "CSV",
        message: e.to_string(),
    })?;
    // The writer was given `String`s only, so its bytes are UTF-8.
    let table = String::from_utf8(table).map_err(|e| Error::Export {
        what: "CSV",
        message: e.to_string(),
    })?;
    // BOM: spreadsheet apps then read UTF-8 Chinese right.
    Ok(format!("\u{feff}{table}"))
}
