//! Profiling aid (not a test): the serve stages (load, model, render) on a site, then N body
//! edits of one report, timed per stage. `cargo run --release --example edit_loop -- <site> <report.md> [N]`
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
