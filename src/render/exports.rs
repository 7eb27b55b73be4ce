//! Machine-readable exports: `data/reports.json` (all front matter, body text excluded) and
//! `data/reports.csv` (one row per report, one column per metric), its text cells neutralised
//! against formula injection ([`csv_text`]).

use rayon::prelude::*;
use serde::Serialize;

use crate::cite;
use crate::error::{Error, Result};
use crate::model::{Report, Site};
use crate::output::{OutputFile, Sink};
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

/// Every export, collected (for `serve`'s cache): see [`each`].
pub(super) fn exports(site: &Site) -> Result<Vec<OutputFile>> {
    let files = std::sync::Mutex::new(Vec::new());
    each(site, &|f| {
        files
            .lock()
            .map_err(|_| Error::Poisoned("exports"))?
            .push(f);
        Ok(())
    })?;
    files.into_inner().map_err(|_| Error::Poisoned("exports"))
}

/// Hands every export to `sink` as it is made: each report's [`citation`] files (in parallel),
/// then [`json_table`] and [`csv_table`], one after the other, so a build never holds them all
/// (at 1000x the digest the citations were some 160 MB, the tables 115 and 60 MB).
pub(super) fn each(site: &Site, sink: &Sink<'_>) -> Result<()> {
    site.reports
        .par_iter()
        .try_for_each(|r| citation(site, r)?.into_iter().try_for_each(sink))?;
    sink(json_table(site)?)?;
    sink(csv_table(site)?)
}

/// The site's reports as one JSON file (`data/reports.json`).
fn json_table(site: &Site) -> Result<OutputFile> {
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
    let json = serde_json::to_vec_pretty(&list).map_err(|e| Error::Export {
        what: "JSON",
        message: e.to_string(),
    })?;
    Ok(OutputFile {
        path: "data/reports.json".into(),
        bytes: json,
    })
}

/// The site's reports as one CSV table (`data/reports.csv`), metrics as columns.
fn csv_table(site: &Site) -> Result<OutputFile> {
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
    let mut csv_bytes = b"\xEF\xBB\xBF".to_vec(); // BOM: spreadsheet apps then read UTF-8 Chinese right.
    csv_bytes.extend(w.into_inner().map_err(|e| Error::Export {
        what: "CSV",
        message: e.to_string(),
    })?);
    Ok(OutputFile {
        path: "data/reports.csv".into(),
        bytes: csv_bytes,
    })
}

/// A report's citation as BibTeX and CSL-JSON (`data/cite/<slug>.bib`, `.json`), for
/// reference managers; the report page links both.
fn citation(site: &Site, r: &Report) -> Result<[OutputFile; 2]> {
    let url = report_url(site, r);
    let work = cite_work(site, r, url.as_deref());
    let csl = serde_json::to_vec_pretty(&cite::csl_items(&work)).map_err(|e| Error::Export {
        what: "CSL-JSON",
        message: e.to_string(),
    })?;
    Ok([
        OutputFile {
            path: Route::CiteBibtex(&r.slug).path(),
            bytes: cite::bibtex(&work).into_bytes(),
        },
        OutputFile {
            path: Route::CiteCsl(&r.slug).path(),
            bytes: csl,
        },
    ])
}
