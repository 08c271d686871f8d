//! `sluice submit`: submit a run to an endpoint (its default version or `--version`) or to a
//! published pipeline, and with `--wait` follow it to its end.

use std::time::Duration;

use anyhow::Result;
use serde_json::Value as Json;
use sluice_service::client::Client;
use sluice_service::wire::{DataPath, PipelineRun, SubmitRequest, status};

use super::remote::{client, pairs, print_json};
use super::{Outcome, print_out};
use crate::or_end;
use crate::service_cli::SubmitArgs;

fn experiment_of(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '-' })
        .collect();
    let s = s.trim_start_matches(['-', '_']).to_string();
    if s.is_empty() { "default".to_string() } else { s }
}

/// Submits a run.
pub fn run(a: &SubmitArgs) -> Result<Outcome> {
    let c = client(a.server.server.as_deref())?;
    let mut req = SubmitRequest {
        run_source: Some("sluice".to_string()),
        description: a.description.clone(),
        ..SubmitRequest::default()
    };
    for (k, v) in pairs(&a.parameters, "NAME=VALUE")? {
        req.parameter_assignments.insert(k, Json::String(v));
    }
    for (k, v) in pairs(&a.tags, "KEY=VALUE")? {
        req.tags.insert(k, v);
    }
    for (k, v) in pairs(&a.data_paths, "NAME=DATASTORE:PATH")? {
        let Some((store, path)) = v.split_once(':') else {
            anyhow::bail!("`{k}={v}` is not NAME=DATASTORE:PATH");
        };
        req.data_path_assignments.insert(
            k,
            DataPath {
                data_store_name: store.to_string(),
                relative_path: path.to_string(),
                sql_data_path: None,
            },
        );
    }
    let run = match (&a.endpoint, &a.pipeline) {
        (Some(name), _) => {
            let e = or_end!(c.endpoint_by_name(name));
            req.experiment_name = a.experiment.clone().unwrap_or_else(|| experiment_of(&e.name));
            or_end!(c.submit_endpoint(&e.id, a.version.as_deref(), &req))
        }
        (None, Some(id)) => {
            let p = or_end!(c.pipeline(id));
            req.experiment_name = a.experiment.clone().unwrap_or_else(|| experiment_of(&p.name));
            or_end!(c.submit_pipeline(&p.id, &req))
        }
        (None, None) => anyhow::bail!("give --endpoint NAME or --pipeline ID"),
    };
    if !a.wait {
        if a.server.json {
            print_json(&run)?;
        } else {
            eprintln!("run {} queued ({})", run.id, describe(&run));
            print_out(&format!("{}\n", run.id));
        }
        return Ok(Outcome::Success);
    }
    eprintln!("run {} queued ({}); waiting for it to end...", run.id, describe(&run));
    let end = or_end!(wait(&c, &run.id));
    if a.server.json {
        print_json(&end)?;
    } else {
        print_out(&format!("{}\n", end.id));
    }
    Ok(match end.status.status_code.as_str() {
        status::FINISHED => Outcome::Success,
        status::CANCELED => Outcome::Canceled,
        _ => Outcome::Failure,
    })
}

fn describe(run: &PipelineRun) -> String {
    match (&run.pipeline_endpoint_name, &run.pipeline_endpoint_version) {
        (Some(e), Some(v)) => format!("endpoint `{e}` version {v}, pipeline `{}`", run.pipeline_name),
        _ => format!("pipeline `{}`", run.pipeline_name),
    }
}

/// Polls a run until it ends, printing each status it passes through.
pub fn wait(c: &Client, id: &str) -> Result<PipelineRun, sluice_service::client::ClientError> {
    let mut last = String::new();
    let mut delay = Duration::from_millis(200);
    loop {
        let run = c.run(id)?;
        if run.status.status_code != last {
            last = run.status.status_code.clone();
            let detail = run.status.status_detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default();
            eprintln!("run {id}: {last}{detail}");
        }
        if status::is_terminal(&last) {
            return Ok(run);
        }
        std::thread::sleep(delay);
        delay = (delay * 2).min(Duration::from_secs(2));
    }
}
