//! A CJK character's entry in the browser index: the union of its terms ([`crate::index::chars`]),
//! gathered while the export reads them.

use super::Read;
use crate::index::chars::Occurrences;

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
        self.into_fields()
            .map(|(f, docs)| {
                let mut read = Read {
                    docs: Vec::with_capacity(docs.len()),
                    flat: Vec::new(),
                    starts: Vec::with_capacity(docs.len()),
                };
                let mut last_doc = 0;
                for (doc, positions) in docs {
                    let (n, tf) = (norm(f, doc), positions.len() as u32);
                    read.starts.push(read.flat.len());
                    read.docs.push((doc, n, tf));
                    read.flat.extend([doc - last_doc, u32::from(n), tf]);
                    let mut last = 0;
                    for p in positions {
                        read.flat.push(p - last);
                        last = p;
                    }
                    last_doc = doc;
                }
                (f, read)
            })
            .collect()
    }
}
