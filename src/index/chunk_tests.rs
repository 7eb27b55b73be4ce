use std::collections::BTreeMap;
use std::sync::Mutex;

use tantivy::postings::Postings;
use tantivy::schema::IndexRecordOption;
use tantivy::{DocSet, TERMINATED};

use super::*;

/// Every file of the index, by path, made `chunk` reports at a time (spilled to `scratch`).
fn files(
    site: &Site,
    scratch: Option<&std::path::Path>,
    chunk: usize,
) -> BTreeMap<String, Vec<u8>> {
    let out = Mutex::new(BTreeMap::new());
    index_in_chunks(
        site,
        &|f| {
            out.lock().unwrap().insert(f.path, f.bytes);
            Ok(())
        },
        scratch,
        chunk,
        &|| true,
    )
    .unwrap();
    out.into_inner().unwrap()
}

fn digest() -> Site {
    let project = crate::load::Project::new(env!("CARGO_MANIFEST_DIR"));
    let site = crate::model::build(&crate::load::load(&project).unwrap()).unwrap();
    assert!(site.reports.len() > 100, "the digest");
    site
}

#[test]
fn an_index_made_in_chunks_equals_one_made_whole() {
    let site = digest();
    // The browser's index (term shards, postings with doc ids, manifest) is the same, so the
    // chunks' postings joined in report order, held or spilled to files and read back.
    let whole = files(&site, None, CHUNK);
    assert_eq!(whole, files(&site, None, 40));
    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(whole, files(&site, Some(tmp.path()), 40));
    // The spill folder is gone.
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    // And tantivy's index for `casebook search`, merged from segments, answers as one segment.
    let search = |chunk| {
        let index = tantivy_in_chunks(&site, chunk).unwrap();
        crate::search::search(&index, "工会 服务", 20)
            .unwrap()
            .hits
            .into_iter()
            .map(|h| (h.slug, h.score))
            .collect::<Vec<_>>()
    };
    let hits = search(CHUNK);
    assert!(hits.len() >= 10);
    assert_eq!(hits, search(40));
}

/// casebook's inverted index holds, for every field and term, what tantivy's segment of the
/// same reports holds: the same terms, documents, term frequencies, positions and norm ids, and
/// the same token totals. The browser ranks with these and `casebook search` with tantivy's.
#[test]
fn the_inverted_index_holds_what_tantivy_holds() {
    let site = digest();
    let mut inv = Inverted::new();
    for (k, reports) in site.reports.chunks(50).enumerate() {
        let bodies = texts(reports).unwrap();
        let texts: Vec<&str> = bodies.iter().map(|b| b.as_ref()).collect();
        inv.push(invert::chunk(k * 50, reports, &texts, &|| true).unwrap());
    }
    let index = tantivy_index(&site).unwrap();
    let reader = open_reader(&index).unwrap();
    let searcher = reader.searcher();
    let seg = searcher.segment_reader(0);
    assert_eq!(seg.max_doc(), inv.docs());
    let mut compared = 0;
    for (f, field) in schema().text.iter().enumerate() {
        let tv = seg.inverted_index(*field).unwrap();
        let norms = seg.get_fieldnorms_reader(*field).unwrap();
        assert_eq!(tv.total_num_tokens(), inv.tokens[f], "field {f}");
        for doc in 0..seg.max_doc() {
            assert_eq!(
                norms.fieldnorm_id(doc),
                inv.norm(f, doc),
                "field {f} doc {doc}"
            );
        }
        // Every term of ours, with its lists in each part, in order.
        let mut ours: BTreeMap<&str, Vec<Vec<u8>>> = BTreeMap::new();
        for part in &inv.parts {
            let pf = &part.fields[f];
            let mut postings = pf.reader(0).unwrap();
            for (t, _) in pf.terms() {
                postings.load().unwrap();
                ours.entry(t).or_default().push(postings.get().to_vec());
                postings.at += 1;
            }
        }
        let mut stream = tv.terms().stream().unwrap();
        let mut theirs = Vec::new();
        while stream.advance() {
            let term = std::str::from_utf8(stream.key()).unwrap().to_string();
            let mut postings = tv
                .read_postings_from_terminfo(
                    stream.value(),
                    IndexRecordOption::WithFreqsAndPositions,
                )
                .unwrap();
            let mut got = Vec::new();
            let mut doc = postings.doc();
            while doc != TERMINATED {
                let mut positions = Vec::new();
                postings.positions(&mut positions);
                got.push((doc, norms.fieldnorm_id(doc), positions));
                doc = postings.advance();
            }
            let lists: Vec<&[u8]> = ours[term.as_str()].iter().map(Vec::as_slice).collect();
            let read = inv.read(f, &lists);
            let want: Vec<(u32, u8, Vec<u32>)> = read
                .docs
                .iter()
                .zip(&read.starts)
                .map(|(&(d, n, tf), &s)| {
                    let mut p = 0;
                    let positions = read.flat[s + 3..][..tf as usize]
                        .iter()
                        .map(|delta| {
                            p += delta;
                            p
                        })
                        .collect();
                    (d, n, positions)
                })
                .collect();
            assert_eq!(got, want, "field {f} term {term}");
            theirs.push(term);
            compared += 1;
        }
        assert_eq!(
            ours.keys().collect::<Vec<_>>(),
            theirs.iter().collect::<Vec<_>>(),
            "field {f}: the same terms"
        );
    }
    assert!(compared > 10_000, "{compared}");
}

/// serve's index stops when a save arrives: whatever stage it is in when `go_on` turns false
/// (the inversion, the result documents, the export), it gives up with `Superseded` soon after,
/// and nothing of it is handed on; with `go_on` true throughout it equals `index`.
#[test]
fn an_index_gives_up_soon_after_go_on_says_no() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let site = digest();
    let paths = |i: SearchIndex| i.files.into_iter().map(|f| (f.path, f.bytes.len()));
    let whole: Vec<_> = paths(index(&site).unwrap()).collect();
    let asked = AtomicUsize::new(0);
    let again = index_while(&site, &|| {
        asked.fetch_add(1, Ordering::SeqCst);
        true
    })
    .unwrap();
    let asked = asked.into_inner();
    // Asked for each report inverted and for each file made.
    assert!(asked >= site.reports.len() + whole.len(), "{asked}");
    assert_eq!(paths(again).collect::<Vec<_>>(), whole);
    // Stopped at the first question, a tenth of the way, and just before the end.
    for stop in [0, asked / 10, asked - 2] {
        let n = AtomicUsize::new(0);
        let after = AtomicUsize::new(0);
        let result = index_while(&site, &|| {
            let k = n.fetch_add(1, Ordering::SeqCst);
            if k >= stop {
                after.fetch_add(1, Ordering::SeqCst);
            }
            k < stop
        });
        assert!(
            matches!(result, Err(Error::Superseded)),
            "stopped at {stop}: {:?}",
            result.map(|i| i.files.len())
        );
        // Soon after: the other threads' questions in flight, not the rest of the work.
        let threads = rayon::current_num_threads();
        assert!(after.into_inner() < 4 * threads + 16, "stopped at {stop}");
    }
}
