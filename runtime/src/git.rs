//! The git state of the folder a pipeline is in, recorded with each run.

use std::path::Path;
use std::process::Command;

/// Commit, branch and whether there are uncommitted changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GitInfo {
    /// `HEAD`'s commit id.
    pub commit: Option<String>,
    /// The branch checked out (`None` when detached).
    pub branch: Option<String>,
    /// True when tracked or untracked files differ from `HEAD`.
    pub dirty: Option<bool>,
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git").arg("-C").arg(dir).args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The git state of `dir`; `None` outside a repository or without git.
pub fn info(dir: &Path) -> Option<GitInfo> {
    let commit = git(dir, &["rev-parse", "--verify", "-q", "HEAD"]);
    let inside = git(dir, &["rev-parse", "--is-inside-work-tree"])?;
    if inside != "true" {
        return None;
    }
    let branch = git(dir, &["symbolic-ref", "-q", "--short", "HEAD"]).filter(|b| !b.is_empty());
    let dirty = git(dir, &["status", "--porcelain"]).map(|s| !s.is_empty());
    Some(GitInfo { commit, branch, dirty })
}
