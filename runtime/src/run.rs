//! `sluice run`: plans under the state lock, then runs the steps that do not reuse outputs,
//! independent steps in parallel, each as its own process group; records everything in the run
//! store; stops the process groups on Ctrl-C (or SIGTERM) and records the run as canceled.

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sluice_compiler::Compiled;
use sluice_compiler::fingerprint::HashCache;
use sluice_compiler::ir::{Source, StepId};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::cache::{OutputCache, remove_tree};
use crate::command;
use crate::exec::{self, CachedInput, Event, Outcome, StepJob};
use crate::logs::{self, LogLimit};
use crate::plan::{self, Plan, PlanOptions, Reuse};
use crate::progress::{Masked, Reporter, StepEnd};
use crate::secrets::Secrets;
use crate::state::{LOCK_POLL, LockWait, StateDir, StateLock};
use crate::store::{MetricRecord, NewRun, NewStepRun, RunStore, status};
use crate::{RuntimeError, git, orphans, time};

/// What a run is made with.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Parameters, regeneration.
    pub plan: PlanOptions,
    /// Steps at once (default: the machine's cores).
    pub jobs: Option<usize>,
    /// Experiment name (default: the pipeline's experiment name, else its name).
    pub experiment: Option<String>,
    /// Run the steps that do not depend on a failed step.
    pub continue_on_step_failure: bool,
    /// How long to wait for another process holding the state folder.
    pub wait: LockWait,
    /// The most a step's log keeps of each stream.
    pub log_limit: LogLimit,
    /// The state folder to use instead of `.sluice` beside the workspace (the workspace
    /// service runs every published pipeline against its own).
    pub state: Option<StateDir>,
    /// Cancels the run like Ctrl-C when triggered (the workspace service's cancel).
    pub cancel: Option<crate::CancelToken>,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSummary {
    /// Run id.
    pub run: i64,
    /// `completed`, `failed` or `canceled`.
    pub status: &'static str,
    /// Steps that ran and succeeded.
    pub completed: usize,
    /// Steps whose outputs were reused.
    pub reused: usize,
    /// Steps that failed.
    pub failed: usize,
    /// Steps that did not run.
    pub skipped: usize,
    /// Steps stopped or not started because of a cancel.
    pub canceled: usize,
    /// Wall time, ms.
    pub ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum St {
    Waiting,
    Running,
    Done,
    Reused,
    Failed,
    Skipped,
    Canceled,
}

/// Runs a compiled pipeline read from `pipeline_file`.
pub fn run(
    compiled: &Compiled,
    pipeline_file: &Path,
    opts: &RunOptions,
    reporter: &mut dyn Reporter,
) -> Result<RunSummary, RuntimeError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| RuntimeError::Other(format!("cannot start the runtime: {e}")))?;
    // Steps see only the variables they need; nothing shown or stored shows a secret's value.
    let secrets = Secrets::of_workspace(&compiled.workspace);
    let env = StepEnv {
        base: Arc::new(secrets.step_environment(std::env::vars_os())),
        secret_names: secrets.names().map(str::to_string).collect(),
    };
    crate::secrets::install(secrets);
    let mut masked = Masked(reporter);
    rt.block_on(run_async(compiled, pipeline_file, opts, &env, &mut masked))
}

/// What the steps of a run get of sluice's environment.
struct StepEnv {
    /// The variables every step gets (see [`crate::secrets`]).
    base: Arc<Vec<(OsString, OsString)>>,
    /// The workspace's secrets, by name (recorded with the run, to mask what is shown later).
    secret_names: Vec<String>,
}

async fn run_async(
    compiled: &Compiled,
    pipeline_file: &Path,
    opts: &RunOptions,
    env: &StepEnv,
    reporter: &mut dyn Reporter,
) -> Result<RunSummary, RuntimeError> {
    // From here on Ctrl-C is ours: it cancels the run instead of killing sluice.
    let mut signals = Signals::new(opts.cancel.clone())?;
    let state = opts.state.clone().unwrap_or_else(|| StateDir::for_root(&compiled.workspace.root));
    state.create()?;
    let _lock = wait_for_lock(&state, opts.wait, &mut signals, reporter).await?;
    let started = time::now_ms();
    // Before anything is written: a cache entry cut short (a crash, a full disk) only takes
    // room, and on a full disk that room is what the run store needs.
    OutputCache::new(state.cache_dir(), state.tmp_dir()).remove_incomplete();
    let mut store = RunStore::open(&state.store_path())?;
    recover(&store, &state)?;

    let hash_cache = Arc::new(HashCache::load(&state.hash_cache_path()));
    let plan = plan::plan(compiled, pipeline_file, &state, Some(&store), &hash_cache, &opts.plan)?;
    let _ = hash_cache.save(&state.hash_cache_path());
    if !plan.problems.is_empty() {
        return Err(RuntimeError::NotRunnable(plan.problems.clone()));
    }
    check_programs(&plan)?;

    let pipeline = &compiled.pipeline;
    let experiment = opts
        .experiment
        .clone()
        .or_else(|| pipeline.experiment_name.clone())
        .unwrap_or_else(|| plan.pipeline.clone());
    let pipeline_dir = std::path::absolute(pipeline_file)
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("."));
    let jobs =
        opts.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1);
    let continue_on_failure = opts.continue_on_step_failure || pipeline.continue_on_step_failure;
    let run_id = store.begin_run(&NewRun {
        experiment: experiment.clone(),
        pipeline_file: plan.store_name.clone(),
        pipeline_name: Some(plan.pipeline.clone()),
        parameters: plan.parameters.clone(),
        options: serde_json::json!({
            "jobs": jobs,
            "regenerate_outputs": opts.plan.regenerate_outputs,
            "continue_on_step_failure": continue_on_failure,
            "overridden": plan.values.overridden,
            "secret_names": env.secret_names,
        }),
        git: git::info(&pipeline_dir),
        started_ms: started,
        ids_above: state.highest_run_folder(),
    })?;
    // The run's folder claims its id on disk even when every step is reused: a run store that
    // is lost or emptied never gives the id again (ids stay above the highest run folder).
    let run_dir = state.runs_dir().join(run_id.to_string());
    std::fs::create_dir_all(&run_dir).map_err(|e| RuntimeError::io(&run_dir, e))?;
    store.put_listings(&plan.listings())?;
    let rows: Vec<NewStepRun> = plan
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| NewStepRun {
            step: s.key.clone(),
            position: i as i64,
            kind: s.kind.clone(),
            fingerprint: s.fingerprint.clone(),
            reuse: s.reuse.as_str().to_string(),
            reason: s.reason.clone(),
            status: if s.reuse == Reuse::Hit && s.same_as.is_none() {
                status::REUSED
            } else {
                status::QUEUED
            }
            .to_string(),
            reused_from: s.reused_from.as_ref().and_then(|r| r.run.map(|run| (run, r.step.clone()))),
            command: s.command.as_ref().map(|c| serde_json::to_string(c).unwrap_or_default()),
            manifest: s.fp.manifest.clone(),
        })
        .collect();
    store.insert_step_runs(run_id, &plan.store_name, &rows)?;

    let (hits, misses, disabled) = plan.counts();
    reporter.started(run_id, &plan.pipeline, plan.steps.len(), misses + disabled, hits);
    let mut sched = Scheduler {
        plan: &plan,
        store: &mut store,
        state: &state,
        cache: OutputCache::new(state.cache_dir(), state.tmp_dir()),
        run: run_id,
        experiment,
        status: vec![St::Waiting; plan.steps.len()],
        deps: Vec::new(),
        pids: HashMap::new(),
        first_failure: None,
        canceled: false,
        programs: HashMap::new(),
        base_env: env.base.clone(),
        hashes: hash_cache.clone(),
    };
    sched.deps = plan
        .steps
        .iter()
        .map(|s| {
            let by_key: HashMap<&str, usize> =
                plan.steps.iter().enumerate().map(|(i, s)| (s.key.as_str(), i)).collect();
            let mut d: Vec<usize> =
                s.depends_on.iter().filter_map(|k| by_key.get(k.as_str()).copied()).collect();
            if let Some(twin) = s.same_as.and_then(|t| index_of(&plan, t)) {
                d.push(twin);
            }
            d
        })
        .collect();
    for i in 0..plan.steps.len() {
        let s = &plan.steps[i];
        if s.reuse == Reuse::Hit && s.same_as.is_none() {
            sched.status[i] = St::Reused;
            sched.copy_cached_metrics(i)?;
            reporter.reused(&s.key, &s.reason);
        }
    }
    if let Err(e) = sched.execute(jobs, continue_on_failure, opts.log_limit, &mut signals, reporter).await {
        // sluice itself failed (the run store cannot be written: a full disk): stop the steps,
        // give back the room of their outputs, and record the run as failed with the reason,
        // if the store takes it.
        sched.abort();
        let _ = store.finish_run(run_id, status::FAILED, time::now_ms(), Some(&e.to_string()));
        return Err(e);
    }
    // The hashes of the outputs stored by this run, so the next plan checks them reading nothing.
    let _ = hash_cache.save(&state.hash_cache_path());

    let count = |st: St| sched.status.iter().filter(|s| **s == st).count();
    let (completed, reused, failed, skipped, canceled) =
        (count(St::Done), count(St::Reused), count(St::Failed), count(St::Skipped), count(St::Canceled));
    let run_status = if sched.canceled {
        status::CANCELED
    } else if failed > 0 {
        status::FAILED
    } else {
        status::COMPLETED
    };
    let ended = time::now_ms();
    let message = sched.first_failure.as_ref().map(|(k, why)| format!("step `{k}` failed ({why})"));
    store.finish_run(run_id, run_status, ended, message.as_deref())?;
    store.prune_listings()?;
    let summary = RunSummary {
        run: run_id,
        status: run_status,
        completed,
        reused,
        failed,
        skipped,
        canceled,
        ms: ended - started,
    };
    let mut text = summary_line(&summary, plan.steps.len(), message.as_deref());
    if run_status == status::COMPLETED {
        let here = std::env::current_dir().unwrap_or_default();
        text.push_str(&final_outputs(&plan, &here));
    }
    reporter.finished(&text);
    Ok(summary)
}

/// Where the outputs of the last steps (those no step reads) are, for people to find them
/// (relative to `here` when inside it).
fn final_outputs(plan: &Plan, here: &Path) -> String {
    const MAX: usize = 8;
    let read: std::collections::HashSet<&str> =
        plan.steps.iter().flat_map(|s| s.depends_on.iter().map(String::as_str)).collect();
    let outs: Vec<String> = plan
        .steps
        .iter()
        .filter(|s| !read.contains(s.key.as_str()))
        .flat_map(|s| {
            s.outputs.iter().map(move |(name, p)| {
                let shown = p
                    .strip_prefix(here)
                    .map_or_else(|_| p.display().to_string(), |r| r.display().to_string());
                format!("\n  {}.{name}: {shown}", s.key)
            })
        })
        .collect();
    if outs.is_empty() {
        return String::new();
    }
    let more = if outs.len() > MAX {
        format!("\n  ... and {} more (see `sluice plan --json`)", outs.len() - MAX)
    } else {
        String::new()
    };
    format!("\noutputs:{}{more}", outs.into_iter().take(MAX).collect::<String>())
}

fn summary_line(s: &RunSummary, total: usize, failure: Option<&str>) -> String {
    let d = time::format_duration(s.ms);
    let mut parts = vec![format!("{} ran", s.completed), format!("{} reused", s.reused)];
    for (n, what) in [(s.failed, "failed"), (s.skipped, "skipped"), (s.canceled, "canceled")] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    let all_reused = s.reused == total && total > 0;
    let head = match s.status {
        status::COMPLETED if all_reused => {
            format!("run {} completed in {d}: all {total} steps reused, nothing to do", s.run)
        }
        status::COMPLETED => format!("run {} completed in {d}: {}", s.run, parts.join(", ")),
        status::CANCELED => format!("run {} canceled after {d}: {}", s.run, parts.join(", ")),
        _ => format!("run {} failed after {d}: {}", s.run, parts.join(", ")),
    };
    match failure {
        Some(f) if s.status == status::FAILED => format!("{head}\n{f}; see `sluice runs logs {}`", s.run),
        _ => head,
    }
}

fn index_of(plan: &Plan, id: StepId) -> Option<usize> {
    plan.steps.iter().position(|s| s.id == id)
}

/// Every program a running step needs must be found before anything starts.
fn check_programs(plan: &Plan) -> Result<(), RuntimeError> {
    let mut missing = Vec::new();
    for s in plan.steps.iter().filter(|s| s.runs()) {
        match s.command.as_ref().and_then(|c| c.first()) {
            Some(p) if command::find_program(p).is_none() => {
                let hint = if *p == command::python() && std::env::var_os("SLUICE_PYTHON").is_none() {
                    "install Python 3 or set SLUICE_PYTHON to an interpreter"
                } else {
                    "check its name and PATH"
                };
                missing.push(format!("step `{}` needs `{p}`, which is not on PATH: {hint}", s.key));
            }
            Some(_) => {}
            // sluice copies the data of a DataTransferStep itself.
            None if matches!(s.step.kind, sluice_compiler::ir::StepKind::DataTransfer { .. }) => {}
            None => missing.push(format!("step `{}` has no command to run", s.key)),
        }
    }
    if missing.is_empty() { Ok(()) } else { Err(RuntimeError::NotRunnable(missing)) }
}

/// Takes the state folder's lock, waiting as `wait` says; Ctrl-C or SIGTERM while waiting ends
/// the wait (nothing has started yet, so there is nothing to record).
async fn wait_for_lock(
    state: &StateDir,
    wait: LockWait,
    signals: &mut Signals,
    reporter: &mut dyn Reporter,
) -> Result<StateLock, RuntimeError> {
    if let Some(lock) = state.try_lock()? {
        return Ok(lock);
    }
    let busy =
        |waited_ms| RuntimeError::Busy { state: state.dir.clone(), holder: state.lock_holder(), waited_ms };
    let deadline = match wait {
        LockWait::No => return Err(busy(None)),
        LockWait::Timeout(d) => Some(d),
        LockWait::Forever => None,
    };
    reporter.waiting(&state.lock_holder());
    let t0 = std::time::Instant::now();
    loop {
        tokio::select! {
            _ = signals.recv() => {
                return Err(RuntimeError::Canceled("while waiting for the state folder's lock".to_string()));
            }
            _ = tokio::time::sleep(LOCK_POLL) => {}
        }
        if let Some(lock) = state.try_lock()? {
            return Ok(lock);
        }
        if deadline.is_some_and(|d| t0.elapsed() >= d) {
            return Err(busy(Some(t0.elapsed().as_millis() as i64)));
        }
    }
}

/// Marks runs left unfinished by a sluice that died as interrupted, ends their leftover process
/// groups, and drops their temporary outputs (which never reached the cache).
fn recover(store: &RunStore, state: &StateDir) -> Result<(), RuntimeError> {
    for (run, pids) in store.unfinished_runs()? {
        for pid in pids {
            orphans::end_group_of_run(pid, run);
        }
        store.mark_interrupted(run)?;
    }
    let tmp = state.tmp_dir();
    if let Ok(entries) = std::fs::read_dir(&tmp) {
        for e in entries.flatten() {
            let _ = remove_tree(&e.path());
        }
    }
    Ok(())
}

/// SIGINT and SIGTERM (and a [`crate::CancelToken`], once) as a stream of "cancel" requests.
struct Signals {
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    /// Taken when it fires: a token stays canceled, and only a second Ctrl-C means "kill now".
    token: Option<crate::CancelToken>,
}

impl Signals {
    fn new(token: Option<crate::CancelToken>) -> Result<Signals, RuntimeError> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let err = |e| RuntimeError::Other(format!("cannot handle signals: {e}"));
            Ok(Signals {
                int: signal(SignalKind::interrupt()).map_err(err)?,
                term: signal(SignalKind::terminate()).map_err(err)?,
                token,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals { token })
    }

    async fn recv(&mut self) {
        let token = self.token.clone();
        let token = async move {
            match token {
                Some(t) => t.canceled().await,
                None => std::future::pending().await,
            }
        };
        #[cfg(unix)]
        let from_token = tokio::select! {
            _ = self.int.recv() => false,
            _ = self.term.recv() => false,
            _ = token => true,
        };
        #[cfg(not(unix))]
        let from_token = tokio::select! {
            _ = tokio::signal::ctrl_c() => false,
            _ = token => true,
        };
        if from_token {
            self.token = None;
        }
    }
}

struct Scheduler<'a> {
    plan: &'a Plan,
    store: &'a mut RunStore,
    state: &'a StateDir,
    cache: OutputCache,
    run: i64,
    experiment: String,
    status: Vec<St>,
    deps: Vec<Vec<usize>>,
    pids: HashMap<usize, u32>,
    first_failure: Option<(String, String)>,
    canceled: bool,
    programs: HashMap<String, Option<PathBuf>>,
    base_env: Arc<Vec<(OsString, OsString)>>,
    hashes: Arc<HashCache>,
}

impl Scheduler<'_> {
    async fn execute(
        &mut self,
        jobs: usize,
        continue_on_failure: bool,
        log_limit: LogLimit,
        signals: &mut Signals,
        reporter: &mut dyn Reporter,
    ) -> Result<(), RuntimeError> {
        let (tx, mut rx) = mpsc::unbounded_channel::<Event>();
        let mut running: JoinSet<(usize, Outcome, i64)> = JoinSet::new();
        let mut tasks: HashMap<tokio::task::Id, usize> = HashMap::new();
        let mut kill_deadline: Option<std::pin::Pin<Box<tokio::time::Sleep>>> = None;
        let mut stopping = false;
        loop {
            if !self.canceled {
                self.settle(reporter, stopping)?;
                if !stopping {
                    for i in 0..self.plan.steps.len() {
                        if running.len() >= jobs {
                            break;
                        }
                        if self.status[i] == St::Waiting && self.ready(i) {
                            let job = self.job(i, log_limit)?;
                            self.status[i] = St::Running;
                            reporter.step_started(&self.plan.steps[i].key, &self.plan.steps[i].reason);
                            let handle = running.spawn(exec::run_step(job, tx.clone()));
                            tasks.insert(handle.id(), i);
                        }
                    }
                }
            }
            if running.is_empty() {
                break;
            }
            tokio::select! {
                // A step's start is always handled before its end.
                biased;
                Some(ev) = rx.recv() => match ev {
                    Event::Started { index, pid, at_ms } => {
                        self.pids.insert(index, pid);
                        self.store.step_started(self.run, &self.plan.steps[index].key, at_ms, Some(pid))?;
                        if self.canceled {
                            kill_group(pid, true);
                        }
                    }
                },
                Some(done) = running.join_next_with_id() => {
                    let (i, outcome, ms) = match done {
                        Ok((id, result)) => {
                            tasks.remove(&id);
                            result
                        }
                        // A step's task cannot panic by design; if one did, its step failed.
                        Err(e) => match tasks.remove(&e.id()) {
                            Some(i) => (i, Outcome::Failed { code: None, why: format!("internal error: {e}") }, 0),
                            None => continue,
                        },
                    };
                    self.pids.remove(&i);
                    self.finished(i, outcome, ms, reporter)?;
                    if self.status[i] == St::Failed && !continue_on_failure {
                        stopping = true;
                    }
                }
                _ = signals.recv() => {
                    if self.canceled {
                        // A second Ctrl-C: no more waiting.
                        for pid in self.pids.values() { kill_group(*pid, true); }
                    } else {
                        self.canceled = true;
                        reporter.canceling();
                        for pid in self.pids.values() { kill_group(*pid, false); }
                        kill_deadline = Some(Box::pin(tokio::time::sleep(std::time::Duration::from_secs(5))));
                    }
                }
                _ = async { if let Some(d) = kill_deadline.as_mut() { d.await } else { std::future::pending().await } } => {
                    for pid in self.pids.values() { kill_group(*pid, true); }
                    kill_deadline = None;
                }
            }
        }
        // Whatever did not start now never will.
        let why = if self.canceled {
            "the run was canceled".to_string()
        } else {
            match &self.first_failure {
                Some((k, _)) => format!("the run stopped after step `{k}` failed"),
                None => "it could not start".to_string(),
            }
        };
        for i in 0..self.plan.steps.len() {
            if self.status[i] == St::Waiting {
                self.skip(i, &why, reporter)?;
            }
        }
        // Outputs of steps that did not succeed never reach the cache.
        for i in 0..self.plan.steps.len() {
            let _ = remove_tree(&self.state.tmp_dir().join(format!("{}-{i}", self.run)));
        }
        Ok(())
    }

    /// Ends every running step at once and removes the temporary outputs of this run.
    fn abort(&mut self) {
        for pid in self.pids.values() {
            kill_group(*pid, true);
        }
        for i in 0..self.plan.steps.len() {
            let _ = remove_tree(&self.state.tmp_dir().join(format!("{}-{i}", self.run)));
        }
    }

    /// True when every step `i` waits for has its outputs.
    fn ready(&self, i: usize) -> bool {
        self.deps[i].iter().all(|&d| matches!(self.status[d], St::Done | St::Reused))
    }

    /// Resolves what no longer needs to wait: steps whose twin made their outputs are reused,
    /// steps after a failure are skipped (repeated until nothing changes).
    fn settle(&mut self, reporter: &mut dyn Reporter, stopping: bool) -> Result<(), RuntimeError> {
        loop {
            let mut changed = false;
            for i in 0..self.plan.steps.len() {
                if self.status[i] != St::Waiting {
                    continue;
                }
                let blocked = self.deps[i]
                    .iter()
                    .find(|&&d| matches!(self.status[d], St::Failed | St::Skipped | St::Canceled));
                if let Some(&d) = blocked {
                    let dep = &self.plan.steps[d].key;
                    let why = if self.status[d] == St::Failed {
                        format!("step `{dep}` failed")
                    } else {
                        format!("step `{dep}` did not run")
                    };
                    self.skip(i, &why, reporter)?;
                    changed = true;
                    continue;
                }
                let s = &self.plan.steps[i];
                if let (Some(twin), true) = (s.same_as, self.ready(i)) {
                    let twin_key = self.plan.step(twin).map(|t| t.key.clone()).unwrap_or_default();
                    if !stopping || self.cache.marker(&s.fingerprint).is_some() {
                        self.status[i] = St::Reused;
                        self.store.step_finished(self.run, &s.key, status::REUSED, None, None, None)?;
                        self.store.step_reused_from(self.run, &s.key, self.run, &twin_key)?;
                        self.copy_cached_metrics(i)?;
                        reporter.reused(&s.key, &format!("same inputs as step `{twin_key}`"));
                        changed = true;
                    }
                }
            }
            if !changed {
                return Ok(());
            }
        }
    }

    fn skip(&mut self, i: usize, why: &str, reporter: &mut dyn Reporter) -> Result<(), RuntimeError> {
        self.status[i] = St::Skipped;
        let key = &self.plan.steps[i].key;
        self.store.step_finished(self.run, key, status::SKIPPED, None, None, Some(why))?;
        reporter.skipped(key, why);
        Ok(())
    }

    fn job(&mut self, i: usize, log_limit: LogLimit) -> Result<StepJob, RuntimeError> {
        let s = &self.plan.steps[i];
        let step_dir = self.state.step_dir(self.run, &s.key);
        std::fs::create_dir_all(&step_dir).map_err(|e| RuntimeError::io(&step_dir, e))?;
        let staged = self.state.tmp_dir().join(format!("{}-{i}", self.run));
        let outputs: BTreeMap<String, PathBuf> =
            s.outputs.keys().map(|n| (n.clone(), StepJob::staged_output(&staged, n))).collect();
        let step = &s.step;
        let transfer = match &step.kind {
            sluice_compiler::ir::StepKind::DataTransfer {
                task: sluice_compiler::ir::TransferTask::Copy { fail_if_conflict },
                ..
            } => Some(crate::exec::CopyJob {
                inputs: step.inputs.iter().map(|p| p.name.value.clone()).collect(),
                output: step
                    .outputs
                    .first()
                    .map_or_else(|| "destination".to_string(), |o| o.name.value.clone()),
                fail_if_conflict: *fail_if_conflict,
            }),
            _ => None,
        };
        let mut argv = match command::command_line(step, &s.inputs, &outputs, &self.state.dir)
            .map_err(|e| RuntimeError::Other(format!("step `{}`: {e}", s.key)))?
        {
            Some(argv) => argv,
            None if transfer.is_some() => Vec::new(),
            None => return Err(RuntimeError::Other(format!("step `{}` has no command", s.key))),
        };
        // The program's full path, found once per run (not searched in PATH per step).
        if let Some(program) = argv.first_mut() {
            let found =
                self.programs.entry(program.clone()).or_insert_with(|| command::find_program(program));
            if let Some(path) = found {
                *program = path.to_string_lossy().into_owned();
            }
        }
        let types = step.outputs.iter().map(|o| (o.name.value.clone(), o.ty)).collect();
        Ok(StepJob {
            index: i,
            key: s.key.clone(),
            run: self.run,
            experiment: self.experiment.clone(),
            fingerprint: s.fingerprint.clone(),
            source: s.fp.source.clone(),
            step_dir,
            staged,
            inputs: s.inputs.clone(),
            outputs: types,
            argv,
            extra_env: command::environment_variables(step, &s.inputs, &outputs)
                .into_iter()
                .chain(
                    crate::parallel::settings(step).map(|p| ("SLUICE_PARALLEL".to_string(), p.to_string())),
                )
                .collect(),
            cache: self.cache.clone(),
            base_env: self.base_env.clone(),
            hashes: self.hashes.clone(),
            cached_inputs: Arc::new(self.cached_inputs(i)),
            log_limit,
            fetches: s.fetches.clone(),
            publishes: s.publishes.clone(),
            transfer,
        })
    }

    fn finished(
        &mut self,
        i: usize,
        outcome: Outcome,
        ms: i64,
        reporter: &mut dyn Reporter,
    ) -> Result<(), RuntimeError> {
        let key = self.plan.steps[i].key.clone();
        let now = time::now_ms();
        match outcome {
            Outcome::Completed => {
                self.status[i] = St::Done;
                self.store.step_finished(self.run, &key, status::COMPLETED, Some(now), Some(0), None)?;
                let metrics =
                    read_metrics(&self.state.step_dir(self.run, &key).join("metrics.jsonl"), &key, false);
                self.store.insert_metrics(self.run, &key, &metrics)?;
                reporter.step_ended(&key, &StepEnd::Completed, ms);
            }
            Outcome::Failed { code, why } => {
                let canceled = self.canceled;
                self.status[i] = if canceled { St::Canceled } else { St::Failed };
                let st = if canceled { status::CANCELED } else { status::FAILED };
                self.store.step_finished(self.run, &key, st, Some(now), code, Some(&why))?;
                let metrics =
                    read_metrics(&self.state.step_dir(self.run, &key).join("metrics.jsonl"), &key, false);
                self.store.insert_metrics(self.run, &key, &metrics)?;
                if canceled {
                    reporter.step_ended(&key, &StepEnd::Canceled, ms);
                } else {
                    reporter.step_ended(&key, &StepEnd::Failed(why.clone()), ms);
                    let text = failure_output(&self.state.step_dir(self.run, &key), &key, &why);
                    reporter.failure_output(&key, &text);
                    if self.first_failure.is_none() {
                        self.first_failure = Some((key, why));
                    }
                }
            }
        }
        Ok(())
    }

    /// The inputs of step `i` that are outputs of other steps, read from the cache.
    fn cached_inputs(&self, i: usize) -> Vec<CachedInput> {
        let s = &self.plan.steps[i];
        s.step
            .inputs
            .iter()
            .filter_map(|port| match &port.source {
                Source::StepOutput { step, .. } => self.plan.step(*step).map(|up| CachedInput {
                    input: port.name.value.clone(),
                    step: up.key.clone(),
                    fingerprint: up.fingerprint.clone(),
                }),
                _ => None,
            })
            .collect()
    }

    /// Records the metrics kept with reused outputs as metrics of this run.
    fn copy_cached_metrics(&mut self, i: usize) -> Result<(), RuntimeError> {
        let s = &self.plan.steps[i];
        let metrics = read_metrics(&self.cache.metrics_path(&s.fingerprint), &s.key, true);
        let key = s.key.clone();
        self.store.insert_metrics(self.run, &key, &metrics)
    }
}

/// Sends SIGTERM (or SIGKILL when `hard`) to a step's process group.
fn kill_group(pid: u32, hard: bool) {
    #[cfg(unix)]
    {
        use nix::sys::signal::{Signal, killpg};
        use nix::unistd::Pid;
        let _ = killpg(Pid::from_raw(pid as i32), if hard { Signal::SIGKILL } else { Signal::SIGTERM });
    }
    #[cfg(not(unix))]
    let _ = (pid, hard);
}

/// The last lines of a failed step's stderr (or stdout when stderr is empty), framed; read
/// from the end of the log with a byte bound, whatever its size. `why` is how it failed.
fn failure_output(step_dir: &Path, key: &str, why: &str) -> String {
    const LINES: usize = 40;
    const BYTES: u64 = 16 << 10;
    let read = |name: &str| logs::tail(&step_dir.join(name), LINES, BYTES).ok();
    let blank = |t: &logs::Tail| t.lines.iter().all(|l| l.trim().is_empty());
    let (name, tail) = match read("stderr") {
        Some(t) if !blank(&t) => ("stderr", t),
        _ => (
            "stdout",
            read("stdout").unwrap_or(logs::Tail {
                lines: Vec::new(),
                size: 0,
                cut: false,
                partial_first: false,
            }),
        ),
    };
    if blank(&tail) {
        if why.contains(crate::disk::FULL) {
            // Its logs are on the full disk too: whatever it printed was lost.
            return format!("  (no stdout or stderr of step `{key}` was kept: the disk was full)\n");
        }
        return format!("  (step `{key}` wrote nothing to stdout or stderr)\n");
    }
    let mut out = format!("--- {name} of step `{key}`");
    if tail.cut {
        out.push_str(&format!(" (its last {} lines, of {})", tail.lines.len(), logs::human_bytes(tail.size)));
    }
    out.push_str(" ---\n");
    for (i, l) in tail.lines.iter().enumerate() {
        if i == 0 && tail.partial_first {
            out.push('…');
        }
        out.push_str(l);
        out.push('\n');
    }
    out.push_str(&format!("--- end of {name}; full logs in {} ---\n", step_dir.display()));
    out
}

/// The metrics in a JSON-lines file: objects with `name`, `value` and optionally `step`.
pub fn read_metrics(path: &Path, step: &str, reused: bool) -> Vec<MetricRecord> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|line| {
            let v: serde_json::Value = serde_json::from_str(line.trim()).ok()?;
            let name = v.get("name")?.as_str()?.to_string();
            let value = v.get("value");
            Some(MetricRecord {
                step: step.to_string(),
                name,
                value: value.and_then(serde_json::Value::as_f64),
                text: value.filter(|x| !x.is_number()).map(|x| x.to_string()),
                at_step: v.get("step").and_then(serde_json::Value::as_i64),
                reused,
            })
        })
        .collect()
}
