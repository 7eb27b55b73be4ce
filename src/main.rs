//! The `casebook` binary: parse the command line, run, map the result to an exit code.

mod cli;
mod diagnostics_print;

use clap::Parser;

fn main() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    keep_large_buffers();
    let cli = cli::Cli::parse();
    match cli::run(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(2);
        }
    }
}

/// A photo is decoded into buffers of tens of megabytes, each freed a moment later. glibc serves
/// such sizes by mmap, and hands freed heap tops back to the kernel, so every photo touched its
/// pages afresh: 1.25 million page faults and 2.4 s of system time in a first build of the digest
/// with a 6 MP photo per report (benches/photo_bench.sh), against 24,000 and 0.8 s with the
/// buffers kept in the heap for the next photo. The cost: up to 128 MB held after a peak.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_large_buffers() {
    // SAFETY: mallopt only sets the allocator's parameters; no other thread runs yet.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 64 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 128 << 20);
    }
}
