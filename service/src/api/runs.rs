//! Runs: submitting (to a published pipeline, to an endpoint's default or given version, by
//! endpoint id or name), reading a run and its steps, logs, metrics and outputs, canceling,
//! and publishing what a run ran.

use std::collections::BTreeMap;
use std::path::{Component, Path as FsPath, PathBuf};

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use sluice_runtime::StateDir;
use sluice_runtime::cache::OutputCache;
use sluice_runtime::store::StepRunRecord;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::endpoints::{find as find_endpoint, find_by_name, version_of};
use super::pipelines::{check_publication, find as find_pipeline, manifest, record};
use super::{ApiJson, ApiQuery, check_experiment, check_text, shorten, uuid_id};
use crate::app::App;
use crate::auth::{Caller, Role};
use crate::catalog::check_submission;
use crate::error::{Result, ServiceError};
use crate::store::endpoints::EndpointRow;
use crate::store::pipelines::PipelineRow;
use crate::store::runs::{self as store, CancelOutcome, RunRow};
use crate::time::iso;
use crate::wire::{
    ErrorResponse, Metric, OutputFile, PipelineRun, PublishRunRequest, PublishedPipeline, RunOutput, StepRun,
    SubmitRequest, entity_status, status,
};

/// The routes of this module.
pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(submit))
        .routes(routes!(submit_endpoint))
        .routes(routes!(submit_endpoint_version))
        .routes(routes!(submit_endpoint_by_name))
        .routes(routes!(list))
        .routes(routes!(list_of_pipeline))
        .routes(routes!(get))
        .routes(routes!(cancel))
        .routes(routes!(steps))
        .routes(routes!(logs))
        .routes(routes!(metrics))
        .routes(routes!(outputs))
        .routes(routes!(output_file))
        .routes(routes!(publish))
}

#[derive(Debug, Deserialize)]
struct PipelinePath {
    #[serde(rename = "pipelineId")]
    id: String,
}

#[derive(Debug, Deserialize)]
struct EndpointPath {
    id: String,
}

#[derive(Debug, Deserialize)]
struct EndpointVersionPath {
    id: String,
    version: String,
}

#[derive(Debug, Deserialize)]
struct VersionQuery {
    #[serde(default, alias = "PipelineVersion")]
    #[serde(rename = "pipelineVersion")]
    version: Option<String>,
}

#[derive(Debug, Deserialize)]
struct NameQuery {
    #[serde(alias = "Name")]
    name: String,
    #[serde(default, rename = "pipelineVersion", alias = "PipelineVersion")]
    version: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RunPath {
    #[serde(rename = "pipelineRunId")]
    id: String,
}

#[derive(Debug, Deserialize)]
struct StepPath {
    #[serde(rename = "pipelineRunId")]
    id: String,
    #[serde(rename = "stepName")]
    step: String,
}

#[derive(Debug, Deserialize)]
struct OutputPath {
    #[serde(rename = "pipelineRunId")]
    id: String,
    #[serde(rename = "stepName")]
    step: String,
    #[serde(rename = "outputName")]
    output: String,
}

/// Which runs to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// At most this many, newest first (default 50, at most 1000).
    #[serde(default)]
    limit: Option<usize>,
    /// Only runs of this published pipeline.
    #[serde(default, rename = "pipelineId")]
    #[param(rename = "pipelineId")]
    pipeline: Option<String>,
    /// Only runs submitted through this endpoint.
    #[serde(default, rename = "endpointId")]
    #[param(rename = "endpointId")]
    endpoint: Option<String>,
}

/// Which log to read.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// `stdout` (default) or `stderr`.
    #[serde(default)]
    stream: Option<String>,
    /// At most this many bytes from the end (default 1 MiB, at most 16 MiB).
    #[serde(default)]
    tail: Option<u64>,
}

/// Which output file to read.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FileQuery {
    /// The file's path inside the output (`/`-separated).
    path: String,
}

/// The name of an endpoint, for a run.
async fn endpoint_name(app: &App, r: &RunRow) -> Option<String> {
    let id = r.endpoint.clone()?;
    find_endpoint(app, &id).await.ok().map(|e| e.name)
}

/// A run on the wire, with its pipeline's and endpoint's names.
pub async fn wire(app: &App, r: &RunRow) -> Result<PipelineRun> {
    let pipeline = find_pipeline(app, &r.pipeline).await.ok();
    Ok(app.run_wire(r, pipeline.as_ref(), endpoint_name(app, r).await))
}

/// Queues a run of a published pipeline, after checking the submission against it.
pub async fn queue_run(
    app: &App,
    caller: &Caller,
    pipeline: &PipelineRow,
    endpoint: Option<(&EndpointRow, i64)>,
    req: SubmitRequest,
) -> Result<PipelineRun> {
    caller.require(Role::Submitter, "submitting a run")?;
    check_experiment(&req.experiment_name)?;
    check_text("Description", req.description.as_deref(), 5000)?;
    check_text("RunSource", req.run_source.as_deref(), 255)?;
    if req.tags.len() > 100 || req.properties.len() > 100 {
        return Err(ServiceError::bad("at most 100 tags and 100 properties are accepted"));
    }
    if let Some((e, _)) = endpoint
        && e.status != entity_status::ACTIVE
    {
        return Err(ServiceError::Conflict {
            code: "EndpointDisabled",
            message: format!(
                "pipeline endpoint `{}` is disabled and takes no runs; enable it with `sluice endpoint enable --name {}`",
                e.name, e.name
            ),
        });
    }
    if pipeline.status != entity_status::ACTIVE {
        let via =
            endpoint.map(|(e, v)| format!(" (version {v} of endpoint `{}`)", e.name)).unwrap_or_default();
        return Err(ServiceError::Conflict {
            code: "PipelineDisabled",
            message: format!(
                "published pipeline `{}` {}{via} is disabled and takes no runs; enable it with `sluice pipeline enable {}`, or submit another version",
                pipeline.name, pipeline.id, pipeline.id
            ),
        });
    }
    let prepared = app.catalog.prepared(&app.db, &pipeline.snapshot).await?;
    let checked = check_submission(&prepared.compiled, &req)?;
    let now = sluice_runtime::time::now_ms();
    let row = RunRow {
        id: uuid::Uuid::new_v4().to_string(),
        seq: 0,
        pipeline: pipeline.id.clone(),
        endpoint: endpoint.map(|(e, _)| e.id.clone()),
        endpoint_version: endpoint.map(|(_, v)| v.to_string()),
        experiment: req.experiment_name,
        description: req.description,
        run_source: req.run_source.unwrap_or_else(|| "REST".to_string()),
        tags: req.tags,
        properties: req.properties,
        assignments: checked.assignments,
        data_paths: checked.data_paths,
        parameters: checked.parameters,
        continue_on_step_failure: req.continue_run_on_step_failure,
        status: status::QUEUED.to_string(),
        status_detail: None,
        submitted_by: caller.name.clone(),
        created_ms: now,
        started_ms: None,
        ended_ms: None,
        modified_ms: now,
        local_run: None,
        attempts: 0,
    };
    let stored = row.clone();
    app.db.call(move |c| store::insert(c, &stored)).await?;
    app.queue.wake();
    tracing::info!(run = %row.id, pipeline = %pipeline.id, by = %caller.name, "run queued");
    Ok(app.run_wire(&row, Some(pipeline), endpoint.map(|(e, _)| e.name.clone())))
}

async fn submit_to_endpoint(
    app: &App,
    caller: &Caller,
    e: EndpointRow,
    version: Option<&str>,
    req: SubmitRequest,
) -> Result<PipelineRun> {
    let v = match version {
        Some(t) => version_of(&e, t)?,
        None => e.default_version,
    };
    let pipeline_id = e.pipeline_of(v).map(str::to_string).unwrap_or_default();
    let pipeline = find_pipeline(app, &pipeline_id).await?;
    queue_run(app, caller, &pipeline, Some((&e, v)), req).await
}

/// Submits a run of a published pipeline (Azure ML's `PipelineSubmit`).
#[utoipa::path(
    post,
    operation_id = "PipelineRuns_Submit",
    path = "/PipelineRuns/PipelineSubmit/{pipelineId}",
    tag = "runs",
    params(("pipelineId" = String, Path, description = "The published pipeline's id")),
    request_body = SubmitRequest,
    responses(
        (status = 200, description = "The queued run", body = PipelineRun),
        (status = 400, description = "An unknown parameter, a value of the wrong type, a bad body", body = ErrorResponse),
        (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse),
        (status = 409, description = "The pipeline is disabled", body = ErrorResponse),
        (status = 413, body = ErrorResponse), (status = 415, body = ErrorResponse),
    )
)]
async fn submit(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(p): Path<PipelinePath>,
    ApiJson(req): ApiJson<SubmitRequest>,
) -> Result<Json<PipelineRun>> {
    caller.require(Role::Submitter, "submitting a run")?;
    let pipeline = find_pipeline(&app, &p.id).await?;
    Ok(Json(queue_run(&app, &caller, &pipeline, None, req).await?))
}

/// Submits a run of an endpoint's default version, or of `?pipelineVersion=`.
#[utoipa::path(
    post,
    operation_id = "PipelineRuns_SubmitEndpoint",
    path = "/PipelineRuns/PipelineEndpointSubmit/Id/{id}",
    tag = "runs",
    params(
        ("id" = String, Path, description = "The endpoint's id"),
        ("pipelineVersion" = Option<String>, Query, description = "The version to run (default: the endpoint's default)"),
    ),
    request_body = SubmitRequest,
    responses((status = 200, body = PipelineRun), (status = 400, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse))
)]
async fn submit_endpoint(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(p): Path<EndpointPath>,
    ApiQuery(q): ApiQuery<VersionQuery>,
    ApiJson(req): ApiJson<SubmitRequest>,
) -> Result<Json<PipelineRun>> {
    caller.require(Role::Submitter, "submitting a run")?;
    let e = find_endpoint(&app, &p.id).await?;
    Ok(Json(submit_to_endpoint(&app, &caller, e, q.version.as_deref(), req).await?))
}

/// Submits a run of a given version of an endpoint.
#[utoipa::path(
    post,
    operation_id = "PipelineRuns_SubmitEndpointVersion",
    path = "/PipelineRuns/PipelineEndpointSubmit/Id/{id}/{version}",
    tag = "runs",
    params(
        ("id" = String, Path, description = "The endpoint's id"),
        ("version" = String, Path, description = "The version (`0`, `1`, ...)"),
    ),
    request_body = SubmitRequest,
    responses((status = 200, body = PipelineRun), (status = 400, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse))
)]
async fn submit_endpoint_version(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(p): Path<EndpointVersionPath>,
    ApiJson(req): ApiJson<SubmitRequest>,
) -> Result<Json<PipelineRun>> {
    caller.require(Role::Submitter, "submitting a run")?;
    let e = find_endpoint(&app, &p.id).await?;
    Ok(Json(submit_to_endpoint(&app, &caller, e, Some(&p.version), req).await?))
}

/// Submits a run of an endpoint found by name (`?name=N&pipelineVersion=V`).
#[utoipa::path(
    post,
    operation_id = "PipelineRuns_SubmitEndpointByName",
    path = "/PipelineRuns/PipelineEndpointSubmit/Name",
    tag = "runs",
    params(
        ("name" = String, Query, description = "The endpoint's name"),
        ("pipelineVersion" = Option<String>, Query, description = "The version to run (default: the endpoint's default)"),
    ),
    request_body = SubmitRequest,
    responses((status = 200, body = PipelineRun), (status = 400, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse))
)]
async fn submit_endpoint_by_name(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    ApiQuery(q): ApiQuery<NameQuery>,
    ApiJson(req): ApiJson<SubmitRequest>,
) -> Result<Json<PipelineRun>> {
    caller.require(Role::Submitter, "submitting a run")?;
    let e = find_by_name(&app, &q.name).await?;
    Ok(Json(submit_to_endpoint(&app, &caller, e, q.version.as_deref(), req).await?))
}

/// Runs, newest first.
#[utoipa::path(
    get,
    operation_id = "PipelineRuns_List",
    path = "/PipelineRuns",
    tag = "runs",
    params(ListQuery),
    responses((status = 200, body = Vec<PipelineRun>), (status = 400, body = ErrorResponse))
)]
async fn list(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<PipelineRun>>> {
    caller.require(Role::Reader, "listing runs")?;
    let pipeline = q.pipeline.map(|p| uuid_id("published pipeline", &p)).transpose()?;
    let endpoint = q.endpoint.map(|e| uuid_id("pipeline endpoint", &e)).transpose()?;
    Ok(Json(list_runs(&app, pipeline, endpoint, q.limit.unwrap_or(50)).await?))
}

/// Runs as wire objects.
pub async fn list_runs(
    app: &App,
    pipeline: Option<String>,
    endpoint: Option<String>,
    limit: usize,
) -> Result<Vec<PipelineRun>> {
    let limit = limit.clamp(1, 1000);
    let rows = app.db.call(move |c| store::list(c, pipeline.as_deref(), endpoint.as_deref(), limit)).await?;
    let pipelines: BTreeMap<String, PipelineRow> = app
        .db
        .call(|c| crate::store::pipelines::list(c))
        .await?
        .into_iter()
        .map(|p| (p.id.clone(), p))
        .collect();
    let endpoints: BTreeMap<String, String> = app
        .db
        .call(|c| crate::store::endpoints::list(c))
        .await?
        .into_iter()
        .map(|e| (e.id, e.name))
        .collect();
    Ok(rows
        .iter()
        .map(|r| {
            let e = r.endpoint.as_ref().and_then(|e| endpoints.get(e).cloned());
            app.run_wire(r, pipelines.get(&r.pipeline), e)
        })
        .collect())
}

/// The runs of one published pipeline (the SDK's route).
#[utoipa::path(
    get,
    operation_id = "PipelineRuns_ListOfPipeline",
    path = "/PipelineRuns/Pipeline/{pipelineId}",
    tag = "runs",
    params(("pipelineId" = String, Path, description = "The published pipeline's id")),
    responses((status = 200, body = Vec<PipelineRun>), (status = 404, body = ErrorResponse))
)]
async fn list_of_pipeline(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(p): Path<PipelinePath>,
) -> Result<Json<Vec<PipelineRun>>> {
    caller.require(Role::Reader, "listing runs")?;
    let pipeline = find_pipeline(&app, &p.id).await?;
    Ok(Json(list_runs(&app, Some(pipeline.id), None, 1000).await?))
}

/// The run with this id (404 when there is none).
pub async fn find(app: &App, id: &str) -> Result<RunRow> {
    let id = uuid_id("run", id)?;
    let key = id.clone();
    app.db
        .call(move |c| store::get(c, &key))
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("no run `{id}`")))
}

/// A run.
#[utoipa::path(
    get,
    operation_id = "PipelineRuns_Get",
    path = "/PipelineRuns/{pipelineRunId}",
    tag = "runs",
    params(("pipelineRunId" = String, Path, description = "The run's id")),
    responses((status = 200, body = PipelineRun), (status = 404, body = ErrorResponse))
)]
async fn get(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(p): Path<RunPath>,
) -> Result<Json<PipelineRun>> {
    caller.require(Role::Reader, "reading a run")?;
    let r = find(&app, &p.id).await?;
    Ok(Json(wire(&app, &r).await?))
}

/// Cancels a run (the SDK's `DELETE .../Execution`): a queued run at once, an executing one by
/// stopping its steps (`CancelRequested`, then `Canceled`).
#[utoipa::path(
    delete,
    operation_id = "PipelineRuns_Cancel",
    path = "/PipelineRuns/{pipelineRunId}/Execution",
    tag = "runs",
    params(("pipelineRunId" = String, Path, description = "The run's id")),
    responses(
        (status = 200, description = "The run, canceled or being canceled", body = PipelineRun),
        (status = 404, body = ErrorResponse), (status = 409, description = "The run ended already", body = ErrorResponse),
    )
)]
async fn cancel(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(p): Path<RunPath>,
) -> Result<Json<PipelineRun>> {
    caller.require(Role::Submitter, "canceling a run")?;
    let r = find(&app, &p.id).await?;
    let id = r.id.clone();
    let now = sluice_runtime::time::now_ms();
    match app.db.call(move |c| store::request_cancel(c, &id, now)).await? {
        CancelOutcome::Missing => return Err(ServiceError::NotFound(format!("no run `{}`", r.id))),
        CancelOutcome::Ended(s) => {
            return Err(ServiceError::Conflict {
                code: "RunEnded",
                message: format!("run {} ended already ({s}); there is nothing to cancel", r.id),
            });
        }
        CancelOutcome::Canceled | CancelOutcome::Requested => app.queue.cancel(&r.id),
    }
    tracing::info!(run = %r.id, by = %caller.name, "run cancel asked");
    let r = find(&app, &p.id).await?;
    Ok(Json(wire(&app, &r).await?))
}

fn sdk_status(local: &str) -> &'static str {
    match local {
        "queued" => "Queued",
        "running" => "Running",
        "completed" | "reused" => "Finished",
        "failed" | "interrupted" => "Failed",
        "canceled" => "Canceled",
        _ => "NotStarted",
    }
}

/// The steps of a run as the runtime recorded them (or as planned, before it started).
pub async fn step_runs(app: &App, r: &RunRow) -> Result<Vec<StepRun>> {
    let pipeline = find_pipeline(app, &r.pipeline).await?;
    let records: Vec<StepRunRecord> = match r.local_run {
        Some(local) => app.with_run_store(|s| Ok(s.step_runs(local)?))?,
        None => Vec::new(),
    };
    let by_name: BTreeMap<&str, &StepRunRecord> = records.iter().map(|s| (s.step.as_str(), s)).collect();
    Ok(pipeline
        .graph
        .iter()
        .map(|g| {
            let rec = by_name.get(g.name.as_str());
            let local_status = rec.map_or("not started", |s| s.status.as_str());
            StepRun {
                name: g.name.clone(),
                display_name: g.display_name.clone(),
                kind: g.kind.clone(),
                status: sdk_status(local_status).to_string(),
                local_status: local_status.to_string(),
                reused: local_status == "reused",
                reuse: rec.map(|s| s.reuse.clone()),
                reason: rec.map(|s| s.reason.clone()),
                reused_from: rec.and_then(|s| {
                    s.reused_run
                        .map(|run| format!("run {run} step {}", s.reused_step.as_deref().unwrap_or("?")))
                }),
                depends_on: g.depends_on.clone(),
                start_time: rec.and_then(|s| s.started_ms).map(iso),
                end_time: rec.and_then(|s| s.ended_ms).map(iso),
                duration_ms: rec.and_then(|s| Some(s.ended_ms? - s.started_ms?)),
                exit_code: rec.and_then(|s| s.exit_code),
                message: rec.and_then(|s| s.message.clone()),
                fingerprint: rec.map(|s| s.fingerprint.clone()),
            }
        })
        .collect())
}

/// A run's steps: status, reuse and why, timings.
#[utoipa::path(
    get,
    operation_id = "PipelineRuns_Steps",
    path = "/PipelineRuns/{pipelineRunId}/StepRuns",
    tag = "runs",
    params(("pipelineRunId" = String, Path, description = "The run's id")),
    responses((status = 200, body = Vec<StepRun>), (status = 404, body = ErrorResponse))
)]
async fn steps(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(p): Path<RunPath>,
) -> Result<Json<Vec<StepRun>>> {
    caller.require(Role::Reader, "reading a run")?;
    let r = find(&app, &p.id).await?;
    Ok(Json(step_runs(&app, &r).await?))
}

/// The step record of a run's step, or a 404 with the steps it has.
fn step_record(app: &App, r: &RunRow, step: &str) -> Result<(i64, StepRunRecord)> {
    let Some(local) = r.local_run else {
        return Err(ServiceError::NotFound(format!(
            "run {} has not started; its steps have no logs yet",
            r.id
        )));
    };
    let records = app.with_run_store(|s| Ok(s.step_runs(local)?))?;
    match records.iter().find(|s| s.step == step) {
        Some(s) => Ok((local, s.clone())),
        None => {
            let names: Vec<&str> = records.iter().map(|s| s.step.as_str()).collect();
            let hint = sluice_compiler::suggest::did_you_mean(step, &names).unwrap_or_else(|| {
                format!("its steps: {}", sluice_compiler::suggest::list_names(&names, 20))
            });
            Err(ServiceError::NotFound(format!("run {} has no step `{}`; {hint}", r.id, shorten(step))))
        }
    }
}

/// The log of a step (the run that made its outputs, for a reused step), at most `tail` bytes
/// from its end.
pub fn read_log(
    state: &StateDir,
    local: i64,
    rec: &StepRunRecord,
    stream: &str,
    tail: u64,
) -> Result<String> {
    let (run, step) = match (&rec.status[..], rec.reused_run, &rec.reused_step) {
        ("reused", Some(r), Some(k)) => (r, k.clone()),
        _ => (local, rec.step.clone()),
    };
    let path = state.step_dir(run, &step).join(stream);
    let Ok(mut f) = std::fs::File::open(&path) else {
        return Ok(String::new());
    };
    use std::io::{Read, Seek, SeekFrom};
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let mut text = String::new();
    if len > tail {
        let _ = f.seek(SeekFrom::Start(len - tail));
        text.push_str(&format!("[... {} bytes before this are not shown ...]\n", len - tail));
    }
    let mut bytes = Vec::new();
    f.take(tail).read_to_end(&mut bytes).map_err(|e| ServiceError::io(&path, e))?;
    text.push_str(&String::from_utf8_lossy(&bytes));
    Ok(text)
}

/// A step's stdout or stderr, as text.
#[utoipa::path(
    get,
    operation_id = "PipelineRuns_Logs",
    path = "/PipelineRuns/{pipelineRunId}/StepRuns/{stepName}/Logs",
    tag = "runs",
    params(
        ("pipelineRunId" = String, Path, description = "The run's id"),
        ("stepName" = String, Path, description = "The step (`outer%2Finner` for a nested step)"),
        LogQuery,
    ),
    responses((status = 200, content_type = "text/plain", body = String), (status = 400, body = ErrorResponse), (status = 404, body = ErrorResponse))
)]
async fn logs(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(p): Path<StepPath>,
    ApiQuery(q): ApiQuery<LogQuery>,
) -> Result<Response> {
    caller.require(Role::Reader, "reading logs")?;
    let stream = q.stream.unwrap_or_else(|| "stdout".to_string());
    if stream != "stdout" && stream != "stderr" {
        return Err(ServiceError::bad_at("BadRequest", "stream", "stream must be `stdout` or `stderr`"));
    }
    let tail = q.tail.unwrap_or(1 << 20).min(16 << 20);
    let r = find(&app, &p.id).await?;
    let app2 = app.clone();
    let text = tokio::task::spawn_blocking(move || {
        let (local, rec) = step_record(&app2, &r, &p.step)?;
        read_log(&app2.state, local, &rec, &stream, tail)
    })
    .await??;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}

/// The metrics of a run.
pub fn run_metrics(app: &App, r: &RunRow) -> Result<Vec<Metric>> {
    let Some(local) = r.local_run else { return Ok(Vec::new()) };
    let records = app.with_run_store(|s| Ok(s.metrics(local)?))?;
    Ok(records
        .into_iter()
        .map(|m| Metric {
            step: m.step,
            name: m.name,
            value: m.value,
            text: m.text,
            at: m.at_step,
            reused: m.reused,
        })
        .collect())
}

/// The metrics a run's steps wrote.
#[utoipa::path(
    get,
    operation_id = "PipelineRuns_Metrics",
    path = "/PipelineRuns/{pipelineRunId}/Metrics",
    tag = "runs",
    params(("pipelineRunId" = String, Path, description = "The run's id")),
    responses((status = 200, body = Vec<Metric>), (status = 404, body = ErrorResponse))
)]
async fn metrics(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(p): Path<RunPath>,
) -> Result<Json<Vec<Metric>>> {
    caller.require(Role::Reader, "reading metrics")?;
    let r = find(&app, &p.id).await?;
    let app2 = app.clone();
    Ok(Json(tokio::task::spawn_blocking(move || run_metrics(&app2, &r)).await??))
}

const MAX_LISTED: usize = 1000;

fn list_files(dir: &FsPath) -> (Vec<OutputFile>, bool) {
    let mut out = Vec::new();
    if dir.is_file() {
        let size = std::fs::metadata(dir).map_or(0, |m| m.len());
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        return (vec![OutputFile { path: name, size }], false);
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let p = e.path();
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(p),
                Ok(_) => {
                    if out.len() >= MAX_LISTED {
                        return (out, true);
                    }
                    let rel = p
                        .strip_prefix(dir)
                        .map(|r| r.to_string_lossy().replace('\\', "/"))
                        .unwrap_or_default();
                    out.push(OutputFile { path: rel, size: e.metadata().map_or(0, |m| m.len()) });
                }
                Err(_) => {}
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    (out, false)
}

/// The outputs of a run's steps that completed or were reused.
pub fn run_outputs(app: &App, r: &RunRow) -> Result<Vec<RunOutput>> {
    let Some(local) = r.local_run else { return Ok(Vec::new()) };
    let records = app.with_run_store(|s| Ok(s.step_runs(local)?))?;
    let cache = OutputCache::new(app.state.cache_dir(), app.state.tmp_dir());
    let mut out = Vec::new();
    for s in records.iter().filter(|s| s.status == "completed" || s.status == "reused") {
        let dir = cache.entry_dir(&s.fingerprint).join("outputs");
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        let mut names: Vec<String> =
            entries.flatten().filter_map(|e| e.file_name().into_string().ok()).collect();
        names.sort();
        for name in names {
            let (files, truncated) = list_files(&dir.join(&name));
            out.push(RunOutput { step: s.step.clone(), name, files, truncated });
        }
    }
    Ok(out)
}

/// The outputs of a run's steps and their files.
#[utoipa::path(
    get,
    operation_id = "PipelineRuns_Outputs",
    path = "/PipelineRuns/{pipelineRunId}/Outputs",
    tag = "runs",
    params(("pipelineRunId" = String, Path, description = "The run's id")),
    responses((status = 200, body = Vec<RunOutput>), (status = 404, body = ErrorResponse))
)]
async fn outputs(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(p): Path<RunPath>,
) -> Result<Json<Vec<RunOutput>>> {
    caller.require(Role::Reader, "reading outputs")?;
    let r = find(&app, &p.id).await?;
    let app2 = app.clone();
    Ok(Json(tokio::task::spawn_blocking(move || run_outputs(&app2, &r)).await??))
}

/// A file of a step output, checked to lie inside the output (links included).
fn output_file_path(app: &App, r: &RunRow, step: &str, output: &str, rel: &str) -> Result<PathBuf> {
    let (_, rec) = step_record(app, r, step)?;
    if rec.status != "completed" && rec.status != "reused" {
        return Err(ServiceError::NotFound(format!(
            "step `{step}` of run {} has no outputs ({})",
            r.id, rec.status
        )));
    }
    let cache = OutputCache::new(app.state.cache_dir(), app.state.tmp_dir());
    let outputs = cache.entry_dir(&rec.fingerprint).join("outputs");
    let valid_name =
        !output.is_empty() && FsPath::new(output).components().all(|c| matches!(c, Component::Normal(_)));
    if !valid_name || output.contains('/') {
        return Err(ServiceError::NotFound(format!("step `{step}` has no output `{}`", shorten(output))));
    }
    let base = outputs.join(output);
    if !base.exists() {
        return Err(ServiceError::NotFound(format!("step `{step}` has no output `{}`", shorten(output))));
    }
    let parts = FsPath::new(rel).components().all(|c| matches!(c, Component::Normal(_)));
    if rel.is_empty() || !parts || rel.contains('\\') {
        return Err(ServiceError::bad_at(
            "BadPath",
            "path",
            format!("`{}` is not a path inside the output (no `..`, not absolute)", shorten(rel)),
        ));
    }
    let wanted = if base.is_file() { base.clone() } else { base.join(rel) };
    let canonical_base = base.canonicalize().map_err(|e| ServiceError::io(&base, e))?;
    let canonical = wanted.canonicalize().map_err(|_| {
        ServiceError::NotFound(format!("output `{output}` of step `{step}` has no file `{}`", shorten(rel)))
    })?;
    if !canonical.starts_with(&canonical_base) || !canonical.is_file() {
        return Err(ServiceError::NotFound(format!(
            "output `{output}` of step `{step}` has no file `{}`",
            shorten(rel)
        )));
    }
    Ok(canonical)
}

/// A file of a step output, as bytes.
#[utoipa::path(
    get,
    operation_id = "PipelineRuns_OutputFile",
    path = "/PipelineRuns/{pipelineRunId}/StepRuns/{stepName}/Outputs/{outputName}",
    tag = "runs",
    params(
        ("pipelineRunId" = String, Path, description = "The run's id"),
        ("stepName" = String, Path, description = "The step"),
        ("outputName" = String, Path, description = "The output"),
        FileQuery,
    ),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 400, body = ErrorResponse), (status = 404, body = ErrorResponse))
)]
async fn output_file(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(p): Path<OutputPath>,
    ApiQuery(q): ApiQuery<FileQuery>,
) -> Result<Response> {
    caller.require(Role::Reader, "reading outputs")?;
    let r = find(&app, &p.id).await?;
    let app2 = app.clone();
    let path = tokio::task::spawn_blocking(move || output_file_path(&app2, &r, &p.step, &p.output, &q.path))
        .await??;
    let file = tokio::fs::File::open(&path).await.map_err(|e| ServiceError::io(&path, e))?;
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(file));
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], body).into_response())
}

/// Publishes what a run ran (its pipeline's snapshot) as a new published pipeline, as the SDK's
/// `PipelineRun.publish_pipeline`.
#[utoipa::path(
    post,
    operation_id = "PipelineRuns_Publish",
    path = "/PipelineRuns/{pipelineRunId}/Publish",
    tag = "runs",
    params(("pipelineRunId" = String, Path, description = "The run's id")),
    request_body = PublishRunRequest,
    responses((status = 200, body = PublishedPipeline), (status = 400, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse))
)]
async fn publish(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(p): Path<RunPath>,
    ApiJson(req): ApiJson<PublishRunRequest>,
) -> Result<Json<PublishedPipeline>> {
    caller.require(Role::Admin, "publishing a pipeline")?;
    check_publication(&req.name, req.version.as_deref(), req.description.as_deref())?;
    let r = find(&app, &p.id).await?;
    if r.status != status::FINISHED {
        return Err(ServiceError::Conflict {
            code: "RunNotFinished",
            message: format!("run {} is {}; publish a run that finished", r.id, r.status),
        });
    }
    let source = find_pipeline(&app, &r.pipeline).await?;
    let m = manifest(&app, &source.snapshot).await?;
    let prepared = app.catalog.prepared(&app.db, &source.snapshot).await?;
    let published = record(
        &app,
        &caller,
        source.snapshot.clone(),
        &prepared,
        m.pipeline_file,
        req.name,
        req.description.or(source.description.clone()),
        req.version,
        Some(source.continue_on_step_failure),
        source.properties.clone(),
        Some(r.id.clone()),
    )
    .await?;
    Ok(Json(published))
}
