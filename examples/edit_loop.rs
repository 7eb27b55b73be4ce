//! Profiling aid (not a test): serve's stages (load, model, render, with their caches) on a
//! site, then N body edits of one report, each timed per stage without serve's watcher, server
//! or search index around it, so `perf record -D <ms>` sees the rebuilds alone:
//!
//! ```sh
//! benches/build_bench.py --scales 100 --prepare-only
//! cargo run --release --example edit_loop -- bench-work/x100/casebook \
//!     bench-work/x100/casebook/content/reports/hangzhou/banqiao-x1.md 10
//! ```
//!
//! The report is written N times and put back as it was at the end: use a scaled copy.
use std::time::Instant;

use casebook::load::{self, LoadCache, Project};
use casebook::model::{self, ModelCache};
use casebook::render::{self, RenderCache, RenderOptions};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let project = Project::new(&args[1]);
    let file = std::path::PathBuf::from(&args[2]);
    let n: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(5);
    let (mut lc, mut mc, mut rc) = (
        LoadCache::default(),
        ModelCache::default(),
        RenderCache::default(),
    );
    let options = RenderOptions {
        inject: Some("<script></script>".into()),
    };
    let original = std::fs::read_to_string(&file).unwrap();
    for i in 0..=n {
        if i > 0 {
            std::fs::write(&file, format!("{original}\n编辑{i}\n")).unwrap();
        }
        let t = Instant::now();
        let sources = load::read_cached(&project, &mut lc);
        let t1 = t.elapsed();
        let site = model::build_cached(&sources, &mut mc).unwrap();
        let t2 = t.elapsed();
        let files = render::render_cached(&site, &sources.theme, &options, &mut rc).unwrap();
        let t3 = t.elapsed();
        drop(files);
        let t4 = t.elapsed();
        eprintln!(
            "edit {i}: load {:?} model {:?} render {:?} drop {:?}",
            t1,
            t2 - t1,
            t3 - t2,
            t4 - t3
        );
    }
    std::fs::write(&file, original).unwrap();
}
