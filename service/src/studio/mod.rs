//! The studio: server-rendered HTML pages for pipelines, endpoints and runs (a run's DAG as SVG
//! with each step's status and reuse, its logs, its metrics as charts), forms to submit runs
//! and to disable or enable, all over the same checks as the REST API. The browser signs in
//! with a token (kept in an HttpOnly, SameSite=Strict cookie); every form carries a value
//! derived from the token, so another site cannot post one. No external resource is loaded
//! (the Content-Security-Policy says so to the browser).

pub mod charts;
pub mod html;
pub mod pages;
pub mod svg;

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Form, Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::Value as Json;

use crate::api::{self, endpoints as api_endpoints, pipelines as api_pipelines, runs as api_runs};
use crate::app::App;
use crate::auth::{self, COOKIE, Caller, Role};
use crate::error::ServiceError;
use crate::store::{endpoints, pipelines, runs};
use crate::wire::SubmitRequest;

/// The studio's routes.
pub fn routes(app: &App) -> Router<App> {
    let signed_in = Router::new()
        .route("/studio", get(pipelines_page))
        .route("/studio/pipelines/{id}", get(pipeline_page))
        .route("/studio/pipelines/{id}/submit", post(pipeline_submit))
        .route("/studio/pipelines/{id}/status", post(pipeline_status))
        .route("/studio/endpoints", get(endpoints_page))
        .route("/studio/endpoints/{id}", get(endpoint_page))
        .route("/studio/endpoints/{id}/submit", post(endpoint_submit))
        .route("/studio/endpoints/{id}/status", post(endpoint_status))
        .route("/studio/endpoints/{id}/default", post(endpoint_default))
        .route("/studio/runs", get(runs_page))
        .route("/studio/runs/{id}", get(run_page))
        .route("/studio/runs/{id}/cancel", post(run_cancel))
        .route("/studio/logout", post(logout))
        .route_layer(middleware::from_fn_with_state(app.clone(), signed_in_only));
    Router::new()
        .merge(signed_in)
        .route("/studio/login", get(login_page).post(login))
        .layer(middleware::from_fn(page_headers))
}

/// An error shown as a page.
#[derive(Debug)]
pub struct StudioError(Box<ServiceError>, Option<Box<Caller>>);

impl From<ServiceError> for StudioError {
    fn from(e: ServiceError) -> Self {
        StudioError(Box::new(e), None)
    }
}

impl IntoResponse for StudioError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        if status.is_server_error() {
            tracing::error!(error = %self.0, "studio page failed");
        }
        let message = self.0.body().error.message;
        (status, Html(pages::error(self.1.as_deref(), status.as_u16(), &message))).into_response()
    }
}

type Page = Result<Response, StudioError>;

/// Pages and posts need a signed-in caller: without one, the sign-in page.
async fn signed_in_only(State(app): State<App>, req: Request, next: Next) -> Response {
    match api::caller(&app, req.headers()).await {
        Ok(c) => {
            let mut req = req;
            req.extensions_mut().insert(c);
            next.run(req).await
        }
        Err(_) => {
            let next_path = req.uri().path_and_query().map(|p| p.as_str().to_string()).unwrap_or_default();
            let target = if next_path.starts_with("/studio") && req.method() == axum::http::Method::GET {
                format!("/studio/login?next={}", html::seg(&next_path))
            } else {
                "/studio/login".to_string()
            };
            Redirect::to(&target).into_response()
        }
    }
}

/// Every studio answer: no framing, no external resources, no caching of pages with data.
async fn page_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn caller_of(req_caller: Option<axum::Extension<Caller>>) -> Result<Caller, StudioError> {
    req_caller
        .map(|axum::Extension(c)| c)
        .ok_or_else(|| StudioError(Box::new(ServiceError::Unauthorized("sign in first".into())), None))
}

fn with_caller(e: ServiceError, caller: &Caller) -> StudioError {
    StudioError(Box::new(e), Some(Box::new(caller.clone())))
}

/// Checks a form's value against the caller's.
fn check_form(caller: &Caller, form: &[(String, String)]) -> Result<(), StudioError> {
    let sent = form.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str());
    if sent == Some(caller.csrf.as_str()) {
        Ok(())
    } else {
        Err(with_caller(
            ServiceError::Forbidden(
                "the form is stale or comes from another site; reload the page and try again".into(),
            ),
            caller,
        ))
    }
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

async fn pipelines_page(State(app): State<App>, caller: Option<axum::Extension<Caller>>) -> Page {
    let caller = caller_of(caller)?;
    let rows = app.db.call(|c| pipelines::list(c)).await.map_err(|e| with_caller(e, &caller))?;
    let list: Vec<_> = rows.iter().map(|p| app.pipeline_wire(p)).collect();
    Ok(Html(pages::pipelines(&caller, &list, None)).into_response())
}

async fn pipeline_page(
    State(app): State<App>,
    caller: Option<axum::Extension<Caller>>,
    Path(id): Path<String>,
) -> Page {
    let caller = caller_of(caller)?;
    pipeline_view(&app, &caller, &id, None).await
}

async fn pipeline_view(app: &App, caller: &Caller, id: &str, error: Option<&str>) -> Page {
    let row = api_pipelines::find(app, id).await.map_err(|e| with_caller(e, caller))?;
    let list =
        api_runs::list_runs(app, Some(row.id.clone()), None, 20).await.map_err(|e| with_caller(e, caller))?;
    let wire = app.pipeline_wire(&row);
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    Ok((status, Html(pages::pipeline(caller, &wire, &row.graph, &list, error))).into_response())
}

/// A submission from a form: experiment, description and `p.<name>` fields (empty ones keep
/// their defaults).
fn submission(form: &[(String, String)]) -> SubmitRequest {
    let mut req = SubmitRequest {
        experiment_name: field(form, "experiment").unwrap_or_default().trim().to_string(),
        run_source: Some("studio".to_string()),
        ..SubmitRequest::default()
    };
    let description = field(form, "description").unwrap_or_default().trim();
    if !description.is_empty() {
        req.description = Some(description.to_string());
    }
    for (k, v) in form {
        if let Some(name) = k.strip_prefix("p.")
            && !v.trim().is_empty()
        {
            req.parameter_assignments.insert(name.to_string(), Json::String(v.trim().to_string()));
        }
    }
    req
}

async fn pipeline_submit(
    State(app): State<App>,
    caller: Option<axum::Extension<Caller>>,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Page {
    let caller = caller_of(caller)?;
    check_form(&caller, &form)?;
    let row = api_pipelines::find(&app, &id).await.map_err(|e| with_caller(e, &caller))?;
    match api_runs::queue_run(&app, &caller, &row, None, submission(&form)).await {
        Ok(run) => Ok(Redirect::to(&format!("/studio/runs/{}", html::seg(&run.id))).into_response()),
        Err(e) if e.status().is_client_error() => {
            pipeline_view(&app, &caller, &id, Some(&e.to_string())).await
        }
        Err(e) => Err(with_caller(e, &caller)),
    }
}

async fn pipeline_status(
    State(app): State<App>,
    caller: Option<axum::Extension<Caller>>,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Page {
    let caller = caller_of(caller)?;
    check_form(&caller, &form)?;
    caller.require(Role::Admin, "disabling or enabling a pipeline").map_err(|e| with_caller(e, &caller))?;
    let new = api_pipelines::entity(field(&form, "status").unwrap_or_default())
        .map_err(|e| with_caller(e, &caller))?;
    let row = api_pipelines::find(&app, &id).await.map_err(|e| with_caller(e, &caller))?;
    let key = row.id.clone();
    let now = sluice_runtime::time::now_ms();
    app.db
        .call(move |c| pipelines::set_status(c, &key, new, now))
        .await
        .map_err(|e| with_caller(e, &caller))?;
    tracing::info!(pipeline = %row.id, status = new, by = %caller.name, "pipeline status changed in the studio");
    Ok(Redirect::to(&format!("/studio/pipelines/{}", html::seg(&row.id))).into_response())
}

async fn endpoints_page(State(app): State<App>, caller: Option<axum::Extension<Caller>>) -> Page {
    let caller = caller_of(caller)?;
    let rows = app.db.call(|c| endpoints::list(c)).await.map_err(|e| with_caller(e, &caller))?;
    let names: BTreeMap<String, String> = app
        .db
        .call(|c| pipelines::list(c))
        .await
        .map_err(|e| with_caller(e, &caller))?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let list: Vec<_> = rows.iter().map(|e| app.endpoint_wire(e)).collect();
    Ok(Html(pages::endpoints(&caller, &list, &names)).into_response())
}

async fn endpoint_page(
    State(app): State<App>,
    caller: Option<axum::Extension<Caller>>,
    Path(id): Path<String>,
) -> Page {
    let caller = caller_of(caller)?;
    endpoint_view(&app, &caller, &id, None).await
}

async fn endpoint_view(app: &App, caller: &Caller, id: &str, error: Option<&str>) -> Page {
    let e = api_endpoints::find(app, id).await.map_err(|e| with_caller(e, caller))?;
    let mut versions = Vec::new();
    for (_, p) in &e.versions {
        versions
            .push(app.pipeline_wire(&api_pipelines::find(app, p).await.map_err(|e| with_caller(e, caller))?));
    }
    let list =
        api_runs::list_runs(app, None, Some(e.id.clone()), 20).await.map_err(|e| with_caller(e, caller))?;
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    Ok((status, Html(pages::endpoint(caller, &app.endpoint_wire(&e), &versions, &list, error)))
        .into_response())
}

async fn endpoint_submit(
    State(app): State<App>,
    caller: Option<axum::Extension<Caller>>,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Page {
    let caller = caller_of(caller)?;
    check_form(&caller, &form)?;
    let e = api_endpoints::find(&app, &id).await.map_err(|e| with_caller(e, &caller))?;
    let attempt = async {
        let v = match field(&form, "version").filter(|v| !v.is_empty()) {
            Some(t) => api_endpoints::version_of(&e, t)?,
            None => e.default_version,
        };
        let pipeline = api_pipelines::find(&app, e.pipeline_of(v).unwrap_or_default()).await?;
        api_runs::queue_run(&app, &caller, &pipeline, Some((&e, v)), submission(&form)).await
    };
    match attempt.await {
        Ok(run) => Ok(Redirect::to(&format!("/studio/runs/{}", html::seg(&run.id))).into_response()),
        Err(err) if err.status().is_client_error() => {
            endpoint_view(&app, &caller, &id, Some(&err.to_string())).await
        }
        Err(err) => Err(with_caller(err, &caller)),
    }
}

async fn endpoint_status(
    State(app): State<App>,
    caller: Option<axum::Extension<Caller>>,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Page {
    let caller = caller_of(caller)?;
    check_form(&caller, &form)?;
    caller.require(Role::Admin, "disabling or enabling an endpoint").map_err(|e| with_caller(e, &caller))?;
    let new = api_pipelines::entity(field(&form, "status").unwrap_or_default())
        .map_err(|e| with_caller(e, &caller))?;
    let e = api_endpoints::find(&app, &id).await.map_err(|e| with_caller(e, &caller))?;
    let key = e.id.clone();
    let now = sluice_runtime::time::now_ms();
    app.db
        .call(move |c| endpoints::update(c, &key, None, Some(new), None, now))
        .await
        .map_err(|e| with_caller(e, &caller))?;
    Ok(Redirect::to(&format!("/studio/endpoints/{}", html::seg(&e.id))).into_response())
}

async fn endpoint_default(
    State(app): State<App>,
    caller: Option<axum::Extension<Caller>>,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Page {
    let caller = caller_of(caller)?;
    check_form(&caller, &form)?;
    caller.require(Role::Admin, "changing an endpoint").map_err(|e| with_caller(e, &caller))?;
    let e = api_endpoints::find(&app, &id).await.map_err(|e| with_caller(e, &caller))?;
    let v = api_endpoints::version_of(&e, field(&form, "version").unwrap_or_default())
        .map_err(|err| with_caller(err, &caller))?;
    let key = e.id.clone();
    let now = sluice_runtime::time::now_ms();
    app.db
        .call(move |c| endpoints::update(c, &key, Some(v), None, None, now))
        .await
        .map_err(|e| with_caller(e, &caller))?;
    Ok(Redirect::to(&format!("/studio/endpoints/{}", html::seg(&e.id))).into_response())
}

async fn runs_page(State(app): State<App>, caller: Option<axum::Extension<Caller>>) -> Page {
    let caller = caller_of(caller)?;
    let list = api_runs::list_runs(&app, None, None, 100).await.map_err(|e| with_caller(e, &caller))?;
    let counts = app.db.call(|c| runs::counts(c)).await.map_err(|e| with_caller(e, &caller))?;
    Ok(Html(pages::runs(&caller, &list, &counts, &app.prefix())).into_response())
}

#[derive(Debug, Deserialize)]
struct LogChoice {
    #[serde(default)]
    step: Option<String>,
    #[serde(default)]
    stream: Option<String>,
}

async fn run_page(
    State(app): State<App>,
    caller: Option<axum::Extension<Caller>>,
    Path(id): Path<String>,
    Query(choice): Query<LogChoice>,
) -> Page {
    let caller = caller_of(caller)?;
    let fail = |e: ServiceError| with_caller(e, &caller);
    let row = api_runs::find(&app, &id).await.map_err(fail)?;
    let run = api_runs::wire(&app, &row).await.map_err(fail)?;
    let steps = api_runs::step_runs(&app, &row).await.map_err(fail)?;
    let app2 = app.clone();
    let row2 = row.clone();
    let (metrics, outputs) = tokio::task::spawn_blocking(move || {
        Ok::<_, ServiceError>((api_runs::run_metrics(&app2, &row2)?, api_runs::run_outputs(&app2, &row2)?))
    })
    .await
    .map_err(|e| fail(e.into()))?
    .map_err(fail)?;
    // The log shown: the step asked for, else the first that failed, else the last that ran.
    let stream = match choice.stream.as_deref() {
        Some("stderr") => "stderr",
        _ => "stdout",
    };
    let chosen = choice
        .step
        .clone()
        .filter(|s| steps.iter().any(|x| &x.name == s))
        .or_else(|| steps.iter().find(|s| s.local_status == "failed").map(|s| s.name.clone()))
        .or_else(|| {
            steps
                .iter()
                .rev()
                .find(|s| s.local_status != "not started" && s.local_status != "queued")
                .map(|s| s.name.clone())
        });
    let log = match (&chosen, row.local_run) {
        (Some(step), Some(local)) => {
            let records = app.with_run_store(|s| Ok(s.step_runs(local)?)).map_err(fail)?;
            match records.into_iter().find(|r| &r.step == step) {
                Some(rec) => {
                    let state = app.state.clone();
                    let stream_name = stream.to_string();
                    let text = tokio::task::spawn_blocking(move || {
                        api_runs::read_log(&state, local, &rec, &stream_name, 256 * 1024)
                    })
                    .await
                    .map_err(|e| fail(e.into()))?
                    .map_err(fail)?;
                    Some(text)
                }
                None => None,
            }
        }
        _ => None,
    };
    let prefix = app.prefix();
    let view = pages::RunView {
        run: &run,
        steps: &steps,
        metrics: &metrics,
        outputs: &outputs,
        log: chosen.as_deref().zip(log).map(|(s, t)| (s, stream, t)),
        api: &prefix,
    };
    Ok(Html(pages::run(&caller, &view)).into_response())
}

async fn run_cancel(
    State(app): State<App>,
    caller: Option<axum::Extension<Caller>>,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Page {
    let caller = caller_of(caller)?;
    check_form(&caller, &form)?;
    caller.require(Role::Submitter, "canceling a run").map_err(|e| with_caller(e, &caller))?;
    let row = api_runs::find(&app, &id).await.map_err(|e| with_caller(e, &caller))?;
    let key = row.id.clone();
    let now = sluice_runtime::time::now_ms();
    let outcome = app
        .db
        .call(move |c| runs::request_cancel(c, &key, now))
        .await
        .map_err(|e| with_caller(e, &caller))?;
    if matches!(outcome, runs::CancelOutcome::Canceled | runs::CancelOutcome::Requested) {
        app.queue.cancel(&row.id);
    }
    Ok(Redirect::to(&format!("/studio/runs/{}", html::seg(&row.id))).into_response())
}

#[derive(Debug, Deserialize)]
struct NextPage {
    #[serde(default)]
    next: Option<String>,
}

/// Only local studio pages are places to go after signing in.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with("/studio") && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/studio".to_string(),
    }
}

async fn login_page(Query(q): Query<NextPage>) -> Response {
    Html(pages::login(None, &safe_next(q.next.as_deref()))).into_response()
}

async fn login(State(app): State<App>, Form(form): Form<Vec<(String, String)>>) -> Response {
    let next = safe_next(field(&form, "next"));
    let token = field(&form, "token").unwrap_or_default().trim().to_string();
    if app.config.no_auth {
        return Redirect::to(&next).into_response();
    }
    let db = std::sync::Arc::clone(&app.db);
    let now = sluice_runtime::time::now_ms();
    let secret = token.clone();
    let checked = tokio::task::spawn_blocking(move || auth::authenticate(&db, &secret, now)).await;
    match checked {
        Ok(Ok(c)) => {
            tracing::info!(token = %c.name, "signed in to the studio");
            let secure = if app.config.public_url.starts_with("https://") { "; Secure" } else { "" };
            let cookie =
                format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200{secure}");
            let mut res = Redirect::to(&next).into_response();
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                res.headers_mut().insert(header::SET_COOKIE, v);
            }
            res
        }
        Ok(Err(e)) => {
            (StatusCode::UNAUTHORIZED, Html(pages::login(Some(&e.to_string()), &next))).into_response()
        }
        Err(e) => StudioError::from(ServiceError::from(e)).into_response(),
    }
}

async fn logout(caller: Option<axum::Extension<Caller>>, Form(form): Form<Vec<(String, String)>>) -> Page {
    let caller = caller_of(caller)?;
    check_form(&caller, &form)?;
    let mut res = Redirect::to("/studio/login").into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("sluice_token=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok(res)
}
