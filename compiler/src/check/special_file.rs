//! `special-file`: data, a script or another file the pipeline names is a FIFO, a socket or a
//! device. sluice never opens one (reading it could block forever or never end), so a step that
//! reads it can neither be fingerprinted nor run.

use std::path::{Path, PathBuf};

use super::Context;
use super::path_escapes_root::{is_absolute, normalize, step_paths};
use crate::diagnostic::{Diagnostics, Rule, Severity};
use crate::ir::{DataLocation, DatastoreKind, Name, Source};
use crate::source::{shown_path, special_kind};

/// A named path is a FIFO, socket or device.
pub const RULE: Rule = Rule {
    code: "special-file",
    severity: Severity::Error,
    summary: "Data or a file the pipeline names is a FIFO, socket or device, which sluice never reads.",
};

/// Checks data on local datastores, local data paths and the files steps name.
pub fn check(cx: &Context, out: &mut Diagnostics) {
    let p = cx.pipeline;
    let locations = p
        .data
        .iter()
        .map(|d| &d.location)
        .chain(p.inputs.iter().filter_map(|i| i.data.as_ref()))
        .chain(p.steps.iter().flat_map(|s| &s.inputs).filter_map(|i| match &i.source {
            Source::Location(l) => Some(l),
            _ => None,
        }));
    for location in locations {
        let (at, path) = match location {
            DataLocation::Datastore { datastore, path } => match datastore_path(cx, datastore, path) {
                Some(full) => (if path.value.is_empty() { datastore } else { path }, full),
                None => continue,
            },
            DataLocation::Local(path) if !path.raw.value.is_empty() => (&path.raw, path.resolved()),
            _ => continue,
        };
        report(at, &path, "data", out);
    }
    for step in &p.steps {
        for (path, what) in step_paths(step) {
            // Folders that are no folder are missing-file's to report.
            if path.raw.value.is_empty() || matches!(what, "source directory" | "build context") {
                continue;
            }
            report(&path.raw, &path.resolved(), what, out);
        }
    }
}

/// The file or folder of data on a local datastore (`None` elsewhere, or when the path leaves it).
fn datastore_path(cx: &Context, datastore: &Name, path: &Name) -> Option<PathBuf> {
    let store = cx.workspace.datastore(&datastore.value)?;
    let (DatastoreKind::Local, Some(folder)) = (store.kind, &store.local_path) else { return None };
    let relative = normalize(Path::new(path.value.trim_start_matches(['/', '\\'])));
    if relative.starts_with("..") || relative.has_root() || is_absolute(&path.value) {
        return None;
    }
    Some(folder.join(relative))
}

fn report(at: &Name, path: &Path, what: &str, out: &mut Diagnostics) {
    // A path that does not exist, or is a file or folder, is fine here.
    let Ok(meta) = std::fs::metadata(path) else { return };
    if meta.is_file() || meta.is_dir() {
        return;
    }
    out.push(
        RULE.at(
            at.file,
            at.span,
            format!("{what} `{}` is {}, not a file or folder", at.value, special_kind(&meta)),
        )
        .with_help(format!(
            "sluice reads and fingerprints only regular files and folders; replace `{}` with one",
            shown_path(&normalize(path)).display()
        )),
    );
}
