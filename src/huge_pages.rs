//! Transparent huge pages, off for casebook's own process and back on for what it starts.
//!
//! mimalloc asks the kernel for huge pages on its arenas, and the kernel then zeroes 2 MiB at
//! each first touch, again whenever mimalloc has given freed memory back: in a 100x build from
//! scratch 3-7% of the samples were `clear_page_erms` under huge-page faults (perf, cpu-clock),
//! 0.1-0.2% with them off, and peak RSS fell from 246-255 to 197-215 MiB. The flag is the
//! process's (`PR_SET_THP_DISABLE`), so setting it in `main` covers the arenas mimalloc mapped
//! before; but a child inherits it across fork and exec, so a program casebook starts (the
//! browser of `serve --open`) gets the system's setting back.

/// Turns huge pages off for this process; a failure (an old kernel) leaves them as they were.
#[cfg(target_os = "linux")]
pub(crate) fn off() {
    // SAFETY: prctl(PR_SET_THP_DISABLE) takes integer arguments and changes a flag of this
    // process only.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// Lets the program `command` starts use huge pages as the system allows.
#[cfg(target_os = "linux")]
pub(crate) fn back_on_in(command: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
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
        // What the system gives a process (1 wherever the kernel has huge pages, as CI's has).
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
