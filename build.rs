//! The default theme is embedded with `include_dir!`, which cargo cannot track: without this,
//! editing a file under `themes/default/` would not rebuild the binary that embeds it.

fn main() {
    println!("cargo:rerun-if-changed=themes/default");
}
