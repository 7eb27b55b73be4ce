//! The default theme is embedded with `include_dir!`, which cargo cannot track: without this,
//! editing a file under `themes/default/` would not rebuild the binary that embeds it.
//!
//! `CASEBOOK_BUILD_ID` names what the binary was built from (its source, vendored crates, lock
//! file, theme and compiler): a build keeps the files of the previous one only if the same code
//! made them (`pipeline::epoch`). A binary's size and time could not tell two builds apart
//! (the same size after a changed constant, installers that reset times).

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=themes/default");
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=vendor");
    println!("cargo:rerun-if-changed=Cargo.lock");
    println!("cargo:rerun-if-changed=Cargo.toml");
    println!("cargo:rerun-if-changed=build.rs");
    // SipHash with fixed keys: the same input hashes alike on every machine.
    let mut h = DefaultHasher::new();
    for part in [
        "src",
        "themes/default",
        "vendor",
        "Cargo.lock",
        "Cargo.toml",
        "build.rs",
    ] {
        hash_tree(Path::new(part), &mut h);
    }
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = std::process::Command::new(rustc)
        .arg("-vV")
        .output()
        .map(|o| o.stdout)
        .unwrap_or_default();
    version.hash(&mut h);
    let mut features: Vec<String> = std::env::vars()
        .filter(|(k, _)| k.starts_with("CARGO_FEATURE_"))
        .map(|(k, _)| k)
        .collect();
    features.sort();
    features.hash(&mut h);
    println!("cargo:rustc-env=CASEBOOK_BUILD_ID={:016x}", h.finish());
}

/// Hashes every file under `path` (or the file itself) with its path, in name order.
fn hash_tree(path: &Path, h: &mut DefaultHasher) {
    let Ok(meta) = std::fs::metadata(path) else {
        return;
    };
    if meta.is_file() {
        path.to_string_lossy().hash(h);
        std::fs::read(path).unwrap_or_default().hash(h);
        return;
    }
    let Ok(entries) = std::fs::read_dir(path) else {
        return;
    };
    let mut children: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    children.sort();
    for child in children {
        hash_tree(&child, h);
    }
}
