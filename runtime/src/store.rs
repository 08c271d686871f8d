//! The run store: an SQLite database (WAL) of experiments, runs, step runs with their
//! fingerprint manifests, metrics, and the file listings behind content hashes.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use sluice_compiler::fingerprint::{Listing, Manifest};

use crate::RuntimeError;
use crate::secrets::{mask, mask_json};

/// Schema version written in `PRAGMA user_version`.
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS experiments(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS runs(
  id INTEGER PRIMARY KEY,
  experiment_id INTEGER NOT NULL REFERENCES experiments(id),
  pipeline_file TEXT NOT NULL,
  pipeline_name TEXT,
  status TEXT NOT NULL,
  started_ms INTEGER NOT NULL,
  ended_ms INTEGER,
  parameters TEXT NOT NULL,
  options TEXT NOT NULL,
  git_commit TEXT,
  git_branch TEXT,
  git_dirty INTEGER,
  pid INTEGER,
  message TEXT);
CREATE TABLE IF NOT EXISTS step_runs(
  run_id INTEGER NOT NULL REFERENCES runs(id),
  step TEXT NOT NULL,
  pipeline_file TEXT NOT NULL,
  position INTEGER NOT NULL,
  kind TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  reuse TEXT NOT NULL,
  reason TEXT NOT NULL,
  status TEXT NOT NULL,
  reused_run INTEGER,
  reused_step TEXT,
  started_ms INTEGER,
  ended_ms INTEGER,
  exit_code INTEGER,
  pid INTEGER,
  command TEXT,
  manifest TEXT NOT NULL,
  message TEXT,
  PRIMARY KEY(run_id, step));
CREATE INDEX IF NOT EXISTS step_runs_by_step ON step_runs(pipeline_file, step, run_id);
CREATE TABLE IF NOT EXISTS metrics(
  run_id INTEGER NOT NULL REFERENCES runs(id),
  step TEXT NOT NULL,
  seq INTEGER NOT NULL,
  name TEXT NOT NULL,
  value REAL,
  text TEXT,
  at_step INTEGER,
  reused INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS metrics_by_run ON metrics(run_id, step, seq);
CREATE TABLE IF NOT EXISTS trees(
  hash TEXT PRIMARY KEY,
  listing TEXT NOT NULL);
";

/// Status of a run or step run, as stored.
pub mod status {
    /// Being executed.
    pub const RUNNING: &str = "running";
    /// Waiting for its turn.
    pub const QUEUED: &str = "queued";
    /// Finished successfully.
    pub const COMPLETED: &str = "completed";
    /// Outputs taken from the cache.
    pub const REUSED: &str = "reused";
    /// The step (or a step of the run) failed.
    pub const FAILED: &str = "failed";
    /// Not run because a step it needs failed, or the run stopped first.
    pub const SKIPPED: &str = "skipped";
    /// Stopped by Ctrl-C or SIGTERM.
    pub const CANCELED: &str = "canceled";
    /// sluice itself ended without finishing the run (killed, machine stopped).
    pub const INTERRUPTED: &str = "interrupted";
}

/// A run about to start.
#[derive(Debug, Clone)]
pub struct NewRun {
    /// Experiment name.
    pub experiment: String,
    /// Pipeline file relative to the state's root.
    pub pipeline_file: String,
    /// Pipeline name.
    pub pipeline_name: Option<String>,
    /// Parameter values (JSON object).
    pub parameters: serde_json::Value,
    /// Run options (JSON object).
    pub options: serde_json::Value,
    /// Git state of the pipeline's repository.
    pub git: Option<crate::git::GitInfo>,
    /// Start time.
    pub started_ms: i64,
    /// The highest run id in use outside the store (run folders): the new id is above it and
    /// above every run in the store, so a store that was lost or emptied never reuses an id.
    pub ids_above: i64,
}

/// A step run about to be recorded.
#[derive(Debug, Clone)]
pub struct NewStepRun {
    /// Step key.
    pub step: String,
    /// Position in the plan.
    pub position: i64,
    /// Step kind.
    pub kind: String,
    /// Fingerprint.
    pub fingerprint: String,
    /// `hit`, `miss` or `disabled`.
    pub reuse: String,
    /// Why.
    pub reason: String,
    /// Initial status (`queued` or `reused`).
    pub status: String,
    /// The run and step whose outputs are reused.
    pub reused_from: Option<(i64, String)>,
    /// The command line (JSON array).
    pub command: Option<String>,
    /// The fingerprint manifest.
    pub manifest: Manifest,
}

/// The last recorded run of a step.
#[derive(Debug, Clone)]
pub struct LastStepRun {
    /// Its run.
    pub run_id: i64,
    /// How it ended.
    pub status: String,
    /// Its fingerprint.
    pub fingerprint: String,
    /// Its manifest.
    pub manifest: Manifest,
}

/// A run as listed.
#[derive(Debug, Clone, Serialize)]
pub struct RunRecord {
    /// Run id.
    pub id: i64,
    /// Experiment.
    pub experiment: String,
    /// Pipeline file relative to the state's root.
    pub pipeline_file: String,
    /// Pipeline name.
    pub pipeline_name: Option<String>,
    /// Status.
    pub status: String,
    /// Start, Unix ms.
    pub started_ms: i64,
    /// End, Unix ms.
    pub ended_ms: Option<i64>,
    /// Parameter values.
    pub parameters: serde_json::Value,
    /// Options.
    pub options: serde_json::Value,
    /// Git commit.
    pub git_commit: Option<String>,
    /// Git branch.
    pub git_branch: Option<String>,
    /// Uncommitted changes when the run started.
    pub git_dirty: Option<bool>,
    /// A note on how it ended.
    pub message: Option<String>,
    /// Step counts by status.
    pub steps: std::collections::BTreeMap<String, i64>,
}

/// A step run as recorded.
#[derive(Debug, Clone, Serialize)]
pub struct StepRunRecord {
    /// Step key.
    pub step: String,
    /// Step kind.
    pub kind: String,
    /// Fingerprint.
    pub fingerprint: String,
    /// `hit`, `miss` or `disabled`.
    pub reuse: String,
    /// Why.
    pub reason: String,
    /// Status.
    pub status: String,
    /// The run whose outputs were reused.
    pub reused_run: Option<i64>,
    /// The step (in that run) whose outputs were reused.
    pub reused_step: Option<String>,
    /// Start, Unix ms.
    pub started_ms: Option<i64>,
    /// End, Unix ms.
    pub ended_ms: Option<i64>,
    /// Exit code of the process.
    pub exit_code: Option<i64>,
    /// Command line.
    pub command: Option<serde_json::Value>,
    /// A note on how it ended.
    pub message: Option<String>,
}

/// A metric as recorded.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MetricRecord {
    /// Step key.
    pub step: String,
    /// Metric name.
    pub name: String,
    /// Numeric value.
    pub value: Option<f64>,
    /// Non-numeric value, as JSON text.
    pub text: Option<String>,
    /// The `step` the script gave (an epoch, an iteration).
    pub at_step: Option<i64>,
    /// True when it came with reused outputs.
    pub reused: bool,
}

/// The run store of one state folder.
#[derive(Debug)]
pub struct RunStore {
    conn: Connection,
    path: PathBuf,
}

impl RunStore {
    /// Opens (and creates or upgrades) the store at `path`.
    pub fn open(path: &Path) -> Result<RunStore, RuntimeError> {
        let err = |source| RuntimeError::Store { path: path.to_path_buf(), source };
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(30)).map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(err)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(err)?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(err)?;
        if version > SCHEMA_VERSION {
            return Err(RuntimeError::StoreVersion {
                path: path.to_path_buf(),
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        if version < SCHEMA_VERSION {
            conn.execute_batch(SCHEMA).map_err(err)?;
            conn.pragma_update(None, "user_version", SCHEMA_VERSION).map_err(err)?;
        }
        Ok(RunStore { conn, path: path.to_path_buf() })
    }

    fn err(&self, source: rusqlite::Error) -> RuntimeError {
        RuntimeError::Store { path: self.path.clone(), source }
    }

    /// Records a new run (status `running`) and returns its id.
    pub fn begin_run(&self, run: &NewRun) -> Result<i64, RuntimeError> {
        let e = |s| self.err(s);
        self.conn
            .execute(
                "INSERT INTO experiments(name, created_ms) VALUES (?1, ?2) ON CONFLICT(name) DO NOTHING",
                params![run.experiment, run.started_ms],
            )
            .map_err(e)?;
        let experiment: i64 = self
            .conn
            .query_row("SELECT id FROM experiments WHERE name = ?1", params![run.experiment], |r| r.get(0))
            .map_err(e)?;
        let git = run.git.as_ref();
        let highest: i64 =
            self.conn.query_row("SELECT COALESCE(MAX(id), 0) FROM runs", [], |r| r.get(0)).map_err(e)?;
        let id = highest.max(run.ids_above) + 1;
        self.conn
            .execute(
                "INSERT INTO runs(id, experiment_id, pipeline_file, pipeline_name, status, started_ms, parameters,
                                  options, git_commit, git_branch, git_dirty, pid)
                 VALUES (?11, ?1, ?2, ?3, 'running', ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    experiment,
                    run.pipeline_file,
                    run.pipeline_name,
                    run.started_ms,
                    mask_json(&run.parameters).to_string(),
                    mask_json(&run.options).to_string(),
                    git.and_then(|g| g.commit.clone()),
                    git.and_then(|g| g.branch.clone()),
                    git.and_then(|g| g.dirty),
                    std::process::id(),
                    id,
                ],
            )
            .map_err(e)?;
        Ok(id)
    }

    /// Records the end of a run.
    pub fn finish_run(
        &self,
        run: i64,
        status: &str,
        ended_ms: i64,
        message: Option<&str>,
    ) -> Result<(), RuntimeError> {
        self.conn
            .execute(
                "UPDATE runs SET status = ?2, ended_ms = ?3, message = ?4 WHERE id = ?1",
                params![run, status, ended_ms, message.map(mask)],
            )
            .map_err(|s| self.err(s))?;
        Ok(())
    }

    /// Records the steps of a run, in one transaction.
    pub fn insert_step_runs(
        &mut self,
        run: i64,
        pipeline_file: &str,
        steps: &[NewStepRun],
    ) -> Result<(), RuntimeError> {
        let path = self.path.clone();
        let err = |source| RuntimeError::Store { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(err)?;
        {
            let mut stmt = tx
                .prepare(
                    "INSERT INTO step_runs(run_id, step, pipeline_file, position, kind, fingerprint, reuse, reason, status,
                                           reused_run, reused_step, command, manifest)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                )
                .map_err(err)?;
            for s in steps {
                // Parameter values are in it: a secret's value is kept as `***` (a plan masks
                // the manifest it compares with the same way, see `secrets::mask_manifest`).
                let manifest = serde_json::to_string(&s.manifest).unwrap_or_default();
                let manifest = mask(&manifest);
                stmt.execute(params![
                    run,
                    s.step,
                    pipeline_file,
                    s.position,
                    s.kind,
                    s.fingerprint,
                    s.reuse,
                    mask(&s.reason),
                    s.status,
                    s.reused_from.as_ref().map(|r| r.0),
                    s.reused_from.as_ref().map(|r| r.1.as_str()),
                    s.command.as_deref().map(mask),
                    manifest
                ])
                .map_err(err)?;
            }
        }
        tx.commit().map_err(err)
    }

    /// Records that a step started as process `pid`.
    pub fn step_started(
        &self,
        run: i64,
        step: &str,
        started_ms: i64,
        pid: Option<u32>,
    ) -> Result<(), RuntimeError> {
        self.conn
            .prepare_cached(
                "UPDATE step_runs SET status = 'running', started_ms = ?3, pid = ?4
                 WHERE run_id = ?1 AND step = ?2 AND status = 'queued'",
            )
            .and_then(|mut st| st.execute(params![run, step, started_ms, pid]))
            .map_err(|s| self.err(s))?;
        Ok(())
    }

    /// Records how a step ended.
    pub fn step_finished(
        &self,
        run: i64,
        step: &str,
        status: &str,
        ended_ms: Option<i64>,
        exit_code: Option<i32>,
        message: Option<&str>,
    ) -> Result<(), RuntimeError> {
        self.conn
            .prepare_cached(
                "UPDATE step_runs SET status = ?3, ended_ms = COALESCE(?4, ended_ms), exit_code = ?5, message = ?6
                 WHERE run_id = ?1 AND step = ?2",
            )
            .and_then(|mut st| st.execute(params![run, step, status, ended_ms, exit_code, message.map(mask)]))
            .map_err(|s| self.err(s))?;
        Ok(())
    }

    /// Records whose outputs a step reused.
    pub fn step_reused_from(
        &self,
        run: i64,
        step: &str,
        from_run: i64,
        from_step: &str,
    ) -> Result<(), RuntimeError> {
        self.conn
            .execute(
                "UPDATE step_runs SET reused_run = ?3, reused_step = ?4 WHERE run_id = ?1 AND step = ?2",
                params![run, step, from_run, from_step],
            )
            .map_err(|s| self.err(s))?;
        Ok(())
    }

    /// Records the metrics a step wrote.
    pub fn insert_metrics(
        &mut self,
        run: i64,
        step: &str,
        metrics: &[MetricRecord],
    ) -> Result<(), RuntimeError> {
        if metrics.is_empty() {
            return Ok(());
        }
        let path = self.path.clone();
        let err = |source| RuntimeError::Store { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(err)?;
        {
            let mut stmt = tx
                .prepare(
                    "INSERT INTO metrics(run_id, step, seq, name, value, text, at_step, reused)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .map_err(err)?;
            for (i, m) in metrics.iter().enumerate() {
                stmt.execute(params![
                    run,
                    step,
                    i as i64,
                    m.name,
                    m.value,
                    m.text.as_deref().map(mask),
                    m.at_step,
                    m.reused
                ])
                .map_err(err)?;
            }
        }
        tx.commit().map_err(err)
    }

    /// Keeps the listing of a content hash (once).
    pub fn put_listings(&mut self, listings: &[(String, Listing)]) -> Result<(), RuntimeError> {
        let path = self.path.clone();
        let err = |source| RuntimeError::Store { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(err)?;
        {
            let mut exists = tx.prepare("SELECT 1 FROM trees WHERE hash = ?1").map_err(err)?;
            let mut insert =
                tx.prepare("INSERT OR IGNORE INTO trees(hash, listing) VALUES (?1, ?2)").map_err(err)?;
            for (hash, listing) in listings {
                if exists.exists(params![hash]).map_err(err)? {
                    continue;
                }
                insert.execute(params![hash, listing.encode()]).map_err(err)?;
            }
        }
        tx.commit().map_err(err)
    }

    /// Drops the file listings no step's last run refers to (only those explain a later plan),
    /// so the store does not grow with every change of a large tree.
    pub fn prune_listings(&mut self) -> Result<usize, RuntimeError> {
        let path = self.path.clone();
        let err = |source| RuntimeError::Store { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(err)?;
        let removed = {
            let mut stmt = tx
                .prepare(
                    "SELECT s.manifest FROM step_runs s JOIN (
                       SELECT pipeline_file, step, MAX(run_id) AS run_id FROM step_runs
                       WHERE status NOT IN ('skipped', 'queued') GROUP BY pipeline_file, step) last
                     ON s.pipeline_file = last.pipeline_file AND s.step = last.step AND s.run_id = last.run_id",
                )
                .map_err(err)?;
            let manifests: Vec<String> =
                stmt.query_map([], |r| r.get(0)).map_err(err)?.collect::<Result<_, _>>().map_err(err)?;
            tx.execute_batch(
                "CREATE TEMP TABLE IF NOT EXISTS keep(hash TEXT PRIMARY KEY); DELETE FROM keep;",
            )
            .map_err(err)?;
            let mut keep = tx.prepare("INSERT OR IGNORE INTO keep(hash) VALUES (?1)").map_err(err)?;
            for m in manifests {
                let Ok(m) = serde_json::from_str::<Manifest>(&m) else { continue };
                for tree in m.fields.values().filter_map(|f| f.tree.as_ref()) {
                    keep.execute(params![tree]).map_err(err)?;
                }
            }
            tx.execute("DELETE FROM trees WHERE hash NOT IN (SELECT hash FROM keep)", []).map_err(err)?
        };
        tx.commit().map_err(err)?;
        Ok(removed)
    }

    /// True when the listing of `hash` is kept.
    pub fn has_listing(&self, hash: &str) -> bool {
        self.conn
            .query_row("SELECT 1 FROM trees WHERE hash = ?1", params![hash], |_| Ok(()))
            .optional()
            .ok()
            .flatten()
            .is_some()
    }

    /// The listing of a content hash, when kept.
    pub fn listing(&self, hash: &str) -> Option<Listing> {
        let text: Option<String> = self
            .conn
            .query_row("SELECT listing FROM trees WHERE hash = ?1", params![hash], |r| r.get(0))
            .optional()
            .ok()
            .flatten();
        text.and_then(|t| Listing::decode(&t))
    }

    /// The last recorded run of step `step` of the pipeline at `pipeline_file` that started (or
    /// reused outputs): steps that never started say nothing about their inputs.
    pub fn last_step_run(
        &self,
        pipeline_file: &str,
        step: &str,
    ) -> Result<Option<LastStepRun>, RuntimeError> {
        let row: Option<(i64, String, String, String)> = self
            .conn
            .query_row(
                "SELECT run_id, status, fingerprint, manifest FROM step_runs
                 WHERE pipeline_file = ?1 AND step = ?2 AND status NOT IN ('skipped', 'queued')
                 ORDER BY run_id DESC LIMIT 1",
                params![pipeline_file, step],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()
            .map_err(|s| self.err(s))?;
        Ok(row.and_then(|(run_id, status, fingerprint, manifest)| {
            let manifest = serde_json::from_str(&manifest).ok()?;
            Some(LastStepRun { run_id, status, fingerprint, manifest })
        }))
    }

    /// The names of the secrets of the workspaces of the recorded runs (the `secret_names` of
    /// their options), so what is shown of them can be masked.
    pub fn secret_names(&self) -> Result<Vec<String>, RuntimeError> {
        let e = |s| self.err(s);
        let mut stmt = self
            .conn
            .prepare(
                "SELECT DISTINCT j.value FROM runs, json_each(runs.options, '$.secret_names') AS j
                 WHERE json_valid(runs.options) ORDER BY 1",
            )
            .map_err(e)?;
        let names = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(e)?;
        names.collect::<Result<_, _>>().map_err(e)
    }

    /// Runs still marked `running`, with the process ids of their running steps.
    pub fn unfinished_runs(&self) -> Result<Vec<(i64, Vec<u32>)>, RuntimeError> {
        let e = |s| self.err(s);
        let mut stmt = self.conn.prepare("SELECT id FROM runs WHERE status = 'running'").map_err(e)?;
        let ids: Vec<i64> =
            stmt.query_map([], |r| r.get(0)).map_err(e)?.collect::<Result<_, _>>().map_err(e)?;
        let mut out = Vec::new();
        for id in ids {
            let mut stmt = self
                .conn
                .prepare(
                    "SELECT pid FROM step_runs WHERE run_id = ?1 AND status = 'running' AND pid IS NOT NULL",
                )
                .map_err(e)?;
            let pids: Vec<u32> =
                stmt.query_map(params![id], |r| r.get(0)).map_err(e)?.collect::<Result<_, _>>().map_err(e)?;
            out.push((id, pids));
        }
        Ok(out)
    }

    /// Marks an unfinished run, and its unfinished steps, as interrupted.
    pub fn mark_interrupted(&self, run: i64) -> Result<(), RuntimeError> {
        let e = |s| self.err(s);
        self.conn
            .execute(
                "UPDATE step_runs SET status = 'interrupted', message = 'sluice stopped before the step ended'
                 WHERE run_id = ?1 AND status = 'running'",
                params![run],
            )
            .map_err(e)?;
        self.conn
            .execute(
                "UPDATE step_runs SET status = 'skipped', message = 'sluice stopped before the step started'
                 WHERE run_id = ?1 AND status = 'queued'",
                params![run],
            )
            .map_err(e)?;
        self.conn
            .execute(
                "UPDATE runs SET status = 'interrupted', message = 'sluice stopped before the run ended (killed, or the machine stopped)'
                 WHERE id = ?1",
                params![run],
            )
            .map_err(e)?;
        Ok(())
    }

    /// Runs, newest first.
    pub fn list_runs(&self, limit: usize) -> Result<Vec<RunRecord>, RuntimeError> {
        let ids: Vec<i64> = {
            let e = |s| self.err(s);
            let mut stmt = self.conn.prepare("SELECT id FROM runs ORDER BY id DESC LIMIT ?1").map_err(e)?;
            stmt.query_map(params![limit as i64], |r| r.get(0))
                .map_err(e)?
                .collect::<Result<_, _>>()
                .map_err(e)?
        };
        ids.into_iter().filter_map(|id| self.run(id).transpose()).collect()
    }

    /// The newest run's id.
    pub fn latest_run(&self) -> Result<Option<i64>, RuntimeError> {
        self.conn.query_row("SELECT MAX(id) FROM runs", [], |r| r.get(0)).map_err(|s| self.err(s))
    }

    /// One run.
    pub fn run(&self, id: i64) -> Result<Option<RunRecord>, RuntimeError> {
        let e = |s| self.err(s);
        let run = self
            .conn
            .query_row(
                "SELECT r.id, e.name, r.pipeline_file, r.pipeline_name, r.status, r.started_ms, r.ended_ms, r.parameters,
                        r.options, r.git_commit, r.git_branch, r.git_dirty, r.message
                 FROM runs r JOIN experiments e ON e.id = r.experiment_id WHERE r.id = ?1",
                params![id],
                |r| {
                    Ok(RunRecord {
                        id: r.get(0)?,
                        experiment: r.get(1)?,
                        pipeline_file: r.get(2)?,
                        pipeline_name: r.get(3)?,
                        status: r.get(4)?,
                        started_ms: r.get(5)?,
                        ended_ms: r.get(6)?,
                        parameters: json(r.get::<_, String>(7)?),
                        options: json(r.get::<_, String>(8)?),
                        git_commit: r.get(9)?,
                        git_branch: r.get(10)?,
                        git_dirty: r.get(11)?,
                        message: r.get(12)?,
                        steps: Default::default(),
                    })
                },
            )
            .optional()
            .map_err(e)?;
        let Some(mut run) = run else {
            return Ok(None);
        };
        let mut stmt = self
            .conn
            .prepare("SELECT status, COUNT(*) FROM step_runs WHERE run_id = ?1 GROUP BY status")
            .map_err(e)?;
        let counts =
            stmt.query_map(params![id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))).map_err(e)?;
        for c in counts {
            let (k, n) = c.map_err(e)?;
            run.steps.insert(k, n);
        }
        Ok(Some(run))
    }

    /// The step runs of a run, in plan order.
    pub fn step_runs(&self, run: i64) -> Result<Vec<StepRunRecord>, RuntimeError> {
        let e = |s| self.err(s);
        let mut stmt = self
            .conn
            .prepare(
                "SELECT step, kind, fingerprint, reuse, reason, status, reused_run, reused_step, started_ms, ended_ms,
                        exit_code, command, message
                 FROM step_runs WHERE run_id = ?1 ORDER BY position",
            )
            .map_err(e)?;
        let rows = stmt
            .query_map(params![run], |r| {
                Ok(StepRunRecord {
                    step: r.get(0)?,
                    kind: r.get(1)?,
                    fingerprint: r.get(2)?,
                    reuse: r.get(3)?,
                    reason: r.get(4)?,
                    status: r.get(5)?,
                    reused_run: r.get(6)?,
                    reused_step: r.get(7)?,
                    started_ms: r.get(8)?,
                    ended_ms: r.get(9)?,
                    exit_code: r.get(10)?,
                    command: r.get::<_, Option<String>>(11)?.map(json),
                    message: r.get(12)?,
                })
            })
            .map_err(e)?;
        rows.collect::<Result<_, _>>().map_err(e)
    }

    /// The metrics of a run, by step and order written.
    pub fn metrics(&self, run: i64) -> Result<Vec<MetricRecord>, RuntimeError> {
        let e = |s| self.err(s);
        let mut stmt = self
            .conn
            .prepare(
                "SELECT m.step, m.name, m.value, m.text, m.at_step, m.reused FROM metrics m
                 LEFT JOIN step_runs s ON s.run_id = m.run_id AND s.step = m.step
                 WHERE m.run_id = ?1 ORDER BY s.position, m.step, m.seq",
            )
            .map_err(e)?;
        let rows = stmt
            .query_map(params![run], |r| {
                Ok(MetricRecord {
                    step: r.get(0)?,
                    name: r.get(1)?,
                    value: r.get(2)?,
                    text: r.get(3)?,
                    at_step: r.get(4)?,
                    reused: r.get(5)?,
                })
            })
            .map_err(e)?;
        rows.collect::<Result<_, _>>().map_err(e)
    }
}

fn json(text: String) -> serde_json::Value {
    serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_steps_and_metrics_round_trip() {
        let d = tempfile::tempdir().unwrap();
        let mut s = RunStore::open(&d.path().join("runs.db")).unwrap();
        let run = s
            .begin_run(&NewRun {
                experiment: "exp".into(),
                pipeline_file: "p.yml".into(),
                pipeline_name: Some("p".into()),
                parameters: serde_json::json!({"lr": 0.1}),
                options: serde_json::json!({}),
                git: None,
                started_ms: 1,
                ids_above: 0,
            })
            .unwrap();
        let step = NewStepRun {
            step: "a".into(),
            position: 0,
            kind: "command".into(),
            fingerprint: "f".repeat(64),
            reuse: "miss".into(),
            reason: "never run".into(),
            status: "queued".into(),
            reused_from: None,
            command: Some("[\"python3\"]".into()),
            manifest: Manifest::default(),
        };
        s.insert_step_runs(run, "p.yml", &[step]).unwrap();
        s.step_started(run, "a", 2, Some(99)).unwrap();
        assert_eq!(s.unfinished_runs().unwrap(), vec![(run, vec![99])]);
        s.step_finished(run, "a", status::COMPLETED, Some(3), Some(0), None).unwrap();
        let m = MetricRecord {
            step: "a".into(),
            name: "rmse".into(),
            value: Some(0.5),
            text: None,
            at_step: None,
            reused: false,
        };
        s.insert_metrics(run, "a", std::slice::from_ref(&m)).unwrap();
        s.finish_run(run, status::COMPLETED, 4, None).unwrap();
        let r = s.run(run).unwrap().unwrap();
        assert_eq!(r.status, "completed");
        assert_eq!(r.steps.get("completed"), Some(&1));
        assert_eq!(s.metrics(run).unwrap(), vec![m]);
        let last = s.last_step_run("p.yml", "a").unwrap().unwrap();
        assert_eq!((last.run_id, last.status.as_str()), (run, "completed"));
        assert!(s.unfinished_runs().unwrap().is_empty());
        // Reopening keeps everything.
        drop(s);
        let s = RunStore::open(&d.path().join("runs.db")).unwrap();
        assert_eq!(s.latest_run().unwrap(), Some(run));
    }

    #[test]
    fn run_ids_stay_above_those_in_use_outside_the_store() {
        let d = tempfile::tempdir().unwrap();
        let s = RunStore::open(&d.path().join("runs.db")).unwrap();
        let new = |ids_above| NewRun {
            experiment: "e".into(),
            pipeline_file: "p.yml".into(),
            pipeline_name: None,
            parameters: serde_json::json!({}),
            options: serde_json::json!({"secret_names": ["MY_KEY", "MY_SAS"]}),
            git: None,
            started_ms: 0,
            ids_above,
        };
        // An emptied store with run folders 1 to 7 left: the next run is 8.
        assert_eq!(s.begin_run(&new(7)).unwrap(), 8);
        assert_eq!(s.begin_run(&new(0)).unwrap(), 9);
        assert_eq!(s.begin_run(&new(3)).unwrap(), 10);
        assert_eq!(s.secret_names().unwrap(), ["MY_KEY", "MY_SAS"]);
    }
}

#[cfg(test)]
mod prune_tests {
    use super::*;
    use sluice_compiler::fingerprint::{Field, Listing};

    #[test]
    fn listings_no_last_run_needs_are_dropped() {
        let d = tempfile::tempdir().unwrap();
        let mut s = RunStore::open(&d.path().join("runs.db")).unwrap();
        let run = s
            .begin_run(&NewRun {
                experiment: "e".into(),
                pipeline_file: "p.yml".into(),
                pipeline_name: None,
                parameters: serde_json::json!({}),
                options: serde_json::json!({}),
                git: None,
                started_ms: 0,
                ids_above: 0,
            })
            .unwrap();
        let mut manifest = Manifest::default();
        manifest.insert("source", Field { value: "a".into(), origin: None, tree: Some("a".into()) });
        let step = NewStepRun {
            step: "s".into(),
            position: 0,
            kind: "command".into(),
            fingerprint: "f".into(),
            reuse: "miss".into(),
            reason: "never run".into(),
            status: status::COMPLETED.into(),
            reused_from: None,
            command: None,
            manifest,
        };
        s.insert_step_runs(run, "p.yml", &[step]).unwrap();
        s.put_listings(&[("a".into(), Listing::default()), ("b".into(), Listing::default())]).unwrap();
        assert_eq!(s.prune_listings().unwrap(), 1);
        assert!(s.has_listing("a"));
        assert!(!s.has_listing("b"));
    }
}
