//! `sluice runs list|show|logs|metrics`: reads the run store.

use std::fmt::Write;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::json;
use sluice_runtime::discover::{self, Bounds};
use sluice_runtime::store::{RunRecord, StepRunRecord};
use sluice_runtime::time::{format_duration, format_utc};
use sluice_runtime::{RunStore, RuntimeError, StateDir};

use super::{Outcome, print_out, runtime_failure, session};
use crate::cli::{
    LogStream, RunsCommand, RunsListArgs, RunsLogsArgs, RunsShowArgs, StateArgs, WorkspaceArgs,
};

/// Version of the JSON these commands print.
const JSON_VERSION: u32 = 1;

/// Dispatches `sluice runs ...`.
pub fn run(cmd: &RunsCommand) -> Result<Outcome> {
    // With --server the runs are the service's.
    if let Some(outcome) = super::remote_runs::run(cmd)? {
        return Ok(outcome);
    }
    let result = match cmd {
        RunsCommand::List(a) => list(a),
        RunsCommand::Show(a) => show(a),
        RunsCommand::Logs(a) => logs(a),
        RunsCommand::Metrics(a) => metrics(a),
        RunsCommand::Outputs(_) | RunsCommand::Cancel(_) => Err(anyhow!(
            "`sluice runs outputs` and `runs cancel` are for the runs of a service: give --server URL"
        )),
    };
    match result {
        Ok(o) => Ok(o),
        Err(e) => match e.downcast::<RuntimeError>() {
            Ok(r) => runtime_failure(r),
            Err(e) => Err(e),
        },
    }
}

/// The state folders the user means: the one named (`--state`, `--pipeline`, `--workspace`),
/// else the nearest at or above the current folder, else those found below it.
enum States {
    /// Named, or found at or above the current folder.
    Given(StateDir),
    /// Found below the current folder (one or more), each with the option that names it.
    Below(Vec<(StateDir, String)>),
}

fn states(state: &StateArgs, ws: &WorkspaceArgs) -> Result<States> {
    let dir = if let Some(dir) = &state.state {
        StateDir { dir: std::path::absolute(dir)? }
    } else if let Some(p) = &state.pipeline {
        StateDir::for_root(&session(ws)?.workspace_for(p).root)
    } else if let Some(w) = &ws.workspace {
        StateDir::for_root(std::path::absolute(w)?.parent().unwrap_or(Path::new(".")))
    } else if let Some(dir) = StateDir::find_upward(Path::new(".")) {
        dir
    } else {
        return below(ws);
    };
    if !dir.exists() {
        bail!("no runs yet: `{}` does not exist", dir.dir.display());
    }
    Ok(States::Given(dir))
}

/// The state folders below the current folder, each with the option that names it.
fn below(ws: &WorkspaceArgs) -> Result<States> {
    let cwd = std::env::current_dir()?;
    let bounds = Bounds::default();
    let found = discover::states_below(&cwd, bounds);
    if found.truncated {
        eprintln!(
            "note: stopped looking for state folders after {} folders; pass --state DIR for one further down",
            bounds.folders
        );
    }
    if found.states.is_empty() {
        bail!(
            "no .sluice folder here, above, or in the folders below ({} levels deep, ignored ones left out): \
             run a pipeline with `sluice run FILE` first, or pass --pipeline FILE or --state DIR",
            bounds.depth
        );
    }
    let mut named = Vec::new();
    for state in found.states {
        let option = option_for(&state, &cwd, ws)?;
        named.push((state, option));
    }
    Ok(States::Below(named))
}

/// The option that names a state folder found below `cwd`: `--pipeline FILE` with the pipeline
/// of its latest run when that file leads back to it, else `--state DIR`.
fn option_for(state: &StateDir, cwd: &Path, ws: &WorkspaceArgs) -> Result<String> {
    let latest = RunStore::open(&state.store_path())
        .ok()
        .and_then(|s| s.latest_run().ok().flatten().and_then(|id| s.run(id).ok().flatten()));
    if let Some(run) = latest {
        let file = state.root().join(&run.pipeline_file);
        if file.is_file() && StateDir::for_root(&session(ws)?.workspace_for(&file).root).dir == state.dir {
            return Ok(format!("--pipeline {}", shell_word(&shown(&file, cwd))));
        }
    }
    Ok(format!("--state {}", shell_word(&shown(&state.dir, cwd))))
}

/// A path as shown to the user: relative to `cwd` when below it.
fn shown(path: &Path, cwd: &Path) -> String {
    discover::shown(path, cwd).to_string_lossy().into_owned()
}

/// A word as a POSIX shell reads it back: quoted when it holds anything but plain characters.
fn shell_word(word: &str) -> String {
    let plain =
        !word.is_empty() && word.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./=:@%+,".contains(&b));
    if plain { word.to_string() } else { format!("'{}'", word.replace('\'', r"'\''")) }
}

/// The one state folder a command that reads one run needs; several found below the current
/// folder is a usage error that says what to type for each.
fn one_state(state: &StateArgs, ws: &WorkspaceArgs) -> Result<StateDir> {
    match states(state, ws)? {
        States::Given(dir) => Ok(dir),
        States::Below(mut found) if found.len() == 1 => {
            let (dir, option) = found.remove(0);
            let cwd = std::env::current_dir()?;
            eprintln!(
                "reading {} (the one state folder below here; {option} names it)",
                shown(&dir.dir, &cwd)
            );
            Ok(dir)
        }
        States::Below(found) => {
            let cwd = std::env::current_dir()?;
            let command: Vec<String> = std::env::args().skip(1).map(|a| shell_word(&a)).collect();
            let mut text = format!("{} state folders below here; say which one:", found.len());
            for (dir, option) in &found {
                let _ =
                    write!(text, "\n  sluice {} {option}    # {}", command.join(" "), shown(&dir.dir, &cwd));
            }
            Err(anyhow!(text))
        }
    }
}

fn open(state: &StateArgs, ws: &WorkspaceArgs) -> Result<(StateDir, RunStore)> {
    let dir = one_state(state, ws)?;
    let store = RunStore::open(&dir.store_path())?;
    // What is shown of the runs (logs too) masks the secrets their workspaces name.
    sluice_runtime::secrets::install(sluice_runtime::secrets::Secrets::from_names(store.secret_names()?));
    Ok((dir, store))
}

fn run_id(store: &RunStore, text: &str) -> Result<i64> {
    let id = match text {
        "latest" | "last" => store.latest_run()?,
        t => t.trim_start_matches('#').parse::<i64>().ok(),
    };
    let id = id.ok_or_else(|| RuntimeError::NoSuchRun(text.to_string()))?;
    if store.run(id)?.is_none() {
        return Err(RuntimeError::NoSuchRun(text.to_string()).into());
    }
    Ok(id)
}

fn duration(started: i64, ended: Option<i64>) -> String {
    ended.map_or_else(|| "-".to_string(), |e| format_duration(e - started))
}

fn step_counts(r: &RunRecord) -> String {
    let n = |k: &str| r.steps.get(k).copied().unwrap_or(0);
    let mut parts = vec![format!("{} ran", n("completed")), format!("{} reused", n("reused"))];
    for k in ["failed", "skipped", "canceled", "interrupted", "running", "queued"] {
        if n(k) > 0 {
            parts.push(format!("{} {k}", n(k)));
        }
    }
    parts.join(", ")
}

fn list(a: &RunsListArgs) -> Result<Outcome> {
    let cwd = std::env::current_dir()?;
    // Each state folder with the option that names it (none when it was given or is above).
    let folders: Vec<(StateDir, Option<String>)> = match states(&a.state, &a.workspace)? {
        States::Given(dir) => vec![(dir, None)],
        States::Below(found) => found.into_iter().map(|(d, o)| (d, Some(o))).collect(),
    };
    let mut listed = Vec::new();
    for (dir, option) in folders {
        let store = RunStore::open(&dir.store_path())?;
        sluice_runtime::secrets::install(sluice_runtime::secrets::Secrets::from_names(store.secret_names()?));
        let runs = store.list_runs(a.limit)?;
        listed.push((dir, option, runs));
    }
    if a.json {
        let mut all = Vec::new();
        for (dir, _, runs) in &listed {
            for r in runs {
                let mut v = serde_json::to_value(r)?;
                if let Some(m) = v.as_object_mut() {
                    m.insert("state".into(), shown(&dir.dir, &cwd).into());
                }
                all.push(v);
            }
        }
        print_out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&json!({"version": JSON_VERSION, "runs": all}))?
        ));
        return Ok(Outcome::Success);
    }
    let mut out = String::new();
    for (i, (dir, option, runs)) in listed.iter().enumerate() {
        if let Some(option) = option {
            if i > 0 {
                out.push('\n');
            }
            let _ = writeln!(out, "{} (sluice runs show RUN {option})", shown(&dir.dir, &cwd));
        }
        out.push_str(&runs_table(runs));
    }
    print_out(&out);
    Ok(Outcome::Success)
}

/// The runs of one state folder as a table.
fn runs_table(runs: &[RunRecord]) -> String {
    if runs.is_empty() {
        return "no runs yet\n".to_string();
    }
    let rows: Vec<[String; 7]> = runs
        .iter()
        .map(|r| {
            [
                r.id.to_string(),
                r.status.clone(),
                format_utc(r.started_ms),
                duration(r.started_ms, r.ended_ms),
                step_counts(r),
                r.experiment.clone(),
                r.pipeline_file.clone(),
            ]
        })
        .collect();
    table(&["RUN", "STATUS", "STARTED", "DURATION", "STEPS", "EXPERIMENT", "PIPELINE"], &rows)
}

fn show(a: &RunsShowArgs) -> Result<Outcome> {
    let (_, store) = open(&a.state, &a.workspace)?;
    let id = run_id(&store, &a.run)?;
    let run = store.run(id)?.context("run vanished")?;
    let steps = store.step_runs(id)?;
    if a.json {
        print_out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&json!({"version": JSON_VERSION, "run": run, "steps": steps}))?
        ));
        return Ok(Outcome::Success);
    }
    let mut out = String::new();
    let _ = writeln!(out, "run {} {} ({})", run.id, run.status, step_counts(&run));
    let _ = writeln!(
        out,
        "  pipeline    {} ({})",
        run.pipeline_name.as_deref().unwrap_or("-"),
        run.pipeline_file
    );
    let _ = writeln!(out, "  experiment  {}", run.experiment);
    let _ = writeln!(
        out,
        "  started     {}, took {}",
        format_utc(run.started_ms),
        duration(run.started_ms, run.ended_ms)
    );
    if let Some(c) = &run.git_commit {
        let short: String = c.chars().take(12).collect();
        let branch = run.git_branch.as_deref().map(|b| format!(" on {b}")).unwrap_or_default();
        let dirty = if run.git_dirty == Some(true) { ", uncommitted changes" } else { "" };
        let _ = writeln!(out, "  git         {short}{branch}{dirty}");
    }
    if let Some(p) = run.parameters.as_object().filter(|p| !p.is_empty()) {
        let text: Vec<String> = p.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let _ = writeln!(out, "  parameters  {}", text.join(" "));
    }
    if let Some(m) = &run.message {
        let _ = writeln!(out, "  note        {m}");
    }
    let rows: Vec<[String; 5]> = steps
        .iter()
        .map(|s| {
            let took = s.started_ms.map_or_else(|| "-".to_string(), |st| duration(st, s.ended_ms));
            let why = match (&s.status[..], &s.message) {
                ("failed" | "skipped" | "canceled" | "interrupted", Some(m)) => m.clone(),
                _ => s.reason.clone(),
            };
            [s.step.clone(), s.status.clone(), s.reuse.clone(), took, why]
        })
        .collect();
    let _ = writeln!(out);
    out.push_str(&table(&["STEP", "STATUS", "REUSE", "TOOK", "WHY"], &rows));
    print_out(&out);
    Ok(Outcome::Success)
}

fn logs(a: &RunsLogsArgs) -> Result<Outcome> {
    let (dir, store) = open(&a.state, &a.workspace)?;
    let id = run_id(&store, &a.run)?;
    let steps = store.step_runs(id)?;
    let chosen: Vec<&StepRunRecord> = match &a.step {
        Some(k) => {
            let Some(s) = steps.iter().find(|s| &s.step == k) else {
                let names: Vec<&str> = steps.iter().map(|s| s.step.as_str()).collect();
                let hint = sluice_compiler::suggest::did_you_mean(k, &names).or_else(|| {
                    Some(format!("its steps: {}", sluice_compiler::suggest::list_names(&names, 20)))
                });
                return Err(RuntimeError::NoSuchStep { run: id, step: k.clone(), hint }.into());
            };
            vec![s]
        }
        None => steps.iter().collect(),
    };
    let streams: &[&str] = match a.stream {
        LogStream::Both => &["stdout", "stderr"],
        LogStream::Stdout => &["stdout"],
        LogStream::Stderr => &["stderr"],
    };
    for s in chosen {
        // Reused outputs: the logs are those of the run that made them.
        let (run, step, note) = match (&s.status[..], s.reused_run, &s.reused_step) {
            ("reused", Some(r), Some(k)) => (r, k.clone(), format!(", reused from run {r} step {k}")),
            _ => (id, s.step.clone(), String::new()),
        };
        for stream in streams {
            let path = dir.step_dir(run, &step).join(stream);
            let header = format!("==> {} {stream} ({}{note}) <==\n", s.step, s.status);
            match print_log(&header, &path) {
                Ok(()) => {}
                // A reader that went away (`| head`) ends the listing quietly.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(Outcome::Success),
                Err(_) => print_out(&format!("==> {} {stream} ({}{note}): no log <==\n", s.step, s.status)),
            }
        }
    }
    Ok(Outcome::Success)
}

/// Prints a header and a log file, streamed (a log may be large), ending with a line break.
fn print_log(header: &str, path: &Path) -> std::io::Result<()> {
    use std::io::Write;
    // Opened first: a missing log prints the "no log" line instead of this header.
    let file = std::fs::File::open(path)?;
    let mut out = std::io::stdout().lock();
    out.write_all(header.as_bytes())?;
    // Secrets' values are masked, also one a step printed after reading it from a file.
    let mut masked =
        sluice_runtime::secrets::MaskingWriter::new(&mut out, sluice_runtime::secrets::installed());
    let last = sluice_runtime::logs::stream(file, &mut masked)?;
    let out = masked.finish()?;
    if last.is_some_and(|b| b != b'\n') {
        out.write_all(b"\n")?;
    }
    out.flush()
}

fn metrics(a: &RunsShowArgs) -> Result<Outcome> {
    let (_, store) = open(&a.state, &a.workspace)?;
    let id = run_id(&store, &a.run)?;
    let metrics = store.metrics(id)?;
    if a.json {
        print_out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&json!({"version": JSON_VERSION, "run": id, "metrics": metrics}))?
        ));
        return Ok(Outcome::Success);
    }
    if metrics.is_empty() {
        print_out(&format!("run {id} has no metrics\n"));
        return Ok(Outcome::Success);
    }
    let rows: Vec<[String; 4]> = metrics
        .iter()
        .map(|m| {
            let value = m.value.map_or_else(|| m.text.clone().unwrap_or_default(), |v| v.to_string());
            let value = if m.reused { format!("{value} (reused)") } else { value };
            [m.step.clone(), m.name.clone(), value, m.at_step.map_or_else(String::new, |s| s.to_string())]
        })
        .collect();
    print_out(&table(&["STEP", "METRIC", "VALUE", "AT"], &rows));
    Ok(Outcome::Success)
}

/// Left-aligned columns; the last column is not padded.
fn table<const N: usize>(head: &[&str; N], rows: &[[String; N]]) -> String {
    let mut widths: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cells: Vec<&str>| {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == N {
                l.push_str(c);
            } else {
                let _ = write!(l, "{c:<w$}  ", w = widths[i]);
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(&mut out, head.to_vec());
    for r in rows {
        line(&mut out, r.iter().map(String::as_str).collect());
    }
    out
}
