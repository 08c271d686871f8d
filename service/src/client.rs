//! The client the `sluice` commands use: a blocking HTTP client of the REST API (reqwest,
//! rustls), typed by the same wire objects as the service. The service is found in `--server`
//! or `SLUICE_SERVER`, the token in `SLUICE_TOKEN`.

use std::time::Duration;

use reqwest::blocking::{RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::app::workspace_prefix;
use crate::collect::Collected;
use crate::snapshot::sha256_hex;
use crate::wire::{
    BlobQuery, EndpointAddVersion, EndpointCreate, EndpointUpdate, ErrorResponse, Metric, MissingBlobs,
    PipelineEndpoint, PipelineGraph, PipelineRun, PublishRequest, PublishRunRequest, PublishedPipeline,
    RunOutput, StepRun, SubmitRequest, TokenInfo,
};

/// The environment variable naming the service.
pub const SERVER_VAR: &str = "SLUICE_SERVER";
/// The environment variable holding the token.
pub const TOKEN_VAR: &str = "SLUICE_TOKEN";

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No `--server` and no `SLUICE_SERVER`.
    #[error("no service given: pass --server URL or set SLUICE_SERVER (like http://127.0.0.1:8765)")]
    NoServer,
    /// The server URL is not an http(s) URL.
    #[error("`{0}` is not a service URL: write it like http://127.0.0.1:8765")]
    BadUrl(String),
    /// The service could not be reached.
    #[error("cannot reach the service at {url}: {message}")]
    Connect {
        /// The URL asked.
        url: String,
        /// Why.
        message: String,
    },
    /// The service refused the request.
    #[error("{message} (HTTP {status}{})", if code.is_empty() { String::new() } else { format!(", {code}") })]
    Status {
        /// HTTP status.
        status: u16,
        /// The error's code.
        code: String,
        /// The error's message.
        message: String,
        /// What could have been named.
        known: Vec<String>,
    },
    /// The answer is not what the API promises.
    #[error("the service's answer cannot be read: {0}")]
    Decode(String),
    /// A local file could not be read.
    #[error("`{}`: {source}", path.display())]
    Io {
        /// The path.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl ClientError {
    /// The HTTP status of a refusal.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Results of the client.
pub type Result<T, E = ClientError> = std::result::Result<T, E>;

/// A connection to one service.
#[derive(Debug, Clone)]
pub struct Client {
    base: String,
    prefix: String,
    token: Option<String>,
    http: reqwest::blocking::Client,
}

/// `text` as one path segment (`/` and everything but unreserved characters escaped).
pub fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Client {
    /// A client of the service at `server` (`http://host:port`), with a token or none.
    pub fn new(server: &str, token: Option<String>) -> Result<Client> {
        let base = server.trim().trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) || base.len() <= "https://".len() {
            return Err(ClientError::BadUrl(server.to_string()));
        }
        // reqwest's rustls needs a process-wide crypto provider; installing twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::blocking::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .user_agent(concat!("sluice/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Connect { url: base.clone(), message: e.to_string() })?;
        Ok(Client { base, prefix: workspace_prefix("sluice"), token, http })
    }

    /// A client of `server` (else `SLUICE_SERVER`) with the token in `SLUICE_TOKEN`.
    pub fn from_env(server: Option<&str>) -> Result<Client> {
        let from_env = std::env::var(SERVER_VAR).ok().filter(|s| !s.trim().is_empty());
        let server = server.map(str::to_string).or(from_env).ok_or(ClientError::NoServer)?;
        let token = std::env::var(TOKEN_VAR).ok().map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
        Client::new(&server, token)
    }

    /// The service's URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn url(&self, rel: &str) -> String {
        format!("{}{}{rel}", self.base, self.prefix)
    }

    fn authorized(&self, req: RequestBuilder) -> RequestBuilder {
        match &self.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    }

    fn send(&self, req: RequestBuilder, url: &str) -> Result<Response> {
        let res = self
            .authorized(req)
            .send()
            .map_err(|e| ClientError::Connect { url: url.to_string(), message: error_chain(&e) })?;
        if res.status().is_success() {
            return Ok(res);
        }
        let status = res.status().as_u16();
        let text = res.text().unwrap_or_default();
        Err(match serde_json::from_str::<ErrorResponse>(&text) {
            Ok(e) => ClientError::Status {
                status,
                code: e.error.code,
                message: e.error.message,
                known: e.error.known,
            },
            Err(_) => ClientError::Status {
                status,
                code: String::new(),
                message: if text.trim().is_empty() {
                    "no details".to_string()
                } else {
                    text.trim().to_string()
                },
                known: Vec::new(),
            },
        })
    }

    fn json<T: DeserializeOwned>(&self, req: RequestBuilder, url: &str) -> Result<T> {
        let res = self.send(req, url)?;
        res.json().map_err(|e| ClientError::Decode(e.to_string()))
    }

    fn get<T: DeserializeOwned>(&self, rel: &str) -> Result<T> {
        let url = self.url(rel);
        self.json(self.http.get(&url), &url)
    }

    fn post<B: Serialize, T: DeserializeOwned>(&self, rel: &str, body: &B) -> Result<T> {
        let url = self.url(rel);
        self.json(self.http.post(&url).json(body), &url)
    }

    fn put<B: Serialize, T: DeserializeOwned>(&self, rel: &str, body: &B) -> Result<T> {
        let url = self.url(rel);
        self.json(self.http.put(&url).json(body), &url)
    }

    /// Who the token is.
    pub fn me(&self) -> Result<TokenInfo> {
        self.get("/Tokens/Me")
    }

    /// Every published pipeline.
    pub fn pipelines(&self) -> Result<Vec<PublishedPipeline>> {
        self.get("/PublishedPipelines")
    }

    /// A published pipeline.
    pub fn pipeline(&self, id: &str) -> Result<PublishedPipeline> {
        self.get(&format!("/PublishedPipelines/{}", segment(id)))
    }

    /// A published pipeline's steps.
    pub fn pipeline_graph(&self, id: &str) -> Result<PipelineGraph> {
        self.get(&format!("/PublishedPipelines/{}/Graph", segment(id)))
    }

    /// Disables (`Disabled`) or enables (`Active`) a published pipeline.
    pub fn set_pipeline_status(&self, id: &str, status: &str) -> Result<PublishedPipeline> {
        self.put(&format!("/PublishedPipelines/{}/status", segment(id)), &status)
    }

    /// Uploads the files of a snapshot the service lacks, then publishes it. `progress` hears
    /// how many files and bytes are sent.
    pub fn publish(
        &self,
        collected: &Collected,
        mut req: PublishRequest,
        progress: &mut dyn FnMut(usize, u64),
    ) -> Result<PublishedPipeline> {
        let hashes: Vec<String> = collected.sources.keys().cloned().collect();
        let missing: MissingBlobs = self.post("/Snapshots/MissingBlobs", &BlobQuery { hashes })?;
        let mut bytes_sent = 0;
        for hash in &missing.missing {
            let Some(path) = collected.sources.get(hash) else { continue };
            let bytes =
                std::fs::read(path).map_err(|source| ClientError::Io { path: path.clone(), source })?;
            if sha256_hex(&bytes) != *hash {
                return Err(ClientError::Decode(format!(
                    "`{}` changed while it was being published; publish again",
                    path.display()
                )));
            }
            bytes_sent += bytes.len() as u64;
            let url = self.url(&format!("/Snapshots/Blobs/{hash}"));
            let request = self
                .http
                .put(&url)
                .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                .timeout(Duration::from_secs(3600))
                .body(bytes);
            self.send(request, &url)?;
        }
        progress(missing.missing.len(), bytes_sent);
        req.snapshot = collected.manifest.clone();
        self.post("/PublishedPipelines/Create", &req)
    }

    /// Publishes what a service run ran.
    pub fn publish_run(&self, run: &str, req: &PublishRunRequest) -> Result<PublishedPipeline> {
        self.post(&format!("/PipelineRuns/{}/Publish", segment(run)), req)
    }

    /// Every endpoint.
    pub fn endpoints(&self) -> Result<Vec<PipelineEndpoint>> {
        self.get("/PipelineEndpoints")
    }

    /// An endpoint by name.
    pub fn endpoint_by_name(&self, name: &str) -> Result<PipelineEndpoint> {
        let url = self.url("/PipelineEndpoints/Name");
        self.json(self.http.get(&url).query(&[("Name", name)]), &url)
    }

    /// The published pipelines of an endpoint's versions.
    pub fn endpoint_pipelines(&self, id: &str) -> Result<Vec<PublishedPipeline>> {
        self.get(&format!("/PipelineEndpoints/{}/pipelines", segment(id)))
    }

    /// Creates an endpoint.
    pub fn create_endpoint(&self, req: &EndpointCreate) -> Result<PipelineEndpoint> {
        self.post("/PipelineEndpoints/Create", req)
    }

    /// Adds a version to an endpoint.
    pub fn add_version(&self, id: &str, pipeline: &str) -> Result<PipelineEndpoint> {
        self.post(
            &format!("/PipelineEndpoints/{}/Versions", segment(id)),
            &EndpointAddVersion { pipeline_id: pipeline.to_string() },
        )
    }

    /// Changes an endpoint.
    pub fn update_endpoint(&self, id: &str, update: &EndpointUpdate) -> Result<PipelineEndpoint> {
        self.put(&format!("/PipelineEndpoints/{}", segment(id)), update)
    }

    /// Submits a run of a published pipeline.
    pub fn submit_pipeline(&self, id: &str, req: &SubmitRequest) -> Result<PipelineRun> {
        self.post(&format!("/PipelineRuns/PipelineSubmit/{}", segment(id)), req)
    }

    /// Submits a run of an endpoint (its default version, or `version`).
    pub fn submit_endpoint(
        &self,
        id: &str,
        version: Option<&str>,
        req: &SubmitRequest,
    ) -> Result<PipelineRun> {
        let rel = match version {
            Some(v) => format!("/PipelineRuns/PipelineEndpointSubmit/Id/{}/{}", segment(id), segment(v)),
            None => format!("/PipelineRuns/PipelineEndpointSubmit/Id/{}", segment(id)),
        };
        self.post(&rel, req)
    }

    /// Runs, newest first.
    pub fn runs(&self, limit: usize, pipeline: Option<&str>) -> Result<Vec<PipelineRun>> {
        let url = self.url("/PipelineRuns");
        let mut q = vec![("limit", limit.to_string())];
        if let Some(p) = pipeline {
            q.push(("pipelineId", p.to_string()));
        }
        self.json(self.http.get(&url).query(&q), &url)
    }

    /// A run.
    pub fn run(&self, id: &str) -> Result<PipelineRun> {
        self.get(&format!("/PipelineRuns/{}", segment(id)))
    }

    /// Cancels a run.
    pub fn cancel(&self, id: &str) -> Result<PipelineRun> {
        let url = self.url(&format!("/PipelineRuns/{}/Execution", segment(id)));
        self.json(self.http.delete(&url), &url)
    }

    /// A run's steps.
    pub fn step_runs(&self, id: &str) -> Result<Vec<StepRun>> {
        self.get(&format!("/PipelineRuns/{}/StepRuns", segment(id)))
    }

    /// A step's log (`stdout` or `stderr`).
    pub fn logs(&self, id: &str, step: &str, stream: &str) -> Result<String> {
        let url = self.url(&format!("/PipelineRuns/{}/StepRuns/{}/Logs", segment(id), segment(step)));
        let res = self.send(self.http.get(&url).query(&[("stream", stream)]), &url)?;
        res.text().map_err(|e| ClientError::Decode(e.to_string()))
    }

    /// A run's metrics.
    pub fn metrics(&self, id: &str) -> Result<Vec<Metric>> {
        self.get(&format!("/PipelineRuns/{}/Metrics", segment(id)))
    }

    /// A run's outputs.
    pub fn outputs(&self, id: &str) -> Result<Vec<RunOutput>> {
        self.get(&format!("/PipelineRuns/{}/Outputs", segment(id)))
    }

    /// A file of a step output.
    pub fn output_file(&self, id: &str, step: &str, output: &str, path: &str) -> Result<Vec<u8>> {
        let url = self.url(&format!(
            "/PipelineRuns/{}/StepRuns/{}/Outputs/{}",
            segment(id),
            segment(step),
            segment(output)
        ));
        let res =
            self.send(self.http.get(&url).query(&[("path", path)]).timeout(Duration::from_secs(3600)), &url)?;
        res.bytes().map(|b| b.to_vec()).map_err(|e| ClientError::Decode(e.to_string()))
    }
}

/// An error with its causes, for "cannot reach" messages.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}
