//! `path-escapes-root`: a path that leaves the folder it must stay in, or is absolute.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use super::Context;
use crate::diagnostic::{Diagnostics, Rule, Severity};
use crate::ir::{ComponentOrigin, DataLocation, Environment, PathRef, Step, StepKind};

/// A path leaves its root (`..` past the top, or absolute).
pub const RULE: Rule = Rule {
    code: "path-escapes-root",
    severity: Severity::Error,
    summary: "A path leaves the folder it must stay in (`..` past its root) or is absolute.",
};

/// Normalises `.` and `..` without touching the file system.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                let at_top = matches!(out.components().next_back(), None | Some(Component::ParentDir));
                if at_top {
                    out.push("..");
                } else {
                    out.pop();
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// True when a written path is absolute (also Windows drive or UNC forms).
pub fn is_absolute(raw: &str) -> bool {
    let b = raw.as_bytes();
    raw.starts_with('/') || raw.starts_with('\\') || (b.len() >= 2 && b[1] == b':' && b[0].is_ascii_alphabetic())
}

/// True for a Windows drive (`C:\data`, `C:/data`) or UNC (`\\server\share`) path, which on a
/// datastore can only be a local path written by mistake (a leading `/` is the datastore root).
fn is_local_absolute(raw: &str) -> bool {
    let b = raw.as_bytes();
    raw.starts_with("\\\\") || (b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && matches!(b[2], b'\\' | b'/'))
}

/// True when a relative path leaves the root it must stay inside.
pub fn escapes(path: &PathRef) -> bool {
    path.root.as_ref().is_some_and(|root| !normalize(&path.resolved()).starts_with(normalize(root)))
}

/// [`escapes`] answered once per distinct path: steps share source folders and scripts, and
/// normalising a path costs allocations.
#[derive(Default)]
pub struct EscapeCache<'a> {
    verdicts: HashMap<(&'a Path, &'a str, &'a Path), bool>,
}

impl<'a> EscapeCache<'a> {
    /// True when `path` leaves its root (as [`escapes`]).
    pub fn escapes(&mut self, path: &'a PathRef) -> bool {
        let Some(root) = &path.root else { return false };
        let key = (path.base.as_path(), path.raw.value.as_str(), root.as_path());
        *self.verdicts.entry(key).or_insert_with(|| escapes(path))
    }
}

/// True for the labels [`step_paths`] gives the file a step runs.
pub fn is_script(what: &str) -> bool {
    matches!(what, "script" | "executable" | "entry script")
}

/// The paths of a step that must stay inside a root, and what each is.
pub fn step_paths(step: &Step) -> Vec<(&PathRef, &'static str)> {
    let mut paths: Vec<(&PathRef, &'static str)> = Vec::new();
    if let Some(c) = &step.code {
        paths.push((c, "source directory"));
    }
    if let Some(s) = step.invocation.script() {
        // Named as the step type names it.
        let what = match step.kind {
            StepKind::AzureBatch => "executable",
            StepKind::Parallel(_) => "entry script",
            _ => "script",
        };
        paths.push((s, what));
    }
    match &step.environment {
        Environment::RunConfig(r) => paths.push((r, "run configuration")),
        Environment::Inline { conda_file, build, .. } => {
            paths.extend(conda_file.iter().map(|c| (c, "conda file")));
            paths.extend(build.iter().map(|b| (b, "build context")));
        }
        _ => {}
    }
    if let Some(c) = &step.component
        && let ComponentOrigin::File { path, .. } = &c.origin
    {
        paths.push((path, "component file"));
    }
    paths.extend(step.hash_paths.iter().map(|h| (h, "hash path")));
    paths.extend(step.config_files.iter().map(|c| (c, "configuration file")));
    paths
}

/// Checks every path of every step, and datastore paths.
pub fn check(cx: &Context, out: &mut Diagnostics) {
    let mut cache = EscapeCache::default();
    for step in &cx.pipeline.steps {
        for (path, what) in step_paths(step) {
            let raw = &path.raw;
            if raw.value.is_empty() {
                continue;
            }
            if is_absolute(&raw.value) {
                // One that does not exist here (`D:\scripts` on Linux) is a missing file.
                if !Path::new(&raw.value).exists() {
                    continue;
                }
                out.push(
                    RULE.at(raw.file, raw.span, format!("{what} `{}` is an absolute path", raw.value))
                        .with_help("write it relative to the file, so the pipeline works on every machine"),
                );
                continue;
            }
            if cache.escapes(path) {
                // A script's root is its source directory; every other path's the project.
                let (left, help) = match what {
                    "script" | "executable" | "entry script" => {
                        ("the step's source directory", "keep it inside the step's source directory, which is what gets uploaded")
                    }
                    _ => (
                        "the project folder",
                        "keep it inside the project folder (the nearest folder above the pipeline holding `.git` or the workspace file)",
                    ),
                };
                out.push(
                    RULE.at(raw.file, raw.span, format!("{what} `{}` leaves {left}", raw.value)).with_help(help),
                );
            }
        }
    }
    let locations = cx
        .pipeline
        .data
        .iter()
        .map(|d| &d.location)
        .chain(cx.pipeline.inputs.iter().filter_map(|i| i.data.as_ref()));
    for location in locations {
        let DataLocation::Datastore { path, datastore } = location else { continue };
        if is_local_absolute(&path.value) {
            out.push(
                RULE.at(
                    path.file,
                    path.span,
                    format!("path `{}` on datastore `{}` is a path on this machine", path.value, datastore.value),
                )
                .with_help("a path on a datastore is relative to the datastore's root, e.g. `data/sales.csv`"),
            );
            continue;
        }
        // A leading `/` is the datastore's root, as the SDK reads it; only `..` leaves it.
        let relative = path.value.trim_start_matches(['/', '\\']);
        if normalize(Path::new(relative)).starts_with("..") {
            out.push(
                RULE.at(
                    path.file,
                    path.span,
                    format!("path `{}` leaves datastore `{}`", path.value, datastore.value),
                )
                .with_help("a path on a datastore is relative to the datastore's root and stays inside it"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_lexically() {
        assert_eq!(normalize(Path::new("a/./b/../c")), PathBuf::from("a/c"));
        assert_eq!(normalize(Path::new("../x")), PathBuf::from("../x"));
        assert!(normalize(Path::new("a/../../x")).starts_with(".."));
        assert_eq!(normalize(Path::new("../../etc")), PathBuf::from("../../etc"));
    }

    #[test]
    fn absolute_forms() {
        assert!(is_absolute("/etc/passwd"));
        assert!(is_absolute("C:\\data"));
        assert!(!is_absolute("data/x"));
        assert!(is_local_absolute("C:\\data\\x.csv"));
        assert!(is_local_absolute("d:/data"));
        assert!(is_local_absolute("\\\\server\\share"));
        assert!(!is_local_absolute("/data/x.csv"));
        assert!(!is_local_absolute("data:x"));
    }
}
