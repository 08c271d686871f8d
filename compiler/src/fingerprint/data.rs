//! Where data lives on this machine: data on local datastores (and the built-in workspace's
//! `workspaceblobstore` and `workspacefilestore`, folders under `.sluice/datastores/`) resolves
//! to a file or folder; anything else says why it is not here (the runtime looks up and fetches
//! data on cloud datastores and registered datasets itself).

use std::path::{Component, Path, PathBuf};

use crate::ir::{DataLocation, DatastoreKind, Workspace};

/// Data that can be read on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalData {
    /// The file or folder.
    pub path: PathBuf,
    /// The datastore it is on (`None` for a local path given in place).
    pub datastore: Option<String>,
}

/// Why data cannot be read on this machine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DataError {
    /// The datastore is not declared.
    #[error("datastore `{name}` is not declared{}", if *builtin { "; the built-in workspace has `workspaceblobstore` and `workspacefilestore` (add a workspace.yaml to declare more)" } else { "" })]
    UnknownDatastore {
        /// The name.
        name: String,
        /// True when the built-in workspace is in use.
        builtin: bool,
    },
    /// The datastore is a cloud service, not a folder here (the runtime fetches blob and Data
    /// Lake data itself; an Azure Files share cannot be read).
    #[error(
        "datastore `{name}` is of type {kind}, not a folder on this machine (runs fetch data from `azure_blob` and `adls_gen2` datastores; mount an Azure Files share and declare it as a `local` datastore)"
    )]
    Unreachable {
        /// The datastore.
        name: String,
        /// Its kind as written.
        kind: &'static str,
    },
    /// A local datastore without a folder.
    #[error("local datastore `{name}` has no folder")]
    NoFolder {
        /// The datastore.
        name: String,
    },
    /// The path leaves its datastore's folder.
    #[error("path `{path}` leaves the folder of datastore `{datastore}`")]
    Escapes {
        /// The path as written.
        path: String,
        /// The datastore.
        datastore: String,
    },
    /// A registered dataset, SQL source, URI or asset: only the service can resolve it.
    #[error("{0} cannot be read from this machine")]
    NotLocal(String),
}

/// The local file or folder of `location`.
pub fn resolve(location: &DataLocation, workspace: &Workspace) -> Result<LocalData, DataError> {
    match location {
        DataLocation::Datastore { datastore, path } => {
            let folder = datastore_folder(workspace, datastore.as_str())?;
            let rel = path.as_str().trim_start_matches('/');
            if Path::new(rel).components().any(|c| !matches!(c, Component::Normal(_) | Component::CurDir)) {
                return Err(DataError::Escapes {
                    path: path.value.clone(),
                    datastore: datastore.value.clone(),
                });
            }
            Ok(LocalData { path: clean(&folder.join(rel)), datastore: Some(datastore.value.clone()) })
        }
        DataLocation::Local(p) => Ok(LocalData { path: clean(&p.resolved()), datastore: None }),
        DataLocation::Dataset { name, version } => Err(DataError::NotLocal(format!(
            "registered dataset `{}`{}",
            name.value,
            version.as_deref().map(|v| format!(" version {v}")).unwrap_or_default()
        ))),
        DataLocation::DatasetId(id) => {
            Err(DataError::NotLocal(format!("registered dataset id `{}`", id.value)))
        }
        DataLocation::Sql { query, datastore } => Err(DataError::NotLocal(format!(
            "SQL source `{}` on datastore `{}`",
            query.value, datastore.value
        ))),
        DataLocation::Uri(u) => Err(DataError::NotLocal(format!("URI `{}`", u.value))),
        DataLocation::Asset(a) => Err(DataError::NotLocal(format!("data asset `{}`", a.value))),
        DataLocation::Invalid => Err(DataError::NotLocal("an invalid data reference".to_string())),
    }
}

/// The folder of a local datastore.
pub fn datastore_folder(workspace: &Workspace, name: &str) -> Result<PathBuf, DataError> {
    let Some(ds) = workspace.datastore(name) else {
        return Err(DataError::UnknownDatastore {
            name: name.to_string(),
            builtin: workspace.file.is_none(),
        });
    };
    if ds.kind != DatastoreKind::Local {
        return Err(DataError::Unreachable { name: name.to_string(), kind: ds.kind.as_str() });
    }
    let folder = ds.local_path.clone().ok_or_else(|| DataError::NoFolder { name: name.to_string() })?;
    Ok(clean(&if folder.is_absolute() { folder } else { workspace.root.join(folder) }))
}

/// `path` without `.` components (`..` is kept: it may cross a link).
fn clean(path: &Path) -> PathBuf {
    path.components().filter(|c| !matches!(c, Component::CurDir)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::Name;
    use crate::source::{FileId, Span};

    fn name(s: &str) -> Name {
        Name { value: s.to_string(), file: FileId(0), span: Span::point(0) }
    }

    #[test]
    fn builtin_datastores_are_folders_under_the_state() {
        let ws = Workspace::builtin(PathBuf::from("/p"));
        let loc = DataLocation::Datastore { datastore: name("workspaceblobstore"), path: name("a/b.csv") };
        assert_eq!(
            resolve(&loc, &ws).unwrap().path,
            PathBuf::from("/p/.sluice/datastores/workspaceblobstore/a/b.csv")
        );
        let bad = DataLocation::Datastore { datastore: name("other"), path: name("x") };
        let e = resolve(&bad, &ws).unwrap_err();
        assert!(e.to_string().contains("`other` is not declared"), "{e}");
        let up = DataLocation::Datastore { datastore: name("workspaceblobstore"), path: name("../x") };
        assert!(matches!(resolve(&up, &ws), Err(DataError::Escapes { .. })));
    }

    #[test]
    fn cloud_datastores_are_named() {
        let mut ws = Workspace::builtin(PathBuf::from("/p"));
        ws.datastores[0].kind = DatastoreKind::AzureBlob;
        let loc = DataLocation::Datastore { datastore: name("workspaceblobstore"), path: name("x") };
        let e = resolve(&loc, &ws).unwrap_err().to_string();
        assert!(e.contains("`workspaceblobstore` is of type azure_blob"), "{e}");
    }
}
