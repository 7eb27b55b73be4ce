//! The tile map: a cartogram of the site's cities, one equal square each, placed where
//! `site.yaml` puts them (`cities: - { name, tile: [col, row] }`) or, without positions, in
//! printed order on a near-square grid. The geometry, the colour bins of every measure (the
//! number of reports, then each metric with data) and the legends are computed here; the SVG
//! markup lives in the theme (`tilemap.html`), so the map needs no JavaScript (a script only
//! switches the measure shown, from the bins embedded as data attributes).

use serde::Serialize;

use super::views::fmt_num;
use crate::model::Site;
use crate::urls::{Listing, Route};

/// Side of a tile in SVG user units.
const TILE: usize = 72;
/// Space between tiles.
const GAP: usize = 6;
/// Steps of the colour scale (the theme has a colour for each, `b1`..`b5`; `b0` is no data).
const STEPS: usize = 5;
/// Font size of a city's name; long names shrink down to [`MIN_FONT`], then are cut short.
const FONT: f64 = 15.0;
const MIN_FONT: f64 = 11.0;
/// Room for the name inside a tile.
const NAME_ROOM: f64 = (TILE - 8) as f64;

/// The map as templates draw it.
#[derive(Debug, Serialize)]
pub(crate) struct TileMapView {
    pub(crate) width: usize,
    pub(crate) height: usize,
    pub(crate) tiles: Vec<Tile>,
    /// What the tiles can be coloured by: the number of reports first (the default), then each
    /// metric some city has a figure for.
    pub(crate) measures: Vec<Measure>,
}

/// One city's square.
#[derive(Debug, Serialize)]
pub(crate) struct Tile {
    pub(crate) name: String,
    /// The name as drawn: the whole name, or its start and `…` when even the smallest font
    /// cannot fit it (the link's title and the table keep the whole name).
    pub(crate) label: String,
    pub(crate) font: f64,
    pub(crate) x: usize,
    pub(crate) y: usize,
    /// The city's page, root-relative.
    pub(crate) url: String,
    /// Per measure (in [`TileMapView::measures`] order): its colour step, 0 for no figure.
    pub(crate) bins: Vec<usize>,
    /// Per measure: the figure as shown, empty for none.
    pub(crate) values: Vec<String>,
    /// Per measure: the city's reports that give the figure.
    pub(crate) counts: Vec<usize>,
    /// The city's reports.
    pub(crate) reports: usize,
}

/// One thing the map can show.
#[derive(Debug, Serialize)]
pub(crate) struct Measure {
    /// `reports`, or the metric's key.
    pub(crate) key: String,
    pub(crate) label: String,
    pub(crate) unit: String,
    /// How a city's figure is made (合计, 平均...); empty for the number of reports.
    pub(crate) aggregate: String,
    /// Reports that give the figure, of all reports.
    pub(crate) reported: usize,
    pub(crate) total: usize,
    pub(crate) legend: Vec<Step>,
}

/// One step of a legend: its colour and the range of figures it stands for.
#[derive(Debug, Serialize)]
pub(crate) struct Step {
    pub(crate) bin: usize,
    pub(crate) from: String,
    pub(crate) to: String,
}

/// The tile map of `site`'s cities (those with reports); `None` when there are none.
pub(crate) fn tile_map(site: &Site) -> Option<TileMapView> {
    if site.cities.is_empty() {
        return None;
    }
    let places = layout(site);
    let mut measures = vec![count_measure(site)];
    let mut columns: Vec<Vec<Option<f64>>> = vec![site
        .cities
        .iter()
        .map(|c| Some(c.group.reports.len() as f64))
        .collect()];
    let mut counts: Vec<Vec<usize>> =
        vec![site.cities.iter().map(|c| c.group.reports.len()).collect()];
    for (mi, m) in site.metrics.iter().enumerate() {
        let column: Vec<Option<f64>> = site.cities.iter().map(|c| c.aggregates[mi]).collect();
        if column.iter().all(Option::is_none) {
            continue;
        }
        // The model counted each city's reports that give the metric; every report is in
        // exactly one city, so they add up to the site's. No lookup per report and metric:
        // serve makes this map on every rebuild.
        let per_city: Vec<usize> = site.cities.iter().map(|c| c.reported[mi]).collect();
        let reported = per_city.iter().sum();
        counts.push(per_city);
        measures.push(Measure {
            key: m.key.clone(),
            label: m.label.clone(),
            unit: m.unit.clone(),
            aggregate: site.strings.get(m.aggregate.key()).to_string(),
            reported,
            total: site.reports.len(),
            legend: Vec::new(),
        });
        columns.push(column);
    }
    let scales: Vec<Scale> = columns.iter().map(|c| Scale::of(c)).collect();
    for (m, s) in measures.iter_mut().zip(&scales) {
        m.legend = s.legend();
    }
    let (cols, rows) = places
        .iter()
        .fold((0, 0), |(c, r), &(x, y)| (c.max(x + 1), r.max(y + 1)));
    let tiles = site
        .cities
        .iter()
        .zip(&places)
        .enumerate()
        .map(|(ci, (c, &(col, row)))| {
            let (label, font) = fit(&c.group.name);
            Tile {
                name: c.group.name.clone(),
                label,
                font,
                x: col * (TILE + GAP),
                y: row * (TILE + GAP),
                url: Route::list(Listing::City, &c.group.slug).path(),
                bins: columns
                    .iter()
                    .zip(&scales)
                    .map(|(col, s)| col[ci].map_or(0, |v| s.bin(v)))
                    .collect(),
                values: columns
                    .iter()
                    .map(|col| col[ci].map(fmt_num).unwrap_or_default())
                    .collect(),
                counts: counts.iter().map(|col| col[ci]).collect(),
                reports: c.group.reports.len(),
            }
        })
        .collect();
    Some(TileMapView {
        width: cols * (TILE + GAP) - GAP,
        height: rows * (TILE + GAP) - GAP,
        tiles,
        measures,
    })
}

fn count_measure(site: &Site) -> Measure {
    Measure {
        key: "reports".into(),
        label: site.strings.get("tilemap.reports").into(),
        unit: site.strings.get("tilemap.reports_unit").into(),
        aggregate: String::new(),
        reported: site.reports.len(),
        total: site.reports.len(),
        legend: Vec::new(),
    }
}

/// Each city's `(column, row)`: its configured tile; cities without one (or on a tile an
/// earlier city took, which load reports as an error) go in rows under the map, in printed
/// order. Without any positions, a near-square grid in printed order.
fn layout(site: &Site) -> Vec<(usize, usize)> {
    let configured = |name: &str| {
        site.config
            .cities
            .iter()
            .find(|c| c.name() == name)
            .and_then(|c| c.tile())
            .map(|(c, r)| (usize::from(c), usize::from(r)))
    };
    let mut taken = std::collections::BTreeSet::new();
    let mut places: Vec<Option<(usize, usize)>> = site
        .cities
        .iter()
        .map(|c| configured(&c.group.name).filter(|t| taken.insert(*t)))
        .collect();
    let placed = places.iter().flatten();
    let (width, below) = match placed.clone().max_by_key(|t| t.0) {
        Some(_) => (
            placed.clone().map(|t| t.0 + 1).max().unwrap_or(1),
            placed.map(|t| t.1 + 1).max().unwrap_or(0),
        ),
        // No positions: as many columns as rows, or one more.
        None => ((site.cities.len() as f64).sqrt().ceil() as usize, 0),
    };
    for (next, p) in places.iter_mut().filter(|p| p.is_none()).enumerate() {
        *p = Some((next % width, below + next / width));
    }
    places.into_iter().flatten().collect()
}

/// The label and font size that fit a name in a tile.
fn fit(name: &str) -> (String, f64) {
    // Han characters are one em wide; Latin letters and digits about half.
    let width = |s: &str| -> f64 {
        s.chars()
            .map(|c| if c.is_ascii() { 0.55 } else { 1.0 })
            .sum()
    };
    let w = width(name);
    if w * FONT <= NAME_ROOM {
        return (name.to_string(), FONT);
    }
    if w * MIN_FONT <= NAME_ROOM {
        return (name.to_string(), (NAME_ROOM / w * 10.0).floor() / 10.0);
    }
    let mut label = String::new();
    for c in name.chars() {
        let mut next = label.clone();
        next.push(c);
        if (width(&next) + 1.0) * MIN_FONT > NAME_ROOM {
            break;
        }
        label = next;
    }
    label.push('…');
    (label, MIN_FONT)
}

/// Equal steps between the smallest and the largest figure of a measure.
struct Scale {
    min: f64,
    max: f64,
    /// Whether every figure is a whole number (counts): the legend then gives whole ranges.
    whole: bool,
}

impl Scale {
    fn of(column: &[Option<f64>]) -> Scale {
        let values = column.iter().flatten().copied();
        Scale {
            min: values.clone().fold(f64::INFINITY, f64::min),
            max: values.clone().fold(f64::NEG_INFINITY, f64::max),
            whole: values.into_iter().all(|v| v.fract() == 0.0),
        }
    }

    fn step(&self) -> f64 {
        (self.max - self.min) / STEPS as f64
    }

    /// The colour step of `v`, 1..=[`STEPS`]; the middle one when every figure is the same.
    fn bin(&self, v: f64) -> usize {
        if self.max <= self.min {
            return STEPS.div_ceil(2);
        }
        let k = ((v - self.min) / self.step()).floor() as usize + 1;
        k.clamp(1, STEPS)
    }

    /// Every step with the figures it stands for (a single step when all figures are equal).
    /// Step `k` holds the figures from its lower bound up to, not including, the next step's
    /// (the last includes the largest figure); whole figures get whole ranges, and a step that
    /// holds no whole number is left out of the legend (no tile can have its colour).
    fn legend(&self) -> Vec<Step> {
        if self.max <= self.min {
            let v = fmt_num(round(self.min));
            return vec![Step {
                bin: STEPS.div_ceil(2),
                from: v.clone(),
                to: v,
            }];
        }
        let bound = |k: usize| self.min + self.step() * k as f64;
        (0..STEPS)
            .filter_map(|k| {
                let last = k + 1 == STEPS;
                let (from, to) = if self.whole {
                    let from = bound(k).ceil();
                    let to = if last {
                        self.max
                    } else {
                        bound(k + 1).ceil() - 1.0
                    };
                    if to < from {
                        return None;
                    }
                    (from, to)
                } else {
                    (round(bound(k)), round(bound(k + 1)))
                };
                Some(Step {
                    bin: k + 1,
                    from: fmt_num(from),
                    to: fmt_num(to),
                })
            })
            .collect()
    }
}

/// A bound of figures with fractions as a legend shows it: whole from 1000, one decimal below
/// (rates such as 90.5% keep theirs).
fn round(v: f64) -> f64 {
    if v.abs() >= 1000.0 {
        v.round()
    } else {
        (v * 10.0).round() / 10.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_cover_the_range_in_equal_steps() {
        let s = Scale::of(&[Some(10.0), None, Some(60.0), Some(35.0)]);
        assert_eq!(s.bin(10.0), 1);
        assert_eq!(s.bin(19.9), 1);
        assert_eq!(s.bin(20.0), 2);
        assert_eq!(s.bin(35.0), 3);
        assert_eq!(s.bin(60.0), 5);
        let legend = s.legend();
        assert_eq!(legend.len(), 5);
        let ranges: Vec<(&str, &str)> = legend
            .iter()
            .map(|l| (l.from.as_str(), l.to.as_str()))
            .collect();
        // Whole figures: whole ranges that meet without overlapping.
        assert_eq!(
            ranges,
            [
                ("10", "19"),
                ("20", "29"),
                ("30", "39"),
                ("40", "49"),
                ("50", "60")
            ]
        );
        let counts = Scale::of(&[Some(6.0), Some(17.0)]);
        let ranges: Vec<(String, String)> = counts
            .legend()
            .into_iter()
            .map(|l| (l.from, l.to))
            .collect();
        assert_eq!(ranges[0], ("6".to_string(), "8".to_string()));
        assert_eq!(ranges[1], ("9".to_string(), "10".to_string()));
        assert_eq!(counts.bin(8.0), 1);
        assert_eq!(counts.bin(9.0), 2);
        let rates = Scale::of(&[Some(90.5), Some(99.0)]);
        assert_eq!(rates.legend()[0].from, "90.5");
        let flat = Scale::of(&[Some(3.0), Some(3.0)]);
        assert_eq!(flat.bin(3.0), 3);
        assert_eq!(flat.legend().len(), 1);
    }

    #[test]
    fn long_names_shrink_then_are_cut() {
        assert_eq!(fit("杭州市"), ("杭州市".to_string(), FONT));
        let (label, font) = fit("黔东南州府");
        assert_eq!(label, "黔东南州府");
        assert!(font < FONT && font * 5.0 <= NAME_ROOM, "{font}");
        let (label, font) = fit("黔东南苗族侗族自治州");
        assert!(
            label.ends_with('…') && label.chars().count() < 10,
            "{label}"
        );
        assert_eq!(font, MIN_FONT);
    }
}
