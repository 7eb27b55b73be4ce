//! Machine-readable exports: `data/reports.json` (all front matter, body text excluded) and
//! `data/reports.csv` (one row per report, one column per metric).

use serde::Serialize;

use crate::cite;
use crate::error::{Error, Result};
use crate::model::Site;
use crate::output::OutputFile;
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

pub(super) fn exports(site: &Site) -> Result<Vec<OutputFile>> {
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

    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = [
        "slug", "title", "town", "county", "city", "section", "level", "author", "date", "source",
        "tactics", "summary", "url",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend(site.metrics.iter().map(|m| m.key.clone()));
    let csv_err = |e: csv::Error| Error::Export {
        what: "CSV",
        message: e.to_string(),
    };
    w.write_record(&header).map_err(csv_err)?;
    for r in &site.reports {
        let m = &r.meta;
        let mut row: Vec<String> = vec![
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
    let mut files = vec![
        OutputFile {
            path: "data/reports.json".into(),
            bytes: json,
        },
        OutputFile {
            path: "data/reports.csv".into(),
            bytes: csv_bytes,
        },
    ];
    files.extend(citations(site)?);
    Ok(files)
}

/// Every report's citation as BibTeX and CSL-JSON (`data/cite/<slug>.bib`, `.json`), for
/// reference managers; the report page links both.
fn citations(site: &Site) -> Result<Vec<OutputFile>> {
    let mut files = Vec::with_capacity(site.reports.len() * 2);
    for r in &site.reports {
        let url = report_url(site, r);
        let work = cite_work(site, r, url.as_deref());
        let csl =
            serde_json::to_vec_pretty(&cite::csl_items(&work)).map_err(|e| Error::Export {
                what: "CSL-JSON",
                message: e.to_string(),
            })?;
        files.push(OutputFile {
            path: Route::CiteBibtex(&r.slug).path(),
            bytes: cite::bibtex(&work).into_bytes(),
        });
        files.push(OutputFile {
            path: Route::CiteCsl(&r.slug).path(),
            bytes: csl,
        });
    }
    Ok(files)
}
