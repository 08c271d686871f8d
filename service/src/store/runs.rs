//! Runs and the durable queue: a run is `Queued` from its submission until a worker's runtime
//! run starts it (`Running`); a worker *claims* a queued run first, so two workers never take
//! the same one. After a restart, claimed runs that had not started are claimable again and
//! runs that were executing are failed (see [`recover`]).

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::Value as Json;

use super::{from_json, to_json};
use crate::error::Result;
use crate::wire::{DataPath, status};

/// A run as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRow {
    /// Id (UUID).
    pub id: String,
    /// Queue order.
    pub seq: i64,
    /// Published pipeline.
    pub pipeline: String,
    /// Endpoint it was submitted through.
    pub endpoint: Option<String>,
    /// Endpoint version.
    pub endpoint_version: Option<String>,
    /// Experiment.
    pub experiment: String,
    /// Description.
    pub description: Option<String>,
    /// What submitted it.
    pub run_source: String,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// Properties.
    pub properties: BTreeMap<String, String>,
    /// Parameter values given (name, text).
    pub assignments: BTreeMap<String, String>,
    /// Data paths given.
    pub data_paths: BTreeMap<String, DataPath>,
    /// Every parameter value used.
    pub parameters: BTreeMap<String, Json>,
    /// Go on after a failed step (`None`: the pipeline's setting).
    pub continue_on_step_failure: Option<bool>,
    /// SDK status word.
    pub status: String,
    /// Why.
    pub status_detail: Option<String>,
    /// Token name.
    pub submitted_by: String,
    /// Unix ms.
    pub created_ms: i64,
    /// Unix ms.
    pub started_ms: Option<i64>,
    /// Unix ms.
    pub ended_ms: Option<i64>,
    /// Unix ms.
    pub modified_ms: i64,
    /// The runtime's run id.
    pub local_run: Option<i64>,
    /// How many times a worker took it.
    pub attempts: i64,
}

const COLUMNS: &str = "id, seq, pipeline, endpoint, endpoint_version, experiment, description, run_source, tags, \
                       properties, assignments, data_paths, parameters, continue_on_step_failure, status, status_detail, \
                       submitted_by, created_ms, started_ms, ended_ms, modified_ms, local_run, attempts";

fn row(r: &Row) -> rusqlite::Result<RunRow> {
    Ok(RunRow {
        id: r.get(0)?,
        seq: r.get(1)?,
        pipeline: r.get(2)?,
        endpoint: r.get(3)?,
        endpoint_version: r.get(4)?,
        experiment: r.get(5)?,
        description: r.get(6)?,
        run_source: r.get(7)?,
        tags: from_json(&r.get::<_, String>(8)?),
        properties: from_json(&r.get::<_, String>(9)?),
        assignments: from_json(&r.get::<_, String>(10)?),
        data_paths: from_json(&r.get::<_, String>(11)?),
        parameters: from_json(&r.get::<_, String>(12)?),
        continue_on_step_failure: r.get(13)?,
        status: r.get(14)?,
        status_detail: r.get(15)?,
        submitted_by: r.get(16)?,
        created_ms: r.get(17)?,
        started_ms: r.get(18)?,
        ended_ms: r.get(19)?,
        modified_ms: r.get(20)?,
        local_run: r.get(21)?,
        attempts: r.get(22)?,
    })
}

/// Queues a new run (its `seq` is assigned here; the one given is ignored). Returns the seq.
pub fn insert(conn: &Connection, r: &RunRow) -> Result<i64> {
    conn.execute(
        "INSERT INTO runs(id, pipeline, endpoint, endpoint_version, experiment, description, run_source, tags,
                          properties, assignments, data_paths, parameters, continue_on_step_failure, status,
                          status_detail, submitted_by, created_ms, modified_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?17)",
        params![
            r.id,
            r.pipeline,
            r.endpoint,
            r.endpoint_version,
            r.experiment,
            r.description,
            r.run_source,
            to_json(&r.tags),
            to_json(&r.properties),
            to_json(&r.assignments),
            to_json(&r.data_paths),
            to_json(&r.parameters),
            r.continue_on_step_failure,
            r.status,
            r.status_detail,
            r.submitted_by,
            r.created_ms,
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// The run with this id.
pub fn get(conn: &Connection, id: &str) -> Result<Option<RunRow>> {
    Ok(conn.query_row(&format!("SELECT {COLUMNS} FROM runs WHERE id = ?1"), params![id], row).optional()?)
}

/// Runs, newest first: all, or those of one pipeline or endpoint.
pub fn list(
    conn: &Connection,
    pipeline: Option<&str>,
    endpoint: Option<&str>,
    limit: usize,
) -> Result<Vec<RunRow>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM runs WHERE (?1 IS NULL OR pipeline = ?1) AND (?2 IS NULL OR endpoint = ?2)
         ORDER BY seq DESC LIMIT ?3"
    ))?;
    let rows = stmt
        .query_map(params![pipeline, endpoint, limit as i64], row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Takes the oldest queued run that no worker holds.
pub fn claim_next(conn: &Connection, now: i64) -> Result<Option<RunRow>> {
    let id: Option<String> = conn
        .query_row(
            "UPDATE runs SET claimed = 1, attempts = attempts + 1, modified_ms = ?2
             WHERE seq = (SELECT seq FROM runs WHERE status = ?1 AND claimed = 0 ORDER BY seq LIMIT 1)
             RETURNING id",
            params![status::QUEUED, now],
            |r| r.get(0),
        )
        .optional()?;
    match id {
        Some(id) => get(conn, &id),
        None => Ok(None),
    }
}

/// The runtime started the run: `Running` (unless a cancel landed meanwhile).
pub fn set_running(conn: &Connection, id: &str, local_run: i64, now: i64) -> Result<()> {
    conn.execute(
        "UPDATE runs SET status = CASE WHEN status = ?2 THEN ?3 ELSE status END,
                local_run = ?4, started_ms = ?5, modified_ms = ?5 WHERE id = ?1",
        params![id, status::QUEUED, status::RUNNING, local_run, now],
    )?;
    Ok(())
}

/// The run ended (`Finished`, `Failed` or `Canceled`).
pub fn finish(conn: &Connection, id: &str, st: &str, detail: Option<&str>, now: i64) -> Result<()> {
    conn.execute(
        "UPDATE runs SET status = ?2, status_detail = ?3, ended_ms = ?4, modified_ms = ?4, claimed = 0 WHERE id = ?1",
        params![id, st, detail, now],
    )?;
    Ok(())
}

/// Puts a claimed run back in the queue (the service stopped while it ran or waited).
pub fn requeue(conn: &Connection, id: &str, detail: &str, now: i64) -> Result<()> {
    conn.execute(
        "UPDATE runs SET status = ?2, status_detail = ?3, claimed = 0, started_ms = NULL, local_run = NULL,
                modified_ms = ?4
         WHERE id = ?1 AND status IN (?2, ?5)",
        params![id, status::QUEUED, detail, now, status::RUNNING],
    )?;
    Ok(())
}

/// What a cancel did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelOutcome {
    /// The run had not started: it is `Canceled` now.
    Canceled,
    /// The run is executing: `CancelRequested`; its steps are being stopped.
    Requested,
    /// The run had ended already, with this status.
    Ended(String),
    /// No such run.
    Missing,
}

/// Cancels a run: at once when queued, by request when executing.
pub fn request_cancel(conn: &mut Connection, id: &str, now: i64) -> Result<CancelOutcome> {
    let tx = conn.transaction()?;
    let current: Option<String> =
        tx.query_row("SELECT status FROM runs WHERE id = ?1", params![id], |r| r.get(0)).optional()?;
    let outcome = match current.as_deref() {
        None => CancelOutcome::Missing,
        Some(status::QUEUED | status::NOT_STARTED) => {
            tx.execute(
                "UPDATE runs SET status = ?2, status_detail = ?3, ended_ms = ?4, modified_ms = ?4 WHERE id = ?1",
                params![id, status::CANCELED, "canceled before it started", now],
            )?;
            CancelOutcome::Canceled
        }
        Some(status::RUNNING) => {
            tx.execute(
                "UPDATE runs SET status = ?2, modified_ms = ?3 WHERE id = ?1",
                params![id, status::CANCEL_REQUESTED, now],
            )?;
            CancelOutcome::Requested
        }
        Some(status::CANCEL_REQUESTED) => CancelOutcome::Requested,
        Some(other) => CancelOutcome::Ended(other.to_string()),
    };
    tx.commit()?;
    Ok(outcome)
}

/// What [`recover`] did after a restart.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recovered {
    /// Runs that were executing when the service died, now `Failed`.
    pub failed: usize,
    /// Runs whose cancel was under way, now `Canceled`.
    pub canceled: usize,
    /// Queued runs (claimed or not), waiting again.
    pub queued: usize,
}

/// Makes the queue consistent after the service stopped without finishing its work: a run
/// that was executing is failed with that reason (its steps may have had effects; it is not
/// run twice behind the submitter's back), a run being canceled is canceled, and every queued
/// run (claimed or not, none of it ran) waits again.
pub fn recover(conn: &mut Connection, now: i64) -> Result<Recovered> {
    let tx = conn.transaction()?;
    let failed = tx.execute(
        "UPDATE runs SET status = ?1, ended_ms = ?3, modified_ms = ?3, claimed = 0,
                status_detail = 'the service stopped (killed or crashed) while this run was executing; it was not run again: submit it again'
         WHERE status = ?2",
        params![status::FAILED, status::RUNNING, now],
    )?;
    let canceled = tx.execute(
        "UPDATE runs SET status = ?1, ended_ms = ?3, modified_ms = ?3, claimed = 0,
                status_detail = 'canceled; the service stopped while its steps were being stopped'
         WHERE status = ?2",
        params![status::CANCELED, status::CANCEL_REQUESTED, now],
    )?;
    tx.execute("UPDATE runs SET claimed = 0 WHERE status = ?1 AND claimed = 1", params![status::QUEUED])?;
    let queued: i64 =
        tx.query_row("SELECT COUNT(*) FROM runs WHERE status = ?1", params![status::QUEUED], |r| r.get(0))?;
    tx.commit()?;
    Ok(Recovered { failed, canceled, queued: queued as usize })
}

/// Number of runs by status.
pub fn counts(conn: &Connection) -> Result<BTreeMap<String, i64>> {
    let mut stmt = conn.prepare("SELECT status, COUNT(*) FROM runs GROUP BY status")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::store::Db;

    fn queued(id: &str) -> RunRow {
        RunRow {
            id: id.to_string(),
            seq: 0,
            pipeline: "p".into(),
            endpoint: None,
            endpoint_version: None,
            experiment: "e".into(),
            description: None,
            run_source: "test".into(),
            tags: BTreeMap::new(),
            properties: BTreeMap::new(),
            assignments: BTreeMap::new(),
            data_paths: BTreeMap::new(),
            parameters: BTreeMap::new(),
            continue_on_step_failure: None,
            status: status::QUEUED.into(),
            status_detail: None,
            submitted_by: "t".into(),
            created_ms: 1,
            started_ms: None,
            ended_ms: None,
            modified_ms: 1,
            local_run: None,
            attempts: 0,
        }
    }

    fn db() -> (tempfile::TempDir, Db) {
        let d = tempfile::tempdir().unwrap();
        let db = Db::open(d.path()).unwrap();
        db.with(|c| {
            c.execute("PRAGMA foreign_keys = OFF", [])?;
            Ok(())
        })
        .unwrap();
        (d, db)
    }

    #[test]
    fn the_queue_is_taken_oldest_first_and_once() {
        let (_d, db) = db();
        db.with(|c| {
            for id in ["r1", "r2", "r3"] {
                insert(c, &queued(id))?;
            }
            assert_eq!(claim_next(c, 2)?.unwrap().id, "r1");
            assert_eq!(claim_next(c, 2)?.unwrap().id, "r2");
            assert_eq!(request_cancel(c, "r3", 3)?, CancelOutcome::Canceled);
            assert_eq!(claim_next(c, 3)?, None, "a canceled run is not taken");
            assert_eq!(request_cancel(c, "r3", 3)?, CancelOutcome::Ended("Canceled".into()));
            assert_eq!(request_cancel(c, "nope", 3)?, CancelOutcome::Missing);
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn after_a_restart_executing_runs_fail_and_queued_ones_wait_again() {
        let (_d, db) = db();
        db.with(|c| {
            for id in ["running", "canceling", "claimed", "waiting"] {
                insert(c, &queued(id))?;
            }
            claim_next(c, 2)?;
            set_running(c, "running", 7, 3)?;
            claim_next(c, 2)?;
            set_running(c, "canceling", 8, 3)?;
            assert_eq!(request_cancel(c, "canceling", 4)?, CancelOutcome::Requested);
            assert_eq!(claim_next(c, 2)?.unwrap().id, "claimed");
            let r = recover(c, 10)?;
            assert_eq!(r, Recovered { failed: 1, canceled: 1, queued: 2 });
            let running = get(c, "running")?.unwrap();
            assert_eq!(running.status, status::FAILED);
            assert!(running.status_detail.unwrap().contains("while this run was executing"));
            assert_eq!(get(c, "canceling")?.unwrap().status, status::CANCELED);
            // The claimed run is taken again, before the one that waited behind it.
            assert_eq!(claim_next(c, 11)?.unwrap().id, "claimed");
            assert_eq!(claim_next(c, 11)?.unwrap().id, "waiting");
            Ok(())
        })
        .unwrap();
    }
}
