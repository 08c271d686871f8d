//! `sluice datastore upload`: copies files into a local datastore (the built-in workspace's
//! `workspaceblobstore` and `workspacefilestore` are folders under `.sluice/datastores/`), as
//! the Azure ML SDK's `Datastore.upload_files` puts them into a cloud datastore.

use std::path::{Component, Path, PathBuf};

use sluice_compiler::fingerprint::data::{DataError, datastore_folder};
use sluice_compiler::ir::Workspace;
use sluice_compiler::suggest::did_you_mean;

use crate::RuntimeError;
use crate::state::StateDir;

/// What to upload where.
#[derive(Debug, Clone)]
pub struct Upload {
    /// Datastore name.
    pub datastore: String,
    /// Folder inside the datastore (`""`: its root).
    pub target_path: String,
    /// Replace files that exist.
    pub overwrite: bool,
    /// Files (or folders, copied whole under their own name).
    pub files: Vec<PathBuf>,
}

/// Copies the files; returns the paths written. Nothing is written when any destination exists
/// and `overwrite` is off, or any source is missing or not a regular file.
pub fn upload(
    workspace: &Workspace,
    up: &Upload,
    waiting: &mut dyn FnMut(&str),
) -> Result<Vec<PathBuf>, RuntimeError> {
    let folder = datastore_folder(workspace, &up.datastore).map_err(|e| match e {
        DataError::UnknownDatastore { .. } => {
            let names: Vec<&str> = workspace.datastores.iter().map(|d| d.name.as_str()).collect();
            let hint = did_you_mean(&up.datastore, &names).unwrap_or_else(|| {
                format!("datastores: {}", sluice_compiler::suggest::list_names(&names, 12))
            });
            RuntimeError::Upload(format!("{e}; {hint}"))
        }
        other => RuntimeError::Upload(other.to_string()),
    })?;
    let target = up.target_path.trim_matches('/');
    if Path::new(target).components().any(|c| !matches!(c, Component::Normal(_) | Component::CurDir)) {
        return Err(RuntimeError::Upload(format!(
            "--target-path `{}` must stay inside the datastore",
            up.target_path
        )));
    }
    let dest_dir = folder.join(target);

    // Every (source, destination) pair, checked before anything is written.
    let mut pairs: Vec<(PathBuf, PathBuf)> = Vec::new();
    for f in &up.files {
        let name =
            f.file_name().ok_or_else(|| RuntimeError::Upload(format!("`{}` names no file", f.display())))?;
        let meta =
            std::fs::metadata(f).map_err(|e| RuntimeError::Upload(format!("`{}`: {e}", f.display())))?;
        if meta.is_dir() {
            collect(f, &dest_dir.join(name), &mut pairs)?;
        } else {
            pairs.push((regular(f, &meta)?, dest_dir.join(name)));
        }
    }
    if !up.overwrite {
        let existing: Vec<String> =
            pairs.iter().filter(|(_, d)| d.exists()).map(|(_, d)| format!("`{}`", d.display())).collect();
        if !existing.is_empty() {
            return Err(RuntimeError::Upload(format!(
                "{} already on datastore `{}`: {}; pass --overwrite to replace",
                if existing.len() == 1 { "a file is" } else { "files are" },
                up.datastore,
                existing.join(", ")
            )));
        }
    }
    let state = StateDir::for_root(&workspace.root);
    state.create()?;
    let _lock = state.lock(waiting)?;
    let mut written = Vec::new();
    for (src, dst) in pairs {
        if let Some(parent) = dst.parent() {
            std::fs::create_dir_all(parent).map_err(|e| RuntimeError::io(parent, e))?;
        }
        // Copy to a temporary name and rename, so a reader never sees half a file.
        let tmp = dst.with_file_name(format!(
            ".{}.upload-{}",
            dst.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            std::process::id()
        ));
        std::fs::copy(&src, &tmp).map_err(|e| RuntimeError::io(&src, e))?;
        std::fs::rename(&tmp, &dst).map_err(|e| RuntimeError::io(&dst, e))?;
        written.push(dst);
    }
    Ok(written)
}

fn collect(src: &Path, dst: &Path, out: &mut Vec<(PathBuf, PathBuf)>) -> Result<(), RuntimeError> {
    let io = |e| RuntimeError::io(src, e);
    let mut entries: Vec<_> = std::fs::read_dir(src).map_err(io)?.collect::<Result<_, _>>().map_err(io)?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        let meta = std::fs::metadata(&p).map_err(|e| RuntimeError::io(&p, e))?;
        if meta.is_dir() {
            collect(&p, &dst.join(e.file_name()), out)?;
        } else {
            out.push((regular(&p, &meta)?, dst.join(e.file_name())));
        }
    }
    Ok(())
}

/// `path` when it is a regular file: a FIFO or a device is refused before anything is copied
/// (copying from one could block or never end).
fn regular(path: &Path, meta: &std::fs::Metadata) -> Result<PathBuf, RuntimeError> {
    if meta.is_file() {
        return Ok(path.to_path_buf());
    }
    Err(RuntimeError::Upload(format!(
        "`{}` is {}, not a file: only files and folders are uploaded",
        path.display(),
        sluice_compiler::source::special_kind(meta)
    )))
}
