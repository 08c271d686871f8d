//! Running one step: a snapshot of its source folder (the files its fingerprint saw), its own
//! process group, its context in `SLUICE_*` variables and `context.json`, stdout and stderr
//! captured to files, outputs written to a temporary folder and moved into the cache only when
//! the process succeeds.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Instant;

use serde_json::json;
use sluice_compiler::fingerprint::{FileKey, HashCache, PathHash};
use sluice_compiler::ir::DataType;
use tokio::sync::mpsc::UnboundedSender;

use crate::cache::{EntryState, Marker, OutputCache, remove_tree};
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
    /// The variables of sluice's environment the step gets (the allow-list, no secrets).
    pub base_env: Arc<Vec<(OsString, OsString)>>,
    /// File hashes by (path, size, mtime, inode): the outputs' hashes are kept here when they
    /// are stored, and checking a cached input looks here first.
    pub hashes: Arc<HashCache>,
    /// The inputs it reads from the cache (outputs of other steps), checked before it starts
    /// and after it ends.
    pub cached_inputs: Arc<Vec<CachedInput>>,
}

/// An input of a step that is the cached outputs of another step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedInput {
    /// The input's name.
    pub input: String,
    /// The step whose outputs it is.
    pub step: String,
    /// That step's fingerprint (its cache entry).
    pub fingerprint: String,
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

    /// The state folder (`.sluice`) the step's temporary outputs are in (`.sluice/tmp/<x>`).
    pub fn state_dir(&self) -> PathBuf {
        self.staged.parent().and_then(Path::parent).map_or_else(|| self.staged.clone(), Path::to_path_buf)
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
    if matches!(outcome, Outcome::Failed { .. }) {
        // What a failed step wrote never reaches the cache; its room is given back at once (it
        // may be what filled the disk, and the failure still has to be recorded).
        let staged = job.staged.clone();
        let _ = blocking(outputs_are_small(&staged), move || remove_tree(&staged)).await;
    }
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
    if let Err(why) = check_cached_inputs(job, false).await? {
        return Ok(Outcome::Failed { code: None, why });
    }
    let (program, args) = job.argv.split_first().ok_or("the step has no command")?;
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .current_dir(job.code_dir())
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .env_clear()
        .envs(job.base_env.iter().map(|(k, v)| (k, v)))
        .envs(environment(job))
        .kill_on_drop(false);
    #[cfg(unix)]
    cmd.process_group(0);
    let mut child = cmd.spawn().map_err(|e| format!("cannot start `{program}`: {e}"))?;
    if let Some(pid) = child.id() {
        let _ = events.send(Event::Started { index: job.index, pid, at_ms: crate::time::now_ms() });
    }
    let status = child.wait().await.map_err(|e| format!("cannot wait for the process: {e}"))?;
    // A step that wrote into another step's cached outputs fails, whatever its exit: what it
    // made may come from what it changed, and the changed entry re-runs on the next plan.
    if let Err(why) = check_cached_inputs(job, true).await? {
        return Ok(Outcome::Failed { code: exit_code(&status), why });
    }
    if !status.success() {
        let mut why = describe_status(&status);
        if let Some(note) = full_disk_note(job) {
            why = format!("{why}: {note}");
        }
        return Ok(Outcome::Failed { code: exit_code(&status), why });
    }
    let small = outputs_are_small(&job.staged);
    let job = job.clone();
    blocking(small, move || store(&job)).await??;
    Ok(Outcome::Completed)
}

/// When a step failed on a full disk (the disk holding the state folder is full, or its log
/// says so), why, and how much room it needs: more than it had written when it stopped. Its
/// own message may be lost, as its logs are on that disk too.
fn full_disk_note(job: &StepJob) -> Option<String> {
    let state = job.state_dir();
    let log_says =
        ["stderr", "stdout"].iter().any(|n| crate::disk::log_says_no_space(&log_tail(&job.step_dir.join(n))));
    if !log_says && !crate::disk::is_full(&state) {
        return None;
    }
    let written = crate::disk::tree_bytes(&job.staged.join("outputs"));
    Some(crate::disk::explain_full(
        &state,
        &format!(
            "the step had written {} of outputs when it stopped, so it needs more room than that",
            crate::disk::format_bytes(written)
        ),
    ))
}

/// The last 64 KiB of a log file, as text.
fn log_tail(path: &Path) -> String {
    use std::io::{Read, Seek, SeekFrom};
    const TAIL: u64 = 64 * 1024;
    let Ok(mut f) = std::fs::File::open(path) else { return String::new() };
    let len = f.metadata().map_or(0, |m| m.len());
    let _ = f.seek(SeekFrom::Start(len.saturating_sub(TAIL)));
    let mut bytes = Vec::new();
    let _ = f.take(TAIL).read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Checks that the cached outputs a step reads are those their steps stored (`after`: the step
/// has run). The outer error is an internal one; the inner says what was altered.
async fn check_cached_inputs(job: &StepJob, after: bool) -> Result<Result<(), String>, String> {
    if job.cached_inputs.is_empty() {
        return Ok(Ok(()));
    }
    let files: usize =
        job.cached_inputs.iter().filter_map(|c| job.cache.marker(&c.fingerprint)).map(|m| m.files).sum();
    let (cache, hashes, inputs) = (job.cache.clone(), job.hashes.clone(), job.cached_inputs.clone());
    blocking(files <= SMALL_FILES, move || {
        for c in inputs.iter() {
            let state = cache.verify(&c.fingerprint, &hashes);
            if matches!(state, EntryState::Intact(_)) {
                continue;
            }
            let what = state.summary();
            return Err(if after {
                format!(
                    "it wrote into its input `{}` (the cached outputs of step `{}`): {what}; a step must not change its inputs",
                    c.input, c.step
                )
            } else {
                format!(
                    "its input `{}` (the cached outputs of step `{}`) was altered before it started: {what}",
                    c.input, c.step
                )
            });
        }
        Ok(())
    })
    .await
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
    let marker = Marker::new(&job.fingerprint, job.run, &job.key, job.outputs.keys().cloned().collect());
    job.cache.commit(&job.staged, marker, &job.hashes).map_err(|e| {
        let mut why = format!("cannot store the outputs in the cache: {}", e.error);
        if crate::disk::is_no_space(&e.error) {
            let need = format!(
                "storing the outputs needs their {} and a little more (the cache marker, logs, the run store)",
                crate::disk::format_bytes(e.bytes)
            );
            why = format!("{why}: {}", crate::disk::explain_full(&job.state_dir(), &need));
        }
        why
    })
}
