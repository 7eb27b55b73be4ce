//! Listings split into pages of `paginate_by` entries, as Hugo's and Zola's paginators do:
//! page 1 at the listing's own address, page `n` under `page/<n>/`, groups (counties, cities)
//! kept in order across pages and marked when they continue from the page before.

use std::ops::Range;

use serde::Serialize;

use crate::urls::Route;

/// Numbered links shown around the current page before the rest collapse into a gap.
const AROUND: usize = 2;

/// One page's share of a grouped listing: for each group on it, the group's index and the
/// range of its entries.
pub(crate) type Slice = Vec<(usize, Range<usize>)>;

/// Splits groups of `sizes` entries, in order, into pages of at most `per` entries (`per` 0:
/// one page). Always at least one page.
pub(crate) fn split(sizes: &[usize], per: usize) -> Vec<Slice> {
    let per = if per == 0 { usize::MAX } else { per };
    let mut pages = vec![Vec::new()];
    let mut room = per;
    for (g, &size) in sizes.iter().enumerate() {
        let mut start = 0;
        while start < size {
            if room == 0 {
                pages.push(Vec::new());
                room = per;
            }
            let take = room.min(size - start);
            if let Some(page) = pages.last_mut() {
                page.push((g, start..start + take));
            }
            start += take;
            room -= take;
        }
    }
    pages
}

/// How many pages a listing of `n` entries takes (what [`split`] makes of it).
pub(crate) fn page_count(n: usize, per: usize) -> usize {
    if per == 0 {
        1
    } else {
        n.div_ceil(per).max(1)
    }
}

/// The page (1-based) on which entry `at` of group `group` stands.
pub(crate) fn page_of(pages: &[Slice], group: usize, at: usize) -> usize {
    pages
        .iter()
        .position(|p| p.iter().any(|(g, r)| *g == group && r.contains(&at)))
        .map_or(1, |i| i + 1)
}

/// What a listing page tells the reader about the others: where it is and the way around.
#[derive(Debug, Serialize)]
pub(crate) struct Paginator {
    /// This page's number, from 1.
    pub(crate) current: usize,
    /// How many pages.
    pub(crate) total: usize,
    /// Root-relative URL of the page before, if any.
    pub(crate) prev: Option<String>,
    /// Root-relative URL of the page after, if any.
    pub(crate) next: Option<String>,
    /// Numbered links: the first and last page, the pages around this one; `None` is a gap.
    pub(crate) links: Vec<Option<PageLink>>,
}

/// A numbered link of a [`Paginator`].
#[derive(Debug, Serialize)]
pub(crate) struct PageLink {
    pub(crate) number: usize,
    pub(crate) url: String,
    pub(crate) current: bool,
}

impl Paginator {
    /// Page `current` of `total`, page `n` at `route(n)`.
    pub(crate) fn new<'r>(
        current: usize,
        total: usize,
        route: impl Fn(usize) -> Route<'r>,
    ) -> Self {
        let url = |n: usize| route(n).path();
        let shown = |n: usize| n == 1 || n == total || n.abs_diff(current) <= AROUND;
        let mut links = Vec::new();
        for n in 1..=total {
            if shown(n) {
                links.push(Some(PageLink {
                    number: n,
                    url: url(n),
                    current: n == current,
                }));
            } else if links.last().is_some_and(Option::is_some) {
                links.push(None);
            }
        }
        Paginator {
            current,
            total,
            prev: (current > 1).then(|| url(current - 1)),
            next: (current < total).then(|| url(current + 1)),
            links,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::urls::Listing;

    #[test]
    fn groups_flow_across_pages() {
        let pages = split(&[3, 4, 1], 3);
        assert_eq!(
            pages,
            vec![vec![(0, 0..3)], vec![(1, 0..3)], vec![(1, 3..4), (2, 0..1)]]
        );
        assert_eq!(page_of(&pages, 1, 3), 3);
        assert_eq!(split(&[5], 0), vec![vec![(0, 0..5)]]);
        assert_eq!(split(&[], 10), vec![Vec::<(usize, Range<usize>)>::new()]);
        for (sizes, per) in [
            (vec![3, 4, 1], 3),
            (vec![5], 0),
            (vec![], 10),
            (vec![10], 5),
        ] {
            let n = sizes.iter().sum();
            assert_eq!(
                split(&sizes, per).len(),
                page_count(n, per),
                "{sizes:?} {per}"
            );
        }
    }

    #[test]
    fn numbered_links_keep_ends_and_neighbours() {
        let p = Paginator::new(6, 12, |n| Route::List(Listing::Tactic, "t", n));
        let numbers: Vec<Option<usize>> = p
            .links
            .iter()
            .map(|l| l.as_ref().map(|l| l.number))
            .collect();
        assert_eq!(
            numbers,
            [
                Some(1),
                None,
                Some(4),
                Some(5),
                Some(6),
                Some(7),
                Some(8),
                None,
                Some(12)
            ]
        );
        assert_eq!(p.prev.as_deref(), Some("tactics/t/page/5/index.html"));
        assert_eq!(p.next.as_deref(), Some("tactics/t/page/7/index.html"));
        let first = Paginator::new(1, 2, |n| Route::List(Listing::Tactic, "t", n));
        assert_eq!(first.prev, None);
        assert_eq!(first.next.as_deref(), Some("tactics/t/page/2/index.html"));
    }
}
