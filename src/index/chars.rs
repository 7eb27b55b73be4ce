//! A query of one CJK character. The index has no token for a character inside a CJK run
//! (see [`super::tokenizer`]): there it is the start of the bigram at its position. So the
//! character's occurrences are its own term (where it ends a run, or is a run alone) and every
//! bigram it starts, at those bigrams' positions, and no two of them share a position. Both
//! searches read that union as one term: the browser export writes it as the character's term
//! entry (`export`), `casebook search` gathers it from the same terms (`crate::search`), so a
//! character ranks alike in both, with the document frequency and term frequencies it had
//! when every character was a token.
//!
//! Entry points: [`first_cjk`], [`lone`], [`terms_of`], [`Occurrences`].

use super::tokenizer::is_cjk;

/// The first character of `term` when it is CJK: the character whose union `term` is part of.
pub fn first_cjk(term: &str) -> Option<char> {
    term.chars().next().filter(|&c| is_cjk(c))
}

/// The character when `term` is a lone CJK character: a query term that stands for the union.
pub fn lone(term: &str) -> Option<char> {
    let mut it = term.chars();
    it.next().filter(|&c| is_cjk(c) && it.next().is_none())
}

/// The bounds of the dictionary terms that start with `c`: from `c` (inclusive) to `c`
/// followed by a byte no UTF-8 text has (exclusive).
pub fn terms_of(c: char) -> (Vec<u8>, Vec<u8>) {
    let lo = c.to_string().into_bytes();
    let mut hi = lo.clone();
    hi.push(0xFF);
    (lo, hi)
}

/// Documents in order, each with its positions in order.
pub type DocPositions = Vec<(u32, Vec<u32>)>;

/// A character's occurrences gathered from its terms, per field: document and position as one
/// number (document in the high half), so that they sort as pairs.
#[derive(Debug, Default)]
pub struct Occurrences(Vec<Vec<u64>>);

impl Occurrences {
    /// Empty, for `fields` fields.
    pub fn new(fields: usize) -> Self {
        Occurrences(vec![Vec::new(); fields])
    }

    /// Adds one occurrence.
    pub fn push(&mut self, field: usize, doc: u32, position: u32) {
        self.0[field].push(u64::from(doc) << 32 | u64::from(position));
    }

    /// Per field that has any, its occurrences in order: (document, position), read with
    /// [`split`]. Each term adds its occurrences in order, so the list is a few sorted runs,
    /// which the stable sort merges rather than sorts anew.
    pub fn into_sorted(self) -> impl Iterator<Item = (usize, Vec<u64>)> {
        self.0
            .into_iter()
            .enumerate()
            .filter(|(_, o)| !o.is_empty())
            .map(|(f, mut o)| {
                o.sort();
                (f, o)
            })
    }

    /// Per field that has any, its documents in order, each with its positions in order.
    pub fn into_fields(self) -> impl Iterator<Item = (usize, DocPositions)> {
        self.into_sorted().map(|(f, o)| {
            let mut docs: DocPositions = Vec::new();
            for (doc, p) in o.into_iter().map(split) {
                match docs.last_mut() {
                    Some((d, ps)) if *d == doc => ps.push(p),
                    _ => docs.push((doc, vec![p])),
                }
            }
            (f, docs)
        })
    }
}

/// The document and position of an occurrence of [`Occurrences::into_sorted`].
pub fn split(o: u64) -> (u32, u32) {
    ((o >> 32) as u32, o as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_character_gathers_its_terms_in_order() {
        assert_eq!(first_cjk("工会"), Some('工'));
        assert_eq!(first_cjk("app"), None);
        assert_eq!(lone("工"), Some('工'));
        assert_eq!((lone("工会"), lone("a")), (None, None));
        let (lo, hi) = terms_of('工');
        assert!(lo.as_slice() <= "工".as_bytes() && "工".as_bytes() < hi.as_slice());
        assert!("工龘".as_bytes() < hi.as_slice() && "巧".as_bytes() >= hi.as_slice());
        let mut o = Occurrences::new(2);
        o.push(1, 5, 9);
        o.push(1, 2, 4);
        o.push(1, 5, 1);
        let got: Vec<_> = o.into_fields().collect();
        assert_eq!(got, vec![(1, vec![(2, vec![4]), (5, vec![1, 9])])]);
    }
}
