use std::collections::BTreeMap;
use std::sync::Mutex;

use super::*;

/// Every file of the index, by path; tantivy's own files by name pattern only (segment
/// names are random), with `casebook search`'s answer from them.
fn files(site: &Site, scratch: Option<&Path>, chunk: usize) -> BTreeMap<String, Vec<u8>> {
    let out = Mutex::new(BTreeMap::new());
    let scratch = scratch.map(|dir| Moved { dir, out: &out });
    index_in_chunks(
        site,
        &|f| {
            out.lock().unwrap().insert(f.path, f.bytes);
            Ok(())
        },
        scratch.as_ref().map(|s| s as &dyn Scratch),
        chunk,
        &|| true,
    )
    .unwrap();
    out.into_inner().unwrap()
}

/// A scratch folder whose moved files are read into `out`, and removed as a move would.
struct Moved<'a> {
    dir: &'a Path,
    out: &'a Mutex<BTreeMap<String, Vec<u8>>>,
}

impl Scratch for Moved<'_> {
    fn dir(&self) -> &Path {
        self.dir
    }

    fn put_moved(&self, path: String, from: &Path) -> Result<()> {
        assert!(
            from.starts_with(self.dir),
            "{from:?} is in the scratch folder"
        );
        let bytes = std::fs::read(from).unwrap();
        std::fs::remove_file(from).unwrap();
        self.out.lock().unwrap().insert(path, bytes);
        Ok(())
    }
}

#[test]
fn an_index_written_in_merged_chunks_equals_one_written_whole() {
    let project = crate::load::Project::new(env!("CARGO_MANIFEST_DIR"));
    let site = crate::model::build(&crate::load::load(&project).unwrap()).unwrap();
    assert!(site.reports.len() > 100, "the digest");
    let browser = |files: BTreeMap<String, Vec<u8>>| -> BTreeMap<String, Vec<u8>> {
        files
            .into_iter()
            .filter(|(p, _)| !p.starts_with(TANTIVY_DIR))
            .collect()
    };
    let whole = files(&site, None, CHUNK);
    let tmp = tempfile::tempdir().unwrap();
    let chunked = files(&site, Some(tmp.path()), 40);
    // The browser's index (term shards, postings with doc ids, manifest) is the same, so
    // doc ids kept the report order through the merge.
    assert_eq!(browser(whole.clone()), browser(chunked.clone()));
    for name in ["meta.json", ".managed.json"] {
        assert!(
            chunked.contains_key(&format!("{TANTIVY_DIR}/{name}")),
            "{name}"
        );
    }
    assert!(
        chunked.keys().any(|p| p.ends_with(".pos")),
        "tantivy's files are moved in"
    );
    // The temporary folders are gone.
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    // And tantivy's own index answers as before.
    let search = |files: &BTreeMap<String, Vec<u8>>| {
        let d = tempfile::tempdir().unwrap();
        for (p, b) in files.iter().filter(|(p, _)| p.starts_with(TANTIVY_DIR)) {
            let path = d.path().join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, b).unwrap();
        }
        crate::search::search(&d.path().join(TANTIVY_DIR), "工会 服务", 20)
            .unwrap()
            .hits
            .into_iter()
            .map(|h| (h.slug, h.score))
            .collect::<Vec<_>>()
    };
    let hits = search(&whole);
    assert!(hits.len() >= 10);
    assert_eq!(hits, search(&chunked));
}

/// serve's index stops when a save arrives: whatever stage it is in when `go_on` turns false
/// (the tantivy segment, the result documents, the export), it gives up with `Superseded` soon
/// after, and nothing of it is handed on; with `go_on` true throughout it equals `index`.
#[test]
fn an_index_gives_up_soon_after_go_on_says_no() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let project = crate::load::Project::new(env!("CARGO_MANIFEST_DIR"));
    let site = crate::model::build(&crate::load::load(&project).unwrap()).unwrap();
    let paths = |i: SearchIndex| i.files.into_iter().map(|f| (f.path, f.bytes.len()));
    let whole: Vec<_> = paths(index(&site).unwrap()).collect();
    let asked = AtomicUsize::new(0);
    let again = index_while(&site, &|| {
        asked.fetch_add(1, Ordering::SeqCst);
        true
    })
    .unwrap();
    let asked = asked.into_inner();
    // Asked for each report in the segment and for each file made.
    assert!(asked >= site.reports.len() + whole.len(), "{asked}");
    let tantivy = |p: &String| p.starts_with(TANTIVY_DIR);
    assert_eq!(
        paths(again)
            .filter(|(p, _)| !tantivy(p))
            .collect::<Vec<_>>(),
        whole
            .iter()
            .filter(|(p, _)| !tantivy(p))
            .cloned()
            .collect::<Vec<_>>()
    );
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
