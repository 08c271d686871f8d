//! Finding the state folders below a folder, for `sluice runs` run where no `.sluice` folder is
//! at or above (the root of a repository whose pipelines live in subfolders).
//!
//! `.sluice` folders are hidden and ignored by git (`sluice run` writes a `.gitignore` into
//! each), so they are not walked into: the walk goes through the folders the ignore rules keep
//! (`.gitignore`, `.ignore`, git's excludes; hidden folders, `target` and `node_modules` left
//! out) and looks in each one for `.sluice/runs.db`. It stops at a depth and a folder count, so
//! a large tree answers quickly.

use std::path::{Path, PathBuf};

use crate::state::{STATE_DIR, StateDir};

/// How far the search goes.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// Folder levels below the start.
    pub depth: usize,
    /// Folders looked into, at most.
    pub folders: usize,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds { depth: 6, folders: 20_000 }
    }
}

/// What the search found.
#[derive(Debug, Clone, Default)]
pub struct Found {
    /// The state folders holding a run store, sorted by path.
    pub states: Vec<StateDir>,
    /// The folder count bound stopped the search before the tree's end.
    pub truncated: bool,
}

/// Folders never worth walking into, ignored or not.
const SKIPPED: [&str; 4] = [STATE_DIR, "target", "node_modules", ".git"];

/// The state folders (`.sluice` holding `runs.db`) in `start` and the folders below it.
pub fn states_below(start: &Path, bounds: Bounds) -> Found {
    let mut found = Found::default();
    let walk = ignore::WalkBuilder::new(start)
        .max_depth(Some(bounds.depth))
        .require_git(false)
        .follow_links(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(|e| {
            e.file_type().is_some_and(|t| t.is_dir()) && !SKIPPED.iter().any(|s| e.file_name() == *s)
        })
        .build();
    let mut seen = 0;
    for entry in walk.flatten() {
        seen += 1;
        if seen > bounds.folders {
            found.truncated = true;
            break;
        }
        let state = StateDir::for_root(entry.path());
        if state.store_path().is_file() {
            found.states.push(state);
        }
    }
    found.states.sort_by(|a, b| a.dir.cmp(&b.dir));
    found
}

/// `path` relative to `base` when it is below it, else as it is.
pub fn shown(path: &Path, base: &Path) -> PathBuf {
    path.strip_prefix(base).map(Path::to_path_buf).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(root: &Path, rel: &str) {
        let dir = root.join(rel).join(STATE_DIR);
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join("runs.db"), b"").expect("write");
    }

    fn rels(found: &Found, root: &Path) -> Vec<String> {
        found.states.iter().map(|s| shown(s.root(), root).to_string_lossy().into_owned()).collect()
    }

    #[test]
    fn finds_state_folders_below_and_skips_what_is_ignored() {
        let t = tempfile::tempdir().expect("tempdir");
        let root = t.path();
        state(root, "examples/a");
        state(root, "examples/b/deeper");
        state(root, "ignored/c");
        state(root, "target/d");
        state(root, "node_modules/e");
        state(root, ".hidden/f");
        // A .sluice without a run store (a plan only) is no state folder to read.
        std::fs::create_dir_all(root.join("examples/g/.sluice")).expect("mkdir");
        std::fs::write(root.join(".gitignore"), "ignored/\n").expect("write");
        let found = states_below(root, Bounds::default());
        assert_eq!(rels(&found, root), ["examples/a", "examples/b/deeper"]);
        assert!(!found.truncated);
    }

    #[test]
    fn the_search_is_bounded() {
        let t = tempfile::tempdir().expect("tempdir");
        let root = t.path();
        state(root, "a/b/c/d");
        assert!(states_below(root, Bounds { depth: 3, folders: 100 }).states.is_empty());
        assert_eq!(states_below(root, Bounds { depth: 4, folders: 100 }).states.len(), 1);
        for i in 0..10 {
            std::fs::create_dir_all(root.join(format!("x{i}"))).expect("mkdir");
        }
        assert!(states_below(root, Bounds { depth: 4, folders: 5 }).truncated);
    }

    #[test]
    fn the_start_folder_itself_counts() {
        let t = tempfile::tempdir().expect("tempdir");
        state(t.path(), "");
        assert_eq!(states_below(t.path(), Bounds::default()).states.len(), 1);
    }
}
