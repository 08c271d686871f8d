//! Pipeline endpoints: a unique name over versions `"0"`, `"1"`, ... of published pipelines,
//! with a default version; create, add a version, set the default, disable and enable.

use axum::extract::{Path, State};
use axum::{Extension, Json};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::pipelines::{entity, find as find_pipeline};
use super::{ApiJson, ApiQuery, check_text, shorten, uuid_id};
use crate::app::App;
use crate::auth::{Caller, Role};
use crate::error::{Result, ServiceError};
use crate::store::endpoints::{self as store, EndpointRow};
use crate::wire::{
    EndpointAddVersion, EndpointCreate, EndpointUpdate, ErrorResponse, PipelineEndpoint, PublishedPipeline,
    entity_status,
};

/// The routes of this module.
pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(list))
        .routes(routes!(get_by_id))
        .routes(routes!(get_by_name))
        .routes(routes!(update))
        .routes(routes!(add_version))
        .routes(routes!(pipelines))
}

#[derive(Debug, Deserialize)]
struct EndpointId {
    id: String,
}

#[derive(Debug, Deserialize)]
struct ByName {
    #[serde(alias = "Name")]
    name: String,
}

/// The endpoint with this id (404 when there is none).
pub async fn find(app: &App, id: &str) -> Result<EndpointRow> {
    let id = uuid_id("pipeline endpoint", id)?;
    let key = id.clone();
    app.db
        .call(move |c| store::get(c, &key))
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("no pipeline endpoint `{id}`")))
}

/// The endpoint with this name (404 when there is none).
pub async fn find_by_name(app: &App, name: &str) -> Result<EndpointRow> {
    let key = name.to_string();
    if let Some(e) = app.db.call(move |c| store::get_by_name(c, &key)).await? {
        return Ok(e);
    }
    let names: Vec<String> = app.db.call(|c| store::list(c)).await?.into_iter().map(|e| e.name).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let hint =
        sluice_compiler::suggest::did_you_mean(name, &refs).map(|h| format!("; {h}")).unwrap_or_default();
    Err(ServiceError::NotFound(format!("no pipeline endpoint named `{}`{hint}", shorten(name))))
}

/// The version number of `text` in `e` (404 when it has no such version).
pub fn version_of(e: &EndpointRow, text: &str) -> Result<i64> {
    let n = text.parse::<i64>().ok().filter(|n| *n >= 0 && n.to_string() == text);
    match n.filter(|n| e.pipeline_of(*n).is_some()) {
        Some(n) => Ok(n),
        None => Err(ServiceError::NotFound(format!(
            "pipeline endpoint `{}` has no version `{}`; its versions: {}",
            e.name,
            shorten(text),
            e.version_names().join(", ")
        ))),
    }
}

fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 255
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ' '))
        && !name.starts_with(' ')
        && !name.ends_with(' ');
    if ok {
        Ok(())
    } else {
        Err(ServiceError::bad_at(
            "BadEndpointName",
            "Name",
            format!(
                "`{}` is not an endpoint name: use 1 to 255 letters, digits, `-`, `_`, `.` and inner spaces",
                shorten(name)
            ),
        ))
    }
}

/// Creates an endpoint whose version `"0"` (the default) is a published pipeline.
#[utoipa::path(
    post,
    operation_id = "PipelineEndpoints_Create",
    path = "/PipelineEndpoints/Create",
    tag = "endpoints",
    request_body = EndpointCreate,
    responses(
        (status = 200, body = PipelineEndpoint),
        (status = 400, body = ErrorResponse), (status = 404, description = "No such pipeline", body = ErrorResponse),
        (status = 409, description = "The name is taken", body = ErrorResponse),
    )
)]
async fn create(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    ApiJson(req): ApiJson<EndpointCreate>,
) -> Result<Json<PipelineEndpoint>> {
    caller.require(Role::Admin, "creating an endpoint")?;
    check_name(&req.name)?;
    check_text("Description", req.description.as_deref(), 5000)?;
    let pipeline = find_pipeline(&app, &req.pipeline_id).await?;
    let now = sluice_runtime::time::now_ms();
    let row = EndpointRow {
        id: uuid::Uuid::new_v4().to_string(),
        name: req.name,
        description: req.description,
        default_version: 0,
        status: entity_status::ACTIVE.to_string(),
        created_ms: now,
        modified_ms: now,
        versions: vec![(0, pipeline.id.clone())],
    };
    let stored = row.clone();
    app.db.call(move |c| store::insert(c, &stored, &pipeline.id)).await?;
    tracing::info!(endpoint = %row.id, name = %row.name, by = %caller.name, "endpoint created");
    Ok(Json(app.endpoint_wire(&row)))
}

/// Every endpoint, by name.
#[utoipa::path(
    get,
    operation_id = "PipelineEndpoints_List",
    path = "/PipelineEndpoints",
    tag = "endpoints",
    responses((status = 200, body = Vec<PipelineEndpoint>), (status = 401, body = ErrorResponse))
)]
async fn list(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Vec<PipelineEndpoint>>> {
    caller.require(Role::Reader, "listing endpoints")?;
    let rows = app.db.call(|c| store::list(c)).await?;
    Ok(Json(rows.iter().map(|e| app.endpoint_wire(e)).collect()))
}

/// An endpoint by id.
#[utoipa::path(
    get,
    operation_id = "PipelineEndpoints_GetById",
    path = "/PipelineEndpoints/Id/{id}",
    tag = "endpoints",
    params(("id" = String, Path, description = "The endpoint's id")),
    responses((status = 200, body = PipelineEndpoint), (status = 404, body = ErrorResponse))
)]
async fn get_by_id(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(p): Path<EndpointId>,
) -> Result<Json<PipelineEndpoint>> {
    caller.require(Role::Reader, "reading an endpoint")?;
    Ok(Json(app.endpoint_wire(&find(&app, &p.id).await?)))
}

/// An endpoint by name (`?Name=`).
#[utoipa::path(
    get,
    operation_id = "PipelineEndpoints_GetByName",
    path = "/PipelineEndpoints/Name",
    tag = "endpoints",
    params(("Name" = String, Query, description = "The endpoint's name")),
    responses((status = 200, body = PipelineEndpoint), (status = 404, body = ErrorResponse))
)]
async fn get_by_name(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    ApiQuery(q): ApiQuery<ByName>,
) -> Result<Json<PipelineEndpoint>> {
    caller.require(Role::Reader, "reading an endpoint")?;
    Ok(Json(app.endpoint_wire(&find_by_name(&app, &q.name).await?)))
}

/// Changes an endpoint: default version, status, description, and new versions at the end of
/// `PipelineVersionList` (as the SDK's `PipelineEndpoint.add` sends them).
#[utoipa::path(
    put,
    operation_id = "PipelineEndpoints_Update",
    path = "/PipelineEndpoints/{id}",
    tag = "endpoints",
    params(("id" = String, Path, description = "The endpoint's id")),
    request_body = EndpointUpdate,
    responses((status = 200, body = PipelineEndpoint), (status = 400, body = ErrorResponse), (status = 404, body = ErrorResponse))
)]
async fn update(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(p): Path<EndpointId>,
    ApiJson(req): ApiJson<EndpointUpdate>,
) -> Result<Json<PipelineEndpoint>> {
    caller.require(Role::Admin, "changing an endpoint")?;
    let e = find(&app, &p.id).await?;
    if let Some(name) = req.name.as_deref().filter(|n| *n != e.name) {
        return Err(ServiceError::bad_at(
            "BadRequest",
            "Name",
            format!("an endpoint cannot be renamed (`{}` to `{}`)", e.name, shorten(name)),
        ));
    }
    check_text("Description", req.description.as_deref(), 5000)?;
    // New versions first, so the default may name one of them.
    let mut added = Vec::new();
    if let Some(list) = &req.pipeline_version_list {
        for (i, v) in list.iter().enumerate() {
            match e.versions.get(i) {
                Some((n, pipeline)) => {
                    let same =
                        v.pipeline_id == *pipeline && v.version.as_deref().is_none_or(|t| t == n.to_string());
                    if !same {
                        return Err(ServiceError::bad_at(
                            "BadRequest",
                            "PipelineVersionList",
                            format!(
                                "version {n} of endpoint `{}` cannot be changed; add new versions at the end",
                                e.name
                            ),
                        ));
                    }
                }
                None => added.push(find_pipeline(&app, &v.pipeline_id).await?.id),
            }
        }
    }
    let status = match req.status.as_deref().or(req.entity_status.as_deref()) {
        Some(s) => Some(entity(s)?),
        None => None,
    };
    let id = e.id.clone();
    let now = sluice_runtime::time::now_ms();
    for pipeline in added {
        let id = id.clone();
        app.db.call(move |c| store::add_version(c, &id, &pipeline, now)).await?;
    }
    let e = find(&app, &p.id).await?;
    let default = match &req.default_version {
        Some(v) => Some(version_of(&e, v)?),
        None => None,
    };
    let description = req.description.clone();
    app.db.call(move |c| store::update(c, &id, default, status, description.as_deref(), now)).await?;
    tracing::info!(endpoint = %e.id, by = %caller.name, "endpoint changed");
    Ok(Json(app.endpoint_wire(&find(&app, &p.id).await?)))
}

/// Adds a published pipeline as the endpoint's next version.
#[utoipa::path(
    post,
    operation_id = "PipelineEndpoints_AddVersion",
    path = "/PipelineEndpoints/{id}/Versions",
    tag = "endpoints",
    params(("id" = String, Path, description = "The endpoint's id")),
    request_body = EndpointAddVersion,
    responses((status = 200, body = PipelineEndpoint), (status = 404, body = ErrorResponse))
)]
async fn add_version(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(p): Path<EndpointId>,
    ApiJson(req): ApiJson<EndpointAddVersion>,
) -> Result<Json<PipelineEndpoint>> {
    caller.require(Role::Admin, "adding an endpoint version")?;
    let e = find(&app, &p.id).await?;
    let pipeline = find_pipeline(&app, &req.pipeline_id).await?;
    let id = e.id.clone();
    let now = sluice_runtime::time::now_ms();
    let v = app.db.call(move |c| store::add_version(c, &id, &pipeline.id, now)).await?;
    tracing::info!(endpoint = %e.id, version = v, by = %caller.name, "endpoint version added");
    Ok(Json(app.endpoint_wire(&find(&app, &p.id).await?)))
}

/// The published pipelines of an endpoint's versions, by version.
#[utoipa::path(
    get,
    operation_id = "PipelineEndpoints_Pipelines",
    path = "/PipelineEndpoints/{id}/pipelines",
    tag = "endpoints",
    params(("id" = String, Path, description = "The endpoint's id")),
    responses((status = 200, body = Vec<PublishedPipeline>), (status = 404, body = ErrorResponse))
)]
async fn pipelines(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(p): Path<EndpointId>,
) -> Result<Json<Vec<PublishedPipeline>>> {
    caller.require(Role::Reader, "reading an endpoint")?;
    let e = find(&app, &p.id).await?;
    let mut out = Vec::new();
    for (_, pipeline) in &e.versions {
        out.push(app.pipeline_wire(&find_pipeline(&app, pipeline).await?));
    }
    Ok(Json(out))
}
