//! Errors of the runtime.

use std::path::{Path, PathBuf};

use sluice_compiler::fingerprint::{FingerprintError, ParameterError};

/// Why the runtime could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// A file or folder of the state could not be read or written.
    #[error("`{}`: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The run store failed.
    #[error("run store `{}`: {source}", path.display())]
    Store {
        /// The database file.
        path: PathBuf,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },
    /// The run store was written by a newer sluice.
    #[error("run store `{}` has schema version {found}; this sluice reads up to {supported}: upgrade sluice", path.display())]
    StoreVersion {
        /// The database file.
        path: PathBuf,
        /// Its version.
        found: i64,
        /// The newest this build reads.
        supported: i64,
    },
    /// Fingerprints could not be computed.
    #[error(transparent)]
    Fingerprint(#[from] FingerprintError),
    /// A `-p NAME=VALUE` cannot be used.
    #[error(transparent)]
    Parameter(#[from] ParameterError),
    /// The pipeline cannot run on this machine (each reason names the step and why).
    #[error("the pipeline cannot run on this machine:\n{}", .0.iter().map(|r| format!("  - {r}")).collect::<Vec<_>>().join("\n"))]
    NotRunnable(Vec<String>),
    /// A run asked for does not exist.
    #[error("no run `{0}` in this state folder")]
    NoSuchRun(String),
    /// A step asked for does not exist in a run.
    #[error("run {run} has no step `{step}`{}", hint.as_deref().map(|h| format!("; {h}")).unwrap_or_default())]
    NoSuchStep {
        /// The run.
        run: i64,
        /// The step asked for.
        step: String,
        /// A "did you mean" or the steps of the run.
        hint: Option<String>,
    },
    /// A datastore upload cannot be done.
    #[error("{0}")]
    Upload(String),
    /// A datastore operation failed (it names the datastore and path, never a credential).
    #[error(transparent)]
    Datastore(#[from] crate::datastore::DatastoreError),
    /// Anything else that stops the runtime, in words.
    #[error("{0}")]
    Other(String),
}

impl RuntimeError {
    /// An I/O error about `path`.
    pub fn io(path: &Path, source: std::io::Error) -> RuntimeError {
        RuntimeError::Io { path: path.to_path_buf(), source }
    }
}
