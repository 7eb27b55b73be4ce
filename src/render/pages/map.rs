//! The tactics map: a city × tactic heat map, each cell linking to its one report or to the
//! tactic page at the city's list.

use serde::Serialize;

use super::Cx;
use crate::model::Site;
use crate::render::job::{lazy_job, Job};
use crate::render::views::Link;
use crate::urls::{Listing, Route};

/// Towns a cell names in its tooltip; a larger cell names these and says how many more. The
/// map is cities × tactics, bounded by the vocabulary; the names keep it bounded by that too.
const NAMED_PER_CELL: usize = 20;

#[derive(Serialize)]
struct MapCell {
    count: usize,
    /// 0..=4, for the heat-map shade.
    heat: usize,
    url: String,
    /// The first [`NAMED_PER_CELL`] towns, joined.
    titles: String,
    /// Towns not named.
    more: usize,
}

#[derive(Serialize)]
struct MapRow<'a> {
    city: Link<'a>,
    cells: Vec<MapCell>,
}

#[derive(Serialize)]
struct MapPage<'a> {
    tactics: Vec<Link<'a>>,
    rows: Vec<MapRow<'a>>,
}

pub(super) fn job(cx: Cx<'_>) -> Job<'_> {
    let site = cx.site;
    lazy_job(
        cx.sv,
        "tactics_map.html",
        Route::TacticsMap,
        cx.title("tactics_map"),
        move || map_page(site),
    )
}

fn map_page(site: &Site) -> MapPage<'_> {
    let matrix = site.tactic_matrix();
    let pages = super::lists::tactic_city_pages(site);
    let max = matrix
        .iter()
        .flat_map(|row| row.iter().map(Vec::len))
        .max()
        .unwrap_or(0)
        .max(1);
    MapPage {
        tactics: site
            .tactics
            .iter()
            .map(|t| Link {
                name: &t.name,
                url: Route::list(Listing::Tactic, &t.slug).path(),
                count: Some(t.reports.len()),
            })
            .collect(),
        rows: site
            .cities
            .iter()
            .enumerate()
            .zip(matrix)
            .map(|((ci, c), row)| MapRow {
                city: Link {
                    name: &c.group.name,
                    url: Route::list(Listing::City, &c.group.slug).path(),
                    count: Some(c.group.reports.len()),
                },
                cells: row
                    .iter()
                    .zip(&site.tactics)
                    .enumerate()
                    .map(|(ti, (list, t))| MapCell {
                        count: list.len(),
                        heat: (list.len() * 4).div_ceil(max),
                        // One report: link to it; several: the tactic page, anchored at the city.
                        url: match list.as_slice() {
                            [only] => Route::Report(&site.reports[*only].slug).path(),
                            _ => format!(
                                "{}#city-{}",
                                Route::List(Listing::Tactic, &t.slug, pages[ti][ci]).path(),
                                c.group.slug
                            ),
                        },
                        titles: list
                            .iter()
                            .take(NAMED_PER_CELL)
                            .map(|&i| site.reports[i].meta.town.as_str())
                            .collect::<Vec<_>>()
                            .join(site.strings.get("punct.enum")),
                        more: list.len().saturating_sub(NAMED_PER_CELL),
                    })
                    .collect(),
            })
            .collect(),
    }
}
