//! Running one step: a snapshot of its source folder (the files its fingerprint saw), its own
//! process group (ended with the step, so nothing it started in the background outlives it),
//! its context in `SLUICE_*` variables and `context.json`, stdout and stderr read through pipes
//! into size-limited log files, outputs written to a temporary folder and moved into the cache
//! only when the process succeeds.

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
use crate::logs::{self, CappedLog, LogLimit};
use crate::plan::InputValue;
use crate::remote::{self, Fetch, Fetched, Publish};

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
    /// The most each of stdout and stderr keeps.
    pub log_limit: LogLimit,
    /// Inputs on cloud datastores, fetched into the cache before the step starts.
    pub fetches: Vec<Fetch>,
    /// Outputs uploaded to a datastore when the step succeeded, before they enter the cache.
    pub publishes: Vec<Publish>,
    /// A data transfer sluice copies itself (no process).
    pub transfer: Option<CopyJob>,
}

/// What a copying data transfer copies: its inputs, in order, into its one output.
#[derive(Debug, Clone)]
pub struct CopyJob {
    /// The inputs copied, in the order they are written (a later one overwrites an earlier).
    pub inputs: Vec<String>,
    /// The output they are copied into.
    pub output: String,
    /// A file that two inputs hold fails the copy instead.
    pub fail_if_conflict: bool,
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
    if let Err(why) = fetch_inputs(job).await {
        return Ok(Outcome::Failed { code: None, why });
    }
    if let Err(why) = check_cached_inputs(job, false).await? {
        return Ok(Outcome::Failed { code: None, why });
    }
    if let Some(copy) = &job.transfer {
        return transfer(job, copy).await;
    }
    let argv = shell_script_when_long(job)?;
    let (program, args) = argv.split_first().ok_or("the step has no command")?;
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .current_dir(job.code_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_clear()
        .envs(job.base_env.iter().map(|(k, v)| (k, v)))
        .envs(environment(job))
        .kill_on_drop(false);
    #[cfg(unix)]
    cmd.process_group(0);
    let mut child = cmd.spawn().map_err(|e| spawn_error(program, &job.argv, e))?;
    let pid = child.id();
    if let Some(pid) = pid {
        let _ = events.send(Event::Started { index: job.index, pid, at_ms: crate::time::now_ms() });
    }
    let logs = [
        child.stdout.take().map(|p| Capture::start(p, CappedLog::new(stdout, job.log_limit.0))),
        child.stderr.take().map(|p| Capture::start(p, CappedLog::new(stderr, job.log_limit.0))),
    ];
    let status = child.wait().await.map_err(|e| format!("cannot wait for the process: {e}"))?;
    // What the step started in the background ends with it (and lets go of its logs).
    let left = match pid {
        Some(pid) => end_group(pid).await,
        None => 0,
    };
    let mut log_error = None;
    for (name, capture) in ["stdout", "stderr"].into_iter().zip(logs) {
        if let Some(c) = capture
            && let Err(e) = c.finish().await
        {
            log_error.get_or_insert(format!("cannot write the step's {name}: {e}"));
        }
    }
    if left > 0 {
        let note = format!(
            "[sluice: ended {left} process{} the step left running in the background]\n",
            if left == 1 { "" } else { "es" }
        );
        let path = job.step_dir.join("stderr");
        let _ = std::fs::OpenOptions::new().append(true).open(&path).and_then(|mut f| {
            use std::io::Write;
            f.write_all(note.as_bytes())
        });
    }
    // A step that wrote into another step's cached outputs fails, whatever its exit: what it
    // made may come from what it changed, and the changed entry re-runs on the next plan.
    if let Err(why) = check_cached_inputs(job, true).await? {
        return Ok(Outcome::Failed { code: exit_code(&status), why });
    }
    if let Some(mut why) = log_error {
        // A log that could not be written: a full disk, most often.
        if let Some(note) = full_disk_note(job) {
            why = format!("{why}: {note}");
        }
        return Ok(Outcome::Failed { code: exit_code(&status), why });
    }
    if !status.success() {
        let mut why = describe_status(&status);
        if let Some(note) = full_disk_note(job) {
            why = format!("{why}: {note}");
        }
        return Ok(Outcome::Failed { code: exit_code(&status), why });
    }
    finish(job).await
}

/// Publishes the outputs bound for a datastore, then moves them into the cache.
async fn finish(job: &StepJob) -> Result<Outcome, String> {
    for p in &job.publishes {
        let src = StepJob::staged_output(&job.staged, &p.output);
        let src = if p.as_file { single_file(&src).unwrap_or(src) } else { src };
        let target = p.clone();
        let published = tokio::task::spawn_blocking(move || {
            remote::apart(move || async move { remote::publish(&target, &src).await })
        })
        .await
        .map_err(|e| e.to_string())?;
        match published {
            Ok((files, bytes)) => data_log(
                job,
                &format!(
                    "output `{}`: {files} file(s), {} uploaded to `{}` on datastore `{}`",
                    p.output,
                    crate::datastore::format_bytes(bytes),
                    p.path,
                    p.store.name()
                ),
            ),
            Err(why) => return Ok(Outcome::Failed { code: None, why }),
        }
    }
    let small = outputs_are_small(&job.staged);
    let job = job.clone();
    blocking(small, move || store(&job)).await??;
    Ok(Outcome::Completed)
}

/// The one file in `dir`, when it holds exactly one.
fn single_file(dir: &Path) -> Option<PathBuf> {
    let mut files = std::fs::read_dir(dir).ok()?.flatten().map(|e| e.path());
    let first = files.next()?;
    (files.next().is_none() && first.is_file()).then_some(first)
}

/// Fetches the step's inputs on cloud datastores into the cache (unless already there), with
/// a line for each in the step's `data.log`.
async fn fetch_inputs(job: &StepJob) -> Result<(), String> {
    let state = job.state_dir();
    for f in &job.fetches {
        let what = match &f.dataset {
            Some((name, v)) => format!("input `{}` (dataset `{name}` version {v})", f.input),
            None => format!("input `{}`", f.input),
        };
        let (data, state) = (f.data.clone(), state.clone());
        let done = tokio::task::spawn_blocking(move || {
            remote::apart(move || async move {
                remote::fetch(&data, &state.join("remote"), &state.join("tmp")).await
            })
        })
        .await
        .map_err(|e| e.to_string())??;
        data_log(
            job,
            &match done {
                Fetched::Cached => {
                    format!("{what}: {} already in the cache, not downloaded", f.data.describe())
                }
                Fetched::Downloaded(n, bytes) => format!(
                    "{what}: {n} file(s), {} downloaded from {} into the cache",
                    crate::datastore::format_bytes(bytes),
                    f.data.describe()
                ),
            },
        );
    }
    Ok(())
}

/// Appends a line to the step's `data.log` (what sluice fetched and published for it).
fn data_log(job: &StepJob, line: &str) {
    use std::io::Write;
    let path = job.step_dir.join("data.log");
    let _ = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| writeln!(f, "{line}"));
}

/// A copying data transfer: its inputs copied into its output, checked, then published.
async fn transfer(job: &StepJob, copy: &CopyJob) -> Result<Outcome, String> {
    let sources: Vec<(String, PathBuf)> = copy
        .inputs
        .iter()
        .filter_map(|name| match job.inputs.get(name) {
            Some(InputValue::Path(p)) => Some((name.clone(), p.clone())),
            _ => None,
        })
        .collect();
    if sources.is_empty() {
        return Ok(Outcome::Failed { code: None, why: "the transfer has no source".to_string() });
    }
    let dest = StepJob::staged_output(&job.staged, &copy.output);
    let fail_if_conflict = copy.fail_if_conflict;
    let copied = {
        let (sources, dest) = (sources.clone(), dest.clone());
        tokio::task::spawn_blocking(move || {
            if fail_if_conflict && let Some(why) = crate::data_transfer::conflict(&sources)? {
                return Err(why);
            }
            sources
                .iter()
                .map(|(_, src)| crate::data_transfer::copy_verified(src, &dest))
                .collect::<Result<Vec<_>, String>>()
        })
        .await
        .map_err(|e| e.to_string())?
    };
    match copied {
        Ok(counts) => {
            for ((_, src), (files, bytes)) in sources.iter().zip(counts) {
                data_log(
                    job,
                    &format!(
                        "copied {files} file(s), {} from {} (each checked against the source's SHA-256)",
                        crate::datastore::format_bytes(bytes),
                        src.display()
                    ),
                );
            }
        }
        Err(why) => return Ok(Outcome::Failed { code: None, why }),
    }
    finish(job).await
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

/// Reading one of a step's streams into its log.
struct Capture {
    task: tokio::task::JoinHandle<std::io::Result<logs::Captured>>,
    stop: tokio::sync::oneshot::Sender<()>,
}

impl Capture {
    fn start(pipe: impl tokio::io::AsyncRead + Unpin + Send + 'static, log: CappedLog) -> Capture {
        let (stop, stopped) = tokio::sync::oneshot::channel();
        Capture { task: tokio::spawn(logs::capture(pipe, log, stopped)), stop }
    }

    /// Waits for the end of the stream: it comes once the step's process group is gone, unless
    /// a process that left the group holds the stream; reading stops after a grace time then.
    async fn finish(mut self) -> Result<(), String> {
        let joined = match tokio::time::timeout(STREAM_GRACE, &mut self.task).await {
            Ok(r) => r,
            Err(_) => {
                let _ = self.stop.send(());
                self.task.await
            }
        };
        match joined {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// How long a step's streams may stay open after its process group ended.
const STREAM_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// How long processes a step left behind get to exit after SIGTERM, before SIGKILL.
const TERM_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// Ends what is left of a step's process group (its leader has exited): SIGTERM, then SIGKILL
/// after a grace time. Returns how many live processes were found.
#[cfg(unix)]
async fn end_group(pgid: u32) -> usize {
    use nix::sys::signal::{Signal, killpg};
    use nix::unistd::Pid;
    let group = Pid::from_raw(pgid as i32);
    // Nothing left (the common case): the group is gone and the probe fails.
    if killpg(group, None).is_err() {
        return 0;
    }
    let found = crate::orphans::live_members(pgid);
    if found == 0 || killpg(group, Signal::SIGTERM).is_err() {
        return found;
    }
    let deadline = Instant::now() + TERM_GRACE;
    while crate::orphans::live_members(pgid) > 0 {
        if Instant::now() >= deadline {
            let _ = killpg(group, Signal::SIGKILL);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    found
}

#[cfg(not(unix))]
async fn end_group(_pgid: u32) -> usize {
    0
}

/// The most one argument may hold (Linux's MAX_ARG_STRLEN, with its terminating NUL).
const ARG_LIMIT: usize = (128 << 10) - 1;

/// The step's argv, except that a shell command text too long for one argument (quoted values
/// make it longer than Azure ML's paste) is written to `command.sh` in the step's folder and
/// given to the shell as a script file, which it reads the same way.
fn shell_script_when_long(job: &StepJob) -> Result<Vec<String>, String> {
    match job.argv.as_slice() {
        [shell, c, text] if c == "-c" && text.len() > ARG_LIMIT => {
            let path = job.step_dir.join("command.sh");
            std::fs::write(&path, text).map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
            Ok(vec![shell.clone(), path.to_string_lossy().into_owned()])
        }
        _ => Ok(job.argv.clone()),
    }
}

/// Words for a program that could not start; the usual surprise is a value too large for one
/// argument.
fn spawn_error(program: &str, argv: &[String], e: std::io::Error) -> String {
    let longest = argv.iter().map(String::len).max().unwrap_or(0);
    #[cfg(unix)]
    if e.raw_os_error() == Some(nix::errno::Errno::E2BIG as i32) {
        let what = if longest > ARG_LIMIT {
            format!("its longest argument is {}", logs::human_bytes(longest as u64))
        } else {
            "with its environment".to_string()
        };
        return format!(
            "cannot start `{program}`: its command line is too long ({what}; the system takes at most \
             128 KiB per argument or environment variable): pass large values in a file input"
        );
    }
    format!("cannot start `{program}`: {e}")
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
        // Read too: a log over its limit is put in order in place.
        std::fs::File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&p)
            .map_err(|e| io(&p, e))
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
