//! Running one step: a snapshot of its source folder (the files its fingerprint saw), its own
//! process group, its context in `SLUICE_*` variables and `context.json`, stdout and stderr
//! captured to files, outputs written to a temporary folder and moved into the cache only when
//! the process succeeds.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Instant;

use serde_json::json;
use sluice_compiler::fingerprint::{FileKey, PathHash};
use sluice_compiler::ir::DataType;
use tokio::sync::mpsc::UnboundedSender;

use crate::cache::{Marker, OutputCache, remove_tree};
use crate::plan::InputValue;

/// Everything a step's process needs, owned so it can move to a task.
#[derive(Debug, Clone)]
pub struct StepJob {
    /// Position of the step in the plan.
    pub index: usize,
    /// Step key.
    pub key: String,
    /// Run id.
    pub run: i64,
    /// Experiment name.
    pub experiment: String,
    /// Fingerprint.
    pub fingerprint: String,
    /// The source folder as hashed (`None`: the step has none and runs in an empty folder).
    pub source: Option<Arc<PathHash>>,
    /// `<run>/<step>` folder: stdout, stderr, metrics, context, snapshot.
    pub step_dir: PathBuf,
    /// Temporary cache entry the outputs are written into.
    pub staged: PathBuf,
    /// Inputs by name.
    pub inputs: BTreeMap<String, InputValue>,
    /// Outputs by name, with their types.
    pub outputs: BTreeMap<String, Option<DataType>>,
    /// The command line with outputs in `staged` (built by the caller from the plan).
    pub argv: Vec<String>,
    /// More environment variables (the settings of a parallel step).
    pub extra_env: Vec<(String, String)>,
    /// The cache the outputs go to.
    pub cache: OutputCache,
}

impl StepJob {
    /// Where output `name` is written while the step runs.
    pub fn staged_output(staged: &Path, name: &str) -> PathBuf {
        staged.join("outputs").join(name)
    }

    /// The snapshot folder the process runs in.
    pub fn code_dir(&self) -> PathBuf {
        self.step_dir.join("code")
    }

    /// The metrics file the step appends to.
    pub fn metrics_file(&self) -> PathBuf {
        self.step_dir.join("metrics.jsonl")
    }

    fn snapshot_is_small(&self) -> bool {
        self.source.as_ref().is_none_or(|s| s.files.len() <= SMALL_FILES && s.total_bytes() <= SMALL_BYTES)
    }
}

/// True when the outputs in `staged` are few and small (counting stops early otherwise).
fn outputs_are_small(staged: &Path) -> bool {
    let (mut files, mut bytes) = (0usize, 0u64);
    let mut dirs = vec![staged.to_path_buf()];
    while let Some(d) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            match e.file_type() {
                Ok(t) if t.is_dir() => dirs.push(e.path()),
                _ => {
                    files += 1;
                    bytes += e.metadata().map_or(0, |m| m.len());
                    if files > SMALL_FILES || bytes > SMALL_BYTES {
                        return false;
                    }
                }
            }
        }
    }
    true
}

/// What happened to a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0; outputs are in the cache.
    Completed,
    /// The process ended otherwise (exit code, or signal as a negative number), or could not
    /// start or be stored (a message).
    Failed {
        /// Exit code, or minus the signal number.
        code: Option<i32>,
        /// Words for people.
        why: String,
    },
}

/// Something a running step tells the run loop.
#[derive(Debug)]
pub enum Event {
    /// The process started with this id (also its process group id).
    Started {
        /// Plan position.
        index: usize,
        /// Process id.
        pid: u32,
        /// When, Unix ms.
        at_ms: i64,
    },
}

/// Prepares, runs and stores one step; never panics, every failure is an [`Outcome::Failed`].
pub async fn run_step(job: StepJob, events: UnboundedSender<Event>) -> (usize, Outcome, i64) {
    let t0 = Instant::now();
    let index = job.index;
    let outcome = match run_inner(&job, &events).await {
        Ok(o) => o,
        Err(why) => Outcome::Failed { code: None, why },
    };
    // The snapshot is only needed while the process runs.
    let code = job.code_dir();
    let _ = blocking(job.snapshot_is_small(), move || remove_tree(&code)).await;
    (index, outcome, t0.elapsed().as_millis() as i64)
}

/// Runs file work in place when it is small (a hop to another thread costs more than the work,
/// and on a busy machine much more), else on the blocking pool so the run loop stays responsive.
async fn blocking<T: Send + 'static>(
    small: bool,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    if small { Ok(f()) } else { tokio::task::spawn_blocking(f).await.map_err(|e| e.to_string()) }
}

/// Snapshots and outputs up to this size are handled in place.
const SMALL_BYTES: u64 = 8 << 20;
/// ... and up to this many files.
const SMALL_FILES: usize = 256;

async fn run_inner(job: &StepJob, events: &UnboundedSender<Event>) -> Result<Outcome, String> {
    let prepared = {
        let job = job.clone();
        blocking(job.snapshot_is_small(), move || prepare(&job)).await?
    };
    let (stdout, stderr) = prepared?;
    let (program, args) = job.argv.split_first().ok_or("the step has no command")?;
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .current_dir(job.code_dir())
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .envs(environment(job))
        .kill_on_drop(false);
    #[cfg(unix)]
    cmd.process_group(0);
    let mut child = cmd.spawn().map_err(|e| format!("cannot start `{program}`: {e}"))?;
    if let Some(pid) = child.id() {
        let _ = events.send(Event::Started { index: job.index, pid, at_ms: crate::time::now_ms() });
    }
    let status = child.wait().await.map_err(|e| format!("cannot wait for the process: {e}"))?;
    if !status.success() {
        return Ok(Outcome::Failed { code: exit_code(&status), why: describe_status(&status) });
    }
    let small = outputs_are_small(&job.staged);
    let job = job.clone();
    blocking(small, move || store(&job)).await??;
    Ok(Outcome::Completed)
}

#[cfg(unix)]
fn exit_code(s: &std::process::ExitStatus) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    s.code().or_else(|| s.signal().map(|n| -n))
}

#[cfg(not(unix))]
fn exit_code(s: &std::process::ExitStatus) -> Option<i32> {
    s.code()
}

fn describe_status(s: &std::process::ExitStatus) -> String {
    match exit_code(s) {
        Some(c) if c < 0 => format!("killed by signal {}", -c),
        Some(c) => format!("exit code {c}"),
        None => "ended abnormally".to_string(),
    }
}

/// The step's `SLUICE_*` variables (and unbuffered Python output, so logs are complete even
/// when a step is killed).
fn environment(job: &StepJob) -> Vec<(String, String)> {
    let mut env = vec![
        ("SLUICE_RUN_ID".to_string(), job.run.to_string()),
        ("SLUICE_STEP".to_string(), job.key.clone()),
        ("SLUICE_EXPERIMENT".to_string(), job.experiment.clone()),
        ("SLUICE_FINGERPRINT".to_string(), job.fingerprint.clone()),
        ("SLUICE_METRICS".to_string(), job.metrics_file().to_string_lossy().into_owned()),
        ("SLUICE_CONTEXT".to_string(), job.step_dir.join("context.json").to_string_lossy().into_owned()),
    ];
    for (name, v) in &job.inputs {
        if let Some(t) = v.text() {
            env.push((format!("SLUICE_INPUT_{name}"), t));
        }
    }
    for name in job.outputs.keys() {
        let p = StepJob::staged_output(&job.staged, name);
        env.push((format!("SLUICE_OUTPUT_{name}"), p.to_string_lossy().into_owned()));
    }
    env.extend(job.extra_env.iter().cloned());
    for (k, v) in [("PYTHONUNBUFFERED", "1"), ("PYTHONDONTWRITEBYTECODE", "1")] {
        if std::env::var_os(k).is_none() {
            env.push((k.to_string(), v.to_string()));
        }
    }
    // A port name that cannot be a variable name (`=`, NUL) gets no variable; its value is in
    // the context file.
    env.retain(|(k, v)| !k.contains(['=', '\0']) && !v.contains('\0'));
    env
}

/// Makes the step's folders, snapshot and context; opens its log files.
fn prepare(job: &StepJob) -> Result<(std::fs::File, std::fs::File), String> {
    let io = |what: &Path, e: std::io::Error| format!("cannot prepare `{}`: {e}", what.display());
    let code = job.code_dir();
    let _ = remove_tree(&job.staged);
    let _ = remove_tree(&code);
    std::fs::create_dir_all(&code).map_err(|e| io(&code, e))?;
    let outputs = job.staged.join("outputs");
    std::fs::create_dir_all(&outputs).map_err(|e| io(&outputs, e))?;
    for (name, ty) in &job.outputs {
        // A file output is a path to write; any other output is a folder that exists.
        if *ty != Some(DataType::UriFile) {
            let p = StepJob::staged_output(&job.staged, name);
            std::fs::create_dir_all(&p).map_err(|e| io(&p, e))?;
        }
    }
    if let Some(source) = &job.source {
        snapshot(source, &code)?;
    }
    let context = json!({
        "run_id": job.run,
        "step": job.key,
        "experiment": job.experiment,
        "fingerprint": job.fingerprint,
        "code": code,
        "inputs": job.inputs,
        "outputs": job.outputs.keys().map(|n| (n.clone(), StepJob::staged_output(&job.staged, n))).collect::<BTreeMap<_, _>>(),
        "metrics": job.metrics_file(),
        "command": job.argv,
    });
    let ctx = job.step_dir.join("context.json");
    std::fs::write(&ctx, serde_json::to_vec_pretty(&context).unwrap_or_default()).map_err(|e| io(&ctx, e))?;
    let open = |name: &str| {
        let p = job.step_dir.join(name);
        std::fs::File::create(&p).map_err(|e| io(&p, e))
    };
    Ok((open("stdout")?, open("stderr")?))
}

/// Copies the files the fingerprint saw into `dest`, and checks that none changed since it was
/// hashed (else the run would not be what its fingerprint says).
fn snapshot(source: &PathHash, dest: &Path) -> Result<(), String> {
    if !source.is_dir {
        return Ok(());
    }
    for f in &source.files {
        let from = source.path.join(&f.rel);
        let to = dest.join(&f.rel);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot snapshot `{}`: {e}", to.display()))?;
        }
        std::fs::copy(&from, &to).map_err(|e| format!("cannot snapshot `{}`: {e}", from.display()))?;
        let now = std::fs::metadata(&from).map(|m| FileKey::from_metadata(&m));
        if now.as_ref().ok() != Some(&f.key) {
            return Err(format!(
                "source file `{}` changed after its fingerprint was computed; run again",
                from.display()
            ));
        }
    }
    Ok(())
}

/// Moves a succeeded step's outputs (and metrics) into the cache.
fn store(job: &StepJob) -> Result<(), String> {
    let metrics = job.metrics_file();
    if metrics.is_file() {
        std::fs::copy(&metrics, job.staged.join("metrics.jsonl"))
            .map_err(|e| format!("cannot keep the metrics: {e}"))?;
    }
    let marker = Marker {
        version: 1,
        fingerprint: job.fingerprint.clone(),
        run: job.run,
        step: job.key.clone(),
        created_ms: crate::time::now_ms(),
        outputs: job.outputs.keys().cloned().collect(),
        files: Vec::new(),
    };
    job.cache.commit(&job.staged, marker).map_err(|e| format!("cannot store the outputs in the cache: {e}"))
}
