//! The home page: the figures at a glance, the first front page as an introduction, and every
//! city, tactic, section and page.

use serde::Serialize;

use super::Cx;
use crate::load::Placement;
use crate::render::job::{lazy_job, Job};
use crate::render::tilemap::{self, TileMapView};
use crate::render::views::{group_view, page_view, GroupView, PageView};
use crate::urls::{Listing, Route};

#[derive(Serialize)]
struct HomePage<'a> {
    intro: Option<PageView<'a>>,
    cities: Vec<GroupView<'a>>,
    tactics: Vec<GroupView<'a>>,
    sections: Vec<GroupView<'a>>,
    pages: Vec<PageView<'a>>,
    /// The cities' tile map (none without cities).
    tilemap: Option<TileMapView>,
}

pub(super) fn job<'a>(cx: Cx<'a>) -> Job<'a> {
    let site = cx.site;
    let home = move || {
        let page = |p: &'a crate::model::Page| {
            page_view(p, p.body.html.for_page(&Route::Home, &cx.site.media))
        };
        HomePage {
            intro: site
                .pages
                .iter()
                .find(|p| p.meta.placement == Placement::Front)
                .map(page),
            cities: site
                .cities
                .iter()
                .map(|c| group_view(&c.group, Listing::City))
                .collect(),
            tactics: site
                .tactics
                .iter()
                .map(|t| group_view(t, Listing::Tactic))
                .collect(),
            sections: site
                .sections
                .iter()
                .map(|s| group_view(&s.group, Listing::Section))
                .collect(),
            pages: site.pages.iter().map(page).collect(),
            tilemap: tilemap::tile_map(site),
        }
    };
    lazy_job(cx.sv, "index.html", Route::Home, "", home)
}
