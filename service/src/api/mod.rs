//! The REST API, Azure ML's v1 pipelines routes under
//! `/pipelines/v1.0/subscriptions/{subscription}/resourceGroups/{resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/{workspace}`
//! (the segments are accepted as given), one module per resource. Every route needs a token
//! (`Authorization: Bearer <token>`); each handler checks the role it needs.

pub mod endpoints;
pub mod pipelines;
pub mod runs;
pub mod tokens;

use axum::body::Body;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use utoipa_axum::router::OpenApiRouter;

use crate::app::App;
use crate::auth::{self, Caller, Role};
use crate::error::{Result, ServiceError};

/// The nest path of the workspace routes, with the segments as parameters.
pub const WORKSPACE_ROUTE: &str = "/pipelines/v1.0/subscriptions/{subscription}/resourceGroups/{resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/{workspace}";

/// The API's routes (with their OpenAPI paths), needing the auth layer on top.
pub fn routes(max_upload: usize) -> OpenApiRouter<App> {
    let workspace = OpenApiRouter::new()
        .merge(pipelines::routes(max_upload))
        .merge(endpoints::routes())
        .merge(runs::routes())
        .merge(tokens::routes());
    OpenApiRouter::new().nest(WORKSPACE_ROUTE, workspace)
}

/// A JSON body whose rejections are clear 4xx answers in the API's error shape.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ServiceError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(r: JsonRejection) -> ServiceError {
    let status = r.status();
    let text = r.body_text();
    match r {
        JsonRejection::MissingJsonContentType(_) => ServiceError::UnsupportedMediaType(
            "the body must be JSON: send `Content-Type: application/json`".to_string(),
        ),
        JsonRejection::JsonSyntaxError(_) => ServiceError::bad(format!("the body is not valid JSON: {text}")),
        JsonRejection::JsonDataError(_) => {
            ServiceError::bad(format!("the body does not have the expected fields: {text}"))
        }
        _ if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE => body_too_large(),
        _ => ServiceError::bad(format!("the body cannot be read: {text}")),
    }
}

fn body_too_large() -> ServiceError {
    ServiceError::PayloadTooLarge("the body is larger than this service accepts".to_string())
}

/// A query string whose rejections are clear 400 answers.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ServiceError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(r) => Err(query_rejection(r)),
        }
    }
}

fn query_rejection(r: QueryRejection) -> ServiceError {
    ServiceError::bad(format!("the query string cannot be used: {}", r.body_text()))
}

/// A raw body (blob uploads) of `application/octet-stream`, limited by the route's body limit.
#[derive(Debug, Clone)]
pub struct ApiBytes(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for ApiBytes {
    type Rejection = ServiceError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let ct = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        if !ct.starts_with("application/octet-stream") {
            return Err(ServiceError::UnsupportedMediaType(format!(
                "upload the file's bytes with `Content-Type: application/octet-stream`, not `{ct}`"
            )));
        }
        match axum::body::Bytes::from_request(req, state).await {
            Ok(b) => Ok(ApiBytes(b)),
            Err(r) if r.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => Err(body_too_large()),
            Err(r) => Err(ServiceError::bad(format!("the body cannot be read: {}", r.body_text()))),
        }
    }
}

/// Finds the caller of an API request (or refuses it with 401) and hands it to the handler.
pub async fn authenticate(State(app): State<App>, mut req: Request<Body>, next: Next) -> Response {
    match caller(&app, req.headers()).await {
        Ok(c) => {
            req.extensions_mut().insert(c);
            next.run(req).await
        }
        Err(e) => e.into_response(),
    }
}

/// The caller of a request with these headers.
pub async fn caller(app: &App, headers: &axum::http::HeaderMap) -> Result<Caller> {
    if app.config.no_auth {
        return Ok(Caller { name: "anonymous".to_string(), role: Role::Admin, csrf: app.open_csrf.clone() });
    }
    let text = |h| headers.get(h).and_then(|v: &axum::http::HeaderValue| v.to_str().ok()).map(str::to_string);
    let authorization = text(header::AUTHORIZATION);
    let cookie = text(header::COOKIE);
    let Some(secret) = auth::presented(authorization.as_deref(), cookie.as_deref())?.map(str::to_string)
    else {
        return Err(ServiceError::Unauthorized(
            "this service needs a token: send `Authorization: Bearer <token>` (SLUICE_TOKEN for sluice commands)"
                .to_string(),
        ));
    };
    let db = std::sync::Arc::clone(&app.db);
    let now = sluice_runtime::time::now_ms();
    tokio::task::spawn_blocking(move || auth::authenticate(&db, &secret, now)).await?
}

/// An id that must be a UUID: anything else names nothing here (404), without touching a file.
pub fn uuid_id(kind: &str, id: &str) -> Result<String> {
    match uuid::Uuid::parse_str(id) {
        Ok(u) => Ok(u.hyphenated().to_string()),
        Err(_) => Err(ServiceError::NotFound(format!("no {kind} `{}`: ids are UUIDs", shorten(id)))),
    }
}

/// A name or id cut for messages.
pub fn shorten(text: &str) -> String {
    const MAX: usize = 80;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        format!("{}...", text.chars().take(MAX).collect::<String>())
    }
}

/// Checks an experiment name as Azure ML does: 1 to 256 letters, digits, `_` and `-`, starting
/// with a letter or digit.
pub fn check_experiment(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 256
        && name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(ServiceError::bad_at(
            "BadExperimentName",
            "ExperimentName",
            format!(
                "ExperimentName `{}` is not an experiment name: use 1 to 256 letters, digits, `_` and `-`, starting with a letter or digit",
                shorten(name)
            ),
        ))
    }
}

/// Checks a free text field's length.
pub fn check_text(field: &str, value: Option<&str>, max: usize) -> Result<()> {
    match value {
        Some(v) if v.chars().count() > max => {
            Err(ServiceError::bad_at("BadRequest", field, format!("{field} is longer than {max} characters")))
        }
        Some(v) if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') => {
            Err(ServiceError::bad_at("BadRequest", field, format!("{field} holds control characters")))
        }
        _ => Ok(()),
    }
}
