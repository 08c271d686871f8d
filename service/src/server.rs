//! `sluice serve`: one process with the REST API, the studio, and the run queue's workers.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::app::{App, Config};
use crate::error::{Result, ServiceError};
use crate::store::runs;

/// How `sluice serve` was asked to run.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The state folder.
    pub state: PathBuf,
    /// Where to listen (port 0: any free port).
    pub listen: SocketAddr,
    /// No tokens: every request is the admin. Loopback addresses only.
    pub no_auth: bool,
    /// Workers taking runs from the queue.
    pub workers: usize,
    /// Steps at once in a run.
    pub jobs: Option<usize>,
    /// The URL clients reach the service at (default: `http://<listen address>`).
    pub public_url: Option<String>,
    /// The workspace name in the URLs the service gives out.
    pub workspace: String,
    /// Largest JSON body, bytes.
    pub max_body: usize,
    /// Largest uploaded file, bytes.
    pub max_upload: usize,
    /// Log JSON lines instead of text.
    pub log_json: bool,
}

/// Why the service cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// `--no-auth` on an address others can reach.
    #[error(
        "--no-auth is allowed only on a loopback address (127.0.0.1 or ::1), not {0}: anyone who reaches the service could run code as you; make tokens with `sluice token create` instead"
    )]
    NoAuthNotLoopback(SocketAddr),
    /// The address cannot be listened on.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The state folder or database cannot be used.
    #[error("{0}")]
    State(#[from] ServiceError),
    /// The async runtime cannot start.
    #[error("cannot start: {0}")]
    Runtime(std::io::Error),
}

/// Runs the service until SIGINT or SIGTERM.
pub fn serve_blocking(opts: ServeOptions) -> Result<(), ServeError> {
    if opts.no_auth && !opts.listen.ip().is_loopback() {
        return Err(ServeError::NoAuthNotLoopback(opts.listen));
    }
    crate::logging::init(opts.log_json);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(ServeError::Runtime)?;
    rt.block_on(serve(opts))
}

/// Runs the service until SIGINT or SIGTERM: stops taking requests, stops the running runs
/// and puts them back in the queue.
pub async fn serve(opts: ServeOptions) -> Result<(), ServeError> {
    let listener = tokio::net::TcpListener::bind(opts.listen)
        .await
        .map_err(|source| ServeError::Listen { addr: opts.listen, source })?;
    let addr = listener.local_addr().map_err(|source| ServeError::Listen { addr: opts.listen, source })?;
    let public_url = opts.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
    let app = App::open(Config {
        state: opts.state.clone(),
        public_url: public_url.trim_end_matches('/').to_string(),
        workspace: opts.workspace.clone(),
        no_auth: opts.no_auth,
        workers: opts.workers.max(1),
        jobs: opts.jobs,
        max_body: opts.max_body,
        max_upload: opts.max_upload,
    })?;
    let now = sluice_runtime::time::now_ms();
    let recovered = app.db.with(|c| runs::recover(c, now))?;
    if recovered.failed + recovered.canceled > 0 || recovered.queued > 0 {
        tracing::info!(
            failed = recovered.failed,
            canceled = recovered.canceled,
            queued = recovered.queued,
            "queue recovered after a restart: runs that were executing are failed, queued runs wait"
        );
    }
    let router = router(&app);
    crate::queue::Queue::start(&app);
    if opts.no_auth {
        eprintln!(
            "sluice serve: authentication is OFF (--no-auth): anyone on this machine can publish and run pipelines"
        );
    }
    eprintln!(
        "sluice serve: listening on http://{addr} (state {}, {} worker(s)); studio at {public_url}/studio",
        app.state.dir.display(),
        app.config.workers
    );
    let stopping = app.clone();
    axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            signal().await;
            eprintln!("sluice serve: stopping; running runs go back to the queue");
            // Begin at once, so runs stopped by the signal are put back, not counted canceled.
            stopping.queue.begin_stop();
        })
        .await
        .map_err(|source| ServeError::Listen { addr, source })?;
    app.queue.stop().await;
    eprintln!("sluice serve: stopped");
    Ok(())
}

async fn signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) {
            (Ok(mut int), Ok(mut term)) => {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
            }
            _ => std::future::pending::<()>().await,
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// Every route: the API (authenticated, documented), `/openapi.json`, the studio, `/healthz`.
pub fn router(app: &App) -> Router {
    let (api, doc) = crate::openapi::router(app.config.max_upload).split_for_parts();
    let doc = Arc::new(serde_json::to_string_pretty(&crate::openapi::finish(doc)).unwrap_or_default());
    let api = api
        .route(
            "/openapi.json",
            get(move || {
                let doc = Arc::clone(&doc);
                async move { ([(header::CONTENT_TYPE, "application/json")], doc.as_str().to_string()) }
            }),
        )
        .layer(middleware::from_fn_with_state(app.clone(), crate::api::authenticate));
    Router::new()
        .merge(api)
        .merge(crate::studio::routes(app))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/", get(|| async { Redirect::to("/studio") }))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(app.config.max_body))
        .layer(RequestBodyLimitLayer::new(
            app.config.max_upload.max(app.config.max_body).max(crate::api::pipelines::MANIFEST_LIMIT),
        ))
        .layer(middleware::from_fn_with_state(app.clone(), announced_size))
        .layer(middleware::from_fn(headers))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(app.clone())
}

/// Refuses a body whose announced size is over its route's limit at once, before reading it
/// (snapshot manifests and uploads have their own limits; the rest `--max-body`). Bodies
/// without a length are cut at the same limits as they are read.
async fn announced_size(State(app): State<App>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let limit = if path.contains("/Snapshots/Blobs/") {
        app.config.max_upload
    } else if path.ends_with("/PublishedPipelines/Create") || path.ends_with("/Snapshots/MissingBlobs") {
        crate::api::pipelines::MANIFEST_LIMIT
    } else {
        app.config.max_body
    };
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit as u64) {
        return ServiceError::PayloadTooLarge(format!(
            "the body is {} bytes; this route accepts at most {limit}",
            announced.unwrap_or_default()
        ))
        .into_response();
    }
    next.run(req).await
}

async fn not_found(State(_): State<App>, req: Request) -> Response {
    ServiceError::NotFound(format!("no route {} {}", req.method(), crate::api::shorten(req.uri().path())))
        .into_response()
}

/// Security headers on every answer; a limit hit by the body layer gets the API's error shape.
async fn headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    if res.status() == StatusCode::PAYLOAD_TOO_LARGE && res.headers().get(header::CONTENT_TYPE).is_none() {
        res = ServiceError::PayloadTooLarge("the body is larger than this service accepts".into())
            .into_response();
    }
    let h = res.headers_mut();
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    res
}
