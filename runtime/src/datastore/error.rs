//! What can go wrong with a datastore. Every message names the datastore and the path; none
//! holds a credential (only the name of the environment variable it comes from), and text from
//! the network stack goes through [`super::Redactor`] first.

use std::path::PathBuf;

/// Why a datastore operation failed.
#[derive(Debug, thiserror::Error)]
pub enum DatastoreError {
    /// The datastore is not declared in the workspace.
    #[error("{message}")]
    Unknown {
        /// The whole message, with the names that exist or a "did you mean".
        message: String,
    },
    /// The datastore's settings cannot be used from here (a credential variable unset, a key
    /// that is not base64, a kind sluice cannot reach).
    #[error("datastore `{datastore}`: {message}")]
    Config {
        /// The datastore.
        datastore: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A path, pattern or option given on the command line cannot be used.
    #[error("{0}")]
    Usage(String),
    /// A local file or folder could not be read or written.
    #[error("`{}`: {source}", path.display())]
    Local {
        /// The local path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The service refused the credentials (HTTP 401 or 403).
    #[error("{message}")]
    AccessDenied {
        /// The datastore.
        datastore: String,
        /// The whole message: container, account, path, the service's error code, what to check.
        message: String,
    },
    /// The container (or file system) does not exist.
    #[error(
        "container `{container}` does not exist in account `{account}` (datastore `{datastore}`){}",
        if *upload { "" } else { "; upload to it first, or check container_name" }
    )]
    NoContainer {
        /// The datastore.
        datastore: String,
        /// The storage account.
        account: String,
        /// The container.
        container: String,
        /// True when an upload found it missing after trying to create it.
        upload: bool,
    },
    /// Nothing is stored at a path.
    #[error("nothing at `{path}` on datastore `{datastore}`{}", hint.as_deref().map(|h| format!("; {h}")).unwrap_or_default())]
    NotFound {
        /// The datastore.
        datastore: String,
        /// The path asked for.
        path: String,
        /// A "did you mean", or what is there.
        hint: Option<String>,
    },
    /// The service could not be reached, or kept failing, after the retries.
    #[error("{message}")]
    Unreachable {
        /// The datastore.
        datastore: String,
        /// The whole message: the endpoint (without credentials), the path, the cause, retries.
        message: String,
    },
    /// What arrived is not what was sent.
    #[error(
        "integrity check failed for `{path}` on datastore `{datastore}`: {what}; nothing was kept, run the command again"
    )]
    Integrity {
        /// The datastore.
        datastore: String,
        /// The path.
        path: String,
        /// The two hashes or sizes.
        what: String,
    },
    /// The service answered with an error that is none of the above.
    #[error("{message}")]
    Service {
        /// The datastore.
        datastore: String,
        /// The whole message.
        message: String,
    },
    /// The transfer was stopped by Ctrl-C or SIGTERM.
    #[error("canceled")]
    Canceled,
}

impl DatastoreError {
    /// Whether the command line or this machine is at fault (exit 2), rather than the service or
    /// the data (exit 1).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            DatastoreError::Unknown { .. }
                | DatastoreError::Config { .. }
                | DatastoreError::Usage(_)
                | DatastoreError::Local { .. }
        )
    }

    /// A local I/O error about `path`.
    pub fn local(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DatastoreError::Local { path: path.into(), source }
    }
}
