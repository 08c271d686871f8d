//! `sluice dataset register|list|show|profile`: the registered datasets of the workspace's
//! state folder (`sluice_runtime::dataset`).

use anyhow::{Result, bail};
use serde_json::json;
use sluice_compiler::ir::Workspace;
use sluice_runtime::StateDir;
use sluice_runtime::dataset::{self, Dataset, DatasetKind, DatasetVersion, Registry};
use sluice_runtime::datastore::format_bytes;
use sluice_runtime::profile;

use super::{Outcome, print_out, session};
use crate::cli::{DatasetCommand, DatasetShowArgs, WorkspaceArgs};

/// Dispatches `sluice dataset ...`.
pub fn run(cmd: &DatasetCommand) -> Result<Outcome> {
    match cmd {
        DatasetCommand::Register(a) => {
            let (kind, place) = match (&a.files, &a.delimited) {
                (Some(p), _) => (DatasetKind::Files, p),
                (None, Some(p)) => (DatasetKind::Delimited, p),
                (None, None) => bail!("give --files DATASTORE:PATH or --delimited DATASTORE:PATH"),
            };
            let Some((store, path)) = place.split_once(':').filter(|(s, _)| !s.is_empty()) else {
                bail!("`{place}` is not DATASTORE:PATH (for example `workspaceblobstore:data/sales.csv`)");
            };
            let Some((ws, state)) = workspace(&a.workspace)? else { return Ok(Outcome::Failure) };
            dataset::check_name(&a.name).map_err(anyhow::Error::msg)?;
            match dataset::register(&ws, &state, &a.name, kind, store, path, a.description.clone()) {
                Ok((v, new)) => {
                    if a.json {
                        print_out(&format!(
                            "{}\n",
                            serde_json::to_string_pretty(&version_json(&a.name, &v))?
                        ));
                    }
                    if new {
                        eprintln!(
                            "registered dataset `{}` version {}: {} `{}:{}`, {} file{}, {}",
                            a.name,
                            v.version,
                            v.kind.as_str(),
                            v.datastore,
                            v.path,
                            v.files,
                            plural(v.files),
                            format_bytes(v.bytes)
                        );
                    } else {
                        eprintln!(
                            "dataset `{}` version {} already pins this data; nothing registered",
                            a.name, v.version
                        );
                    }
                    Ok(Outcome::Success)
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    Ok(Outcome::Failure)
                }
            }
        }
        DatasetCommand::List(a) => {
            let Some((_, state)) = workspace(&a.workspace)? else { return Ok(Outcome::Failure) };
            let all = Registry::new(&state).all().map_err(anyhow::Error::msg)?;
            if a.json {
                let doc = json!({"version": 1, "datasets": all.iter().map(dataset_json).collect::<Vec<_>>()});
                print_out(&format!("{}\n", serde_json::to_string_pretty(&doc)?));
            } else {
                print_out(&list_text(&all));
            }
            eprintln!("{} dataset{}", all.len(), plural(all.len() as u64));
            Ok(Outcome::Success)
        }
        DatasetCommand::Show(a) => show(a),
        DatasetCommand::Profile(a) => profile(a),
    }
}

/// The workspace of the current folder and its state folder; `None` after printing the
/// workspace file's errors.
fn workspace(args: &WorkspaceArgs) -> Result<Option<(Workspace, StateDir)>> {
    let mut s = session(args)?;
    let ws = s.workspace_for(std::path::Path::new("./.sluice-anchor"));
    if s.diagnostics.has_errors() {
        super::print_diagnostics(&s);
        return Ok(None);
    }
    let state = StateDir::for_root(&ws.root);
    Ok(Some((ws, state)))
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn version_json(name: &str, v: &DatasetVersion) -> serde_json::Value {
    json!({
        "name": name,
        "version": v.version,
        "kind": v.kind.as_str(),
        "datastore": v.datastore,
        "path": v.path,
        "description": v.description,
        "content": v.content,
        "files": v.files,
        "bytes": v.bytes,
        "registered": sluice_runtime::time::format_utc(v.registered_ms),
        "reference": format!("azureml:{name}:{}", v.version),
    })
}

fn dataset_json(d: &Dataset) -> serde_json::Value {
    json!({"name": d.name, "versions": d.versions.iter().map(|v| version_json(&d.name, v)).collect::<Vec<_>>()})
}

fn list_text(all: &[Dataset]) -> String {
    let mut out = String::new();
    let width = all.iter().map(|d| d.name.len()).max().unwrap_or(0).max(4);
    for d in all {
        if let Some(v) = d.versions.last() {
            out.push_str(&format!(
                "{:<width$}  v{:<3} {:<9} {:>10}  {}:{}\n",
                d.name,
                v.version,
                v.kind.as_str(),
                format_bytes(v.bytes),
                v.datastore,
                v.path
            ));
        }
    }
    out
}

fn show(a: &DatasetShowArgs) -> Result<Outcome> {
    let Some((_, state)) = workspace(&a.workspace)? else { return Ok(Outcome::Failure) };
    let registry = Registry::new(&state);
    let Some(d) = registry.get(&a.name).map_err(anyhow::Error::msg)? else {
        eprintln!("error: {}", registry.resolve(&a.name, None).err().unwrap_or_default());
        return Ok(Outcome::Failure);
    };
    let versions: Vec<&DatasetVersion> = match &a.version {
        None => d.versions.iter().collect(),
        Some(v) => match registry.resolve(&a.name, Some(v)) {
            Ok(found) => d.versions.iter().filter(|x| x.version == found.version).collect(),
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(Outcome::Failure);
            }
        },
    };
    if a.json {
        let doc = json!({"version": 1, "name": d.name, "versions": versions.iter().map(|v| version_json(&d.name, v)).collect::<Vec<_>>()});
        print_out(&format!("{}\n", serde_json::to_string_pretty(&doc)?));
        return Ok(Outcome::Success);
    }
    let mut out = String::new();
    for v in versions {
        out.push_str(&format!(
            "{} version {} ({}), registered {}\n  data        {}:{}\n  files       {} ({})\n  content     {}\n  reference   azureml:{}:{}\n",
            d.name,
            v.version,
            v.kind.as_str(),
            sluice_runtime::time::format_utc(v.registered_ms),
            v.datastore,
            v.path,
            v.files,
            format_bytes(v.bytes),
            v.content,
            d.name,
            v.version
        ));
        if let Some(desc) = &v.description {
            out.push_str(&format!("  description {desc}\n"));
        }
    }
    print_out(&out);
    Ok(Outcome::Success)
}

fn profile(a: &DatasetShowArgs) -> Result<Outcome> {
    let Some((ws, state)) = workspace(&a.workspace)? else { return Ok(Outcome::Failure) };
    let v = match Registry::new(&state).resolve(&a.name, a.version.as_deref()) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(Outcome::Failure);
        }
    };
    let result = dataset::local_copy(&ws, &state, &a.name, &v).and_then(|path| match v.kind {
        DatasetKind::Delimited => profile::profile_delimited(&path).map(|p| {
            if a.json {
                format!(
                    "{}\n",
                    serde_json::to_string_pretty(
                        &json!({"version": 1, "name": a.name, "dataset_version": v.version, "kind": "delimited", "rows": p.rows, "columns": p.columns})
                    )
                    .unwrap_or_default()
                )
            } else {
                table_text(&a.name, &v, &p)
            }
        }),
        DatasetKind::Files => profile::profile_files(&path).map(|p| {
            if a.json {
                format!(
                    "{}\n",
                    serde_json::to_string_pretty(
                        &json!({"version": 1, "name": a.name, "dataset_version": v.version, "kind": "files", "files": p.files, "bytes": p.bytes, "extensions": p.extensions})
                    )
                    .unwrap_or_default()
                )
            } else {
                let exts: Vec<String> = p
                    .extensions
                    .iter()
                    .map(|(e, n)| format!("{n} .{}", if e.is_empty() { "(none)" } else { e }))
                    .collect();
                format!(
                    "{} version {}: {} file{}, {}; {}\n",
                    a.name,
                    v.version,
                    p.files,
                    plural(p.files),
                    format_bytes(p.bytes),
                    exts.join(", ")
                )
            }
        }),
    });
    match result {
        Ok(text) => {
            print_out(&text);
            Ok(Outcome::Success)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(Outcome::Failure)
        }
    }
}

fn table_text(name: &str, v: &DatasetVersion, p: &profile::TableProfile) -> String {
    let mut out = format!("{name} version {}: {} rows, {} columns\n", v.version, p.rows, p.columns.len());
    let w = p.columns.iter().map(|c| c.name.len()).max().unwrap_or(0).max(6);
    out.push_str(&format!(
        "  {:<w$}  {:<8}  {:>6}  {:>12}  {:>12}  {:>12}\n",
        "column", "type", "nulls", "min", "max", "mean"
    ));
    for c in &p.columns {
        let ty =
            serde_json::to_value(c.ty).ok().and_then(|t| t.as_str().map(str::to_string)).unwrap_or_default();
        out.push_str(&format!(
            "  {:<w$}  {:<8}  {:>6}  {:>12}  {:>12}  {:>12}\n",
            c.name,
            ty,
            c.nulls,
            c.min.as_deref().unwrap_or("-"),
            c.max.as_deref().unwrap_or("-"),
            c.mean.map_or_else(|| "-".to_string(), |m| format!("{m:.4}"))
        ));
    }
    out
}
