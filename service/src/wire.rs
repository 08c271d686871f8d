//! The objects of the REST API. Field names are PascalCase, as in Azure ML's v1 pipelines API
//! (`Id`, `Name`, `Status.StatusCode`, `RunHistoryExperimentName`, ...), so scripts written
//! for it read them unchanged; the client (`sluice` commands) uses the same types.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use utoipa::ToSchema;

/// A run's status words, exactly those of the Azure ML SDK.
pub mod status {
    /// Created, not yet in the queue.
    pub const NOT_STARTED: &str = "NotStarted";
    /// Waiting in the queue.
    pub const QUEUED: &str = "Queued";
    /// Its steps are running.
    pub const RUNNING: &str = "Running";
    /// Every step succeeded or was reused.
    pub const FINISHED: &str = "Finished";
    /// A step failed, or the run could not start.
    pub const FAILED: &str = "Failed";
    /// A cancel was asked for while it ran; its steps are being stopped.
    pub const CANCEL_REQUESTED: &str = "CancelRequested";
    /// Canceled.
    pub const CANCELED: &str = "Canceled";

    /// True for the statuses a run never leaves.
    pub fn is_terminal(s: &str) -> bool {
        matches!(s, FINISHED | FAILED | CANCELED)
    }
}

/// `Active` or `Disabled`, for published pipelines and endpoints.
pub mod entity_status {
    /// May be submitted to.
    pub const ACTIVE: &str = "Active";
    /// Refuses submissions.
    pub const DISABLED: &str = "Disabled";
}

/// A parameter of a published pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct PipelineParameter {
    /// Name.
    pub name: String,
    /// `string`, `int`, `float`, `bool`, or a data type (`datapath`, `uri_file`, ...).
    #[serde(rename = "Type")]
    pub ty: String,
    /// Default value (`null`: none).
    pub default: Option<Json>,
    /// True when a run may leave it unset.
    pub optional: bool,
    /// True for data parameters, set through `DataPathAssignments`.
    pub is_data: bool,
    /// What it means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A step of a published pipeline's graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct GraphStep {
    /// Step key (`outer/inner` for steps of nested pipelines).
    pub name: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Step kind (`python`, `command`, ...).
    pub kind: String,
    /// Steps it waits for.
    pub depends_on: Vec<String>,
    /// Output names.
    pub outputs: Vec<String>,
}

/// A published pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct PublishedPipeline {
    /// Id (a UUID).
    pub id: String,
    /// Name given at publishing.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Version label given at publishing.
    pub version: Option<String>,
    /// `Active` or `Disabled`.
    pub status: String,
    /// The same as `Status` (the SDK's name).
    pub entity_status: String,
    /// The URL that submits a run of it.
    pub endpoint: String,
    /// The same as `Endpoint` (the SDK's name).
    pub url: String,
    /// Its parameters with types and defaults.
    pub parameters: Vec<PipelineParameter>,
    /// Number of steps.
    pub total_run_steps: usize,
    /// The pipeline's own name (from its file).
    pub pipeline_name: String,
    /// The pipeline file, relative to the snapshot.
    pub pipeline_file: String,
    /// The content-addressed snapshot of its files.
    pub snapshot_id: String,
    /// Go on with independent steps after a failure.
    pub continue_on_step_failure: bool,
    /// The run it was published from (`sluice publish --run`).
    pub source_run: Option<String>,
    /// The token that published it.
    pub created_by: String,
    /// When it was published.
    pub created_date: String,
    /// Last change (status).
    pub last_modified_date: String,
    /// Where it came from (git commit, branch, the publisher's file), as given.
    pub properties: BTreeMap<String, String>,
}

/// A published pipeline's steps and their order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct PipelineGraph {
    /// The pipeline.
    pub pipeline_id: String,
    /// Steps in an order where each comes after what it waits for.
    pub steps: Vec<GraphStep>,
}

/// One file of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct SnapshotFile {
    /// SHA-256 of its content, lower-case hex.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
}

/// The files of a pipeline as its fingerprint saw them, content-addressed, relative to the
/// folder that holds them all (paths use `/`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct SnapshotManifest {
    /// The pipeline file.
    pub pipeline_file: String,
    /// The workspace file, when the pipeline has one.
    #[serde(default)]
    pub workspace_file: Option<String>,
    /// Every file by path.
    pub files: BTreeMap<String, SnapshotFile>,
    /// Folders that must exist (source folders, even empty ones).
    #[serde(default)]
    pub dirs: Vec<String>,
    /// Local datastores: where the workspace expects each (a path in the snapshot) and the
    /// absolute folder it reads. Data stays live, as an Azure ML datastore does.
    #[serde(default)]
    pub datastores: BTreeMap<String, String>,
}

/// `POST .../PublishedPipelines/Create`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct PublishRequest {
    /// Name (1 to 255 characters).
    pub name: String,
    /// Description (default: the pipeline's).
    #[serde(default)]
    pub description: Option<String>,
    /// Version label.
    #[serde(default)]
    pub version: Option<String>,
    /// Go on with independent steps after a failure (default: the pipeline's setting).
    #[serde(default)]
    pub continue_on_step_failure: Option<bool>,
    /// The files.
    pub snapshot: SnapshotManifest,
    /// Where it came from (git commit, branch, file), shown with it.
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
}

/// `POST .../PipelineRuns/{pipelineRunId}/Publish`: publish what a run ran.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct PublishRunRequest {
    /// Name.
    pub name: String,
    /// Description (default: the run's pipeline's).
    #[serde(default)]
    pub description: Option<String>,
    /// Version label.
    #[serde(default)]
    pub version: Option<String>,
}

/// `POST .../Snapshots/MissingBlobs`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct BlobQuery {
    /// SHA-256 hashes (lower-case hex).
    pub hashes: Vec<String>,
}

/// Which of the asked blobs the service lacks.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct MissingBlobs {
    /// Hashes to upload with `PUT .../Snapshots/Blobs/{sha256}`.
    pub missing: Vec<String>,
}

/// A datastore path (`DataPathAssignments` values).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct DataPath {
    /// Datastore name.
    pub data_store_name: String,
    /// Path inside it.
    pub relative_path: String,
    /// Not supported here (SQL sources); present for the SDK's shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql_data_path: Option<Json>,
}

/// The body of a submission (Azure ML's `PipelineSubmissionInfo`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct SubmitRequest {
    /// Experiment to record the run under (required).
    pub experiment_name: String,
    /// Values of value parameters by name: strings, numbers or booleans, read as each
    /// parameter's type. A name the pipeline does not have is refused.
    #[serde(default)]
    pub parameter_assignments: BTreeMap<String, Json>,
    /// Data parameters set to a datastore path.
    #[serde(default)]
    pub data_path_assignments: BTreeMap<String, DataPath>,
    /// What submitted it (`SDK`, `Unavailable`, a script's name).
    #[serde(default)]
    pub run_source: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Tags.
    #[serde(default, alias = "tags")]
    pub tags: BTreeMap<String, String>,
    /// Go on with independent steps after a failure (default: the published pipeline's).
    #[serde(default)]
    pub continue_run_on_step_failure: Option<bool>,
    /// Accepted for the SDK's shape.
    #[serde(default)]
    pub run_type: Option<String>,
    /// Accepted for the SDK's shape; must be empty (datasets are not supported here).
    #[serde(default)]
    pub data_set_definition_value_assignments: Option<BTreeMap<String, Json>>,
    /// Accepted for the SDK's shape; ignored.
    #[serde(default)]
    pub schedule_id: Option<String>,
    /// Accepted for the SDK's shape; ignored.
    #[serde(default)]
    pub enable_notification: Option<bool>,
    /// Properties, recorded with the run.
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
}

/// A run's status (Azure ML's `PipelineRunStatus`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct RunStatus {
    /// `NotStarted`, `Queued`, `Running`, `Finished`, `Failed`, `CancelRequested` or `Canceled`.
    pub status_code: String,
    /// Why it failed or was canceled, in words.
    pub status_detail: Option<String>,
    /// When it was submitted.
    pub creation_time: String,
    /// When its steps started.
    pub start_time: Option<String>,
    /// When it ended.
    pub end_time: Option<String>,
}

/// A run of a published pipeline (Azure ML's `PipelineRunEntity`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct PipelineRun {
    /// Id (a UUID).
    pub id: String,
    /// Status.
    pub status: RunStatus,
    /// The published pipeline it runs.
    pub pipeline_id: String,
    /// That pipeline's name.
    pub pipeline_name: String,
    /// The endpoint it was submitted to.
    pub pipeline_endpoint_id: Option<String>,
    /// That endpoint's name.
    pub pipeline_endpoint_name: Option<String>,
    /// The endpoint version it ran.
    pub pipeline_endpoint_version: Option<String>,
    /// Experiment.
    pub run_history_experiment_name: String,
    /// Description.
    pub description: Option<String>,
    /// The parameter values given, as text read with each parameter's type.
    pub parameter_assignments: BTreeMap<String, String>,
    /// Every parameter value the run used (given or default).
    pub parameters: BTreeMap<String, Json>,
    /// The data paths given.
    pub data_path_assignments: BTreeMap<String, DataPath>,
    /// What submitted it.
    pub run_source: String,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// Properties.
    pub properties: BTreeMap<String, String>,
    /// The name of the token that submitted it.
    pub submitted_by: String,
    /// Number of steps.
    pub total_run_steps: usize,
    /// The run's id in the service's local run store (`sluice runs --state`), once it started.
    pub local_run_id: Option<i64>,
    /// When it was submitted.
    pub created_date: String,
    /// Last change.
    pub last_modified_date: String,
}

/// A step of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct StepRun {
    /// Step key.
    pub name: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Step kind.
    pub kind: String,
    /// The SDK's word: `NotStarted`, `Queued`, `Running`, `Finished`, `Failed`, `Canceled`.
    pub status: String,
    /// sluice's word: `queued`, `running`, `completed`, `reused`, `failed`, `skipped`,
    /// `canceled`, `interrupted` (`not started` before the run starts).
    pub local_status: String,
    /// True when its outputs were reused.
    pub reused: bool,
    /// Reuse verdict: `hit`, `miss` or `disabled`.
    pub reuse: Option<String>,
    /// Why it runs or is reused.
    pub reason: Option<String>,
    /// The local run and step whose outputs were reused.
    pub reused_from: Option<String>,
    /// Steps it waits for.
    pub depends_on: Vec<String>,
    /// Start.
    pub start_time: Option<String>,
    /// End.
    pub end_time: Option<String>,
    /// Wall time, ms.
    pub duration_ms: Option<i64>,
    /// Exit code of its process.
    pub exit_code: Option<i64>,
    /// How it ended, in words.
    pub message: Option<String>,
    /// Fingerprint.
    pub fingerprint: Option<String>,
}

/// A metric a step wrote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Metric {
    /// Step key.
    pub step: String,
    /// Metric name.
    pub name: String,
    /// Numeric value.
    pub value: Option<f64>,
    /// Non-numeric value, as JSON text.
    pub text: Option<String>,
    /// The step (epoch, iteration) the script gave.
    pub at: Option<i64>,
    /// True when it came with reused outputs.
    pub reused: bool,
}

/// A file of a step output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct OutputFile {
    /// Path inside the output (`/`-separated).
    pub path: String,
    /// Size in bytes.
    pub size: u64,
}

/// A step output of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct RunOutput {
    /// Step key.
    pub step: String,
    /// Output name.
    pub name: String,
    /// Its files (at most 1,000 listed).
    pub files: Vec<OutputFile>,
    /// True when more files exist than are listed.
    pub truncated: bool,
}

/// A version of an endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct PipelineVersion {
    /// `"0"`, `"1"`, ...
    #[serde(default)]
    pub version: Option<String>,
    /// The published pipeline.
    pub pipeline_id: String,
}

/// A pipeline endpoint: versions of published pipelines under one name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct PipelineEndpoint {
    /// Id (a UUID).
    pub id: String,
    /// Unique name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// The version a submission without one runs.
    pub default_version: String,
    /// `Active` or `Disabled`.
    pub status: String,
    /// The same as `Status` (the SDK's name).
    pub entity_status: String,
    /// The URL that submits a run of the default version.
    pub endpoint: String,
    /// The same as `Endpoint` (the SDK's name).
    pub url: String,
    /// Its versions.
    pub pipeline_version_list: Vec<PipelineVersion>,
    /// When it was made.
    pub created_date: String,
    /// Last change.
    pub last_modified_date: String,
}

/// `POST .../PipelineEndpoints/Create`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct EndpointCreate {
    /// Unique name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// The published pipeline that becomes version `"0"`.
    pub pipeline_id: String,
    /// Accepted for the SDK's shape; ignored.
    #[serde(default)]
    pub properties: Option<Json>,
}

/// `PUT .../PipelineEndpoints/{id}`: the fields given change. The SDK sends the whole
/// endpoint; read-only fields are accepted and ignored, and `PipelineVersionList` may only
/// add versions.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct EndpointUpdate {
    /// New default version.
    #[serde(default)]
    pub default_version: Option<String>,
    /// New description.
    #[serde(default)]
    pub description: Option<String>,
    /// `Active` or `Disabled`.
    #[serde(default)]
    pub status: Option<String>,
    /// The same as `Status` (the SDK's name).
    #[serde(default)]
    pub entity_status: Option<String>,
    /// The versions: the existing ones and new ones (without `Version`) to add.
    #[serde(default)]
    pub pipeline_version_list: Option<Vec<PipelineVersion>>,
    /// Must be the endpoint's name when given.
    #[serde(default)]
    pub name: Option<String>,
}

/// `POST .../PipelineEndpoints/{id}/Versions`: add a published pipeline as the next version.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct EndpointAddVersion {
    /// The published pipeline.
    pub pipeline_id: String,
}

/// Who a token is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct TokenInfo {
    /// Its name.
    pub name: String,
    /// `reader`, `submitter` or `admin`.
    pub role: String,
    /// When it was made.
    pub created_date: Option<String>,
    /// When it stops working.
    pub expires_date: Option<String>,
    /// True when revoked.
    pub revoked: bool,
}

/// An error answer (Azure's `ErrorResponse` shape).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorResponse {
    /// The error.
    pub error: ErrorInfo,
}

/// What went wrong.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorInfo {
    /// A stable code: `UnknownParameter`, `BadParameterValue`, `PipelineDisabled`, `NotFound`,
    /// `Unauthorized`, `Forbidden`, `BadRequest`, `UnsupportedMediaType`, `PayloadTooLarge`, ...
    pub code: String,
    /// For people.
    pub message: String,
    /// The field or name it is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The names the request could have used (known parameters, versions, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub known: Vec<String>,
}
