//! Test harness: copy a fixture site (or write one from strings) to a temp folder, run the real
//! `casebook` binary on it, and read what it produced.

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Path of the compiled binary under test.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_casebook"))
}

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A site in a temp folder.
pub struct Site {
    pub dir: tempfile::TempDir,
}

impl Site {
    /// An empty site.
    pub fn new() -> Self {
        Site {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    /// A copy of `tests/fixtures/<name>`.
    pub fn fixture(name: &str) -> Self {
        let site = Site::new();
        copy_dir(&repo().join("tests/fixtures").join(name), site.root());
        site
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file (creating folders), relative to the root.
    pub fn write(&self, rel: &str, text: &str) -> &Self {
        let p = self.root().join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
        self
    }

    /// Writes a minimal valid report `content/reports/<stem>.md`.
    pub fn report(
        &self,
        stem: &str,
        title: &str,
        town: &str,
        city: &str,
        tactics: &[&str],
    ) -> &Self {
        let body = format!(
            "---\ntitle: \"{title}\"\ntown: {town}\ncity: {city}\ntactics: [{}]\n---\n\n{town}的正文。\n",
            tactics.join(", ")
        );
        self.write(&format!("content/reports/{stem}.md"), &body)
    }

    /// Runs `casebook <args>` with `--root` pointing at this site where the command takes it.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(bin())
            .args(args)
            .arg("--root")
            .arg(self.root())
            .env("NO_COLOR", "1")
            .output()
            .expect("run casebook")
    }

    /// `casebook build`, asserting success; returns stderr.
    pub fn build_ok(&self) -> String {
        let out = self.run(&["build"]);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "build failed:\n{stderr}");
        stderr
    }

    /// `casebook build`, asserting failure; returns stderr.
    pub fn build_err(&self) -> String {
        let out = self.run(&["build"]);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            !out.status.success(),
            "build unexpectedly succeeded:\n{stderr}"
        );
        stderr
    }

    /// Reads a file of the output folder.
    pub fn out(&self, rel: &str) -> String {
        let p = self.root().join("output").join(rel);
        fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    pub fn out_exists(&self, rel: &str) -> bool {
        self.root().join("output").join(rel).exists()
    }
}

/// Copies a folder tree.
pub fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            fs::create_dir_all(&dest).unwrap();
        } else {
            fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// Undoes the HTML escaping Tera applies to text and attributes (`/` becomes `&#x2F;`).
pub fn unescape(s: &str) -> String {
    s.replace("&#x2F;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
