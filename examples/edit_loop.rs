//! Profiling aid (not a test): serve's stages (load, model, render, with their caches) on a
//! site, then N edits of one report cycling as `serve::rebuild_time` does (body, title, a
//! tactic, a metric), each timed per stage without serve's watcher, server or search index
//! around it, so `perf record -D <ms>` sees the rebuilds alone:
//!
//! ```sh
//! benches/build_bench.py --scales 100 --prepare-only
//! cargo run --release --example edit_loop -- bench-work/x100/casebook \
//!     bench-work/x100/casebook/content/reports/hangzhou/guali-x1.md 12
//! ```
//!
//! The report is written N times and put back as it was at the end: use a scaled copy.
use std::time::Instant;

use casebook::load::{self, LoadCache, Project};
use casebook::model::{self, ModelCache};
use casebook::render::{self, RenderCache, RenderOptions};

// As the binary (src/main.rs), so the stages cost what they cost in `serve`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let project = Project::new(&args[1]);
    let file = std::path::PathBuf::from(&args[2]);
    let n: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(5);
    let only: Option<usize> = args.get(4).and_then(|s| s.parse().ok());
    let (mut lc, mut mc, mut rc) = (
        LoadCache::default(),
        ModelCache::default(),
        RenderCache::default(),
    );
    let options = RenderOptions {
        inject: Some("<script></script>".into()),
    };
    let original = std::fs::read_to_string(&file).unwrap();
    let mut last = std::collections::HashMap::new();
    for i in 0..=n {
        if i > 0 {
            let text = std::fs::read_to_string(&file).unwrap();
            // `only`: one kind of edit throughout (0 metric, 1 body, 2 title, 3 tactic).
            let kind = only.unwrap_or(i);
            std::fs::write(&file, edit(&text, kind)).unwrap();
        }
        let t = Instant::now();
        // As serve's watcher does: the saved file named, after a first full look.
        let named = [file.clone()];
        let sources = load::read_changed(&project, &mut lc, (i > 0).then_some(&named[..]));
        let t1 = t.elapsed();
        let site = model::build_cached(&sources, &mut mc).unwrap();
        let t2 = t.elapsed();
        let files = render::render_cached(&site, &sources.theme, &options, &mut rc).unwrap();
        let t3 = t.elapsed();
        // Which kinds of file were made again (not the last run's very bytes), by their first
        // folder.
        let mut kinds = std::collections::BTreeMap::<String, usize>::new();
        for (path, bytes) in &files {
            if last
                .get(path)
                .is_none_or(|b| !std::sync::Arc::ptr_eq(b, bytes))
            {
                let kind = path.split('/').next().unwrap_or("").to_owned();
                *kinds.entry(kind).or_default() += 1;
            }
        }
        last = files.into_iter().collect();
        let t4 = t.elapsed();
        eprintln!(
            "edit {i} ({}): load {:?} model {:?} render {:?} drop {:?}",
            ["metric", "body", "title", "tactic"][only.unwrap_or(i) % 4],
            t1,
            t2 - t1,
            t3 - t2,
            t4 - t3
        );
        eprintln!("  rendered {} reused {}: {kinds:?}", rc.rendered, rc.reused);
    }
    std::fs::write(&file, original).unwrap();
}

/// The `i`th edit of `text`: a line of body, a longer title, a tactic toggled, a metric + 1.
fn edit(text: &str, i: usize) -> String {
    let line = |prefix: &str| {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .map(str::to_owned)
    };
    match (i % 4, line("title: "), line("tactics: [")) {
        (2, Some(title), _) => {
            // Scaled copies quote their titles: the addition goes inside the quotes.
            let (head, quote) = match title.strip_suffix('"') {
                Some(head) => (head, "\""),
                None => (title.as_str(), ""),
            };
            text.replacen(&title, &format!("{head}（{i}）{quote}"), 1)
        }
        (3, _, Some(tactics)) => {
            let toggled = match tactics.strip_suffix(", 文体活动]") {
                Some(rest) => format!("{rest}]"),
                None => tactics.replacen(']', ", 文体活动]", 1),
            };
            text.replacen(&tactics, &toggled, 1)
        }
        (0, _, _) if text.contains("\nmetrics:\n  ") => {
            let at = text.find("\nmetrics:\n  ").unwrap() + "\nmetrics:\n  ".len();
            let end = at + text[at..].find('\n').unwrap();
            let (key, value) = text[at..end].split_once(':').unwrap();
            let value: f64 = value.trim().parse().unwrap_or(0.0);
            format!("{}{key}: {}{}", &text[..at], value + 1.0, &text[end..])
        }
        _ => format!("{text}\n编辑{i}\n"),
    }
}
