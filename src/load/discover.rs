//! Finding the content files: a walk of each content folder, links followed and checked to lead
//! inside the site.

use std::fs;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use super::Project;
use crate::error::Diagnostic;

/// Lists `*.md` files under `dir` in path order. Walk errors and names that are not UTF-8 are
/// reported, never skipped silently; dot-files (editor backups, lock files) are ignored.
pub(super) fn discover(project: &Project, dir: &Path, diags: &mut Vec<Diagnostic>) -> Vec<PathBuf> {
    if !dir.exists() {
        return Vec::new();
    }
    let mut files = Vec::new();
    // Links are followed (walkdir reports loops as errors), and every file is checked to lie
    // inside the site once resolved: a linked report is content like any other, a link out of
    // the site is refused with a message rather than dropped without a word.
    let walker = WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().as_encoded_bytes().starts_with(b"."));
    // Resolving every path costs two `readlink` walks per file (a fifth of a rebuild's load at
    // 100x the digest): only paths that went through a link (or a folder not plainly inside the
    // site) are resolved; the rest are inside the site by construction.
    let plain_root = dir.starts_with(&project.root) && inside_site(&project.root, dir).is_ok();
    let mut linked: Vec<bool> = Vec::new();
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let p = e
                    .path()
                    .map_or_else(|| dir.to_path_buf(), Path::to_path_buf);
                diags.push(Diagnostic::error(
                    &project.display_path(&p),
                    0,
                    0,
                    format!("cannot read: {e}"),
                ));
                continue;
            }
        };
        let depth = entry.depth();
        let through_link = entry.path_is_symlink()
            || match depth {
                0 => !plain_root,
                d => linked.get(d - 1).copied().unwrap_or(true),
            };
        linked.truncate(depth);
        linked.push(through_link);
        if entry.file_type().is_dir() || entry.path().extension().is_none_or(|x| x != "md") {
            continue;
        }
        if entry.path().to_str().is_none() {
            diags.push(Diagnostic::error(
                &project.display_path(entry.path()),
                0,
                0,
                "file name is not valid UTF-8: rename it",
            ));
            continue;
        }
        let checked = if through_link {
            inside_site(&project.root, entry.path())
        } else {
            Ok(())
        };
        if let Err(msg) = checked {
            diags.push(Diagnostic::error(
                &project.display_path(entry.path()),
                0,
                0,
                msg,
            ));
            continue;
        }
        files.push(entry.into_path());
    }
    files
}

/// Whether `path` resolves (links followed) to a place inside `root`; the message says where it
/// leads otherwise. A link out of the site would make the build read whatever it points at
/// (`/dev/zero`, another project's files) and the site unreproducible from its folder.
pub(crate) fn inside_site(root: &Path, path: &Path) -> Result<(), String> {
    let real = fs::canonicalize(path).map_err(|e| format!("cannot follow the link: {e}"))?;
    let root = fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    if real.starts_with(&root) {
        Ok(())
    } else {
        Err(format!(
            "links to {}, outside the site: refused; copy the file into the site instead",
            real.display()
        ))
    }
}
