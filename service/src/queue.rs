//! The run queue's workers. Each worker claims the oldest queued run, prepares its snapshot
//! (materialised and compiled once per snapshot), and executes it with the runtime against the
//! service's state folder: same cache, same reuse, same run store as `sluice run`.
//!
//! The runtime holds the state folder's lock for a whole run, so runs of one service execute
//! one at a time (their steps in parallel, up to `--jobs`); the workers pass through one gate
//! before the runtime, which lets a run waiting there be canceled at once. A worker prepares
//! the next run (snapshot, compile, parameter values) while another executes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use sluice_runtime::CancelToken;
use sluice_runtime::plan::PlanOptions;
use sluice_runtime::progress::{Reporter, StepEnd};
use sluice_runtime::run::{self, RunOptions};
use sluice_runtime::store::status as local;
use tokio::sync::Notify;

use crate::app::App;
use crate::catalog::apply_data_paths;
use crate::error::Result;
use crate::store::{pipelines, runs};
use crate::wire::status;

/// The queue's coordination: wake-ups, cancel handles of the runs being worked on, the gate
/// before the runtime, and the stop signal.
#[derive(Debug, Default)]
pub struct Queue {
    notify: Notify,
    cancels: Mutex<HashMap<String, CancelToken>>,
    gate: tokio::sync::Mutex<()>,
    stopping: CancelToken,
    workers: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

/// How a run ended, for the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ended {
    Finished,
    Failed(String),
    Canceled,
}

impl Queue {
    /// A queue with no workers.
    pub fn new() -> Queue {
        Queue::default()
    }

    /// Tells the workers that a run was queued.
    pub fn wake(&self) {
        self.notify.notify_waiters();
        self.notify.notify_one();
    }

    /// Stops the run if a worker holds it (the database says `CancelRequested` already).
    pub fn cancel(&self, run: &str) {
        if let Some(t) = self.cancels.lock().unwrap_or_else(|p| p.into_inner()).get(run) {
            t.cancel();
        }
    }

    /// True once the service is stopping.
    pub fn is_stopping(&self) -> bool {
        self.stopping.is_canceled()
    }

    /// Starts the workers.
    pub fn start(app: &App) {
        let n = app.config.workers.max(1);
        let mut workers = app.queue.workers.lock().unwrap_or_else(|p| p.into_inner());
        for i in 0..n {
            workers.push(tokio::spawn(worker(app.clone(), i)));
        }
    }

    /// Begins stopping: no run is taken any more, the runs under way are stopped (and will be
    /// put back in the queue).
    pub fn begin_stop(&self) {
        self.stopping.cancel();
        for t in self.cancels.lock().unwrap_or_else(|p| p.into_inner()).values() {
            t.cancel();
        }
        self.notify.notify_waiters();
    }

    /// Stops the workers: the runs they execute are stopped and put back in the queue.
    pub async fn stop(&self) {
        self.begin_stop();
        let handles: Vec<_> = std::mem::take(&mut *self.workers.lock().unwrap_or_else(|p| p.into_inner()));
        for h in handles {
            // The runtime stops a step with SIGTERM, then SIGKILL after 5 seconds.
            let _ = tokio::time::timeout(Duration::from_secs(20), h).await;
        }
    }
}

async fn worker(app: App, n: usize) {
    loop {
        if app.queue.is_stopping() {
            return;
        }
        // Registered before looking, so a submission in between is not missed.
        let notified = app.queue.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let claimed = app.db.call(|c| runs::claim_next(c, sluice_runtime::time::now_ms())).await;
        match claimed {
            Ok(Some(run)) => {
                tracing::info!(worker = n, run = %run.id, pipeline = %run.pipeline, "run taken from the queue");
                process(&app, run).await;
            }
            Ok(None) => {
                tokio::select! {
                    _ = notified => {}
                    _ = app.queue.stopping.canceled() => return,
                    // A cheap look now and then, whatever happens to wake-ups.
                    _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                }
            }
            Err(e) => {
                tracing::error!(worker = n, error = %e, "cannot read the queue");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

async fn process(app: &App, run: runs::RunRow) {
    let token = CancelToken::new();
    app.queue.cancels.lock().unwrap_or_else(|p| p.into_inner()).insert(run.id.clone(), token.clone());
    let ended = execute(app, &run, &token).await;
    app.queue.cancels.lock().unwrap_or_else(|p| p.into_inner()).remove(&run.id);
    if let Err(e) = record_end(app, &run, ended).await {
        tracing::error!(run = %run.id, error = %e, "cannot record how the run ended");
    }
}

async fn record_end(app: &App, run: &runs::RunRow, ended: Ended) -> Result<()> {
    let id = run.id.clone();
    app.db
        .call(move |c| {
            let now = sluice_runtime::time::now_ms();
            let current = runs::get(c, &id)?.map(|r| r.status).unwrap_or_default();
            if current == status::CANCELED {
                // Canceled while it waited: already recorded.
                return Ok(());
            }
            match ended {
                Ended::Finished => runs::finish(c, &id, status::FINISHED, None, now),
                Ended::Failed(why) => runs::finish(c, &id, status::FAILED, Some(&why), now),
                // A cancel asked for over the API is recorded first; any other stop (the
                // service's SIGTERM or Ctrl-C) puts the run back.
                Ended::Canceled if current == status::CANCEL_REQUESTED => {
                    runs::finish(c, &id, status::CANCELED, Some("canceled on request"), now)
                }
                Ended::Canceled => runs::requeue(
                    c,
                    &id,
                    "the service stopped while this run was under way; it waits in the queue again",
                    now,
                ),
            }
        })
        .await?;
    tracing::info!(run = %run.id, "run ended");
    Ok(())
}

async fn execute(app: &App, run: &runs::RunRow, token: &CancelToken) -> Ended {
    let pipeline_id = run.pipeline.clone();
    let pipeline = match app.db.call(move |c| pipelines::get(c, &pipeline_id)).await {
        Ok(Some(p)) => p,
        Ok(None) => return Ended::Failed(format!("published pipeline {} is gone", run.pipeline)),
        Err(e) => return Ended::Failed(format!("cannot read the published pipeline: {e}")),
    };
    let prepared = match app.catalog.prepared(&app.db, &pipeline.snapshot).await {
        Ok(p) => p,
        Err(e) => return Ended::Failed(format!("cannot prepare the pipeline's snapshot: {e}")),
    };
    let mut compiled = prepared.compiled_copy();
    apply_data_paths(&mut compiled, &run.data_paths);
    // One run at a time in the state folder; a cancel while waiting here ends the run at once.
    let _gate = tokio::select! {
        g = app.queue.gate.lock() => g,
        _ = token.canceled() => return Ended::Canceled,
    };
    if token.is_canceled() {
        return Ended::Canceled;
    }
    let id = run.id.clone();
    let still_queued = app.db.call(move |c| Ok(runs::get(c, &id)?.map(|r| r.status))).await;
    if !matches!(still_queued, Ok(Some(ref s)) if s == status::QUEUED) {
        return Ended::Canceled;
    }
    let opts = RunOptions {
        plan: PlanOptions {
            parameters: run.assignments.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            regenerate_outputs: false,
            explain: false,
        },
        jobs: app.config.jobs,
        experiment: Some(run.experiment.clone()),
        continue_on_step_failure: run.continue_on_step_failure.unwrap_or(pipeline.continue_on_step_failure),
        state: Some(app.state.clone()),
        cancel: Some(token.clone()),
        ..RunOptions::default()
    };
    let mut reporter = QueueReporter { app: app.clone(), run: run.id.clone(), local: None };
    let file = prepared.pipeline_file.clone();
    let result = tokio::task::spawn_blocking(move || {
        let r = run::run(&compiled, &file, &opts, &mut reporter);
        (r, reporter.local)
    })
    .await;
    match result {
        Ok((Ok(summary), _)) => match summary.status {
            local::COMPLETED => Ended::Finished,
            local::CANCELED => Ended::Canceled,
            _ => {
                let message = app
                    .with_run_store(|s| Ok(s.run(summary.run)?.and_then(|r| r.message)))
                    .ok()
                    .flatten()
                    .unwrap_or_else(|| "a step failed".to_string());
                Ended::Failed(message)
            }
        },
        Ok((Err(e), _)) => Ended::Failed(e.to_string()),
        Err(e) => Ended::Failed(format!("the run stopped unexpectedly: {e}")),
    }
}

/// Records the runtime's run id as soon as it exists (the run is `Running` from then on) and
/// logs what the steps do.
struct QueueReporter {
    app: App,
    run: String,
    local: Option<i64>,
}

impl Reporter for QueueReporter {
    fn waiting(&mut self, holder: &str) {
        tracing::info!(run = %self.run, holder, "waiting for the state folder");
    }
    fn started(&mut self, run: i64, pipeline: &str, steps: usize, to_run: usize, reused: usize) {
        self.local = Some(run);
        let now = sluice_runtime::time::now_ms();
        if let Err(e) = self.app.db.with(|c| runs::set_running(c, &self.run, run, now)) {
            tracing::error!(run = %self.run, error = %e, "cannot record that the run started");
        }
        tracing::info!(run = %self.run, local_run = run, pipeline, steps, to_run, reused, "run started");
    }
    fn reused(&mut self, step: &str, reason: &str) {
        tracing::info!(run = %self.run, step, reason, "step reused");
    }
    fn step_started(&mut self, step: &str, reason: &str) {
        tracing::info!(run = %self.run, step, reason, "step started");
    }
    fn step_ended(&mut self, step: &str, end: &StepEnd, ms: i64) {
        match end {
            StepEnd::Completed => tracing::info!(run = %self.run, step, ms, "step completed"),
            StepEnd::Failed(why) => tracing::warn!(run = %self.run, step, ms, why = %why, "step failed"),
            StepEnd::Canceled => tracing::info!(run = %self.run, step, ms, "step canceled"),
        }
    }
    fn failure_output(&mut self, _step: &str, _text: &str) {
        // The logs are served by the API; the service log stays one line per event.
    }
    fn skipped(&mut self, step: &str, reason: &str) {
        tracing::info!(run = %self.run, step, reason, "step skipped");
    }
    fn canceling(&mut self) {
        tracing::info!(run = %self.run, "run canceling");
    }
    fn finished(&mut self, summary: &str) {
        let first = summary.lines().next().unwrap_or_default();
        tracing::info!(run = %self.run, summary = first, "run finished");
    }
}
