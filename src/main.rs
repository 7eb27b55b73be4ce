//! The `casebook` binary: parse the command line, run, map the result to an exit code.

mod cli;
mod diagnostics_print;

use clap::Parser;

// Why mimalloc: measured in Cargo.toml, beside the dependency.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    no_huge_pages();
    let cli = cli::Cli::parse();
    match cli::run(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(2);
        }
    }
}

/// Turns transparent huge pages off for this process. mimalloc asks the kernel for them on its
/// arenas, and the kernel then zeroes 2 MiB at each first touch, again whenever mimalloc has
/// given freed memory back: in a 100x build from scratch 3-7% of the samples were
/// `clear_page_erms` under huge-page faults (perf, cpu-clock), 0.2-1% without, and peak RSS
/// fell from 248 to 215 MiB. The flag is the process's (`PR_SET_THP_DISABLE`), so setting it
/// here covers the arenas mimalloc mapped before `main`.
#[cfg(target_os = "linux")]
fn no_huge_pages() {
    // SAFETY: prctl(PR_SET_THP_DISABLE) takes integer arguments and changes only a flag of this
    // process; a failure (an old kernel) leaves huge pages as they were.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

#[cfg(not(target_os = "linux"))]
fn no_huge_pages() {}
