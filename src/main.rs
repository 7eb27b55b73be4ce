//! The `casebook` binary: parse the command line, run, map the result to an exit code.

mod cli;
mod diagnostics_print;
mod huge_pages;

use clap::Parser;

// Why mimalloc: measured in Cargo.toml, beside the dependency.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // Why: `huge_pages.rs`.
    huge_pages::off();
    let cli = cli::Cli::parse();
    match cli::run(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(2);
        }
    }
}
