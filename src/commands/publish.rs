//! `sluice publish`: compile a pipeline here, gather its snapshot (what its fingerprints read),
//! upload the files the service lacks, and publish; or publish what a finished run ran.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use sluice_compiler::fingerprint::HashCache;
use sluice_runtime::plan::{self, PlanOptions};
use sluice_runtime::store::status as local;
use sluice_runtime::{RunStore, StateDir};
use sluice_service::collect::{self, Collected};
use sluice_service::wire::{PublishRequest, PublishRunRequest, PublishedPipeline, SnapshotManifest};

use super::remote::{client, print_json};
use super::{Outcome, print_diagnostics, print_out, session};
use crate::or_end;
use crate::service_cli::PublishArgs;

/// Publishes a pipeline file or a run.
pub fn run(a: &PublishArgs) -> Result<Outcome> {
    match (&a.file, &a.run) {
        (_, Some(run)) if uuid_like(run) => publish_service_run(a, run),
        (_, Some(run)) => publish_local_run(a, run),
        (Some(file), None) => {
            let properties = properties(file, None);
            publish_file(a, file, properties)
        }
        (None, None) => bail!("give a pipeline file, or --run RUN_ID"),
    }
}

fn uuid_like(text: &str) -> bool {
    text.len() == 36 && text.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

/// Where the pipeline comes from: the file as given and the git state of its folder.
fn properties(file: &Path, run: Option<i64>) -> BTreeMap<String, String> {
    let mut p = BTreeMap::new();
    p.insert("File".to_string(), file.display().to_string());
    let dir =
        std::path::absolute(file).ok().and_then(|f| f.parent().map(Path::to_path_buf)).unwrap_or_default();
    if let Some(g) = sluice_runtime::git::info(&dir) {
        if let Some(c) = g.commit {
            p.insert("GitCommit".to_string(), c);
        }
        if let Some(b) = g.branch {
            p.insert("GitBranch".to_string(), b);
        }
        if let Some(d) = g.dirty {
            p.insert("GitDirty".to_string(), d.to_string());
        }
    }
    if let Some(r) = run {
        p.insert("LocalRun".to_string(), r.to_string());
    }
    p
}

fn publish_file(a: &PublishArgs, file: &Path, properties: BTreeMap<String, String>) -> Result<Outcome> {
    let client = client(a.server.server.as_deref())?;
    let mut s = session(&a.workspace)?;
    let compiled = s.compile(file)?;
    print_diagnostics(&s);
    let Some(compiled) = compiled else {
        eprintln!("error: `{}` has errors; nothing was published", file.display());
        return Ok(Outcome::Failure);
    };
    let collected = collect::collect(&s, &compiled, file)?;
    let req = PublishRequest {
        name: a.name.clone(),
        description: a.description.clone(),
        version: a.version.clone(),
        continue_on_step_failure: a.continue_on_step_failure.then_some(true),
        snapshot: SnapshotManifest {
            pipeline_file: String::new(),
            workspace_file: None,
            files: BTreeMap::new(),
            dirs: Vec::new(),
            datastores: BTreeMap::new(),
        },
        properties,
    };
    let mut sent = (0, 0);
    let published = or_end!(client.publish(&collected, req, &mut |files, bytes| sent = (files, bytes)));
    report(a, &published, Some((&collected, sent)))
}

fn report(
    a: &PublishArgs,
    p: &PublishedPipeline,
    upload: Option<(&Collected, (usize, u64))>,
) -> Result<Outcome> {
    if a.server.json {
        print_json(p)?;
        return Ok(Outcome::Success);
    }
    if let Some((c, (files, bytes))) = upload {
        eprintln!(
            "snapshot: {} files, {} bytes ({} files, {} bytes uploaded; the rest was there already)",
            c.manifest.files.len(),
            c.total_bytes,
            files,
            bytes
        );
    }
    let params: Vec<String> = p
        .parameters
        .iter()
        .map(|x| match &x.default {
            Some(d) => format!("{} ({} = {d})", x.name, x.ty),
            None => format!("{} ({})", x.name, x.ty),
        })
        .collect();
    print_out(&format!(
        "published `{}`{} as {}\n  status      {}\n  steps       {}\n  parameters  {}\n  endpoint    {}\n",
        p.name,
        p.version.as_deref().map(|v| format!(" version {v}")).unwrap_or_default(),
        p.id,
        p.status,
        p.total_run_steps,
        if params.is_empty() { "none".to_string() } else { params.join(", ") },
        p.endpoint
    ));
    Ok(Outcome::Success)
}

fn publish_service_run(a: &PublishArgs, run: &str) -> Result<Outcome> {
    let client = client(a.server.server.as_deref())?;
    let req = PublishRunRequest {
        name: a.name.clone(),
        description: a.description.clone(),
        version: a.version.clone(),
    };
    let published = or_end!(client.publish_run(run, &req));
    report(a, &published, None)
}

/// Publishes the pipeline of a local run, after checking that its files are still what the run
/// ran (every step's fingerprint is the same).
fn publish_local_run(a: &PublishArgs, run: &str) -> Result<Outcome> {
    let state = match &a.state {
        Some(d) => StateDir { dir: std::path::absolute(d)? },
        None => StateDir::find_upward(Path::new("."))
            .ok_or_else(|| anyhow!("no .sluice folder here or above; pass --state DIR"))?,
    };
    let store = RunStore::open(&state.store_path())?;
    let id = match run {
        "latest" | "last" => store.latest_run()?,
        t => t.trim_start_matches('#').parse::<i64>().ok(),
    }
    .ok_or_else(|| {
        anyhow!("`{run}` is not a run id: give a local run's number, `latest`, or a service run's id")
    })?;
    let record = store.run(id)?.ok_or_else(|| anyhow!("no run {id} in {}", state.dir.display()))?;
    if record.status != local::COMPLETED {
        bail!("run {id} is {}; publish a run that completed", record.status);
    }
    let file: PathBuf = state.root().join(&record.pipeline_file);
    let mut s = session(&a.workspace)?;
    let compiled = s.compile(&file).with_context(|| format!("the pipeline of run {id}"))?;
    print_diagnostics(&s);
    let Some(compiled) = compiled else {
        eprintln!(
            "error: `{}` (the pipeline of run {id}) has errors now; nothing was published",
            file.display()
        );
        return Ok(Outcome::Failure);
    };
    // The run's parameter values, to compute the fingerprints it had.
    let overridden: Vec<String> = record
        .options
        .get("overridden")
        .and_then(|o| o.as_array())
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    let parameters: Vec<(String, String)> = overridden
        .iter()
        .filter_map(|name| {
            let v = record.parameters.get(name)?;
            Some((name.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string)))
        })
        .collect();
    let hash_cache = HashCache::load(&state.hash_cache_path());
    let opts = PlanOptions { parameters, regenerate_outputs: false, explain: false };
    let planned = plan::plan(&compiled, &file, &state, Some(&store), &hash_cache, &opts)?;
    let ran: BTreeMap<String, String> =
        store.step_runs(id)?.into_iter().map(|s| (s.step, s.fingerprint)).collect();
    let changed: Vec<String> = planned
        .steps
        .iter()
        .filter(|p| ran.get(&p.key) != Some(&p.fingerprint))
        .map(|p| format!("`{}`", p.key))
        .collect();
    if !changed.is_empty() {
        eprintln!(
            "error: the files of run {id} changed since it ran: step(s) {} would not be the same; \
             `sluice plan {} --explain` says what changed. Restore them, or publish the file as it is now.",
            changed.join(", "),
            file.display()
        );
        return Ok(Outcome::Failure);
    }
    let client = client(a.server.server.as_deref())?;
    let collected = collect::collect(&s, &compiled, &file)?;
    let req = PublishRequest {
        name: a.name.clone(),
        description: a.description.clone(),
        version: a.version.clone(),
        continue_on_step_failure: a.continue_on_step_failure.then_some(true),
        snapshot: collected.manifest.clone(),
        properties: properties(&file, Some(id)),
    };
    let mut sent = (0, 0);
    let published = or_end!(client.publish(&collected, req, &mut |files, bytes| sent = (files, bytes)));
    report(a, &published, Some((&collected, sent)))
}
