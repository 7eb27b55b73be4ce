//! Profiling aid (not a test): the load and model stages of a site as `casebook build` runs
//! them (lean bodies past the build's limit), each timed, N times, so that
//! the growth of these stages from 100x to 1000x the digest can be checked stage by stage
//! (issue 12) and `perf record` sees them without render and index:
//!
//! ```sh
//! benches/build_bench.py --scales 100,1000 --prepare-only
//! cargo run --release --example model_stage -- bench-work/x1000/casebook 3
//! ```
use std::time::Instant;

use casebook::load::{self, Project};
use casebook::model;

// As the binary (src/main.rs), so the stages cost what they cost in a build.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(root) = args.get(1) else {
        eprintln!("usage: model_stage <site root> [times]");
        std::process::exit(2);
    };
    let project = Project::new(root);
    let times: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(3);
    // Loaded again each time: a lean model takes the Markdown out of what was loaded.
    for _ in 0..times {
        let t = Instant::now();
        let mut sources = load::load(&project).expect("load");
        let markdown: usize = sources.reports.iter().map(|r| r.body.len()).sum();
        let loaded = ms(t);
        let bodies = casebook::pipeline::bodies_for(&project, &sources);
        let t = Instant::now();
        let site = model::build_lean(&mut sources, &bodies).expect("model");
        println!(
            "{} reports ({} MB of Markdown): load {loaded:.1} ms, model {:.1} ms",
            site.reports.len(),
            markdown >> 20,
            ms(t)
        );
    }
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}
