//! Paths every layer spells the same way: absolute without resolving links, and where a
//! workspace file is found.

use std::path::{Path, PathBuf};

/// Names a workspace file may have.
pub const WORKSPACE_FILE_NAMES: [&str; 2] = ["workspace.yaml", "workspace.yml"];

/// A path made absolute against the working folder, without resolving links.
pub fn absolute(path: &Path) -> PathBuf {
    let path = if path.as_os_str().is_empty() { Path::new(".") } else { path };
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The nearest `workspace.yaml` at or above `dir`.
pub fn find_workspace_file(dir: &Path) -> Option<PathBuf> {
    dir.ancestors().flat_map(|d| WORKSPACE_FILE_NAMES.iter().map(move |n| d.join(n))).find(|p| p.is_file())
}
