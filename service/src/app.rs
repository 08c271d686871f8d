//! The service's shared state (configuration, database, catalog, queue, the runtime's run
//! store) and the URLs it gives out.

use std::ops::Deref;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use sluice_runtime::{RunStore, StateDir};

use crate::catalog::Catalog;
use crate::error::{Result, ServiceError};
use crate::queue::Queue;
use crate::store::Db;
use crate::store::endpoints::EndpointRow;
use crate::store::pipelines::PipelineRow;
use crate::store::runs::RunRow;
use crate::time::iso;
use crate::wire::{PipelineEndpoint, PipelineRun, PipelineVersion, PublishedPipeline, RunStatus};

/// The path every REST route lives under, as in Azure ML's v1 pipelines API. The segments before
/// `{workspace}`'s routes are accepted as given; these are the ones the service writes.
pub fn workspace_prefix(workspace: &str) -> String {
    format!(
        "/pipelines/v1.0/subscriptions/local/resourceGroups/local/providers/Microsoft.MachineLearningServices/workspaces/{workspace}"
    )
}

/// How the service runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Its state folder: `service.db`, blobs, snapshots, and the runtime's state.
    pub state: PathBuf,
    /// The URL clients reach it at (`http://127.0.0.1:8765`), for the URLs it gives out.
    pub public_url: String,
    /// The workspace name in those URLs.
    pub workspace: String,
    /// Every request is the admin (loopback only).
    pub no_auth: bool,
    /// Workers taking runs from the queue.
    pub workers: usize,
    /// Steps at once in a run (default: the machine's cores).
    pub jobs: Option<usize>,
    /// Largest JSON body, bytes.
    pub max_body: usize,
    /// Largest uploaded file, bytes.
    pub max_upload: usize,
}

/// The shared state; cheap to clone.
#[derive(Debug, Clone)]
pub struct App(Arc<Inner>);

/// What [`App`] holds.
#[derive(Debug)]
pub struct Inner {
    /// Configuration.
    pub config: Config,
    /// The service's database.
    pub db: Arc<Db>,
    /// The runtime's state folder (the service's state folder itself).
    pub state: StateDir,
    /// Snapshots, prepared.
    pub catalog: Arc<Catalog>,
    /// The run queue and its workers.
    pub queue: Queue,
    /// The runtime's run store, for reading step runs and metrics.
    runs_reader: Mutex<RunStore>,
    /// The studio's form value when authentication is off.
    pub open_csrf: String,
}

impl Deref for App {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl App {
    /// Opens the state folder (creating it) and builds the state.
    pub fn open(config: Config) -> Result<App> {
        let state = StateDir {
            dir: std::path::absolute(&config.state).map_err(|e| ServiceError::io(&config.state, e))?,
        };
        state.create()?;
        let db = Arc::new(Db::open(&state.dir)?);
        let runs_reader = RunStore::open(&state.store_path())?;
        let catalog = Arc::new(Catalog::new(&state.dir));
        catalog.clean_leftovers();
        let open_csrf = crate::auth::csrf_for(&crate::auth::new_secret()?);
        Ok(App(Arc::new(Inner {
            config,
            db,
            state,
            catalog,
            queue: Queue::new(),
            runs_reader: Mutex::new(runs_reader),
            open_csrf,
        })))
    }

    /// Runs `f` on the runtime's run store (blocking; reads are quick).
    pub fn with_run_store<T>(&self, f: impl FnOnce(&RunStore) -> Result<T>) -> Result<T> {
        let store = self.runs_reader.lock().unwrap_or_else(|p| p.into_inner());
        f(&store)
    }

    /// The REST prefix of this service's workspace.
    pub fn prefix(&self) -> String {
        workspace_prefix(&self.config.workspace)
    }

    /// The URL that submits a run of a published pipeline.
    pub fn pipeline_url(&self, id: &str) -> String {
        format!("{}{}/PipelineRuns/PipelineSubmit/{id}", self.config.public_url, self.prefix())
    }

    /// The URL that submits a run of an endpoint's default version.
    pub fn endpoint_url(&self, id: &str) -> String {
        format!("{}{}/PipelineRuns/PipelineEndpointSubmit/Id/{id}", self.config.public_url, self.prefix())
    }

    /// A published pipeline on the wire.
    pub fn pipeline_wire(&self, p: &PipelineRow) -> PublishedPipeline {
        let url = self.pipeline_url(&p.id);
        PublishedPipeline {
            id: p.id.clone(),
            name: p.name.clone(),
            description: p.description.clone(),
            version: p.version.clone(),
            status: p.status.clone(),
            entity_status: p.status.clone(),
            endpoint: url.clone(),
            url,
            parameters: p.parameters.clone(),
            total_run_steps: p.graph.len(),
            pipeline_name: p.pipeline_name.clone(),
            pipeline_file: p.pipeline_file.clone(),
            snapshot_id: p.snapshot.clone(),
            continue_on_step_failure: p.continue_on_step_failure,
            source_run: p.source_run.clone(),
            created_by: p.created_by.clone(),
            created_date: iso(p.created_ms),
            last_modified_date: iso(p.modified_ms),
            properties: p.properties.clone(),
        }
    }

    /// An endpoint on the wire.
    pub fn endpoint_wire(&self, e: &EndpointRow) -> PipelineEndpoint {
        let url = self.endpoint_url(&e.id);
        PipelineEndpoint {
            id: e.id.clone(),
            name: e.name.clone(),
            description: e.description.clone(),
            default_version: e.default_version.to_string(),
            status: e.status.clone(),
            entity_status: e.status.clone(),
            endpoint: url.clone(),
            url,
            pipeline_version_list: e
                .versions
                .iter()
                .map(|(v, p)| PipelineVersion { version: Some(v.to_string()), pipeline_id: p.clone() })
                .collect(),
            created_date: iso(e.created_ms),
            last_modified_date: iso(e.modified_ms),
        }
    }

    /// A run on the wire.
    pub fn run_wire(
        &self,
        r: &RunRow,
        pipeline: Option<&PipelineRow>,
        endpoint_name: Option<String>,
    ) -> PipelineRun {
        PipelineRun {
            id: r.id.clone(),
            status: RunStatus {
                status_code: r.status.clone(),
                status_detail: r.status_detail.clone(),
                creation_time: iso(r.created_ms),
                start_time: r.started_ms.map(iso),
                end_time: r.ended_ms.map(iso),
            },
            pipeline_id: r.pipeline.clone(),
            pipeline_name: pipeline.map(|p| p.name.clone()).unwrap_or_default(),
            pipeline_endpoint_id: r.endpoint.clone(),
            pipeline_endpoint_name: endpoint_name,
            pipeline_endpoint_version: r.endpoint_version.clone(),
            run_history_experiment_name: r.experiment.clone(),
            description: r.description.clone(),
            parameter_assignments: r.assignments.clone(),
            parameters: r.parameters.clone(),
            data_path_assignments: r.data_paths.clone(),
            run_source: r.run_source.clone(),
            tags: r.tags.clone(),
            properties: r.properties.clone(),
            submitted_by: r.submitted_by.clone(),
            total_run_steps: pipeline.map_or(0, |p| p.graph.len()),
            local_run_id: r.local_run,
            created_date: iso(r.created_ms),
            last_modified_date: iso(r.modified_ms),
        }
    }
}
