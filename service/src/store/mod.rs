//! The service's own database, `service.db` in its state folder (SQLite, WAL): published
//! pipelines and their snapshots, endpoints and their versions, the run queue, and tokens
//! (their SHA-256 only). The runtime's run store (`runs.db`) beside it keeps what the runs did.

pub mod endpoints;
pub mod pipelines;
pub mod runs;
pub mod tokens;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

use crate::error::{Result, ServiceError};

/// Version of the schema below (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS snapshots (
    id TEXT PRIMARY KEY,
    manifest TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS pipelines (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT,
    version TEXT,
    status TEXT NOT NULL,
    snapshot TEXT NOT NULL REFERENCES snapshots(id),
    pipeline_name TEXT NOT NULL,
    pipeline_file TEXT NOT NULL,
    parameters TEXT NOT NULL,
    graph TEXT NOT NULL,
    properties TEXT NOT NULL,
    continue_on_step_failure INTEGER NOT NULL,
    source_run TEXT,
    created_by TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    modified_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS endpoints (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT,
    default_version INTEGER NOT NULL,
    status TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    modified_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS endpoint_versions (
    endpoint TEXT NOT NULL REFERENCES endpoints(id),
    version INTEGER NOT NULL,
    pipeline TEXT NOT NULL REFERENCES pipelines(id),
    PRIMARY KEY (endpoint, version)
);
CREATE TABLE IF NOT EXISTS runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    pipeline TEXT NOT NULL REFERENCES pipelines(id),
    endpoint TEXT,
    endpoint_version TEXT,
    experiment TEXT NOT NULL,
    description TEXT,
    run_source TEXT NOT NULL,
    tags TEXT NOT NULL,
    properties TEXT NOT NULL,
    assignments TEXT NOT NULL,
    data_paths TEXT NOT NULL,
    parameters TEXT NOT NULL,
    continue_on_step_failure INTEGER,
    status TEXT NOT NULL,
    status_detail TEXT,
    submitted_by TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    started_ms INTEGER,
    ended_ms INTEGER,
    modified_ms INTEGER NOT NULL,
    local_run INTEGER,
    claimed INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS runs_queue ON runs(status, claimed, seq);
CREATE INDEX IF NOT EXISTS runs_pipeline ON runs(pipeline, seq);
CREATE TABLE IF NOT EXISTS tokens (
    name TEXT PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER,
    revoked INTEGER NOT NULL DEFAULT 0
);
";

/// The name of the database file in the state folder.
pub const DB_FILE: &str = "service.db";

/// The database: one connection, used from blocking threads.
#[derive(Debug)]
pub struct Db {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl Db {
    /// Opens (creating or upgrading) `service.db` in `state`.
    pub fn open(state: &Path) -> Result<Db> {
        std::fs::create_dir_all(state).map_err(|e| ServiceError::io(state, e))?;
        let path = state.join(DB_FILE);
        let conn = Connection::open(&path)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(ServiceError::Internal(format!(
                "`{}` has schema version {version}; this sluice reads up to {SCHEMA_VERSION}: upgrade sluice",
                path.display()
            )));
        }
        if version < SCHEMA_VERSION {
            conn.execute_batch(SCHEMA)?;
            conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        }
        Ok(Db { conn: Mutex::new(conn), path })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` on the connection, on this thread (for blocking threads and the CLI).
    pub fn with<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        // A panic while holding the lock leaves a usable connection: every change is a
        // statement or a transaction that SQLite rolled back.
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut conn)
    }

    /// Runs `f` on the connection on a blocking thread (for async handlers).
    pub async fn call<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let db = Arc::clone(self);
        tokio::task::spawn_blocking(move || db.with(f)).await?
    }
}

/// A JSON column.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_string())
}

/// A JSON column read back (a damaged one reads as the type's default).
pub(crate) fn from_json<T: serde::de::DeserializeOwned + Default>(text: &str) -> T {
    serde_json::from_str(text).unwrap_or_default()
}

/// True when `e` is a UNIQUE or PRIMARY KEY violation.
pub(crate) fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}
