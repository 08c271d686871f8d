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
    #[error("run store `{}`: {source}{}", path.display(), full_disk(path, source))]
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
    /// A datastore upload cannot be done as asked (a usage error: exit 2).
    #[error("{0}")]
    Upload(String),
    /// A datastore operation failed (it names the datastore and path, never a credential).
    #[error(transparent)]
    Datastore(#[from] crate::datastore::DatastoreError),
    /// Another process holds the state folder's lock and the run was told not to wait for it
    /// (`--no-wait`), or not longer than it did (`--wait-timeout`).
    #[error("the state folder `{}` is in use by {holder}; {}", state.display(), match waited_ms {
        None => "not waiting for it (--no-wait)".to_string(),
        Some(ms) => format!("gave up after waiting {} (--wait-timeout)", crate::time::format_duration(*ms)),
    })]
    Busy {
        /// The state folder.
        state: PathBuf,
        /// Who holds it, in words.
        holder: String,
        /// How long the run waited (`None`: it did not).
        waited_ms: Option<i64>,
    },
    /// Ctrl-C or SIGTERM stopped sluice before a run started (the words say when).
    #[error("canceled {0}")]
    Canceled(String),
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

/// For a run store that cannot grow because its disk is full: why, and what to do.
fn full_disk(path: &Path, e: &rusqlite::Error) -> String {
    if e.sqlite_error_code() != Some(rusqlite::ErrorCode::DiskFull) {
        return String::new();
    }
    let dir = path.parent().unwrap_or(path);
    format!(
        ": {}",
        crate::disk::explain_full(
            dir,
            "the run store cannot grow (`.sluice/cache` may go: its steps then run again)"
        )
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_under_the_run_store_is_named() {
        let full =
            rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL), None);
        let e = RuntimeError::Store { path: PathBuf::from("/p/.sluice/runs.db"), source: full };
        let text = e.to_string();
        assert!(text.starts_with("run store `/p/.sluice/runs.db`: "), "{text}");
        assert!(text.contains("the disk holding `/p/.sluice` filled up"), "{text}");
        let busy =
            rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY), None);
        let e = RuntimeError::Store { path: PathBuf::from("/p/.sluice/runs.db"), source: busy };
        assert!(!e.to_string().contains("filled up"));
    }
}
