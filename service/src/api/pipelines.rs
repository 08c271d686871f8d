//! Published pipelines: publish a snapshot (after uploading the files the service lacks), list,
//! show, disable and enable (`PUT .../status` with `"Disabled"` or `"Active"`, as the SDK
//! sends it), and each one's graph.

use std::collections::BTreeMap;

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::{Extension, Json};
use serde::Deserialize;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use super::{ApiBytes, ApiJson, check_text, shorten, uuid_id};
use crate::app::App;
use crate::auth::{Caller, Role};
use crate::catalog::{self, Prepared};
use crate::error::{Result, ServiceError};
use crate::snapshot::{self, is_sha256};
use crate::store::pipelines::{self as store, PipelineRow};
use crate::wire::{
    BlobQuery, ErrorResponse, MissingBlobs, PipelineGraph, PublishRequest, PublishedPipeline,
    SnapshotManifest, entity_status,
};

/// The routes of this module.
pub fn routes(max_upload: usize) -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(create).layer(DefaultBodyLimit::max(MANIFEST_LIMIT)))
        .routes(routes!(list))
        .routes(routes!(get))
        .routes(routes!(set_status))
        .routes(routes!(graph))
        .routes(routes!(missing_blobs).layer(DefaultBodyLimit::max(MANIFEST_LIMIT)))
        .routes(routes!(put_blob).layer(DefaultBodyLimit::max(max_upload)))
}

/// The largest publication or blob query: a manifest of many files.
pub const MANIFEST_LIMIT: usize = 64 << 20;

#[derive(Debug, Deserialize)]
struct PipelineId {
    #[serde(rename = "publishedPipelineId")]
    id: String,
}

#[derive(Debug, Deserialize)]
struct BlobId {
    sha256: String,
}

/// Checks the name, version and description of a publication.
pub fn check_publication(name: &str, version: Option<&str>, description: Option<&str>) -> Result<()> {
    if name.trim().is_empty() {
        return Err(ServiceError::bad_at("BadRequest", "Name", "Name must not be empty"));
    }
    check_text("Name", Some(name), 255)?;
    check_text("Version", version, 64)?;
    check_text("Description", description, 5000)
}

/// Records a published pipeline of a prepared snapshot.
#[allow(clippy::too_many_arguments)] // The fields of one publication.
pub async fn record(
    app: &App,
    caller: &Caller,
    snapshot_id: String,
    prepared: &Prepared,
    pipeline_file: String,
    name: String,
    description: Option<String>,
    version: Option<String>,
    continue_on_step_failure: Option<bool>,
    properties: BTreeMap<String, String>,
    source_run: Option<String>,
) -> Result<PublishedPipeline> {
    let pipeline = &prepared.compiled.pipeline;
    let now = sluice_runtime::time::now_ms();
    let row = PipelineRow {
        id: uuid::Uuid::new_v4().to_string(),
        name,
        description: description.or_else(|| pipeline.description.clone()),
        version,
        status: entity_status::ACTIVE.to_string(),
        snapshot: snapshot_id,
        pipeline_name: pipeline
            .name
            .as_ref()
            .map(|n| n.value.clone())
            .or_else(|| pipeline.display_name.clone())
            .unwrap_or_else(|| "pipeline".to_string()),
        pipeline_file,
        parameters: catalog::parameters(pipeline),
        graph: catalog::graph(&prepared.compiled),
        properties,
        continue_on_step_failure: continue_on_step_failure.unwrap_or(pipeline.continue_on_step_failure),
        source_run,
        created_by: caller.name.clone(),
        created_ms: now,
        modified_ms: now,
    };
    let stored = row.clone();
    app.db.call(move |c| store::insert(c, &stored)).await?;
    tracing::info!(pipeline = %row.id, name = %row.name, by = %caller.name, "pipeline published");
    Ok(app.pipeline_wire(&row))
}

/// Publishes a pipeline from a snapshot whose files were uploaded.
#[utoipa::path(
    post,
    operation_id = "PublishedPipelines_Create",
    path = "/PublishedPipelines/Create",
    tag = "pipelines",
    request_body = PublishRequest,
    responses(
        (status = 200, description = "The published pipeline", body = PublishedPipeline),
        (status = 400, description = "A file is missing, a path leaves the snapshot, or the pipeline has errors", body = ErrorResponse),
        (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse),
    )
)]
async fn create(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    ApiJson(req): ApiJson<PublishRequest>,
) -> Result<Json<PublishedPipeline>> {
    caller.require(Role::Admin, "publishing a pipeline")?;
    check_publication(&req.name, req.version.as_deref(), req.description.as_deref())?;
    snapshot::validate(&req.snapshot)?;
    let missing: Vec<String> = req
        .snapshot
        .files
        .values()
        .filter(|f| !app.catalog.blobs().has(&f.sha256))
        .map(|f| f.sha256.clone())
        .collect();
    if !missing.is_empty() {
        return Err(ServiceError::BadRequest {
            code: "MissingBlob",
            message: format!(
                "{} file(s) of the snapshot were not uploaded: send them with PUT .../Snapshots/Blobs/{{sha256}} first",
                missing.len()
            ),
            target: None,
            known: missing.into_iter().take(20).collect(),
        });
    }
    let id = snapshot::id(&req.snapshot);
    let manifest = serde_json::to_string(&req.snapshot).map_err(|e| ServiceError::Internal(e.to_string()))?;
    let now = sluice_runtime::time::now_ms();
    {
        let id = id.clone();
        app.db.call(move |c| store::insert_snapshot(c, &id, &manifest, now)).await?;
    }
    let prepared = app.catalog.prepared(&app.db, &id).await?;
    let file = req.snapshot.pipeline_file.clone();
    let published = record(
        &app,
        &caller,
        id,
        &prepared,
        file,
        req.name,
        req.description,
        req.version,
        req.continue_on_step_failure,
        req.properties,
        None,
    )
    .await?;
    Ok(Json(published))
}

/// Every published pipeline, newest first.
#[utoipa::path(
    get,
    operation_id = "PublishedPipelines_List",
    path = "/PublishedPipelines",
    tag = "pipelines",
    responses((status = 200, body = Vec<PublishedPipeline>), (status = 401, body = ErrorResponse))
)]
async fn list(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Vec<PublishedPipeline>>> {
    caller.require(Role::Reader, "listing pipelines")?;
    let rows = app.db.call(|c| store::list(c)).await?;
    Ok(Json(rows.iter().map(|p| app.pipeline_wire(p)).collect()))
}

/// The published pipeline with this id (404 when there is none).
pub async fn find(app: &App, id: &str) -> Result<PipelineRow> {
    let id = uuid_id("published pipeline", id)?;
    let key = id.clone();
    app.db
        .call(move |c| store::get(c, &key))
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("no published pipeline `{id}`")))
}

/// A published pipeline.
#[utoipa::path(
    get,
    operation_id = "PublishedPipelines_Get",
    path = "/PublishedPipelines/{publishedPipelineId}",
    tag = "pipelines",
    params(("publishedPipelineId" = String, Path, description = "The published pipeline's id")),
    responses((status = 200, body = PublishedPipeline), (status = 404, body = ErrorResponse))
)]
async fn get(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(p): Path<PipelineId>,
) -> Result<Json<PublishedPipeline>> {
    caller.require(Role::Reader, "reading a pipeline")?;
    Ok(Json(app.pipeline_wire(&find(&app, &p.id).await?)))
}

/// Disables (`"Disabled"`) or enables (`"Active"`) a published pipeline; the body is a JSON
/// string, as the SDK sends it.
#[utoipa::path(
    put,
    operation_id = "PublishedPipelines_SetStatus",
    path = "/PublishedPipelines/{publishedPipelineId}/status",
    tag = "pipelines",
    params(("publishedPipelineId" = String, Path, description = "The published pipeline's id")),
    request_body(content = String, description = "`\"Active\"` or `\"Disabled\"`"),
    responses((status = 200, body = PublishedPipeline), (status = 400, body = ErrorResponse), (status = 404, body = ErrorResponse))
)]
async fn set_status(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(p): Path<PipelineId>,
    ApiJson(new_status): ApiJson<String>,
) -> Result<Json<PublishedPipeline>> {
    caller.require(Role::Admin, "disabling or enabling a pipeline")?;
    let status = entity(&new_status)?;
    let row = find(&app, &p.id).await?;
    let id = row.id.clone();
    let now = sluice_runtime::time::now_ms();
    app.db.call(move |c| store::set_status(c, &id, status, now)).await?;
    tracing::info!(pipeline = %row.id, status, by = %caller.name, "pipeline status changed");
    Ok(Json(app.pipeline_wire(&find(&app, &row.id).await?)))
}

/// `Active` or `Disabled` (any case), else a 400.
pub fn entity(text: &str) -> Result<&'static str> {
    match text.to_ascii_lowercase().as_str() {
        "active" | "enabled" => Ok(entity_status::ACTIVE),
        "disabled" => Ok(entity_status::DISABLED),
        _ => Err(ServiceError::BadRequest {
            code: "BadStatus",
            message: format!("`{}` is not a status: use \"Active\" or \"Disabled\"", shorten(text)),
            target: Some("status".to_string()),
            known: vec![entity_status::ACTIVE.to_string(), entity_status::DISABLED.to_string()],
        }),
    }
}

/// A published pipeline's steps.
#[utoipa::path(
    get,
    operation_id = "PublishedPipelines_Graph",
    path = "/PublishedPipelines/{publishedPipelineId}/Graph",
    tag = "pipelines",
    params(("publishedPipelineId" = String, Path, description = "The published pipeline's id")),
    responses((status = 200, body = PipelineGraph), (status = 404, body = ErrorResponse))
)]
async fn graph(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(p): Path<PipelineId>,
) -> Result<Json<PipelineGraph>> {
    caller.require(Role::Reader, "reading a pipeline")?;
    let row = find(&app, &p.id).await?;
    Ok(Json(PipelineGraph { pipeline_id: row.id, steps: row.graph }))
}

/// Which of these file contents the service lacks.
#[utoipa::path(
    post,
    operation_id = "PublishedPipelines_MissingBlobs",
    path = "/Snapshots/MissingBlobs",
    tag = "pipelines",
    request_body = BlobQuery,
    responses((status = 200, body = MissingBlobs), (status = 400, body = ErrorResponse))
)]
async fn missing_blobs(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    ApiJson(q): ApiJson<BlobQuery>,
) -> Result<Json<MissingBlobs>> {
    caller.require(Role::Admin, "publishing a pipeline")?;
    if q.hashes.len() > snapshot::MAX_FILES {
        return Err(ServiceError::bad(format!("ask for at most {} hashes at once", snapshot::MAX_FILES)));
    }
    if let Some(bad) = q.hashes.iter().find(|h| !is_sha256(h)) {
        return Err(ServiceError::bad_at("BadHash", bad, format!("`{}` is not a SHA-256", shorten(bad))));
    }
    let missing = q.hashes.into_iter().filter(|h| !app.catalog.blobs().has(h)).collect();
    Ok(Json(MissingBlobs { missing }))
}

/// Uploads a file's content under its SHA-256 (checked).
#[utoipa::path(
    put,
    operation_id = "PublishedPipelines_PutBlob",
    path = "/Snapshots/Blobs/{sha256}",
    tag = "pipelines",
    params(("sha256" = String, Path, description = "SHA-256 of the body, lower-case hex")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses(
        (status = 204, description = "Stored"),
        (status = 400, description = "The body's hash differs", body = ErrorResponse),
        (status = 413, body = ErrorResponse), (status = 415, body = ErrorResponse),
    )
)]
async fn put_blob(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(b): Path<BlobId>,
    ApiBytes(body): ApiBytes,
) -> Result<axum::http::StatusCode> {
    caller.require(Role::Admin, "publishing a pipeline")?;
    if !is_sha256(&b.sha256) {
        return Err(ServiceError::NotFound(format!("`{}` is not a SHA-256", shorten(&b.sha256))));
    }
    let catalog = std::sync::Arc::clone(&app.catalog);
    tokio::task::spawn_blocking(move || catalog.blobs().put(&b.sha256, &body)).await??;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// The manifest of a snapshot.
pub async fn manifest(app: &App, id: &str) -> Result<SnapshotManifest> {
    let key = id.to_string();
    let text = app
        .db
        .call(move |c| store::snapshot_manifest(c, &key))
        .await?
        .ok_or_else(|| ServiceError::Internal(format!("snapshot {id} is not recorded")))?;
    serde_json::from_str(&text).map_err(|e| ServiceError::Internal(format!("snapshot {id} is damaged: {e}")))
}
