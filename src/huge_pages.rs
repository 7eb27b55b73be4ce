//! Transparent huge pages, off for casebook's own process and back on for what it starts.
//!
//! mimalloc asks the kernel for huge pages on its arenas, and the kernel then zeroes 2 MiB at
//! each first touch, again whenever mimalloc has given freed memory back: in a 100x build from
//! scratch 3-7% of the samples were `clear_page_erms` under huge-page faults (perf, cpu-clock),
//! 0.1-0.2% with them off, and peak RSS fell from 246-255 to 197-215 MiB. The flag is the
//! process's (`PR_SET_THP_DISABLE`), so setting it in `main` covers the arenas mimalloc mapped
//! before; but a child inherits it across fork and exec, so a program casebook starts (the
//! browser of `serve --open`) gets back the flag casebook was started with.

/// The process's flag as [`off`] found it (0 or 1), -1 before: what [`back_on_in`] restores, so
/// a child gets what casebook's own parent gave, not huge pages where they were refused.
#[cfg(target_os = "linux")]
static FOUND: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(-1);

/// Turns huge pages off for this process; a failure (an old kernel) leaves them as they were.
#[cfg(target_os = "linux")]
pub(crate) fn off() {
    use std::sync::atomic::Ordering;
    // SAFETY: prctl(PR_GET_/PR_SET_THP_DISABLE) takes integer arguments and reads or changes a
    // flag of this process only.
    unsafe {
        let found = libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0);
        if found >= 0 {
            // The first call's finding only: a second would find the flag this one set.
            let _ = FOUND.compare_exchange(-1, found.min(1), Ordering::Relaxed, Ordering::Relaxed);
        }
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// Gives the program `command` starts the huge-page flag this process had before [`off`].
#[cfg(target_os = "linux")]
pub(crate) fn back_on_in(command: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    let found = FOUND.load(std::sync::atomic::Ordering::Relaxed);
    if found != 0 {
        // Never turned off here (-1), or off already before (1): the child inherits it rightly.
        return;
    }
    // SAFETY: the closure runs in the child between fork and exec, where only async-signal-safe
    // calls are allowed: prctl is a plain system call, and nothing is allocated.
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_THP_DISABLE, 0, 0, 0, 0);
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn off() {}

#[cfg(not(target_os = "linux"))]
pub(crate) fn back_on_in(_: &mut std::process::Command) {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use std::process::Command;

    /// What `/proc/self/status` of a child started by `command` says (`THP_enabled: 0 or 1`).
    fn child_says(mut command: Command) -> String {
        let out = command
            .args(["-c", "grep THP_enabled /proc/self/status"])
            .output()
            .expect("sh runs");
        String::from_utf8(out.stdout)
            .expect("utf-8")
            .split_whitespace()
            .collect()
    }

    #[test]
    fn off_here_and_back_on_in_a_child() {
        // What this process was started with (1 wherever the kernel has huge pages and no
        // parent turned them off, as on CI).
        let before = child_says(Command::new("sh"));
        assert!(before.starts_with("THP_enabled:"), "{before}");
        super::off();
        // Inherited: a child started plainly has them off too.
        assert_eq!(child_says(Command::new("sh")), "THP_enabled:0");
        let mut command = Command::new("sh");
        super::back_on_in(&mut command);
        assert_eq!(child_says(command), before);
    }
}
