//! A CJK character's entry in the browser index: the union of its terms ([`crate::index::chars`]),
//! gathered while the export reads them.

use super::Read;
use crate::index::chars::{split, Occurrences};

/// A CJK character's terms being read: its occurrences, for its own entry, and the entries of
/// the bigrams it starts, which follow that entry.
pub(super) struct CharGroup {
    pub(super) ch: char,
    pub(super) occurrences: Occurrences,
    /// The bigrams' entries: term and JSON.
    pub(super) held: Vec<(String, String)>,
}

impl CharGroup {
    pub(super) fn new(ch: char, fields: usize) -> Self {
        CharGroup {
            ch,
            occurrences: Occurrences::new(fields),
            held: Vec::new(),
        }
    }
}

impl Occurrences {
    /// Adds every occurrence of a term's postings in field `f`.
    pub(super) fn add(&mut self, f: usize, read: &Read) {
        for (j, &(doc, _, tf)) in read.docs.iter().enumerate() {
            let mut p = 0;
            for &delta in &read.flat[read.starts[j] + 3..][..tf as usize] {
                p += delta;
                self.push(f, doc, p);
            }
        }
    }

    /// The union as one term's postings per field, `norm` giving each document's norm id.
    pub(super) fn reads(self, norm: impl Fn(usize, u32) -> u8) -> Vec<(usize, Read)> {
        self.into_sorted()
            .map(|(f, occurrences)| {
                let mut read = Read {
                    docs: Vec::new(),
                    flat: Vec::with_capacity(occurrences.len() * 2),
                    starts: Vec::new(),
                };
                let (mut last_doc, mut last) = (0, 0);
                for (doc, p) in occurrences.into_iter().map(split) {
                    let tf_at = match read.docs.last() {
                        Some(d) if d.0 == doc => read.starts[read.starts.len() - 1] + 2,
                        _ => {
                            let n = norm(f, doc);
                            read.starts.push(read.flat.len());
                            read.docs.push((doc, n, 0));
                            read.flat.extend([doc - last_doc, u32::from(n), 0]);
                            (last_doc, last) = (doc, 0);
                            read.flat.len() - 1
                        }
                    };
                    read.flat[tf_at] += 1;
                    read.flat.push(p - last);
                    last = p;
                }
                // Each document's tf, counted in its place in the flat list.
                for (d, &start) in read.docs.iter_mut().zip(&read.starts) {
                    d.2 = read.flat[start + 2];
                }
                (f, read)
            })
            .collect()
    }
}
