//! `sluice runs ... --server URL`: the runs of a workspace service (list, show, logs, metrics,
//! outputs, cancel), with `--json` printing the service's PascalCase objects.

use anyhow::Result;
use sluice_service::client::Client;
use sluice_service::wire::PipelineRun;

use super::remote::{client, print_json, table};
use super::{Outcome, print_out};
use crate::cli::{LogStream, RunsCommand};
use crate::or_end;

/// Handles the command when it names a service (`--server`); `None` otherwise.
pub fn run(cmd: &RunsCommand) -> Result<Option<Outcome>> {
    let server = match cmd {
        RunsCommand::List(a) => &a.state.server,
        RunsCommand::Show(a) | RunsCommand::Metrics(a) | RunsCommand::Outputs(a) | RunsCommand::Cancel(a) => {
            &a.state.server
        }
        RunsCommand::Logs(a) => &a.state.server,
    };
    let Some(server) = server else { return Ok(None) };
    let c = client(Some(server))?;
    Ok(Some(dispatch(&c, cmd)?))
}

/// The service run `text` names (`latest`: the newest).
fn run_id(c: &Client, text: &str) -> Result<Result<String, Outcome>> {
    if text == "latest" || text == "last" {
        let runs = match super::remote::attempt(c.runs(1, None))? {
            Ok(r) => r,
            Err(o) => return Ok(Err(o)),
        };
        return match runs.into_iter().next() {
            Some(r) => Ok(Ok(r.id)),
            None => anyhow::bail!("the service has no runs yet"),
        };
    }
    Ok(Ok(text.to_string()))
}

fn row(r: &PipelineRun) -> Vec<String> {
    let endpoint = match (&r.pipeline_endpoint_name, &r.pipeline_endpoint_version) {
        (Some(e), Some(v)) => format!("{e}@{v}"),
        _ => "-".to_string(),
    };
    vec![
        r.id.clone(),
        r.status.status_code.clone(),
        r.pipeline_name.clone(),
        endpoint,
        r.run_history_experiment_name.clone(),
        r.submitted_by.clone(),
        r.created_date.clone(),
    ]
}

fn dispatch(c: &Client, cmd: &RunsCommand) -> Result<Outcome> {
    match cmd {
        RunsCommand::List(a) => {
            let runs = or_end!(c.runs(a.limit, None));
            if a.json {
                print_json(&runs)?;
            } else if runs.is_empty() {
                print_out("no runs yet\n");
            } else {
                let rows: Vec<Vec<String>> = runs.iter().map(row).collect();
                let out =
                    table(&["RUN", "STATUS", "PIPELINE", "ENDPOINT", "EXPERIMENT", "BY", "SUBMITTED"], &rows);
                print_out(&out);
            }
        }
        RunsCommand::Show(a) => {
            let id = match run_id(c, &a.run)? {
                Ok(id) => id,
                Err(o) => return Ok(o),
            };
            let run = or_end!(c.run(&id));
            let steps = or_end!(c.step_runs(&id));
            if a.json {
                let mut v = serde_json::to_value(&run)?;
                if let Some(m) = v.as_object_mut() {
                    m.insert("StepRuns".to_string(), serde_json::to_value(&steps)?);
                }
                print_json(&v)?;
                return Ok(Outcome::Success);
            }
            let mut out = format!(
                "run {} {}{}\n  pipeline    {} ({})\n  experiment  {}\n  source      {} by {}\n  submitted   {}\n",
                run.id,
                run.status.status_code,
                run.status.status_detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default(),
                run.pipeline_name,
                run.pipeline_id,
                run.run_history_experiment_name,
                run.run_source,
                run.submitted_by,
                run.created_date
            );
            if let (Some(e), Some(v)) = (&run.pipeline_endpoint_name, &run.pipeline_endpoint_version) {
                out.push_str(&format!("  endpoint    {e} version {v}\n"));
            }
            if !run.parameters.is_empty() {
                let p: Vec<String> = run
                    .parameters
                    .iter()
                    .map(|(k, v)| format!("{k}={}", v.as_str().map_or_else(|| v.to_string(), str::to_string)))
                    .collect();
                out.push_str(&format!("  parameters  {}\n", p.join(" ")));
            }
            let rows: Vec<Vec<String>> = steps
                .iter()
                .map(|s| {
                    let took =
                        s.duration_ms.map_or_else(|| "-".to_string(), sluice_runtime::time::format_duration);
                    let why = match (&s.local_status[..], &s.message) {
                        ("failed" | "skipped" | "canceled" | "interrupted", Some(m)) => m.clone(),
                        _ => s.reason.clone().unwrap_or_default(),
                    };
                    vec![
                        s.name.clone(),
                        s.local_status.clone(),
                        s.reuse.clone().unwrap_or_else(|| "-".into()),
                        took,
                        why,
                    ]
                })
                .collect();
            out.push('\n');
            out.push_str(&table(&["STEP", "STATUS", "REUSE", "TOOK", "WHY"], &rows));
            print_out(&out);
        }
        RunsCommand::Logs(a) => {
            let id = match run_id(c, &a.run)? {
                Ok(id) => id,
                Err(o) => return Ok(o),
            };
            let steps = or_end!(c.step_runs(&id));
            let chosen: Vec<String> = match &a.step {
                Some(s) => vec![s.clone()],
                None => {
                    steps.iter().filter(|s| s.local_status != "not started").map(|s| s.name.clone()).collect()
                }
            };
            let streams: &[&str] = match a.stream {
                LogStream::Both => &["stdout", "stderr"],
                LogStream::Stdout => &["stdout"],
                LogStream::Stderr => &["stderr"],
            };
            for step in chosen {
                for stream in streams {
                    let mut text = or_end!(c.logs(&id, &step, stream));
                    if !text.is_empty() && !text.ends_with('\n') {
                        text.push('\n');
                    }
                    print_out(&format!("==> {step} {stream} <==\n{text}"));
                }
            }
        }
        RunsCommand::Metrics(a) => {
            let id = match run_id(c, &a.run)? {
                Ok(id) => id,
                Err(o) => return Ok(o),
            };
            let metrics = or_end!(c.metrics(&id));
            if a.json {
                print_json(&metrics)?;
            } else if metrics.is_empty() {
                print_out(&format!("run {id} has no metrics\n"));
            } else {
                let rows: Vec<Vec<String>> = metrics
                    .iter()
                    .map(|m| {
                        let value =
                            m.value.map_or_else(|| m.text.clone().unwrap_or_default(), |v| v.to_string());
                        let value = if m.reused { format!("{value} (reused)") } else { value };
                        vec![
                            m.step.clone(),
                            m.name.clone(),
                            value,
                            m.at.map_or_else(String::new, |s| s.to_string()),
                        ]
                    })
                    .collect();
                let out = table(&["STEP", "METRIC", "VALUE", "AT"], &rows);
                print_out(&out);
            }
        }
        RunsCommand::Outputs(a) => {
            let id = match run_id(c, &a.run)? {
                Ok(id) => id,
                Err(o) => return Ok(o),
            };
            let outputs = or_end!(c.outputs(&id));
            if a.json {
                print_json(&outputs)?;
            } else if outputs.is_empty() {
                print_out(&format!("run {id} has no outputs (yet)\n"));
            } else {
                let mut out = String::new();
                for o in &outputs {
                    out.push_str(&format!("{}.{}\n", o.step, o.name));
                    for f in &o.files {
                        out.push_str(&format!("  {}  {} bytes\n", f.path, f.size));
                    }
                    if o.truncated {
                        out.push_str("  ...\n");
                    }
                }
                print_out(&out);
            }
        }
        RunsCommand::Cancel(a) => {
            let id = match run_id(c, &a.run)? {
                Ok(id) => id,
                Err(o) => return Ok(o),
            };
            let run = or_end!(c.cancel(&id));
            if a.json {
                print_json(&run)?;
            } else {
                print_out(&format!("run {} is {}\n", run.id, run.status.status_code));
            }
        }
    }
    Ok(Outcome::Success)
}
