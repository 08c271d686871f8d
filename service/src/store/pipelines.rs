//! Published pipelines and the snapshots they point at.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{from_json, to_json};
use crate::error::Result;
use crate::wire::{GraphStep, PipelineParameter};

/// A published pipeline as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineRow {
    /// Id (UUID).
    pub id: String,
    /// Name given at publishing.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Version label.
    pub version: Option<String>,
    /// `Active` or `Disabled`.
    pub status: String,
    /// Snapshot id.
    pub snapshot: String,
    /// The pipeline's own name.
    pub pipeline_name: String,
    /// The pipeline file in the snapshot.
    pub pipeline_file: String,
    /// Parameters.
    pub parameters: Vec<PipelineParameter>,
    /// Steps.
    pub graph: Vec<GraphStep>,
    /// Where it came from.
    pub properties: BTreeMap<String, String>,
    /// Go on after a failed step.
    pub continue_on_step_failure: bool,
    /// The run it was published from.
    pub source_run: Option<String>,
    /// The token that published it.
    pub created_by: String,
    /// Unix ms.
    pub created_ms: i64,
    /// Unix ms.
    pub modified_ms: i64,
}

const COLUMNS: &str = "id, name, description, version, status, snapshot, pipeline_name, pipeline_file, parameters, \
                       graph, properties, continue_on_step_failure, source_run, created_by, created_ms, modified_ms";

fn row(r: &Row) -> rusqlite::Result<PipelineRow> {
    Ok(PipelineRow {
        id: r.get(0)?,
        name: r.get(1)?,
        description: r.get(2)?,
        version: r.get(3)?,
        status: r.get(4)?,
        snapshot: r.get(5)?,
        pipeline_name: r.get(6)?,
        pipeline_file: r.get(7)?,
        parameters: from_json(&r.get::<_, String>(8)?),
        graph: from_json(&r.get::<_, String>(9)?),
        properties: from_json(&r.get::<_, String>(10)?),
        continue_on_step_failure: r.get(11)?,
        source_run: r.get(12)?,
        created_by: r.get(13)?,
        created_ms: r.get(14)?,
        modified_ms: r.get(15)?,
    })
}

/// Records a snapshot's manifest (once per content).
pub fn insert_snapshot(conn: &Connection, id: &str, manifest: &str, now: i64) -> Result<()> {
    conn.execute(
        "INSERT INTO snapshots(id, manifest, created_ms) VALUES (?1, ?2, ?3) ON CONFLICT(id) DO NOTHING",
        params![id, manifest, now],
    )?;
    Ok(())
}

/// A snapshot's manifest (JSON).
pub fn snapshot_manifest(conn: &Connection, id: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT manifest FROM snapshots WHERE id = ?1", params![id], |r| r.get(0))
        .optional()?)
}

/// Records a published pipeline.
pub fn insert(conn: &Connection, p: &PipelineRow) -> Result<()> {
    conn.execute(
        &format!("INSERT INTO pipelines({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"),
        params![
            p.id,
            p.name,
            p.description,
            p.version,
            p.status,
            p.snapshot,
            p.pipeline_name,
            p.pipeline_file,
            to_json(&p.parameters),
            to_json(&p.graph),
            to_json(&p.properties),
            p.continue_on_step_failure,
            p.source_run,
            p.created_by,
            p.created_ms,
            p.modified_ms,
        ],
    )?;
    Ok(())
}

/// The published pipeline with this id.
pub fn get(conn: &Connection, id: &str) -> Result<Option<PipelineRow>> {
    Ok(conn
        .query_row(&format!("SELECT {COLUMNS} FROM pipelines WHERE id = ?1"), params![id], row)
        .optional()?)
}

/// Every published pipeline, newest first.
pub fn list(conn: &Connection) -> Result<Vec<PipelineRow>> {
    let mut stmt =
        conn.prepare(&format!("SELECT {COLUMNS} FROM pipelines ORDER BY created_ms DESC, rowid DESC"))?;
    let rows = stmt.query_map([], row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Sets `Active` or `Disabled`; false when there is no such pipeline.
pub fn set_status(conn: &Connection, id: &str, status: &str, now: i64) -> Result<bool> {
    let n = conn.execute(
        "UPDATE pipelines SET status = ?2, modified_ms = ?3 WHERE id = ?1",
        params![id, status, now],
    )?;
    Ok(n > 0)
}
