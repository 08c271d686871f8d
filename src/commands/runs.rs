//! `sluice runs list|show|logs|metrics`: reads the run store.

use std::fmt::Write;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::json;
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
    let result = match cmd {
        RunsCommand::List(a) => list(a),
        RunsCommand::Show(a) => show(a),
        RunsCommand::Logs(a) => logs(a),
        RunsCommand::Metrics(a) => metrics(a),
    };
    match result {
        Ok(o) => Ok(o),
        Err(e) => match e.downcast::<RuntimeError>() {
            Ok(r) => runtime_failure(r),
            Err(e) => Err(e),
        },
    }
}

/// The state folder the user means.
fn state_dir(state: &StateArgs, ws: &WorkspaceArgs) -> Result<StateDir> {
    let dir = if let Some(dir) = &state.state {
        StateDir { dir: std::path::absolute(dir)? }
    } else if let Some(p) = &state.pipeline {
        StateDir::for_root(&session(ws)?.workspace_for(p).root)
    } else if let Some(w) = &ws.workspace {
        StateDir::for_root(std::path::absolute(w)?.parent().unwrap_or(Path::new(".")))
    } else {
        StateDir::find_upward(Path::new("."))
            .ok_or_else(|| anyhow!("no .sluice folder here or above; pass --pipeline FILE or --state DIR"))?
    };
    if !dir.exists() {
        bail!("no runs yet: `{}` does not exist", dir.dir.display());
    }
    Ok(dir)
}

fn open(state: &StateArgs, ws: &WorkspaceArgs) -> Result<(StateDir, RunStore)> {
    let dir = state_dir(state, ws)?;
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
    let (_, store) = open(&a.state, &a.workspace)?;
    let runs = store.list_runs(a.limit)?;
    if a.json {
        print_out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&json!({"version": JSON_VERSION, "runs": runs}))?
        ));
        return Ok(Outcome::Success);
    }
    if runs.is_empty() {
        print_out("no runs yet\n");
        return Ok(Outcome::Success);
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
    print_out(&table(&["RUN", "STATUS", "STARTED", "DURATION", "STEPS", "EXPERIMENT", "PIPELINE"], &rows));
    Ok(Outcome::Success)
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
