//! The printed order as shares: each section, or each city of a section listed by city. The
//! contents and the print edition split a large site along them, at the sizes of
//! `site.yaml`'s `limits` (a page of ~1-2 MB at most at any scale).

use super::{section_groups, Cx};
use crate::model::Section;
use crate::urls::Part;

/// One share of the printed order.
pub(crate) struct Share<'a> {
    pub(crate) section: &'a Section,
    /// The city's name and slug, in a section listed by city.
    pub(crate) city: Option<(&'a str, &'a str)>,
    pub(crate) reports: Vec<usize>,
}

impl<'a> Share<'a> {
    pub(crate) fn part(&self) -> Part<'a> {
        Part {
            section: &self.section.group.slug,
            city: self.city.map(|(_, slug)| slug),
        }
    }

    /// `速写 · 杭州市` or `重点报道`.
    pub(crate) fn title(&self) -> String {
        match self.city {
            Some((city, _)) => format!("{} · {city}", self.section.group.name),
            None => self.section.group.name.clone(),
        }
    }
}

/// Every share, in printed order.
pub(crate) fn shares(cx: Cx<'_>) -> Vec<Share<'_>> {
    let site = cx.site;
    site.sections
        .iter()
        .flat_map(|s| {
            if s.by_city.is_empty() {
                vec![Share {
                    section: s,
                    city: None,
                    reports: s.group.reports.clone(),
                }]
            } else {
                section_groups(site, s)
                    .into_iter()
                    .zip(&s.by_city)
                    .map(|((_, list), (ci, _))| {
                        let c = &site.cities[*ci].group;
                        Share {
                            section: s,
                            city: Some((c.name.as_str(), c.slug.as_str())),
                            reports: list,
                        }
                    })
                    .collect()
            }
        })
        .collect()
}
