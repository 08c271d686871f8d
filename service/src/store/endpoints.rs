//! Pipeline endpoints: a unique name, versions `0`, `1`, ... of published pipelines, a default
//! version, a status.

use rusqlite::{Connection, OptionalExtension, params};

use super::is_unique_violation;
use crate::error::{Result, ServiceError};

/// An endpoint as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointRow {
    /// Id (UUID).
    pub id: String,
    /// Unique name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Default version.
    pub default_version: i64,
    /// `Active` or `Disabled`.
    pub status: String,
    /// Unix ms.
    pub created_ms: i64,
    /// Unix ms.
    pub modified_ms: i64,
    /// (version, pipeline id), by version.
    pub versions: Vec<(i64, String)>,
}

impl EndpointRow {
    /// The pipeline of a version.
    pub fn pipeline_of(&self, version: i64) -> Option<&str> {
        self.versions.iter().find(|(v, _)| *v == version).map(|(_, p)| p.as_str())
    }

    /// Every version, as text.
    pub fn version_names(&self) -> Vec<String> {
        self.versions.iter().map(|(v, _)| v.to_string()).collect()
    }
}

fn versions(conn: &Connection, id: &str) -> Result<Vec<(i64, String)>> {
    let mut stmt =
        conn.prepare("SELECT version, pipeline FROM endpoint_versions WHERE endpoint = ?1 ORDER BY version")?;
    let rows =
        stmt.query_map(params![id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

fn load(conn: &Connection, filter: &str, key: &str) -> Result<Option<EndpointRow>> {
    let found = conn
        .query_row(
            &format!(
                "SELECT id, name, description, default_version, status, created_ms, modified_ms FROM endpoints WHERE {filter} = ?1"
            ),
            params![key],
            |r| {
                Ok(EndpointRow {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    description: r.get(2)?,
                    default_version: r.get(3)?,
                    status: r.get(4)?,
                    created_ms: r.get(5)?,
                    modified_ms: r.get(6)?,
                    versions: Vec::new(),
                })
            },
        )
        .optional()?;
    match found {
        Some(mut e) => {
            e.versions = versions(conn, &e.id)?;
            Ok(Some(e))
        }
        None => Ok(None),
    }
}

/// Creates an endpoint with `pipeline` as version 0 (its default).
pub fn insert(conn: &mut Connection, e: &EndpointRow, pipeline: &str) -> Result<()> {
    let tx = conn.transaction()?;
    match tx.execute(
        "INSERT INTO endpoints(id, name, description, default_version, status, created_ms, modified_ms)
         VALUES (?1, ?2, ?3, 0, ?4, ?5, ?5)",
        params![e.id, e.name, e.description, e.status, e.created_ms],
    ) {
        Err(err) if is_unique_violation(&err) => {
            return Err(ServiceError::Conflict {
                code: "NameTaken",
                message: format!(
                    "an endpoint named `{}` exists already; add a version to it instead",
                    e.name
                ),
            });
        }
        other => other?,
    };
    tx.execute(
        "INSERT INTO endpoint_versions(endpoint, version, pipeline) VALUES (?1, 0, ?2)",
        params![e.id, pipeline],
    )?;
    tx.commit()?;
    Ok(())
}

/// The endpoint with this id.
pub fn get(conn: &Connection, id: &str) -> Result<Option<EndpointRow>> {
    load(conn, "id", id)
}

/// The endpoint with this name.
pub fn get_by_name(conn: &Connection, name: &str) -> Result<Option<EndpointRow>> {
    load(conn, "name", name)
}

/// Every endpoint, by name.
pub fn list(conn: &Connection) -> Result<Vec<EndpointRow>> {
    let ids: Vec<String> = {
        let mut stmt = conn.prepare("SELECT id FROM endpoints ORDER BY name")?;
        stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
    };
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(e) = get(conn, &id)? {
            out.push(e);
        }
    }
    Ok(out)
}

/// Adds `pipeline` as the next version; returns it.
pub fn add_version(conn: &mut Connection, id: &str, pipeline: &str, now: i64) -> Result<i64> {
    let tx = conn.transaction()?;
    let next: i64 = tx.query_row(
        "SELECT COALESCE(MAX(version) + 1, 0) FROM endpoint_versions WHERE endpoint = ?1",
        params![id],
        |r| r.get(0),
    )?;
    tx.execute(
        "INSERT INTO endpoint_versions(endpoint, version, pipeline) VALUES (?1, ?2, ?3)",
        params![id, next, pipeline],
    )?;
    tx.execute("UPDATE endpoints SET modified_ms = ?2 WHERE id = ?1", params![id, now])?;
    tx.commit()?;
    Ok(next)
}

/// Changes the default version, status or description (the ones given).
pub fn update(
    conn: &Connection,
    id: &str,
    default_version: Option<i64>,
    status: Option<&str>,
    description: Option<&str>,
    now: i64,
) -> Result<()> {
    conn.execute(
        "UPDATE endpoints SET default_version = COALESCE(?2, default_version), status = COALESCE(?3, status),
                description = COALESCE(?4, description), modified_ms = ?5 WHERE id = ?1",
        params![id, default_version, status, description, now],
    )?;
    Ok(())
}
