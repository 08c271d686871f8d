//! `missing-data`: a data reference or `datapath` default on a local datastore names a file or
//! folder that is not there, so the step reading it would fail.

use std::path::Path;

use super::Context;
use super::path_escapes_root::normalize;
use crate::diagnostic::{Diagnostics, Label, Rule, Severity};
use crate::ir::{DataLocation, DatastoreKind, Name, StepKind};
use crate::suggest::did_you_mean;

/// Data read from a local datastore does not exist.
pub const RULE: Rule = Rule {
    code: "missing-data",
    severity: Severity::Error,
    summary: "A data reference or datapath default on a local datastore names a file or folder that does not exist.",
};

/// Checks data on local datastores of a workspace file (not the built-in workspace, whose
/// folders are made on first run).
pub fn check(cx: &Context, out: &mut Diagnostics) {
    if !cx.workspace.strict {
        return;
    }
    // A data reference that a DataTransferStep only writes need not exist yet.
    let written: Vec<&str> = cx
        .pipeline
        .steps
        .iter()
        .filter_map(|s| match &s.kind {
            StepKind::DataTransfer { destination, .. } => Some(destination.as_str()),
            _ => None,
        })
        .collect();
    let read = cx.pipeline.data.iter().filter(|d| !written.contains(&d.name.as_str())).map(|d| &d.location);
    for location in read.chain(cx.pipeline.inputs.iter().filter_map(|i| i.data.as_ref())) {
        if let DataLocation::Datastore { datastore, path } = location {
            check_location(cx, datastore, path, out);
        }
    }
}

fn check_location(cx: &Context, datastore: &Name, path: &Name, out: &mut Diagnostics) {
    let Some(store) = cx.workspace.datastore(&datastore.value) else { return };
    let (DatastoreKind::Local, Some(folder)) = (store.kind, &store.local_path) else { return };
    let relative = normalize(Path::new(path.value.trim_start_matches(['/', '\\'])));
    // Paths that leave the datastore or are Windows paths: path-escapes-root reports them.
    if relative.starts_with("..") || relative.has_root() || path.value.contains(':') {
        return;
    }
    let shown = |p: &Path| crate::source::shown_path(&normalize(p)).display().to_string();
    let (at, message, help) = if !folder.is_dir() {
        (
            datastore,
            format!("the folder `{}` of local datastore `{}` does not exist", shown(folder), store.name),
            "create the folder, or point the datastore's `path` at the data".to_string(),
        )
    } else {
        let full = folder.join(&relative);
        if full.exists() {
            return;
        }
        let name = full.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let siblings: Vec<String> = full
            .parent()
            .and_then(|p| std::fs::read_dir(p).ok())
            .map(|e| e.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect())
            .unwrap_or_default();
        let at = if path.value.is_empty() { datastore } else { path };
        (
            at,
            format!("`{}` does not exist on local datastore `{}`", path.value, store.name),
            did_you_mean(name, &siblings).unwrap_or_else(|| format!("looked for `{}`", shown(&full))),
        )
    };
    let mut d = RULE.at(at.file, at.span, message).with_help(help);
    if let Some((file, span)) = store.defined_at {
        d = d.with_label(Label::with_message(file, span, "local datastore declared here"));
    }
    out.push(d);
}
